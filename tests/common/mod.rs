//! Test harness: a fresh database per test, the real application on a free port, and a real
//! local embedding server whose behaviour each test controls.
//!
//! `TOOLBOX_TEST_BACKEND` chooses the store every test runs against: `postgres` (the default:
//! a fresh database on the throwaway cluster that `scripts/test.sh` starts) or `sqlite` (a
//! fresh file per test). `scripts/test.sh` runs the suite once for each.
#![allow(dead_code)]

pub mod fake_embedder;
pub mod fake_reranker;
pub mod mcp;
pub mod process;
pub mod tool_server;
pub mod upstream;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use sqlx::{AnyPool, Connection, PgConnection};
use tokio_util::sync::CancellationToken;
use toolbox::{App, Config};

/// The store the suite runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// The backend chosen by `TOOLBOX_TEST_BACKEND` (`postgres` when unset).
pub fn backend() -> Backend {
    match std::env::var("TOOLBOX_TEST_BACKEND").as_deref() {
        Err(_) | Ok("" | "postgres") => Backend::Postgres,
        Ok("sqlite") => Backend::Sqlite,
        Ok(other) => panic!("TOOLBOX_TEST_BACKEND={other:?}: expected `postgres` or `sqlite`"),
    }
}

/// For a test of something only PostgreSQL does, called first with the test's name. On another
/// backend it prints `SKIPPED (needs PostgreSQL): <test>` on stderr and returns `true` (the test
/// returns). On PostgreSQL it leaves a marker file named after the test in [`PG_ONLY_MARKERS`],
/// which `scripts/test.sh` checks after its PostgreSQL pass, so a PostgreSQL-only test that
/// returned early there, or was never reached, fails the suite instead of passing unseen.
pub fn skip_unless_postgres(test: &str, reason: &str) -> bool {
    if backend() != Backend::Postgres {
        // Written to the process's stderr, not through `eprintln!`, which the test harness
        // captures and shows only for failures: a skip must be seen on a passing run.
        use std::io::Write;
        let line = format!("SKIPPED (needs PostgreSQL): {test} ({reason})\n");
        let _ = std::io::stderr().write_all(line.as_bytes());
        return true;
    }
    let dir = std::path::Path::new(PG_ONLY_MARKERS);
    std::fs::create_dir_all(dir).expect("the marker directory can be created");
    std::fs::write(dir.join(test), b"").expect("the marker can be written");
    false
}

/// Where PostgreSQL-only tests record that they ran (under cargo's scratch directory for tests).
pub const PG_ONLY_MARKERS: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/pg-only-ran");

/// Polls `done` every 10 ms until it holds; panics naming `what` if it still does not after
/// `within`, so a test that waits for a condition cannot hang.
pub async fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "gave up after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The admin URL of the test cluster (never a developer's own database).
pub fn admin_url() -> String {
    std::env::var("TOOLBOX_TEST_DATABASE_URL").expect(
        "TOOLBOX_TEST_DATABASE_URL is not set: run the suite with scripts/test.sh, which starts \
         a throwaway PostgreSQL with pgvector",
    )
}

/// Creates an empty database and returns its URL: a new PostgreSQL database, or a path for
/// a new SQLite file under cargo's scratch directory for tests.
pub async fn fresh_database() -> String {
    if backend() == Backend::Sqlite {
        return format!(
            "sqlite://{}/sqlite-{}/toolbox.db",
            env!("CARGO_TARGET_TMPDIR"),
            uuid::Uuid::new_v4().simple()
        );
    }
    let admin = admin_url();
    let name = format!("toolbox_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&admin)
        .await
        .expect("connect to test cluster");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
    format!("{base}/{name}")
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// A pool on the test's database, for assertions in SQL both backends understand.
    pub db: AnyPool,
    pub database_url: String,
    pub shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Starts the app with the built-in embedder on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with extra environment variables on a fresh database.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let database_url = fresh_database().await;
    spawn_app_on(&database_url, vars).await
}

/// Starts the app on an existing database.
pub async fn spawn_app_on(database_url: &str, vars: &[(&str, &str)]) -> TestApp {
    let mut env: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url.to_owned()),
        ("HOST".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("DB_POOL_SIZE".into(), "4".into()),
        ("DB_MAX_OVERFLOW".into(), "4".into()),
    ]);
    for (k, v) in vars {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let cfg = Config::from_map(&env).expect("valid test configuration");
    let app = App::build(cfg).await.expect("app builds");
    let port = app.port();
    let shutdown = app.shutdown_token();
    let handle = tokio::spawn(app.run_until_stopped());
    let db = connect_any(database_url).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_for_search_index(&client, &base).await;
    TestApp {
        base,
        client,
        db,
        database_url: database_url.to_owned(),
        shutdown,
        handle,
    }
}

