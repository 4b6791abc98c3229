//! The rules a tool definition must follow: parsing a registration or an update into a
//! [`NewTool`], collecting every problem with its JSON pointer.

use serde_json::Value;

use super::{
    MAX_DESCRIPTION, MAX_EXAMPLE, MAX_EXAMPLES, MAX_LABEL, MAX_LONG_DESCRIPTION, MAX_TAGS, NewTool,
    RESERVED_NAME, ToolName, ToolPatch,
};
use crate::domain::FieldError;

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
            } else if let Err(more) = crate::domain::http_executor(&c) {
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
    if let Err(e) = crate::domain::schema_bounds::check(schema) {
        errors.push(FieldError::new(
            format!("{pointer}{}", e.pointer),
            e.rule,
            e.message,
        ));
    } else if let Err(e) = crate::domain::schema_dialect::compile(schema) {
        errors.push(FieldError::new(
            format!("{pointer}{}", e.instance_path()),
            "schema",
            format!("is not a valid JSON Schema: {e}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
