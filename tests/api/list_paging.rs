//! Listing at scale: `GET /tools` and `POST /mcp/list_tools` a page at a time with `limit` and
//! `cursor` (the next page announced by `Link: rel="next"` and `X-Next-Cursor`), and the whole
//! list streamed without `limit`.

use serde_json::{Value, json};

use crate::common::{TestApp, names, problem, spawn_app};

/// Registers `count` tools named `{prefix}_{i:04}` through `/tools/bulk`: in category `even`
/// or `odd` by `i`, tagged `t{i % 3}` and `all`.
async fn register_many(app: &TestApp, prefix: &str, count: usize) {
    let tools: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "name": format!("{prefix}_{i:04}"),
                "description": format!("tool number {i} of {prefix}"),
                "category": if i % 2 == 0 { "even" } else { "odd" },
                "tags": [format!("t{}", i % 3), "all"],
                "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
            })
        })
        .collect();
    for chunk in tools.chunks(500) {
        let resp = app.post("/tools/bulk", json!({"tools": chunk})).await;
        assert_eq!(resp.status(), 200, "bulk import of {prefix}");
    }
}

/// The target of a response's `Link: <...>; rel="next"`, if it has one.
fn next_link(resp: &reqwest::Response) -> Option<String> {
    let link = resp.headers().get("link")?.to_str().unwrap();
    let target = link.strip_prefix('<')?.strip_suffix(">; rel=\"next\"")?;
    Some(target.to_owned())
}

fn next_cursor(resp: &reqwest::Response) -> Option<String> {
    let cursor = resp.headers().get("x-next-cursor")?;
    Some(cursor.to_str().unwrap().to_owned())
}

/// `GET path`, then every `Link: rel="next"` as given: each page's body.
async fn walk_get(app: &TestApp, path: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(path) = next {
        let resp = app.get(&path).await;
        assert_eq!(resp.status(), 200, "{path}");
        next = next_link(&resp);
        assert_eq!(next.is_some(), next_cursor(&resp).is_some());
        pages.push(resp.json().await.unwrap());
        assert!(pages.len() < 10_000, "the pages never end");
    }
    pages
}

/// `POST /mcp/list_tools` with `body`, then again with each `X-Next-Cursor`: each page's body.
async fn walk_post(app: &TestApp, body: Value) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut body = body;
    loop {
        let resp = app.post("/mcp/list_tools", body.clone()).await;
        assert_eq!(resp.status(), 200, "{body}");
        let cursor = next_cursor(&resp);
        let link = next_link(&resp);
        pages.push(resp.json().await.unwrap());
        assert!(pages.len() < 10_000, "the pages never end");
        let Some(cursor) = cursor else {
            assert_eq!(link, None);
            return pages;
        };
        assert_eq!(link.as_deref(), Some("/mcp/list_tools"));
        body["cursor"] = json!(cursor);
    }
}

fn all_names(pages: &[Vec<Value>]) -> Vec<String> {
    pages.iter().flat_map(|p| names(p)).collect()
}

/// The whole list, unpaged.
async fn unpaged(app: &TestApp, path: &str) -> Vec<String> {
    let body: Vec<Value> = app.get(path).await.json().await.unwrap();
    names(&body)
}

#[tokio::test]
async fn pages_walk_the_whole_catalogue_once_in_name_order() {
    let app = spawn_app().await;
    register_many(&app, "walk", 23).await;
    let everything = unpaged(&app, "/tools").await;
    let mut sorted = everything.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        everything, sorted,
        "the unpaged list is in name order, once each"
    );
    assert_eq!(
        everything.len(),
        23 + 3,
        "23 registered and 3 built-in tools"
    );

    let pages = walk_get(&app, "/tools?limit=5").await;
    assert_eq!(pages.len(), 6);
    assert!(pages.iter().all(|p| p.len() <= 5 && !p.is_empty()));
    assert_eq!(all_names(&pages), everything);
    assert_eq!(
        all_names(&walk_post(&app, json!({"limit": 5})).await),
        everything
    );
    app.stop().await;
}

#[tokio::test]
async fn filtered_pages_walk_exactly_the_matching_tools() {
    let app = spawn_app().await;
    register_many(&app, "filt", 40).await;
    let odd_t1 = unpaged(&app, "/tools?category=odd&tags=t1,all").await;
    // i odd and i % 3 == 1: 1, 7, 13, 19, 25, 31, 37.
    assert_eq!(odd_t1.len(), 7);

    let pages = walk_get(&app, "/tools?category=odd&tags=t1,all&limit=3").await;
    assert_eq!(all_names(&pages), odd_t1);
    let pages = walk_post(
        &app,
        json!({"category": "odd", "tags": ["t1", "all"], "limit": 3}),
    )
    .await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    assert_eq!(all_names(&pages), odd_t1);
    app.stop().await;
}

#[tokio::test]
async fn the_next_link_keeps_the_other_parameters_percent_encoded() {
    let app = spawn_app().await;
    for name in ["spaced_a", "spaced_b", "spaced_c"] {
        app.register(name, "a tool", "team a/b", &["x&y", "z"])
            .await;
    }
    let resp = app
        .get("/tools?category=team%20a%2Fb&tags=x%26y,z&limit=2")
        .await;
    let link = next_link(&resp).expect("a next page");
    assert!(link.starts_with("/tools?"), "{link}");
    for part in [
        "category=team+a%2Fb",
        "tags=x%26y%2Cz",
        "limit=2",
        "cursor=",
    ] {
        assert!(link.contains(part), "{link} lacks {part}");
    }
    let last: Vec<Value> = app.get(&link).await.json().await.unwrap();
    assert_eq!(names(&last), ["spaced_c"]);
    app.stop().await;
}

