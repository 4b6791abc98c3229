//! The agent-facing routes under `/mcp/`: list, find and call.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;

use super::ApiJson;
use super::dto::{
    CallToolRequest, CallToolResponse, FindHit, FindToolRequest, ListToolsRequest, ToolListItem,
};
use crate::app::AppState;
use crate::domain::{FieldError, FusionKind, SearchMethod, check_filter};
use crate::error::ApiError;
use crate::registry::{CallContext, FindQuery, RegistryService};
use crate::store::SearchFilter;

/// Lists tools (agent-facing), optionally filtered.
#[utoipa::path(post, path = "/mcp/list_tools", tag = "agents", request_body = ListToolsRequest,
    responses((status = 200, description = "Registered tools", body = Vec<ToolListItem>)))]
pub async fn list_tools(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ListToolsRequest>,
) -> Result<Json<Vec<ToolListItem>>, ApiError> {
    let filter = SearchFilter {
        category: req.category,
        tags: req.tags,
    };
    check_filter(filter.category.as_deref(), filter.tags.as_deref()).map_err(unprocessable)?;
    let tools = state.registry.list_summaries(&filter).await?;
    Ok(Json(tools.into_iter().map(ToolListItem::from).collect()))
}

/// Finds tools by describing the task in plain language.
#[utoipa::path(post, path = "/mcp/find_tool", tag = "agents", request_body = FindToolRequest,
    responses((status = 200, description = "Best matches first", body = Vec<FindHit>)))]
pub async fn find_tool(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<FindToolRequest>,
) -> Result<Json<Vec<FindHit>>, ApiError> {
    let explain = req.explain;
    let query = state.parse_find(req)?;
    let hits = state.registry.find(&query).await?;
    Ok(Json(
        hits.into_iter().map(|h| FindHit::new(h, explain)).collect(),
    ))
}

/// Calls a tool with arguments that must match its input schema.
#[utoipa::path(post, path = "/mcp/call_tool", tag = "agents", request_body = CallToolRequest,
    responses((status = 200, description = "The outcome; a failing tool is `success: false`", body = CallToolResponse),
        (status = 409, description = "The tool has no executor (registered for discovery only)", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 504, description = "The tool timed out", body = crate::http::openapi::Problem, content_type = "application/problem+json")))]
pub async fn call_tool(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CallToolRequest>,
) -> Result<Json<CallToolResponse>, ApiError> {
    let name = RegistryService::parse_name(&req.tool_name)?;
    let ctx = CallContext {
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(128).collect()),
        caller: None,
    };
    let outcome = state
        .registry
        .call_with(name.as_str(), req.arguments, &ctx)
        .await?;
    Ok(Json(outcome.into()))
}

fn unprocessable(e: FieldError) -> ApiError {
    ApiError::unprocessable(
        format!("`{}` {}", &e.pointer[1..], e.message),
        &e.pointer,
        &e.rule,
    )
}

impl AppState {
    /// Validates a search request against the configured bounds.
    pub fn parse_find(&self, req: FindToolRequest) -> Result<FindQuery, ApiError> {
        let search = &self.config.search;
        let query = req.query.trim().to_owned();
        if query.is_empty() {
            return Err(ApiError::unprocessable(
                "`query` must not be empty",
                "/query",
                "minLength",
            ));
        }
        if query.chars().count() > 2_000 {
            return Err(ApiError::unprocessable(
                "`query` must be at most 2000 characters",
                "/query",
                "maxLength",
            ));
        }
        let limit = req.limit.unwrap_or(i64::from(search.default_limit));
        if limit < 1 || limit > i64::from(search.max_limit) {
            return Err(ApiError::unprocessable(
                format!("`limit` must be between 1 and {}", search.max_limit),
                "/limit",
                "range",
            ));
        }
        let threshold = req.threshold.unwrap_or(f64::from(search.default_threshold));
        if !(-1.0..=1.0).contains(&threshold) {
            return Err(ApiError::unprocessable(
                "`threshold` is a cosine similarity and must be between -1 and 1",
                "/threshold",
                "range",
            ));
        }
        let fusion = match req.fusion.as_deref() {
            None => search.fusion,
            Some(raw) => raw.parse::<FusionKind>().map_err(|reason| {
                ApiError::unprocessable(format!("`fusion` {reason}"), "/fusion", "enum")
            })?,
        };
        check_filter(req.category.as_deref(), req.tags.as_deref()).map_err(unprocessable)?;
        let method = if req.use_hybrid.unwrap_or(search.use_hybrid) {
            SearchMethod::Hybrid(search.fusion(fusion))
        } else {
            SearchMethod::Vector
        };
        Ok(FindQuery {
            method,
            query,
            limit: limit as u32,
            threshold: threshold as f32,
            filter: SearchFilter {
                category: req.category,
                tags: req.tags,
            },
        })
    }
}
