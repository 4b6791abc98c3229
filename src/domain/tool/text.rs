//! The text of a tool that search works on: the words of its identifiers, and the one
//! template of the text embedded for it. (What full-text search indexes: `search_index::IndexDoc`.)

use serde_json::Value;

use super::NewTool;

/// How deep into nested `properties` / `items` parameter names are collected: deep enough for
/// an object of objects, shallow enough that a pathological schema costs nothing.
const MAX_SCHEMA_DEPTH: usize = 4;

impl NewTool {
    /// The text embedded for this tool (see [`embedded_text`]).
    pub fn embedded_text(&self) -> String {
        embedded_text(
            self.name.as_str(),
            &self.description,
            self.long_description.as_deref(),
            &self.tags,
            &self.examples,
            &self.input_schema,
        )
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
/// Parameters: {the input schema's parameter names and descriptions, as words}
/// ```
/// Lines with nothing to say are left out. The raw name is not repeated: split words embed
/// better than identifiers. The parameters line is what tells apart terse API tools ("Get
/// Suggestions" taking `q`): on ToolLens it lifted vector Recall@5 from 0.143 to 0.249 with
/// the built-in embedder (BENCHMARKS.md, "Tool text").
pub fn embedded_text(
    name: &str,
    description: &str,
    long_description: Option<&str>,
    tags: &[String],
    examples: &[String],
    input_schema: &Value,
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
    let parameters = schema_words(input_schema);
    if !parameters.is_empty() {
        text.push_str("\nParameters: ");
        text.push_str(&parameters);
    }
    text
}

/// The parameter names and descriptions of a JSON Schema, as words: `{"properties":
/// {"start_date": {"description": "First day"}}}` gives `start date first day`.
pub fn schema_words(schema: &Value) -> String {
    let mut words = Vec::new();
    collect_schema_words(schema, 0, &mut words);
    words.join(" ")
}

fn collect_schema_words(schema: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let Some(obj) = schema.as_object() else {
        return;
    };
    if depth > 0 {
        for key in ["title", "description"] {
            if let Some(Value::String(s)) = obj.get(key) {
                out.push(split_identifier(s));
            }
        }
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        for (name, sub) in props {
            out.push(split_identifier(name));
            collect_schema_words(sub, depth + 1, out);
        }
    }
    if let Some(items) = obj.get("items") {
        collect_schema_words(items, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn embedded_text_follows_the_template() {
        let text = embedded_text(
            "get_weather",
            "Current weather for a city",
            Some("Uses a public API."),
            &["weather".into(), "forecastData".into()],
            &["weather in Paris".into()],
            &serde_json::json!({"type": "object", "properties": {
                "city_name": {"type": "string", "description": "City, e.g. Paris"}}}),
        );
        assert_eq!(
            text,
            "get weather: Current weather for a city\nUses a public API.\n\
             Tags: weather, forecast data\nExamples: weather in Paris\n\
             Parameters: city name city e g paris"
        );
    }
}
