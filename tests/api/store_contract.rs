//! The `Store` contract: every case runs against both backends in the same run, PostgreSQL
//! (a fresh database on `TOOLBOX_TEST_DATABASE_URL`'s cluster) and SQLite (a fresh file), so
//! a difference between the two implementations fails here rather than in an API test.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use sqlx::Connection;
use toolbox::Config;
use toolbox::domain::{Embedding, NewTool, ToolPatch};
use toolbox::embedding::BuiltinEmbedder;
use toolbox::store::{
    self, BulkItem, ChangesSince, ExecutionRecord, HistoryFilter, OutcomeFilter, SearchFilter,
    Store, StoreError, StoredEmbedding,
};

const DIM: usize = 64;

/// Generates each case once per backend: `postgres::NAME` and `sqlite::NAME`.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let Some(store) = super::postgres_store().await else { return };
                    super::$case(store).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let (_dir, store) = super::sqlite_store().await;
                    super::$case(store).await;
                }
            )*
        }
    };
}

contract!(
    a_tool_is_inserted_read_updated_and_deleted,
    a_duplicate_name_is_a_conflict,
    listing_filters_by_category_and_tags_and_pages_after_a_name,
    category_counts_are_largest_first,
    every_write_is_in_the_change_log_in_commit_order,
    index_rows_come_in_pages_by_id_with_their_embeddings,
    a_reader_behind_the_pruned_log_is_told_to_reload,
    executions_are_recorded_listed_by_cursor_and_counted,
    bulk_upsert_writes_every_item,
    a_write_reaches_the_change_stream,
    the_store_names_its_backend_and_pool,
    managed_keys_are_stored_by_digest_listed_and_revoked_once,
    the_history_filters_by_caller,
);

fn config(url: &str) -> toolbox::config::DatabaseConfig {
    let vars = HashMap::from([("DATABASE_URL".to_owned(), url.to_owned())]);
    Config::from_map(&vars).unwrap().database
}

async fn postgres_store() -> Option<Arc<dyn Store>> {
    let Ok(admin) = std::env::var("TOOLBOX_TEST_DATABASE_URL") else {
        // Straight to stderr: the harness captures `eprintln!` of passing tests.
        use std::io::Write;
        let _ = std::io::stderr().write_all(
            b"SKIPPED: TOOLBOX_TEST_DATABASE_URL is not set; the PostgreSQL store was not tested\n",
        );
        return None;
    };
    let name = format!("toolbox_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let cfg = config(&format!("{base}/{name}"));
    let store = store::connect(&cfg).unwrap();
    store.migrate(&cfg, DIM).await.unwrap();
    Some(store)
}

async fn sqlite_store() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&format!("sqlite://{}/toolbox.db", dir.path().display()));
    let store = store::connect(&cfg).unwrap();
    store.migrate(&cfg, DIM).await.unwrap();
    (dir, store)
}

fn tool(name: &str, description: &str, category: &str, tags: &[&str]) -> NewTool {
    NewTool::parse(ToolPatch {
        name: Some(name.into()),
        description: Some(description.into()),
        category: Some(category.into()),
        tags: Some(tags.iter().map(|t| t.to_string()).collect()),
        input_schema: Some(json!({"type": "object"})),
        ..Default::default()
    })
    .unwrap()
}

fn embed(text: &str) -> Embedding {
    Embedding::parse(BuiltinEmbedder::new(DIM).embed_text(text), DIM).unwrap()
}

async fn insert(store: &dyn Store, t: &NewTool) -> toolbox::domain::Tool {
    let e = embed(&t.embedded_text());
    let emb = StoredEmbedding {
        embedding: &e,
        model: "m",
        text_hash: "h",
    };
    store.insert_tool(t, emb).await.unwrap()
}

