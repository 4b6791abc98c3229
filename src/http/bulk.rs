//! `POST /tools/bulk`: many tool definitions, validated together, written in one transaction.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;

use super::ApiJson;
use super::AppState;
use super::schema::ImportOutcomeSchema;
use crate::domain::parse_tool_list;
use crate::http::ApiError;
use crate::registry::{ImportOutcome, RegistryError};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tools": [{
    "name": "weather_lookup", "description": "Current weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}
}], "upsert": false}))]
pub struct BulkRequest {
    /// Tool definitions, each as for `POST /tools`; kept raw so every item's problems are
    /// reported, not just the first item's.
    #[schema(value_type = Vec<Object>)]
    pub tools: Vec<Value>,
    /// Replace tools that already exist (by name) instead of rejecting the import.
    #[serde(default)]
    pub upsert: bool,
}

/// Registers many tools in one transaction: all of them, or none (admin). A definition that
/// is invalid is 422; a name that exists (without `upsert`) or is built in is 409; either way
/// `errors` lists every item at fault by `/tools/{index}/...`.
#[utoipa::path(post, path = "/tools/bulk", tag = "tools", operation_id = "import_tools", request_body = BulkRequest,
    responses((status = 200, description = "What was created and updated", body = ImportOutcomeSchema)))]
pub async fn import(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<BulkRequest>,
) -> Result<Json<ImportOutcome>, ApiError> {
    let max = state.config.bulk.max_tools;
    if req.tools.len() > max {
        return Err(ApiError::unprocessable(
            format!(
                "/tools: {} tools given, at most {max} per request (BULK_MAX_TOOLS); split the import",
                req.tools.len()
            ),
            "/tools",
            "maxItems",
        ));
    }
    let tools = parse_tool_list(req.tools).map_err(RegistryError::Invalid)?;
    Ok(Json(state.registry.import(tools, req.upsert).await?))
}
