//! Semantic search (`/mcp/find_tool`) and similar tools, against the real server.

use crate::common::{names, problem, spawn_app};
use serde_json::json;

async fn catalogue(app: &crate::common::TestApp) {
    app.register(
        "get_weather",
        "Current weather and forecast for a city",
        "weather",
        &["forecast", "climate"],
    )
    .await;
    app.register(
        "send_email",
        "Send an email message to a recipient",
        "communication",
        &["email"],
    )
    .await;
    app.register(
        "send_sms",
        "Send a text message to a phone number",
        "communication",
        &["sms", "phone"],
    )
    .await;
    app.register(
        "pdf_to_text",
        "Extract plain text from PDF documents",
        "documents",
        &["pdf"],
    )
    .await;
    app.register(
        "translate_text",
        "Translate text between languages",
        "language",
        &["translation"],
    )
    .await;
}

#[tokio::test]
async fn find_tool_returns_the_closest_tool_first_with_the_documented_fields() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let hits = app
        .find(json!({"query": "what is the weather forecast in Paris"}))
        .await;
    assert_eq!(hits[0]["name"], "get_weather");
    for key in [
        "name",
        "description",
        "category",
        "similarity",
        "input_schema",
    ] {
        assert!(hits[0].get(key).is_some(), "hit lacks {key}");
    }
    let sims: Vec<f64> = hits
        .iter()
        .map(|h| h["similarity"].as_f64().unwrap())
        .collect();
    assert!(
        sims.windows(2).all(|w| w[0] >= w[1]),
        "not sorted: {sims:?}"
    );
}

#[tokio::test]
async fn find_tool_honours_limit() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let hits = app
        .find(json!({"query": "send a message", "limit": 2}))
        .await;
    assert_eq!(hits.len(), 2);
    assert!(
        names(&hits).iter().all(|n| n.starts_with("send_")),
        "{hits:?}"
    );
}

#[tokio::test]
async fn a_whole_number_written_with_a_decimal_point_is_an_integer_limit() {
    // JSON Schema (and so the API description) counts 2.0 as an integer.
    let app = spawn_app().await;
    catalogue(&app).await;
    let hits = app
        .find(json!({"query": "send a message", "limit": 2.0}))
        .await;
    assert_eq!(hits.len(), 2);
    let resp = app
        .post("/mcp/find_tool", json!({"query": "x", "limit": 2.5}))
        .await;
    let b = problem(resp, 422).await;
    assert_eq!(b["errors"][0]["pointer"], "/limit");
}

#[tokio::test]
async fn find_tool_drops_results_below_the_threshold() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let hits = app
        .find(json!({"query": "extract text from a pdf", "threshold": 0.3}))
        .await;
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["relevance"].as_f64().unwrap() >= 0.3));
    let none = app
        .find(json!({"query": "zebra giraffe savanna", "threshold": 0.9}))
        .await;
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test]
async fn find_tool_filters_by_category_and_tags_in_the_same_query() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let hits = app
        .find(
            json!({"query": "weather forecast", "category": "communication", "limit": 5,
                     "threshold": 0}),
        )
        .await;
    assert_eq!(names(&hits).len(), 2);
    assert!(hits.iter().all(|h| h["category"] == "communication"));
    let tagged = app
        .find(json!({"query": "message", "tags": ["sms"], "threshold": 0}))
        .await;
    assert_eq!(names(&tagged), ["send_sms"]);
}

#[tokio::test]
async fn filtered_search_returns_limit_results_when_enough_tools_match() {
    let app = spawn_app().await;
    // Many near-duplicates outside the filter crowd the nearest neighbours.
    for i in 0..60 {
        app.register(
            &format!("noise_{i}"),
            "convert currency exchange rates",
            "finance",
            &[],
        )
        .await;
    }
    for i in 0..8 {
        app.register(
            &format!("rare_{i}"),
            &format!("unrelated gardening helper {i}"),
            "garden",
            &[],
        )
        .await;
    }
    let hits = app
        .find(
            json!({"query": "convert currency exchange rates", "category": "garden", "limit": 8,
                     "threshold": 0}),
        )
        .await;
    assert_eq!(hits.len(), 8);
}

