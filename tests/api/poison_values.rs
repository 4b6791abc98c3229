//! Values one store cannot keep as it was given must never poison reads for everyone, nor
//! fail someone else's call: numbers at the edge of the double range, NUL characters in text,
//! in filters and in call arguments, and history rows the database refuses.

use std::time::Duration;

use crate::common::{Backend, SUCCESS, TestApp, backend, problem, spawn_app};
use serde_json::{Value, json};

/// The largest double: PostgreSQL's jsonb keeps it as a 309-digit integer, which serde_json
/// cannot parse back ("number out of range").
const HUGE: f64 = f64::MAX;

async fn register_with_schema(app: &TestApp, name: &str, schema: Value) -> reqwest::Response {
    app.post(
        "/tools",
        json!({"name": name, "description": "a tool with an unusual schema", "input_schema": schema}),
    )
    .await
}

async fn history(app: &TestApp, tool: &str) -> Vec<Value> {
    let resp = app
        .get(&format!("/tools/{tool}/executions?limit=100"))
        .await;
    assert_eq!(resp.status(), 200, "the history of {tool} is readable");
    let page: Value = resp.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_schema_holding_the_largest_double_is_stored_and_every_read_still_answers() {
    let app = spawn_app().await;
    let schema =
        json!({"type": "object", "properties": {"x": {"type": "number", "maximum": HUGE}}});

    let resp = register_with_schema(&app, "huge_bound", schema.clone()).await;

    assert_eq!(resp.status(), 201);
    let one: Value = app.get("/tools/huge_bound").await.json().await.unwrap();
    assert_eq!(one["input_schema"], schema);
    assert_eq!(app.get("/tools").await.status(), 200);
    assert_eq!(app.post("/mcp/list_tools", json!({})).await.status(), 200);
    assert_eq!(
        app.post("/mcp/find_tool", json!({"query": "unusual schema"}))
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/tools/calculator/similar").await.status(), 200);
    let listed = app.mcp("2025-11-25", "tools/list", json!({})).await;
    assert!(listed["result"]["tools"].is_array(), "{listed}");
}

#[tokio::test]
async fn the_largest_double_in_call_arguments_leaves_the_history_readable() {
    let app = spawn_app().await;

    let resp = app
        .call_tool("calculator", json!({"operation": "add", "a": HUGE, "b": 0}))
        .await;

    assert_eq!(resp.status(), 200);
    let out: Value = resp.json().await.unwrap();
    let id = out["execution_id"].as_i64().unwrap();
    let items = history(&app, "calculator").await;
    assert_eq!(items[0]["input_data"]["a"], json!(HUGE));
    let one = app.get(&format!("/executions/{id}")).await;
    assert_eq!(one.status(), 200);
}

#[tokio::test]
async fn a_row_that_cannot_be_decoded_is_skipped_and_the_others_are_listed() {
    let app = spawn_app().await;
    app.register("readable_tool", "a tool that reads back", "general", &[])
        .await;
    app.register(
        "broken_tool",
        "a tool whose row was damaged",
        "general",
        &[],
    )
    .await;
    // A row no release writes but a hand edit can: its schema holds a number past the double
    // range, which PostgreSQL's json and SQLite accept as text and serde_json cannot read.
    let damaged = "{\"maximum\": 1e400}";
    let sql = format!("UPDATE tools SET input_schema = '{damaged}' WHERE name = 'broken_tool'");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&app.db)
        .await
        .unwrap();

    let resp = app.get("/tools").await;

    assert_eq!(resp.status(), 200);
    let tools: Vec<Value> = resp.json().await.unwrap();
    let names = crate::common::names(&tools);
    assert!(names.contains(&"readable_tool".to_owned()), "{names:?}");
    assert!(!names.contains(&"broken_tool".to_owned()), "{names:?}");
    let found = app
        .find(json!({"query": "a tool that reads back", "threshold": -1}))
        .await;
    assert!(crate::common::names(&found).contains(&"readable_tool".to_owned()));
}

#[tokio::test]
async fn a_nul_in_a_description_is_refused_with_422_naming_the_field() {
    let app = spawn_app().await;

    let resp = app
        .post(
            "/tools",
            json!({"name": "nul_tool", "description": "before\u{0}after", "input_schema": {"type": "object"}}),
        )
        .await;

    let body = problem(resp, 422).await;
    assert_eq!(body["errors"][0]["pointer"], "/description");
    assert_eq!(body["errors"][0]["rule"], "pattern");
    assert_eq!(app.get("/tools/nul_tool").await.status(), 404);
}

#[tokio::test]
async fn a_nul_in_any_text_field_of_an_update_is_refused_with_422() {
    let app = spawn_app().await;
    app.register("plain_tool", "plain", "general", &[]).await;

    for (field, value, pointer) in [
        ("long_description", json!("x\u{0}"), "/long_description"),
        ("examples", json!(["ok", "x\u{0}"]), "/examples/1"),
        ("author", json!("x\u{0}"), "/author"),
        ("version", json!("1\u{0}"), "/version"),
    ] {
        let resp = app.put("/tools/plain_tool", json!({ field: value })).await;

        let body = problem(resp, 422).await;
        assert_eq!(body["errors"][0]["pointer"], pointer, "{field}");
    }
}

#[tokio::test]
async fn a_nul_in_a_rest_filter_is_refused_with_400_naming_the_parameter() {
    let app = spawn_app().await;

    let by_category = problem(app.get("/tools?category=%00").await, 400).await;
    let by_tag = problem(app.get("/tools?tags=a,%00").await, 400).await;

    assert_eq!(by_category["parameter"], "category");
    assert_eq!(by_tag["parameter"], "tags");
}

#[tokio::test]
async fn a_nul_in_an_agent_filter_is_refused_with_422_naming_the_pointer() {
    let app = spawn_app().await;

    let listed = app
        .post("/mcp/list_tools", json!({"tags": ["ok", "\u{0}"]}))
        .await;
    let found = app
        .post(
            "/mcp/find_tool",
            json!({"query": "add numbers", "category": "\u{0}"}),
        )
        .await;

    assert_eq!(
        problem(listed, 422).await["errors"][0]["pointer"],
        "/tags/1"
    );
    assert_eq!(
        problem(found, 422).await["errors"][0]["pointer"],
        "/category"
    );
}

#[tokio::test]
async fn a_nul_in_an_mcp_find_tool_filter_is_a_tool_error_not_a_retry() {
    let app = spawn_app().await;

    let resp = app
        .mcp(
            "2025-11-25",
            "tools/call",
            json!({"name": "find_tool", "arguments": {"query": "add numbers", "tags": ["\u{0}"]}}),
        )
        .await;

    let result = &resp["result"];
    assert_eq!(result["isError"], true, "{resp}");
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("/tags/0"), "{text}");
    assert!(!text.contains("try again"), "{text}");
}