/// Waits (up to 20 s) until `/ready` no longer says the search index is being built, as a
/// load balancer would; a `/ready` that fails for another reason (a database a test took
/// down on purpose) is left for the test to see.
pub async fn wait_for_search_index(client: &reqwest::Client, base: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let building = match client.get(format!("{base}/ready")).send().await {
            Ok(r) if r.status() == 503 => r
                .json::<Value>()
                .await
                .is_ok_and(|b| b["dependency"] == "search index"),
            _ => false,
        };
        if !building {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the search index was not built within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `tool_executions.success` as 1 or 0: the `Any` driver reads no SQLite boolean.
pub const SUCCESS: &str = "(CASE WHEN success THEN 1 ELSE 0 END)";

/// A pool on `url` through sqlx's `Any` driver, so assertions run on either backend.
pub async fn connect_any(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(url).await.expect("connect test pool")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /mcp/call_tool` with `tool` and `args`.
    pub async fn call_tool(&self, tool: &str, args: Value) -> reqwest::Response {
        self.post(
            "/mcp/call_tool",
            serde_json::json!({"tool_name": tool, "arguments": args}),
        )
        .await
    }

    /// Calls `tool` and returns the status and the JSON body.
    pub async fn call_tool_json(&self, tool: &str, args: Value) -> (u16, Value) {
        let resp = self.call_tool(tool, args).await;
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("a JSON body"))
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn put(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Registers a tool with a minimal schema and returns the response body.
    pub async fn register(
        &self,
        name: &str,
        description: &str,
        category: &str,
        tags: &[&str],
    ) -> Value {
        let resp = self
            .post(
                "/tools",
                serde_json::json!({
                    "name": name,
                    "description": description,
                    "category": category,
                    "tags": tags,
                    "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
                }),
            )
            .await;
        assert_eq!(resp.status(), 201, "registering {name}");
        resp.json().await.unwrap()
    }

    pub async fn find(&self, body: Value) -> Vec<Value> {
        let resp = self.post("/mcp/find_tool", body).await;
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// A tool's stored embedding as text, to see whether it changed.
    pub async fn embedding_text(&self, name: &str) -> String {
        let sql = match backend() {
            Backend::Postgres => "SELECT embedding::text FROM tools WHERE name = $1",
            Backend::Sqlite => "SELECT hex(embedding) FROM tools WHERE name = $1",
        };
        sqlx::query_scalar(sql)
            .bind(name)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// Waits (up to `within`) until this replica's search index holds `documents` tools, as
    /// `/ready` reports it: for writes made behind the app's back (SQL, another process).
    pub async fn wait_for_indexed(&self, documents: u64, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        loop {
            let ready: Value = self.get("/ready").await.json().await.unwrap_or_default();
            let now = ready["search_index"]["documents"].as_u64().unwrap_or(0);
            if now == documents {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the search index holds {now} tools, not {documents}, after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.handle.await;
    }
}

/// Names of the hits, in order.
pub fn names(hits: &[Value]) -> Vec<String> {
    hits.iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts a problem+json response and returns its body.
pub async fn problem(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(ct, "application/problem+json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}
