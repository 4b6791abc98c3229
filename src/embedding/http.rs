//! The HTTP client for a remote embedding model (OpenAI-compatible or TEI), with batching, a
//! bound on concurrent requests, and retries with exponential backoff and jitter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::format::{endpoint_url, parse_response, request_body};
use super::{Embedder, EmbeddingError, EmbeddingStats, InputKind};
use crate::config::{ApiFormat, EmbeddingConfig};
use crate::domain::Embedding;

/// Longest `Retry-After` honoured; a longer one is treated as "give up now".
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

pub struct HttpEmbedder {
    client: reqwest::Client,
    url: String,
    format: ApiFormat,
    api_key: Option<SecretString>,
    model: String,
    dimension: usize,
    max_retries: u32,
    timeout: Duration,
    attempt_timeout: Duration,
    batch_size: usize,
    /// `input_type` sent with queries and with documents, when configured.
    input_types: (Option<String>, Option<String>),
    permits: Arc<Semaphore>,
    stats: Arc<EmbeddingStats>,
}

/// What one attempt produced: retryable failures are retried, the rest returned.
enum Attempt {
    Done(Result<Vec<Embedding>, EmbeddingError>),
    Retry {
        reason: String,
        after: Option<Duration>,
    },
}

impl HttpEmbedder {
    pub fn new(cfg: &EmbeddingConfig, stats: Arc<EmbeddingStats>) -> anyhow::Result<Self> {
        let base = cfg
            .endpoint_url
            .clone()
            .ok_or_else(|| anyhow::anyhow!("EMBEDDING_ENDPOINT_URL is not set"))?;
        // Each attempt sets its own timeout (the smaller of the per-attempt limit and what is
        // left of the call's budget); the client-wide one is only a backstop.
        let client = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.attempt_timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(cfg.max_concurrency.max(8))
            .build()?;
        Ok(Self {
            client,
            url: endpoint_url(cfg.api_format, &base),
            format: cfg.api_format,
            api_key: cfg.api_key.clone(),
            model: cfg.model.clone(),
            dimension: cfg.dimension,
            max_retries: cfg.max_retries,
            timeout: cfg.timeout,
            attempt_timeout: cfg.attempt_timeout,
            batch_size: cfg.batch_size,
            input_types: (
                cfg.asymmetric.query_input_type.clone(),
                cfg.asymmetric.document_input_type.clone(),
            ),
            permits: Arc::new(Semaphore::new(cfg.max_concurrency)),
            stats,
        })
    }

    fn unavailable(&self, reason: impl Into<String>) -> EmbeddingError {
        EmbeddingError::Unavailable {
            endpoint: self.url.clone(),
            reason: reason.into(),
        }
    }

    fn bad(&self, reason: impl Into<String>) -> EmbeddingError {
        EmbeddingError::BadResponse {
            endpoint: self.url.clone(),
            reason: reason.into(),
        }
    }

