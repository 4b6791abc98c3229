//! Hybrid ranking on a small hand-made catalogue: exact names, paraphrases, both fusions with
//! filters and thresholds, `explain`, and the query/document distinctions sent to a model.

use crate::common::fake_embedder::FakeEmbedder;
use crate::common::{TestApp, names, problem, spawn_app, spawn_app_with};
use serde_json::{Value, json};

async fn catalogue(app: &TestApp) {
    let tools: &[(&str, &str, &str, &[&str])] = &[
        (
            "pdf_to_text",
            "Extract plain text from PDF documents",
            "documents",
            &["pdf"],
        ),
        (
            "document_reader",
            "Read office documents and pull out their text content, PDF files included",
            "documents",
            &["office"],
        ),
        (
            "rent_vehicle",
            "Book a rental vehicle for your trip",
            "travel",
            &["cars"],
        ),
        (
            "flight_search",
            "Search cheap flights between airports",
            "travel",
            &["flights"],
        ),
        (
            "get_weather",
            "Current weather and forecast for a city",
            "weather",
            &["forecast"],
        ),
        (
            "SEOTool",
            "Audit a website for search engine ranking problems",
            "web",
            &[],
        ),
    ];
    for (name, description, category, tags) in tools {
        app.register(name, description, category, tags).await;
    }
}

async fn app_with_model() -> (TestApp, FakeEmbedder) {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[("EMBEDDING_ENDPOINT_URL", fake.url.as_str())]).await;
    catalogue(&app).await;
    (app, fake)
}

fn scores(hits: &[Value], key: &str) -> Vec<f64> {
    hits.iter().map(|h| h[key].as_f64().unwrap()).collect()
}

#[tokio::test]
async fn an_exact_tool_name_beats_a_loose_paraphrase_with_both_fusions() {
    let app = spawn_app().await;
    catalogue(&app).await;
    for fusion in ["weighted", "rrf"] {
        let hits = app
            .find(json!({"query": "pdf to text", "use_hybrid": true, "fusion": fusion}))
            .await;
        assert_eq!(
            names(&hits)[..2],
            ["pdf_to_text", "document_reader"],
            "{fusion}"
        );
    }
}

