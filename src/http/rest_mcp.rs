//! The agent-facing routes under `/mcp/`: list, find and call.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::AppState;
use super::dto::{
    CallToolRequest, CallToolResponse, FindHit, FindToolRequest, ListToolsRequest, ToolListItem,
};
use super::listing;
use super::{ApiJson, Caller};
use crate::domain::{FieldError, FindQuery, ListQuery, SearchDefaults};
use crate::http::ApiError;
use crate::registry::{CallContext, RegistryService};
use crate::store::ToolSummary;

/// Lists tools (agent-facing) in name order, optionally filtered; a page at a time with
/// `limit` (the next one announced by `Link` and `X-Next-Cursor`), otherwise all of them.
#[utoipa::path(post, path = "/mcp/list_tools", tag = "agents", request_body = ListToolsRequest,
    responses((status = 200, description = "Registered tools in name order: a page with `limit`, \
        otherwise all of them (streamed; a failure part-way cuts the transfer, so the array is \
        left unclosed)", body = Vec<ToolListItem>,
        headers(("link" = String, description = "`</mcp/list_tools>; rel=\"next\"` when there is \
            a next page: POST the same body with `cursor` set to `X-Next-Cursor`"),
            ("x-next-cursor" = String, description = "The cursor of the next page, when there is one")))))]
pub async fn list_tools(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(req): ApiJson<ListToolsRequest>,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(req.into()).map_err(unprocessable)?;
    let listing = state
        .registry
        .list_tools::<ToolSummary>(&query, &who)
        .await?;
    Ok(listing::respond::<_, ToolListItem>(listing, |_| {
        "/mcp/list_tools".to_owned()
    }))
}

/// Finds tools by describing the task in plain language. With a reranker configured, the
/// `Toolbox-Rerank` header says whether it reordered the hits (`applied`) or failed and the
/// fused order stands (`skipped`).
#[utoipa::path(post, path = "/mcp/find_tool", tag = "agents", request_body = FindToolRequest,
    responses((status = 200, description = "Best matches first", body = Vec<FindHit>)))]
pub async fn find_tool(
    State(state): State<AppState>,
    Caller(who): Caller,
    ApiJson(req): ApiJson<FindToolRequest>,
) -> Result<(axum::http::HeaderMap, Json<Vec<FindHit>>), ApiError> {
    let explain = req.explain;
    let defaults = SearchDefaults::from(&state.config.search);
    let query = FindQuery::parse(req.into(), &defaults).map_err(unprocessable)?;
    let hits = state.registry.find(&query, &who).await?;
    let mut headers = axum::http::HeaderMap::new();
    if let Some(status) = hits.first().and_then(|h| h.explain.reranker) {
        headers.insert(
            "toolbox-rerank",
            axum::http::HeaderValue::from_static(status),
        );
    }
    Ok((
        headers,
        Json(
            hits.into_iter()
                .map(|h| FindHit::flagged(h, explain, &state.registry))
                .collect(),
        ),
    ))
}

/// Calls a tool with arguments that must match its input schema.
#[utoipa::path(post, path = "/mcp/call_tool", tag = "agents", request_body = CallToolRequest,
    responses((status = 200, description = "The outcome; a failing tool is `success: false`", body = CallToolResponse),
        (status = 409, description = "The tool has no executor (registered for discovery only)", body = crate::http::problem::Problem, content_type = "application/problem+json"),
        (status = 504, description = "The tool timed out", body = crate::http::problem::Problem, content_type = "application/problem+json")))]
pub async fn call_tool(
    State(state): State<AppState>,
    Caller(who): Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CallToolRequest>,
) -> Result<Json<CallToolResponse>, ApiError> {
    let name = RegistryService::parse_name(&req.tool_name)?;
    let ctx = CallContext {
        request_id: crate::http::edge::recorded_request_id(&headers),
        principal: who,
    };
    let outcome = state
        .registry
        .call_with(name.as_str(), req.arguments, &ctx)
        .await?;
    Ok(Json(outcome.into()))
}

/// A field error as a 422 problem whose detail names the field: "`query` must not be empty".
fn unprocessable(e: FieldError) -> ApiError {
    ApiError::unprocessable(
        format!("`{}` {}", &e.pointer[1..], e.message),
        &e.pointer,
        &e.rule,
    )
}
