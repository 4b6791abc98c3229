//! Restore drills: a populated registry is exported, wiped and imported back, and must give
//! the same tools (timestamps, embeddings and secrets included), the same upstream servers,
//! the same find_tool rankings for a fixed set of queries, and the same history rows. The
//! wipe and the import happen behind a running replica, whose search index must follow them
//! through the store's change log. Plus the migration of an embedded registry to PostgreSQL
//! (`toolbox copy`), an import refused into a database that is not empty, and an export that
//! sees one snapshot while others write.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use toolbox::Config;
use toolbox::domain::{NewServer, ServerPatch};
use toolbox::snapshot_commands::{CopyArgs, ExportArgs};
use toolbox::store::{ExportOptions, Snapshot};

use crate::common::{self, Backend, TestApp, fresh_database, skip_unless_postgres, spawn_app_on};

/// The queries whose rankings must survive the round trip.
const QUERIES: [&str; 8] = [
    "weather forecast for a city",
    "convert currency amounts",
    "send an email",
    "translate text between languages",
    "resize an image",
    "calculate arithmetic",
    "search github issues",
    "compress files into an archive",
];

const TOPICS: [(&str, &str); 10] = [
    (
        "weather",
        "Get the weather forecast and temperature for a city",
    ),
    (
        "currency",
        "Convert amounts between currencies at today's exchange rate",
    ),
    (
        "email",
        "Send an email message to a recipient with a subject",
    ),
    ("translate", "Translate text from one language to another"),
    ("image", "Resize, crop or rotate an image file"),
    (
        "github",
        "Search GitHub issues and pull requests by keyword",
    ),
    ("archive", "Compress files into a zip or tar archive"),
    ("calendar", "Create calendar events and invite attendees"),
    ("pdf", "Extract text and tables from a PDF document"),
    ("sql", "Run a read-only SQL query against a database"),
];

fn config(database_url: &str) -> Config {
    let env = HashMap::from([
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
        ("LOG_LEVEL".to_owned(), "error".to_owned()),
    ]);
    Config::from_map(&env).expect("valid configuration")
}

/// The replica under test: HTTP tools may call loopback.
const VARS: &[(&str, &str)] = &[("TOOL_HTTP_ALLOWED_HOSTS", "127.0.0.1")];

