//! What the index holds of a tool: its words by field, its filter labels and its vector.

use serde_json::Value;

use crate::domain::{Embedding, Tool, split_identifier};

/// How deep into nested `properties` / `items` parameter names are collected: deep enough for
/// an object of objects, shallow enough that a pathological schema costs nothing.
const MAX_SCHEMA_DEPTH: usize = 4;

/// One tool as the index sees it. Text fields are already split into words
/// ([`split_identifier`]); the index's analyser lowercases, drops stop words and stems them.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDoc {
    pub id: i64,
    /// The tool's name as registered (ranking breaks ties by it).
    pub name: String,
    /// The category, matched exactly by a filter.
    pub category: String,
    /// The tags, matched exactly (all of them) by a filter.
    pub tags: Vec<String>,
    /// The name split into words.
    pub name_words: String,
    /// The tags split into words.
    pub tag_words: String,
    pub description: String,
    pub long_description: String,
    pub examples: String,
    /// The input schema's parameter names (split) and their descriptions.
    pub parameters: String,
    pub embedding: Option<Vec<f32>>,
}

impl IndexDoc {
    /// The index entry for `tool`, with its stored embedding if it has one.
    pub fn from_tool(tool: &Tool, embedding: Option<&Embedding>) -> Self {
        let join = |items: &[String]| {
            items
                .iter()
                .map(|s| split_identifier(s))
                .collect::<Vec<_>>()
                .join(" ")
        };
        Self {
            id: tool.id,
            name: tool.name.clone(),
            category: tool.category.clone(),
            tags: tool.tags.clone(),
            name_words: split_identifier(&tool.name),
            tag_words: join(&tool.tags),
            description: split_identifier(&tool.description),
            long_description: split_identifier(tool.long_description.as_deref().unwrap_or("")),
            examples: join(&tool.examples),
            parameters: schema_words(&tool.input_schema),
            embedding: embedding.map(|e| e.as_slice().to_vec()),
        }
    }
}

impl IndexDoc {
    /// A hash of everything the index holds of this tool: two replicas whose indexes hold
    /// the same tools have the same [`SearchIndex::digest`](super::SearchIndex::digest).
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        // Fixed keys: the same value in every process of this build.
        let mut h = std::hash::DefaultHasher::new();
        (self.id, &self.name, &self.category, &self.tags).hash(&mut h);
        (&self.name_words, &self.tag_words, &self.description).hash(&mut h);
        (&self.long_description, &self.examples, &self.parameters).hash(&mut h);
        if let Some(v) = &self.embedding {
            for x in v {
                x.to_bits().hash(&mut h);
            }
        }
        h.finish()
    }
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
    use serde_json::json;

    #[test]
    fn schema_words_name_every_parameter_and_its_description() {
        let schema = json!({"type": "object", "description": "ignored at the top",
        "properties": {
            "startDate": {"type": "string", "description": "First day"},
            "filter": {"type": "object", "properties": {"zip_code": {"type": "string"}}},
            "ids": {"type": "array", "items": {"type": "object",
                    "properties": {"orderId": {"type": "string"}}}}
        }});
        let words = schema_words(&schema);
        for w in [
            "start date",
            "first day",
            "zip code",
            "order id",
            "filter",
            "ids",
        ] {
            assert!(words.contains(w), "{w:?} missing from {words:?}");
        }
        assert!(!words.contains("ignored"));
    }
}
