//! An in-memory LRU cache with TTL in front of an embedder.
//!
//! Keyed by (model, input kind, text). Concurrent misses for the same key make one upstream
//! call: moka's `try_get_with` coalesces them.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use moka::future::Cache;

use super::{Embedder, EmbeddingError, InputKind};
use crate::domain::Embedding;

type Key = (InputKind, String);

pub struct CachedEmbedder {
    inner: Arc<dyn Embedder>,
    cache: Cache<Key, Embedding>,
}

impl CachedEmbedder {
    pub fn new(inner: Arc<dyn Embedder>, size: u64, ttl: Duration) -> Self {
        Self {
            inner,
            cache: Cache::builder()
                .max_capacity(size)
                .time_to_live(ttl)
                .build(),
        }
    }
}

#[async_trait]
impl Embedder for CachedEmbedder {
    async fn embed(
        &self,
        texts: &[String],
        kind: InputKind,
    ) -> Result<Vec<Embedding>, EmbeddingError> {
        if texts.len() == 1 {
            // The hot path (a query): coalesce concurrent misses into one upstream call.
            let key = (kind, texts[0].clone());
            let inner = self.inner.clone();
            let text = texts[0].clone();
            let hit = self.cache.contains_key(&key);
            let emb = self
                .cache
                .try_get_with(key, async move { inner.embed_one(&text, kind).await })
                .await
                .map_err(|e: Arc<EmbeddingError>| clone_error(&e))?;
            tracing::debug!(cache.hit = hit, "embedding cache");
            return Ok(vec![emb]);
        }
        // Batches (registration, import): serve hits, embed the misses in one call.
        let mut out: Vec<Option<Embedding>> = Vec::with_capacity(texts.len());
        let mut missing = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let cached = self.cache.get(&(kind, t.clone())).await;
            if cached.is_none() {
                missing.push(i);
            }
            out.push(cached);
        }
        if !missing.is_empty() {
            let batch: Vec<String> = missing.iter().map(|&i| texts[i].clone()).collect();
            let embedded = self.inner.embed(&batch, kind).await?;
            for (i, e) in missing.into_iter().zip(embedded) {
                self.cache.insert((kind, texts[i].clone()), e.clone()).await;
                out[i] = Some(e);
            }
        }
        Ok(out
            .into_iter()
            .map(|e| e.expect("every slot filled"))
            .collect())
    }

    fn model_id(&self) -> String {
        self.inner.model_id()
    }
}

fn clone_error(e: &EmbeddingError) -> EmbeddingError {
    match e {
        EmbeddingError::Unavailable { endpoint, reason } => EmbeddingError::Unavailable {
            endpoint: endpoint.clone(),
            reason: reason.clone(),
        },
        EmbeddingError::BadResponse { endpoint, reason } => EmbeddingError::BadResponse {
            endpoint: endpoint.clone(),
            reason: reason.clone(),
        },
    }
}
