//! Turning text into vectors: the `Embedder` trait, the HTTP client for a remote model (two
//! wire formats, batching, retries), the built-in lexical embedder, the cache in front of
//! either, and the counters they share.

mod builtin;
mod cache;
mod format;
mod http;
mod prefix;
mod stats;

use std::sync::Arc;

use async_trait::async_trait;

pub use builtin::BuiltinEmbedder;
pub use cache::CachedEmbedder;
pub use http::HttpEmbedder;
pub use prefix::PrefixedEmbedder;
pub use stats::{EmbeddingStats, StatsSnapshot};

use crate::config::EmbeddingConfig;
use crate::domain::Embedding;

/// Which side of an asymmetric model a text is embedded on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// A search query.
    Query,
    /// A tool's text, stored in the index.
    Document,
}

/// Why texts could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddingError {
    /// The endpoint could not be reached or kept failing: a 503 for the caller.
    #[error("embedding endpoint {endpoint} is unavailable: {reason}")]
    Unavailable { endpoint: String, reason: String },
    /// The endpoint answered with something that is not a usable embedding.
    #[error("embedding endpoint {endpoint} returned an unusable response: {reason}")]
    BadResponse { endpoint: String, reason: String },
}

/// Something that turns texts into embeddings of a fixed dimension.
#[async_trait]
pub trait Embedder: Send + Sync {
    /// Embeds `texts`, returning one embedding per text in the same order.
    async fn embed(
        &self,
        texts: &[String],
        kind: InputKind,
    ) -> Result<Vec<Embedding>, EmbeddingError>;

    /// Identifies the model, recorded with each stored embedding.
    fn model_id(&self) -> String;

    /// Hit, miss, retry and latency counters, when this embedder keeps them.
    fn stats(&self) -> Option<Arc<EmbeddingStats>> {
        None
    }

    /// Embeds one text.
    async fn embed_one(&self, text: &str, kind: InputKind) -> Result<Embedding, EmbeddingError> {
        let mut v = self.embed(&[text.to_owned()], kind).await?;
        v.pop().ok_or_else(|| EmbeddingError::BadResponse {
            endpoint: self.model_id(),
            reason: "no embedding returned".into(),
        })
    }
}

/// Builds the configured embedder: the HTTP client when an endpoint is set, the built-in one
/// otherwise, with query/document prefixes when configured, behind the cache when it is enabled.
pub fn from_config(cfg: &EmbeddingConfig) -> anyhow::Result<Arc<dyn Embedder>> {
    let stats = Arc::new(EmbeddingStats::default());
    let mut inner: Arc<dyn Embedder> = match &cfg.endpoint_url {
        Some(_) => Arc::new(HttpEmbedder::new(cfg, stats.clone())?),
        None => Arc::new(BuiltinEmbedder::new(cfg.dimension)),
    };
    let a = &cfg.asymmetric;
    if !a.query_prefix.is_empty() || !a.document_prefix.is_empty() {
        inner = Arc::new(PrefixedEmbedder::new(
            inner,
            a.query_prefix.clone(),
            a.document_prefix.clone(),
        ));
    }
    if cfg.cache_enabled {
        Ok(Arc::new(CachedEmbedder::new(
            inner,
            cfg.cache_size,
            cfg.cache_ttl,
            stats,
        )))
    } else {
        Ok(inner)
    }
}

/// The text embedded once at startup to check that the endpoint answers with the configured
/// dimension.
pub const PROBE_TEXT: &str = "toolbox startup probe";

/// Embeds [`PROBE_TEXT`] once, bypassing nothing: a wrong dimension comes back as
/// `BadResponse`, an endpoint that is down as `Unavailable`.
pub async fn probe(embedder: &dyn Embedder) -> Result<(), EmbeddingError> {
    embedder
        .embed_one(PROBE_TEXT, InputKind::Query)
        .await
        .map(|_| ())
}
