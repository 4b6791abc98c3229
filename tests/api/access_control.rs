//! Who may see and call what: managed keys, tool sets enforced in every use case (REST and
//! MCP), revocation across replicas, the caller in the history, and what an unauthenticated
//! client is told.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestApp, problem, spawn_app, spawn_app_on, spawn_app_with};

const ADMIN: &str = "admin-key-0123456789abcdef";

fn bootstrap() -> [(&'static str, String); 1] {
    [("API_KEYS", format!("{ADMIN}:admin"))]
}

async fn app_with_keys() -> TestApp {
    let vars = bootstrap();
    spawn_app_with(&[(vars[0].0, vars[0].1.as_str())]).await
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn post_as(app: &TestApp, key: &str, path: &str, body: Value) -> reqwest::Response {
    send(app, reqwest::Method::POST, path, key, Some(body)).await
}

async fn get_as(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    send(app, reqwest::Method::GET, path, key, None).await
}

/// Creates a managed key and returns (id, secret).
async fn create_key(app: &TestApp, body: Value) -> (String, String) {
    let resp = post_as(app, ADMIN, "/keys", body).await;
    assert_eq!(resp.status(), 201);
    let key: Value = resp.json().await.unwrap();
    (
        key["id"].as_str().unwrap().to_owned(),
        key["secret"].as_str().unwrap().to_owned(),
    )
}

async fn register_as_admin(
    app: &TestApp,
    name: &str,
    description: &str,
    category: &str,
    tags: &[&str],
) {
    let resp = post_as(
        app,
        ADMIN,
        "/tools",
        json!({"name": name, "description": description, "category": category, "tags": tags,
               "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}),
    )
    .await;
    assert_eq!(resp.status(), 201, "registering {name}");
}

fn names(hits: &Value) -> Vec<String> {
    hits.as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_managed_key_shows_its_secret_once_and_sees_only_its_tool_set() {
    let app = app_with_keys().await;
    register_as_admin(
        &app,
        "weather_now",
        "current weather for a city",
        "weather",
        &[],
    )
    .await;
    register_as_admin(
        &app,
        "weather_delete",
        "delete a weather station",
        "weather",
        &[],
    )
    .await;
    register_as_admin(
        &app,
        "stock_quote",
        "current stock price for a ticker",
        "finance",
        &[],
    )
    .await;
    let (id, secret) = create_key(
        &app,
        json!({"label": "weather agent", "role": "call",
               "tools": {"allow": ["weather_*", "calculator"], "deny": ["*_delete"]}}),
    )
    .await;
    assert!(secret.starts_with("tbx_") && secret.len() > 40);

    let listed: Value = get_as(&app, ADMIN, "/keys").await.json().await.unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    assert!(listed[0].get("secret").is_none() && !listed.to_string().contains(&secret));

    let resp = post_as(&app, &secret, "/mcp/list_tools", json!({})).await;
    let mut seen = names(&resp.json().await.unwrap());
    seen.sort();
    assert_eq!(seen, ["calculator", "weather_now"]);
    let hits: Value = post_as(
        &app,
        &secret,
        "/mcp/find_tool",
        json!({"query": "current stock price weather", "limit": 10}),
    )
    .await
    .json()
    .await
    .unwrap();
    let found: Vec<String> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        !found
            .iter()
            .any(|n| n == "stock_quote" || n == "weather_delete"),
        "{found:?}"
    );
    // Outside the set, a tool does not exist for this caller.
    problem(get_as(&app, &secret, "/tools/stock_quote").await, 404).await;
    problem(
        get_as(&app, &secret, "/tools/stock_quote/executions").await,
        404,
    )
    .await;
    let call = json!({"tool_name": "stock_quote", "arguments": {}});
    problem(post_as(&app, &secret, "/mcp/call_tool", call).await, 404).await;
    assert_eq!(
        get_as(&app, &secret, "/tools/weather_now").await.status(),
        200
    );
    // MCP sees the same set.
    let listed = app
        .mcp_as(Some(&secret), "2025-11-25", "tools/list", json!({}))
        .await;
    let mcp_names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(mcp_names.contains(&"weather_now"), "{mcp_names:?}");
    assert!(!mcp_names.contains(&"stock_quote") && !mcp_names.contains(&"weather_delete"));
    let called = app
        .mcp_as(
            Some(&secret),
            "2025-11-25",
            "tools/call",
            json!({"name": "stock_quote", "arguments": {}}),
        )
        .await;
    assert!(
        called.get("error").is_some() || called["result"]["isError"] == true,
        "{called}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_call_is_recorded_with_its_caller_and_the_history_filters_by_it() {
    let app = app_with_keys().await;
    let (id, secret) = create_key(&app, json!({"label": "agent", "role": "call"})).await;
    let add = json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 1, "b": 2}});
    assert_eq!(
        post_as(&app, &secret, "/mcp/call_tool", add.clone())
            .await
            .status(),
        200
    );
    assert_eq!(
        post_as(&app, ADMIN, "/mcp/call_tool", add).await.status(),
        200
    );
    let mine: Value = get_as(
        &app,
        ADMIN,
        &format!("/tools/calculator/executions?caller=key:{id}"),
    )
    .await
    .json()
    .await
    .unwrap();
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{mine}");
    assert_eq!(items[0]["caller"], format!("key:{id}"));
    let all: Value = get_as(&app, ADMIN, "/tools/calculator/executions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert!(
        all["items"][0]["caller"]
            .as_str()
            .unwrap()
            .starts_with("key:")
    );
    let me: Value = get_as(&app, &secret, "/me").await.json().await.unwrap();
    assert_eq!(
        me,
        json!({"caller": format!("key:{id}"), "role": "call", "tools": null})
    );
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_or_expired_key_is_refused_and_a_bad_key_request_names_each_field() {
    let app = app_with_keys().await;
    let (id, secret) = create_key(&app, json!({"label": "short-lived", "role": "read"})).await;
    assert_eq!(get_as(&app, &secret, "/tools").await.status(), 200);
    // A read key lists but does not call.
    let add = json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 1, "b": 2}});
    let body = problem(post_as(&app, &secret, "/mcp/call_tool", add).await, 403).await;
    assert_eq!(body["required_role"], "call");
    assert_eq!(
        send(
            &app,
            reqwest::Method::DELETE,
            &format!("/keys/{id}"),
            ADMIN,
            None
        )
        .await
        .status(),
        204
    );
    problem(get_as(&app, &secret, "/tools").await, 401).await;
    problem(
        send(
            &app,
            reqwest::Method::DELETE,
            &format!("/keys/{id}"),
            ADMIN,
            None,
        )
        .await,
        404,
    )
    .await;

    let body = problem(
        post_as(&app, ADMIN, "/keys", json!({"role": "owner", "tools": {"allow": ["x:y"]}, "expires_at": "2001-01-01T00:00:00Z"})).await,
        422,
    )
    .await;
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        ["/label", "/role", "/tools/allow/0", "/expires_at"]
    );
    // A key may not create keys unless it is an admin's.
    let (_, reader) = create_key(&app, json!({"label": "r", "role": "read"})).await;
    problem(
        post_as(
            &app,
            &reader,
            "/keys",
            json!({"label": "x", "role": "admin"}),
        )
        .await,
        403,
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn keys_cannot_be_made_on_an_open_registry() {
    let app = spawn_app().await;
    let body = problem(
        app.post("/keys", json!({"label": "x", "role": "read"}))
            .await,
        409,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("API_KEYS"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_key_revoked_on_one_replica_is_refused_by_another_within_two_seconds() {
    let first = app_with_keys().await;
    let vars = bootstrap();
    let second = spawn_app_on(&first.database_url, &[(vars[0].0, vars[0].1.as_str())]).await;
    let (id, secret) = create_key(&first, json!({"label": "agent", "role": "read"})).await;
    assert_eq!(get_as(&second, &secret, "/tools").await.status(), 200);
    let revoked = std::time::Instant::now();
    let resp = send(
        &first,
        reqwest::Method::DELETE,
        &format!("/keys/{id}"),
        ADMIN,
        None,
    )
    .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(
        get_as(&first, &secret, "/tools").await.status(),
        401,
        "at once here"
    );
    // The other replica believes what it looked up for at most a second (KEY_CACHE_TTL).
    loop {
        let status = get_as(&second, &secret, "/tools").await.status();
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            revoked.elapsed() < Duration::from_secs(2),
            "the second replica still accepts the revoked key after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.stop().await;
    first.stop().await;
}

#[tokio::test]
async fn without_oidc_the_oauth_documents_are_404_and_a_401_asks_for_an_api_key() {
    let app = app_with_keys().await;
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-authorization-server",
    ] {
        problem(app.get(path).await, 404).await;
    }
    let resp = app
        .post(
            "/mcp",
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        )
        .await;
    let challenge = resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!challenge.contains("resource_metadata"), "{challenge}");
    let body = problem(resp, 401).await;
    assert!(
        body["detail"].as_str().unwrap().contains("API key"),
        "{body}"
    );
    app.stop().await;
}

/// A small deterministic generator, so a failure can be replayed from its seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test]
async fn random_tool_sets_never_see_a_tool_outside_them_and_searches_still_fill_the_limit() {
    let app = app_with_keys().await;
    let categories = ["alpha", "beta", "gamma"];
    let tags = ["red", "green", "blue"];
    let mut rng = Lcg(0x5eed);
    let mut catalogue = Vec::new();
    for i in 0..40 {
        let name = format!(
            "{}_tool_{i}",
            ["fetch", "store", "send", "parse"][rng.next(4) as usize]
        );
        let category = categories[rng.next(3) as usize];
        let tag = tags[rng.next(3) as usize];
        register_as_admin(
            &app,
            &name,
            &format!("{name} does things with data files"),
            category,
            &[tag],
        )
        .await;
        catalogue.push((name, category, tag));
    }
    for case in 0..6 {
        let allow: Vec<String> = match case % 3 {
            0 => vec![format!("category:{}", categories[rng.next(3) as usize])],
            1 => vec![
                format!("tag:{}", tags[rng.next(3) as usize]),
                "send_*".to_owned(),
            ],
            _ => vec!["*_tool_*".to_owned()],
        };
        let deny: Vec<String> = if rng.next(2) == 0 {
            vec!["fetch_*".into()]
        } else {
            vec![]
        };
        let permits = |name: &str, category: &str, tag: &str| {
            let matches = |r: &str| match r.split_once(':') {
                Some(("category", c)) => c == category,
                Some(("tag", t)) => t == tag,
                _ if r == "*_tool_*" => name.contains("_tool_"),
                _ => r.strip_suffix('*').is_some_and(|p| name.starts_with(p)),
            };
            allow.iter().any(|r| matches(r)) && !deny.iter().any(|r| matches(r))
        };
        let expected: Vec<&str> = catalogue
            .iter()
            .filter(|(n, c, t)| permits(n, c, t))
            .map(|(n, _, _)| n.as_str())
            .collect();
        let (_, key) = create_key(
            &app,
            json!({"label": format!("case {case}"), "role": "read",
                                                "tools": {"allow": allow, "deny": deny}}),
        )
        .await;
        let listed: Value = post_as(&app, &key, "/mcp/list_tools", json!({}))
            .await
            .json()
            .await
            .unwrap();
        let mut listed = names(&listed);
        listed.sort();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(listed, want, "case {case}: allow {allow:?} deny {deny:?}");
        let limit = 5;
        let hits: Value = post_as(
            &app,
            &key,
            "/mcp/find_tool",
            json!({"query": "does things with data files", "limit": limit, "threshold": -1.0}),
        )
        .await
        .json()
        .await
        .unwrap();
        let hits = hits.as_array().unwrap();
        for h in hits {
            let name = h["name"].as_str().unwrap();
            assert!(
                expected.contains(&name),
                "case {case}: {name} is outside the set"
            );
        }
        assert_eq!(
            hits.len(),
            expected.len().min(limit),
            "case {case}: the search fills the limit"
        );
        let mcp = app
            .mcp_as(Some(&key), "2025-11-25", "tools/list", json!({}))
            .await;
        for t in mcp["result"]["tools"].as_array().unwrap() {
            let name = t["name"].as_str().unwrap();
            assert!(
                name == "find_tool" || expected.contains(&name),
                "case {case}: MCP lists {name}"
            );
        }
    }
    app.stop().await;
}
