//! Counters of the embedding path, shared by the cache and the HTTP client, so the metrics
//! endpoint can export them without reaching into either.

use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic counters since startup. Cheap to update from any task.
#[derive(Debug, Default)]
pub struct EmbeddingStats {
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    upstream_requests: AtomicU64,
    upstream_texts: AtomicU64,
    upstream_failures: AtomicU64,
    retries: AtomicU64,
    upstream_latency_ms_total: AtomicU64,
}

/// A consistent-enough copy of the counters, for export or logging.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    pub cache_hits: u64,
    pub cache_misses: u64,
    /// HTTP attempts sent to the endpoint (retries included).
    pub upstream_requests: u64,
    /// Texts sent upstream (a batch of 32 counts 32).
    pub upstream_texts: u64,
    /// Calls that failed after their last attempt.
    pub upstream_failures: u64,
    pub retries: u64,
    /// Sum of the latencies of all attempts; divide by `upstream_requests` for the mean.
    pub upstream_latency_ms_total: u64,
}

impl EmbeddingStats {
    pub(crate) fn hit(&self, n: u64) {
        self.cache_hits.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn miss(&self, n: u64) {
        self.cache_misses.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn request(&self, texts: usize, latency_ms: u64) {
        self.upstream_requests.fetch_add(1, Ordering::Relaxed);
        self.upstream_texts
            .fetch_add(texts as u64, Ordering::Relaxed);
        self.upstream_latency_ms_total
            .fetch_add(latency_ms, Ordering::Relaxed);
    }
    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn failure(&self) {
        self.upstream_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            cache_hits: get(&self.cache_hits),
            cache_misses: get(&self.cache_misses),
            upstream_requests: get(&self.upstream_requests),
            upstream_texts: get(&self.upstream_texts),
            upstream_failures: get(&self.upstream_failures),
            retries: get(&self.retries),
            upstream_latency_ms_total: get(&self.upstream_latency_ms_total),
        }
    }
}
