//! The real binary: configuration errors, the dimension guard, and an end-to-end run.

use std::process::Command;

use crate::common::fresh_database;
use crate::common::process::{Child, free_port, serve, wait_ready};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_toolbox");

#[tokio::test]
async fn the_binary_serves_register_find_and_call_end_to_end() {
    let db = fresh_database().await;
    let port = free_port();
    let _child = Child(serve(&db, port).spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let client = reqwest::Client::new();

    let resp = client
        .post(format!("{base}/tools"))
        .json(&json!({
            "name": "currency_converter",
            "description": "Convert an amount of money from one currency to another",
            "category": "finance",
            "input_schema": {"type": "object"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    let hits: Vec<serde_json::Value> = client
        .post(format!("{base}/mcp/find_tool"))
        .json(&json!({"query": "how much is 20 dollars in euros? convert currency"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hits[0]["name"], "currency_converter");

    let out: serde_json::Value = client
        .post(format!("{base}/mcp/call_tool"))
        .json(&json!({"tool_name": "calculator", "arguments": {"operation": "multiply", "a": 6, "b": 7}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(out["result"]["value"], 42);

    let pool = crate::common::connect_any(&db).await;
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tool_executions WHERE tool_name = 'calculator'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_bad_variable_stops_startup_naming_it() {
    let out = Command::new(BIN)
        .arg("serve")
        .env_clear()
        .env("EMBEDDING_DIMENSION", "many")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("EMBEDDING_DIMENSION"), "{stderr}");
}

#[tokio::test]
async fn a_database_with_another_dimension_is_refused() {
    let db = fresh_database().await;
    let migrate = |dim: &str| {
        Command::new(BIN)
            .arg("migrate")
            .env_clear()
            .env("DATABASE_URL", &db)
            .env("EMBEDDING_DIMENSION", dim)
            .output()
            .unwrap()
    };
    assert!(migrate("384").status.success());
    let out = migrate("768");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("dimension 384") && stderr.contains("768"),
        "{stderr}"
    );
}