#[tokio::test]
async fn a_nul_in_call_arguments_and_result_is_answered_and_recorded_as_sent() {
    let app = spawn_app().await;
    let text = "left\u{0}right";

    let resp = app
        .call_tool(
            "string_utils",
            json!({"operation": "reverse", "text": text}),
        )
        .await;

    assert_eq!(resp.status(), 200);
    let out: Value = resp.json().await.unwrap();
    assert_eq!(out["success"], true, "{out}");
    assert_eq!(out["result"]["value"], "thgir\u{0}tfel", "{out}");
    assert!(out["execution_id"].as_i64().unwrap() > 0);
    let items = history(&app, "string_utils").await;
    assert_eq!(items[0]["input_data"]["text"], text);
    assert_eq!(items[0]["output_data"], out["result"]);
}

#[tokio::test]
async fn valid_calls_mixed_with_nul_calls_all_succeed_and_are_recorded() {
    let app = spawn_app().await;
    let clients = 16;
    let calls_per_client = 11;

    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = app.client.clone();
        let url = app.url("/mcp/call_tool");
        tasks.push(tokio::spawn(async move {
            let mut valid_ok = 0;
            for i in 0..calls_per_client {
                // One call in eleven carries a NUL (an invalid operation, so it is refused
                // with 422 and recorded as such); the others are valid sums.
                let (args, valid) = if i % 11 == 10 {
                    (json!({"operation": "a\u{0}dd", "a": c, "b": i}), false)
                } else {
                    (json!({"operation": "add", "a": c, "b": i}), true)
                };
                let resp = client
                    .post(&url)
                    .json(&json!({"tool_name": "calculator", "arguments": args}))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                if valid {
                    assert_eq!(status, 200, "a valid call");
                    valid_ok += 1;
                } else {
                    assert_eq!(status, 422, "a call with a NUL in its operation");
                }
            }
            valid_ok
        }));
    }
    let mut valid_ok = 0;
    for t in tasks {
        valid_ok += tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .expect("the clients finish within a minute")
            .unwrap();
    }

    assert_eq!(valid_ok, clients * 10);
    let recorded = app
        .count(&format!(
            "SELECT count(*) FROM tool_executions WHERE {SUCCESS} = 1"
        ))
        .await;
    assert_eq!(recorded, i64::from(clients * 10));
    let refused = app
        .count(&format!(
            "SELECT count(*) FROM tool_executions WHERE {SUCCESS} = 0"
        ))
        .await;
    assert_eq!(refused, i64::from(clients));
}

