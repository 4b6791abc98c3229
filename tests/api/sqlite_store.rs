//! The embedded SQLite store on its own: schema, writes, filters, the change log's
//! announcements, and the file surviving a reopen. (Search is the index's: tests/api/search_index.rs.) (The API suite runs against it too; see tests/common.)

use std::collections::HashMap;

use serde_json::json;
use toolbox::Config;
use toolbox::domain::{Embedding, NewTool, ToolPatch};
use toolbox::embedding::BuiltinEmbedder;
use toolbox::store::sqlite::{SqliteStore, migrate};
use toolbox::store::{
    ExecutionRecord, MigrateError, SearchFilter, Store as _, StoreError, StoredEmbedding,
};

const DIM: usize = 64;

fn db_config() -> toolbox::config::DatabaseConfig {
    Config::from_map(&HashMap::new()).unwrap().database
}

async fn open(dir: &tempfile::TempDir, dimension: usize) -> Result<SqliteStore, MigrateError> {
    let url = format!("sqlite://{}/nested/dir/toolbox.db", dir.path().display());
    let store = SqliteStore::open(&url, &db_config())?;
    migrate(&store, dimension).await?;
    Ok(store)
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

async fn insert(store: &SqliteStore, t: &NewTool) -> toolbox::domain::Tool {
    let e = embed(&t.embedded_text());
    let stored = StoredEmbedding {
        embedding: &e,
        model: "builtin",
        text_hash: "h",
    };
    store.insert_tool(t, stored).await.unwrap()
}

#[tokio::test]
async fn opening_creates_the_directory_and_a_wal_mode_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    assert!(dir.path().join("nested/dir/toolbox.db").exists());
    store.ping().await.unwrap();
    assert!(toolbox::store::sqlite::is_up_to_date(&store).await.unwrap());
    assert_eq!(store.journal_mode().await.unwrap(), "wal");
}

#[tokio::test]
async fn a_tool_round_trips_with_all_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    let mut t = tool(
        "get_weather",
        "Weather forecast",
        "weather",
        &["forecast", "city"],
    );
    t.examples = vec!["rain in Paris?".into()];
    t.output_schema = Some(json!({"type": "object"}));
    t.config = json!({"timeout_ms": 5});
    let inserted = insert(&store, &t).await;
    let got = store.get_tool("get_weather").await.unwrap().unwrap();
    assert_eq!(got.to_new_tool(), t);
    assert_eq!(got.id, inserted.id);
    assert_eq!(got.created_at, inserted.created_at);
    let rows = store.index_rows(&[got.id]).await.unwrap();
    let e = rows[0]
        .embedding
        .as_deref()
        .expect("the embedding is stored");
    assert_eq!(e, embed(&t.embedded_text()).as_slice());
}

#[tokio::test]
async fn a_duplicate_name_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    let t = tool("dup", "first", "general", &[]);
    insert(&store, &t).await;
    let e = embed("x");
    let err = store
        .insert_tool(
            &t,
            StoredEmbedding {
                embedding: &e,
                model: "m",
                text_hash: "h",
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(n) if n == "dup"));
}

#[tokio::test]
async fn list_filters_by_category_and_all_tags() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    insert(&store, &tool("a", "a", "x", &["red", "blue"])).await;
    insert(&store, &tool("b", "b", "x", &["red"])).await;
    insert(&store, &tool("c", "c", "y", &["red", "blue"])).await;
    let all = store.list_tools(&SearchFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    let f = SearchFilter {
        category: Some("x".into()),
        tags: Some(vec!["red".into(), "blue".into(), "red".into()]),
    };
    let hits = store.list_tools(&f).await.unwrap();
    assert_eq!(
        hits.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["a"]
    );
    let f = SearchFilter {
        category: None,
        tags: Some(vec!["blue".into()]),
    };
    let hits = store.list_tools(&f).await.unwrap();
    assert_eq!(
        hits.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["a", "c"]
    );
}

#[tokio::test]
async fn executions_are_recorded_and_outlive_their_tool() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    let t = insert(&store, &tool("calc", "adds", "math", &[])).await;
    for i in 0..3 {
        let rec = ExecutionRecord {
            tool_id: Some(t.id),
            tool_name: "calc".into(),
            input: json!({"a": i}),
            output: Some(json!({"value": i})),
            error: None,
            success: true,
            duration_ms: 1,
            error_kind: None,
            request_id: None,
            caller: None,
        };
        store.insert_execution(&rec).await.unwrap();
    }
    store.delete_tool("calc").await.unwrap();
    let recent = store.recent_executions("calc", 2).await.unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0].input_data, json!({"a": 2}));
    assert!(recent[0].executed_at >= recent[1].executed_at);
}

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    insert(&store, &tool("kept", "kept across restarts", "g", &[])).await;
    store.close().await;
    let store = open(&dir, DIM).await.unwrap();
    assert!(store.get_tool("kept").await.unwrap().is_some());
}

#[tokio::test]
async fn reopening_with_another_dimension_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    open(&dir, DIM).await.unwrap().close().await;
    let err = open(&dir, 32).await.err().expect("dimension mismatch");
    assert!(matches!(
        err,
        MigrateError::DimensionMismatch {
            found: 64,
            configured: 32
        }
    ));
}

#[tokio::test]
async fn committed_catalogue_changes_are_announced() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    let mut changes = store.subscribe_changes();
    insert(&store, &tool("announced", "a tool", "g", &[])).await;
    changes.try_recv().expect("an insert is announced");
    assert!(!store.delete_tool("missing").await.unwrap());
    assert!(
        changes.try_recv().is_err(),
        "nothing changed, nothing announced"
    );
    store.delete_tool("announced").await.unwrap();
    changes.try_recv().expect("a delete is announced");
}
