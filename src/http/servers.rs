//! Upstream MCP servers under `/servers` (admin scope, even to read).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ApiJson;
use super::AppState;
use super::schema::{ServerPatchSchema, ServerViewSchema, SyncOutcomeSchema};
use crate::domain::{NewServer, ServerPatch};
use crate::http::ApiError;
use crate::registry::{RegistryError, ServerView, SyncOutcome};

/// Registers an upstream MCP server and syncs its tools. The answer is `201` even when the
/// first sync fails: the server is registered, its `health` says why, and refreshes retry.
#[utoipa::path(post, path = "/servers", tag = "servers", operation_id = "register_server", request_body = ServerPatchSchema,
    responses((status = 201, description = "Registered (and synced, see `health`)", body = ServerViewSchema,
        headers(("location" = String, description = "URL of the new server")))))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(patch): ApiJson<ServerPatch>,
) -> Result<Response, ApiError> {
    let server = NewServer::parse(patch).map_err(RegistryError::ServerInvalid)?;
    let created = state.registry.add_server(server).await?;
    let location = format!("/servers/{}", created.server.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created),
    )
        .into_response())
}

/// Every upstream server, by name, with its health as this replica sees it.
#[utoipa::path(get, path = "/servers", tag = "servers", operation_id = "list_servers",
    responses((status = 200, description = "The servers", body = Vec<ServerViewSchema>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ServerView>>, ApiError> {
    Ok(Json(state.registry.servers().await?))
}

/// One upstream server with its health.
#[utoipa::path(get, path = "/servers/{name}", tag = "servers", operation_id = "get_server", params(("name" = String, Path, example = "everything")),
    responses((status = 200, description = "The server", body = ServerViewSchema)))]
pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ServerView>, ApiError> {
    Ok(Json(state.registry.server(&name).await?))
}

/// Changes some settings of a server, then syncs it.
#[utoipa::path(put, path = "/servers/{name}", tag = "servers", operation_id = "update_server", params(("name" = String, Path, example = "everything")),
    request_body = ServerPatchSchema, responses((status = 200, description = "The updated server", body = ServerViewSchema)))]
pub async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(patch): ApiJson<ServerPatch>,
) -> Result<Json<ServerView>, ApiError> {
    Ok(Json(state.registry.update_server(&name, patch).await?))
}

/// Deletes a server and its tools (their history stays).
#[utoipa::path(delete, path = "/servers/{name}", tag = "servers", operation_id = "delete_server", params(("name" = String, Path, example = "everything")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.registry.delete_server(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Syncs a server's tools now; `503` naming the upstream when it cannot be reached.
#[utoipa::path(post, path = "/servers/{name}/sync", tag = "servers", operation_id = "sync_server", params(("name" = String, Path, example = "everything")),
    responses((status = 200, description = "What the sync changed", body = SyncOutcomeSchema)))]
pub async fn sync(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<SyncOutcome>, ApiError> {
    Ok(Json(state.registry.sync_server(&name).await?))
}
