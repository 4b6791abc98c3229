//! Liveness, readiness and metrics.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use crate::http::ApiError;

/// The process is alive; checks no dependency.
/// Liveness.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "Alive", body = Object, example = json!({"status": "ok"}))))]
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The database answers and every migration is applied.
/// Readiness: the database answers, migrations are applied and the search index is built.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses((status = 200, description = "Ready", body = Object,
        example = json!({"status": "ready", "database": "ok", "migrations": "applied",
            "search_index": {"documents": 3, "vectors": 3, "position": 3,
                "digest": "5e1c0a9d3f27b4e8"}})),
        (status = 503, description = "Not ready", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let unavailable = |detail: String| {
        let mut e = ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "Not ready",
            detail,
        )
        .with("dependency", json!("database"));
        e.retry_after = Some(5);
        e
    };
    match state.registry.readiness().await {
        Ok(true) => {
            let index = state.registry.index_status();
            if !index.built {
                let mut e = unavailable("the search index is still being built".into());
                e = e.with("dependency", json!("search index"));
                return Err(e);
            }
            Ok(Json(json!({
                "status": "ready", "database": "ok", "migrations": "applied",
                "search_index": {
                    "documents": index.documents, "vectors": index.vectors,
                    "position": index.applied, "digest": format!("{:016x}", index.digest),
                },
            })))
        }
        Ok(false) => Err(unavailable(
            "database migrations are not applied yet".into(),
        )),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(unavailable("the database is unreachable".into()))
        }
    }
}

/// Prometheus text exposition of the service's metrics.
/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let db = &state.config.database;
    let body = crate::metrics::render(
        state.registry.database_up().await,
        state.registry.pool_usage(),
        db.pool_size + db.max_overflow,
        state.registry.embedding_stats(),
        state.registry.index_status(),
    );
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}
