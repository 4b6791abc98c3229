//! SIGTERM to the real binary in the middle of a stream of requests: it stops accepting,
//! answers every request already in flight completely, and exits cleanly.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::fake_embedder::{FakeEmbedder, Mode};
use crate::common::fresh_database;
use crate::common::process::{Child, free_port, serve, wait_ready};
use serde_json::{Value, json};

const IN_FLIGHT: usize = 16;

#[tokio::test]
async fn sigterm_finishes_every_request_in_flight_and_exits_cleanly() {
    let embedder = FakeEmbedder::start(384).await;
    let db = fresh_database().await;
    let port = free_port();
    let mut child = Child(
        serve(&db, port)
            .env("EMBEDDING_ENDPOINT_URL", &embedder.url)
            .env("ENABLE_CACHE", "false")
            .env("EMBEDDING_TIMEOUT_MS", "30000")
            .env("SHUTDOWN_TIMEOUT", "30")
            .env("WORKERS", "2")
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let client = reqwest::Client::new();
    for _ in 0..20 {
        let resp = client.get(format!("{base}/tools")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }

    // Arrange: requests that are certainly in flight (each waits on the embedder).
    embedder
        .set_mode(Mode::Hang(Duration::from_millis(1500)))
        .await;
    let before = embedder.request_count();
    let mut pending = Vec::new();
    for i in 0..IN_FLIGHT {
        let client = client.clone();
        let url = format!("{base}/mcp/find_tool");
        pending.push(tokio::spawn(async move {
            let resp = client
                .post(url)
                .json(&json!({"query": format!("request number {i}")}))
                .send()
                .await?;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await?;
            Ok::<_, reqwest::Error>((status, body))
        }));
    }
    crate::common::wait_until(
        "every request to reach the embedder",
        Duration::from_secs(30),
        || embedder.request_count() >= before + IN_FLIGHT,
    )
    .await;

    // Act: SIGTERM, as an orchestrator sends it.
    let pid = child.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());

    // Assert: every in-flight request got a complete answer...
    for task in pending {
        let (status, body) = task.await.unwrap().expect("a complete response");
        assert_eq!(status, 200, "{body}");
        assert!(body.is_array());
    }
    // ...new connections are refused, and the process exits by itself with success.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running after SHUTDOWN_TIMEOUT"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");
    let err = client
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err}");
}

#[tokio::test]
async fn traces_go_to_the_otlp_endpoint_and_are_flushed_on_sigterm() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    // A minimal OTLP/HTTP collector that counts non-empty trace exports.
    let exports = Arc::new(AtomicUsize::new(0));
    let seen = exports.clone();
    let collector = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                if !body.is_empty() {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let otlp = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, collector).await });

    let db = fresh_database().await;
    let port = free_port();
    let mut child = Child(
        serve(&db, port)
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &otlp)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let resp = reqwest::get(format!("{base}/tools")).await.unwrap();
    assert_eq!(resp.status(), 200);

    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::task::spawn_blocking(move || child.0.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(
        exports.load(Ordering::SeqCst) >= 1,
        "the collector received the request's spans"
    );
}
