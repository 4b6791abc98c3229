//! The embedding endpoint as the service's dependency: startup probe, 503s, the query cache
//! seen through `find_tool`, and `toolbox reindex`.

use std::process::Command;

use crate::common::fake_embedder::{FakeEmbedder, Mode};
use crate::common::{fresh_database, problem, spawn_app_on, spawn_app_with};
use serde_json::json;
use toolbox::{App, Config};

#[tokio::test]
async fn exhausted_retries_give_503_and_no_row() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", &fake.url),
        ("EMBEDDING_MAX_RETRIES", "2"),
    ])
    .await;
    fake.set_mode(Mode::Fail(503)).await;
    let before = fake.request_count();
    let resp = app
        .post(
            "/tools",
            json!({"name": "nope", "description": "d", "input_schema": {"type": "object"}}),
        )
        .await;
    let body = problem(resp, 503).await;
    assert_eq!(body["dependency"], "embedding endpoint");
    assert_eq!(fake.request_count() - before, 3);
    assert_eq!(
        app.count("SELECT count(*) FROM tools WHERE name = 'nope'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_all_zero_vector_from_the_endpoint_is_a_503_and_stores_nothing() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[("EMBEDDING_ENDPOINT_URL", &fake.url)]).await;
    fake.set_mode(Mode::Zero).await;
    let resp = app
        .post(
            "/tools",
            json!({"name": "zeroed", "description": "d", "input_schema": {"type": "object"}}),
        )
        .await;
    let body = problem(resp, 503).await;
    assert_eq!(body["dependency"], "embedding endpoint");
    assert!(body["detail"].as_str().unwrap().contains("zero"), "{body}");
    assert_eq!(
        app.count("SELECT count(*) FROM tools WHERE name = 'zeroed'")
            .await,
        0
    );
    let body = problem(app.post("/mcp/find_tool", json!({"query": "x"})).await, 503).await;
    assert_eq!(body["dependency"], "embedding endpoint");
}

#[tokio::test]
async fn a_repeated_query_is_served_from_the_cache() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[("EMBEDDING_ENDPOINT_URL", &fake.url)]).await;
    let before = fake.request_count();
    app.find(json!({"query": "convert csv to json"})).await;
    app.find(json!({"query": "convert csv to json"})).await;
    assert_eq!(fake.request_count() - before, 1);
}

#[tokio::test]
async fn a_hundred_concurrent_identical_find_tool_calls_make_one_upstream_request() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[("EMBEDDING_ENDPOINT_URL", &fake.url)]).await;
    fake.set_mode(Mode::Hang(std::time::Duration::from_millis(500)))
        .await;
    let before = fake.request_count();
    let calls = (0..100).map(|_| app.post("/mcp/find_tool", json!({"query": "same words"})));
    for resp in futures::future::join_all(calls).await {
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(fake.request_count() - before, 1);
}

fn config(vars: &[(&str, &str)]) -> Config {
    let map = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([
            ("PORT".into(), "0".into()),
            ("HOST".into(), "127.0.0.1".into()),
        ])
        .collect();
    Config::from_map(&map).unwrap()
}

#[tokio::test]
async fn a_wrong_dimension_at_startup_stops_the_service_naming_the_setting() {
    let fake = FakeEmbedder::start(768).await;
    let db = fresh_database().await;
    let cfg = config(&[("DATABASE_URL", &db), ("EMBEDDING_ENDPOINT_URL", &fake.url)]);
    let err = App::build(cfg).await.err().expect("startup refused");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("EMBEDDING_DIMENSION=384") && msg.contains("768"),
        "{msg}"
    );
}

#[tokio::test]
async fn an_endpoint_down_at_startup_still_serves_and_answers_503_for_search() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", &url),
        ("EMBEDDING_TIMEOUT_MS", "500"),
        ("EMBEDDING_MAX_RETRIES", "1"),
    ])
    .await;
    assert_eq!(app.get("/ready").await.status(), 200);
    assert_eq!(app.post("/mcp/list_tools", json!({})).await.status(), 200);
    let body = problem(app.post("/mcp/find_tool", json!({"query": "x"})).await, 503).await;
    assert_eq!(body["endpoint"], format!("{url}/v1/embeddings"));
}

#[tokio::test]
async fn with_the_endpoint_down_at_startup_the_built_ins_are_callable_and_embedded_once_it_returns()
{
    let fake = FakeEmbedder::start(384).await;
    fake.set_mode(Mode::Fail(503)).await;
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", &fake.url),
        ("EMBEDDING_MAX_RETRIES", "0"),
        ("ENABLE_CACHE", "false"),
    ])
    .await;

    let resp = app
        .call_tool("calculator", json!({"operation": "add", "a": 2, "b": 3}))
        .await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["result"]["value"], 5);
    let listed = app.mcp("2025-11-25", "tools/list", json!({})).await;
    assert!(listed.to_string().contains("\"calculator\""), "{listed}");

    fake.set_mode(Mode::Ok).await;
    let embedded = "SELECT count(*) FROM tools WHERE name = 'calculator' AND embedding IS NOT NULL";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.count(embedded).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the built-ins were never embedded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The row is written before the search index applies it (the background task's write
    // catches the index up right after its commit): wait for the index too.
    loop {
        let hits = app
            .find(json!({"query": "add two numbers with the calculator"}))
            .await;
        if hits.first().is_some_and(|h| h["name"] == "calculator") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the embedded built-ins were never found: {hits:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

// Multi-threaded: the test blocks on the child process while the fake server must answer it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_re_embeds_only_rows_whose_model_or_text_changed() {
    let fake = FakeEmbedder::start(384).await;
    let db = fresh_database().await;
    let app = spawn_app_on(&db, &[("EMBEDDING_ENDPOINT_URL", &fake.url)]).await;
    for i in 0..4 {
        app.register(
            &format!("r{i}"),
            &format!("reindexed tool {i}"),
            "misc",
            &[],
        )
        .await;
    }
    // A text change that bypassed the service (e.g. a manual fix in SQL).
    sqlx::query("UPDATE tools SET description = 'edited by hand' WHERE name = 'r2'")
        .execute(&app.db)
        .await
        .unwrap();
    let total = app.count("SELECT count(*) FROM tools").await;

    let reindex = |model: &str| {
        Command::new(env!("CARGO_BIN_EXE_toolbox"))
            .arg("reindex")
            .env_clear()
            .env("DATABASE_URL", &db)
            .env("EMBEDDING_ENDPOINT_URL", &fake.url)
            .env("EMBEDDING_MODEL", model)
            .env("ENABLE_CACHE", "false")
            .output()
            .unwrap()
    };
    fake.inputs.lock().await.clear();
    let out = reindex("multilingual-e5-small");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{total} rows scanned, 1 re-embedded")),
        "{stdout}"
    );
    let sent: Vec<String> = fake.inputs.lock().await.concat();
    let embedded: Vec<&String> = sent
        .iter()
        .filter(|t| t.contains("edited by hand"))
        .collect();
    assert_eq!(embedded.len(), 1, "{sent:?}");

    let out = reindex("another-model");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("{total} re-embedded")), "{stdout}");
    let models = app
        .count("SELECT count(*) FROM tools WHERE embedding_model = 'another-model'")
        .await;
    assert_eq!(models, total);
    // Nothing left to do.
    let out = reindex("another-model");
    assert!(String::from_utf8_lossy(&out.stdout).contains(" 0 re-embedded"));
}
