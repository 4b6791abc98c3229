//! From MCP to the registry and back: an upstream's tool as a registry tool definition, and a
//! `tools/call` result as a call's outcome.

use serde_json::{Map, Value, json};

use crate::domain::{NewTool, ToolPatch, UpstreamServer, upstream_config};

/// An upstream tool as a registry tool named `{namespace}__{tool}`, keeping its title,
/// description, schemas and annotations; the server's category. An error says why the tool
/// cannot be registered (a name outside the registry's character set, a schema no dialect
/// accepts, ...), with the pointers of the definition's problems.
pub fn tool_of(server: &UpstreamServer, tool: &Value) -> Result<NewTool, String> {
    let upstream_name = tool
        .get("name")
        .and_then(Value::as_str)
        .ok_or("a tool without a name")?;
    let title = tool
        .get("title")
        .and_then(Value::as_str)
        .or_else(|| tool.pointer("/annotations/title").and_then(Value::as_str));
    let description = tool
        .get("description")
        .and_then(Value::as_str)
        .filter(|d| !d.trim().is_empty())
        .or(title)
        .unwrap_or(upstream_name);
    let mut config = Map::new();
    config.insert(
        "upstream".into(),
        upstream_config(&server.name, upstream_name),
    );
    if let Some(t) = title {
        config.insert("title".into(), json!(t));
    }
    if let Some(a) = tool.get("annotations").filter(|a| a.is_object()) {
        config.insert("annotations".into(), a.clone());
    }
    let patch = ToolPatch {
        name: Some(server.tool_name(upstream_name)),
        description: Some(description.to_owned()),
        category: Some(server.category().to_owned()),
        input_schema: Some(
            tool.get("inputSchema")
                .cloned()
                .unwrap_or_else(|| json!({"type": "object"})),
        ),
        output_schema: Some(tool.get("outputSchema").cloned().filter(Value::is_object)),
        config: Some(Value::Object(config)),
        ..Default::default()
    };
    NewTool::parse(patch).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{}: {}", e.pointer, e.message))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// What a `tools/call` result means for the call.
#[derive(Debug, Clone, PartialEq)]
pub enum CallAnswer {
    /// The tool succeeded: `structuredContent` when the server sent it, else
    /// `{"content": [...]}` (the content blocks as sent).
    Success(Value),
    /// `isError: true`: the tool ran and failed; its text content is the message.
    ToolError(String),
}

/// Reads a `CallToolResult` (as JSON).
pub fn answer_of(result: &Value) -> CallAnswer {
    let content = result.get("content").cloned().unwrap_or_else(|| json!([]));
    if result.get("isError").and_then(Value::as_bool) == Some(true) {
        let text: Vec<&str> = content
            .as_array()
            .map(|blocks| {
                blocks
                    .iter()
                    .filter_map(|b| b.get("text").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let message = if text.is_empty() {
            "the upstream tool reported an error (no text content)".to_owned()
        } else {
            text.join("\n")
        };
        return CallAnswer::ToolError(message);
    }
    match result.get("structuredContent") {
        Some(structured) => CallAnswer::Success(structured.clone()),
        None => CallAnswer::Success(json!({ "content": content })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> UpstreamServer {
        UpstreamServer {
            name: "gh".into(),
            url: "https://x.example/mcp".into(),
            headers: Default::default(),
            namespace: "git".into(),
            include: vec![],
            exclude: vec![],
            category: None,
            refresh_interval_s: 60,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn an_upstream_tool_keeps_its_definition_under_its_namespace() {
        let t = tool_of(
            &server(),
            &json!({"name": "search_issues", "title": "Search issues",
                "description": "Find issues", "inputSchema": {"type": "object"},
                "outputSchema": {"type": "object"}, "annotations": {"readOnlyHint": true}}),
        )
        .unwrap();
        assert_eq!(t.name.as_str(), "git__search_issues");
        assert_eq!(t.category, "gh");
        assert_eq!(t.config["title"], "Search issues");
        assert_eq!(t.config["annotations"]["readOnlyHint"], true);
        assert_eq!(
            t.config["upstream"],
            json!({"server": "gh", "tool": "search_issues"})
        );
        assert!(t.output_schema.is_some());
    }

    #[test]
    fn a_tool_whose_name_the_registry_cannot_hold_is_refused_with_the_reason() {
        let err = tool_of(&server(), &json!({"name": "has space", "inputSchema": {}})).unwrap_err();
        assert!(err.contains("/name"), "{err}");
    }

    #[test]
    fn results_map_onto_outcomes() {
        let ok = json!({"content": [{"type": "text", "text": "hi"}]});
        assert_eq!(
            answer_of(&ok),
            CallAnswer::Success(json!({"content": [{"type": "text", "text": "hi"}]}))
        );
        let structured = json!({"content": [], "structuredContent": {"n": 1}});
        assert_eq!(answer_of(&structured), CallAnswer::Success(json!({"n": 1})));
        let failed = json!({"content": [{"type": "text", "text": "boom"}], "isError": true});
        assert_eq!(answer_of(&failed), CallAnswer::ToolError("boom".into()));
    }
}
