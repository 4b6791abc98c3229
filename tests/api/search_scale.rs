//! Filtered search at 100,000 tools returns `limit` results whenever that many tools match,
//! for vector-only and both hybrid fusions. Rows are inserted directly in SQL with random
//! vectors (8 dimensions), behind the service's back as another process would: the search
//! index takes them from the change log; the registry's code path is the real one.

use crate::common::{Backend, backend, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn filtered_search_returns_limit_results_among_100k_tools() {
    let app = spawn_app_with(&[("EMBEDDING_DIMENSION", "8")]).await;
    let mut conn = app.db.acquire().await.unwrap();
    let setup: &[&'static str] = match backend() {
        Backend::Postgres => &POSTGRES_SETUP,
        Backend::Sqlite => &SQLITE_SETUP,
    };
    for sql in setup {
        sqlx::query(*sql).execute(&mut *conn).await.unwrap();
    }
    drop(conn);
    let count = app.count("SELECT count(*) FROM tools").await as u64;
    app.wait_for_indexed(count, std::time::Duration::from_secs(180))
        .await;
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

/// 100 tools in category `rare`, 200 tagged `special`, the rest `common`.
const POSTGRES_SETUP: [&str; 2] = [
    "INSERT INTO tools (name, description, category, tags, input_schema, embedding) \
     SELECT 'bulk_' || i, 'bulk generated tool ' || i, \
            CASE WHEN i % 1000 = 0 THEN 'rare' ELSE 'common' END, \
            CASE WHEN i % 500 = 7 THEN ARRAY['special'] ELSE ARRAY[]::text[] END, \
            '{\"type\": \"object\"}'::jsonb, \
            ARRAY[random() - 0.5, random() - 0.5, random() - 0.5, random() - 0.5, \
                  random() - 0.5, random() - 0.5, random() - 0.5, random() - 0.5]::vector(8) \
     FROM generate_series(1, 100000) i",
    "ANALYZE tools",
];

/// The same rows in the embedded store, with their tag rows.
const SQLITE_SETUP: [&str; 3] = [
    "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000) \
     INSERT INTO tools (name, description, category, tags, examples, input_schema, embedding, \
                        created_at, updated_at) \
     SELECT 'bulk_' || i, 'bulk generated tool ' || i, \
            CASE WHEN i % 1000 = 0 THEN 'rare' ELSE 'common' END, \
            CASE WHEN i % 500 = 7 THEN '[\"special\"]' ELSE '[]' END, '[]', \
            '{\"type\": \"object\"}', \
            vec_f32(json_array(random() / 18446744073709551616.0, random() / 18446744073709551616.0, \
                               random() / 18446744073709551616.0, random() / 18446744073709551616.0, \
                               random() / 18446744073709551616.0, random() / 18446744073709551616.0, \
                               random() / 18446744073709551616.0, random() / 18446744073709551616.0)), \
            '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z' \
     FROM s",
    "INSERT INTO tool_tags (tool_id, tag) SELECT id, 'special' FROM tools WHERE tags = '[\"special\"]'",
    "ANALYZE",
];
