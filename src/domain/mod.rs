//! Validated domain types: a value of one of these types is known to be well-formed.
//!
//! Requests are parsed into these at the edge (`http`, `mcp`); services accept nothing else.

mod bulk;
mod embedding;
mod tool;

pub use bulk::parse_tool_list;
pub use embedding::Embedding;
pub use tool::{
    FieldError, NewTool, Tool, ToolName, ToolPatch, ToolSummary, embedded_text, split_identifier,
};
