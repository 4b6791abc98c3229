//! The alert rules and the dashboard name only metrics the service exports: a short run
//! (searches, calls, a refused key) and a scrape of `/metrics`, then every metric name in
//! deploy/monitoring's rules and dashboard must be in the scrape. A few series exist only
//! once their event happened (an upstream server synced); those must at least be written by
//! the source, by that exact name.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;

use crate::common::spawn_app_with;

const ADMIN: &str = "admin-key-monitoring-0123456789";

/// Series that appear only after their event, none of which a short run without upstream
/// servers produces.
const EVENT_ONLY: [&str; 3] = [
    "toolbox_upstream_healthy",
    "toolbox_upstream_tools",
    "toolbox_upstream_calls_total",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every metric name in `text`: the service's own (`toolbox_*`) and the request histogram's.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = text[i..].starts_with("toolbox_") || text[i..].starts_with("http_request_");
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if starts && boundary {
            let end = text[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(text.len(), |n| i + n);
            names.insert(text[i..end].to_owned());
            i = end;
        } else {
            i += 1;
        }
    }
    names
}

/// The source of the library, concatenated.
fn source_text(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_text(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[tokio::test]
async fn every_metric_in_the_alert_rules_and_the_dashboard_is_exported() {
    let app = spawn_app_with(&[("API_KEYS", &format!("{ADMIN}:admin"))]).await;
    let post = |path: &str, body: serde_json::Value, key: &str| {
        app.client
            .post(app.url(path))
            .header("x-api-key", key)
            .json(&body)
            .send()
    };
    let found = post("/mcp/find_tool", json!({"query": "add two numbers"}), ADMIN)
        .await
        .unwrap();
    assert_eq!(found.status(), 200);
    let called = post(
        "/mcp/call_tool",
        json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 1, "b": 2}}),
        ADMIN,
    )
    .await
    .unwrap();
    assert_eq!(called.status(), 200);
    let refused = post(
        "/mcp/find_tool",
        json!({"query": "x"}),
        "wrong-key-0123456789abc",
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 401);
    let scrape = app
        .client
        .get(app.url("/metrics"))
        .header("x-api-key", ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    let scrape = scrape.text().await.unwrap();
    let exported: BTreeSet<String> = scrape
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect();
    assert!(exported.contains("toolbox_database_up"), "{scrape}");

    let monitoring = root().join("deploy/monitoring");
    let rules = std::fs::read_to_string(monitoring.join("toolbox-alerts.yaml")).unwrap();
    let dashboard = std::fs::read_to_string(monitoring.join("toolbox-dashboard.json")).unwrap();
    let mut source = String::new();
    source_text(&root().join("src"), &mut source);
    let mut missing = Vec::new();
    for (file, text) in [("alert rules", &rules), ("dashboard", &dashboard)] {
        let named = metric_names(text);
        assert!(named.len() >= 5, "{file}: found only {named:?}");
        for name in named {
            let event_only =
                EVENT_ONLY.contains(&name.as_str()) && source.contains(&format!("\"{name}\""));
            if !exported.contains(&name) && !event_only {
                missing.push(format!("{file}: {name}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "named but not exported: {missing:?}\nexported: {exported:?}"
    );
    app.stop().await;
}

#[test]
fn metric_names_are_read_from_expressions() {
    let names = metric_names(r#"sum(rate(toolbox_a_total{x="1"}[5m])) / http_request_x_count"#);
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["http_request_x_count", "toolbox_a_total"]
    );
}