/// Thirty tools over ten topics (one an HTTP tool with a secret header), an upstream server
/// with a secret header, and a history of successful and failed calls.
async fn populate(app: &TestApp) {
    for (topic, description) in TOPICS {
        for variant in 0..3 {
            let name = format!("{topic}_tool_{variant}");
            let text = format!("{description} (variant {variant})");
            app.register(&name, &text, topic, &[topic, "drill"]).await;
        }
    }
    let resp = app
        .post(
            "/tools",
            json!({
                "name": "secret_http_tool",
                "description": "Post a payload to the internal billing service",
                "input_schema": {"type": "object"},
                "config": {"executor": {"kind": "http", "url": "http://127.0.0.1:9/bill",
                           "headers": {"Authorization": "Bearer s3cr3t"}}},
            }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let store = toolbox::store::connect(&config(&app.database_url).database).unwrap();
    let patch: ServerPatch = serde_json::from_value(json!({
        "name": "drill-upstream", "url": "http://127.0.0.1:9/mcp",
        "headers": {"X-Api-Key": "upstream-secret"}, "include": ["a*"], "category": "ops",
        "refresh_interval_s": 600,
    }))
    .unwrap();
    store
        .insert_server(&NewServer::parse(patch).unwrap())
        .await
        .unwrap();
    for i in 0..6 {
        let resp = app
            .call_tool("calculator", json!({"operation": "add", "a": i, "b": 1}))
            .await;
        assert_eq!(resp.status(), 200);
    }
    for _ in 0..2 {
        let resp = app
            .call_tool("calculator", json!({"operation": "divide", "a": 1, "b": 0}))
            .await;
        assert!(resp.status().is_client_error() || resp.status() == 200);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.count("SELECT count(*) FROM tool_executions").await < 8 {
        assert!(
            std::time::Instant::now() < deadline,
            "the history was not written within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Names and scores of every query's hits, as the running replica ranks them.
async fn rankings(app: &TestApp) -> Vec<Vec<(String, String)>> {
    let mut all = Vec::new();
    for q in QUERIES {
        let hits = app.find(json!({"query": q, "limit": 10})).await;
        assert!(!hits.is_empty(), "{q:?} found nothing");
        all.push(
            hits.iter()
                .map(|h| {
                    (
                        h["name"].as_str().unwrap().to_owned(),
                        h["score"].to_string(),
                    )
                })
                .collect(),
        );
    }
    all
}

/// A managed key with a tool set, written through the store (the drill's replica runs open,
/// where `POST /keys` makes none).
async fn add_key(url: &str) {
    let store = toolbox::store::connect(&config(url).database).unwrap();
    let key = toolbox::domain::ManagedKey {
        id: "drill0key000".into(),
        label: "drill".into(),
        role: toolbox::domain::Role::Call,
        tools: Some(toolbox::domain::ToolSetSpec {
            allow: vec!["calc*".into()],
            deny: vec![],
        }),
        created_at: "2026-01-02T03:04:05.678901Z".parse().unwrap(),
        expires_at: None,
        revoked_at: None,
    };
    store.insert_key(&key, "ab12cd34").await.unwrap();
    store.close().await;
}

/// The whole registry of `url`, as an export in memory sees it.
async fn snapshot_of(url: &str) -> Snapshot {
    let store = toolbox::store::connect(&config(url).database).unwrap();
    let mut snap = Snapshot::default();
    let opts = ExportOptions {
        with_history: true,
        without_embeddings: false,
    };
    store.export_snapshot(&opts, &mut snap).await.unwrap();
    snap.with_history = true;
    store.close().await;
    snap
}

async fn export_to(url: &str, path: &Path, without_embeddings: bool) {
    let args = ExportArgs {
        with_history: true,
        without_embeddings,
        from: None,
        output: Some(path.to_owned()),
    };
    toolbox::snapshot_commands::export(config(url), args)
        .await
        .expect("export succeeds");
}

async fn import_from(url: &str, path: &Path, replace: bool) -> anyhow::Result<()> {
    toolbox::commands::import(config(url), Some(path), false, None, replace).await
}

/// Deletes the registry behind the replica's back and waits until its index is empty.
async fn wipe(app: &TestApp) {
    for table in ["tool_executions", "tools", "upstream_servers", "api_keys"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&app.db)
            .await
            .unwrap();
    }
    app.wait_for_indexed(0, Duration::from_secs(20)).await;
}

fn scratch_file(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("drill-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn run_drill(without_embeddings: bool) {
    let url = fresh_database().await;
    let app = spawn_app_on(&url, VARS).await;
    populate(&app).await;
    add_key(&url).await;
    let tools = app.count("SELECT count(*) FROM tools").await as u64;
    let before = snapshot_of(&url).await;
    let ranked = rankings(&app).await;
    let file = scratch_file("registry.jsonl");
    export_to(&url, &file, without_embeddings).await;

    wipe(&app).await;
    import_from(&url, &file, false)
        .await
        .expect("import succeeds");
    app.wait_for_indexed(tools, Duration::from_secs(20)).await;

    let after = snapshot_of(&url).await;
    assert_eq!(after.tools.len(), before.tools.len());
    for (a, b) in after.tools.iter().zip(&before.tools) {
        assert!(a == b, "tool {:?} differs after the round trip", b.name);
    }
    assert!(after.servers == before.servers, "servers differ");
    assert_eq!(after.executions, before.executions, "history rows differ");
    assert_eq!(after.keys.len(), 1);
    assert!(after.keys == before.keys, "managed keys differ");
    assert_eq!(rankings(&app).await, ranked, "find_tool rankings differ");
    let secret = after
        .tools
        .iter()
        .find(|t| t.name == "secret_http_tool")
        .map(|t| t.config["executor"]["headers"]["Authorization"].clone());
    assert_eq!(
        secret,
        Some(json!("Bearer s3cr3t")),
        "the secret header was not restored"
    );
    assert_eq!(
        after.servers[0].headers["X-Api-Key"], "upstream-secret",
        "the server's header was not restored"
    );
    let history = app.get("/tools/calculator/executions?limit=100").await;
    let history: Value = history.json().await.unwrap();
    assert_eq!(
        history["items"].as_array().map(Vec::len),
        Some(8),
        "{history}"
    );
    app.stop().await;
}

#[tokio::test]
async fn export_wipe_import_gives_the_same_registry_rankings_and_history() {
    run_drill(false).await;
}

#[tokio::test]
async fn an_export_without_embeddings_is_reembedded_and_ranks_the_same() {
    run_drill(true).await;
}

#[tokio::test]
async fn an_import_into_a_registry_that_is_not_empty_is_refused_and_writes_nothing() {
    let url = fresh_database().await;
    let app = spawn_app_on(&url, VARS).await;
    app.register("only_tool", "The one tool here", "general", &[])
        .await;
    let file = scratch_file("registry.jsonl");
    export_to(&url, &file, false).await;
    let before = app.count("SELECT count(*) FROM tools").await;

    let err = import_from(&url, &file, false).await.unwrap_err();
    assert!(format!("{err:#}").contains("--replace"), "{err:#}");
    assert_eq!(app.count("SELECT count(*) FROM tools").await, before);

    import_from(&url, &file, true)
        .await
        .expect("--replace succeeds");
    assert_eq!(app.count("SELECT count(*) FROM tools").await, before);
    app.stop().await;
}

#[tokio::test]
async fn an_embedded_registry_copied_to_postgresql_is_identical() {
    if skip_unless_postgres(
        "an_embedded_registry_copied_to_postgresql_is_identical",
        "the copy's target is PostgreSQL",
    ) {
        return;
    }
    assert_eq!(common::backend(), Backend::Postgres);
    let sqlite = format!(
        "sqlite://{}/sqlite-{}/toolbox.db",
        env!("CARGO_TARGET_TMPDIR"),
        uuid::Uuid::new_v4().simple()
    );
    let app = spawn_app_on(&sqlite, VARS).await;
    populate(&app).await;
    let ranked = rankings(&app).await;
    app.stop().await;
    let before = snapshot_of(&sqlite).await;

    let postgres = fresh_database().await;
    let args = CopyArgs {
        from: sqlite.clone(),
        to: postgres.clone(),
        with_history: true,
        replace: false,
    };
    toolbox::snapshot_commands::copy(config(&postgres), args)
        .await
        .expect("copy succeeds");

    let after = snapshot_of(&postgres).await;
    assert!(
        after == before,
        "the PostgreSQL registry differs from the SQLite one"
    );
    let app = spawn_app_on(&postgres, VARS).await;
    assert_eq!(rankings(&app).await, ranked, "find_tool rankings differ");
    app.stop().await;
}

/// Collects a snapshot, and writes a tool through another connection as soon as the export
/// has begun (its transaction is open and has read the counts).
struct WritesMidway {
    snapshot: Snapshot,
    url: String,
}

impl toolbox::store::SnapshotSink for WritesMidway {
    fn begin(&mut self, meta: &toolbox::store::SnapshotMeta) -> std::io::Result<()> {
        let url = self.url.clone();
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async move {
                let pool = common::connect_any(&url).await;
                sqlx::query(
                    "INSERT INTO tool_executions (tool_name, input_data, success, duration_ms, \
                     executed_at) VALUES ('late', '{}', true, 1, '2026-01-01T00:00:00.000000Z')",
                )
                .execute(&pool)
                .await
                .unwrap();
            })
        });
        self.snapshot.begin(meta)
    }
    fn record(&mut self, record: &toolbox::store::SnapshotRecord) -> std::io::Result<()> {
        self.snapshot.record(record)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_is_one_snapshot_a_write_committed_meanwhile_is_not_in_it() {
    let url = fresh_database().await;
    let app = spawn_app_on(&url, VARS).await;
    app.call_tool("calculator", json!({"operation": "add", "a": 1, "b": 1}))
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while app.count("SELECT count(*) FROM tool_executions").await < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "no history row after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let store = toolbox::store::connect(&config(&url).database).unwrap();
    let mut sink = WritesMidway {
        snapshot: Snapshot::default(),
        url: url.clone(),
    };
    let opts = ExportOptions {
        with_history: true,
        without_embeddings: false,
    };
    let counts = store.export_snapshot(&opts, &mut sink).await.unwrap();

    assert_eq!(app.count("SELECT count(*) FROM tool_executions").await, 2);
    assert_eq!(counts.executions, 1, "the count saw the later write");
    assert_eq!(sink.snapshot.counts(), counts);
    assert!(
        sink.snapshot
            .executions
            .iter()
            .all(|e| e.tool_name != "late")
    );
    app.stop().await;
}
