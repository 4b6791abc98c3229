//! Thresholds on relevance (the similarity calibrated against the query's background) on a
//! fresh install with the built-in embedder, and task queries searched step by step.

use crate::common::{TestApp, names, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn the_plans_example_returns_the_calculator_first_on_a_fresh_install() {
    let app = spawn_app().await;
    let hits = app
        .find(
            json!({"query": "tool to add numbers", "limit": 5, "threshold": 0.7,
                     "use_hybrid": true}),
        )
        .await;
    assert_eq!(hits[0]["name"], "calculator", "{hits:?}");
    let relevance = hits[0]["relevance"].as_f64().unwrap();
    assert!((0.7..=1.0).contains(&relevance), "{relevance}");
    assert!(
        hits[0]["similarity"].as_f64().unwrap() < 0.7,
        "similarity is still the cosine"
    );
}

#[tokio::test]
async fn an_off_topic_request_finds_nothing_above_the_default_threshold() {
    let app = spawn_app().await;
    for query in ["book me a haircut", "fold the laundry"] {
        let hits = app.find(json!({"query": query})).await;
        assert!(hits.is_empty(), "{query}: {hits:?}");
        let all = app.find(json!({"query": query, "threshold": 0})).await;
        assert!(
            !all.is_empty(),
            "{query}: a threshold of 0 keeps every candidate"
        );
    }
}

#[tokio::test]
async fn mcp_find_tool_takes_the_same_threshold_and_reports_relevance() {
    let app = spawn_app().await;
    let result = app
        .mcp(
            "2025-06-18",
            "tools/call",
            json!({"name": "find_tool", "arguments": {"query": "tool to add numbers",
                   "threshold": 0.7}}),
        )
        .await;
    let tools = &result["result"]["structuredContent"]["tools"];
    assert_eq!(tools[0]["name"], "calculator", "{result}");
    assert!(tools[0]["relevance"].as_f64().unwrap() >= 0.7);
    let off = app
        .mcp(
            "2025-06-18",
            "tools/call",
            json!({"name": "find_tool", "arguments": {"query": "book me a haircut"}}),
        )
        .await;
    assert_eq!(
        off["result"]["structuredContent"]["tools"],
        json!([]),
        "{off}"
    );
}

async fn office(app: &TestApp) {
    let tools: &[(&str, &str)] = &[
        (
            "exchange_rate",
            "Current exchange rate between two currencies",
        ),
        (
            "convert_invoice",
            "Convert an invoice into another currency",
        ),
        (
            "send_email",
            "Send an email with an attachment to a recipient",
        ),
        ("weather_forecast", "Weather forecast for a city"),
        (
            "currency_news",
            "News about currency markets and exchange rates",
        ),
    ];
    for (name, description) in tools {
        app.register(name, description, "office", &[]).await;
    }
}

fn steps(hits: &[Value]) -> Vec<Value> {
    hits.iter()
        .map(|h| h["explain"]["step"]["index"].clone())
        .collect()
}

#[tokio::test]
async fn a_request_naming_its_steps_finds_a_tool_for_each_and_says_which_step_it_answers() {
    let app = spawn_app().await;
    office(&app).await;
    let query = "look up the exchange rate for euros, then convert the invoice, then email it";
    let hits = app
        .find(json!({"query": query, "limit": 3, "threshold": 0, "explain": true}))
        .await;
    let mut found = names(&hits);
    found.sort();
    assert_eq!(
        found,
        ["convert_invoice", "exchange_rate", "send_email"],
        "{hits:?}"
    );
    let by_name = |n: &str| hits.iter().find(|h| h["name"] == n).unwrap().clone();
    assert_eq!(by_name("send_email")["explain"]["step"]["index"], 3);
    assert_eq!(by_name("send_email")["explain"]["step"]["text"], "email it");
    assert_eq!(by_name("exchange_rate")["explain"]["step"]["index"], 1);
    let single = app
        .find(
            json!({"query": query, "limit": 3, "threshold": 0, "explain": true,
                     "mode": "single"}),
        )
        .await;
    assert!(steps(&single).iter().all(Value::is_null), "{single:?}");
}

#[tokio::test]
async fn a_single_intent_query_ranks_exactly_as_a_single_search() {
    let app = spawn_app().await;
    office(&app).await;
    for query in [
        "exchange rate between euros and dollars",
        "I need the weather. Is it going to rain in Lisbon?",
        "send an email and attach the invoice",
    ] {
        let body = |mode: Option<&str>| {
            let mut b = json!({"query": query, "limit": 5, "threshold": 0, "explain": true});
            if let Some(m) = mode {
                b["mode"] = json!(m);
            }
            b
        };
        let auto = app.find(body(None)).await;
        let single = app.find(body(Some("single"))).await;
        assert!(!auto.is_empty(), "{query}");
        assert_eq!(auto, single, "{query}");
        assert!(steps(&auto).iter().all(Value::is_null), "{query}: {auto:?}");
    }
}

#[tokio::test]
async fn an_unknown_mode_is_a_problem_at_its_pointer() {
    let app = spawn_app().await;
    let resp = app
        .post("/mcp/find_tool", json!({"query": "x", "mode": "steps"}))
        .await;
    let b = crate::common::problem(resp, 422).await;
    assert_eq!(b["errors"][0]["pointer"], "/mode");
}
