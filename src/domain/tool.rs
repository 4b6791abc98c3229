//! Tools as the registry knows them, and the rules a tool definition must follow.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// Limits on a tool definition, chosen so a definition always fits in a model's context.
const MAX_NAME: usize = 128;
const MAX_DESCRIPTION: usize = 4_096;
const MAX_LONG_DESCRIPTION: usize = 32_768;
const MAX_LABEL: usize = 64;
const MAX_TAGS: usize = 32;
const MAX_EXAMPLES: usize = 32;
const MAX_EXAMPLE: usize = 1_024;

/// One thing wrong with a request, located by a JSON pointer into the request body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// JSON pointer (RFC 6901) to the offending value, e.g. `/tags/3`.
    pub pointer: String,
    /// The rule that failed, e.g. `maxLength`, `pattern`, `required`.
    pub rule: String,
    /// What was expected, in words a person or a model can act on.
    pub message: String,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }
}

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
#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "weather_lookup",
    "description": "Current weather for a city",
    "category": "data",
    "tags": ["weather"],
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
}))]
pub struct ToolPatch {
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

impl NewTool {
    /// Validates a registration request, collecting every problem rather than the first.
    pub fn parse(patch: ToolPatch) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = match patch.name.as_deref() {
            None => {
                errors.push(FieldError::new("/name", "required", "`name` is required"));
                None
            }
            Some(RESERVED_NAME) => {
                errors.push(FieldError::new(
                    "/name",
                    "reserved",
                    format!(
                        "{RESERVED_NAME:?} is reserved: /tools/{RESERVED_NAME} is the bulk import \
                         route, so such a tool could not be fetched, updated or deleted"
                    ),
                ));
                None
            }
            Some(raw) => ToolName::parse(raw).map_err(|e| errors.push(e)).ok(),
        };
        if patch.description.is_none() {
            errors.push(FieldError::new(
                "/description",
                "required",
                "`description` is required",
            ));
        }
        if patch.input_schema.is_none() {
            errors.push(FieldError::new(
                "/input_schema",
                "required",
                "`input_schema` is required (a JSON Schema object, e.g. {\"type\": \"object\"})",
            ));
        }
        let base = NewTool {
            name: name.unwrap_or(ToolName(String::new())),
            description: String::new(),
            long_description: None,
            category: "general".into(),
            tags: vec![],
            examples: vec![],
            input_schema: Value::Null,
            output_schema: None,
            version: "1.0.0".into(),
            author: None,
            config: Value::Object(Default::default()),
        };
        match base.apply(patch) {
            Ok(tool) if errors.is_empty() => Ok(tool),
            Ok(_) => Err(errors),
            Err(more) => {
                // A missing field is already reported as `required`.
                let fresh: Vec<FieldError> = more
                    .into_iter()
                    .filter(|e| !errors_contains_pointer(&errors, &e.pointer))
                    .collect();
                errors.extend(fresh);
                Err(errors)
            }
        }
    }

