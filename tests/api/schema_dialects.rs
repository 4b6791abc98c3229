//! Tool schemas in every JSON Schema dialect: `$schema` decides, and without it 2020-12, then
//! draft-07, then draft-04. Arguments are checked by the dialect the schema was accepted in.

use crate::common::{problem, spawn_app};
use serde_json::json;

fn draft04_tool(name: &str, declared: bool) -> serde_json::Value {
    let mut schema = json!({
        "type": "object",
        "properties": {"count": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}},
        "required": ["count"]
    });
    if declared {
        schema["$schema"] = json!("http://json-schema.org/draft-04/schema#");
    }
    json!({"name": name, "description": "counts things", "input_schema": schema})
}

#[tokio::test]
async fn a_draft_04_schema_registers_and_validates_arguments_by_draft_04_rules() {
    let app = spawn_app().await;
    for (name, declared) in [("declared_04", true), ("undeclared_04", false)] {
        let resp = app.post("/tools", draft04_tool(name, declared)).await;
        assert_eq!(resp.status(), 201, "{name}: {}", resp.text().await.unwrap());
        // 0 is excluded by draft-04's boolean `exclusiveMinimum`.
        let resp = app.call_tool(name, json!({"count": 0})).await;
        let body = problem(resp, 422).await;
        assert_eq!(body["errors"][0]["pointer"], "/count", "{body}");
        assert_eq!(body["errors"][0]["rule"], "exclusiveMinimum", "{body}");
        // 1 passes the schema; the tool has no executor, so it is refused only as such.
        let (status, body) = app.call_tool_json(name, json!({"count": 1})).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error_kind"], "not_executable");
    }
}

#[tokio::test]
async fn a_schema_valid_in_no_dialect_is_refused_naming_the_pointer() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/tools",
            json!({"name": "bad", "description": "x", "input_schema": {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "properties": {"n": {"exclusiveMinimum": true}}}}),
        )
        .await;
    let body = problem(resp, 422).await;
    assert_eq!(
        body["errors"][0]["pointer"], "/input_schema/properties/n/exclusiveMinimum",
        "{body}"
    );
}
