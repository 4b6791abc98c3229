//! Request and response bodies of the REST API, exactly as documented in README.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::Tool;
use crate::registry::{CallOutcome, Explain, Hit};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListToolsRequest {
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct ToolListItem {
    pub name: String,
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
    pub input_schema: Value,
    pub version: String,
    pub created_at: DateTime<Utc>,
}

impl From<Tool> for ToolListItem {
    fn from(t: Tool) -> Self {
        Self {
            name: t.name,
            description: t.description,
            category: t.category,
            tags: t.tags,
            input_schema: t.input_schema,
            version: t.version,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindToolRequest {
    pub query: String,
    pub limit: Option<i64>,
    pub threshold: Option<f64>,
    /// Fuse vector and full-text ranking (default: `USE_HYBRID_SEARCH`).
    pub use_hybrid: Option<bool>,
    /// `weighted` or `rrf` (default: `SEARCH_FUSION`); only with hybrid search.
    pub fusion: Option<String>,
    /// Add each hit's score components.
    #[serde(default)]
    pub explain: bool,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct FindHit {
    pub name: String,
    pub description: String,
    pub category: String,
    /// Cosine similarity between the query and the tool (what `threshold` applies to).
    pub similarity: f32,
    /// The value hits are ordered by (the fused score in a hybrid search).
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explain>,
    pub input_schema: Value,
}

impl FindHit {
    /// A hit as the API shows it, with its score components when `explain` is set.
    pub fn new(h: Hit, explain: bool) -> Self {
        Self {
            name: h.tool.name,
            description: h.tool.description,
            category: h.tool.category,
            similarity: h.similarity,
            score: h.score,
            explain: explain.then_some(h.explain),
            input_schema: h.tool.input_schema,
        }
    }
}

impl From<Hit> for FindHit {
    fn from(h: Hit) -> Self {
        Self::new(h, false)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallToolRequest {
    pub tool_name: String,
    #[serde(default = "empty_object")]
    pub arguments: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

#[derive(Debug, Serialize)]
pub struct CallToolResponse {
    pub success: bool,
    pub result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: u64,
    pub execution_id: i64,
}

impl From<CallOutcome> for CallToolResponse {
    fn from(o: CallOutcome) -> Self {
        Self {
            success: o.success,
            result: o.result,
            error: o.error,
            duration_ms: o.duration_ms,
            execution_id: o.execution_id,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub category: Option<String>,
    /// Comma-separated tags; a tool must carry all of them.
    pub tags: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarQuery {
    pub limit: Option<i64>,
}