#[tokio::test]
async fn the_last_page_has_no_next_link() {
    let app = spawn_app().await;
    register_many(&app, "last", 7).await;
    // 7 registered and 3 built-in: a limit of exactly 10 ends on a full page.
    for limit in [10, 11, 1000] {
        let resp = app.get(&format!("/tools?limit={limit}")).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(next_link(&resp), None, "limit {limit}");
        assert_eq!(next_cursor(&resp), None, "limit {limit}");
        let resp = app.post("/mcp/list_tools", json!({"limit": limit})).await;
        assert!(resp.headers().get("link").is_none(), "limit {limit}");
    }
    let resp = app.get("/tools?limit=9").await;
    assert!(next_link(&resp).is_some());
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_cursor_is_a_problem_naming_the_parameter() {
    let app = spawn_app().await;
    for cursor in ["zz", "abc", "4A", "00", "2d61", ""] {
        let body = problem(app.get(&format!("/tools?cursor={cursor}")).await, 400).await;
        assert_eq!(body["parameter"], "cursor", "{cursor:?}: {body}");
        let resp = app.post("/mcp/list_tools", json!({"cursor": cursor})).await;
        let body = problem(resp, 422).await;
        assert_eq!(
            body["errors"][0]["pointer"], "/cursor",
            "{cursor:?}: {body}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_limit_out_of_range_is_a_problem_naming_the_parameter() {
    let app = spawn_app().await;
    for limit in ["0", "-1", "1001", "abc", "1.5", ""] {
        let body = problem(app.get(&format!("/tools?limit={limit}")).await, 400).await;
        assert_eq!(body["parameter"], "limit", "{limit:?}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("1000"), "{body}");
    }
    for limit in [json!(0), json!(1001), json!("10"), json!(2.5)] {
        let resp = app.post("/mcp/list_tools", json!({"limit": limit})).await;
        let body = problem(resp, 422).await;
        assert_eq!(body["errors"][0]["pointer"], "/limit", "{limit}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_tool_added_after_the_cursor_appears_and_one_before_does_not_repeat() {
    let app = spawn_app().await;
    register_many(&app, "m", 6).await;
    let first = app.get("/tools?limit=2&category=even").await;
    let next = next_link(&first).expect("a next page");
    let first: Vec<Value> = first.json().await.unwrap();
    assert_eq!(names(&first), ["m_0000", "m_0002"]);

    app.register("a_before", "added before the cursor", "even", &[])
        .await;
    app.register("m_0003x", "added after the cursor", "even", &[])
        .await;
    app.register("z_after", "added at the end", "even", &[])
        .await;
    assert_eq!(app.delete("/tools/m_0004").await.status(), 204);

    let rest = all_names(&walk_get(&app, &next).await);
    assert_eq!(rest, ["m_0003x", "z_after"]);
    app.stop().await;
}

#[tokio::test]
async fn a_page_resumes_after_a_deleted_tool_that_ended_the_previous_page() {
    let app = spawn_app().await;
    register_many(&app, "gone", 4).await;
    let first = app.get("/tools?limit=2&tags=all").await;
    let next = next_link(&first).expect("a next page");
    assert_eq!(app.delete("/tools/gone_0001").await.status(), 204);
    assert_eq!(
        all_names(&walk_get(&app, &next).await),
        ["gone_0002", "gone_0003"]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_unpaged_list_is_streamed_and_equals_the_concatenation_of_its_pages() {
    let app = spawn_app().await;
    register_many(&app, "big", 1_200).await;

    let resp = app.get("/tools").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert!(
        resp.headers().get("content-length").is_none(),
        "written as it is read, not built first"
    );
    let whole: Vec<Value> = serde_json::from_slice(&resp.bytes().await.unwrap())
        .expect("the streamed list is one valid JSON array");
    assert_eq!(whole.len(), 1_203);
    let pages = walk_get(&app, "/tools?limit=500").await;
    assert_eq!(pages.len(), 3);
    assert_eq!(whole, pages.concat(), "the same tools, field for field");

    let resp = app.post("/mcp/list_tools", json!({})).await;
    assert!(resp.headers().get("content-length").is_none());
    let whole: Vec<Value> = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(
        whole,
        walk_post(&app, json!({"limit": 1000})).await.concat()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_cursor_without_a_limit_streams_the_rest_of_the_list() {
    let app = spawn_app().await;
    register_many(&app, "rest", 4).await;
    let first = app.get("/tools?limit=1&category=even").await;
    let cursor = next_cursor(&first).expect("a next page");
    let rest = unpaged(&app, &format!("/tools?category=even&cursor={cursor}")).await;
    assert_eq!(rest, ["rest_0002"]);
    app.stop().await;
}

#[tokio::test]
async fn an_empty_filtered_list_is_an_empty_array_streamed_or_paged() {
    let app = spawn_app().await;
    let resp = app.get("/tools?category=nothing_here").await;
    assert_eq!(resp.text().await.unwrap(), "[]");
    let resp = app
        .post(
            "/mcp/list_tools",
            json!({"category": "nothing_here", "limit": 5}),
        )
        .await;
    assert!(resp.headers().get("link").is_none());
    assert_eq!(resp.text().await.unwrap(), "[]");
    app.stop().await;
}
