//! `POST /tools/bulk` and `toolbox import` against the real server and a real embedding server.

use std::process::Command;

use crate::common::fake_embedder::{FakeEmbedder, Mode};
use crate::common::{fresh_database, problem, spawn_app_on, spawn_app_with};
use serde_json::{Value, json};

fn tool(name: &str, description: &str) -> Value {
    json!({"name": name, "description": description, "input_schema": {"type": "object"}})
}

fn pointers(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn bulk_import_embeds_in_batches_and_writes_every_tool() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", &fake.url),
        ("EMBEDDING_BATCH_SIZE", "2"),
    ])
    .await;
    fake.inputs.lock().await.clear();
    let tools: Vec<Value> = (0..5)
        .map(|i| tool(&format!("bulk_{i}"), &format!("bulk tool number {i}")))
        .collect();
    let resp = app.post("/tools/bulk", json!({"tools": tools})).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["created"].as_array().unwrap().len(), 5);
    assert_eq!(body["embedded"], 5);
    let mut sizes = fake.batch_sizes().await;
    sizes.sort();
    assert_eq!(sizes, [1, 2, 2]);
    let stored = app
        .count("SELECT count(*) FROM tools WHERE name LIKE 'bulk_%' AND embedding IS NOT NULL")
        .await;
    assert_eq!(stored, 5);
    let hits = app
        .find(json!({"query": "bulk tool number 3", "limit": 1}))
        .await;
    assert_eq!(hits[0]["name"], "bulk_3");
}

#[tokio::test]
async fn one_invalid_item_rejects_the_import_listing_every_problem_by_index() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[("EMBEDDING_ENDPOINT_URL", &fake.url)]).await;
    let before = fake.request_count();
    let resp = app
        .post(
            "/tools/bulk",
            json!({"tools": [
                tool("fine", "ok"),
                tool("bad name", "x"),
                {"name": "no_schema", "description": "x"},
                tool("fine", "dup"),
                tool("calculator", "shadowing a built-in"),
            ]}),
        )
        .await;
    let body = problem(resp, 422).await;
    assert_eq!(
        pointers(&body),
        ["/tools/1/name", "/tools/2/input_schema", "/tools/3/name"]
    );
    assert_eq!(
        app.count("SELECT count(*) FROM tools WHERE name = 'fine'")
            .await,
        0
    );
    assert_eq!(fake.request_count(), before, "nothing embedded");

    let resp = app
        .post(
            "/tools/bulk",
            json!({"tools": [tool("ok2", "x"), tool("calculator", "x")]}),
        )
        .await;
    let body = problem(resp, 409).await;
    assert_eq!(pointers(&body), ["/tools/1/name"]);
    assert_eq!(body["errors"][0]["rule"], "builtin");
}

