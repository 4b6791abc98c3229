//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::error::ApiError;
use crate::store::is_up_to_date;

/// The process is alive; checks no dependency.
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The database answers and every migration is applied.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = state.registry.store();
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
    match is_up_to_date(store.pool()).await {
        Ok(true) => Ok(Json(
            json!({"status": "ready", "database": "ok", "migrations": "applied"}),
        )),
        Ok(false) => Err(unavailable(
            "database migrations are not applied yet".into(),
        )),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(unavailable("the database is unreachable".into()))
        }
    }
}