    /// Applies an update to a tool, validating the result as a whole. The name cannot change.
    pub fn apply(mut self, patch: ToolPatch) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Some(d) = patch.description {
            check_text(&mut errors, "/description", &d, MAX_DESCRIPTION, false);
            self.description = d;
        }
        if let Some(ld) = patch.long_description {
            if let Some(text) = &ld {
                check_text(
                    &mut errors,
                    "/long_description",
                    text,
                    MAX_LONG_DESCRIPTION,
                    true,
                );
            }
            self.long_description = ld.filter(|s| !s.trim().is_empty());
        }
        if let Some(c) = patch.category {
            check_label(&mut errors, "/category", &c);
            self.category = c;
        }
        if let Some(tags) = patch.tags {
            if tags.len() > MAX_TAGS {
                errors.push(FieldError::new(
                    "/tags",
                    "maxItems",
                    format!("at most {MAX_TAGS} tags"),
                ));
            }
            for (i, t) in tags.iter().enumerate() {
                check_label(&mut errors, &format!("/tags/{i}"), t);
            }
            let mut dedup = Vec::with_capacity(tags.len());
            for t in tags {
                if !dedup.contains(&t) {
                    dedup.push(t);
                }
            }
            self.tags = dedup;
        }
        if let Some(examples) = patch.examples {
            if examples.len() > MAX_EXAMPLES {
                errors.push(FieldError::new(
                    "/examples",
                    "maxItems",
                    format!("at most {MAX_EXAMPLES} examples"),
                ));
            }
            for (i, e) in examples.iter().enumerate() {
                check_text(
                    &mut errors,
                    &format!("/examples/{i}"),
                    e,
                    MAX_EXAMPLE,
                    false,
                );
            }
            self.examples = examples;
        }
        if let Some(schema) = patch.input_schema {
            check_schema(&mut errors, "/input_schema", &schema);
            self.input_schema = schema;
        }
        if let Some(schema) = patch.output_schema {
            if let Some(s) = &schema {
                check_schema(&mut errors, "/output_schema", s);
            }
            self.output_schema = schema;
        }
        if let Some(v) = patch.version {
            check_label(&mut errors, "/version", &v);
            self.version = v;
        }
        if let Some(a) = patch.author {
            if let Some(a) = &a {
                check_text(&mut errors, "/author", a, 256, true);
            }
            self.author = a;
        }
        if let Some(c) = patch.config {
            if !c.is_object() {
                errors.push(FieldError::new(
                    "/config",
                    "type",
                    "`config` must be a JSON object",
                ));
            } else if let Err(more) = super::http_executor(&c) {
                errors.extend(more);
            }
            self.config = c;
        }
        if let Some(n) = patch.name
            && n != self.name.as_str()
            && !self.name.as_str().is_empty()
        {
            errors.push(FieldError::new(
                "/name",
                "const",
                format!(
                    "a tool cannot be renamed; the body's name must be {:?} or absent",
                    self.name.as_str()
                ),
            ));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    /// The text embedded for this tool (see [`embedded_text`]).
    pub fn embedded_text(&self) -> String {
        embedded_text(
            self.name.as_str(),
            &self.description,
            self.long_description.as_deref(),
            &self.tags,
            &self.examples,
        )
    }
}

/// The text of a tool indexed for full-text search, by weight, every identifier split into
/// words (see [`search_text`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchText {
    /// Weight A: the name's words and the tags.
    pub names: String,
    /// Weight B: the description.
    pub description: String,
    /// Weight C: the long description and the examples.
    pub details: String,
}

impl NewTool {
    /// The full-text fields of this tool (see [`search_text`]).
    pub fn search_text(&self) -> SearchText {
        search_text(
            self.name.as_str(),
            &self.description,
            self.long_description.as_deref(),
            &self.tags,
            &self.examples,
        )
    }
}

/// Splits every field with [`split_identifier`], so `get_weather`, `SEOTool` and `pdf-to-text`
/// in a name, a tag or running text match the words `weather`, `seo` and `pdf`.
pub fn search_text(
    name: &str,
    description: &str,
    long_description: Option<&str>,
    tags: &[String],
    examples: &[String],
) -> SearchText {
    let mut names = split_identifier(name);
    for t in tags {
        names.push(' ');
        names.push_str(&split_identifier(t));
    }
    let mut details = split_identifier(long_description.unwrap_or_default());
    for e in examples {
        details.push(' ');
        details.push_str(&split_identifier(e));
    }
    SearchText {
        names,
        description: split_identifier(description),
        details: details.trim_start().to_owned(),
    }
}

fn errors_contains_pointer(errors: &[FieldError], pointer: &str) -> bool {
    errors.iter().any(|e| e.pointer == pointer)
}

