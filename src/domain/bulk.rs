//! A list of tool definitions for bulk import, validated as a whole: every problem of every
//! item is collected, each located by a JSON pointer `/tools/{index}/{field}`.

use std::collections::HashMap;

use serde_json::Value;

use super::{FieldError, NewTool, ToolPatch, pointer_of};

/// Parses every item; on any problem returns all of them (nothing is partially accepted).
pub fn parse_tool_list(items: Vec<Value>) -> Result<Vec<NewTool>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut tools = Vec::with_capacity(items.len());
    let mut first_index: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.into_iter().enumerate() {
        let base = format!("/tools/{i}");
        let patch: ToolPatch = match serde_path_to_error::deserialize(item) {
            Ok(p) => p,
            Err(e) => {
                let pointer = format!("{base}{}", pointer_of(e.path()));
                errors.push(FieldError::new(pointer, "type", e.into_inner().to_string()));
                continue;
            }
        };
        match NewTool::parse(patch) {
            Ok(tool) => {
                let name = tool.name.as_str().to_owned();
                if let Some(j) = first_index.get(&name) {
                    errors.push(FieldError::new(
                        format!("{base}/name"),
                        "unique",
                        format!("{name:?} is also the name of /tools/{j}"),
                    ));
                } else {
                    first_index.insert(name, i);
                }
                tools.push(tool);
            }
            Err(errs) => errors.extend(errs.into_iter().map(|mut e| {
                e.pointer = format!("{base}{}", e.pointer);
                e
            })),
        }
    }
    if errors.is_empty() {
        Ok(tools)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool(name: &str) -> Value {
        json!({"name": name, "description": "d", "input_schema": {"type": "object"}})
    }

    #[test]
    fn valid_items_parse_in_order() {
        let tools = parse_tool_list(vec![tool("a"), tool("b")]).unwrap();
        assert_eq!(tools[1].name.as_str(), "b");
    }

    #[test]
    fn every_problem_is_reported_with_its_item_index() {
        let errs = parse_tool_list(vec![
            tool("ok"),
            json!({"name": "bad name", "description": "d", "input_schema": {"type": "object"}}),
            json!({"name": "x", "description": "d", "input_schema": {}, "tags": [1]}),
            tool("ok"),
        ])
        .unwrap_err();
        let pointers: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/tools/1/name", "/tools/2/tags/0", "/tools/3/name"]
        );
    }
}
