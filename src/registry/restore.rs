//! Use cases over the whole registry: exporting a snapshot, and restoring one, re-embedding
//! the tools whose stored embedding does not fit this service (another model or dimension,
//! text changed since, or none in the file).

use crate::domain::{FieldError, ToolName, embedded_text};
use crate::embedding::InputKind;
use crate::store::{ExportOptions, Snapshot, SnapshotCounts, SnapshotSink, ToolRecord};

use super::{RegistryError, RegistryService, text_hash};

/// Texts sent to the embedder per call while restoring (it batches further itself): bounds
/// the vectors held besides the snapshot's.
const EMBED_CHUNK: usize = 1024;

/// What a restore wrote.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct RestoreOutcome {
    pub counts: SnapshotCounts,
    /// Tools embedded again because the snapshot's embedding did not fit.
    pub reembedded: usize,
}

impl RegistryService {
    /// Reads the whole registry in one snapshot of the store into `sink`.
    #[tracing::instrument(skip_all, fields(export.history = opts.with_history))]
    pub async fn export(
        &self,
        opts: &ExportOptions,
        sink: &mut dyn SnapshotSink,
    ) -> Result<SnapshotCounts, RegistryError> {
        Ok(self.store.export_snapshot(opts, sink).await?)
    }

    /// Writes `snapshot` in one transaction (see [`crate::store::Store::import_snapshot`]),
    /// after embedding every tool whose stored embedding is missing, of another dimension,
    /// from another model than this service's, or computed from other text. Nothing is
    /// written if embedding fails or a tool name is invalid.
    #[tracing::instrument(skip_all, fields(restore.tools = snapshot.tools.len(), restore.replace = replace))]
    pub async fn restore(
        &self,
        mut snapshot: Snapshot,
        replace: bool,
    ) -> Result<RestoreOutcome, RegistryError> {
        let errors: Vec<FieldError> = snapshot
            .tools
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                ToolName::parse(&t.name).err().map(|mut e| {
                    e.pointer = format!("/tools/{i}/name");
                    e
                })
            })
            .collect();
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let model = self.embedder.model_id();
        let dimension = self.index.dimension();
        let stale: Vec<(usize, String, String)> = snapshot
            .tools
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let text = tool_text(t);
                let hash = text_hash(&text);
                let fits = t.embedding.as_ref().is_some_and(|e| e.len() == dimension)
                    && t.embedding_model.as_deref() == Some(model.as_str())
                    && t.embedding_hash.as_deref() == Some(hash.as_str());
                (!fits).then_some((i, text, hash))
            })
            .collect();
        for chunk in stale.chunks(EMBED_CHUNK) {
            let texts: Vec<String> = chunk.iter().map(|(_, text, _)| text.clone()).collect();
            let vectors = self.embedder.embed(&texts, InputKind::Document).await?;
            for ((i, _, hash), vector) in chunk.iter().zip(vectors) {
                let tool = &mut snapshot.tools[*i];
                tool.embedding = Some(vector.into_vec());
                tool.embedding_model = Some(model.clone());
                tool.embedding_hash = Some(hash.clone());
            }
        }
        let counts = self.store.import_snapshot(&snapshot, replace).await?;
        self.written().await;
        tracing::info!(
            restore.tools = counts.tools,
            restore.servers = counts.servers,
            restore.executions = counts.executions,
            restore.reembedded = stale.len(),
            "snapshot restored"
        );
        Ok(RestoreOutcome {
            counts,
            reembedded: stale.len(),
        })
    }
}

/// The text a tool's embedding is computed from.
fn tool_text(t: &ToolRecord) -> String {
    embedded_text(
        &t.name,
        &t.description,
        t.long_description.as_deref(),
        &t.tags,
        &t.examples,
        &t.input_schema,
    )
}
