//! The edge against the real listener: the auth matrix on every documented route, rate
//! limits, request ids, security headers and Prometheus metrics.

use crate::common::{problem, spawn_app, spawn_app_with};
use reqwest::Method;
use serde_json::{Value, json};

const ADMIN: &str = "admin-key-0123456789abcdef";
const READ: &str = "read-key-0123456789abcdef";
const CALL: &str = "call-key-0123456789abcdef";

fn keys() -> String {
    format!("{ADMIN}:admin,{READ}:read,{CALL}:call")
}

/// Every (method, path) the API description lists, with `{name}` filled in.
async fn documented_routes(app: &crate::common::TestApp) -> Vec<(Method, String)> {
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    let mut routes = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let Ok(m) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            routes.push((m, path.replace("{name}", "calculator").replace("{id}", "1")));
        }
    }
    assert!(routes.len() >= 12, "the description lists the routes");
    routes
}

/// The role each route needs, as README documents it (written out here, not read from the
/// service's own table, so a change to the table shows up as a failure).
fn needed_role(method: &Method, path: &str) -> &'static str {
    // Upstream servers and keys are an operator's: reading them needs `admin` too.
    let operator = ["/servers", "/keys"];
    if operator
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        return "admin";
    }
    if path == "/mcp/call_tool" {
        return "call";
    }
    if path == "/mcp" || path.starts_with("/mcp/") || method == Method::GET {
        "read"
    } else {
        "admin"
    }
}

fn is_public(path: &str) -> bool {
    ["/health", "/ready"].contains(&path) || path.starts_with("/.well-known/")
}

