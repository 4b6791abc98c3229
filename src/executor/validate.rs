//! Validating call arguments against a tool's input schema.

use serde::Serialize;
use serde_json::Value;

/// One way the arguments break the schema, phrased so a model can fix its call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// JSON pointer into the arguments, e.g. `/b` (empty for the arguments object itself).
    pub pointer: String,
    /// The schema keyword that failed, e.g. `required`, `type`, `enum`.
    pub rule: String,
    /// What was expected, from the schema.
    pub expected: Value,
    pub message: String,
}

/// Checks `args` against `schema`, returning every violation (at most 20).
pub fn validate_arguments(schema: &Value, args: &Value) -> Result<(), Vec<Violation>> {
    let validator = match jsonschema::validator_for(schema) {
        Ok(v) => v,
        Err(e) => {
            // Schemas are validated at registration; this only happens for rows written by hand.
            return Err(vec![Violation {
                pointer: String::new(),
                rule: "schema".into(),
                expected: Value::Null,
                message: format!("the tool's input_schema is invalid: {e}"),
            }]);
        }
    };
    let violations: Vec<Violation> = validator
        .iter_errors(args)
        .take(20)
        .map(|e| {
            let schema_pointer = e.schema_path.to_string();
            // The failed keyword is the last step of the path into the schema.
            let rule = schema_pointer
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let expected = schema
                .pointer(&schema_pointer)
                .cloned()
                .unwrap_or(Value::Null);
            Violation {
                pointer: e.instance_path.to_string(),
                rule,
                expected,
                message: e.to_string(),
            }
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn violations_name_pointer_rule_and_expected_value() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"type": "number"}, "op": {"enum": ["add", "sub"]}},
            "required": ["a", "op"]
        });
        let errors = validate_arguments(&schema, &json!({"a": "five", "op": "mul"})).unwrap_err();
        let a = errors.iter().find(|v| v.pointer == "/a").unwrap();
        assert_eq!(a.rule, "type");
        assert_eq!(a.expected, json!("number"));
        let op = errors.iter().find(|v| v.pointer == "/op").unwrap();
        assert_eq!(op.rule, "enum");
        assert_eq!(op.expected, json!(["add", "sub"]));
    }

    #[test]
    fn missing_properties_are_reported_as_required() {
        let schema = json!({"type": "object", "required": ["a"]});
        let errors = validate_arguments(&schema, &json!({})).unwrap_err();
        assert_eq!(errors[0].rule, "required");
        assert_eq!(errors[0].pointer, "");
    }
}
