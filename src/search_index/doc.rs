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
    /// The upstream server the tool came from, for callers' tool sets.
    pub server: Option<String>,
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
            server: crate::domain::upstream_of(&tool.config).map(|(s, _)| s.to_owned()),
            embedding: embedding.map(|e| e.as_slice().to_vec()),
        }
    }
}

impl IndexDoc {
    /// A hash of everything the index holds of this tool: two replicas whose indexes hold
    /// the same tools have the same [`SearchIndex::digest`](super::SearchIndex::digest).
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = Fingerprinter(0);
        (self.id, &self.name, &self.category, &self.tags).hash(&mut h);
        (&self.name_words, &self.tag_words, &self.description).hash(&mut h);
        (&self.long_description, &self.examples, &self.parameters).hash(&mut h);
        if let Some(v) = &self.embedding {
            for pair in v.chunks(2) {
                let bits = pair
                    .iter()
                    .fold(0u64, |w, x| w << 32 | u64::from(x.to_bits()));
                h.write_u64(bits);
            }
        }
        h.finish()
    }
}

/// A fast hash of a document's content: a multiply-rotate step per 8-byte word (FxHash's),
/// finished by MurmurHash3's 64-bit mixer. The same value in every process and build, and
/// about ten times cheaper than SipHash, which took a twentieth of a full index build; a
/// digest has only to tell index contents apart, not to resist chosen input.
struct Fingerprinter(u64);

impl Fingerprinter {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for Fingerprinter {
    fn write(&mut self, bytes: &[u8]) {
        let (words, rest) = bytes.as_chunks::<8>();
        for w in words {
            self.add(u64::from_le_bytes(*w));
        }
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length in the top byte, so trailing zero bytes still count.
            self.add(u64::from_le_bytes(last) ^ (rest.len() as u64) << 56);
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }

    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
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

    fn doc() -> IndexDoc {
        IndexDoc {
            id: 7,
            name: "get_weather".into(),
            category: "weather".into(),
            tags: vec!["forecast".into()],
            name_words: "get weather".into(),
            tag_words: "forecast".into(),
            description: "Current weather".into(),
            long_description: String::new(),
            examples: String::new(),
            parameters: "city".into(),
            server: None,
            embedding: Some(vec![0.25, -0.5, 1.0]),
        }
    }

    #[test]
    fn the_fingerprint_changes_with_every_part_of_a_document() {
        let base = doc().fingerprint();
        assert_eq!(doc().fingerprint(), base, "deterministic");
        let changes: [fn(&mut IndexDoc); 8] = [
            |d| d.id = 8,
            |d| d.name.push('s'),
            |d| d.tags.push("rain".into()),
            |d| d.description = "Current weathe".into(),
            |d| d.parameters = "city ".into(),
            |d| d.embedding = None,
            |d| d.embedding.as_mut().unwrap()[2] = 0.999,
            // The same words moved between parts.
            |d| (d.description, d.parameters) = (d.parameters.clone(), d.description.clone()),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut d = doc();
            change(&mut d);
            assert_ne!(d.fingerprint(), base, "change {i}");
        }
    }

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