async fn send(app: &crate::common::TestApp, method: &Method, path: &str, key: Option<&str>) -> u16 {
    let mut req = app.client.request(method.clone(), app.url(path));
    if *method != Method::GET && *method != Method::DELETE {
        req = req.json(&json!({}));
    }
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn every_route_enforces_the_auth_matrix() {
    let app = spawn_app_with(&[("API_KEYS", &keys())]).await;
    let roles = [("read", READ), ("call", CALL), ("admin", ADMIN)];
    let rank = |r: &str| roles.iter().position(|(n, _)| *n == r).unwrap();
    for (method, path) in documented_routes(&app).await {
        let anonymous = send(&app, &method, &path, None).await;
        if is_public(&path) {
            assert!(
                anonymous != 401 && anonymous != 403,
                "{method} {path}: {anonymous}"
            );
            continue;
        }
        assert_eq!(anonymous, 401, "{method} {path} without a key");
        let needed = rank(needed_role(&method, &path));
        for (i, (role, key)) in roles.iter().enumerate() {
            let status = send(&app, &method, &path, Some(key)).await;
            if i < needed {
                assert_eq!(status, 403, "{method} {path} with a {role} key");
            } else {
                assert!(
                    status != 401 && status != 403,
                    "{method} {path} {role}: {status}"
                );
            }
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn over_mcp_a_read_key_lists_and_finds_but_only_a_call_key_calls() {
    let app = spawn_app_with(&[("API_KEYS", &keys())]).await;
    let add = json!({"name": "calculator", "arguments": {"operation": "add", "a": 1, "b": 2}});
    for (key, may_call) in [(READ, false), (CALL, true), (ADMIN, true)] {
        let listed = app
            .mcp_as(Some(key), "2025-11-25", "tools/list", json!({}))
            .await;
        assert!(
            listed["result"]["tools"]
                .as_array()
                .is_some_and(|t| !t.is_empty()),
            "{listed}"
        );
        let called = app
            .mcp_as(Some(key), "2025-11-25", "tools/call", add.clone())
            .await;
        let failed = called["result"]["isError"].as_bool().unwrap_or(false);
        assert_eq!(!failed, may_call, "{called}");
        if !may_call {
            assert!(called.to_string().contains("`call` role"), "{called}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_missing_key_is_a_401_with_a_challenge_and_a_wrong_key_too() {
    let app = spawn_app_with(&[("API_KEYS", &keys())]).await;
    let resp = app.get("/tools").await;
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    problem(resp, 401).await;
    let resp = app
        .client
        .get(app.url("/tools"))
        .header("x-api-key", "not-a-key-0123456789")
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    problem(resp, 401).await;
    let resp = app
        .client
        .get(app.url("/tools"))
        .header("x-api-key", READ)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn requests_past_the_burst_get_429_with_retry_after() {
    let app = spawn_app_with(&[
        ("API_KEYS", &keys()),
        ("RATE_LIMIT_PER_SECOND", "1"),
        ("RATE_LIMIT_BURST", "3"),
    ])
    .await;
    let get = |key: &'static str| app.client.get(app.url("/tools")).bearer_auth(key).send();
    for _ in 0..3 {
        assert_eq!(get(READ).await.unwrap().status(), 200);
    }
    let resp = get(READ).await.unwrap();
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    let body = problem(resp, 429).await;
    assert_eq!(body["type"], "urn:toolbox:problem:rate-limited");
    // Another key has its own bucket; probes are never limited.
    assert_eq!(get(ADMIN).await.unwrap().status(), 200);
    assert_eq!(app.get("/health").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn anonymous_callers_are_limited_per_address() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_SECOND", "1"), ("RATE_LIMIT_BURST", "2")]).await;
    assert_eq!(app.get("/tools").await.status(), 200);
    assert_eq!(app.get("/tools").await.status(), 200);
    problem(app.get("/tools").await, 429).await;
    app.stop().await;
}

#[tokio::test]
async fn the_request_id_is_echoed_in_the_header_and_the_problem_body() {
    let app = spawn_app_with(&[]).await;
    let resp = app
        .client
        .get(app.url("/tools/no_such_tool"))
        .header("x-request-id", "req-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "req-abc-123");
    let body = problem(resp, 404).await;
    assert_eq!(body["request_id"], "req-abc-123");

    let resp = app.get("/no/such/route").await;
    let generated = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID is generated: {generated}");
    let body = problem(resp, 404).await;
    assert_eq!(body["request_id"], generated);
    app.stop().await;
}

#[tokio::test]
async fn responses_carry_security_headers_and_cors_preflights_pass_without_a_key() {
    let app = spawn_app_with(&[
        ("CORS_ORIGINS", "https://agents.example"),
        ("API_KEYS", &keys()),
    ])
    .await;
    // A browser's preflight carries no key and must still pass.
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/mcp/find_tool"))
        .header("origin", "https://agents.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://agents.example"
    );
    let resp = app
        .client
        .get(app.url("/tools"))
        .header("origin", "https://agents.example")
        .bearer_auth(READ)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://agents.example"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_cors_preflight_allows_the_mcp_headers_and_responses_expose_the_session_id() {
    let app = spawn_app_with(&[
        ("CORS_ORIGINS", "https://agents.example"),
        ("MCP_ALLOWED_ORIGINS", "https://agents.example"),
        ("API_KEYS", &keys()),
    ])
    .await;
    let wanted = "authorization, content-type, mcp-protocol-version, mcp-session-id, \
                  last-event-id, mcp-method, mcp-name";
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/mcp"))
        .header("origin", "https://agents.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", wanted)
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in wanted.split(',').map(str::trim) {
        assert!(allowed.contains(header), "{header} not in {allowed}");
    }
    let resp = app
        .client
        .post(app.url("/mcp"))
        .header("origin", "https://agents.example")
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(READ)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let exposed = resp.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for header in ["mcp-session-id", "www-authenticate", "x-request-id"] {
        assert!(exposed.contains(header), "{header} not in {exposed}");
    }
    app.stop().await;
}

/// Parses the Prometheus text format strictly enough to catch a broken exposition, and
/// returns each sample as (series, value).
fn parse_prometheus(text: &str) -> Vec<(String, f64)> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(meta) = line.strip_prefix('#') {
            let meta = meta.trim_start();
            assert!(
                meta.starts_with("TYPE ") || meta.starts_with("HELP "),
                "unknown comment: {line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unclosed labels in {line}");
        }
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        samples.push((series.to_owned(), value));
    }
    samples
}

fn sample(samples: &[(String, f64)], name: &str, labels: &[&str]) -> f64 {
    samples
        .iter()
        .filter(|(s, _)| s.starts_with(&format!("{name}{{")) || s == name)
        .filter(|(s, _)| labels.iter().all(|l| s.contains(l)))
        .map(|(_, v)| *v)
        .sum()
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text_and_count_what_happened() {
    let app = spawn_app_with(&[("API_KEYS", &keys())]).await;
    let scrape = || app.client.get(app.url("/metrics")).bearer_auth(READ).send();
    let before = parse_prometheus(&scrape().await.unwrap().text().await.unwrap());
    let call =
        json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 1, "b": 2}});
    for _ in 0..2 {
        let resp = app
            .client
            .post(app.url("/mcp/call_tool"))
            .bearer_auth(CALL)
            .json(&call)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(app.get("/tools").await.status(), 401);

    let resp = scrape().await.unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let after = parse_prometheus(&resp.text().await.unwrap());
    let delta =
        |name: &str, labels: &[&str]| sample(&after, name, labels) - sample(&before, name, labels);
    assert_eq!(
        delta(
            "http_request_duration_seconds_count",
            &["route=\"/mcp/call_tool\"", "status=\"200\""]
        ),
        2.0
    );
    assert!(
        delta(
            "http_request_duration_seconds_count",
            &["route=\"/tools\"", "status=\"401\""]
        ) >= 1.0
    );
    assert_eq!(
        delta(
            "toolbox_tool_executions_total",
            &["tool=\"calculator\"", "outcome=\"success\""]
        ),
        2.0
    );
    assert!(sample(&after, "toolbox_db_pool_max_connections", &[]) >= 1.0);
    assert!(
        after
            .iter()
            .any(|(s, _)| s.starts_with("http_request_duration_seconds_bucket"))
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_on_the_api_port_need_a_key_when_keys_are_configured() {
    let app = spawn_app_with(&[("API_KEYS", &keys())]).await;
    let resp = app.get("/metrics").await;
    assert!(resp.headers().contains_key("www-authenticate"));
    let body = problem(resp, 401).await;
    assert!(!body.to_string().contains("calculator"), "{body}");
    let resp = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(READ)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn metrics_stay_open_when_no_keys_are_configured() {
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn metrics_port_moves_metrics_to_their_own_listener() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(&[("METRICS_PORT", &port.to_string()), ("API_KEYS", &keys())]).await;
    let resp = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    problem(resp, 404).await;
    // The scrape listener is for a network only Prometheus reaches: it asks for no key.
    let resp = app
        .client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("toolbox_db_pool"));
    app.stop().await;
}

#[test]
fn bad_edge_settings_stop_startup_naming_the_variable() {
    let with = |k: &str, v: &str| {
        let map = std::collections::HashMap::from([(k.to_owned(), v.to_owned())]);
        toolbox::Config::from_map(&map).unwrap_err()
    };
    assert_eq!(with("API_KEYS", "too-short:read").var, "API_KEYS");
    assert_eq!(
        with("TRUSTED_PROXIES", "10.0.0.0/99").var,
        "TRUSTED_PROXIES"
    );
    assert_eq!(
        with("RATE_LIMIT_PER_SECOND", "-1").var,
        "RATE_LIMIT_PER_SECOND"
    );
    assert_eq!(with("REQUEST_TIMEOUT_MS", "0").var, "REQUEST_TIMEOUT_MS");
    assert_eq!(with("SHUTDOWN_TIMEOUT", "0").var, "SHUTDOWN_TIMEOUT");
    let err = with("API_KEYS", "my-secret-key-that-is-long:root");
    assert!(!err.to_string().contains("my-secret"), "{err}");
}

#[tokio::test]
async fn a_request_past_the_timeout_is_a_503_problem() {
    let embedder = crate::common::fake_embedder::FakeEmbedder::start(384).await;
    let app = spawn_app_with(&[
        ("EMBEDDING_ENDPOINT_URL", &embedder.url),
        ("ENABLE_CACHE", "false"),
        ("REQUEST_TIMEOUT_MS", "300"),
    ])
    .await;
    embedder
        .set_mode(crate::common::fake_embedder::Mode::Hang(
            std::time::Duration::from_secs(5),
        ))
        .await;
    let resp = app
        .post("/mcp/find_tool", json!({"query": "anything slow"}))
        .await;
    let body = problem(resp, 503).await;
    assert_eq!(body["type"], "urn:toolbox:problem:request-timeout");
    assert!(body["request_id"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn the_docs_page_serves_swagger_ui_pointed_at_the_api_description() {
    let app = crate::common::spawn_app().await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status(), 200);
    assert!(init.text().await.unwrap().contains("/openapi.json"));
    app.stop().await;
}