fn record(tool: &str, success: bool, duration_ms: i64) -> ExecutionRecord {
    ExecutionRecord {
        tool_id: None,
        tool_name: tool.into(),
        input: json!({"a": 1}),
        output: success.then(|| json!({"ok": true})),
        error: (!success).then(|| "boom".into()),
        success,
        duration_ms,
        error_kind: (!success).then(|| "tool_error".into()),
        request_id: None,
        caller: None,
    }
}

async fn a_tool_is_inserted_read_updated_and_deleted(store: Arc<dyn Store>) {
    let t = tool("get_weather", "Weather forecast", "weather", &["city"]);
    let inserted = insert(store.as_ref(), &t).await;
    let got = store.get_tool("get_weather").await.unwrap().unwrap();
    assert_eq!(got.to_new_tool(), t);
    assert_eq!(got.id, inserted.id);
    assert_eq!(
        store.embedding_hash(got.id).await.unwrap().as_deref(),
        Some("h")
    );

    let mut changed = t.clone();
    changed.description = "Weather forecast for a city".into();
    let updated = store
        .update_tool(got.id, &changed, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.description, changed.description);
    assert_eq!(
        store.embedding_hash(got.id).await.unwrap().as_deref(),
        Some("h")
    );

    assert!(store.delete_tool("get_weather").await.unwrap());
    assert!(!store.delete_tool("get_weather").await.unwrap());
    assert!(store.get_tool("get_weather").await.unwrap().is_none());
}

async fn a_duplicate_name_is_a_conflict(store: Arc<dyn Store>) {
    let t = tool("dup", "first", "general", &[]);
    insert(store.as_ref(), &t).await;
    let e = embed("x");
    let emb = StoredEmbedding {
        embedding: &e,
        model: "m",
        text_hash: "h",
    };
    let err = store.insert_tool(&t, emb).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(n) if n == "dup"));
}

async fn listing_filters_by_category_and_tags_and_pages_after_a_name(store: Arc<dyn Store>) {
    insert(store.as_ref(), &tool("a_tool", "a", "alpha", &["x", "y"])).await;
    insert(store.as_ref(), &tool("b_tool", "b", "alpha", &["x"])).await;
    insert(store.as_ref(), &tool("c_tool", "c", "beta", &["x", "y"])).await;
    let names = |tools: Vec<toolbox::domain::Tool>| -> Vec<String> {
        tools.into_iter().map(|t| t.name).collect()
    };
    let alpha = SearchFilter {
        category: Some("alpha".into()),
        tags: None,
    };
    assert_eq!(
        names(store.list_tools(&alpha).await.unwrap()),
        ["a_tool", "b_tool"]
    );
    let xy = SearchFilter {
        category: None,
        tags: Some(vec!["x".into(), "y".into()]),
    };
    assert_eq!(
        names(store.list_tools(&xy).await.unwrap()),
        ["a_tool", "c_tool"]
    );
    let summaries = store.list_tool_summaries(&xy).await.unwrap();
    assert_eq!(summaries.len(), 2);
    assert_eq!(summaries[0].input_schema.get(), r#"{"type":"object"}"#);
    assert_eq!(
        names(store.list_tools_after(None, 2).await.unwrap()),
        ["a_tool", "b_tool"]
    );
    assert_eq!(
        names(store.list_tools_after(Some("b_tool"), 2).await.unwrap()),
        ["c_tool"]
    );
    assert_eq!(store.count_tools().await.unwrap(), 3);
}

async fn category_counts_are_largest_first(store: Arc<dyn Store>) {
    insert(store.as_ref(), &tool("a1", "a", "alpha", &[])).await;
    insert(store.as_ref(), &tool("b1", "b", "beta", &[])).await;
    insert(store.as_ref(), &tool("b2", "b", "beta", &[])).await;
    assert_eq!(
        store.category_counts().await.unwrap(),
        [("beta".to_owned(), 2), ("alpha".to_owned(), 1)]
    );
}

async fn every_write_is_in_the_change_log_in_commit_order(store: Arc<dyn Store>) {
    let start = store.change_position().await.unwrap();
    let a = insert(store.as_ref(), &tool("a", "first tool", "w", &[])).await;
    let edited = tool("a", "first tool, edited", "w", &[]);
    store.update_tool(a.id, &edited, None).await.unwrap();
    let b = insert(store.as_ref(), &tool("b", "second tool", "w", &[])).await;
    assert!(store.delete_tool("a").await.unwrap());
    let ChangesSince::Changed { ids, upto } = store.changes_since(start, 100).await.unwrap() else {
        panic!("the log reaches back to where it started");
    };
    assert_eq!(ids, [a.id, a.id, b.id, a.id]);
    assert_eq!(upto, store.change_position().await.unwrap());
    assert_eq!(
        store.changes_since(upto, 100).await.unwrap(),
        ChangesSince::Changed { ids: vec![], upto }
    );
    let ChangesSince::Changed { ids: first_two, .. } = store.changes_since(start, 2).await.unwrap()
    else {
        panic!("a page of the log");
    };
    assert_eq!(first_two, [a.id, a.id]);
    // Reading what the entries name: the deleted tool is gone, the other has its embedding.
    let rows = store.index_rows(&[a.id, b.id]).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].tool.name, "b");
    assert_eq!(rows[0].embedding.as_ref().map(Vec::len), Some(DIM));
    let tools = store.tools_by_ids(&[b.id, a.id, 9_999_999]).await.unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0].name, "b");
}