#[tokio::test]
async fn existing_names_are_refused_unless_upsert_is_set() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[("EMBEDDING_ENDPOINT_URL", &fake.url)]).await;
    app.register("kept", "original text", "misc", &[]).await;
    app.register("same", "unchanged text", "misc", &[]).await;

    let resp = app
        .post(
            "/tools/bulk",
            json!({"tools": [tool("new_one", "x"), tool("kept", "new text")]}),
        )
        .await;
    let body = problem(resp, 409).await;
    assert_eq!(body["type"], "urn:toolbox:problem:import-conflict");
    assert_eq!(pointers(&body), ["/tools/1/name"]);
    assert_eq!(
        app.count("SELECT count(*) FROM tools WHERE name = 'new_one'")
            .await,
        0
    );

    fake.inputs.lock().await.clear();
    let same = json!({"name": "same", "description": "unchanged text", "category": "misc",
        "version": "2.0.0", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}});
    let resp = app
        .post(
            "/tools/bulk",
            json!({"upsert": true, "tools": [tool("new_one", "x"), tool("kept", "new text"), same]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["created"], json!(["new_one"]));
    assert_eq!(body["updated"], json!(["kept", "same"]));
    assert_eq!(body["embedded"], 2, "the unchanged text is not re-embedded");
    let kept: Value = app.get("/tools/kept").await.json().await.unwrap();
    assert_eq!(kept["description"], "new text");
    let same: Value = app.get("/tools/same").await.json().await.unwrap();
    assert_eq!(same["version"], "2.0.0");
}

#[tokio::test]
async fn a_bulk_import_over_the_limit_is_refused() {
    let app = spawn_app_with(&[("BULK_MAX_TOOLS", "2")]).await;
    let tools: Vec<Value> = (0..3).map(|i| tool(&format!("t{i}"), "x")).collect();
    let body = problem(app.post("/tools/bulk", json!({"tools": tools})).await, 422).await;
    assert_eq!(pointers(&body), ["/tools"]);
}

#[tokio::test]
async fn a_failing_endpoint_during_bulk_import_writes_nothing() {
    let fake = FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", &fake.url),
        ("EMBEDDING_MAX_RETRIES", "1"),
        ("EMBEDDING_BATCH_SIZE", "1"),
    ])
    .await;
    // The first batch succeeds, the second keeps failing.
    fake.script([Mode::Ok]).await;
    fake.set_mode(Mode::Fail(502)).await;
    let resp = app
        .post(
            "/tools/bulk",
            json!({"tools": [tool("a1", "first"), tool("a2", "second")]}),
        )
        .await;
    let body = problem(resp, 503).await;
    assert_eq!(body["dependency"], "embedding endpoint");
    assert_eq!(
        app.count("SELECT count(*) FROM tools WHERE name LIKE 'a_'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_import_command_reads_json_lines_and_reports_problems() {
    let database_url = fresh_database().await;
    let app = spawn_app_on(&database_url, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("tools.jsonl");
    let lines: Vec<String> = (0..3)
        .map(|i| tool(&format!("cli_{i}"), "imported from a file").to_string())
        .collect();
    std::fs::write(&good, lines.join("\n") + "\n").unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        json!([tool("cli_ok", "x"), tool("bad name", "x")]).to_string(),
    )
    .unwrap();

    let run = |file: &std::path::Path, upsert: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_toolbox"));
        cmd.arg("import")
            .arg(file)
            .env_clear()
            .env("DATABASE_URL", &database_url);
        if upsert {
            cmd.arg("--upsert");
        }
        cmd.output().unwrap()
    };
    let out = run(&good, false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 created"));
    assert_eq!(
        app.count("SELECT count(*) FROM tools WHERE name LIKE 'cli_%'")
            .await,
        3
    );

    let out = run(&bad, false);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/tools/1/name"));
    assert_eq!(
        app.count("SELECT count(*) FROM tools WHERE name = 'cli_ok'")
            .await,
        0
    );

    let out = run(&good, false);
    assert!(!out.status.success(), "existing names need --upsert");
    let out = run(&good, true);
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 updated"));
}

#[tokio::test]
async fn bulk_imported_tools_are_found_by_full_text_search_before_and_after_an_upsert() {
    let app = crate::common::spawn_app().await;
    let resp = app
        .post(
            "/tools/bulk",
            json!({"tools": [tool("tariff_lookup", "look up customs tariffs for shipments")]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    // The text side's own rank, from `explain`: the vector side alone would find it too.
    let text_rank = async |q: &str| {
        let hits = app
            .find(json!({"query": q, "limit": 10, "explain": true}))
            .await;
        hits.iter()
            .find(|h| h["name"] == "tariff_lookup")
            .map(|h| h["explain"]["text_rank"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(text_rank("customs tariffs").await, 1);

    let resp = app
        .post(
            "/tools/bulk",
            json!({"upsert": true, "tools": [tool("tariff_lookup", "estimate parcel postage")]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(text_rank("parcel postage").await, 1);
    assert_eq!(
        text_rank("customs shipments").await,
        Value::Null,
        "the replaced text still matches"
    );
}
