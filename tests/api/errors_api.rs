//! Every kind of bad request gets a clear problem+json answer.

use crate::common::fake_embedder::{FakeEmbedder, Mode};
use crate::common::{problem, spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn malformed_json_is_400_with_its_position() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/mcp/call_tool"))
        .header("content-type", "application/json")
        .body("{\"tool_name\": ")
        .send()
        .await
        .unwrap();
    let body = problem(resp, 400).await;
    assert_eq!(body["line"], 1);
    assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
}

#[tokio::test]
async fn a_missing_content_type_is_415() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/mcp/list_tools"))
        .body("{}")
        .send()
        .await
        .unwrap();
    problem(resp, 415).await;
}

#[tokio::test]
async fn unknown_fields_are_422_naming_the_field() {
    let app = spawn_app().await;
    let body = problem(
        app.post("/mcp/list_tools", json!({"categroy": "x"})).await,
        422,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("categroy"),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let app = spawn_app().await;
    problem(app.get("/nope").await, 404).await;
    problem(app.get("/mcp/find_tool").await, 405).await;
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app().await;
    let big = "x".repeat(3 * 1024 * 1024);
    let resp = app.post("/mcp/find_tool", json!({"query": big})).await;
    problem(resp, 413).await;
}

#[tokio::test]
async fn a_failing_embedding_endpoint_is_503_and_writes_nothing() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", &fake.url),
        ("EMBEDDING_MAX_RETRIES", "1"),
    ])
    .await;
    let before = app.count("SELECT count(*) FROM tools").await;
    fake.set_mode(Mode::Fail(500)).await;

    let resp = app
        .post(
            "/tools",
            json!({"name": "wont_land", "description": "d", "input_schema": {"type": "object"}}),
        )
        .await;
    let body = problem(resp, 503).await;
    assert_eq!(body["dependency"], "embedding endpoint");
    assert!(body["endpoint"].as_str().unwrap().starts_with(&fake.url));
    assert_eq!(app.count("SELECT count(*) FROM tools").await, before);

    let resp = app
        .post("/mcp/find_tool", json!({"query": "anything new"}))
        .await;
    problem(resp, 503).await;
}

#[tokio::test]
async fn a_wrong_dimension_from_the_endpoint_is_refused() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[("EMBEDDING_ENDPOINT_URL", &fake.url)]).await;
    fake.set_mode(Mode::WrongDimension(12)).await;
    let resp = app
        .post("/mcp/find_tool", json!({"query": "fresh query text"}))
        .await;
    let body = problem(resp, 503).await;
    assert!(body["detail"].as_str().unwrap().contains("384"), "{body}");
}

#[tokio::test]
async fn health_needs_nothing_and_ready_checks_the_database() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await.status(), 200);
    let ready: serde_json::Value = app.get("/ready").await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
}
