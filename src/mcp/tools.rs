//! Registry tools as MCP `Tool` definitions, and `tools/list`'s cursor pagination.

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::model::{JsonObject, Tool as McpTool, ToolAnnotations};
use serde_json::Value;

use crate::domain::Tool;

/// The MCP definition of a registered tool: schemas as registered; title and annotations
/// from its `config` (`config.title`, `config.annotations.{title,readOnlyHint,...}`).
pub fn to_mcp(tool: &Tool) -> McpTool {
    let annotations = tool.config.get("annotations");
    let hint = |key: &str| {
        annotations
            .and_then(|a| a.get(key))
            .and_then(Value::as_bool)
    };
    let title = tool
        .config
        .get("title")
        .or_else(|| annotations.and_then(|a| a.get("title")))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| humanize(&tool.name));
    let mut def = McpTool::new(
        tool.name.clone(),
        tool.description.clone(),
        object(&tool.input_schema),
    );
    def.title = Some(title);
    def.output_schema = tool
        .output_schema
        .as_ref()
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("object"))
        .map(object);
    def.annotations = Some(ToolAnnotations::from_raw(
        None,
        hint("readOnlyHint"),
        hint("destructiveHint"),
        hint("idempotentHint"),
        hint("openWorldHint"),
    ));
    def
}

/// A JSON Schema as MCP carries it: an object (anything else would not be a valid schema
/// for a tool's arguments, which are always an object).
pub fn object(schema: &Value) -> Arc<JsonObject> {
    Arc::new(match schema {
        Value::Object(map) => map.clone(),
        _ => JsonObject::from_iter([("type".to_owned(), Value::from("object"))]),
    })
}

/// `string_utils` → `String utils`: a readable title for tools registered without one.
fn humanize(name: &str) -> String {
    let spaced = name.replace(['_', '-', '.'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// An opaque cursor naming the last tool of a page (keyset pagination by name): the one
/// the REST listings issue too.
pub fn encode_cursor(last_name: &str) -> String {
    crate::domain::encode_cursor(last_name)
}

/// The tool name a cursor stands for; a cursor this server did not issue is invalid params.
pub fn decode_cursor(cursor: &str) -> Result<String, ErrorData> {
    crate::domain::decode_cursor(cursor)
        .map(|name| name.as_str().to_owned())
        .map_err(|_| {
            ErrorData::invalid_params(
                format!("invalid cursor {cursor:?}: pass a nextCursor returned by tools/list"),
                None,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_a_forged_one_is_rejected() {
        assert_eq!(
            decode_cursor(&encode_cursor("string_utils")).unwrap(),
            "string_utils"
        );
        assert!(decode_cursor("zz").is_err());
        assert!(decode_cursor("abc").is_err());
        assert!(decode_cursor("").is_err());
    }

    #[test]
    fn names_become_readable_titles() {
        assert_eq!(humanize("string_utils"), "String utils");
        assert_eq!(humanize("calculator"), "Calculator");
    }
}
