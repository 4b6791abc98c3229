//! Tools as the registry knows them, and the rules a tool definition must follow.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

mod text;
mod validate;

pub use text::{embedded_text, schema_words, split_identifier};
pub use validate::check_filter;

use super::FieldError;

/// Limits on a tool definition, chosen so a definition always fits in a model's context.
const MAX_NAME: usize = 128;
const MAX_DESCRIPTION: usize = 4_096;
const MAX_LONG_DESCRIPTION: usize = 32_768;
const MAX_LABEL: usize = 64;
const MAX_TAGS: usize = 32;
const MAX_EXAMPLES: usize = 32;
const MAX_EXAMPLE: usize = 1_024;

/// A tool name: 1–128 characters of `A-Z a-z 0-9 _ - .`, starting with a letter or digit
/// (the character set MCP clients accept for tool names).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ToolName(String);

/// The one name a new tool cannot take: `/tools/bulk` is a route of its own.
pub const RESERVED_NAME: &str = "bulk";

impl ToolName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let ok_len = !raw.is_empty() && raw.len() <= MAX_NAME;
        let ok_chars = raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        let ok_start = raw
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if ok_len && ok_chars && ok_start {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                "/name",
                "pattern",
                format!(
                    "tool name must be 1-{MAX_NAME} characters of letters, digits, '_', '-' or '.', \
                     starting with a letter or digit; got {raw:?}"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ToolName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A complete, validated tool definition ready to be registered.
#[derive(Clone, PartialEq)]
pub struct NewTool {
    pub name: ToolName,
    pub description: String,
    pub long_description: Option<String>,
    pub category: String,
    pub tags: Vec<String>,
    pub examples: Vec<String>,
    pub input_schema: Value,
    pub output_schema: Option<Value>,
    pub version: String,
    pub author: Option<String>,
    pub config: Value,
}

/// Unvalidated fields of a tool, as they arrive from a client. Used for both register
/// (`name`, `description` and `input_schema` required) and update (everything optional).
#[derive(Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub long_description: Option<Option<String>>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub examples: Option<Vec<String>>,
    /// A JSON Schema object.
    pub input_schema: Option<Value>,
    pub output_schema: Option<Option<Value>>,
    pub version: Option<String>,
    pub author: Option<Option<String>>,
    pub config: Option<Value>,
}

/// A registered tool.
#[derive(Clone, Serialize)]
pub struct Tool {
    #[serde(skip)]
    pub id: i64,
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
    #[serde(serialize_with = "super::executor_spec::serialize_redacted")]
    pub config: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Tool {
    /// The definition this tool was registered with, as the starting point of an update.
    pub fn to_new_tool(&self) -> NewTool {
        NewTool {
            name: ToolName(self.name.clone()),
            description: self.description.clone(),
            long_description: self.long_description.clone(),
            category: self.category.clone(),
            tags: self.tags.clone(),
            examples: self.examples.clone(),
            input_schema: self.input_schema.clone(),
            output_schema: self.output_schema.clone(),
            version: self.version.clone(),
            author: self.author.clone(),
            config: self.config.clone(),
        }
    }
}

// Debug shows a tool's config with executor header values redacted, as the API does: a
// derived Debug would print them, and a `{:?}` in a log line must not leak a secret.

impl std::fmt::Debug for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tool")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("category", &self.category)
            .field("version", &self.version)
            .field("config", &super::executor_spec::redact_config(&self.config))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NewTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewTool")
            .field("name", &self.name.as_str())
            .field("category", &self.category)
            .field("version", &self.version)
            .field("config", &super::executor_spec::redact_config(&self.config))
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ToolPatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolPatch")
            .field("name", &self.name)
            .field(
                "config",
                &self
                    .config
                    .as_ref()
                    .map(super::executor_spec::redact_config),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_follow_the_mcp_character_set() {
        assert!(ToolName::parse("get_weather.v2-beta").is_ok());
        assert!(ToolName::parse("").is_err());
        assert!(ToolName::parse("_hidden").is_err());
        assert!(ToolName::parse("has space").is_err());
        assert!(ToolName::parse(&"a".repeat(129)).is_err());
    }
}
