//! `string_utils`: small text transformations.

use serde_json::{Value, json};

use super::{BuiltinTool, OutputBound, json_str_len, str_arg, value};
use crate::domain::{NewTool, ToolName};

pub struct StringUtils;

/// Inputs past this size are refused rather than processed.
const MAX_TEXT: usize = 1_000_000;

impl BuiltinTool for StringUtils {
    fn definition(&self) -> NewTool {
        NewTool {
            name: ToolName::parse("string_utils").expect("valid name"),
            description:
                "Transform or measure text: uppercase, lowercase, reverse, length, word count, \
                          slugify, trim, replace, title case"
                    .into(),
            long_description: Some(
                "Takes `text` and an `operation`. `replace` also takes `find` and `replace_with` \
                 (every occurrence is replaced). `length` counts Unicode characters."
                    .into(),
            ),
            category: "text".into(),
            tags: vec!["text".into(), "string".into(), "formatting".into()],
            examples: vec![
                "convert this sentence to uppercase".into(),
                "count the words in a paragraph".into(),
                "make a URL slug from a title".into(),
            ],
            input_schema: json!({
                "type": "object",
                "properties": {
                    "operation": {
                        "type": "string",
                        "enum": ["upper", "lower", "reverse", "length", "word_count", "slugify",
                                 "trim", "replace", "title"]
                    },
                    "text": {"type": "string", "maxLength": MAX_TEXT},
                    "find": {"type": "string", "minLength": 1},
                    "replace_with": {"type": "string"}
                },
                "required": ["operation", "text"],
                "additionalProperties": false,
                "allOf": [
                    {"if": {"properties": {"operation": {"const": "replace"}}},
                     "then": {"required": ["find", "replace_with"]}}
                ]
            }),
            output_schema: Some(json!({
                "type": "object",
                "properties": {"value": {"type": ["string", "integer"]}},
                "required": ["value"]
            })),
            version: "1.0.0".into(),
            author: Some("toolbox".into()),
            config: json!({"annotations": {"readOnlyHint": true, "idempotentHint": true, "openWorldHint": false}}),
        }
    }

    fn run(&self, args: &Value, bound: OutputBound) -> Result<Value, String> {
        let text = str_arg(args, "text")?;
        if text.len() > MAX_TEXT {
            return Err(format!("`text` is too long: at most {MAX_TEXT} bytes"));
        }
        let result = match str_arg(args, "operation")? {
            // Case mapping can triple a character's bytes (`ΐ` → `Ϊ́`): bounded as it grows.
            "upper" => value(map_chars(text, bound, char::to_uppercase)?),
            "lower" => value(map_chars(text, bound, char::to_lowercase)?),
            "reverse" => value(text.chars().rev().collect::<String>()),
            "length" => value(text.chars().count()),
            "word_count" => value(text.split_whitespace().count()),
            "slugify" => value(slugify(text)),
            "trim" => value(text.trim()),
            "title" => value(title_case(text)),
            "replace" => {
                let find = str_arg(args, "find")?;
                if find.is_empty() {
                    return Err("`find` must not be empty".into());
                }
                let with = str_arg(args, "replace_with")?;
                // The result's size is known before it is built: 130,000 "a" → 130,000 "b"s
                // would otherwise ask the allocator for 17 GB.
                let count = text.matches(find).count();
                let len = count
                    .checked_mul(with.len())
                    .and_then(|grown| (text.len() - count * find.len()).checked_add(grown))
                    .unwrap_or(usize::MAX);
                bound.bytes(len.saturating_add(2))?;
                let replaced = text.replace(find, with);
                bound.bytes(json_str_len(&replaced))?;
                value(replaced)
            }
            other => Err(format!("unknown operation {other:?}")),
        }?;
        // The rest grow by at most a few bytes a character (slugify lowercases): one check.
        if let Some(text) = result["value"].as_str() {
            bound.bytes(json_str_len(text))?;
        }
        Ok(result)
    }
}

/// Maps every character of `text` through `f`, stopping once the result passes `bound`.
fn map_chars<I: Iterator<Item = char>>(
    text: &str,
    bound: OutputBound,
    f: impl Fn(char) -> I,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        out.extend(f(c));
        bound.bytes(out.len() + 2)?;
    }
    bound.bytes(json_str_len(&out))?;
    Ok(out)
}

fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_keeps_words_and_single_dashes() {
        assert_eq!(
            slugify("  Hello, World! -- Rust 2024 "),
            "hello-world-rust-2024"
        );
        assert_eq!(slugify("Ünïcode Tëxt"), "ünïcode-tëxt");
    }

    #[test]
    fn title_case_capitalises_each_word() {
        assert_eq!(title_case("hello wORLD"), "Hello World");
    }
}
