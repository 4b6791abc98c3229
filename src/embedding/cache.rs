//! An in-memory LRU cache with TTL in front of an embedder, bounded by entries.
//!
//! Keyed by (model, input kind, text): the kind selects the prefix, so a query and a tool with
//! the same text never share an entry, and a model change never serves old vectors.
//! Concurrent misses for the same key make one upstream call: moka's entry API coalesces them.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use moka::future::Cache;

use super::{Embedder, EmbeddingError, EmbeddingStats, InputKind};
use crate::domain::Embedding;

type Key = (Arc<str>, InputKind, String);

pub struct CachedEmbedder {
    inner: Arc<dyn Embedder>,
    model: Arc<str>,
    cache: Cache<Key, Embedding>,
    stats: Arc<EmbeddingStats>,
}

impl CachedEmbedder {
    pub fn new(
        inner: Arc<dyn Embedder>,
        size: u64,
        ttl: Duration,
        stats: Arc<EmbeddingStats>,
    ) -> Self {
        Self {
            model: inner.model_id().into(),
            inner,
            cache: Cache::builder()
                .max_capacity(size)
                .time_to_live(ttl)
                .build(),
            stats,
        }
    }

    fn key(&self, kind: InputKind, text: &str) -> Key {
        (self.model.clone(), kind, text.to_owned())
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
            // The hot path (a query): concurrent misses wait for the first one's upstream call.
            let inner = self.inner.clone();
            let text = texts[0].clone();
            let entry = self
                .cache
                .entry(self.key(kind, &texts[0]))
                .or_try_insert_with(async move { inner.embed_one(&text, kind).await })
                .await
                .map_err(|e: Arc<EmbeddingError>| clone_error(&e))?;
            let hit = !entry.is_fresh();
            if hit {
                self.stats.hit(1);
            } else {
                self.stats.miss(1);
            }
            tracing::debug!(cache.hit = hit, "embedding cache");
            return Ok(vec![entry.into_value()]);
        }
        // Batches (registration, import): serve hits, embed the misses in one call.
        let mut out: Vec<Option<Embedding>> = Vec::with_capacity(texts.len());
        let mut missing = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            let cached = self.cache.get(&self.key(kind, t)).await;
            if cached.is_none() {
                missing.push(i);
            }
            out.push(cached);
        }
        self.stats.hit((texts.len() - missing.len()) as u64);
        self.stats.miss(missing.len() as u64);
        tracing::debug!(
            cache.hits = texts.len() - missing.len(),
            cache.misses = missing.len(),
            "embedding cache"
        );
        if !missing.is_empty() {
            let batch: Vec<String> = missing.iter().map(|&i| texts[i].clone()).collect();
            let embedded = self.inner.embed(&batch, kind).await?;
            for (i, e) in missing.into_iter().zip(embedded) {
                self.cache
                    .insert(self.key(kind, &texts[i]), e.clone())
                    .await;
                out[i] = Some(e);
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn model_id(&self) -> String {
        self.inner.model_id()
    }

    fn stats(&self) -> Option<Arc<EmbeddingStats>> {
        Some(self.stats.clone())
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
