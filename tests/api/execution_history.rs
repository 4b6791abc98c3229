//! The history API: pagination, outcome filters, one execution, and stats checked against
//! the rows themselves.

use crate::common::{TestApp, problem, spawn_app};
use serde_json::{Value, json};

async fn call(app: &TestApp, args: Value) {
    let resp = app.call_tool("calculator", args).await;
    assert!(resp.status() == 200 || resp.status() == 422);
}

/// Five successes, two tool errors, one invalid call.
async fn make_history(app: &TestApp) {
    for i in 0..5 {
        call(app, json!({"operation": "add", "a": i, "b": 1})).await;
    }
    for _ in 0..2 {
        call(app, json!({"operation": "divide", "a": 1, "b": 0})).await;
    }
    call(app, json!({"operation": "add"})).await;
}

#[tokio::test]
async fn pages_walk_the_history_newest_first_without_gaps() {
    let app = spawn_app().await;
    make_history(&app).await;
    let mut seen = Vec::new();
    let mut path = "/tools/calculator/executions?limit=3".to_owned();
    loop {
        let page: Value = app.get(&path).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/tools/calculator/executions?limit=3&cursor={c}"),
            None => break,
        }
    }
    let mut expected: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM tool_executions ORDER BY id DESC")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(seen, expected);
    expected.dedup();
    assert_eq!(expected.len(), 8);
}

#[tokio::test]
async fn the_outcome_filter_keeps_only_matching_runs() {
    let app = spawn_app().await;
    make_history(&app).await;
    for (outcome, count) in [
        ("success", 5),
        ("failure", 3),
        ("tool_error", 2),
        ("invalid_arguments", 1),
        ("timeout", 0),
    ] {
        let page: Value = app
            .get(&format!("/tools/calculator/executions?outcome={outcome}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), count, "{outcome}");
    }
    let body = problem(
        app.get("/tools/calculator/executions?outcome=weird").await,
        400,
    )
    .await;
    assert_eq!(body["parameter"], "outcome");
}

#[tokio::test]
async fn one_execution_is_returned_by_id_or_404() {
    let app = spawn_app().await;
    make_history(&app).await;
    let id: i64 = sqlx::query_scalar("SELECT max(id) FROM tool_executions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let row: Value = app
        .get(&format!("/executions/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(row["id"], id);
    assert_eq!(row["error_kind"], "invalid_arguments");
    assert_eq!(row["tool_name"], "calculator");
    problem(app.get("/executions/999999").await, 404).await;
    problem(app.get("/executions/abc").await, 404).await;
    problem(app.get("/tools/nothing-here/executions").await, 404).await;
}

/// Linear-interpolation percentile, as PostgreSQL's `percentile_cont`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[tokio::test]
async fn stats_match_the_rows() {
    let app = spawn_app().await;
    make_history(&app).await;
    let stats: Value = app
        .get("/tools/calculator/stats?window=1h")
        .await
        .json()
        .await
        .unwrap();
    let mut durations: Vec<f64> =
        sqlx::query_scalar::<_, i64>("SELECT duration_ms FROM tool_executions")
            .fetch_all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d as f64)
            .collect();
    durations.sort_by(f64::total_cmp);
    assert_eq!(stats["calls"], 8);
    assert_eq!(stats["successes"], 5);
    assert_eq!(stats["failures"], 3);
    assert_eq!(stats["window_seconds"], 3600);
    assert!((stats["success_rate"].as_f64().unwrap() - 5.0 / 8.0).abs() < 1e-9);
    for (key, p) in [("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)] {
        assert!(
            (stats[key].as_f64().unwrap() - percentile(&durations, p)).abs() < 1e-9,
            "{key}"
        );
    }
    problem(app.get("/tools/calculator/stats?window=forever").await, 400).await;
}

#[tokio::test]
async fn a_window_longer_than_366_days_counts_as_366_days() {
    let app = spawn_app().await;
    let stats: Value = app
        .get("/tools/calculator/stats?window=99999999d")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stats["window_seconds"], 366 * 86_400);
    for bad in ["0s", "05m", "%2B5m", "999999999d"] {
        problem(
            app.get(&format!("/tools/calculator/stats?window={bad}"))
                .await,
            400,
        )
        .await;
    }
}

#[tokio::test]
async fn a_cursor_is_digits_only_as_the_description_says() {
    let app = spawn_app().await;
    make_history(&app).await;
    let page = app.get("/tools/calculator/executions?cursor=99999").await;
    assert_eq!(page.status(), 200);
    for bad in ["%2B5", "-5", "%00", "1234567890123456789"] {
        let body = problem(
            app.get(&format!("/tools/calculator/executions?cursor={bad}"))
                .await,
            400,
        )
        .await;
        assert_eq!(body["parameter"], "cursor", "{bad}");
    }
}

#[tokio::test]
async fn rows_past_the_retention_period_are_pruned_at_startup() {
    let app = spawn_app().await;
    make_history(&app).await;
    let sql = match crate::common::backend() {
        crate::common::Backend::Postgres => {
            "UPDATE tool_executions SET executed_at = now() - interval '40 days' WHERE success"
        }
        // The embedded store's fixed-width UTC text timestamps.
        crate::common::Backend::Sqlite => {
            "UPDATE tool_executions \
             SET executed_at = strftime('%Y-%m-%dT%H:%M:%f000Z', 'now', '-40 days') WHERE success"
        }
    };
    sqlx::query(sql).execute(&app.db).await.unwrap();
    app.shutdown.cancel();
    let again =
        crate::common::spawn_app_on(&app.database_url, &[("EXECUTION_RETENTION_DAYS", "30")]).await;
    let mut left = 8;
    for _ in 0..400 {
        left = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM tool_executions")
            .fetch_one(&again.db)
            .await
            .unwrap();
        if left == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(left, 3);
}
