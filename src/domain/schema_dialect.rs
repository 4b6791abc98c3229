//! Which JSON Schema dialect a tool's schema is read in, and compiling it in that dialect.
//!
//! Tools come from everywhere (upstream MCP servers included), and their schemas are written in
//! every dialect: draft-04's `"exclusiveMinimum": true` is a type error under 2020-12. A schema
//! that names its dialect in `$schema` is read in that dialect (drafts 4, 6, 7, 2019-09 and
//! 2020-12). One that does not is tried as 2020-12, then draft-07, then draft-04, and the first
//! dialect it is valid in is the one its arguments are checked by; when it is valid in none,
//! the 2020-12 error is the one reported. Registration and argument checks both compile through
//! [`compile`], so a schema is never accepted in one dialect and enforced in another.

use jsonschema::{Draft, ValidationError, Validator};
use serde_json::Value;

/// The dialects tried, in order, for a schema without `$schema`.
const FALLBACKS: [Draft; 3] = [Draft::Draft202012, Draft::Draft7, Draft::Draft4];

/// Compiles `schema` in its dialect (see the module's documentation).
pub fn compile(schema: &Value) -> Result<Validator, ValidationError<'static>> {
    if schema.get("$schema").is_some() {
        return jsonschema::validator_for(schema);
    }
    let mut first_error = None;
    for draft in FALLBACKS {
        match jsonschema::options().with_draft(draft).build(schema) {
            Ok(validator) => return Ok(validator),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.expect("at least one dialect was tried"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_declared_draft_04_schema_is_enforced_by_draft_04_rules() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "properties": {"n": {"type": "number", "minimum": 0, "exclusiveMinimum": true}}
        });
        let v = compile(&schema).expect("a valid draft-04 schema");
        assert!(v.is_valid(&json!({"n": 1})));
        assert!(
            !v.is_valid(&json!({"n": 0})),
            "0 is excluded by draft-04's boolean form"
        );
    }

    #[test]
    fn an_undeclared_draft_04_schema_falls_back_to_draft_04() {
        let schema = json!({"type": "object",
            "properties": {"n": {"type": "number", "minimum": 0, "exclusiveMinimum": true}}});
        let v = compile(&schema).expect("valid in draft-04");
        assert!(!v.is_valid(&json!({"n": 0})));
        assert!(v.is_valid(&json!({"n": 0.5})));
    }

    #[test]
    fn an_undeclared_schema_is_read_as_2020_12_first() {
        // `prefixItems` means something only in 2020-12.
        let schema = json!({"type": "array", "prefixItems": [{"type": "string"}]});
        let v = compile(&schema).unwrap();
        assert!(!v.is_valid(&json!([1])));
    }

    #[test]
    fn a_schema_valid_in_no_dialect_reports_the_2020_12_error() {
        let err = compile(&json!({"type": "not-a-type"})).unwrap_err();
        assert_eq!(err.instance_path().to_string(), "/type");
    }

    #[test]
    fn a_declared_dialect_is_not_second_guessed() {
        let schema = json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
            "properties": {"n": {"exclusiveMinimum": true}}});
        assert!(compile(&schema).is_err());
    }
}
