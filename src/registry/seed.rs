//! Registering the built-in tools, with or without an embedding.
//!
//! The built-ins are stored at startup even when the embedding endpoint is down: a tool needs
//! no embedding to be listed or called, only to be found by search. One stored without an
//! embedding (or with one computed from an older definition) is embedded by the next seeding
//! that reaches the endpoint; the service retries in the background until it does.

use std::collections::HashMap;

use super::{RegistryError, RegistryService, text_hash};
use crate::domain::NewTool;
use crate::embedding::InputKind;
use crate::store::{BulkItem, StoredEmbedding};

/// What seeding the built-in tools did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Built-ins written: new, changed, or given their embedding.
    pub written: usize,
    /// Built-ins left without a current embedding because the embedder failed: listed and
    /// callable, not yet found by search. Seeding again embeds them.
    pub unembedded: usize,
}

/// A built-in whose stored row needs work.
struct Pending {
    def: NewTool,
    /// Not stored, or stored with another definition.
    changed: bool,
    /// Stored with an embedding of its current text.
    embedded: bool,
    hash: String,
}

impl RegistryService {
    /// Registers the built-in tools, updating any whose stored definition differs and
    /// embedding any stored without a current embedding. When the embedder fails they are
    /// stored without one (see [`Seeded::unembedded`]) rather than not at all.
    pub async fn seed_builtins(&self) -> Result<Seeded, RegistryError> {
        self.seed(true).await
    }

    /// Stores the built-in tools without asking the embedder, for a start-up that already
    /// knows it is down: [`Self::seed_builtins`] embeds them later.
    pub async fn seed_builtins_unembedded(&self) -> Result<Seeded, RegistryError> {
        self.seed(false).await
    }

    async fn seed(&self, embed: bool) -> Result<Seeded, RegistryError> {
        let pending = self.pending_builtins().await?;
        if pending.is_empty() {
            return Ok(Seeded::default());
        }
        let unembedded: Vec<&Pending> = pending.iter().filter(|p| !p.embedded).collect();
        let vectors = if embed && !unembedded.is_empty() {
            let texts: Vec<String> = unembedded.iter().map(|p| p.def.embedded_text()).collect();
            match self.embedder.embed(&texts, InputKind::Document).await {
                Ok(vectors) => Some(vectors),
                Err(e) => {
                    tracing::warn!(error = %e, "built-in tools stored without embeddings for now");
                    None
                }
            }
        } else {
            None
        };
        let mut fresh = vectors.iter().flatten();
        let model = self.embedder.model_id();
        let mut items = Vec::new();
        for p in &pending {
            let embedding = match (&vectors, p.embedded) {
                (Some(_), false) => fresh.next().map(|e| StoredEmbedding {
                    embedding: e,
                    model: &model,
                    text_hash: &p.hash,
                }),
                _ => None,
            };
            // Rewriting an unchanged row without an embedding would only announce a change
            // to every MCP client at each retry.
            if p.changed || embedding.is_some() {
                items.push(BulkItem {
                    tool: &p.def,
                    embedding,
                });
            }
        }
        if !items.is_empty() {
            self.store.write_bulk(&items, true).await?;
            self.written().await;
        }
        Ok(Seeded {
            written: items.len(),
            unembedded: if vectors.is_some() {
                0
            } else {
                unembedded.len()
            },
        })
    }

    /// The built-ins that are missing, changed, or stored without an embedding of their
    /// current text (`embedding_is_current` with any model). An embedding from another model
    /// is `toolbox reindex`'s to renew: seeding it at every start would re-embed the
    /// built-ins ahead of the reindex, under whichever model that process was given.
    async fn pending_builtins(&self) -> Result<Vec<Pending>, RegistryError> {
        let defs = self.executor.builtin_definitions();
        let names: Vec<String> = defs.iter().map(|d| d.name.to_string()).collect();
        let states: HashMap<String, _> = self
            .store
            .embedding_states(&names)
            .await?
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        let mut pending = Vec::new();
        for def in defs {
            let changed = match self.store.get_tool(def.name.as_str()).await? {
                None => true,
                Some(stored) => stored.to_new_tool() != def,
            };
            let hash = text_hash(&def.embedded_text());
            let embedded = states
                .get(def.name.as_str())
                .is_some_and(|s| s.is_current(None, &hash));
            if changed || !embedded {
                pending.push(Pending {
                    def,
                    changed,
                    embedded,
                    hash,
                });
            }
        }
        Ok(pending)
    }
}
