//! Validating call arguments against a tool's input schema.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use jsonschema::Validator;
use serde::Serialize;
use serde_json::Value;

/// How many compiled schemas [`compiled`] keeps before it starts over.
const MAX_CACHED_VALIDATORS: usize = 1_024;

/// Compiled validators by schema text. Compiling a schema (which first checks it against the
/// JSON Schema meta-schema) costs several times more than validating arguments with it, and
/// a tool's schema rarely changes; keying by the text means an edited schema is recompiled.
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<Validator>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn compiled(schema: &Value) -> Result<Arc<Validator>, String> {
    let key = schema.to_string();
    let cache = || VALIDATORS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(v) = cache().get(&key) {
        return Ok(v.clone());
    }
    // Registration refuses such schemas; this guards rows written by hand or stored before.
    crate::domain::schema_bounds::check(schema).map_err(|e| e.to_string())?;
    let validator =
        Arc::new(crate::domain::schema_dialect::compile(schema).map_err(|e| e.to_string())?);
    let mut map = cache();
    if map.len() >= MAX_CACHED_VALIDATORS {
        map.clear();
    }
    map.insert(key, validator.clone());
    Ok(validator)
}

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
    let validator = match compiled(schema) {
        Ok(v) => v,
        Err(e) => {
            // Schemas are validated at registration; this only happens for rows written by hand.
            return Err(vec![Violation {
                pointer: String::new(),
                rule: "schema".into(),
                expected: Value::Null,
                message: format!("the tool's schema is invalid: {e}"),
            }]);
        }
    };
    let violations: Vec<Violation> = validator
        .iter_errors(args)
        .take(20)
        .map(|e| {
            let schema_pointer = e.schema_path().to_string();
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
                pointer: e.instance_path().to_string(),
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

/// How [`describe`] lays violations out.
#[derive(Debug, Clone, Copy)]
pub enum ViolationText {
    /// `pointer: message; pointer: message`, the arguments object itself named `root`.
    Inline { root: &'static str },
    /// One `- pointer: message` line each, with ` [rule]` when `rule`; the arguments object
    /// itself is `(arguments)`.
    Lines { rule: bool },
}

/// Violations as text a person or a model can act on: the one place that words them.
pub fn describe(violations: &[Violation], form: ViolationText) -> String {
    let at = |v: &'_ Violation, root: &'static str| -> String {
        if v.pointer.is_empty() {
            root.to_owned()
        } else {
            v.pointer.clone()
        }
    };
    match form {
        ViolationText::Inline { root } => violations
            .iter()
            .map(|v| format!("{}: {}", at(v, root), v.message))
            .collect::<Vec<_>>()
            .join("; "),
        ViolationText::Lines { rule } => violations
            .iter()
            .map(|v| {
                let line = format!("- {}: {}", at(v, "(arguments)"), v.message);
                if rule {
                    format!("{line} [{}]", v.rule)
                } else {
                    line
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
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
    fn an_edited_schema_is_used_at_once_despite_the_compiled_cache() {
        let before = json!({"type": "object", "required": ["x_cache_test"]});
        assert!(validate_arguments(&before, &json!({})).is_err());
        assert!(validate_arguments(&before, &json!({})).is_err());
        let after = json!({"type": "object"});
        assert!(validate_arguments(&after, &json!({})).is_ok());
    }

    #[test]
    fn missing_properties_are_reported_as_required() {
        let schema = json!({"type": "object", "required": ["a"]});
        let errors = validate_arguments(&schema, &json!({})).unwrap_err();
        assert_eq!(errors[0].rule, "required");
        assert_eq!(errors[0].pointer, "");
    }

    #[test]
    fn violations_read_as_one_line_or_a_list() {
        let v = |pointer: &str| Violation {
            pointer: pointer.into(),
            rule: "type".into(),
            expected: Value::Null,
            message: "bad".into(),
        };
        let both = [v(""), v("/a")];
        let inline = describe(&both, ViolationText::Inline { root: "arguments" });
        assert_eq!(inline, "arguments: bad; /a: bad");
        let lines = describe(&both, ViolationText::Lines { rule: true });
        assert_eq!(lines, "- (arguments): bad [type]\n- /a: bad [type]");
    }
}
