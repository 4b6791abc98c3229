//! Tool management through `/tools` and `/mcp/list_tools`, against the real server.

use crate::common::{names, problem, spawn_app};
use serde_json::json;

#[tokio::test]
async fn registering_a_tool_stores_it_with_an_embedding() {
    let app = spawn_app().await;
    let body = app
        .register(
            "get_weather",
            "Current weather for a city",
            "weather",
            &["forecast"],
        )
        .await;
    assert_eq!(body["name"], "get_weather");
    assert_eq!(body["category"], "weather");
    assert_eq!(body["version"], "1.0.0");

    let fetched: serde_json::Value = app.get("/tools/get_weather").await.json().await.unwrap();
    assert_eq!(fetched["description"], "Current weather for a city");
    assert_eq!(fetched["tags"], json!(["forecast"]));
    let with_embedding = app
        .count("SELECT count(*) FROM tools WHERE name = 'get_weather' AND embedding IS NOT NULL")
        .await;
    assert_eq!(with_embedding, 1);
}

#[tokio::test]
async fn registering_a_duplicate_name_is_a_conflict() {
    let app = spawn_app().await;
    app.register("dup", "first", "misc", &[]).await;
    let resp = app
        .post(
            "/tools",
            json!({"name": "dup", "description": "second", "input_schema": {"type": "object"}}),
        )
        .await;
    let body = problem(resp, 409).await;
    assert_eq!(body["tool_name"], "dup");
}

#[tokio::test]
async fn an_invalid_definition_lists_every_problem_with_its_pointer() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/tools",
            json!({"name": "bad name", "tags": ["ok", " padded"], "input_schema": []}),
        )
        .await;
    let body = problem(resp, 422).await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert!(pointers.contains(&"/name"), "{pointers:?}");
    assert!(pointers.contains(&"/description"), "{pointers:?}");
    assert!(pointers.contains(&"/tags/1"), "{pointers:?}");
    assert!(pointers.contains(&"/input_schema"), "{pointers:?}");
}

#[tokio::test]
async fn updating_changes_fields_and_reembeds_only_when_the_text_changes() {
    let app = spawn_app().await;
    app.register(
        "pdf_to_text",
        "Extract text from PDF files",
        "documents",
        &[],
    )
    .await;
    let updated_at_before: String = sqlx::query_scalar(
        // Text in a fixed-width UTC form on both backends, so text order is time order.
        "SELECT CAST(updated_at AS TEXT) FROM tools WHERE name = 'pdf_to_text'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let embedding_before = app.embedding_text("pdf_to_text").await;

    // A field outside the embedded text: the embedding stays.
    let resp = app
        .put("/tools/pdf_to_text", json!({"version": "2.0.0"}))
        .await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["version"], "2.0.0");
    let embedding_same = app.embedding_text("pdf_to_text").await;
    assert_eq!(embedding_before, embedding_same);

    // The description is embedded: the embedding changes.
    let resp = app
        .put(
            "/tools/pdf_to_text",
            json!({"description": "Turn scanned invoices into plain text"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let embedding_after = app.embedding_text("pdf_to_text").await;
    assert_ne!(embedding_before, embedding_after);
    let updated_at_after: String = sqlx::query_scalar(
        // Text in a fixed-width UTC form on both backends, so text order is time order.
        "SELECT CAST(updated_at AS TEXT) FROM tools WHERE name = 'pdf_to_text'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(updated_at_after > updated_at_before);
}

#[tokio::test]
async fn updating_cannot_rename_or_touch_built_ins() {
    let app = spawn_app().await;
    app.register("keep_name", "something", "misc", &[]).await;
    let body = problem(
        app.put("/tools/keep_name", json!({"name": "other"})).await,
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "/name");
    problem(
        app.put("/tools/calculator", json!({"version": "9"})).await,
        409,
    )
    .await;
    problem(app.delete("/tools/calculator").await, 409).await;
    problem(
        app.put("/tools/missing", json!({"version": "9"})).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn deleting_removes_the_tool_and_a_second_delete_is_not_found() {
    let app = spawn_app().await;
    app.register("temp_tool", "temporary", "misc", &[]).await;
    assert_eq!(app.delete("/tools/temp_tool").await.status(), 204);
    problem(app.get("/tools/temp_tool").await, 404).await;
    problem(app.delete("/tools/temp_tool").await, 404).await;
}

#[tokio::test]
async fn list_tools_filters_by_category_and_by_all_given_tags() {
    let app = spawn_app().await;
    app.register("a_tool", "alpha", "alpha", &["x", "y"]).await;
    app.register("b_tool", "beta", "alpha", &["x"]).await;
    app.register("c_tool", "gamma", "gamma", &["y"]).await;

    let all: Vec<serde_json::Value> = app
        .post("/mcp/list_tools", json!({}))
        .await
        .json()
        .await
        .unwrap();
    // Three registered plus the three built-ins, sorted by name.
    assert_eq!(
        names(&all),
        [
            "a_tool",
            "b_tool",
            "c_tool",
            "calculator",
            "data_transform",
            "string_utils"
        ]
    );
    let item = &all[0];
    for key in [
        "name",
        "description",
        "category",
        "tags",
        "input_schema",
        "version",
        "created_at",
    ] {
        assert!(item.get(key).is_some(), "list item lacks {key}");
    }

    let alpha: Vec<serde_json::Value> = app
        .post("/mcp/list_tools", json!({"category": "alpha"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&alpha), ["a_tool", "b_tool"]);

    let tagged: Vec<serde_json::Value> = app
        .post("/mcp/list_tools", json!({"tags": ["x", "y"]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&tagged), ["a_tool"]);

    let both: Vec<serde_json::Value> = app
        .post(
            "/mcp/list_tools",
            json!({"category": "gamma", "tags": ["y"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&both), ["c_tool"]);

    let query: Vec<serde_json::Value> = app
        .get("/tools?category=alpha&tags=y")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&query), ["a_tool"]);
}

#[tokio::test]
async fn built_in_tools_are_registered_at_startup() {
    let app = spawn_app().await;
    for name in ["calculator", "string_utils", "data_transform"] {
        let resp = app.get(&format!("/tools/{name}")).await;
        assert_eq!(resp.status(), 200, "{name}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["name"], name);
        assert!(
            body["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{body}"
        );
        assert_eq!(body["input_schema"]["type"], "object", "{body}");
    }
}

#[tokio::test]
async fn the_name_of_the_bulk_route_cannot_be_registered() {
    let app = spawn_app().await;
    let resp = app
        .post(
            "/tools",
            json!({"name": "bulk", "description": "x", "input_schema": {"type": "object"}}),
        )
        .await;
    let body = problem(resp, 422).await;
    assert_eq!(body["errors"][0]["pointer"], "/name");
    assert_eq!(body["errors"][0]["rule"], "reserved");
    let resp = app
        .post(
            "/tools",
            json!({"name": "bulk_mail", "description": "x", "input_schema": {"type": "object"}}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["name"], "bulk_mail");
}
