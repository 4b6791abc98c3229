//! The HTTP embedding client and its cache against a real local server: retries, timeouts,
//! formats, batching, dimension checks and request coalescing. No database needed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::fake_embedder::{FakeEmbedder, Mode};
use toolbox::Config;
use toolbox::embedding::{
    BuiltinEmbedder, CachedEmbedder, Embedder, EmbeddingError, EmbeddingStats, HttpEmbedder,
    InputKind,
};

fn client(fake: &FakeEmbedder, vars: &[(&str, &str)]) -> (HttpEmbedder, Arc<EmbeddingStats>) {
    let mut env: HashMap<String, String> =
        HashMap::from([("EMBEDDING_ENDPOINT_URL".into(), fake.url.clone())]);
    for (k, v) in vars {
        env.insert((*k).into(), (*v).into());
    }
    let cfg = Config::from_map(&env).expect("valid configuration");
    let stats = Arc::new(EmbeddingStats::default());
    (
        HttpEmbedder::new(&cfg.embedding, stats.clone()).unwrap(),
        stats,
    )
}

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("text number {i}")).collect()
}

#[tokio::test]
async fn a_500_then_success_is_retried_and_succeeds() {
    let fake = FakeEmbedder::start(384).await;
    fake.script([Mode::Fail(500)]).await;
    let (c, stats) = client(&fake, &[]);
    let v = c.embed_one("hello", InputKind::Query).await.unwrap();
    assert_eq!(v.as_slice().len(), 384);
    assert_eq!(fake.request_count(), 2);
    assert_eq!(stats.snapshot().retries, 1);
}

