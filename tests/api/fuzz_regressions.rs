//! Inputs that Schemathesis found to break the service, kept as regression tests.

use crate::common::spawn_app;
use serde_json::json;

#[tokio::test]
async fn a_query_with_no_known_words_ranks_tools_with_numeric_similarities_not_nulls() {
    let app = spawn_app().await;
    for query in ["\u{EAFC2}", "!!!", "\u{1F600}"] {
        let hits = app.find(json!({"query": query, "threshold": 0})).await;
        // Not vacuous: the built-in tools are ranked (threshold 0), each with numbers.
        assert!(!hits.is_empty(), "{query:?} found nothing to check");
        assert!(
            hits.iter()
                .all(|h| h["similarity"].is_number() && h["relevance"].is_number()),
            "{query:?}: {hits:?}"
        );
    }
    app.stop().await;
}
