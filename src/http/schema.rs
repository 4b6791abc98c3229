//! The documented shapes of the domain and registry values the API sends or takes as they
//! are. Each twin carries the `ToSchema` derive under the value's own name
//! (`#[schema(as = ..)]`), so `domain` and `registry` know nothing of the API description.
//! A twin's fields and comments must follow its value's: `tests/openapi_spec.rs` checks the
//! description against the routes.

#![expect(
    dead_code,
    reason = "the twins exist for their `ToSchema` derive and are never built"
)]

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Unvalidated fields of a tool, as they arrive from a client. Used for both register
/// (`name`, `description` and `input_schema` required) and update (everything optional).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ToolPatch, example = json!({
    "name": "weather_lookup",
    "description": "Current weather for a city",
    "category": "data",
    "tags": ["weather"],
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
}))]
pub struct ToolPatchSchema {
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length = 128)]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 4096)]
    pub description: Option<String>,
    #[schema(max_length = 32768)]
    pub long_description: Option<Option<String>>,
    #[schema(min_length = 1, max_length = 64)]
    pub category: Option<String>,
    #[schema(max_items = 32)]
    pub tags: Option<Vec<String>>,
    #[schema(max_items = 32)]
    pub examples: Option<Vec<String>>,
    /// A JSON Schema object.
    #[schema(value_type = Option<Object>)]
    pub input_schema: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub output_schema: Option<Option<Value>>,
    #[schema(min_length = 1, max_length = 64)]
    pub version: Option<String>,
    #[schema(max_length = 256)]
    pub author: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    pub config: Option<Value>,
}

/// A registered tool.
#[derive(Serialize, ToSchema)]
#[schema(as = Tool)]
pub struct ToolSchema {
    pub name: String,
    pub description: String,
    pub long_description: Option<String>,
    pub category: String,
    pub tags: Vec<String>,
    pub examples: Vec<String>,
    pub input_schema: Value,
    pub output_schema: Option<Value>,
    pub version: String,
    pub author: Option<String>,
    /// Serialized with executor header values redacted: secrets never leave the service.
    pub config: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a bulk import did, by tool name.
#[derive(Serialize, ToSchema)]
#[schema(as = ImportOutcome)]
pub struct ImportOutcomeSchema {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    /// How many texts were sent to the embedder (updates whose text is unchanged need none).
    pub embedded: usize,
}

/// Why a call did not succeed, as clients see it (`error_kind` in responses and history).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CallErrorKind)]
pub enum CallErrorKindSchema {
    /// The arguments break the tool's input schema (or its size bound); fix the call.
    InvalidArguments,
    /// The tool ran and failed, or its result broke its output schema.
    ToolError,
    /// The tool did not finish within its time limit.
    Timeout,
    /// The service is saturated or the tool's endpoint is down; retry later.
    Unavailable,
    /// No tool by that name.
    NotFound,
    /// The tool is registered for discovery only and has no executor.
    NotExecutable,
}

/// The fields of a server registration or update, as they arrive. `name` and `url` are
/// required to register; an update may send any subset (`name` must then match the path).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ServerPatch, example = json!({
    "name": "everything",
    "url": "http://127.0.0.1:3001/mcp",
    "headers": {"Authorization": "Bearer ..."},
    "refresh_interval_s": 300
}))]
pub struct ServerPatchSchema {
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length = 64)]
    pub name: Option<String>,
    /// The server's MCP endpoint (Streamable HTTP).
    pub url: Option<String>,
    /// Sent with every request to the server; values are secrets, shown as `"[redacted]"`.
    #[schema(value_type = Option<Object>)]
    pub headers: Option<Value>,
    /// Prefix of its tools' names (`{namespace}__{tool}`); the server's name by default.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length = 64)]
    pub namespace: Option<String>,
    /// Upstream tool names (`*` globs) to register; all when absent or empty.
    pub include: Option<Vec<String>>,
    /// Upstream tool names (`*` globs) to leave out.
    pub exclude: Option<Vec<String>>,
    /// Category of its tools; the server's name by default.
    pub category: Option<Option<String>>,
    #[schema(minimum = 1, maximum = 86400)]
    pub refresh_interval_s: Option<u64>,
}

/// A server with this replica's view of its health.
#[derive(Serialize, ToSchema)]
#[schema(as = ServerView)]
pub struct ServerViewSchema {
    pub name: String,
    pub url: String,
    /// Header names, each value `"[redacted]"`.
    #[schema(value_type = Object)]
    pub headers: Value,
    pub namespace: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub category: Option<String>,
    pub refresh_interval_s: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// `status` (`unknown`, `syncing`, `healthy`, `unhealthy`), `last_sync_at`,
    /// `last_success_at`, `tool_count`, `last_error`, `latency_ms`, `skipped`.
    #[schema(value_type = Object)]
    pub health: Value,
}

/// What a sync changed, by tool name.
#[derive(Serialize, ToSchema)]
#[schema(as = SyncOutcome)]
pub struct SyncOutcomeSchema {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
    pub embedded: usize,
    /// Upstream tools not registered: `{"tool", "reason"}`.
    #[schema(value_type = Vec<Object>)]
    pub skipped: Vec<Value>,
}