/// Makes the database refuse every history row whose arguments mention `poison`, as a
/// constraint the application does not know about would.
async fn refuse_poisoned_history_rows(app: &TestApp) {
    let statements: &[&'static str] = match backend() {
        Backend::Postgres => &[
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.input_data::text LIKE '%poison%' THEN \
               RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON tool_executions \
             FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
        ],
        Backend::Sqlite => &[
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON tool_executions \
             WHEN NEW.input_data LIKE '%poison%' \
             BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
        ],
    };
    for sql in statements {
        sqlx::query(*sql).execute(&app.db).await.unwrap();
    }
}

#[tokio::test]
async fn a_history_row_the_database_refuses_fails_no_other_call_and_not_its_own() {
    let app = spawn_app().await;
    refuse_poisoned_history_rows(&app).await;

    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = app.client.clone();
        let url = app.url("/mcp/call_tool");
        tasks.push(tokio::spawn(async move {
            let text = if i % 4 == 0 { "poison" } else { "fine" };
            let resp = client
                .post(&url)
                .json(&json!({"tool_name": "string_utils",
                              "arguments": {"operation": "upper", "text": text}}))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap();
            (text, status, body)
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(
            tokio::time::timeout(Duration::from_secs(60), t)
                .await
                .expect("the calls finish within a minute")
                .unwrap(),
        );
    }

    for (text, status, body) in &answers {
        assert_eq!(*status, 200, "{text}: {body}");
        assert_eq!(body["result"]["value"], text.to_uppercase(), "{body}");
        let id = body["execution_id"].as_i64().unwrap();
        if *text == "poison" {
            assert_eq!(id, 0, "a call whose row was refused has no execution id");
        } else {
            assert!(id > 0, "{body}");
        }
    }
    let recorded = app.count("SELECT count(*) FROM tool_executions").await;
    assert_eq!(recorded, 30);
}

#[tokio::test]
async fn mcp_tools_list_pages_past_a_row_that_cannot_be_decoded() {
    let app = crate::common::spawn_app_with(&[("MCP_PAGE_SIZE", "2")]).await;
    for name in ["tool_a", "tool_b", "tool_c", "tool_d"] {
        app.register(name, "a tool", "general", &[]).await;
    }
    sqlx::query("UPDATE tools SET input_schema = '{\"maximum\": 1e999}' WHERE name = 'tool_b'")
        .execute(&app.db)
        .await
        .unwrap();

    let mut listed = Vec::new();
    let mut params = json!({});
    for _ in 0..20 {
        let page = app.mcp("2025-11-25", "tools/list", params.clone()).await;
        for t in page["result"]["tools"].as_array().unwrap() {
            listed.push(t["name"].as_str().unwrap().to_owned());
        }
        match page["result"]["nextCursor"].as_str() {
            Some(c) => params = json!({"cursor": c}),
            None => break,
        }
    }

    for name in ["tool_a", "tool_c", "tool_d", "calculator"] {
        assert!(listed.contains(&name.to_owned()), "{name} in {listed:?}");
    }
    assert!(!listed.contains(&"tool_b".to_owned()), "{listed:?}");
}
