//! HTTP-backed custom tools: registration rules, secrets, and every answer a remote endpoint
//! can give, against a real local server.

use crate::common::tool_server::ToolServer;
use crate::common::{TestApp, problem, spawn_app_with};
use serde_json::{Value, json};

/// The local server is on 127.0.0.1, so tests list it explicitly.
async fn app_allowing_loopback() -> TestApp {
    spawn_app_with(&[("TOOL_HTTP_ALLOWED_HOSTS", "127.0.0.1")]).await
}

async fn register_http(app: &TestApp, name: &str, executor: Value) -> reqwest::Response {
    app.post(
        "/tools",
        json!({
            "name": name,
            "description": "A remote tool reached over HTTP",
            "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
            "config": {"executor": executor},
        }),
    )
    .await
}

#[tokio::test]
async fn an_http_tool_receives_its_arguments_and_returns_its_json_answer() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    let resp = register_http(
        &app,
        "echo",
        json!({"kind": "http", "url": server.url("/echo"),
        "headers": {"Authorization": "Bearer s3cret"}}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let resp = app.call_tool("echo", json!({"q": "hello"})).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["result"]["echo"], json!({"q": "hello"}));
    assert_eq!(body["result"]["auth"], "Bearer s3cret");
}

#[tokio::test]
async fn header_secrets_are_never_returned_and_survive_an_echoed_update() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    let created: Value = register_http(
        &app,
        "echo",
        json!({"kind": "http", "url": server.url("/echo"),
        "headers": {"Authorization": "Bearer s3cret"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let fetched: Value = app.get("/tools/echo").await.json().await.unwrap();
    let listed = app.get("/tools").await.text().await.unwrap();
    for shown in [created.to_string(), fetched.to_string(), listed] {
        assert!(!shown.contains("s3cret"), "secret leaked: {shown}");
    }
    assert_eq!(
        fetched["config"]["executor"]["headers"]["Authorization"],
        "[redacted]"
    );
    // A client that PUTs back what it was shown keeps the stored secret.
    let resp = app
        .put(
            "/tools/echo",
            json!({"config": fetched["config"], "description": "changed"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = app
        .call_tool("echo", json!({"q": "x"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["auth"], "Bearer s3cret");
    let rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tool_executions WHERE CAST(input_data AS TEXT) LIKE '%s3cret%' \
         OR CAST(output_data AS TEXT) LIKE '%s3cret%' AND tool_name <> 'echo'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn a_bad_executor_is_refused_at_registration_with_pointers() {
    let app = app_allowing_loopback().await;
    let resp = register_http(
        &app,
        "bad",
        json!({"kind": "http", "url": "ftp://x", "method": "DELETE",
        "timeout_ms": 0}),
    )
    .await;
    let body = problem(resp, 422).await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert!(pointers.contains(&"/config/executor/url"), "{pointers:?}");
    assert!(
        pointers.contains(&"/config/executor/method"),
        "{pointers:?}"
    );
    assert!(
        pointers.contains(&"/config/executor/timeout_ms"),
        "{pointers:?}"
    );
}

#[tokio::test]
async fn a_remote_500_is_a_tool_error_with_the_answer_quoted() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    register_http(
        &app,
        "failing",
        json!({"kind": "http", "url": server.url("/fail")}),
    )
    .await;
    let resp = app.call_tool("failing", json!({"q": "x"})).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["error_kind"], "tool_error");
    assert!(body["error"].as_str().unwrap().contains("500"), "{body}");
}

#[tokio::test]
async fn a_remote_503_is_unavailable_with_its_retry_after() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    register_http(
        &app,
        "down",
        json!({"kind": "http", "url": server.url("/down")}),
    )
    .await;
    let resp = app.call_tool("down", json!({"q": "x"})).await;
    assert_eq!(resp.headers()["retry-after"], "7");
    let body = problem(resp, 503).await;
    assert_eq!(body["error_kind"], "unavailable");
}

#[tokio::test]
async fn a_slow_remote_tool_times_out_with_504() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    register_http(
        &app,
        "slow",
        json!({"kind": "http", "url": server.url("/slow?ms=3000"), "timeout_ms": 200}),
    )
    .await;
    let body = problem(app.call_tool("slow", json!({"q": "x"})).await, 504).await;
    assert_eq!(body["error_kind"], "timeout");
    assert!(body["detail"].as_str().unwrap().contains("200 ms"));
    let kind: String =
        sqlx::query_scalar("SELECT error_kind FROM tool_executions WHERE tool_name = 'slow'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(kind, "timeout");
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    let target = format!("http://localhost:{}/echo", server.port);
    let url = format!("{}?to={}", server.url("/redirect"), target);
    register_http(&app, "redirecting", json!({"kind": "http", "url": url})).await;
    let body: Value = app
        .call_tool("redirecting", json!({"q": "x"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["error_kind"], "tool_error");
    assert!(
        body["error"].as_str().unwrap().contains("another host"),
        "{body}"
    );
    assert_eq!(server.seen(), 0, "the redirect target must not be reached");
}

#[tokio::test]
async fn loopback_addresses_are_refused_unless_listed() {
    let app = spawn_app_with(&[]).await;
    let server = ToolServer::start().await;
    // By IP literal, and by a name that resolves to loopback (checked in the resolver).
    register_http(
        &app,
        "by-ip",
        json!({"kind": "http", "url": server.url("/echo")}),
    )
    .await;
    let by_name = format!("http://localhost:{}/echo", server.port);
    register_http(&app, "by-name", json!({"kind": "http", "url": by_name})).await;
    for tool in ["by-ip", "by-name"] {
        let body: Value = app
            .call_tool(tool, json!({"q": "x"}))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["error_kind"], "tool_error", "{tool}: {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("TOOL_HTTP_ALLOWED_HOSTS"),
            "{body}"
        );
    }
    assert_eq!(server.seen(), 0);
}

#[tokio::test]
async fn hosts_outside_the_allow_list_are_refused_at_registration_and_at_call_time() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    let by_name = format!("http://localhost:{}/echo", server.port);
    let resp = register_http(&app, "unlisted", json!({"kind": "http", "url": by_name})).await;
    let body = problem(resp, 422).await;
    assert_eq!(body["errors"][0]["pointer"], "/config/executor/url");
    assert_eq!(body["errors"][0]["rule"], "allowedHosts");
    // A row written before the list changed is refused when called.
    let config = json!({"executor": {"kind": "http", "url": by_name}});
    register_http(
        &app,
        "listed",
        json!({"kind": "http", "url": server.url("/echo")}),
    )
    .await;
    let sql = match crate::common::backend() {
        crate::common::Backend::Postgres => {
            "UPDATE tools SET config = $1::jsonb WHERE name = 'listed'"
        }
        crate::common::Backend::Sqlite => "UPDATE tools SET config = $1 WHERE name = 'listed'",
    };
    sqlx::query(sql)
        .bind(config.to_string())
        .execute(&app.db)
        .await
        .unwrap();
    let body: Value = app
        .call_tool("listed", json!({"q": "x"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error_kind"], "tool_error");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("not in TOOL_HTTP_ALLOWED_HOSTS")
    );
    assert_eq!(server.seen(), 0);
}

#[tokio::test]
async fn an_answer_breaking_the_output_schema_is_a_tool_error() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    let resp = app
        .post(
            "/tools",
            json!({
                "name": "strict",
                "description": "A remote tool with an output schema",
                "input_schema": {"type": "object"},
                "output_schema": {"type": "object", "required": ["answer"]},
                "config": {"executor": {"kind": "http", "url": server.url("/echo")}},
            }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body: Value = app
        .call_tool("strict", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error_kind"], "tool_error");
    assert!(
        body["error"].as_str().unwrap().contains("output_schema"),
        "{body}"
    );
}
