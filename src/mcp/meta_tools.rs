//! The meta-tools: `find_tool` (semantic search over the registry) and, in `search`
//! exposure, `call_tool` (call any registry tool by name). Their descriptions name the
//! registry's categories, so a model knows what it can search for.

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock, Tool as McpTool, ToolAnnotations};
use serde::Deserialize;
use serde_json::{Value, json};

use super::McpState;
use super::outcome::tool_error;
use super::tools::object;
use crate::config::ToolExposure;
use crate::domain::{FindQuery, FindRequest, MAX_QUERY_CHARS, Principal};
use crate::executor::{ViolationText, describe, validate_arguments};

pub const FIND_TOOL: &str = "find_tool";
pub const CALL_TOOL: &str = "call_tool";

/// Categories named in a description, at most (the rest are summarised as a count).
const MAX_CATEGORIES_SHOWN: usize = 40;

/// The meta-tools listed under `exposure`, described with the registry's `categories`.
pub fn definitions(
    exposure: ToolExposure,
    categories: &[(String, i64)],
    max_limit: u32,
) -> Vec<McpTool> {
    let total: i64 = categories.iter().map(|(_, n)| n).sum();
    let shown: Vec<String> = categories
        .iter()
        .take(MAX_CATEGORIES_SHOWN)
        .map(|(c, n)| format!("{c} ({n})"))
        .collect();
    let more = categories.len().saturating_sub(MAX_CATEGORIES_SHOWN);
    let mut cats = shown.join(", ");
    if more > 0 {
        cats.push_str(&format!(", and {more} more"));
    }
    let then = match exposure {
        ToolExposure::All => "then call the tool you chose directly by its name",
        ToolExposure::Search => "then run the tool you chose with call_tool",
    };
    let mut find = McpTool::new(
        FIND_TOOL,
        format!(
            "Search this registry of {total} tools by describing the task in plain language; \
             returns the best-matching tools, each with the inputSchema its arguments must follow; \
             {then}. Categories: {cats}."
        ),
        object(&find_input_schema(max_limit)),
    );
    find.title = Some("Find a tool".into());
    find.output_schema = Some(object(&find_output_schema()));
    find.annotations = Some(
        ToolAnnotations::new()
            .read_only(true)
            .idempotent(true)
            .open_world(false),
    );
    let mut defs = vec![find];
    if exposure == ToolExposure::Search {
        let mut call = McpTool::new(
            CALL_TOOL,
            format!(
                "Run one of this registry's {total} tools by name, with arguments that follow the \
                 inputSchema find_tool returned for it. Use find_tool first to learn the names. \
                 Categories: {cats}."
            ),
            object(&json!({
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "The tool's name, as find_tool returned it."},
                    "arguments": {"type": "object", "description": "The tool's arguments, following its inputSchema."}
                },
                "required": ["name"],
                "additionalProperties": false
            })),
        );
        call.title = Some("Call a registry tool".into());
        call.annotations = Some(
            ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .open_world(true),
        );
        defs.push(call);
    }
    defs
}

fn find_input_schema(max_limit: u32) -> Value {
    json!({
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS,
                      "description": "What you want to do, in plain language."},
            "limit": {"type": "integer", "minimum": 1, "maximum": max_limit,
                      "description": "How many tools to return at most."},
            "category": {"type": "string", "description": "Only tools in this category."},
            "tags": {"type": "array", "items": {"type": "string"},
                     "description": "Only tools carrying all of these tags."}
        },
        "required": ["query"],
        "additionalProperties": false
    })
}

fn find_output_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "tools": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "category": {"type": "string"},
                    "similarity": {"type": "number"},
                    "inputSchema": {"type": "object"},
                    "upstream": {"type": "object", "properties": {
                        "server": {"type": "string"}, "status": {"type": "string"}}}
                },
                "required": ["name", "description", "category", "similarity", "inputSchema"]
            }}
        },
        "required": ["tools"]
    })
}

#[derive(Deserialize)]
struct FindArgs {
    query: String,
    #[serde(default, deserialize_with = "crate::domain::optional_integer")]
    limit: Option<u32>,
    category: Option<String>,
    tags: Option<Vec<String>>,
}

/// Runs `find_tool`. Bad arguments and an unavailable embedder are tool errors the model
/// can read; only an internal failure is a protocol error.
pub async fn find(
    state: &McpState,
    args: Value,
    who: &Principal,
) -> Result<CallToolResult, ErrorData> {
    if let Err(violations) = validate_arguments(&find_input_schema(state.search.max_limit), &args) {
        return Ok(tool_error(format!(
            "Invalid arguments for find_tool:\n{}",
            describe(&violations, ViolationText::Lines { rule: false })
        )));
    }
    let args: FindArgs = serde_json::from_value(args)
        .map_err(|e| ErrorData::invalid_params(format!("find_tool arguments: {e}"), None))?;
    let req = FindRequest {
        query: args.query,
        limit: args.limit.map(i64::from),
        category: args.category,
        tags: args.tags,
        ..FindRequest::default()
    };
    let q = match FindQuery::parse(req, &state.search) {
        Ok(q) => q,
        Err(e) if e.pointer == "/query" && e.rule == "minLength" => {
            return Ok(tool_error(
                "find_tool needs a non-blank `query` describing the task.".into(),
            ));
        }
        Err(e) => {
            return Ok(tool_error(format!(
                "Invalid arguments for find_tool:\n- {}: {}",
                e.pointer, e.message
            )));
        }
    };
    let hits = match state.registry.find(&q, who).await {
        Ok(hits) => hits,
        Err(e) => {
            // The cause is logged, not shown: it may name internal hosts.
            tracing::warn!(error = %e, "find_tool failed");
            return Ok(tool_error(
                "The search is unavailable right now; try again shortly.".into(),
            ));
        }
    };
    let tools: Vec<Value> = hits
        .iter()
        .map(|h| {
            let def = super::tools::to_mcp(&h.tool);
            let mut hit = json!({
                "name": h.tool.name,
                "title": def.title,
                "description": h.tool.description,
                "category": h.tool.category,
                "similarity": h.similarity,
                "inputSchema": h.tool.input_schema,
            });
            if let Some((server, status)) = state.registry.upstream_state(&h.tool) {
                hit["upstream"] = json!({"server": server, "status": status});
            }
            hit
        })
        .collect();
    let text = if hits.is_empty() {
        "No tool matches that description; try other words or a broader query.".to_owned()
    } else {
        hits.iter()
            .map(|h| {
                format!(
                    "{} ({}, similarity {:.2}): {}",
                    h.tool.name, h.tool.category, h.similarity, h.tool.description
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut out = CallToolResult::success(vec![ContentBlock::text(text)]);
    out.structured_content = Some(json!({ "tools": tools }));
    Ok(out)
}

/// The `call_tool` meta-tool's arguments, or a tool error saying what is wrong with them.
pub fn parse_call(args: &Value) -> Result<(String, Value), CallToolResult> {
    let name = args.get("name").and_then(Value::as_str);
    let arguments = args.get("arguments").cloned().unwrap_or_else(|| json!({}));
    match name {
        Some(n) if arguments.is_object() => Ok((n.to_owned(), arguments)),
        Some(_) => Err(tool_error(
            "call_tool's `arguments` must be an object.".into(),
        )),
        None => Err(tool_error(
            "call_tool needs `name` (a tool name from find_tool) and `arguments` (an object)."
                .into(),
        )),
    }
}
