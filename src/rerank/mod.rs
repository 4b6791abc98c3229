//! The optional second stage of a search: a cross-encoder reranker behind an HTTP endpoint
//! (TEI's `/rerank` or the Cohere/Jina-style `/v1/rerank`), with the embedding client's
//! discipline: a time budget per call and per attempt, retries with backoff on connection
//! failures, 429 (honouring `Retry-After`) and 5xx, and a cache of recent answers.
//! The registry treats any error as "skip reranking" (fail-open).

mod format;

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::config::{RerankConfig, RerankFormat};

/// Longest `Retry-After` honoured within the call's budget.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Why a reranking did not happen.
#[derive(Debug, Clone, thiserror::Error)]
#[error("reranker {endpoint}: {reason}")]
pub struct RerankError {
    pub endpoint: String,
    pub reason: String,
}

/// The HTTP reranker client, with its cache.
pub struct Reranker {
    client: reqwest::Client,
    url: String,
    format: RerankFormat,
    api_key: Option<SecretString>,
    model: String,
    top_n: usize,
    timeout: Duration,
    attempt_timeout: Duration,
    max_retries: u32,
    cache: Option<moka::future::Cache<[u8; 32], Arc<[f32]>>>,
}

enum Attempt {
    Done(Result<Vec<f32>, String>),
    Retry {
        reason: String,
        after: Option<Duration>,
    },
}

impl Reranker {
    pub fn new(cfg: &RerankConfig) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.attempt_timeout.min(Duration::from_secs(2)))
            .build()?;
        Ok(Self {
            client,
            url: format::endpoint_url(cfg.format, &cfg.endpoint_url),
            format: cfg.format,
            api_key: cfg.api_key.clone(),
            model: cfg.model.clone(),
            top_n: cfg.top_n,
            timeout: cfg.timeout,
            attempt_timeout: cfg.attempt_timeout,
            max_retries: cfg.max_retries,
            cache: (cfg.cache_size > 0).then(|| {
                moka::future::Cache::builder()
                    .max_capacity(cfg.cache_size)
                    .time_to_live(cfg.cache_ttl)
                    .build()
            }),
        })
    }

    /// How many of the best fused candidates are sent.
    pub fn top_n(&self) -> usize {
        self.top_n
    }

    /// One score per document, in the documents' order (higher: more relevant).
    pub async fn scores(
        &self,
        query: &str,
        documents: &[String],
    ) -> Result<Arc<[f32]>, RerankError> {
        let key = cache_key(query, documents);
        if let Some(cache) = &self.cache
            && let Some(hit) = cache.get(&key).await
        {
            return Ok(hit);
        }
        let scores: Arc<[f32]> = self.call(query, documents).await?.into();
        if let Some(cache) = &self.cache {
            cache.insert(key, scores.clone()).await;
        }
        Ok(scores)
    }

    async fn call(&self, query: &str, documents: &[String]) -> Result<Vec<f32>, RerankError> {
        let deadline = Instant::now() + self.timeout;
        let mut attempt = 0u32;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let limit = self.attempt_timeout.min(left).max(Duration::from_millis(1));
            let started = Instant::now();
            let outcome = self.attempt(query, documents, limit).await;
            metrics::histogram!("toolbox_rerank_request_seconds")
                .record(started.elapsed().as_secs_f64());
            match outcome {
                Attempt::Done(result) => {
                    return result.map_err(|reason| self.error(reason));
                }
                Attempt::Retry { reason, after } => {
                    attempt += 1;
                    let wait = after.unwrap_or_else(|| backoff(attempt));
                    let out_of_time = Instant::now() + wait >= deadline;
                    if attempt > self.max_retries || out_of_time {
                        let why = if out_of_time {
                            format!("the {} ms budget is spent", self.timeout.as_millis())
                        } else {
                            format!("{} retries", self.max_retries)
                        };
                        return Err(self.error(format!(
                            "{reason} (gave up after {attempt} attempt(s): {why})"
                        )));
                    }
                    tracing::debug!(rerank.attempt = attempt, %reason, "retrying rerank request");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn attempt(&self, query: &str, documents: &[String], limit: Duration) -> Attempt {
        let body = format::request_body(self.format, &self.model, query, documents);
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
            return Attempt::Done(Err(format!("HTTP {status}")));
        }
        Attempt::Done(format::parse_response(self.format, &bytes, documents.len()))
    }

    fn error(&self, reason: String) -> RerankError {
        RerankError {
            endpoint: self.url.clone(),
            reason,
        }
    }
}

fn cache_key(query: &str, documents: &[String]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(query.as_bytes());
    for d in documents {
        h.update([0u8]);
        h.update(d.as_bytes());
    }
    h.finalize().into()
}

/// Exponential backoff with jitter: about 50 ms, 100 ms, 200 ms, ... capped at 1 s (a
/// reranker sits in a search's path, so its budget is short).
fn backoff(attempt: u32) -> Duration {
    let cap = 50u64.saturating_mul(1 << attempt.min(5)).min(1_000);
    Duration::from_millis(rand::random_range(cap / 2..=cap))
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = raw.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs).min(MAX_RETRY_AFTER))
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
