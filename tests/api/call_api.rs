//! Calling tools through `/mcp/call_tool`: the built-ins, validation, and the execution log.

use crate::common::{SUCCESS, problem, spawn_app};
use serde_json::{Value, json};

/// `TOOL_TIMEOUT_MS` when unset: no call returns after it.
const TOOL_TIMEOUT_MS: u64 = 30_000;

#[tokio::test]
async fn calculator_adds_as_in_the_plan() {
    let app = spawn_app().await;
    let (status, body) = app
        .call_tool_json("calculator", json!({"operation": "add", "a": 5, "b": 3}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["result"], json!({"value": 8}));
    // Present, and within the tool time limit the call ran under (TOOL_TIMEOUT_MS, 30 s).
    let duration_ms = body["duration_ms"]
        .as_u64()
        .expect("a duration in milliseconds");
    assert!(duration_ms < TOOL_TIMEOUT_MS, "{body}");
}

#[tokio::test]
async fn calculator_operations_and_expressions() {
    let app = spawn_app().await;
    for (args, expected) in [
        (json!({"operation": "subtract", "a": 5, "b": 8}), json!(-3)),
        (
            json!({"operation": "multiply", "a": 2.5, "b": 4}),
            json!(10),
        ),
        (json!({"operation": "divide", "a": 1, "b": 4}), json!(0.25)),
        (json!({"operation": "power", "a": 2, "b": 10}), json!(1024)),
        (json!({"operation": "sqrt", "a": 81}), json!(9)),
        (
            json!({"operation": "expression", "expression": "(1 + 2) * 3 ^ 2"}),
            json!(27),
        ),
    ] {
        let (status, body) = app.call_tool_json("calculator", args.clone()).await;
        assert_eq!(status, 200, "{args}");
        assert_eq!(body["result"]["value"], expected, "{args}");
    }
}

#[tokio::test]
async fn a_tool_failure_is_success_false_and_recorded() {
    let app = spawn_app().await;
    let (status, body) = app
        .call_tool_json("calculator", json!({"operation": "divide", "a": 1, "b": 0}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], false);
    assert!(body["error"].as_str().unwrap().contains("division by zero"));
    let row: (i64, Option<String>) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {SUCCESS}, error FROM tool_executions WHERE tool_name = 'calculator'"
    )))
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(row.0, 0);
    assert!(row.1.unwrap().contains("division by zero"));
}

#[tokio::test]
async fn string_utils_operations() {
    let app = spawn_app().await;
    for (args, expected) in [
        (json!({"operation": "upper", "text": "abc"}), json!("ABC")),
        (json!({"operation": "lower", "text": "ABC"}), json!("abc")),
        (json!({"operation": "reverse", "text": "abc"}), json!("cba")),
        (json!({"operation": "length", "text": "héllo"}), json!(5)),
        (
            json!({"operation": "word_count", "text": " one two  three "}),
            json!(3),
        ),
        (
            json!({"operation": "slugify", "text": "Hello, World!"}),
            json!("hello-world"),
        ),
        (json!({"operation": "trim", "text": "  x  "}), json!("x")),
        (
            json!({"operation": "replace", "text": "a-b-c", "find": "-", "replace_with": "+"}),
            json!("a+b+c"),
        ),
    ] {
        let (status, body) = app.call_tool_json("string_utils", args.clone()).await;
        assert_eq!(status, 200, "{args}");
        assert_eq!(body["result"]["value"], expected, "{args}");
    }
}

