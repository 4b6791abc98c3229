//! Measures vector search on the embedded store: `SqliteStore::search` (the exact in-memory
//! index, src/store/sqlite/vectors.rs) against a sqlite-vec `vec0` virtual table (also an
//! exact scan, inside SQLite), at N tools (argument 1).
//!
//! `cargo run --release --example sqlite_search_bench -- 100000`

use std::collections::HashMap;
use std::time::Instant;

use sqlx::sqlite::SqlitePoolOptions;
use toolbox::Config;
use toolbox::domain::Embedding;
use toolbox::embedding::BuiltinEmbedder;
use toolbox::store::SearchFilter;
use toolbox::store::sqlite::{SqliteStore, migrate};

const DIM: usize = 384;
const WORDS: &[&str] = &[
    "weather",
    "forecast",
    "email",
    "send",
    "pdf",
    "convert",
    "image",
    "resize",
    "currency",
    "exchange",
    "translate",
    "text",
    "calendar",
    "event",
    "search",
    "web",
    "database",
    "query",
    "file",
    "upload",
    "audio",
    "transcribe",
    "video",
    "stock",
    "price",
    "map",
    "route",
    "news",
    "summarize",
    "code",
    "run",
    "sql",
    "chart",
    "plot",
    "invoice",
    "payment",
    "user",
    "login",
];

fn text(i: usize) -> String {
    let mut h = i as u64 * 0x9E37_79B9_7F4A_7C15 + 1;
    let mut words = Vec::new();
    for _ in 0..8 {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        words.push(WORDS[(h % WORDS.len() as u64) as usize]);
    }
    words.join(" ")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(10_000, |a| a.parse().unwrap());
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let cfg = Config::from_map(&HashMap::new())?.database;
    let store = SqliteStore::open(&url, &cfg)?;
    migrate(&store, DIM).await?;
    let emb = BuiltinEmbedder::new(DIM);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    for i in 0..n {
        let t = text(i);
        let v: Vec<u8> = emb
            .embed_text(&t)
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        sqlx::query(
            "INSERT INTO tools (name, description, category, tags, examples, input_schema, embedding, \
             created_at, updated_at) VALUES (?1, ?2, ?3, '[]', '[]', '{\"type\":\"object\"}', ?4, \
             '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
        )
        .bind(format!("tool_{i}"))
        .bind(&t)
        .bind(format!("cat{}", i % 50))
        .bind(v)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    println!(
        "inserted {n} tools in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE VIRTUAL TABLE v USING vec0(embedding float[{DIM}] distance_metric=cosine)"
    )))
    .execute(&pool)
    .await?;
    sqlx::query("INSERT INTO v (rowid, embedding) SELECT id, embedding FROM tools")
        .execute(&pool)
        .await?;

    let queries: Vec<Embedding> = (0..20)
        .map(|i| Embedding::parse(emb.embed_text(&text(n + i)), DIM).unwrap())
        .collect();
    for (label, filter) in [
        ("unfiltered", SearchFilter::default()),
        (
            "category (2%)",
            SearchFilter {
                category: Some("cat7".into()),
                tags: None,
            },
        ),
    ] {
        store.search(&queries[0], &filter, 10, -1.0, None).await?;
        let t = Instant::now();
        for q in &queries {
            let hits = store.search(q, &filter, 10, -1.0, None).await?;
            assert_eq!(hits.len(), 10);
        }
        let ms = t.elapsed().as_secs_f64() * 1000.0 / queries.len() as f64;
        println!("store.search, exact in-memory index, {label}: {ms:.1} ms/query");
    }
    let t = Instant::now();
    for q in &queries {
        let blob: Vec<u8> = q.as_slice().iter().flat_map(|x| x.to_le_bytes()).collect();
        let rows: Vec<(i64, f64)> =
            sqlx::query_as("SELECT rowid, distance FROM v WHERE embedding MATCH ?1 AND k = 10")
                .bind(blob)
                .fetch_all(&pool)
                .await?;
        assert_eq!(rows.len(), 10);
    }
    let ms = t.elapsed().as_secs_f64() * 1000.0 / queries.len() as f64;
    println!("vec0 KNN, unfiltered: {ms:.1} ms/query");
    Ok(())
}