#[tokio::test]
async fn a_429_with_retry_after_waits_at_least_that_long() {
    let fake = FakeEmbedder::start(384).await;
    fake.script([Mode::RateLimited(1)]).await;
    let (c, _) = client(&fake, &[]);
    let started = Instant::now();
    c.embed_one("hello", InputKind::Query).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn a_hang_hits_the_attempt_timeout_and_is_retried() {
    let fake = FakeEmbedder::start(384).await;
    fake.script([Mode::Hang(Duration::from_secs(20))]).await;
    let (c, _) = client(
        &fake,
        &[
            ("EMBEDDING_ATTEMPT_TIMEOUT_MS", "300"),
            ("EMBEDDING_TIMEOUT_MS", "10000"),
        ],
    );
    c.embed_one("hello", InputKind::Query).await.unwrap();
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let fake = FakeEmbedder::start(384).await;
    fake.set_mode(Mode::Fail(400)).await;
    let (c, _) = client(&fake, &[]);
    let err = c.embed_one("hello", InputKind::Query).await.unwrap_err();
    assert!(err.to_string().contains("400"), "{err}");
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn retries_stop_at_the_configured_number() {
    let fake = FakeEmbedder::start(384).await;
    fake.set_mode(Mode::Fail(503)).await;
    let (c, stats) = client(&fake, &[("EMBEDDING_MAX_RETRIES", "2")]);
    let err = c.embed_one("hello", InputKind::Query).await.unwrap_err();
    assert!(matches!(err, EmbeddingError::Unavailable { .. }), "{err}");
    assert_eq!(fake.request_count(), 3);
    assert_eq!(stats.snapshot().upstream_failures, 1);
}

#[tokio::test]
async fn retries_stop_when_the_time_budget_is_spent() {
    let fake = FakeEmbedder::start(384).await;
    fake.set_mode(Mode::RateLimited(30)).await;
    let (c, _) = client(&fake, &[("EMBEDDING_TIMEOUT_MS", "2000")]);
    let started = Instant::now();
    let err = c.embed_one("hello", InputKind::Query).await.unwrap_err();
    assert!(err.to_string().contains("budget"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn batches_are_split_at_the_configured_size_and_keep_their_order() {
    let fake = FakeEmbedder::start(384).await;
    let (c, _) = client(&fake, &[("EMBEDDING_BATCH_SIZE", "10")]);
    let input = texts(25);
    let out = c.embed(&input, InputKind::Document).await.unwrap();
    let mut sizes = fake.batch_sizes().await;
    sizes.sort();
    assert_eq!(sizes, [5, 10, 10]);
    let local = BuiltinEmbedder::new(384);
    for (text, emb) in input.iter().zip(&out) {
        assert_eq!(emb.as_slice(), local.embed_text(text).as_slice());
    }
}

#[tokio::test]
async fn concurrent_batches_are_bounded_by_max_concurrency() {
    let fake = FakeEmbedder::start(384).await;
    fake.set_mode(Mode::Hang(Duration::from_millis(300))).await;
    let (c, _) = client(
        &fake,
        &[
            ("EMBEDDING_BATCH_SIZE", "1"),
            ("EMBEDDING_MAX_CONCURRENCY", "2"),
        ],
    );
    c.embed(&texts(8), InputKind::Document).await.unwrap();
    assert_eq!(fake.request_count(), 8);
    assert_eq!(
        fake.max_in_flight.load(std::sync::atomic::Ordering::SeqCst),
        2
    );
}

#[tokio::test]
async fn the_openai_format_sends_model_key_and_input_type() {
    let fake = FakeEmbedder::start(384).await;
    let (c, _) = client(
        &fake,
        &[
            ("EMBEDDING_MODEL", "my-model"),
            ("EMBEDDING_API_KEY", "sekret"),
            ("EMBEDDING_SEND_INPUT_TYPE", "true"),
        ],
    );
    c.embed_one("hello", InputKind::Document).await.unwrap();
    let (body, auth) = fake.bodies.lock().await[0].clone();
    assert_eq!(body["model"], "my-model");
    assert_eq!(body["input_type"], "passage");
    assert_eq!(auth.as_deref(), Some("Bearer sekret"));
}

#[tokio::test]
async fn the_tei_format_parses_and_sends_no_model() {
    let fake = FakeEmbedder::start(384).await;
    let (c, _) = client(&fake, &[("EMBEDDING_API_FORMAT", "tei")]);
    let out = c.embed(&texts(3), InputKind::Query).await.unwrap();
    assert_eq!(out.len(), 3);
    let (body, _) = fake.bodies.lock().await[0].clone();
    assert_eq!(body["inputs"].as_array().unwrap().len(), 3);
    assert!(body.get("model").is_none());
}

#[tokio::test]
async fn prefixes_are_prepended_by_input_kind() {
    let fake = FakeEmbedder::start(384).await;
    let env = HashMap::from([
        ("EMBEDDING_ENDPOINT_URL".to_owned(), fake.url.clone()),
        ("EMBEDDING_QUERY_PREFIX".to_owned(), "query: ".to_owned()),
        (
            "EMBEDDING_DOCUMENT_PREFIX".to_owned(),
            "passage: ".to_owned(),
        ),
        ("ENABLE_CACHE".to_owned(), "false".to_owned()),
    ]);
    let cfg = Config::from_map(&env).unwrap();
    let c = toolbox::embedding::from_config(&cfg.embedding).unwrap();
    c.embed_one("a", InputKind::Query).await.unwrap();
    c.embed_one("b", InputKind::Document).await.unwrap();
    let inputs = fake.inputs.lock().await.clone();
    assert_eq!(inputs, [vec!["query: a"], vec!["passage: b"]]);
}

#[tokio::test]
async fn a_wrong_dimension_is_refused() {
    let fake = FakeEmbedder::start(384).await;
    fake.set_mode(Mode::WrongDimension(12)).await;
    let (c, _) = client(&fake, &[]);
    let err = c.embed_one("hello", InputKind::Query).await.unwrap_err();
    assert!(matches!(err, EmbeddingError::BadResponse { .. }), "{err}");
    assert!(err.to_string().contains("384"), "{err}");
}

fn cached(fake: &FakeEmbedder) -> (Arc<CachedEmbedder>, Arc<EmbeddingStats>) {
    let (c, stats) = client(fake, &[]);
    let cache = CachedEmbedder::new(Arc::new(c), 100, Duration::from_secs(60), stats.clone());
    (Arc::new(cache), stats)
}

#[tokio::test]
async fn a_cache_hit_makes_no_upstream_request() {
    let fake = FakeEmbedder::start(384).await;
    let (c, stats) = cached(&fake);
    let first = c.embed_one("weather", InputKind::Query).await.unwrap();
    let second = c.embed_one("weather", InputKind::Query).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(fake.request_count(), 1);
    // Same text as a document is another key.
    c.embed_one("weather", InputKind::Document).await.unwrap();
    assert_eq!(fake.request_count(), 2);
    let s = stats.snapshot();
    assert_eq!((s.cache_hits, s.cache_misses), (1, 2));
}

#[tokio::test]
async fn a_hundred_concurrent_identical_queries_make_one_upstream_request() {
    let fake = FakeEmbedder::start(384).await;
    fake.set_mode(Mode::Hang(Duration::from_millis(300))).await;
    let (c, _) = cached(&fake);
    let calls = (0..100).map(|_| {
        let c = c.clone();
        tokio::spawn(async move { c.embed_one("same query", InputKind::Query).await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn a_failed_miss_is_not_cached() {
    let fake = FakeEmbedder::start(384).await;
    fake.script([Mode::Fail(400)]).await;
    let (c, _) = cached(&fake);
    assert!(c.embed_one("q", InputKind::Query).await.is_err());
    c.embed_one("q", InputKind::Query).await.unwrap();
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn the_document_input_type_is_part_of_the_model_identity() {
    let fake = FakeEmbedder::start(384).await;
    let plain = client(&fake, &[]).0.model_id();
    let passage = client(&fake, &[("EMBEDDING_DOCUMENT_INPUT_TYPE", "passage")])
        .0
        .model_id();
    let document = client(&fake, &[("EMBEDDING_DOCUMENT_INPUT_TYPE", "document")])
        .0
        .model_id();
    let query_only = client(&fake, &[("EMBEDDING_QUERY_INPUT_TYPE", "query")])
        .0
        .model_id();
    assert_eq!(plain, query_only, "queries are never stored");
    assert_ne!(plain, passage);
    assert_ne!(passage, document);
}
