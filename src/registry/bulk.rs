//! Use cases over many tools: bulk import and re-embedding after a model or text change.

use std::collections::HashMap;

use serde_json::Value;

use super::{RegistryError, RegistryService, text_hash, under};
use crate::domain::{FieldError, NewTool, REDACTED, embedded_text, restore_redacted};
use crate::embedding::InputKind;
use crate::store::{BulkItem, StoredEmbedding};

/// What a bulk import did, by tool name.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportOutcome {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    /// How many texts were sent to the embedder (updates whose text is unchanged need none).
    pub embedded: usize,
}

/// Progress of a re-embedding run.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct ReindexProgress {
    /// Rows in the table when the run started.
    pub total: u64,
    pub scanned: u64,
    pub reembedded: u64,
    /// Rows edited while the run read them (their editor embedded them).
    pub skipped: u64,
}

impl RegistryService {
    /// Imports `tools` (already validated): every item is checked first, then the ones whose
    /// embedding is missing or stale are embedded in batches, then all are written in one
    /// transaction. Any problem (a built-in name; an existing name without `upsert`; a host
    /// outside the allow-list; a `"[redacted]"` header that cannot be restored, as in
    /// [`RegistryService::update`]) rejects the whole import with every problem listed by its
    /// pointer under `/tools/{index}`; nothing is written.
    #[tracing::instrument(skip_all, fields(import.count = tools.len(), import.upsert = upsert))]
    pub async fn import(
        &self,
        mut tools: Vec<NewTool>,
        upsert: bool,
    ) -> Result<ImportOutcome, RegistryError> {
        let names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
        let existing: HashMap<String, _> = self
            .store
            .embedding_states(&names)
            .await?
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        let mut errors = Vec::new();
        for (i, tool) in tools.iter_mut().enumerate() {
            let at = format!("/tools/{i}");
            if let Err(e) = self.check_destination(tool) {
                errors.extend(under(&at, vec![e]));
            }
            if has_redacted_header(&tool.config) {
                // A new tool has no stored value for "[redacted]" to stand for: restoring
                // against an empty config refuses it by pointer.
                let stored = match existing.contains_key(&names[i]) {
                    true => self.store.get_tool(&names[i]).await?.map(|t| t.config),
                    false => None,
                };
                let stored = stored.unwrap_or(Value::Null);
                if let Err(more) = restore_redacted(&mut tool.config, &stored) {
                    errors.extend(under(&format!("{at}/config"), more));
                }
            }
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        for (i, name) in names.iter().enumerate() {
            if self.is_builtin(name) {
                errors.push(FieldError::new(
                    format!("/tools/{i}/name"),
                    "builtin",
                    format!("{name:?} is a built-in tool and cannot be replaced"),
                ));
            } else if !upsert && existing.contains_key(name) {
                errors.push(FieldError::new(
                    format!("/tools/{i}/name"),
                    "unique",
                    format!(
                        "a tool named {name:?} already exists; set \"upsert\": true to replace it"
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(RegistryError::ImportConflicts(errors));
        }
        let model = self.embedder.model_id();
        let hashes: Vec<String> = tools
            .iter()
            .map(|t| text_hash(&t.embedded_text()))
            .collect();
        let stale: Vec<usize> = (0..tools.len())
            .filter(|&i| match existing.get(&names[i]) {
                None => true,
                Some(s) => !s.is_current(Some(&model), &hashes[i]),
            })
            .collect();
        let texts: Vec<String> = stale.iter().map(|&i| tools[i].embedded_text()).collect();
        let vectors = self.embedder.embed(&texts, InputKind::Document).await?;
        let mut by_index: HashMap<usize, _> = stale.into_iter().zip(vectors).collect();
        let owned: Vec<_> = (0..tools.len()).map(|i| by_index.remove(&i)).collect();
        let items: Vec<BulkItem> = tools
            .iter()
            .zip(&owned)
            .zip(&hashes)
            .map(|((tool, emb), hash)| BulkItem {
                tool,
                embedding: emb.as_ref().map(|e| StoredEmbedding {
                    embedding: e,
                    model: &model,
                    text_hash: hash,
                }),
            })
            .collect();
        let inserted = self.store.write_bulk(&items, upsert).await?;
        self.written().await;
        let mut outcome = ImportOutcome {
            embedded: texts.len(),
            ..Default::default()
        };
        for (name, new) in names.into_iter().zip(inserted) {
            if new {
                outcome.created.push(name);
            } else {
                outcome.updated.push(name);
            }
        }
        tracing::info!(
            import.created = outcome.created.len(),
            import.updated = outcome.updated.len(),
            import.embedded = outcome.embedded,
            "bulk import committed"
        );
        Ok(outcome)
    }

    /// Re-embeds the rows whose embedding is missing, from another model, or computed from
    /// text that has since changed, `batch` rows at a time, each batch in its own short
    /// transaction so the service keeps answering. `progress` is called after every page.
    pub async fn reindex(
        &self,
        batch: usize,
        mut progress: impl FnMut(&ReindexProgress),
    ) -> Result<ReindexProgress, RegistryError> {
        let model = self.embedder.model_id();
        let mut p = ReindexProgress {
            total: self.store.count_tools().await?.max(0) as u64,
            ..Default::default()
        };
        let mut after = 0;
        loop {
            let page = self.store.reindex_page(after, batch.max(1) as i64).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let mut stale = Vec::new();
            for row in &page {
                let text = embedded_text(
                    &row.name,
                    &row.description,
                    row.long_description.as_deref(),
                    &row.tags,
                    &row.examples,
                    &row.input_schema,
                );
                let hash = text_hash(&text);
                if !row.is_current(Some(&model), &hash) {
                    stale.push((row, text, hash));
                }
            }
            p.scanned += page.len() as u64;
            if !stale.is_empty() {
                let texts: Vec<String> = stale.iter().map(|(_, t, _)| t.clone()).collect();
                let vectors = self.embedder.embed(&texts, InputKind::Document).await?;
                let rows: Vec<_> = stale
                    .iter()
                    .zip(&vectors)
                    .map(|((row, _, hash), v)| (*row, v, hash.as_str()))
                    .collect();
                let written = self.store.set_embeddings(&rows, &model).await?;
                self.written().await;
                p.reembedded += written;
                p.skipped += rows.len() as u64 - written;
            }
            progress(&p);
        }
        Ok(p)
    }
}

/// Whether `config` sends back a `"[redacted]"` header value, to be restored from the stored
/// tool (only those tools are read before the import).
fn has_redacted_header(config: &Value) -> bool {
    config
        .pointer("/executor/headers")
        .and_then(Value::as_object)
        .is_some_and(|h| h.values().any(|v| v.as_str() == Some(REDACTED)))
}
