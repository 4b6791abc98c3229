//! Where an HTTP tool's stored header secrets may go: never to an origin (scheme, host, port)
//! the client did not send them for, whether by an update echoing `"[redacted]"`, a bulk
//! upsert, a redirect, or an allow-list entry meant for one port only.

use crate::common::tool_server::ToolServer;
use crate::common::{TestApp, problem, spawn_app_with};
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

/// The headers as a client that read the tool back was shown them.
fn redacted_headers() -> Value {
    json!({"Authorization": "[redacted]", "X-Api-Key": "[redacted]"})
}

/// The config a client that read the tool back would send, with another URL.
fn echoed_config(url: &str) -> Value {
    json!({"executor": {"kind": "http", "url": url, "headers": redacted_headers()}})
}

async fn call(app: &TestApp, tool: &str) -> Value {
    app.call_tool(tool, json!({})).await.json().await.unwrap()
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
async fn an_update_moving_a_redacted_secret_to_another_port_is_refused_with_its_pointer() {
    let app = app_allowing_loopback().await;
    let (home, elsewhere) = (ToolServer::start().await, ToolServer::start().await);
    register_with_secrets(&app, "remote", &home.url("/echo")).await;

    let resp = app
        .put(
            "/tools/remote",
            json!({"config": echoed_config(&elsewhere.url("/echo"))}),
        )
        .await;

    let body = problem(resp, 422).await;
    let at = pointers(&body);
    assert!(
        at.contains(&"/config/executor/headers/Authorization".to_owned())
            && at.contains(&"/config/executor/headers/X-Api-Key".to_owned()),
        "{body}"
    );
    assert_eq!(body["errors"][0]["rule"], "redactedSecret");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("send the value again"),
        "{body}"
    );
    call(&app, "remote").await;
    assert_eq!(elsewhere.seen(), 0, "the secret went to the new origin");
    assert_eq!(home.received_header("x-api-key"), ["k3y"]);
}

#[tokio::test]
async fn an_update_changing_only_the_path_keeps_a_redacted_secret() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    register_with_secrets(&app, "remote", &server.url("/fail")).await;

    let resp = app
        .put(
            "/tools/remote",
            json!({"config": echoed_config(&server.url("/echo"))}),
        )
        .await;

    assert_eq!(resp.status(), 200);
    let body = call(&app, "remote").await;
    assert_eq!(body["result"]["auth"], "Bearer s3cret", "{body}");
}

#[tokio::test]
async fn an_update_sending_the_secret_again_may_move_it_to_another_origin() {
    let app = app_allowing_loopback().await;
    let (home, elsewhere) = (ToolServer::start().await, ToolServer::start().await);
    register_with_secrets(&app, "remote", &home.url("/echo")).await;

    let config = json!({"executor": {"kind": "http", "url": elsewhere.url("/echo"),
        "headers": {"Authorization": "Bearer n3w"}}});
    let resp = app.put("/tools/remote", json!({"config": config})).await;

    assert_eq!(resp.status(), 200);
    let body = call(&app, "remote").await;
    assert_eq!(body["result"]["auth"], "Bearer n3w", "{body}");
    assert_eq!(home.seen(), 0);
}

#[tokio::test]
async fn a_bulk_upsert_moving_a_redacted_secret_to_another_origin_is_refused() {
    let app = app_allowing_loopback().await;
    let (home, elsewhere) = (ToolServer::start().await, ToolServer::start().await);
    register_with_secrets(&app, "remote", &home.url("/echo")).await;
    let moved = definition("remote", &elsewhere.url("/echo"), redacted_headers());

    let resp = app
        .post(
            "/tools/bulk",
            json!({"tools": [definition("other", &home.url("/echo"), json!({})), moved],
                "upsert": true}),
        )
        .await;

    let body = problem(resp, 422).await;
    assert!(
        pointers(&body).contains(&"/tools/1/config/executor/headers/Authorization".to_owned()),
        "{body}"
    );
    call(&app, "remote").await;
    assert_eq!(elsewhere.seen(), 0, "the secret went to the new origin");
}

#[tokio::test]
async fn a_bulk_upsert_of_a_tool_as_it_was_read_keeps_its_secrets() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;
    register_with_secrets(&app, "remote", &server.url("/echo")).await;
    let exported = definition("remote", &server.url("/echo"), redacted_headers());

    let resp = app
        .post("/tools/bulk", json!({"tools": [exported], "upsert": true}))
        .await;

    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let body = call(&app, "remote").await;
    assert_eq!(body["result"]["auth"], "Bearer s3cret", "{body}");
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

#[tokio::test]
async fn a_new_tool_with_a_redacted_placeholder_is_refused_not_stored_as_its_secret() {
    let app = app_allowing_loopback().await;
    let server = ToolServer::start().await;

    let resp = app
        .post(
            "/tools",
            definition("fresh", &server.url("/echo"), redacted_headers()),
        )
        .await;
    let body = problem(resp, 422).await;
    assert!(
        pointers(&body).contains(&"/config/executor/headers/Authorization".to_owned()),
        "{body}"
    );

    let resp = app
        .post(
            "/tools/bulk",
            json!({"tools": [definition("fresh", &server.url("/echo"), redacted_headers())]}),
        )
        .await;
    let body = problem(resp, 422).await;
    assert!(
        pointers(&body).contains(&"/tools/0/config/executor/headers/X-Api-Key".to_owned()),
        "{body}"
    );
    problem(app.get("/tools/fresh").await, 404).await;
}