fn check_text(errors: &mut Vec<FieldError>, pointer: &str, s: &str, max: usize, empty_ok: bool) {
    if s.contains('\0') {
        // PostgreSQL's text cannot hold NUL; refused on both stores so they behave alike.
        errors.push(FieldError::new(
            pointer,
            "pattern",
            "must not contain the NUL character (\\u0000)",
        ));
    } else if !empty_ok && s.trim().is_empty() {
        errors.push(FieldError::new(pointer, "minLength", "must not be empty"));
    } else if s.chars().count() > max {
        errors.push(FieldError::new(
            pointer,
            "maxLength",
            format!("must be at most {max} characters"),
        ));
    }
}

/// Checks a category or tag used as a search filter: one with a control character (NUL
/// included, which PostgreSQL's text cannot even hold) could never match a stored label,
/// so it is refused rather than answered with nothing, or with a database error.
pub fn check_filter(category: Option<&str>, tags: Option<&[String]>) -> Result<(), FieldError> {
    let labels = category
        .map(|c| ("/category".to_owned(), c))
        .into_iter()
        .chain(
            tags.unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("/tags/{i}"), t.as_str())),
        );
    for (pointer, label) in labels {
        if label.chars().any(char::is_control) {
            return Err(FieldError::new(
                pointer,
                "pattern",
                "must not contain control characters such as NUL (\\u0000)",
            ));
        }
    }
    Ok(())
}

fn check_label(errors: &mut Vec<FieldError>, pointer: &str, s: &str) {
    let trimmed = s.trim();
    if trimmed.is_empty() || trimmed.len() != s.len() {
        errors.push(FieldError::new(
            pointer,
            "pattern",
            "must be non-empty with no leading or trailing whitespace",
        ));
    } else if s.chars().count() > MAX_LABEL || s.chars().any(char::is_control) {
        errors.push(FieldError::new(
            pointer,
            "maxLength",
            format!("must be at most {MAX_LABEL} printable characters"),
        ));
    }
}

fn check_schema(errors: &mut Vec<FieldError>, pointer: &str, schema: &Value) {
    if !schema.is_object() {
        errors.push(FieldError::new(
            pointer,
            "type",
            "must be a JSON Schema object, e.g. {\"type\": \"object\", \"properties\": {...}}",
        ));
        return;
    }
    // Bounds first: compiling a schema with a very long `$ref` chain could itself overflow.
    if let Err(e) = super::schema_bounds::check(schema) {
        errors.push(FieldError::new(
            format!("{pointer}{}", e.pointer),
            e.rule,
            e.message,
        ));
    } else if let Err(e) = jsonschema::validator_for(schema) {
        errors.push(FieldError::new(
            format!("{pointer}{}", e.instance_path()),
            "schema",
            format!("is not a valid JSON Schema: {e}"),
        ));
    }
}

