//! Reading a benchmark's files: tools and labelled queries, one JSON object per line
//! (the format of `bench/datasets/metatool/`).

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use serde_json::json;

use crate::domain::{NewTool, ToolPatch};

#[derive(Deserialize)]
struct ToolLine {
    name: String,
    description: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    /// The plugin manifest's text for the model: registered as the long description.
    #[serde(default)]
    description_for_model: Option<String>,
    #[serde(default)]
    examples: Vec<String>,
    /// The tool's input schema (an object schema with no properties when absent).
    #[serde(default)]
    input_schema: Option<serde_json::Value>,
}

/// A query with the names of the tools that answer it.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledQuery {
    #[serde(default)]
    pub id: String,
    pub query: String,
    pub relevant: Vec<String>,
    /// `single` or `multi` as the data set labels it; when absent, by how many tools are
    /// relevant.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl LabelledQuery {
    /// The query's type: the data set's label, or `single` / `multi` by its relevant tools.
    pub fn kind(&self) -> &str {
        match &self.kind {
            Some(k) => k,
            None if self.relevant.len() > 1 => "multi",
            None => "single",
        }
    }
}

/// Reads tools (`name`, `description`, optional `category`, `tags`, `examples`,
/// `description_for_model`, `input_schema`), each validated like a registration.
pub fn load_tools(path: &Path) -> anyhow::Result<Vec<NewTool>> {
    read_lines(path, |line: ToolLine| {
        let patch = ToolPatch {
            name: Some(line.name.clone()),
            description: Some(line.description),
            long_description: Some(line.description_for_model),
            category: line.category,
            tags: Some(line.tags),
            examples: Some(line.examples),
            input_schema: Some(
                line.input_schema
                    .unwrap_or_else(|| json!({"type": "object"})),
            ),
            ..Default::default()
        };
        NewTool::parse(patch).map_err(|e| anyhow::anyhow!("tool {:?}: {e:?}", line.name))
    })
}

/// Reads labelled queries (`query`, `relevant`, optional `id` and `type`).
pub fn load_queries(path: &Path) -> anyhow::Result<Vec<LabelledQuery>> {
    read_lines(path, Ok)
}

fn read_lines<L: serde::de::DeserializeOwned, T>(
    path: &Path,
    convert: impl Fn(L) -> anyhow::Result<T>,
) -> anyhow::Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let parsed: L = serde_json::from_str(l)
                .with_context(|| format!("{}:{}: invalid line", path.display(), i + 1))?;
            convert(parsed).with_context(|| format!("{}:{}", path.display(), i + 1))
        })
        .collect()
}
