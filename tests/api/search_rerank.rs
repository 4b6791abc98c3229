//! The optional reranker against a real local fake server (TEI and Cohere formats): it
//! reorders the fused top, its answers are cached, and when it fails (500, 429, a timeout)
//! the fused order is returned and the response says the reranker was skipped.

use std::time::Duration;

use crate::common::fake_reranker::{FakeReranker, Mode};
use crate::common::{TestApp, names, spawn_app_on, spawn_app_with};
use serde_json::{Value, json};

const QUERY: &str = "send a message to a friend";

async fn catalogue(app: &TestApp) {
    let tools: &[(&str, &str)] = &[
        ("send_message", "Send a message to a friend or a group"),
        ("send_sms", "Send a text message to a phone number"),
        ("post_letter", "Print and post a letter, a message on paper"),
        ("weather_forecast", "Weather forecast for a city"),
    ];
    for (name, description) in tools {
        app.register(name, description, "comms", &[]).await;
    }
}

async fn app_with(fake: &FakeReranker, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("RERANK_ENDPOINT_URL", fake.url.as_str()),
        ("RERANK_TIMEOUT_MS", "1000"),
        ("RERANK_ATTEMPT_TIMEOUT_MS", "300"),
    ];
    vars.extend_from_slice(extra);
    let app = spawn_app_with(&vars).await;
    catalogue(&app).await;
    app
}

async fn search(app: &TestApp) -> (Option<String>, Vec<Value>) {
    let resp = app
        .post(
            "/mcp/find_tool",
            json!({"query": QUERY, "limit": 3, "threshold": 0, "explain": true}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let header = resp
        .headers()
        .get("toolbox-rerank")
        .map(|v| v.to_str().unwrap().to_owned());
    (header, resp.json().await.unwrap())
}

/// The fused order of the same search on the same database, without a reranker.
async fn fused_order(app: &TestApp) -> Vec<String> {
    let plain = spawn_app_on(&app.database_url, &[]).await;
    let hits = plain
        .find(json!({"query": QUERY, "limit": 3, "threshold": 0}))
        .await;
    plain.stop().await;
    names(&hits)
}

#[tokio::test]
async fn a_tei_reranker_reorders_the_fused_top_and_says_so() {
    let fake = FakeReranker::start("paper").await;
    let app = app_with(&fake, &[]).await;
    let fused = fused_order(&app).await;
    assert_ne!(
        fused[0], "post_letter",
        "the reranker must change something: {fused:?}"
    );
    let (header, hits) = search(&app).await;
    assert_eq!(header.as_deref(), Some("applied"));
    assert_eq!(hits[0]["name"], "post_letter", "{hits:?}");
    assert_eq!(hits[0]["explain"]["reranker"], "applied");
    assert_eq!(hits[0]["explain"]["rerank_score"], 1.0);
    let body = fake.bodies.lock().await[0].clone();
    assert_eq!(body["query"], QUERY);
    assert!(body["texts"].as_array().unwrap().len() >= 3, "{body}");
}

#[tokio::test]
async fn a_cohere_style_reranker_gets_its_model_and_documents() {
    let fake = FakeReranker::start("paper").await;
    let app = app_with(
        &fake,
        &[
            ("RERANK_API_FORMAT", "cohere"),
            ("RERANK_MODEL", "rerank-small"),
        ],
    )
    .await;
    let (header, hits) = search(&app).await;
    assert_eq!(header.as_deref(), Some("applied"));
    assert_eq!(hits[0]["name"], "post_letter");
    let body = fake.bodies.lock().await[0].clone();
    assert_eq!(body["model"], "rerank-small");
    assert!(body["documents"].is_array(), "{body}");
}

#[tokio::test]
async fn a_repeated_search_is_answered_from_the_rerank_cache() {
    let fake = FakeReranker::start("paper").await;
    let app = app_with(&fake, &[]).await;
    let first = search(&app).await;
    let again = search(&app).await;
    assert_eq!(first, again);
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn a_failing_reranker_leaves_the_fused_order_and_the_response_says_it_was_skipped() {
    let fake = FakeReranker::start("paper").await;
    fake.set_mode(Mode::Fail(500)).await;
    let app = app_with(&fake, &[("RERANK_MAX_RETRIES", "1")]).await;
    let fused = fused_order(&app).await;
    let (header, hits) = search(&app).await;
    assert_eq!(header.as_deref(), Some("skipped"));
    assert_eq!(names(&hits), fused);
    assert!(hits.iter().all(|h| h["explain"]["reranker"] == "skipped"));
    assert!(hits[0]["explain"]["rerank_score"].is_null());
    assert_eq!(fake.request_count(), 2, "one retry after the 500");
}

#[tokio::test]
async fn a_rate_limited_reranker_is_retried_after_its_retry_after() {
    let fake = FakeReranker::start("paper").await;
    fake.script([Mode::RateLimited]).await;
    let app = app_with(&fake, &[]).await;
    let (header, hits) = search(&app).await;
    assert_eq!(header.as_deref(), Some("applied"));
    assert_eq!(hits[0]["name"], "post_letter");
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn a_reranker_that_hangs_is_given_up_on_and_the_search_still_answers() {
    let fake = FakeReranker::start("paper").await;
    fake.set_mode(Mode::Hang(Duration::from_secs(30))).await;
    let app = app_with(&fake, &[]).await;
    let fused = fused_order(&app).await;
    let (header, hits) = search(&app).await;
    assert_eq!(header.as_deref(), Some("skipped"));
    assert_eq!(names(&hits), fused);
}

#[tokio::test]
async fn without_a_reranker_there_is_no_rerank_header() {
    let app = spawn_app_with(&[]).await;
    catalogue(&app).await;
    let (header, hits) = search(&app).await;
    assert_eq!(header, None);
    assert!(hits[0]["explain"]["reranker"].is_null());
}
