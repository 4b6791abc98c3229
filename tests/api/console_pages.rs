//! The web console's pages and assets, served by the same binary: public, data-free HTML
//! whose script reads everything through the API (the browser check, scripts/checks/
//! 13-console.sh, drives them in Chromium).

use crate::common::{spawn_app, spawn_app_with};

const PAGES: &[&str] = &[
    "/",
    "/ui",
    "/ui/search",
    "/ui/tools",
    "/ui/tools/calculator",
    "/ui/tools/calculator/edit",
    "/ui/register",
    "/ui/executions",
    "/ui/executions/1",
    "/ui/servers",
];

#[tokio::test]
async fn console_pages_are_public_html_even_when_keys_are_configured() {
    let app = spawn_app_with(&[("API_KEYS", "console-admin-0123456789:admin")]).await;
    for path in PAGES {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let csp = resp.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("connect-src 'self'"), "{path}: {csp}");
        let body = resp.text().await.unwrap();
        assert!(body.contains("/ui/assets/console.js"), "{path}");
    }
    // The data stays behind the key.
    assert_eq!(app.get("/tools").await.status(), 401);
    assert_eq!(app.get("/tools/calculator").await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn a_console_page_holds_no_registry_data() {
    let app = spawn_app().await;
    app.register(
        "console_secret_tool",
        "a description only the API should show",
        "misc",
        &[],
    )
    .await;
    for path in ["/", "/ui/tools", "/ui/tools/console_secret_tool"] {
        let body = app.get(path).await.text().await.unwrap();
        assert!(!body.contains("only the API should show"), "{path}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_console_assets_are_compiled_in() {
    let app = spawn_app().await;
    // Every module the entry point imports, and what they import, is served as JavaScript.
    let mut modules: Vec<String> = vec!["console.js".into()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(module) = modules.pop() {
        if !seen.insert(module.clone()) {
            continue;
        }
        let resp = app.get(&format!("/ui/assets/{module}")).await;
        assert_eq!(resp.status(), 200, "{module}");
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("text/javascript"),
            "{module}: {content_type}"
        );
        let text = resp.text().await.unwrap();
        for (at, _) in text.match_indices("from './") {
            let rest = &text[at + "from './".len()..];
            modules.push(rest[..rest.find('\'').unwrap()].to_owned());
        }
    }
    assert!(
        seen.len() > 5,
        "the entry point imports the page modules: {seen:?}"
    );
    let core = app.get("/ui/assets/core.js").await.text().await.unwrap();
    assert!(core.contains("fetch(path"), "the API client is in core.js");
    assert_eq!(app.get("/ui/assets/nothing.js").await.status(), 404);
    let css = app.get("/ui/assets/console.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    app.stop().await;
}

#[tokio::test]
async fn only_reads_of_console_paths_are_public_and_unknown_ones_are_problems() {
    let app = spawn_app_with(&[("API_KEYS", "console-admin-0123456789:admin")]).await;
    let post = app
        .client
        .post(app.url("/ui/tools"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 401);
    let missing = app.get("/ui/no-such-page").await;
    assert_eq!(missing.status(), 404);
    assert!(
        missing.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    app.stop().await;
}
