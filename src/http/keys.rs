//! Managed API keys under `/keys` (admin): create (the secret is shown once), list, revoke.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, ApiJson, AppState};
use crate::domain::{KeyRequest, ManagedKey};

/// Creates a key with a role, an optional tool set and expiry. The answer holds the secret:
/// it is not stored, and cannot be shown again.
#[utoipa::path(post, path = "/keys", tag = "keys", operation_id = "create_key",
    request_body(content = Object, example = json!({"label": "weather agent", "role": "call",
        "tools": {"allow": ["weather_*", "category:geo"], "deny": ["*_delete"]}, "expires_at": "2027-06-30T00:00:00Z"})),
    responses((status = 201, description = "Created; `secret` is shown this once", body = Object,
        headers(("location" = String, description = "URL of the new key")))))]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<KeyRequest>,
) -> Result<Response, ApiError> {
    let created = state.registry.create_key(req, state.auth.enabled()).await?;
    let location = format!("/keys/{}", created.key.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created),
    )
        .into_response())
}

/// Every managed key (revoked ones too), newest first, without secrets.
#[utoipa::path(get, path = "/keys", tag = "keys", operation_id = "list_keys",
    responses((status = 200, description = "The keys", body = Vec<Object>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ManagedKey>>, ApiError> {
    Ok(Json(state.registry.keys().await?))
}

/// Revokes a key: refused here at once, on every replica within a second.
#[utoipa::path(delete, path = "/keys/{id}", tag = "keys", operation_id = "revoke_key", params(("id" = String, Path, example = "3f9a1c2b7d4e")),
    responses((status = 204, description = "Revoked")))]
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.registry.revoke_key(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
