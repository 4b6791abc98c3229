//! How much work a JSON Schema may ask for at one place in the arguments.
//!
//! Most applicators descend into the instance (`properties`, `items`, ...), so the depth of
//! the arguments bounds how often they run: a recursive tree schema is fine. The in-place
//! applicators (`$ref`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`,
//! `dependentSchemas`) evaluate another subschema against the *same* value, and nothing
//! bounds them but the schema itself. Two shapes of them are refused here:
//!
//! - a cycle (`a → b → a`, `{"allOf": [{"$ref": "#"}]}`): it never descends, so it says
//!   nothing a finite schema could not, and older validators recursed on it until the
//!   process ran out of memory. jsonschema 0.61 now treats such a cycle as `true`, but a
//!   schema that silently accepts everything is a mistake worth reporting at registration;
//! - an expansion that explodes without cycling (`a0 → anyOf[a1, a1]`, `a1 → anyOf[a2, a2]`,
//!   ...): 40 such lines ask for 2^40 evaluations of one value, and the validator does them.
//!
//! `$ref`s are followed when they point into the same document (`#/...`, `#anchor`, or a
//! `$id` of one of its subschemas); the validator cannot fetch any other, so it refuses them.

use std::collections::HashMap;

use serde_json::Value;

/// At most this many subschemas are evaluated against one value of the arguments. Real
/// schemas stay in the hundreds (a `oneOf` of a few dozen variants, each an `allOf` of refs).
pub const MAX_IN_PLACE: u64 = 10_000;

/// At most this many in-place steps in a row (a longer `$ref` chain would also overflow the
/// validator's stack when it compiles).
const MAX_CHAIN: usize = 256;

/// Why a schema is refused: the JSON pointer of the keyword at fault, relative to the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unbounded {
    /// Pointer to the offending keyword, e.g. `/$defs/b/$ref`.
    pub pointer: String,
    /// The rule that failed: `$ref` for a cycle, `schema` for an expansion over the bound.
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for Unbounded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {:?}: {}", self.pointer, self.message)
    }
}

/// Checks that evaluating one value against any subschema of `schema` is finite and takes at
/// most [`MAX_IN_PLACE`] subschema evaluations.
pub fn check(schema: &Value) -> Result<(), Unbounded> {
    let mut walk = Walk {
        root: schema,
        ids: HashMap::new(),
        anchors: HashMap::new(),
        cost: HashMap::new(),
        refs: Vec::new(),
    };
    let mut subschemas = Vec::new();
    walk.index(schema, String::new(), &mut subschemas);
    for pointer in subschemas {
        walk.cost_of(&pointer, "")?;
    }
    Ok(())
}

enum State {
    InProgress,
    Done(u64),
}

struct Walk<'a> {
    root: &'a Value,
    /// `$id` → pointer of the subschema that declares it.
    ids: HashMap<&'a str, String>,
    /// `$anchor` / `$dynamicAnchor` → pointer.
    anchors: HashMap<&'a str, String>,
    cost: HashMap<String, State>,
    /// The edge into each subschema on the current in-place path: its `$ref`'s pointer, or
    /// empty for a structural step (`allOf/0`, `not`, ...).
    refs: Vec<String>,
}

/// Keywords whose value is one subschema applied to the same value.
const IN_PLACE_ONE: &[&str] = &["not", "if", "then", "else"];
/// Keywords whose value is an array of subschemas applied to the same value.
const IN_PLACE_MANY: &[&str] = &["allOf", "anyOf", "oneOf"];
/// Keywords whose value maps names to subschemas applied to the same value.
const IN_PLACE_MAP: &[&str] = &["dependentSchemas", "dependencies"];
/// Keywords whose subschemas apply to a part of the value (or to nothing, for `$defs`).
const DESCENDING_ONE: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "items",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];
const DESCENDING_MANY: &[&str] = &["items", "prefixItems"];
const DESCENDING_MAP: &[&str] = &["properties", "patternProperties", "$defs", "definitions"];
const REFS: &[&str] = &["$ref", "$dynamicRef", "$recursiveRef"];