async fn index_rows_come_in_pages_by_id_with_their_embeddings(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for name in ["c", "a", "b"] {
        ids.push(
            insert(store.as_ref(), &tool(name, "a tool", "w", &["x"]))
                .await
                .id,
        );
    }
    let first = store.index_rows_after(0, 2).await.unwrap();
    assert_eq!(
        first.iter().map(|r| r.tool.id).collect::<Vec<_>>(),
        ids[..2]
    );
    let rest = store.index_rows_after(first[1].tool.id, 2).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].tool.name, "b");
    assert_eq!(rest[0].tool.tags, ["x"]);
    let e = rest[0].embedding.as_ref().expect("embedding read back");
    let expected = embed(&tool("b", "a tool", "w", &["x"]).embedded_text());
    assert_eq!(e.as_slice(), expected.as_slice());
}

async fn a_reader_behind_the_pruned_log_is_told_to_reload(store: Arc<dyn Store>) {
    let start = store.change_position().await.unwrap();
    insert(store.as_ref(), &tool("a", "first", "w", &[])).await;
    insert(store.as_ref(), &tool("b", "second", "w", &[])).await;
    let newest = store.change_position().await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Everything but the newest entry is older than zero seconds.
    assert!(store.prune_changes(Duration::ZERO).await.unwrap() >= 1);
    assert_eq!(store.change_position().await.unwrap(), newest);
    assert_eq!(
        store.changes_since(start, 100).await.unwrap(),
        ChangesSince::Reload
    );
    assert_eq!(
        store.changes_since(newest, 100).await.unwrap(),
        ChangesSince::Changed {
            ids: vec![],
            upto: newest
        }
    );
}

async fn executions_are_recorded_listed_by_cursor_and_counted(store: Arc<dyn Store>) {
    let ids = store
        .insert_executions(&[record("t", true, 10), record("t", false, 30)])
        .await
        .unwrap();
    let third = store
        .insert_execution(&record("t", true, 20))
        .await
        .unwrap();
    assert!(ids[0] < ids[1] && ids[1] < third);
    let page = store
        .list_executions("t", &HistoryFilter::default(), None, 2)
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        [third, ids[1]]
    );
    let next = store
        .list_executions("t", &HistoryFilter::default(), Some(ids[1]), 2)
        .await
        .unwrap();
    assert_eq!(next.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[0]]);
    let failures = store
        .list_executions(
            "t",
            &HistoryFilter {
                outcome: OutcomeFilter::Failure,
                caller: None,
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].error_kind.as_deref(), Some("tool_error"));
    assert!(store.get_execution(third).await.unwrap().is_some());
    assert!(store.has_executions("t").await.unwrap());
    assert!(!store.has_executions("other").await.unwrap());
    let stats = store.execution_stats("t", 3600).await.unwrap();
    assert_eq!((stats.calls, stats.successes), (3, 2));
    assert_eq!(store.recent_executions("t", 1).await.unwrap()[0].id, third);
}