#[tokio::test]
async fn identifier_names_match_their_words_in_full_text_search() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let hits = app
        .find(json!({"query": "seo", "use_hybrid": true, "explain": true, "limit": 1}))
        .await;
    assert_eq!(names(&hits), ["SEOTool"]);
    assert!(hits[0]["explain"]["text_score"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn a_paraphrase_with_no_shared_word_is_found_through_the_vector_side() {
    let (app, _fake) = app_with_model().await;
    for fusion in ["weighted", "rrf"] {
        let hits = app
            .find(
                json!({"query": "hire an automobile", "use_hybrid": true, "fusion": fusion,
                         "explain": true}),
            )
            .await;
        assert_eq!(hits[0]["name"], "rent_vehicle", "{fusion}: {hits:?}");
        assert_eq!(hits[0]["explain"]["text_score"], 0.0, "no word in common");
        assert!(hits[0]["explain"]["text_rank"].is_null());
    }
}

#[tokio::test]
async fn both_fusions_honour_category_and_tag_filters() {
    let app = spawn_app().await;
    catalogue(&app).await;
    for fusion in ["weighted", "rrf"] {
        let hits = app
            .find(
                json!({"query": "pdf text", "use_hybrid": true, "fusion": fusion,
                         "category": "travel", "limit": 5, "threshold": -1}),
            )
            .await;
        assert_eq!(hits.len(), 2, "{fusion}");
        assert!(hits.iter().all(|h| h["category"] == "travel"), "{fusion}");
        let tagged = app
            .find(
                json!({"query": "pdf text", "use_hybrid": true, "fusion": fusion,
                         "tags": ["office"], "threshold": -1}),
            )
            .await;
        assert_eq!(names(&tagged), ["document_reader"], "{fusion}");
    }
}

#[tokio::test]
async fn both_fusions_apply_the_threshold_to_relevance() {
    let app = spawn_app().await;
    catalogue(&app).await;
    for fusion in ["weighted", "rrf"] {
        let hits = app
            .find(
                json!({"query": "extract text from a pdf", "use_hybrid": true,
                         "fusion": fusion, "threshold": 0.3}),
            )
            .await;
        assert!(!hits.is_empty(), "{fusion}");
        assert!(
            scores(&hits, "relevance").iter().all(|s| *s >= 0.3),
            "{fusion}"
        );
        let none = app
            .find(
                json!({"query": "zebra giraffe savanna", "use_hybrid": true, "fusion": fusion,
                         "threshold": 0.9}),
            )
            .await;
        assert!(
            none.is_empty(),
            "{fusion}: nothing passes, nothing returned: {none:?}"
        );
    }
}

#[tokio::test]
async fn hits_are_ordered_by_score_and_explain_shows_each_component() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let hits = app
        .find(
            json!({"query": "weather forecast", "use_hybrid": true, "fusion": "weighted",
                     "explain": true}),
        )
        .await;
    let s = scores(&hits, "score");
    assert!(s.windows(2).all(|w| w[0] >= w[1]), "{s:?}");
    let top = &hits[0]["explain"];
    assert_eq!(top["method"], "hybrid-weighted");
    assert!((top["vector_weight"].as_f64().unwrap() - 0.7).abs() < 1e-6);
    let expected = 0.7 * top["vector_normalized"].as_f64().unwrap()
        + 0.3 * top["text_normalized"].as_f64().unwrap();
    assert!((hits[0]["score"].as_f64().unwrap() - expected).abs() < 1e-4);
    let plain = app.find(json!({"query": "weather forecast"})).await;
    assert!(plain[0].get("explain").is_none());
    assert!(plain[0]["score"].is_number());
}

#[tokio::test]
async fn vector_only_search_scores_by_similarity() {
    let app = spawn_app().await;
    catalogue(&app).await;
    let hits = app
        .find(json!({"query": "weather forecast", "use_hybrid": false}))
        .await;
    assert_eq!(hits[0]["name"], "get_weather");
    assert_eq!(scores(&hits, "score"), scores(&hits, "similarity"));
}

#[tokio::test]
async fn an_unknown_fusion_is_refused_with_its_pointer() {
    let app = spawn_app().await;
    let body = problem(
        app.post("/mcp/find_tool", json!({"query": "x", "fusion": "max"}))
            .await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "/fusion");
}

#[tokio::test]
async fn queries_and_documents_get_their_own_prefix_and_input_type() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", fake.url.as_str()),
        ("EMBEDDING_QUERY_PREFIX", "query: "),
        ("EMBEDDING_DOCUMENT_PREFIX", "passage: "),
        ("EMBEDDING_QUERY_INPUT_TYPE", "query"),
        ("EMBEDDING_DOCUMENT_INPUT_TYPE", "passage"),
    ])
    .await;
    app.register("get_weather", "Weather for a city", "weather", &[])
        .await;
    app.find(json!({"query": "rain tomorrow"})).await;
    let inputs = fake.inputs.lock().await.clone();
    let types: Vec<Option<String>> = fake
        .bodies
        .lock()
        .await
        .iter()
        .map(|(body, _)| body["input_type"].as_str().map(str::to_owned))
        .collect();
    let doc = inputs
        .iter()
        .position(|b| b[0].contains("Weather for a city"))
        .unwrap();
    assert!(
        inputs[doc][0].starts_with("passage: get weather: "),
        "{inputs:?}"
    );
    assert_eq!(types[doc].as_deref(), Some("passage"));
    let last = inputs.len() - 1;
    assert_eq!(inputs[last], ["query: rain tomorrow"]);
    assert_eq!(types[last].as_deref(), Some("query"));
}

#[tokio::test]
async fn queries_of_stop_words_or_punctuation_answer_without_error() {
    let app = spawn_app().await;
    catalogue(&app).await;
    // Nothing to match (the built-in embedder drops stop words): an empty list, not a 500.
    for query in ["the", "?!& | :*"] {
        let resp = app
            .post("/mcp/find_tool", json!({"query": query, "threshold": -1}))
            .await;
        assert_eq!(resp.status(), 200, "{query}");
    }
    // tsquery operators in the text are words, never syntax.
    let hits = app
        .find(json!({"query": "weather?! & | :* '); DROP TABLE tools; --", "limit": 1}))
        .await;
    assert_eq!(names(&hits), ["get_weather"]);
}
