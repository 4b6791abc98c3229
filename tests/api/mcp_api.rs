//! The MCP endpoint over the wire: stateless handshake, paginated listing, tool results, and
//! list_changed fed by the database trigger. (The official Python client drives it too: see
//! scripts/checks/06-mcp.sh.)

use serde_json::{Value, json};
use toolbox::mcp::ChangeFeed;

use crate::common::{spawn_app, spawn_app_with};

#[tokio::test]
async fn initialize_answers_2025_06_18_without_a_session() {
    let app = spawn_app().await;
    let params = json!({"protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "test", "version": "1"}});
    let resp = app
        .client
        .post(app.url("/mcp"))
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers().get("mcp-session-id").is_none(),
        "stateless: no session"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["result"]["protocolVersion"], "2025-06-18");
    assert!(body["result"]["capabilities"]["tools"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn tools_list_pages_by_name_with_the_meta_tool_first() {
    let app = spawn_app_with(&[("MCP_PAGE_SIZE", "2")]).await;
    let first = app.mcp("2025-11-25", "tools/list", json!({})).await;
    let names: Vec<&str> = first["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["find_tool", "calculator", "data_transform"]);
    let cursor = first["result"]["nextCursor"].as_str().expect("a next page");
    let second = app
        .mcp("2025-11-25", "tools/list", json!({"cursor": cursor}))
        .await;
    assert_eq!(second["result"]["tools"][0]["name"], "string_utils");
    assert!(second["result"].get("nextCursor").is_none());
    let calc = &first["result"]["tools"][1];
    assert_eq!(calc["annotations"]["readOnlyHint"], true);
    assert_eq!(calc["outputSchema"]["type"], "object");
    app.stop().await;
}

#[tokio::test]
async fn a_forged_cursor_is_invalid_params() {
    let app = spawn_app().await;
    let resp = app
        .mcp(
            "2025-11-25",
            "tools/list",
            json!({"cursor": "not-a-cursor"}),
        )
        .await;
    assert_eq!(resp["error"]["code"], -32602);
    app.stop().await;
}

#[tokio::test]
async fn a_call_returns_structured_content_and_records_the_execution() {
    let app = spawn_app().await;
    let args = json!({"name": "calculator", "arguments": {"operation": "power", "a": 2, "b": 10}});
    let resp = app.mcp("2025-11-25", "tools/call", args).await;
    assert_eq!(resp["result"]["isError"], false);
    assert_eq!(resp["result"]["structuredContent"]["value"], 1024.0);
    assert!(
        resp["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("1024")
    );
    let runs = app
        .count("SELECT count(*) FROM tool_executions WHERE tool_name = 'calculator' AND success")
        .await;
    assert_eq!(runs, 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_arguments_are_an_error_result_the_model_can_read() {
    let app = spawn_app().await;
    let args = json!({"name": "calculator", "arguments": {"operation": "add", "a": 1}});
    let resp = app.mcp("2025-11-25", "tools/call", args).await;
    assert_eq!(resp["result"]["isError"], true);
    let text = resp["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("calculator") && text.contains("b"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn registering_a_tool_reaches_the_change_feed_through_postgres() {
    if crate::common::skip_unless_postgres(
        "registering_a_tool_reaches_the_change_feed_through_postgres",
        "LISTEN/NOTIFY is PostgreSQL's; the embedded store announces changes in-process \
         (tests/api/sqlite_store.rs)",
    ) {
        return;
    }
    let app = spawn_app().await;
    let vars =
        std::collections::HashMap::from([("DATABASE_URL".to_owned(), app.database_url.clone())]);
    let store =
        toolbox::store::connect(&toolbox::Config::from_map(&vars).unwrap().database).unwrap();
    let feed = ChangeFeed::new();
    let mut changes = feed.subscribe();
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(feed.clone().run(store.changes(), stop.clone()));
    // The listener may not be subscribed yet: keep changing the catalogue until it hears one.
    let mut i = 0;
    loop {
        i += 1;
        app.register(&format!("t{i}"), "a tool", "misc", &[]).await;
        if tokio::time::timeout(std::time::Duration::from_millis(500), changes.recv())
            .await
            .is_ok()
        {
            break;
        }
        assert!(i < 40, "no change notification arrived");
    }
    assert!(feed.generation() >= 1);
    stop.cancel();
    task.await.unwrap();
    app.stop().await;
}

/// Sends one HTTP/1.1 request on `stream` and reads its response: (status, headers, body).
async fn exchange(stream: &mut tokio::net::TcpStream, request: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the server closed the connection");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let status = head[9..12].parse().unwrap();
                return (status, head, text[end + 4..end + 4 + len].to_owned());
            }
        }
    }
}

#[tokio::test]
async fn a_refused_mcp_request_leaves_the_connection_usable() {
    let app = spawn_app().await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Large enough that the server has not buffered it with the headers.
    let padded = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                        "params": {"_meta": {"pad": "x".repeat(600_000)}}})
    .to_string();
    let small = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).to_string();
    let request = |host: &str, body: &str| {
        format!(
            "POST /mcp HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-06-18\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let (status, _, _) = exchange(&mut stream, &request("evil.example", &padded)).await;
    assert_eq!(status, 403, "a Host not in MCP_ALLOWED_HOSTS is refused");
    let (status, _, answer) = exchange(&mut stream, &request(&addr, &small)).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"tools\""), "{answer}");
}

#[tokio::test]
async fn an_mcp_body_over_the_limit_is_refused_with_413_closing_only_for_huge_bodies() {
    let app = spawn_app_with(&[("MCP_MAX_BODY_BYTES", "2048")]).await;
    let post = |pad: usize| {
        app.client
            .post(app.url("/mcp"))
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .body(format!("{{\"pad\":\"{}\"}}", "x".repeat(pad)))
            .send()
    };
    // Twice the limit: read to the end and dropped, the connection stays usable.
    let resp = post(4096).await.unwrap();
    assert_eq!(resp.status(), 413);
    assert!(resp.headers().get("connection").is_none());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], 413);
    // Past sixteen times the limit: answered without reading it, and closed.
    let resp = post(64 * 1024).await.unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.headers()["connection"], "close");
}