impl<'a> Walk<'a> {
    /// Records every subschema's pointer, `$id` and anchors.
    fn index(&mut self, node: &'a Value, pointer: String, out: &mut Vec<String>) {
        let Some(obj) = node.as_object() else {
            return;
        };
        if let Some(id) = obj.get("$id").and_then(Value::as_str) {
            self.ids.insert(id.trim_end_matches('#'), pointer.clone());
        }
        for key in ["$anchor", "$dynamicAnchor"] {
            if let Some(a) = obj.get(key).and_then(Value::as_str) {
                self.anchors.insert(a, pointer.clone());
            }
        }
        // Pre-order, so a cycle is entered at its outermost subschema and closes on a `$ref`.
        out.push(pointer.clone());
        for (key, value) in obj {
            let at = format!("{pointer}/{}", super::escape_token(key));
            let k = key.as_str();
            if IN_PLACE_ONE.contains(&k) || DESCENDING_ONE.contains(&k) {
                self.index(value, at.clone(), out);
            }
            if IN_PLACE_MANY.contains(&k) || DESCENDING_MANY.contains(&k) {
                for (i, v) in value.as_array().into_iter().flatten().enumerate() {
                    self.index(v, format!("{at}/{i}"), out);
                }
            }
            if IN_PLACE_MAP.contains(&k) || DESCENDING_MAP.contains(&k) {
                for (name, v) in value.as_object().into_iter().flatten() {
                    self.index(v, format!("{at}/{}", super::escape_token(name)), out);
                }
            }
        }
    }

    /// How many subschemas evaluating one value against `pointer` visits. `via` is the `$ref`
    /// that led here, named when it closes a cycle.
    fn cost_of(&mut self, pointer: &str, via: &str) -> Result<u64, Unbounded> {
        match self.cost.get(pointer) {
            Some(State::Done(c)) => return Ok(*c),
            Some(State::InProgress) => {
                // Every cycle takes at least one `$ref`: the latest one on the path is in it.
                let closing = std::iter::once(via)
                    .chain(self.refs.iter().rev().map(String::as_str))
                    .find(|r| !r.is_empty())
                    .unwrap_or_default();
                return Err(Unbounded {
                    pointer: closing.to_owned(),
                    rule: "$ref",
                    message: format!(
                        "this reference leads back to {:?} without descending into the value \
                         (only through $ref/allOf/anyOf/oneOf/not/if/then/else), so validating \
                         against it would never finish; a recursive schema must recurse through \
                         `properties`, `items` or the like",
                        display(pointer)
                    ),
                });
            }
            None => {}
        }
        let Some(obj) = self.root.pointer(pointer).and_then(Value::as_object) else {
            return Ok(1);
        };
        if self.refs.len() >= MAX_CHAIN {
            return Err(Unbounded {
                pointer: pointer.to_owned(),
                rule: "schema",
                message: format!(
                    "more than {MAX_CHAIN} references and in-place applicators in a row apply to \
                     one value"
                ),
            });
        }
        self.cost.insert(pointer.to_owned(), State::InProgress);
        self.refs.push(via.to_owned());
        let mut total: u64 = 1;
        for (key, value) in obj {
            let at = format!("{pointer}/{}", super::escape_token(key));
            let k = key.as_str();
            if REFS.contains(&k) {
                if let Some(target) = value.as_str().and_then(|r| self.resolve(r)) {
                    total += self.cost_of(&target, &at)?;
                }
            } else if IN_PLACE_ONE.contains(&k) {
                total += self.cost_of(&at, "")?;
            } else if IN_PLACE_MANY.contains(&k) {
                for i in 0..value.as_array().map_or(0, Vec::len) {
                    total += self.cost_of(&format!("{at}/{i}"), "")?;
                }
            } else if IN_PLACE_MAP.contains(&k) {
                let names: Vec<String> = value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(n, _)| super::escape_token(n))
                    .collect();
                for name in names {
                    total += self.cost_of(&format!("{at}/{name}"), "")?;
                }
            }
            if total > MAX_IN_PLACE {
                return Err(Unbounded {
                    pointer: pointer.to_owned(),
                    rule: "schema",
                    message: format!(
                        "validating one value against this subschema evaluates more than \
                         {MAX_IN_PLACE} subschemas through $ref/allOf/anyOf/oneOf/not/if; \
                         share fewer references"
                    ),
                });
            }
        }
        self.refs.pop();
        self.cost.insert(pointer.to_owned(), State::Done(total));
        Ok(total)
    }

    /// The pointer a reference names inside this document, if it names one.
    fn resolve(&self, reference: &str) -> Option<String> {
        let (base, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let resource = if base.is_empty() {
            String::new()
        } else {
            self.ids.get(base)?.clone()
        };
        if fragment.is_empty() || fragment.starts_with('/') {
            let pointer = format!("{resource}{}", percent_decode(fragment));
            self.root.pointer(&pointer).map(|_| pointer)
        } else {
            self.anchors.get(fragment).cloned()
        }
    }
}

