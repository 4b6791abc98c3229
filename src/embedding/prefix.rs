//! Text prefixes for asymmetric models (e5's `query: ` / `passage: `, bge, nomic), applied
//! in front of any embedder so the client itself stays unaware of them.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Embedder, EmbeddingError, InputKind};
use crate::domain::Embedding;

/// Prepends `query_prefix` to queries and `document_prefix` to documents.
pub struct PrefixedEmbedder {
    inner: Arc<dyn Embedder>,
    query_prefix: String,
    document_prefix: String,
}

impl PrefixedEmbedder {
    pub fn new(inner: Arc<dyn Embedder>, query_prefix: String, document_prefix: String) -> Self {
        Self {
            inner,
            query_prefix,
            document_prefix,
        }
    }
}

#[async_trait]
impl Embedder for PrefixedEmbedder {
    async fn embed(
        &self,
        texts: &[String],
        kind: InputKind,
    ) -> Result<Vec<Embedding>, EmbeddingError> {
        let prefix = match kind {
            InputKind::Query => &self.query_prefix,
            InputKind::Document => &self.document_prefix,
        };
        let prefixed: Vec<String> = texts.iter().map(|t| format!("{prefix}{t}")).collect();
        self.inner.embed(&prefixed, kind).await
    }

    /// The prefixes change the vectors, so they are part of the model's identity: a change
    /// makes `embedding_model` differ and the stored embeddings stale.
    fn model_id(&self) -> String {
        format!(
            "{}|q={:?}|d={:?}",
            self.inner.model_id(),
            self.query_prefix,
            self.document_prefix
        )
    }
}