/// Posts `body` as it is to `/mcp` with this `Accept` header.
async fn post_raw(app: &crate::common::TestApp, accept: &str, body: &str) -> reqwest::Response {
    app.client
        .post(app.url("/mcp"))
        .header("Accept", accept)
        .header("Content-Type", "application/json")
        .header("MCP-Protocol-Version", "2025-11-25")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_json_rpc_parse_error_with_400() {
    let app = spawn_app().await;
    let resp = post_raw(
        &app,
        "application/json, text/event-stream",
        r#"{"jsonrpc": "2.0", "id": 1, "method": "tools/list""#,
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], Value::Null);
    assert_eq!(body["error"]["code"], -32700);
    app.stop().await;
}

#[tokio::test]
async fn json_that_is_not_a_json_rpc_message_is_an_invalid_request_with_400() {
    let app = spawn_app().await;
    let resp = post_raw(&app, "application/json, text/event-stream", "[1, 2]").await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32600);
    app.stop().await;
}

#[tokio::test]
async fn a_tools_call_without_a_name_is_invalid_params() {
    let app = spawn_app().await;
    let resp = app
        .mcp("2025-11-25", "tools/call", json!({"arguments": {"a": 1}}))
        .await;
    assert_eq!(resp["id"], 1);
    assert_eq!(resp["error"]["code"], -32602, "{resp}");
    assert!(
        resp["error"]["message"].as_str().unwrap().contains("name"),
        "{resp}"
    );
    app.stop().await;
}

#[tokio::test]
async fn accept_any_media_type_is_served_like_json_and_event_stream() {
    let app = spawn_app().await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
    for accept in ["*/*", "application/*, text/*"] {
        let resp = post_raw(&app, accept, &list).await;
        assert_eq!(resp.status(), 200, "Accept: {accept}");
        let body: Value = resp.json().await.unwrap();
        assert!(body["result"]["tools"].is_array(), "Accept: {accept}");
    }
    // A client that rules the event stream out still cannot be served.
    let resp = post_raw(&app, "*/*, text/event-stream;q=0", &list).await;
    assert_eq!(resp.status(), 406);
    app.stop().await;
}
