//! Request and response bodies of the REST API, exactly as documented in README.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use crate::domain::{FieldError, FindRequest, ListRequest, parse_limit_text};
use crate::registry::{CallErrorKind, CallOutcome, Explain, Hit};
use crate::store::ToolSummary;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"limit": 100, "category": "math"}))]
pub struct ListToolsRequest {
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Page size, 1..=1000. Without it the whole list is answered (streamed).
    #[schema(minimum = 1, maximum = 1000)]
    #[serde(default, deserialize_with = "crate::domain::optional_integer")]
    pub limit: Option<i64>,
    /// The `X-Next-Cursor` of the previous page: the list resumes after its last tool.
    pub cursor: Option<String>,
}

impl From<ListToolsRequest> for ListRequest {
    fn from(r: ListToolsRequest) -> Self {
        Self {
            category: r.category,
            tags: r.tags,
            limit: r.limit,
            cursor: r.cursor,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ToolListItem {
    pub name: String,
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
    /// Passed through as stored: a catalogue listing never parses its schemas.
    #[schema(value_type = Object)]
    pub input_schema: Box<RawValue>,
    pub version: String,
    pub created_at: DateTime<Utc>,
}

impl From<ToolSummary> for ToolListItem {
    fn from(t: ToolSummary) -> Self {
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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"query": "what is the weather in Paris", "limit": 5}))]
pub struct FindToolRequest {
    #[schema(min_length = 1, max_length = 2000)]
    pub query: String,
    /// 1..=`MAX_SEARCH_LIMIT` (the served description gives the configured maximum).
    #[schema(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "crate::domain::optional_integer")]
    pub limit: Option<i64>,
    /// The least relevance (0..1) a hit must have (default: `DEFAULT_RELEVANCE_THRESHOLD`).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub threshold: Option<f64>,
    /// Fuse vector and full-text ranking (default: `USE_HYBRID_SEARCH`).
    pub use_hybrid: Option<bool>,
    /// `weighted` or `rrf` (default: `SEARCH_FUSION`); only with hybrid search.
    #[schema(example = "weighted")]
    pub fusion: Option<String>,
    /// Add each hit's score components.
    #[serde(default)]
    pub explain: bool,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    /// `auto` (default: a request that names several steps is searched step by step),
    /// `single` (always one search) or `task` (split at sentence ends too).
    #[schema(example = "auto")]
    pub mode: Option<String>,
    /// `hybrid`, `vector` or `text` (BM25 alone); default: `use_hybrid`'s choice.
    #[schema(example = "hybrid")]
    pub method: Option<String>,
}

impl From<FindToolRequest> for FindRequest {
    fn from(r: FindToolRequest) -> Self {
        Self {
            query: r.query,
            limit: r.limit,
            threshold: r.threshold,
            fusion: r.fusion,
            use_hybrid: r.use_hybrid,
            category: r.category,
            tags: r.tags,
            mode: r.mode,
            method: r.method,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindHit {
    pub name: String,
    pub description: String,
    pub category: String,
    /// Cosine similarity between the query and the tool.
    pub similarity: f32,
    /// The similarity calibrated against the query's background, 0..1 (what `threshold`
    /// applies to; README, "Threshold").
    pub relevance: f32,
    /// The value hits are ordered by (the fused score in a hybrid search).
    pub score: f32,
    /// Each score component, with `"explain": true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub explain: Option<Explain>,
    pub input_schema: Value,
    /// For a tool of an upstream MCP server: `{"server", "status"}`, the status as this
    /// replica last saw it (`unhealthy`: calls are likely to answer 503 `unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub upstream: Option<Value>,
}

impl FindHit {
    /// A hit as the API shows it, with its score components when `explain` is set.
    pub fn new(h: Hit, explain: bool) -> Self {
        Self {
            name: h.tool.name,
            description: h.tool.description,
            category: h.tool.category,
            similarity: h.similarity,
            relevance: h.relevance,
            score: h.score,
            explain: explain.then_some(h.explain),
            input_schema: h.tool.input_schema,
            upstream: None,
        }
    }

    /// The hit with its upstream server's state, when it comes from one.
    pub fn flagged(h: Hit, explain: bool, registry: &crate::registry::RegistryService) -> Self {
        let upstream = registry
            .upstream_state(&h.tool)
            .map(|(server, status)| serde_json::json!({"server": server, "status": status}));
        Self {
            upstream,
            ..Self::new(h, explain)
        }
    }
}

impl From<Hit> for FindHit {
    fn from(h: Hit) -> Self {
        Self::new(h, false)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tool_name": "calculator", "arguments": {"operation": "add", "a": 5, "b": 3}}))]
pub struct CallToolRequest {
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length = 128)]
    pub tool_name: String,
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub arguments: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallToolResponse {
    pub success: bool,
    pub result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `tool_error` when `success` is false (see README, "Call outcomes").
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::schema::CallErrorKindSchema>)]
    pub error_kind: Option<CallErrorKind>,
    pub duration_ms: u64,
    pub execution_id: i64,
}

impl From<CallOutcome> for CallToolResponse {
    fn from(o: CallOutcome) -> Self {
        Self {
            success: o.success,
            result: o.result,
            error: o.error,
            error_kind: o.error_kind,
            duration_ms: o.duration_ms,
            execution_id: o.execution_id,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub category: Option<String>,
    /// Comma-separated tags; a tool must carry all of them.
    pub tags: Option<String>,
    /// Page size, 1..=1000; the `Link: rel="next"` header names the next page. Without it the
    /// whole list is answered (streamed).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Opaque: the list resumes after the last tool of the page that announced it.
    pub cursor: Option<String>,
}

impl ListParams {
    /// The request these parameters make: `tags` split at commas, `limit` read as a number.
    pub fn to_request(&self) -> Result<ListRequest, FieldError> {
        Ok(ListRequest {
            category: self.category.clone(),
            tags: self
                .tags
                .as_ref()
                .map(|t| t.split(',').map(|s| s.trim().to_owned()).collect()),
            limit: self.limit.as_deref().map(parse_limit_text).transpose()?,
            cursor: self.cursor.clone(),
        })
    }

    /// These parameters with `cursor` in place of the given one, as a query string.
    pub fn with_cursor(&self, cursor: &str) -> String {
        let pairs = [
            ("category", self.category.as_deref()),
            ("tags", self.tags.as_deref()),
            ("limit", self.limit.as_deref()),
            ("cursor", Some(cursor)),
        ];
        let present: Vec<(&str, &str)> = pairs
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        serde_urlencoded::to_string(present).unwrap_or_default()
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// How many similar tools to return (1..=MAX_SEARCH_LIMIT, default 5).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionsQuery {
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `success`, `failure`, or an error kind such as `timeout`.
    pub outcome: Option<String>,
    /// Only the runs of this caller, as recorded (`key:<id>` or `oidc:<subject>`).
    pub caller: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// A duration such as `90s`, `15m`, `24h` or `7d`.
    pub window: Option<String>,
}