    async fn attempt(&self, texts: &[String], kind: InputKind, limit: Duration) -> Attempt {
        let input_type = match kind {
            InputKind::Query => self.input_types.0.as_deref(),
            InputKind::Document => self.input_types.1.as_deref(),
        };
        let body = request_body(self.format, &self.model, texts, input_type);
        let mut req = self.client.post(&self.url).json(&body).timeout(limit);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key.expose_secret());
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Retry {
                    reason: describe(&e),
                    after: None,
                };
            }
        };
        let status = resp.status();
        if status.as_u16() == 429 || status.is_server_error() {
            return Attempt::Retry {
                reason: format!("HTTP {status}"),
                after: retry_after(resp.headers()),
            };
        }
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Attempt::Retry {
                    reason: describe(&e),
                    after: None,
                };
            }
        };
        if !status.is_success() {
            let snippet: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
            return Attempt::Done(Err(self.unavailable(format!("HTTP {status}: {snippet}"))));
        }
        Attempt::Done(self.collect(&bytes, texts.len()))
    }

    fn collect(&self, body: &[u8], expected: usize) -> Result<Vec<Embedding>, EmbeddingError> {
        let vectors = parse_response(self.format, body).map_err(|r| self.bad(r))?;
        if vectors.len() != expected {
            return Err(self.bad(format!(
                "expected {expected} embeddings, got {}",
                vectors.len()
            )));
        }
        vectors
            .into_iter()
            .map(|v| Embedding::parse(v, self.dimension).map_err(|r| self.bad(r)))
            .collect()
    }

    /// One upstream batch, retried within the call's time budget.
    async fn embed_batch(
        &self,
        texts: &[String],
        kind: InputKind,
    ) -> Result<Vec<Embedding>, EmbeddingError> {
        let deadline = Instant::now() + self.timeout;
        let mut attempt = 0u32;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let limit = self.attempt_timeout.min(left).max(Duration::from_millis(1));
            let outcome = {
                // Held only while the request is in flight, not while backing off.
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .expect("semaphore never closed");
                let started = Instant::now();
                let outcome = self.attempt(texts, kind, limit).await;
                let latency_ms = started.elapsed().as_millis() as u64;
                self.stats.request(texts.len(), latency_ms);
                tracing::debug!(
                    embedding.endpoint = %self.url,
                    embedding.batch = texts.len(),
                    embedding.attempt = attempt + 1,
                    embedding.latency_ms = latency_ms,
                    "embedding request"
                );
                outcome
            };
            match outcome {
                Attempt::Done(result) => {
                    if result.is_err() {
                        self.stats.failure();
                    }
                    return result;
                }
                Attempt::Retry { reason, after } => {
                    attempt += 1;
                    let wait = after.unwrap_or_else(|| backoff(attempt));
                    let out_of_time = Instant::now() + wait >= deadline;
                    if attempt > self.max_retries || out_of_time {
                        self.stats.failure();
                        let why = if out_of_time {
                            format!("the {} ms budget is spent", self.timeout.as_millis())
                        } else {
                            format!("{} retries", self.max_retries)
                        };
                        return Err(self.unavailable(format!(
                            "{reason} (gave up after {attempt} attempt(s): {why})"
                        )));
                    }
                    self.stats.retry();
                    tracing::warn!(
                        embedding.endpoint = %self.url,
                        embedding.attempt = attempt,
                        embedding.retry_in_ms = wait.as_millis() as u64,
                        %reason,
                        "retrying embedding request"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[async_trait]
impl Embedder for HttpEmbedder {
    #[tracing::instrument(skip_all, fields(embedding.count = texts.len()))]
    async fn embed(
        &self,
        texts: &[String],
        kind: InputKind,
    ) -> Result<Vec<Embedding>, EmbeddingError> {
        // Batches run concurrently; the semaphore bounds how many are in flight.
        let batches = texts
            .chunks(self.batch_size)
            .map(|chunk| self.embed_batch(chunk, kind));
        let done = futures::future::try_join_all(batches).await?;
        Ok(done.into_iter().flatten().collect())
    }

    /// The document `input_type` changes the stored vectors, so it is part of the identity: a
    /// change makes `embedding_model` differ and `toolbox reindex` re-embeds. (The query side
    /// is never stored.) Without one, the model name alone, as before it was configurable.
    fn model_id(&self) -> String {
        match &self.input_types.1 {
            Some(t) => format!("{}|input_type={t:?}", self.model),
            None => self.model.clone(),
        }
    }

    fn stats(&self) -> Option<Arc<EmbeddingStats>> {
        Some(self.stats.clone())
    }
}

/// Exponential backoff with jitter: about 100 ms, 200 ms, 400 ms, ... capped at 5 s.
fn backoff(attempt: u32) -> Duration {
    let cap = 100u64.saturating_mul(1 << attempt.min(6)).min(5_000);
    Duration::from_millis(rand::random_range(cap / 2..=cap))
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = if let Ok(secs) = raw.parse::<f64>() {
        (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))?
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
        (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "request timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) <= Duration::from_millis(200));
        assert!(backoff(20) <= Duration::from_secs(5));
        assert!(backoff(20) >= Duration::from_millis(2_500));
    }
}
