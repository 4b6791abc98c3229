//! The search index is derived state: every replica's index converges on the table, whoever
//! writes and whatever happens to its database connections. Convergence is checked by
//! `/ready`'s `search_index.digest`, an order-independent hash of what the index holds,
//! against the same hash computed here from the table.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use toolbox::Config;
use toolbox::registry::index_doc;

use crate::common::{TestApp, fresh_database, spawn_app_on};

/// The digest an index holding exactly the table's tools has.
async fn table_digest(database_url: &str) -> String {
    let vars =
        std::collections::HashMap::from([("DATABASE_URL".to_owned(), database_url.to_owned())]);
    let cfg = Config::from_map(&vars).unwrap();
    let store = toolbox::store::connect(&cfg.database).unwrap();
    let mut digest = 0u64;
    let mut after = 0;
    loop {
        let rows = store.index_rows_after(after, 500).await.unwrap();
        let Some(last) = rows.last() else { break };
        after = last.tool.id;
        for row in rows {
            digest = digest.wrapping_add(index_doc(row, cfg.embedding.dimension).fingerprint());
        }
    }
    store.close().await;
    format!("{digest:016x}")
}

async fn index_digest(app: &TestApp) -> String {
    let ready: Value = app.get("/ready").await.json().await.unwrap_or_default();
    ready["search_index"]["digest"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits (up to 30 s: a hang, not a timing assertion) until every app's index equals the table.
async fn wait_for_convergence(apps: &[&TestApp]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let want = table_digest(&apps[0].database_url).await;
        let mut got = Vec::new();
        for app in apps {
            got.push(index_digest(app).await);
        }
        if got.iter().all(|g| *g == want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "indexes {got:?} never matched the table's {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn tool(name: &str, description: &str) -> Value {
    json!({"name": name, "description": description, "category": "sync",
           "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}})
}

/// Creates, updates, deletes and bulk-imports through `app`, tools named `{prefix}_*`.
async fn churn(app: &TestApp, prefix: &str) {
    for i in 0..12 {
        let name = format!("{prefix}_{i}");
        let r = app
            .post("/tools", tool(&name, &format!("{prefix} tool {i}")))
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        if i % 3 == 0 {
            let r = app
                .put(
                    &format!("/tools/{name}"),
                    json!({"description": format!("edited {prefix} {i}")}),
                )
                .await;
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
        if i % 4 == 1 {
            assert_eq!(app.delete(&format!("/tools/{name}")).await.status(), 204);
        }
    }
    let bulk: Vec<Value> = (0..40)
        .map(|i| tool(&format!("{prefix}_bulk_{i}"), &format!("bulk {prefix} {i}")))
        .collect();
    let r = app.post("/tools/bulk", json!({"tools": bulk})).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

/// Keeps searching through `app` until `stop` is set; every search must answer 200.
async fn search_until(app: &TestApp, stop: &std::sync::atomic::AtomicBool) -> usize {
    let mut n = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let r = app
            .post(
                "/mcp/find_tool",
                json!({"query": "tool edited bulk", "limit": 5}),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        n += 1;
    }
    n
}

#[tokio::test]
async fn two_replicas_converge_on_the_table_under_concurrent_writes_and_searches() {
    if crate::common::skip_unless_postgres(
        "two_replicas_converge_on_the_table_under_concurrent_writes_and_searches",
        "replicas share one PostgreSQL; the embedded store serves one replica",
    ) {
        return;
    }
    let db = fresh_database().await;
    let a = spawn_app_on(&db, &[]).await;
    let b = spawn_app_on(&db, &[]).await;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let writes = async {
        tokio::join!(churn(&a, "alpha"), churn(&b, "beta"));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    let ((), searched_a, searched_b) =
        tokio::join!(writes, search_until(&a, &stop), search_until(&b, &stop));
    assert!(searched_a > 0 && searched_b > 0);
    wait_for_convergence(&[&a, &b]).await;

    // A write through one replica is found on the other shortly after.
    let started = Instant::now();
    let r = a
        .post("/tools", tool("zebra_crossing", "find zebra crossings"))
        .await;
    assert_eq!(r.status(), 201);
    let deadline = started + Duration::from_secs(10);
    loop {
        let hits = b
            .find(json!({"query": "zebra crossings", "limit": 1}))
            .await;
        if hits.first().is_some_and(|h| h["name"] == "zebra_crossing") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other replica never found the new tool"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "a write through one replica was found on the other after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_replica_whose_connections_are_cut_catches_up_with_every_write() {
    if crate::common::skip_unless_postgres(
        "a_replica_whose_connections_are_cut_catches_up_with_every_write",
        "it terminates PostgreSQL backends",
    ) {
        return;
    }
    let db = fresh_database().await;
    let writer = spawn_app_on(&db, &[]).await;
    // Its connections carry a name, so they can be told from the writer's and cut.
    let sep = if db.contains('?') { '&' } else { '?' };
    let reader = spawn_app_on(&format!("{db}{sep}application_name=cut_replica"), &[]).await;
    let cut = async || {
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'cut_replica'",
        )
        .execute(&writer.db)
        .await
        .unwrap();
    };
    for round in 0..4 {
        cut().await;
        for i in 0..5 {
            let name = format!("while_cut_{round}_{i}");
            assert_eq!(
                writer
                    .post("/tools", tool(&name, "written while cut"))
                    .await
                    .status(),
                201
            );
        }
        if round == 2 {
            assert_eq!(writer.delete("/tools/while_cut_0_0").await.status(), 204);
        }
    }
    cut().await;
    wait_for_convergence(&[&writer, &reader]).await;
    let hits = reader
        .find(json!({"query": "written while cut", "category": "sync", "limit": 50}))
        .await;
    assert_eq!(
        hits.len(),
        19,
        "every tool written while cut, but the deleted one"
    );
}

#[tokio::test]
async fn writes_made_behind_the_service_s_back_reach_its_index() {
    let db = fresh_database().await;
    let app = spawn_app_on(&db, &[]).await;
    let r = app
        .post("/tools", tool("by_api", "registered through the api"))
        .await;
    assert_eq!(r.status(), 201);
    // As `toolbox import`, another process or a hand-made fix would: plain SQL on the table.
    sqlx::query(
        "UPDATE tools SET description = 'renamed behind its back', category = 'moved' \
         WHERE name = 'by_api'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    wait_for_convergence(&[&app]).await;
    let hits = app
        // Threshold 0: SQL changed the text, not the embedding, so only BM25 knows the words.
        .find(
            json!({"query": "renamed behind its back", "category": "moved", "limit": 1,
                     "threshold": 0}),
        )
        .await;
    assert_eq!(hits[0]["name"], "by_api");
}