/// Splits an identifier into lowercase words: `get_weather` → `get weather`,
/// `SEOTool` → `seo tool`, `pdf-to-text` → `pdf to text`, `HTTPServer2` → `http server 2`.
pub fn split_identifier(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = cur.chars().last().as_ref() {
            let next = chars.get(i + 1).copied();
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_alphabetic() && c.is_ascii_digit())
                || (prev.is_ascii_digit() && c.is_alphabetic())
                || (prev.is_uppercase()
                    && c.is_uppercase()
                    && next.is_some_and(|n| n.is_lowercase()));
            if boundary {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The one template for the text embedded for a tool:
///
/// ```text
/// {name split into words}: {description}
/// {long description}
/// Tags: {tag, tag}
/// Examples: {example}; {example}
/// ```
/// Lines with nothing to say are left out. The raw name is not repeated: split words embed
/// better than identifiers.
pub fn embedded_text(
    name: &str,
    description: &str,
    long_description: Option<&str>,
    tags: &[String],
    examples: &[String],
) -> String {
    let mut text = format!("{}: {}", split_identifier(name), description.trim());
    if let Some(ld) = long_description.filter(|s| !s.trim().is_empty()) {
        text.push('\n');
        text.push_str(ld.trim());
    }
    if !tags.is_empty() {
        let split: Vec<String> = tags.iter().map(|t| split_identifier(t)).collect();
        text.push_str("\nTags: ");
        text.push_str(&split.join(", "));
    }
    if !examples.is_empty() {
        text.push_str("\nExamples: ");
        text.push_str(&examples.join("; "));
    }
    text
}

/// A registered tool.
#[derive(Clone, Serialize, utoipa::ToSchema)]
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

/// A search or list hit: a tool plus how well it matched.
#[derive(Debug, Clone)]
pub struct ToolSummary {
    pub tool: Tool,
    /// Cosine similarity to the query (search only).
    pub similarity: Option<f32>,
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
    use serde_json::json;

    #[test]
    fn identifiers_split_into_words() {
        assert_eq!(split_identifier("get_weather"), "get weather");
        assert_eq!(split_identifier("SEOTool"), "seo tool");
        assert_eq!(split_identifier("pdf-to-text"), "pdf to text");
        assert_eq!(split_identifier("HTTPServer2"), "http server 2");
        assert_eq!(split_identifier("camelCaseName"), "camel case name");
        assert_eq!(split_identifier("PDF_URLTool"), "pdf url tool");
    }

    #[test]
    fn search_text_splits_names_tags_and_prose() {
        let t = search_text(
            "SEOTool",
            "Checks pdf-to-text output",
            None,
            &["webDev".into()],
            &["audit get_weather".into()],
        );
        assert_eq!(t.names, "seo tool web dev");
        assert_eq!(t.description, "checks pdf to text output");
        assert_eq!(t.details, "audit get weather");
    }

    #[test]
    fn tool_names_follow_the_mcp_character_set() {
        assert!(ToolName::parse("get_weather.v2-beta").is_ok());
        assert!(ToolName::parse("").is_err());
        assert!(ToolName::parse("_hidden").is_err());
        assert!(ToolName::parse("has space").is_err());
        assert!(ToolName::parse(&"a".repeat(129)).is_err());
    }

    #[test]
    fn registration_reports_every_missing_field() {
        let errors = NewTool::parse(ToolPatch::default()).unwrap_err();
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/name", "/description", "/input_schema"]);
    }

    #[test]
    fn an_invalid_json_schema_is_refused() {
        let patch = ToolPatch {
            name: Some("t".into()),
            description: Some("d".into()),
            input_schema: Some(json!({"type": "not-a-type"})),
            ..Default::default()
        };
        let errors = NewTool::parse(patch).unwrap_err();
        assert_eq!(errors[0].pointer, "/input_schema/type");
    }

    #[test]
    fn a_nul_in_a_text_field_is_refused_by_its_pointer() {
        let patch = ToolPatch {
            name: Some("t".into()),
            description: Some("a\0b".into()),
            input_schema: Some(json!({"type": "object"})),
            examples: Some(vec!["fine".into(), "\0".into()]),
            ..Default::default()
        };
        let errors = NewTool::parse(patch).unwrap_err();
        let pointers: Vec<_> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/description", "/examples/1"]);
        assert!(errors.iter().all(|e| e.rule == "pattern"));
    }

    #[test]
    fn a_filter_with_a_control_character_is_refused_by_its_pointer() {
        assert!(check_filter(Some("data"), Some(&["web".into()])).is_ok());
        assert_eq!(
            check_filter(Some("\0"), None).unwrap_err().pointer,
            "/category"
        );
        let tags = ["ok".to_owned(), "x\0".to_owned()];
        assert_eq!(
            check_filter(None, Some(&tags)).unwrap_err().pointer,
            "/tags/1"
        );
    }

    #[test]
    fn embedded_text_follows_the_template() {
        let text = embedded_text(
            "get_weather",
            "Current weather for a city",
            Some("Uses a public API."),
            &["weather".into(), "forecastData".into()],
            &["weather in Paris".into()],
        );
        assert_eq!(
            text,
            "get weather: Current weather for a city\nUses a public API.\n\
             Tags: weather, forecast data\nExamples: weather in Paris"
        );
    }
}
