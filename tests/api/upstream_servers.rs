//! Upstream MCP servers (`/servers`): real upstreams started by the tests (the MCP Python SDK's
//! server from tests/upstream/server.py, and the reference "everything" server from npm),
//! registered, synced, found, called, changed, stopped and restarted.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::upstream::{Upstream, skipped};
use crate::common::{TestApp, names, problem, spawn_app_with};

/// Loopback is refused unless listed: the upstreams run on 127.0.0.1.
const ALLOW_LOOPBACK: (&str, &str) = ("TOOL_HTTP_ALLOWED_HOSTS", "127.0.0.1");

fn tools() -> Value {
    json!([
        {"name": "echo", "description": "Repeat the given text back unchanged",
         "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
        {"name": "weather", "title": "Weather", "description": "Current weather conditions for a city",
         "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
         "outputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}},
        {"name": "boom", "description": "A tool that always fails", "inputSchema": {"type": "object"},
         "behaviour": "fail"},
        {"name": "nap", "description": "Sleeps for a while", "inputSchema": {"type": "object"},
         "behaviour": "sleep"},
    ])
}

async fn python_upstream(test: &str, tools: Value) -> Option<Upstream> {
    let up = Upstream::python(tools, None).await;
    if up.is_none() {
        skipped(test, "the MCP Python SDK (pip install mcp)");
    }
    up
}

async fn register(app: &TestApp, body: Value) -> Value {
    let resp = app.post("/servers", body).await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

async fn health(app: &TestApp, server: &str) -> Value {
    let body: Value = app
        .get(&format!("/servers/{server}"))
        .await
        .json()
        .await
        .unwrap();
    body["health"].clone()
}

/// Polls `GET /servers/{server}` until its status is `status`, for at most `within`.
async fn wait_for_status(app: &TestApp, server: &str, status: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let h = health(app, server).await;
        if h["status"] == status {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{server} is not {status} after {within:?}: {h}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn tool_names(app: &TestApp, category: &str) -> Vec<String> {
    let tools: Vec<Value> = app
        .get(&format!("/tools?category={category}"))
        .await
        .json()
        .await
        .unwrap();
    names(&tools)
}

#[tokio::test]
async fn two_upstreams_are_registered_found_and_called_with_their_history() {
    let test = "two_upstreams_are_registered_found_and_called_with_their_history";
    let Some(py) = python_upstream(test, tools()).await else {
        return;
    };
    let Some(everything) = Upstream::everything().await else {
        return skipped(test, "npm and @modelcontextprotocol/server-everything");
    };
    let app = spawn_app_with(&[ALLOW_LOOPBACK]).await;
    let body = register(&app, json!({"name": "py", "url": py.url()})).await;
    assert_eq!(body["health"]["status"], "healthy", "{body}");
    assert_eq!(body["health"]["tool_count"], 4);
    let body = register(&app, json!({"name": "everything", "url": everything.url()})).await;
    assert_eq!(body["health"]["status"], "healthy", "{body}");
    assert!(
        body["health"]["tool_count"].as_u64().unwrap() >= 5,
        "{body}"
    );

    // Each upstream's tools are registry tools, under its namespace and category.
    assert_eq!(
        tool_names(&app, "py").await,
        ["py__boom", "py__echo", "py__nap", "py__weather"]
    );
    let weather: Value = app.get("/tools/py__weather").await.json().await.unwrap();
    assert_eq!(weather["config"]["title"], "Weather");
    assert_eq!(weather["config"]["annotations"]["readOnlyHint"], true);
    assert_eq!(weather["output_schema"], json!({"type": "object"}));

    // Found by a paraphrase, flagged with their server's state.
    let hits = app
        .find(json!({"query": "what are the weather conditions in a city", "limit": 3}))
        .await;
    assert_eq!(hits[0]["name"], "py__weather", "{hits:?}");
    assert_eq!(
        hits[0]["upstream"],
        json!({"server": "py", "status": "healthy"})
    );
    let hits = app
        .find(json!({"query": "add up two numbers and give me the sum", "limit": 3}))
        .await;
    assert_eq!(hits[0]["name"], "everything__get-sum", "{hits:?}");

    // Called through toolbox: structured content, content blocks, the upstream's own errors.
    let (status, body) = app
        .call_tool_json("py__weather", json!({"city": "Paris"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"],
        json!({"tool": "weather", "echo": {"city": "Paris"}})
    );
    let (status, body) = app
        .call_tool_json("everything__get-sum", json!({"a": 2, "b": 3}))
        .await;
    assert_eq!(status, 200, "{body}");
    let text = body["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains('5'), "{body}");
    let (status, body) = app.call_tool_json("py__boom", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], false);
    assert_eq!(body["error_kind"], "tool_error");
    assert_eq!(body["error"], "the upstream tool failed on purpose");
    // The registry's schema check comes first: the upstream never sees a bad call.
    let resp = app.call_tool("py__echo", json!({})).await;
    assert_eq!(problem(resp, 422).await["errors"][0]["rule"], "required");
    assert_eq!(
        py.seen().await.len(),
        2,
        "only the valid calls reached the upstream"
    );

    // Every call is in the history like any other, with its duration.
    for (tool, outcome) in [
        ("py__weather", "success"),
        ("everything__get-sum", "success"),
        ("py__boom", "tool_error"),
        ("py__echo", "invalid_arguments"),
    ] {
        let page: Value = app
            .get(&format!("/tools/{tool}/executions"))
            .await
            .json()
            .await
            .unwrap();
        let row = &page["items"][0];
        let kind = row["error_kind"].as_str().unwrap_or("success");
        assert_eq!(kind, outcome, "{tool}: {row}");
        assert!(row["duration_ms"].is_u64(), "{row}");
    }
}

#[tokio::test]
async fn upstream_tools_are_listed_and_called_over_mcp() {
    let test = "upstream_tools_are_listed_and_called_over_mcp";
    let Some(py) = python_upstream(test, tools()).await else {
        return;
    };
    let app = spawn_app_with(&[ALLOW_LOOPBACK, ("MCP_PAGE_SIZE", "1000")]).await;
    register(&app, json!({"name": "py", "url": py.url()})).await;
    let listed = app.mcp("2025-06-18", "tools/list", json!({})).await;
    let tools = listed["result"]["tools"].as_array().unwrap();
    let weather = tools
        .iter()
        .find(|t| t["name"] == "py__weather")
        .expect("listed");
    assert_eq!(weather["title"], "Weather");
    assert_eq!(weather["annotations"]["readOnlyHint"], true);
    let called = app
        .mcp(
            "2025-06-18",
            "tools/call",
            json!({"name": "py__echo", "arguments": {"text": "hi"}}),
        )
        .await;
    let result = &called["result"];
    assert_ne!(result["isError"], true, "{called}");
    // The upstream's content blocks are passed on as they were sent.
    assert_eq!(
        result["content"],
        json!([{"type": "text", "text": "{\"tool\": \"echo\", \"echo\": {\"text\": \"hi\"}}"}]),
        "{called}"
    );
}

#[tokio::test]
async fn a_changed_tool_set_is_picked_up_by_the_next_refresh() {
    let test = "a_changed_tool_set_is_picked_up_by_the_next_refresh";
    let Some(py) = python_upstream(test, tools()).await else {
        return;
    };
    let app = spawn_app_with(&[ALLOW_LOOPBACK]).await;
    register(
        &app,
        json!({"name": "py", "url": py.url(), "refresh_interval_s": 1}),
    )
    .await;
    let echo_embedding = app.embedding_text("py__echo").await;
    let weather_embedding = app.embedding_text("py__weather").await;

    // Add one, remove one, change one description; leave the others alone.
    let mut changed: Vec<Value> = tools()
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] != "boom")
        .cloned()
        .collect();
    changed[0]["description"] = json!("Say the given text back, word for word");
    changed.push(
        json!({"name": "translate", "description": "Translate text into another language",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}}),
    );
    py.set_tools(Value::Array(changed)).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    while tool_names(&app, "py").await != ["py__echo", "py__nap", "py__translate", "py__weather"] {
        assert!(
            Instant::now() < deadline,
            "the refresh did not pick up the change"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let echo: Value = app.get("/tools/py__echo").await.json().await.unwrap();
    assert_eq!(
        echo["description"],
        "Say the given text back, word for word"
    );
    // Only the tool whose text changed was embedded again.
    assert_ne!(app.embedding_text("py__echo").await, echo_embedding);
    assert_eq!(app.embedding_text("py__weather").await, weather_embedding);
    // The removed tool answers 404 and is no longer found; its history stays readable.
    let resp = app.call_tool("py__boom", json!({})).await;
    assert_eq!(problem(resp, 404).await["error_kind"], "not_found");
    let hits = app.find(json!({"query": "a tool that always fails"})).await;
    assert!(!names(&hits).contains(&"py__boom".to_owned()), "{hits:?}");
    let found = app
        .find(json!({"query": "translate text into another language"}))
        .await;
    assert_eq!(found[0]["name"], "py__translate");
}

#[tokio::test]
async fn a_list_changed_notification_syncs_at_once() {
    let test = "a_list_changed_notification_syncs_at_once";
    let Some(py) = python_upstream(test, tools()).await else {
        return;
    };
    let app = spawn_app_with(&[ALLOW_LOOPBACK]).await;
    // An hour between refreshes: only the notification can bring the change in time.
    register(
        &app,
        json!({"name": "py", "url": py.url(), "refresh_interval_s": 3600}),
    )
    .await;
    let only_echo: Vec<Value> = tools()
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "echo")
        .cloned()
        .collect();
    py.set_tools_and_announce(Value::Array(only_echo)).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while tool_names(&app, "py").await != ["py__echo"] {
        assert!(
            Instant::now() < deadline,
            "list_changed did not trigger a sync: {:?}",
            tool_names(&app, "py").await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_stopped_upstream_answers_503_quickly_and_recovers_without_a_restart() {
    let test = "a_stopped_upstream_answers_503_quickly_and_recovers_without_a_restart";
    let Some(mut py) = python_upstream(test, tools()).await else {
        return;
    };
    let app = spawn_app_with(&[ALLOW_LOOPBACK, ("TOOL_TIMEOUT_MS", "5000")]).await;
    register(
        &app,
        json!({"name": "py", "url": py.url(), "refresh_interval_s": 1}),
    )
    .await;
    let (status, _) = app.call_tool_json("py__echo", json!({"text": "a"})).await;
    assert_eq!(status, 200);

    py.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let resp = app.call_tool("py__echo", json!({"text": "b"})).await;
        assert!(resp.headers().contains_key("retry-after"));
        let body = problem(resp, 503).await;
        assert_eq!(body["error_kind"], "unavailable", "{body}");
        // Well within the tool's 5 s limit: a refused connection is not waited out.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
    wait_for_status(&app, "py", "unhealthy", Duration::from_secs(10)).await;
    // Its tools stay listed and findable, flagged.
    assert_eq!(tool_names(&app, "py").await.len(), 4);
    let hits = app
        .find(json!({"query": "repeat the given text back"}))
        .await;
    assert_eq!(hits[0]["upstream"]["status"], "unhealthy", "{hits:?}");
    // A manual sync says which dependency failed.
    let resp = app.post("/servers/py/sync", json!({})).await;
    let body = problem(resp, 503).await;
    assert_eq!(body["dependency"], "upstream server");

    assert!(py.restart().await, "the upstream restarts on its port");
    wait_for_status(&app, "py", "healthy", Duration::from_secs(20)).await;
    let (status, body) = app.call_tool_json("py__echo", json!({"text": "c"})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_slow_upstream_tool_times_out_at_its_limit() {
    let test = "a_slow_upstream_tool_times_out_at_its_limit";
    let Some(py) = python_upstream(test, tools()).await else {
        return;
    };
    let app = spawn_app_with(&[ALLOW_LOOPBACK, ("TOOL_TIMEOUT_MS", "500")]).await;
    register(&app, json!({"name": "py", "url": py.url()})).await;
    let started = Instant::now();
    let resp = app.call_tool("py__nap", json!({"seconds": 5})).await;
    assert_eq!(problem(resp, 504).await["error_kind"], "timeout");
    assert!(started.elapsed() < Duration::from_secs(4));
    // A slow tool says nothing about the server: it stays healthy and answers.
    assert_eq!(health(&app, "py").await["status"], "healthy");
    let (status, _) = app.call_tool_json("py__echo", json!({"text": "x"})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_draft_04_upstream_schema_registers_and_is_enforced_by_draft_04_rules() {
    let test = "a_draft_04_upstream_schema_registers_and_is_enforced_by_draft_04_rules";
    let tools = json!([{"name": "count", "description": "Counts up to n",
        "inputSchema": {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
            "properties": {"n": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}},
            "required": ["n"]}}]);
    let Some(py) = python_upstream(test, tools).await else {
        return;
    };
    let app = spawn_app_with(&[ALLOW_LOOPBACK]).await;
    let body = register(&app, json!({"name": "py", "url": py.url()})).await;
    assert_eq!(body["health"]["tool_count"], 1, "{body}");
    let resp = app.call_tool("py__count", json!({"n": 0})).await;
    let body = problem(resp, 422).await;
    assert_eq!(body["errors"][0]["rule"], "exclusiveMinimum", "{body}");
    let (status, _) = app.call_tool_json("py__count", json!({"n": 1})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn header_secrets_reach_the_upstream_but_never_an_answer_a_log_or_the_history() {
    let test = "header_secrets_reach_the_upstream_but_never_an_answer_a_log_or_the_history";
    let secret = "Bearer upstream-s3cret-value";
    let Some(py) = Upstream::python(tools(), Some(("authorization", secret))).await else {
        return skipped(test, "the MCP Python SDK (pip install mcp)");
    };
    // The real binary, so its log lines can be read.
    let db = crate::common::fresh_database().await;
    let port = crate::common::process::free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let _server = crate::common::process::Child(
        crate::common::process::serve(&db, port)
            .env("TOOL_HTTP_ALLOWED_HOSTS", "127.0.0.1")
            .env("LOG_LEVEL", "debug")
            .env("LOG_FORMAT", "json")
            .stderr(log.reopen().unwrap())
            .stdout(log.reopen().unwrap())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    crate::common::process::wait_ready(&base).await;
    let client = reqwest::Client::new();
    let body: Value = client
        .post(format!("{base}/servers"))
        .json(&json!({"name": "py", "url": py.url(), "headers": {"Authorization": secret}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The header reached the upstream: without it every request is refused.
    assert_eq!(body["health"]["status"], "healthy", "{body}");
    assert_eq!(body["headers"]["Authorization"], "[redacted]");
    let call: Value = client
        .post(format!("{base}/mcp/call_tool"))
        .json(&json!({"tool_name": "py__echo", "arguments": {"text": "x"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(call["success"], true, "{call}");
    // An update echoing the placeholder keeps the secret (still healthy); every answer hides it.
    let updated = client
        .put(format!("{base}/servers/py"))
        .json(&json!({"headers": {"Authorization": "[redacted]"}, "refresh_interval_s": 60}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(updated.contains("\"healthy\""), "{updated}");
    let mut answers = vec![body.to_string(), call.to_string(), updated];
    for path in [
        "/servers",
        "/servers/py",
        "/tools/py__echo",
        "/tools/py__echo/executions",
        "/tools",
    ] {
        answers.push(
            client
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    for answer in &answers {
        assert!(
            !answer.contains("s3cret"),
            "a secret in an answer: {answer}"
        );
    }
    let pool = crate::common::connect_any(&db).await;
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT CAST(input_data AS TEXT), CAST(output_data AS TEXT) FROM tool_executions",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!rows.is_empty());
    assert!(!format!("{rows:?}").contains("s3cret"), "{rows:?}");
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(logged.contains("upstream synced"), "the log was captured");
    assert!(!logged.contains("s3cret"), "a secret in the log");
}

#[tokio::test]
async fn namespaces_keep_two_upstreams_apart_and_a_taken_one_is_refused() {
    let test = "namespaces_keep_two_upstreams_apart_and_a_taken_one_is_refused";
    let Some(a) = python_upstream(test, tools()).await else {
        return;
    };
    let Some(b) = python_upstream(test, tools()).await else {
        return;
    };
    let app = spawn_app_with(&[ALLOW_LOOPBACK]).await;
    register(
        &app,
        json!({"name": "a", "url": a.url(), "namespace": "tools"}),
    )
    .await;
    let resp = app
        .post(
            "/servers",
            json!({"name": "b", "url": b.url(), "namespace": "tools"}),
        )
        .await;
    let body = problem(resp, 409).await;
    assert!(
        body["detail"].as_str().unwrap().contains("namespace"),
        "{body}"
    );
    let resp = app
        .post(
            "/servers",
            json!({"name": "a", "url": b.url(), "namespace": "x"}),
        )
        .await;
    problem(resp, 409).await;
    register(
        &app,
        json!({"name": "b", "url": b.url(), "namespace": "more"}),
    )
    .await;
    let tools: Vec<Value> = app.get("/tools").await.json().await.unwrap();
    let all = names(&tools);
    assert!(all.contains(&"tools__echo".to_owned()) && all.contains(&"more__echo".to_owned()));
    // A hand-registered tool in a namespace's way is never overwritten: the sync skips it.
    app.register("c__echo", "hand made", "general", &[]).await;
    let body = register(&app, json!({"name": "c", "url": a.url()})).await;
    let skipped = &body["health"]["skipped"];
    assert_eq!(skipped[0]["tool"], "c__echo", "{body}");
    let hand: Value = app.get("/tools/c__echo").await.json().await.unwrap();
    assert_eq!(hand["description"], "hand made");
}

#[tokio::test]
async fn deleting_a_server_removes_its_tools_and_keeps_their_history() {
    let test = "deleting_a_server_removes_its_tools_and_keeps_their_history";
    let Some(py) = python_upstream(test, tools()).await else {
        return;
    };
    let app = spawn_app_with(&[ALLOW_LOOPBACK]).await;
    register(
        &app,
        json!({"name": "py", "url": py.url(), "include": ["e*", "w*"], "exclude": ["weather"]}),
    )
    .await;
    assert_eq!(tool_names(&app, "py").await, ["py__echo"]);
    app.call_tool_json("py__echo", json!({"text": "x"})).await;
    assert_eq!(app.delete("/servers/py").await.status(), 204);
    assert!(tool_names(&app, "py").await.is_empty());
    problem(app.get("/servers/py").await, 404).await;
    problem(app.delete("/servers/py").await, 404).await;
    let page: Value = app
        .get("/tools/py__echo/executions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
}

#[tokio::test]
async fn a_bad_registration_is_refused_naming_each_field() {
    let app = spawn_app_with(&[ALLOW_LOOPBACK]).await;
    let resp = app
        .post(
            "/servers",
            json!({"name": "bad__name", "url": "ftp://x", "refresh_interval_s": 0, "headers": {"X": 1}}),
        )
        .await;
    let body = problem(resp, 422).await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for p in ["/name", "/url", "/refresh_interval_s", "/headers/X"] {
        assert!(pointers.contains(&p), "{p} missing from {pointers:?}");
    }
    // The outbound policy of HTTP tools applies: a host outside the list is refused up front.
    let resp = app
        .post(
            "/servers",
            json!({"name": "elsewhere", "url": "http://10.1.2.3:9000/mcp"}),
        )
        .await;
    let body = problem(resp, 422).await;
    assert_eq!(body["errors"][0]["pointer"], "/url");
    assert_eq!(body["errors"][0]["rule"], "allowedHosts");
    let resp = app
        .post(
            "/servers",
            json!({"name": "x", "url": "http://127.0.0.1:1/mcp", "extra": 1}),
        )
        .await;
    problem(resp, 422).await;
}

#[tokio::test]
async fn a_loopback_upstream_is_refused_unless_listed() {
    let test = "a_loopback_upstream_is_refused_unless_listed";
    let Some(py) = python_upstream(test, tools()).await else {
        return;
    };
    let app = spawn_app_with(&[]).await;
    let resp = app
        .post("/servers", json!({"name": "py", "url": py.url()}))
        .await;
    let body = problem(resp, 422).await;
    assert!(
        body["detail"].as_str().unwrap().contains("loopback"),
        "{body}"
    );
    // By name, the address is checked as it resolves: registered, but never reached.
    let url = py.url().replace("127.0.0.1", "localhost");
    let body = register(&app, json!({"name": "py", "url": url})).await;
    assert_eq!(body["health"]["status"], "unhealthy", "{body}");
    let error = body["health"]["last_error"].as_str().unwrap();
    assert!(error.contains("refused destination"), "{error}");
    assert!(py.seen().await.is_empty());
}