async fn bulk_upsert_writes_every_item(store: Arc<dyn Store>) {
    insert(store.as_ref(), &tool("old", "before", "misc", &[])).await;
    let replaced = tool("old", "after", "misc", &[]);
    let new = tool("new", "fresh", "misc", &[]);
    let e = embed("fresh");
    let items = [
        BulkItem {
            tool: &replaced,
            embedding: None,
        },
        BulkItem {
            tool: &new,
            embedding: Some(StoredEmbedding {
                embedding: &e,
                model: "m",
                text_hash: "h2",
            }),
        },
    ];
    let created = store.write_bulk(&items, true).await.unwrap();
    assert_eq!(created, [false, true]);
    assert_eq!(
        store.get_tool("old").await.unwrap().unwrap().description,
        "after"
    );
    let states = store.embedding_states(&["new".into()]).await.unwrap();
    assert!(states[0].is_current(Some("m"), "h2"));
    assert!(!states[0].is_current(Some("other"), "h2"));
}

async fn a_write_reaches_the_change_stream(store: Arc<dyn Store>) {
    let mut changes = store.changes();
    // PostgreSQL's listener subscribes in the background: keep writing until one arrives.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    for i in 0.. {
        insert(
            store.as_ref(),
            &tool(&format!("t{i}"), "a tool", "misc", &[]),
        )
        .await;
        if tokio::time::timeout(Duration::from_millis(500), changes.next())
            .await
            .is_ok()
        {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "no change arrived");
    }
}

async fn the_store_names_its_backend_and_pool(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert!(store.is_up_to_date().await.unwrap());
    assert!(["postgresql", "sqlite"].contains(&store.backend()));
    let usage = store.pool_usage();
    assert!(usage.idle <= usage.size);
    store.close().await;
}

async fn managed_keys_are_stored_by_digest_listed_and_revoked_once(store: Arc<dyn Store>) {
    let key = toolbox::domain::ManagedKey {
        id: "abc123def456".into(),
        label: "ci".into(),
        role: toolbox::domain::Role::Call,
        tools: Some(toolbox::domain::ToolSetSpec {
            allow: vec!["weather_*".into()],
            deny: vec![],
        }),
        created_at: chrono::Utc::now(),
        expires_at: None,
        revoked_at: None,
    };
    store.insert_key(&key, "d1gest").await.unwrap();
    let found = store.key_by_digest("d1gest").await.unwrap().unwrap();
    assert_eq!((found.id.as_str(), found.role), ("abc123def456", key.role));
    assert_eq!(found.tools, key.tools);
    assert!(store.key_by_digest("other").await.unwrap().is_none());
    assert_eq!(store.list_keys().await.unwrap().len(), 1);
    assert!(store.revoke_key(&key.id, chrono::Utc::now()).await.unwrap());
    assert!(!store.revoke_key(&key.id, chrono::Utc::now()).await.unwrap());
    let revoked = store.key_by_digest("d1gest").await.unwrap().unwrap();
    assert!(revoked.revoked_at.is_some());
}

async fn the_history_filters_by_caller(store: Arc<dyn Store>) {
    let mut a = record("t", true, 1);
    a.caller = Some("key:a".into());
    let mut b = record("t", true, 1);
    b.caller = Some("key:b".into());
    store.insert_executions(&[a, b]).await.unwrap();
    let only_b = HistoryFilter {
        outcome: OutcomeFilter::All,
        caller: Some("key:b".into()),
    };
    let rows = store.list_executions("t", &only_b, None, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].caller.as_deref(), Some("key:b"));
}
