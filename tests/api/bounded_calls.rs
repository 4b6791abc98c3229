//! One request cannot exhaust the process: schemas whose validation never ends are refused,
//! and built-ins that would amplify a small request into gigabytes stop early with a
//! `tool_error` (issue 14, items 1 and 2).

use crate::common::{Backend, backend, problem, spawn_app, spawn_app_with};
use serde_json::{Value, json};

/// Inputs as large as the reproducers (up to 260 KB) must reach the tools, not the input limit.
const LARGE_INPUT: [(&str, &str); 1] = [("TOOL_MAX_INPUT_BYTES", "1048576")];

fn two_step_cycle() -> Value {
    json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"})
}

fn tree() -> Value {
    json!({"$defs": {"node": {"type": "object", "properties": {
        "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node"})
}

fn definition(name: &str, schema: Value) -> Value {
    json!({"name": name, "description": "schema bounds", "input_schema": schema})
}

/// A refusal, not a result: the unbounded code aborted the process or built gigabytes first.
fn assert_refused_as_too_large(status: u16, body: &Value) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error_kind"], "tool_error", "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("TOOL_MAX_OUTPUT_BYTES") || error.contains("cells"),
        "{error}"
    );
}

#[tokio::test]
async fn registering_a_ref_cycle_is_refused_at_the_ref_that_closes_it() {
    let app = spawn_app().await;
    let resp = app
        .post("/tools", definition("cyc", two_step_cycle()))
        .await;
    let body = problem(resp, 422).await;
    let err = &body["errors"][0];
    assert_eq!(err["rule"], "$ref", "{body}");
    assert_eq!(err["pointer"], "/input_schema/$defs/b/$ref", "{body}");
}

#[tokio::test]
async fn every_shape_of_in_place_cycle_is_refused_with_its_pointer() {
    let app = spawn_app().await;
    for (schema, pointer) in [
        (
            json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/c"},
                             "c": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}),
            "/input_schema/$defs/c/$ref",
        ),
        (
            json!({"allOf": [{"$ref": "#"}]}),
            "/input_schema/allOf/0/$ref",
        ),
        (
            json!({"type": "object", "properties": {"x": {"$ref": "#/$defs/a"}},
                   "$defs": {"a": {"anyOf": [{"$ref": "#/$defs/b"}]}, "b": {"$ref": "#/$defs/a"}}}),
            "/input_schema/$defs/b/$ref",
        ),
    ] {
        let resp = app.post("/tools", definition("cyc", schema.clone())).await;
        let body = problem(resp, 422).await;
        assert_eq!(body["errors"][0]["pointer"], pointer, "{schema}");
    }
}

#[tokio::test]
async fn an_output_schema_cycle_is_refused_too() {
    let app = spawn_app().await;
    let mut def = definition("cyc", json!({"type": "object"}));
    def["output_schema"] = json!({"not": {"$ref": "#"}});
    let body = problem(app.post("/tools", def).await, 422).await;
    assert_eq!(body["errors"][0]["pointer"], "/output_schema/not/$ref");
}

#[tokio::test]
async fn a_bulk_import_with_a_ref_cycle_is_refused_with_its_item_pointer() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/tools/bulk",
            json!({"tools": [definition("fine", tree()), definition("cyc", two_step_cycle())]}),
        )
        .await;
    let body = problem(resp, 422).await;
    assert_eq!(
        body["errors"][0]["pointer"], "/tools/1/input_schema/$defs/b/$ref",
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM tools WHERE name = 'fine'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_recursive_tree_schema_is_accepted_and_validates_deep_arguments() {
    let app = spawn_app().await;
    let resp = app.post("/tools", definition("tree", tree())).await;
    assert_eq!(resp.status(), 201);
    let bad = json!({"children": [{"children": [{"children": "leaf"}]}]});
    let body = problem(app.call_tool("tree", bad).await, 422).await;
    assert_eq!(
        body["errors"][0]["pointer"],
        "/children/0/children/0/children"
    );
}

#[tokio::test]
async fn a_stored_ref_cycle_written_by_hand_answers_a_schema_error_on_call() {
    let app = spawn_app().await;
    let resp = app
        .post("/tools", definition("cyc", json!({"type": "object"})))
        .await;
    assert_eq!(resp.status(), 201);
    let sql = match backend() {
        Backend::Postgres => "UPDATE tools SET input_schema = CAST($1 AS jsonb) WHERE name = 'cyc'",
        Backend::Sqlite => "UPDATE tools SET input_schema = $1 WHERE name = 'cyc'",
    };
    sqlx::query(sql)
        .bind(two_step_cycle().to_string())
        .execute(&app.db)
        .await
        .unwrap();
    let body = problem(app.call_tool("cyc", json!({})).await, 422).await;
    assert_eq!(body["errors"][0]["rule"], "schema", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("$defs/b/$ref"),
        "{body}"
    );
}

#[tokio::test]
async fn a_replace_that_would_grow_to_gigabytes_is_a_tool_error_at_once() {
    let app = spawn_app_with(&LARGE_INPUT).await;
    let args = json!({"operation": "replace", "text": "a".repeat(130_000), "find": "a",
                      "replace_with": "b".repeat(130_000)});
    let (status, body) = app.call_tool_json("string_utils", args).await;
    assert_refused_as_too_large(status, &body);
}

#[tokio::test]
async fn a_replace_within_the_bound_still_works() {
    let app = spawn_app().await;
    let args = json!({"operation": "replace", "text": "a-b-c", "find": "-", "replace_with": "--"});
    let (status, body) = app.call_tool_json("string_utils", args).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["value"], "a--b--c");
}

#[tokio::test]
async fn csv_with_a_wide_header_and_many_rows_is_a_tool_error_at_once() {
    let app = spawn_app_with(&LARGE_INPUT).await;
    for (columns, rows) in [(20_000, 50_000), (2_000, 5_000)] {
        let header: Vec<String> = (0..columns).map(|i| format!("c{i}")).collect();
        let csv = format!("{}\n{}", header.join(","), "1\n".repeat(rows));
        let args = json!({"operation": "csv_to_json", "data": csv});
        let (status, body) = app.call_tool_json("data_transform", args).await;
        assert_refused_as_too_large(status, &body);
    }
}

#[tokio::test]
async fn json_to_csv_over_objects_with_distinct_keys_is_a_tool_error_at_once() {
    let app = spawn_app_with(&LARGE_INPUT).await;
    let rows: Vec<Value> = (0..26_000).map(|i| json!({format!("k{i}"): 1})).collect();
    let args = json!({"operation": "json_to_csv", "data": rows});
    let (status, body) = app.call_tool_json("data_transform", args).await;
    assert_refused_as_too_large(status, &body);
}
