//! Tool management under `/tools`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::dto::{FindHit, ListParams, SimilarQuery};
use super::listing;
use super::schema::{ToolPatchSchema, ToolSchema};
use super::{ApiJson, ApiQuery, Caller};
use crate::domain::{ListQuery, NewTool, Tool, ToolPatch};
use crate::http::ApiError;
use crate::registry::{RegistryError, RegistryService};

/// Registers a tool.
#[utoipa::path(post, path = "/tools", tag = "tools", operation_id = "register_tool", request_body = ToolPatchSchema,
    responses((status = 201, description = "Registered", body = ToolSchema,
        headers(("location" = String, description = "URL of the new tool")))))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(patch): ApiJson<ToolPatch>,
) -> Result<Response, ApiError> {
    let tool = NewTool::parse(patch).map_err(RegistryError::Invalid)?;
    let created = state.registry.register(tool).await?;
    let location = format!("/tools/{}", created.name);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(created),
    )
        .into_response())
}

/// Lists tools in name order, optionally filtered by category and tags; a page at a time with
/// `limit` (the next one announced by `Link`), otherwise all of them.
#[utoipa::path(get, path = "/tools", tag = "tools", operation_id = "list_registered_tools", params(ListParams),
    responses((status = 200, description = "Registered tools in name order: a page with `limit`, \
        otherwise all of them (streamed; a failure part-way cuts the transfer, so the array is \
        left unclosed)", body = Vec<ToolSchema>,
        headers(("link" = String, description = "`</tools?...&cursor=...>; rel=\"next\"` when there \
            is a next page: the same query with the next page's cursor"),
            ("x-next-cursor" = String, description = "The cursor of the next page, when there is one")))))]
pub async fn list(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let req = params.to_request().map_err(listing::bad_parameter)?;
    let query = ListQuery::parse(req).map_err(listing::bad_parameter)?;
    let listing = state.registry.list_tools::<Tool>(&query, &who).await?;
    Ok(listing::respond::<_, Tool>(listing, |cursor| {
        format!("/tools?{}", params.with_cursor(cursor))
    }))
}

/// One tool by name.
#[utoipa::path(get, path = "/tools/{name}", tag = "tools", operation_id = "get_tool", params(("name" = String, Path, example = "calculator")),
    responses((status = 200, description = "The tool", body = ToolSchema)))]
pub async fn get(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(name): Path<String>,
) -> Result<Json<Tool>, ApiError> {
    let name = RegistryService::parse_name(&name)?;
    Ok(Json(state.registry.get_for(name.as_str(), &who).await?))
}

/// Changes some fields of a tool.
#[utoipa::path(put, path = "/tools/{name}", tag = "tools", operation_id = "update_tool", params(("name" = String, Path, example = "weather_lookup")),
    request_body = ToolPatchSchema, responses((status = 200, description = "The updated tool", body = ToolSchema)))]
pub async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(patch): ApiJson<ToolPatch>,
) -> Result<Json<Tool>, ApiError> {
    let name = RegistryService::parse_name(&name)?;
    Ok(Json(state.registry.update(name.as_str(), patch).await?))
}

/// Deletes a tool.
#[utoipa::path(delete, path = "/tools/{name}", tag = "tools", operation_id = "delete_tool", params(("name" = String, Path, example = "weather_lookup")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let name = RegistryService::parse_name(&name)?;
    state.registry.delete(name.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tools whose descriptions are closest to this one's.
#[utoipa::path(get, path = "/tools/{name}/similar", tag = "tools", operation_id = "similar_tools",
    params(("name" = String, Path, example = "calculator"), SimilarQuery),
    responses((status = 200, description = "Similar tools, closest first", body = Vec<FindHit>)))]
pub async fn similar(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<SimilarQuery>,
) -> Result<Json<Vec<FindHit>>, ApiError> {
    let name = RegistryService::parse_name(&name)?;
    let max = state.config.search.max_limit;
    let limit = q.limit.unwrap_or(5);
    if limit < 1 || limit > i64::from(max) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-parameter",
            "Invalid query parameter",
            format!("`limit` must be between 1 and {max}"),
        )
        .with("parameter", "limit".into()));
    }
    let hits = state
        .registry
        .similar(name.as_str(), limit as u32, &who)
        .await?;
    Ok(Json(hits.into_iter().map(FindHit::from).collect()))
}
