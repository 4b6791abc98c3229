//! PostgreSQL stopped and started under the running service: requests fail fast with a 503
//! naming the database, `/ready` reports it, and the service recovers by itself. Runs its
//! own throwaway cluster (never the shared test cluster).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::{problem, spawn_app_on};
use serde_json::json;

/// A private PostgreSQL cluster managed with scripts/pg-env.sh.
struct Cluster {
    dir: PathBuf,
}

impl Cluster {
    async fn pg_env(&self, action: &str) -> String {
        let out = tokio::process::Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-env.sh"))
            .arg(action)
            .env("TOOLBOX_PG_DIR", &self.dir)
            .env_remove("DATABASE_URL")
            .output()
            .await
            .expect("run pg-env.sh");
        assert!(out.status.success(), "pg-env.sh {action} failed: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    async fn start(&self) -> String {
        let exports = self.pg_env("start").await;
        exports
            .lines()
            .find_map(|l| l.strip_prefix("export DATABASE_URL='"))
            .map(|u| u.trim_end_matches('\'').to_owned())
            .expect("pg-env.sh prints DATABASE_URL")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-env.sh"))
            .arg("stop")
            .env("TOOLBOX_PG_DIR", &self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_postgres_restart_gives_fast_503s_then_recovers_by_itself() {
    if crate::common::skip_unless_postgres(
        "a_postgres_restart_gives_fast_503s_then_recovers_by_itself",
        "it stops and starts a PostgreSQL server",
    ) {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("toolbox-fault-pg.")
        .tempdir()
        .unwrap()
        .keep();
    let cluster = Cluster { dir };
    let url = cluster.start().await;
    let app = spawn_app_on(&url, &[("DB_POOL_TIMEOUT", "1")]).await;
    let call =
        json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 1, "b": 2}});
    assert_eq!(app.get("/tools").await.status(), 200);
    app.db.close().await;

    cluster.pg_env("stop").await;
    let started = Instant::now();
    let body = problem(app.get("/tools").await, 503).await;
    println!("503 while PostgreSQL is down after {:?}", started.elapsed());
    assert_eq!(body["dependency"], "database");
    let resp = app.post("/mcp/call_tool", call.clone()).await;
    assert!(resp.headers().contains_key("retry-after"));
    problem(resp, 503).await;
    let body = problem(app.get("/ready").await, 503).await;
    assert_eq!(body["dependency"], "database");
    assert_eq!(app.get("/health").await.status(), 200);

    cluster.start().await;
    let mut ready = false;
    for _ in 0..100 {
        if app.get("/ready").await.status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(ready, "the service recovers once PostgreSQL is back");
    assert_eq!(app.get("/tools").await.status(), 200);
    let resp = app.post("/mcp/call_tool", call).await;
    assert_eq!(resp.status(), 200);
    app.stop().await;
}
