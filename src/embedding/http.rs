//! The HTTP client for a remote embedding model (OpenAI-compatible `POST /v1/embeddings`).

use std::time::{Duration, Instant};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{Embedder, EmbeddingError, InputKind};
use crate::config::EmbeddingConfig;
use crate::domain::Embedding;

pub struct HttpEmbedder {
    client: reqwest::Client,
    url: String,
    api_key: Option<SecretString>,
    model: String,
    dimension: usize,
    max_retries: u32,
    timeout: Duration,
    /// `input_type` sent with queries and with documents, when configured.
    input_types: (Option<String>, Option<String>),
}

#[derive(Deserialize)]
struct OpenAiResponse {
    data: Vec<OpenAiItem>,
}

#[derive(Deserialize)]
struct OpenAiItem {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
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
    pub fn new(cfg: &EmbeddingConfig) -> anyhow::Result<Self> {
        let base = cfg
            .endpoint_url
            .clone()
            .ok_or_else(|| anyhow::anyhow!("EMBEDDING_ENDPOINT_URL is not set"))?;
        let client = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(32)
            .build()?;
        Ok(Self {
            client,
            url: endpoint_path(&base),
            api_key: cfg.api_key.clone(),
            model: cfg.model.clone(),
            dimension: cfg.dimension,
            max_retries: cfg.max_retries,
            timeout: cfg.timeout,
            input_types: (
                cfg.asymmetric.query_input_type.clone(),
                cfg.asymmetric.document_input_type.clone(),
            ),
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

    async fn attempt(&self, texts: &[String], kind: InputKind) -> Attempt {
        let mut body = serde_json::json!({ "model": self.model, "input": texts });
        let input_type = match kind {
            InputKind::Query => &self.input_types.0,
            InputKind::Document => &self.input_types.1,
        };
        if let Some(t) = input_type {
            body["input_type"] = serde_json::Value::String(t.clone());
        }
        let mut req = self.client.post(&self.url).json(&body);
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
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            let snippet: String = text.chars().take(200).collect();
            return Attempt::Done(Err(self.unavailable(format!("HTTP {status}: {snippet}"))));
        }
        let parsed: OpenAiResponse = match resp.json().await {
            Ok(p) => p,
            Err(e) => {
                return Attempt::Done(Err(self.bad(format!("invalid JSON: {e}"))));
            }
        };
        Attempt::Done(self.collect(parsed, texts.len()))
    }

    fn collect(
        &self,
        mut parsed: OpenAiResponse,
        expected: usize,
    ) -> Result<Vec<Embedding>, EmbeddingError> {
        if parsed.data.len() != expected {
            return Err(self.bad(format!(
                "expected {expected} embeddings, got {}",
                parsed.data.len()
            )));
        }
        parsed.data.sort_by_key(|d| d.index.unwrap_or(0));
        parsed
            .data
            .into_iter()
            .map(|d| Embedding::parse(d.embedding, self.dimension).map_err(|r| self.bad(r)))
            .collect()
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
        if texts.is_empty() {
            return Ok(vec![]);
        }
        let deadline = Instant::now() + self.timeout;
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            match self.attempt(texts, kind).await {
                Attempt::Done(result) => {
                    tracing::debug!(
                        embedding.latency_ms = started.elapsed().as_millis() as u64,
                        "embedding request"
                    );
                    return result;
                }
                Attempt::Retry { reason, after } => {
                    attempt += 1;
                    let wait = after.unwrap_or_else(|| backoff(attempt));
                    if attempt > self.max_retries || Instant::now() + wait >= deadline {
                        return Err(self.unavailable(format!(
                            "{reason} (gave up after {attempt} attempt(s))"
                        )));
                    }
                    tracing::warn!(embedding.attempt = attempt, %reason, "retrying embedding request");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn model_id(&self) -> String {
        self.model.clone()
    }
}

/// Accepts either a base URL (`http://host:8011`, `.../v1`) or the full embeddings URL.
fn endpoint_path(base: &str) -> String {
    let trimmed = base.trim_end_matches('/');
    if trimmed.ends_with("/embeddings") {
        trimmed.to_owned()
    } else if trimmed.ends_with("/v1") {
        format!("{trimmed}/embeddings")
    } else {
        format!("{trimmed}/v1/embeddings")
    }
}

/// Exponential backoff with full jitter: 100 ms, 200 ms, 400 ms, ... capped at 5 s.
fn backoff(attempt: u32) -> Duration {
    let cap = 100u64.saturating_mul(1 << attempt.min(6)).min(5_000);
    Duration::from_millis(rand::random_range(cap / 2..=cap))
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(60.0)))
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

    #[test]
    fn endpoint_accepts_base_or_full_url() {
        assert_eq!(
            endpoint_path("http://h:1"),
            "http://h:1/v1/embeddings".to_string()
        );
        assert_eq!(endpoint_path("http://h:1/v1/"), "http://h:1/v1/embeddings");
        assert_eq!(
            endpoint_path("http://h:1/v1/embeddings"),
            "http://h:1/v1/embeddings"
        );
    }
}