/// A `$ref` fragment is URI-encoded (`#/$defs/a%20b`); the pointer inside is not.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

fn display(pointer: &str) -> &str {
    if pointer.is_empty() { "#" } else { pointer }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_two_step_ref_cycle_is_refused_at_the_ref_that_closes_it() {
        let schema = json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
                            "$ref": "#/$defs/a"});
        let err = check(&schema).unwrap_err();
        assert_eq!(err.rule, "$ref");
        assert!(err.pointer.ends_with("/$ref"), "{err}");
    }

    #[test]
    fn a_three_step_ref_cycle_is_refused() {
        let schema = json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/c"},
                                      "c": {"$ref": "#/$defs/a"}}});
        assert_eq!(check(&schema).unwrap_err().rule, "$ref");
    }

    #[test]
    fn an_all_of_self_reference_is_refused_at_its_ref() {
        let err = check(&json!({"allOf": [{"$ref": "#"}]})).unwrap_err();
        assert_eq!(err.pointer, "/allOf/0/$ref");
    }

    #[test]
    fn a_cycle_under_one_property_is_refused_at_that_property() {
        let schema = json!({"type": "object", "properties": {"x": {"$ref": "#/properties/x"}}});
        assert_eq!(check(&schema).unwrap_err().pointer, "/properties/x/$ref");
    }

    #[test]
    fn a_cycle_through_not_and_an_anchor_is_refused() {
        let schema = json!({"$defs": {"a": {"$anchor": "top", "not": {"$ref": "#top"}}}});
        assert_eq!(check(&schema).unwrap_err().pointer, "/$defs/a/not/$ref");
    }

    #[test]
    fn a_recursive_tree_schema_is_accepted() {
        let schema = json!({"$defs": {"node": {"type": "object", "properties": {
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
            "$ref": "#/$defs/node"});
        assert_eq!(check(&schema), Ok(()));
    }

    #[test]
    fn an_exponential_expansion_without_a_cycle_is_refused() {
        let mut defs = serde_json::Map::new();
        for i in 0..40 {
            let next = format!("#/$defs/a{}", i + 1);
            defs.insert(
                format!("a{i}"),
                json!({"anyOf": [{"$ref": next}, {"$ref": next}]}),
            );
        }
        let schema = json!({"$defs": defs, "$ref": "#/$defs/a0"});
        assert_eq!(check(&schema).unwrap_err().rule, "schema");
    }

    #[test]
    fn a_long_ref_chain_is_refused_before_it_can_overflow_the_stack() {
        let mut defs = serde_json::Map::new();
        for i in 0..10_000 {
            defs.insert(
                format!("a{i}"),
                json!({"$ref": format!("#/$defs/a{}", i + 1)}),
            );
        }
        assert_eq!(check(&json!({"$defs": defs})).unwrap_err().rule, "schema");
    }

    #[test]
    fn percent_encoded_fragments_and_subschema_ids_resolve() {
        let schema = json!({"$defs": {"a b": {"$ref": "#/$defs/a%20b"}}});
        assert_eq!(check(&schema).unwrap_err().pointer, "/$defs/a b/$ref");
        let schema = json!({"$defs": {"x": {"$id": "http://example.com/x", "$ref": "http://example.com/x"}}});
        assert_eq!(check(&schema).unwrap_err().rule, "$ref");
    }
}
