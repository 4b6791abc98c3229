//! Deployment behaviour of the real binary: several replicas starting at once against one
//! fresh database, readiness gated on migrations, and the `healthcheck` subcommand that the
//! container image uses instead of curl.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::fresh_database;
use crate::common::process::{free_port, serve};

const BIN: &str = env!("CARGO_BIN_EXE_toolbox");

/// A server process, killed when dropped.
struct Replica {
    child: std::process::Child,
    port: u16,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_replica(db: &str, extra: &[(&str, &str)]) -> Replica {
    let port = free_port();
    let mut cmd = serve(db, port);
    cmd.env("DB_POOL_SIZE", "2");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    Replica {
        child: cmd.spawn().unwrap(),
        port,
    }
}

/// Polls `path` until it answers `status`; panics after 60 s (a hang, not a timing assertion).
async fn wait_for(port: u16, path: &str, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}{path}")).await
            && r.status().as_u16() == status
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} on port {port} never answered {status}");
}

fn healthcheck(port: u16) -> std::process::Output {
    Command::new(BIN)
        .arg("healthcheck")
        .env_clear()
        .env("PORT", port.to_string())
        .output()
        .unwrap()
}

#[tokio::test]
async fn three_replicas_starting_at_once_apply_each_migration_exactly_once() {
    if crate::common::skip_unless_postgres(
        "three_replicas_starting_at_once_apply_each_migration_exactly_once",
        "replicas share one PostgreSQL; the embedded store serves one replica",
    ) {
        return;
    }
    let db = fresh_database().await;

    let replicas: Vec<Replica> = (0..3).map(|_| start_replica(&db, &[])).collect();
    for r in &replicas {
        wait_for(r.port, "/ready", 200).await;
    }

    let pool = sqlx::PgPool::connect(&db).await.unwrap();
    let versions: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT version, count(*) FROM _sqlx_migrations WHERE success GROUP BY version ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let known = sqlx::migrate!("./migrations").iter().count();
    assert_eq!(versions.len(), known, "applied versions: {versions:?}");
    assert!(versions.iter().all(|(_, n)| *n == 1), "{versions:?}");
    let builtins: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tools WHERE name IN ('calculator', 'string_utils', 'data_transform')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(builtins, 3);
}

#[tokio::test]
async fn a_replica_that_does_not_migrate_is_ready_only_after_toolbox_migrate() {
    let db = fresh_database().await;
    let replica = start_replica(&db, &[("MIGRATE_ON_START", "false")]);
    wait_for(replica.port, "/health", 200).await;
    wait_for(replica.port, "/ready", 503).await;

    let out = Command::new(BIN)
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    wait_for(replica.port, "/ready", 200).await;
}

#[tokio::test]
async fn healthcheck_succeeds_against_a_running_server_and_fails_without_one() {
    let db = fresh_database().await;
    let replica = start_replica(&db, &[]);
    wait_for(replica.port, "/health", 200).await;

    let up = healthcheck(replica.port);
    assert!(up.status.success(), "{up:?}");

    let down = healthcheck(free_port());
    assert_eq!(down.status.code(), Some(1), "{down:?}");
    assert!(String::from_utf8_lossy(&down.stderr).contains("/health"));
}