#[tokio::test]
async fn find_tool_rejects_bad_parameters_with_pointers() {
    let app = spawn_app().await;
    let b = problem(app.post("/mcp/find_tool", json!({"query": ""})).await, 422).await;
    assert_eq!(b["errors"][0]["pointer"], "/query");
    let b = problem(
        app.post("/mcp/find_tool", json!({"query": "x", "limit": 0}))
            .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["pointer"], "/limit");
    let b = problem(
        app.post("/mcp/find_tool", json!({"query": "x", "threshold": 3}))
            .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["pointer"], "/threshold");
    let b = problem(
        app.post("/mcp/find_tool", json!({"query": "x", "limit": "ten"}))
            .await,
        422,
    )
    .await;
    assert_eq!(b["errors"][0]["pointer"], "/limit");
    let b = problem(app.post("/mcp/find_tool", json!({})).await, 422).await;
    assert!(b["detail"].as_str().unwrap().contains("query"), "{b}");
}

#[tokio::test]
async fn similar_returns_neighbours_without_the_tool_itself() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let hits: Vec<serde_json::Value> = app
        .get("/tools/send_email/similar?limit=2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0]["name"], "send_sms");
    assert!(!names(&hits).contains(&"send_email".to_owned()));
    problem(app.get("/tools/nope/similar").await, 404).await;
    problem(app.get("/tools/send_email/similar?limit=abc").await, 400).await;
}

/// The value of the counter `toolbox_search_cache_total{result="…"}` on `/metrics` (0 before
/// its first increment).
async fn search_cache(app: &crate::common::TestApp, result: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    let wanted = format!("toolbox_search_cache_total{{result=\"{result}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&wanted))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn a_repeated_search_is_answered_from_the_cache_until_the_index_changes() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let query = json!({"query": "send a text message to a phone", "limit": 3, "explain": true});
    let first = app.find(query.clone()).await;
    let hits_before = search_cache(&app, "hit").await;
    let again = app.find(query.clone()).await;
    assert_eq!(again, first, "a cached ranking answers what the search did");
    assert_eq!(search_cache(&app, "hit").await, hits_before + 1);
    assert_eq!(first[0]["name"], "send_sms");

    // Each write moves the index on: the same search ranks afresh and sees it at once.
    app.register(
        "text_a_phone",
        "Send a text message to a phone, a text message to a phone number",
        "communication",
        &["sms", "phone", "text"],
    )
    .await;
    let after_create = app.find(query.clone()).await;
    assert_eq!(after_create[0]["name"], "text_a_phone");
    let r = app
        .put(
            "/tools/text_a_phone",
            json!({"description": "Print a page", "tags": []}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let after_update = app.find(query.clone()).await;
    assert_eq!(after_update[0]["name"], "send_sms");
    let updated = after_update
        .iter()
        .find(|h| h["name"] == "text_a_phone")
        .map(|h| h["description"].clone());
    assert!(
        updated.is_none() || updated == Some(json!("Print a page")),
        "a hit carries the tool as stored now: {updated:?}"
    );
    assert_eq!(app.delete("/tools/send_sms").await.status(), 204);
    let after_delete = app.find(query).await;
    assert!(!names(&after_delete).contains(&"send_sms".to_owned()));
}

#[tokio::test]
async fn searches_that_differ_in_any_parameter_are_ranked_apart() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let base = json!({"query": "send a message", "limit": 5});
    let all = app.find(base.clone()).await;
    assert!(all.len() >= 2);
    let one = app
        .find(json!({"query": "send a message", "limit": 1}))
        .await;
    assert_eq!(one.len(), 1);
    let sms_only = app
        .find(json!({"query": "send a message", "limit": 5, "tags": ["sms"]}))
        .await;
    assert_eq!(names(&sms_only), ["send_sms"]);
    let hybrid = app
        .find(json!({"query": "send a message", "limit": 5, "explain": true}))
        .await;
    assert_eq!(hybrid[0]["explain"]["method"], "hybrid-weighted");
    let vector = app
        .find(json!({"query": "send a message", "limit": 5, "explain": true, "use_hybrid": false}))
        .await;
    assert_eq!(vector[0]["explain"]["method"], "vector");
    let strict = app
        .find(json!({"query": "zebra giraffe savanna", "limit": 5, "threshold": 0.9}))
        .await;
    assert!(strict.is_empty(), "{strict:?}");
    assert_eq!(app.find(base).await, all);
}
