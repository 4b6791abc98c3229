//! Test harness: a fresh database per test on the throwaway cluster that `scripts/test.sh`
//! starts, the real application on a free port, and a real local embedding server whose
//! behaviour each test controls.
#![allow(dead_code)]

pub mod fake_embedder;
pub mod mcp;
pub mod tool_server;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use sqlx::{Connection, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use toolbox::{App, Config};

/// The admin URL of the test cluster (never a developer's own database).
pub fn admin_url() -> String {
    std::env::var("TOOLBOX_TEST_DATABASE_URL").expect(
        "TOOLBOX_TEST_DATABASE_URL is not set: run the suite with scripts/test.sh, which starts \
         a throwaway PostgreSQL with pgvector",
    )
}

/// Creates an empty database and returns its URL.
pub async fn fresh_database() -> String {
    let admin = admin_url();
    let name = format!("toolbox_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&admin)
        .await
        .expect("connect to test cluster");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
    format!("{base}/{name}")
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: PgPool,
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
    let db = PgPool::connect(database_url)
        .await
        .expect("connect test pool");
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        db,
        database_url: database_url.to_owned(),
        shutdown,
        handle,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
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
        sqlx::query_scalar(sql).fetch_one(&self.db).await.unwrap()
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
