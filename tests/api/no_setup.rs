//! The README's promise: the binary runs with nothing else installed. No `DATABASE_URL`, no
//! embedding endpoint, an empty directory: it creates `./data/toolbox.db`, seeds the built-in
//! tools, serves, and after a restart everything is still there.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_toolbox");

struct Server {
    child: std::process::Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary in `dir` with an empty environment (only the address to listen on).
async fn start_in(dir: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(BIN)
        .current_dir(dir)
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{}/ready", server.base)).await {
            if r.status() == 200 {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the binary did not become ready in {}", dir.display());
}

async fn post(server: &Server, path: &str, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", server.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn the_binary_runs_with_no_setup_and_keeps_its_data_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path()).await;
    assert!(dir.path().join("data/toolbox.db").is_file());

    // The built-in tools are there on first run: find and call work at once.
    let (status, hits) = post(
        &server,
        "/mcp/find_tool",
        json!({"query": "calculator: add two numbers", "limit": 3}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(hits[0]["name"], "calculator");
    let (_, out) = post(
        &server,
        "/mcp/call_tool",
        json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 2, "b": 3}}),
    )
    .await;
    assert_eq!(out["result"]["value"], 5);
    let first_execution = out["execution_id"].as_i64().unwrap();

    let (status, _) = post(
        &server,
        "/tools",
        json!({
            "name": "get_weather",
            "description": "Current weather and forecast for a city",
            "category": "weather",
            "tags": ["forecast"],
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}
        }),
    )
    .await;
    assert_eq!(status, 201);

    // A hard stop (SIGKILL): what was acknowledged is on disk.
    drop(server);
    let server = start_in(dir.path()).await;
    let (status, hits) = post(
        &server,
        "/mcp/find_tool",
        json!({"query": "weather forecast for Paris", "tags": ["forecast"]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(hits[0]["name"], "get_weather");
    let (_, out) = post(
        &server,
        "/mcp/call_tool",
        json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 1, "b": 1}}),
    )
    .await;
    assert_eq!(out["execution_id"].as_i64().unwrap(), first_execution + 1);
}
