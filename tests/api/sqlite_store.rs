//! The embedded SQLite store on its own: schema, writes, filters, vector and full-text search,
//! and the file surviving a reopen. (The API suite runs against it too; see tests/common.)

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

fn names(hits: &[(toolbox::domain::Tool, f32)]) -> Vec<&str> {
    hits.iter().map(|(t, _)| t.name.as_str()).collect()
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
    let e = store.tool_embedding(got.id, DIM).await.unwrap().unwrap();
    assert_eq!(e, embed(&t.embedded_text()));
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
async fn search_ranks_by_cosine_similarity_and_applies_threshold_and_exclusion() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    let w = insert(&store, &tool("weather", "weather forecast rain", "g", &[])).await;
    insert(
        &store,
        &tool("pdf", "convert pdf documents to text", "g", &[]),
    )
    .await;
    let q = embed("weather forecast rain");
    let hits = store
        .search(&q, &SearchFilter::default(), 10, -1.0, None)
        .await
        .unwrap();
    assert_eq!(names(&hits), ["weather", "pdf"]);
    assert!(hits[0].1 > 0.5 && hits[0].1 <= 1.0001);
    let hits = store
        .search(&q, &SearchFilter::default(), 10, 0.5, None)
        .await
        .unwrap();
    assert_eq!(names(&hits), ["weather"]);
    let hits = store
        .search(&q, &SearchFilter::default(), 10, -1.0, Some(w.id))
        .await
        .unwrap();
    assert_eq!(names(&hits), ["pdf"]);
}

#[tokio::test]
async fn a_filtered_search_returns_limit_results_when_enough_tools_match() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    // Many near matches outside the filter, a few weaker ones inside it.
    for i in 0..200 {
        insert(
            &store,
            &tool(&format!("near{i}"), "send an email message", "mail", &[]),
        )
        .await;
    }
    for i in 0..7 {
        insert(
            &store,
            &tool(
                &format!("far{i}"),
                &format!("resize image {i}"),
                "img",
                &["x"],
            ),
        )
        .await;
    }
    let q = embed("send an email message");
    let f = SearchFilter {
        category: Some("img".into()),
        tags: Some(vec!["x".into()]),
    };
    let hits = store.search(&q, &f, 5, -1.0, None).await.unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits.iter().all(|(t, _)| t.category == "img"));
}

#[tokio::test]
async fn full_text_search_weights_names_above_descriptions_above_details() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    let mut in_details = tool("alpha", "does things", "g", &[]);
    in_details.long_description = Some("handles invoices".into());
    insert(&store, &in_details).await;
    insert(&store, &tool("beta", "creates invoices", "g", &[])).await;
    insert(&store, &tool("invoice_maker", "does things", "g", &[])).await;
    insert(&store, &tool("gamma", "unrelated", "g", &[])).await;
    let hits = store
        .text_search("Invoice?", &SearchFilter::default(), 10)
        .await
        .unwrap();
    assert_eq!(names(&hits), ["invoice_maker", "beta", "alpha"]);
    assert!(hits.windows(2).all(|w| w[0].1 >= w[1].1));
}

#[tokio::test]
async fn full_text_search_treats_operators_in_the_query_as_words() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    insert(&store, &tool("near_thing", "NEAR OR AND NOT", "g", &[])).await;
    let hits = store
        .text_search("\"NEAR(\" OR * AND -not: ^", &SearchFilter::default(), 10)
        .await
        .unwrap();
    assert_eq!(names(&hits), ["near_thing"]);
    assert!(
        store
            .text_search("  ?! ", &SearchFilter::default(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn updates_and_deletes_keep_the_text_and_tag_indexes_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, DIM).await.unwrap();
    let t = insert(&store, &tool("conv", "convert currency", "money", &["fx"])).await;
    let changed = tool("conv", "translate languages", "text", &["lang"]);
    store
        .update_tool(t.id, &changed, None)
        .await
        .unwrap()
        .unwrap();
    let all = SearchFilter::default();
    assert!(
        store
            .text_search("currency", &all, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        names(&store.text_search("translate", &all, 10).await.unwrap()),
        ["conv"]
    );
    let by_tag = |t: &str| SearchFilter {
        category: None,
        tags: Some(vec![t.into()]),
    };
    assert!(store.list_tools(&by_tag("fx")).await.unwrap().is_empty());
    assert_eq!(store.list_tools(&by_tag("lang")).await.unwrap().len(), 1);
    assert!(store.delete_tool("conv").await.unwrap());
    assert!(!store.delete_tool("conv").await.unwrap());
    assert!(
        store
            .text_search("translate", &all, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.list_tools(&by_tag("lang")).await.unwrap().is_empty());
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

#[tokio::test]
async fn searches_see_vectors_written_through_another_handle_on_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = open(&dir, DIM).await.unwrap();
    // A second process on the file, as `toolbox import` run beside the server.
    let beside = open(&dir, DIM).await.unwrap();
    insert(&server, &tool("weather", "weather forecast rain", "g", &[])).await;
    let nearest = async |store: &SqliteStore, k: i64| {
        let q = embed("convert pdf documents");
        store
            .search(&q, &SearchFilter::default(), k, -1.0, None)
            .await
            .unwrap()
    };
    assert_eq!(names(&nearest(&server, 1).await), ["weather"]);

    insert(&beside, &tool("pdf", "convert pdf documents", "g", &[])).await;
    assert_eq!(names(&nearest(&server, 1).await), ["pdf"]);
    assert!(beside.delete_tool("pdf").await.unwrap());
    assert_eq!(names(&nearest(&server, 10).await), ["weather"]);
}

#[tokio::test]
async fn an_index_behind_a_pruned_change_log_reloads_everything() {
    let dir = tempfile::tempdir().unwrap();
    let server = open(&dir, DIM).await.unwrap();
    let beside = open(&dir, DIM).await.unwrap();
    insert(&server, &tool("weather", "weather forecast rain", "g", &[])).await;
    assert_eq!(server.load_vectors().await.unwrap(), 1);

    insert(&beside, &tool("pdf", "convert pdf documents", "g", &[])).await;
    assert!(beside.delete_tool("weather").await.unwrap());
    insert(&beside, &tool("mail", "send an email", "g", &[])).await;
    // Prune every entry but the last, as the log's own trigger does past 100,000 entries.
    let raw = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}/nested/dir/toolbox.db",
        dir.path().display()
    ))
    .await
    .unwrap();
    sqlx::query(
        "DELETE FROM tool_vector_changes WHERE seq < (SELECT max(seq) FROM tool_vector_changes)",
    )
    .execute(&raw)
    .await
    .unwrap();

    assert_eq!(server.load_vectors().await.unwrap(), 2);
    let hits = server
        .search(
            &embed("weather forecast rain"),
            &SearchFilter::default(),
            10,
            -1.0,
            None,
        )
        .await
        .unwrap();
    let mut found = names(&hits);
    found.sort();
    assert_eq!(found, ["mail", "pdf"]);
}
