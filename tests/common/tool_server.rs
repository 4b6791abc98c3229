//! A real local HTTP server standing in for an HTTP-backed tool: it echoes, fails, sleeps,
//! redirects and counts the requests in flight, as each test needs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Counters {
    in_flight: Arc<AtomicUsize>,
    seen: Arc<AtomicUsize>,
    /// The headers of every request `/echo` received, in order.
    headers: Arc<Mutex<Vec<HeaderMap>>>,
}

pub struct ToolServer {
    pub port: u16,
    counters: Counters,
}

impl ToolServer {
    /// Routes: `/echo` answers `{"echo": args, "auth": <Authorization header>}`; `/fail` 500;
    /// `/down` 503 with Retry-After 7; `/slow?ms=N` sleeps then echoes; `/redirect?to=URL`
    /// 302 to URL (`&code=307` for a redirect that keeps method, body and headers); `/text` a
    /// non-JSON 200.
    pub async fn start() -> Self {
        let counters = Counters::default();
        let app = axum::Router::new()
            .route("/echo", any(echo))
            .route(
                "/fail",
                post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom: database exploded") }),
            )
            .route(
                "/down",
                post(|| async {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        [("retry-after", "7")],
                        "down",
                    )
                }),
            )
            .route("/slow", post(slow))
            .route("/redirect", post(redirect))
            .route("/text", post(|| async { "not json" }))
            .with_state(counters.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { port, counters }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Requests currently being answered.
    pub fn in_flight(&self) -> usize {
        self.counters.in_flight.load(Ordering::SeqCst)
    }

    /// Requests received so far.
    pub fn seen(&self) -> usize {
        self.counters.seen.load(Ordering::SeqCst)
    }

    /// Every value of header `name` that requests to `/echo` carried.
    pub fn received_header(&self, name: &str) -> Vec<String> {
        let seen = self.counters.headers.lock().unwrap();
        seen.iter()
            .flat_map(|h| h.get_all(name))
            .map(|v| v.to_str().unwrap_or("<not text>").to_owned())
            .collect()
    }
}

async fn echo(
    State(c): State<Counters>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Json<Value> {
    c.seen.fetch_add(1, Ordering::SeqCst);
    c.headers.lock().unwrap().push(headers.clone());
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Json(json!({"echo": body.map(|b| b.0).unwrap_or(Value::Null), "auth": auth}))
}

async fn slow(
    State(c): State<Counters>,
    Query(q): Query<std::collections::HashMap<String, u64>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    c.seen.fetch_add(1, Ordering::SeqCst);
    c.in_flight.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(q.get("ms").copied().unwrap_or(1000))).await;
    c.in_flight.fetch_sub(1, Ordering::SeqCst);
    Json(json!({"echo": body}))
}

async fn redirect(Query(q): Query<std::collections::HashMap<String, String>>) -> Response {
    let to = q.get("to").cloned().unwrap_or_default();
    let code = q
        .get("code")
        .and_then(|c| StatusCode::from_bytes(c.as_bytes()).ok())
        .unwrap_or(StatusCode::FOUND);
    (code, [("location", to)]).into_response()
}