#[tokio::test]
async fn data_transform_converts_both_ways_and_explains_malformed_input() {
    let app = spawn_app().await;
    let (_, body) = app.call_tool_json(
        "data_transform",
        json!({"operation": "json_to_csv", "data": [{"a": 1, "b": "x"}, {"a": 2, "b": "y, z"}]}),
    )
    .await;
    assert_eq!(body["result"]["value"], "a,b\n1,x\n2,\"y, z\"\n");
    let (_, body) = app
        .call_tool_json(
            "data_transform",
            json!({"operation": "csv_to_json", "data": "a,b\n1,\"two\nlines\"\n"}),
        )
        .await;
    assert_eq!(
        body["result"]["value"],
        json!([{"a": "1", "b": "two\nlines"}])
    );
    let (_, body) = app
        .call_tool_json(
            "data_transform",
            json!({"operation": "csv_to_json", "data": "a,b\n1,2,3\n"}),
        )
        .await;
    assert_eq!(body["success"], false);
    assert!(body["error"].as_str().unwrap().contains("3 fields"));
    let (status, body) = app
        .call_tool_json(
            "data_transform",
            json!({"operation": "json_to_csv", "data": "not an array"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["pointer"], "/data");
}

#[tokio::test]
async fn bad_arguments_are_422_with_pointer_rule_and_expected_value() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/mcp/call_tool",
            json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": "five", "b": 1}}),
        )
        .await;
    let body = problem(resp, 422).await;
    let err = &body["errors"][0];
    assert_eq!(err["pointer"], "/a");
    assert_eq!(err["rule"], "type");
    assert_eq!(err["expected"], "number");
    let resp = app
        .post(
            "/mcp/call_tool",
            json!({"tool_name": "calculator", "arguments": {"operation": "modulo", "a": 1, "b": 1}}),
        )
        .await;
    let body = problem(resp, 422).await;
    assert_eq!(body["errors"][0]["rule"], "enum");
}

#[tokio::test]
async fn every_call_writes_one_execution_row_with_its_content() {
    let app = spawn_app().await;
    app.call_tool_json("calculator", json!({"operation": "add", "a": 1, "b": 2}))
        .await;
    app.call_tool_json("calculator", json!({"operation": "divide", "a": 1, "b": 0}))
        .await;
    app.call_tool_json("calculator", json!({"operation": "add"}))
        .await;
    app.call_tool_json("string_utils", json!({"operation": "upper", "text": "x"}))
        .await;
    type Row = (String, String, Option<String>, Option<String>, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT tool_name, CAST(input_data AS TEXT), CAST(output_data AS TEXT), error, {SUCCESS}, \
         duration_ms FROM tool_executions ORDER BY id"
    )))
    .fetch_all(&app.db)
    .await
    .unwrap();
    let json = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].0, "calculator");
    assert_eq!(
        json(&rows[0].1),
        json!({"operation": "add", "a": 1, "b": 2})
    );
    assert_eq!(rows[0].2.as_deref().map(json), Some(json!({"value": 3})));
    assert_eq!(rows[0].4, 1);
    assert!(rows[1].4 == 0 && rows[1].3.as_deref().unwrap().contains("division by zero"));
    assert!(rows[2].4 == 0 && rows[2].3.as_deref().unwrap().contains("invalid arguments"));
    assert_eq!(rows[3].0, "string_utils");
    // Every row records how long its run took, and each run ended within the tool time limit.
    assert!(
        rows.iter()
            .all(|r| (0..TOOL_TIMEOUT_MS as i64).contains(&r.5)),
        "{rows:?}"
    );
    let tool_ids = app
        .count("SELECT count(*) FROM tool_executions e JOIN tools t ON t.id = e.tool_id")
        .await;
    assert_eq!(tool_ids, 4);
}

#[tokio::test]
async fn calling_an_unknown_tool_is_404() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/mcp/call_tool",
            json!({"tool_name": "no_such_tool", "arguments": {}}),
        )
        .await;
    let body = problem(resp, 404).await;
    assert_eq!(body["tool_name"], "no_such_tool");
}

#[tokio::test]
async fn calling_a_registered_tool_without_an_executor_says_so() {
    let app = spawn_app().await;
    app.register("catalogue_only", "listed but not runnable", "misc", &[])
        .await;
    let resp = app
        .post(
            "/mcp/call_tool",
            json!({"tool_name": "catalogue_only", "arguments": {}}),
        )
        .await;
    let body = problem(resp, 409).await;
    assert!(body["detail"].as_str().unwrap().contains("no executor"));
}
