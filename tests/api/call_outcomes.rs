//! Every outcome class of `call_tool`, end to end over HTTP, and the limits around a run.

use std::time::Duration;

use crate::common::tool_server::ToolServer;
use crate::common::{SUCCESS, problem, spawn_app, spawn_app_with};
use serde_json::{Value, json};

#[tokio::test]
async fn an_unknown_tool_is_not_found() {
    let app = spawn_app().await;
    let body = problem(app.call_tool("no-such-tool", json!({})).await, 404).await;
    assert_eq!(body["error_kind"], "not_found");
}

#[tokio::test]
async fn invalid_arguments_name_pointer_rule_and_expected_value() {
    let app = spawn_app().await;
    let resp = app
        .call_tool(
            "calculator",
            json!({"operation": "add", "a": "five", "b": 3}),
        )
        .await;
    let body = problem(resp, 422).await;
    assert_eq!(body["error_kind"], "invalid_arguments");
    let a = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["pointer"] == "/a")
        .unwrap();
    assert_eq!(a["rule"], "type");
    assert_eq!(a["expected"], "number");
    assert!(body["detail"].as_str().unwrap().contains("/a"));
    let kind: String = sqlx::query_scalar("SELECT error_kind FROM tool_executions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(kind, "invalid_arguments");
}

#[tokio::test]
async fn oversized_arguments_are_refused_before_the_tool_runs() {
    let app = spawn_app_with(&[("TOOL_MAX_INPUT_BYTES", "1024")]).await;
    let resp = app
        .call_tool(
            "string_utils",
            json!({"operation": "upper", "text": "x".repeat(2000)}),
        )
        .await;
    let body = problem(resp, 422).await;
    assert_eq!(body["errors"][0]["rule"], "maxBytes");
    assert_eq!(body["errors"][0]["expected"], 1024);
}

#[tokio::test]
async fn a_tool_failure_is_200_with_success_false_and_its_kind() {
    let app = spawn_app().await;
    let resp = app
        .call_tool(
            "calculator",
            json!({"operation": "power", "a": 2, "b": 1_000_000}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["error_kind"], "tool_error");
    assert!(body["error"].as_str().unwrap().contains("too large"));
}

#[tokio::test]
async fn a_discovery_only_tool_is_not_executable() {
    let app = spawn_app().await;
    app.register("weather", "Weather for a city", "web", &[])
        .await;
    let body = problem(app.call_tool("weather", json!({})).await, 409).await;
    assert_eq!(body["error_kind"], "not_executable");
}

#[tokio::test]
async fn saturation_is_answered_503_while_health_stays_responsive() {
    let app = spawn_app_with(&[
        ("TOOL_HTTP_ALLOWED_HOSTS", "127.0.0.1"),
        ("MAX_CONCURRENT_EXECUTIONS", "2"),
        ("EXECUTION_QUEUE_WAIT_MS", "20"),
    ])
    .await;
    let server = ToolServer::start().await;
    let resp = app
        .post(
            "/tools",
            json!({"name": "slow", "description": "Sleeps a while",
        "input_schema": {"type": "object"},
        "config": {"executor": {"kind": "http", "url": server.url("/slow?ms=4000")}}}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/mcp/call_tool"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({"tool_name": "slow"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    crate::common::wait_until(
        "both slow calls to reach the tool server",
        Duration::from_secs(30),
        || server.in_flight() >= 2,
    )
    .await;
    let resp = app
        .call_tool("calculator", json!({"operation": "add", "a": 1, "b": 2}))
        .await;
    assert!(resp.headers().contains_key("retry-after"));
    let body = problem(resp, 503).await;
    assert_eq!(body["error_kind"], "unavailable");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("MAX_CONCURRENT_EXECUTIONS")
    );
    assert_eq!(app.get("/health").await.status(), 200);
    for b in busy {
        assert_eq!(b.await.unwrap(), 200);
    }
    let unavailable: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tool_executions WHERE error_kind = 'unavailable'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(unavailable, 1);
}

#[tokio::test]
async fn a_thousand_concurrent_calls_leave_a_thousand_rows_with_their_outcomes() {
    let app = spawn_app_with(&[
        ("MAX_CONCURRENT_EXECUTIONS", "1000"),
        ("EXECUTION_QUEUE_WAIT_MS", "300000"),
        // A busy machine must not turn slow pool checkouts into 503s: this test is about rows.
        ("DB_POOL_TIMEOUT", "300"),
    ])
    .await;
    let calls = (0..1000).map(|i| {
        let (client, url) = (app.client.clone(), app.url("/mcp/call_tool"));
        // Two in three succeed, one in three fails (division by zero).
        let args = json!({"operation": "divide", "a": i, "b": if i % 3 == 0 { 0 } else { 2 }});
        async move {
            let resp = client
                .post(url)
                .json(&json!({"tool_name": "calculator", "arguments": args}))
                .timeout(std::time::Duration::from_secs(300))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            let body: Value = resp.json().await.unwrap();
            (
                body["execution_id"].as_i64().unwrap(),
                body["success"].as_bool().unwrap(),
            )
        }
    });
    let answers = futures::future::join_all(calls).await;
    let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, {SUCCESS}, error_kind FROM tool_executions ORDER BY id"
    )))
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1000);
    let by_id: std::collections::HashMap<i64, (bool, Option<String>)> = rows
        .into_iter()
        .map(|(id, s, k)| (id, (s == 1, k)))
        .collect();
    for (id, success) in &answers {
        let (row_success, kind) = &by_id[id];
        assert_eq!(row_success, success, "row {id}");
        assert_eq!(
            kind.as_deref(),
            if *success { None } else { Some("tool_error") }
        );
    }
    assert_eq!(answers.iter().filter(|(_, s)| !s).count(), 334);
}

#[tokio::test]
async fn large_inputs_are_stored_truncated_with_a_marker() {
    let app = spawn_app_with(&[("EXECUTION_LOG_MAX_BYTES", "512")]).await;
    let resp = app
        .call_tool(
            "string_utils",
            json!({"operation": "upper", "text": "x".repeat(2000)}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let (input, output): (String, String) = sqlx::query_as(
        "SELECT CAST(input_data AS TEXT), CAST(output_data AS TEXT) FROM tool_executions",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let input: Value = serde_json::from_str(&input).unwrap();
    let output: Value = serde_json::from_str(&output).unwrap();
    assert_eq!(input["_truncated"], true);
    assert_eq!(output["_truncated"], true);
    assert!(input["original_bytes"].as_u64().unwrap() > 2000);
}

#[tokio::test]
async fn the_request_id_is_recorded_with_the_run() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/mcp/call_tool"))
        .header("x-request-id", "req-42")
        .json(
            &json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 1, "b": 1}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let rid: Option<String> = sqlx::query_scalar("SELECT request_id FROM tool_executions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(rid.as_deref(), Some("req-42"));
}
