//! Filtered search at 100,000 tools returns `limit` results whenever that many tools match,
//! for vector-only and both hybrid fusions. Rows are inserted directly with random vectors
//! (8 dimensions) and the HNSW index is rebuilt in bulk afterwards (with a small graph, to keep
//! the build quick); the registry's code path is the real one.

mod common;

use common::spawn_app_with;
use serde_json::json;

#[tokio::test]
async fn filtered_search_returns_limit_results_among_100k_tools() {
    let app = spawn_app_with(&[("EMBEDDING_DIMENSION", "8")]).await;
    let mut conn = app.db.acquire().await.unwrap();
    sqlx::query("DROP INDEX tools_embedding_hnsw_idx")
        .execute(&mut *conn)
        .await
        .unwrap();
    // 100 tools in category `rare`, 200 tagged `special`, the rest `common`.
    sqlx::query(
        "INSERT INTO tools (name, description, category, tags, input_schema, embedding, search_vector) \
         SELECT 'bulk_' || i, 'bulk generated tool ' || i, \
                CASE WHEN i % 1000 = 0 THEN 'rare' ELSE 'common' END, \
                CASE WHEN i % 500 = 7 THEN ARRAY['special'] ELSE ARRAY[]::text[] END, \
                '{\"type\": \"object\"}'::jsonb, \
                ARRAY[random() - 0.5, random() - 0.5, random() - 0.5, random() - 0.5, \
                      random() - 0.5, random() - 0.5, random() - 0.5, random() - 0.5]::vector(8), \
                to_tsvector('english', 'bulk generated tool') \
         FROM generate_series(1, 100000) i",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    for sql in [
        "SET maintenance_work_mem = '128MB'",
        "CREATE INDEX tools_embedding_hnsw_idx ON tools \
         USING hnsw (embedding vector_cosine_ops) WITH (m = 4, ef_construction = 16)",
        "ANALYZE tools",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.unwrap();
    }
    drop(conn);
    for hybrid in [
        json!({"use_hybrid": false}),
        json!({"use_hybrid": true, "fusion": "weighted"}),
        json!({"use_hybrid": true, "fusion": "rrf"}),
    ] {
        let mut by_category = json!({"query": "bulk tool", "category": "rare", "limit": 100,
                                     "threshold": -1});
        let mut by_tag = json!({"query": "generated", "tags": ["special"], "limit": 100,
                                "threshold": -1});
        for body in [&mut by_category, &mut by_tag] {
            body.as_object_mut()
                .unwrap()
                .extend(hybrid.as_object().unwrap().clone());
        }
        let hits = app.find(by_category).await;
        assert_eq!(hits.len(), 100, "category filter, {hybrid}");
        assert!(hits.iter().all(|h| h["category"] == "rare"));
        let hits = app.find(by_tag).await;
        assert_eq!(hits.len(), 100, "tag filter, {hybrid}");
    }
}
