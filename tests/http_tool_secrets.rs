//! Where an HTTP tool's stored header secrets may go: never to an origin (scheme, host, port)
//! the client did not send them for, whether by a redirect or an allow-list entry meant for
//! one port only.

mod common;

use common::tool_server::ToolServer;
use common::{TestApp, problem, spawn_app_with};
use serde_json::{Value, json};

/// The local servers are on 127.0.0.1, so tests list it explicitly (any port).
async fn app_allowing_loopback() -> TestApp {
    spawn_app_with(&[("TOOL_HTTP_ALLOWED_HOSTS", "127.0.0.1")]).await
}

fn definition(name: &str, url: &str, headers: Value) -> Value {
    json!({
        "name": name,
        "description": "A remote tool reached over HTTP",
        "input_schema": {"type": "object"},
        "config": {"executor": {"kind": "http", "url": url, "headers": headers}},
    })
}

/// Registers `name` at `url` with a secret `Authorization` and `X-Api-Key`.
async fn register_with_secrets(app: &TestApp, name: &str, url: &str) {
    let resp = app
        .post(
            "/tools",
            definition(
                name,
                url,
                json!({"Authorization": "Bearer s3cret", "X-Api-Key": "k3y"}),
            ),
        )
        .await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
}

async fn call(app: &TestApp, tool: &str) -> Value {
    app.call_tool(tool, json!({})).await.json().await.unwrap()
}

#[tokio::test]
async fn a_redirect_to_another_port_of_the_same_host_is_not_followed() {
    let app = app_allowing_loopback().await;
    let (home, elsewhere) = (ToolServer::start().await, ToolServer::start().await);
    let url = format!(
        "{}?code=307&to={}",
        home.url("/redirect"),
        elsewhere.url("/echo")
    );
    register_with_secrets(&app, "redirecting", &url).await;

    let body = call(&app, "redirecting").await;

    assert_eq!(body["error_kind"], "tool_error", "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("same origin"),
        "{body}"
    );
    assert_eq!(elsewhere.received_header("x-api-key"), Vec::<String>::new());
    assert_eq!(
        elsewhere.seen(),
        0,
        "the redirect target must not be reached"
    );
}

#[tokio::test]
async fn a_redirect_within_the_same_origin_is_followed_with_the_headers() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    let url = format!(
        "{}?code=307&to={}",
        server.url("/redirect"),
        server.url("/echo")
    );
    register_with_secrets(&app, "redirecting", &url).await;

    let body = call(&app, "redirecting").await;

    assert_eq!(body["success"], true, "{body}");
    assert_eq!(server.received_header("x-api-key"), ["k3y"]);
}

#[tokio::test]
async fn an_allow_list_entry_with_a_port_allows_that_port_only() {
    let (listed, other) = (ToolServer::start().await, ToolServer::start().await);
    let entry = format!("127.0.0.1:{}", listed.port);
    let app = spawn_app_with(&[("TOOL_HTTP_ALLOWED_HOSTS", entry.as_str())]).await;

    register_with_secrets(&app, "listed", &listed.url("/echo")).await;
    let resp = app
        .post(
            "/tools",
            definition("other", &other.url("/echo"), json!({})),
        )
        .await;

    let body = problem(resp, 422).await;
    assert_eq!(body["errors"][0]["pointer"], "/config/executor/url");
    assert_eq!(body["errors"][0]["rule"], "allowedHosts");
    assert_eq!(call(&app, "listed").await["success"], true);
}

#[tokio::test]
async fn a_bulk_import_is_held_to_the_allow_list() {
    let other = ToolServer::start().await;
    let app = spawn_app_with(&[("TOOL_HTTP_ALLOWED_HOSTS", "localhost")]).await;

    let resp = app
        .post(
            "/tools/bulk",
            json!({"tools": [definition("other", &other.url("/echo"), json!({}))]}),
        )
        .await;

    let body = problem(resp, 422).await;
    assert_eq!(body["errors"][0]["pointer"], "/tools/0/config/executor/url");
    assert_eq!(body["errors"][0]["rule"], "allowedHosts");
}
