//! Inputs that Schemathesis found to break the service, kept as regression tests.

mod common;

use common::{names, spawn_app};
use serde_json::json;

#[tokio::test]
async fn a_query_with_no_known_words_finds_nothing_rather_than_null_similarities() {
    let app = spawn_app().await;
    app.register("get_weather", "Current weather for a city", "weather", &[])
        .await;
    // The registry is not empty: a query with known words finds the tool...
    let known = app.find(json!({"query": "weather"})).await;
    assert_eq!(
        names(&known).first().map(String::as_str),
        Some("get_weather"),
        "{known:?}"
    );
    // ...and one with none finds nothing (a zero query vector once gave NULL similarities).
    let queries = ["\u{EAFC2}", "!!!", "\u{1F600}"];
    for query in queries {
        let hits = app.find(json!({"query": query})).await;
        assert!(hits.is_empty(), "{query:?} found {hits:?}");
    }
    app.stop().await;
}
