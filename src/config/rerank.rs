//! The optional reranker: a cross-encoder behind an HTTP endpoint that reorders the best
//! fused candidates of a search.
//!
//! Reads `RERANK_ENDPOINT_URL` (unset: no reranking), `RERANK_API_FORMAT` (`tei`: Hugging Face
//! text-embeddings-inference's `POST {base}/rerank`; `cohere`: the Cohere/Jina/Voyage-style
//! `POST {base}/v1/rerank`), `RERANK_API_KEY`, `RERANK_MODEL` (sent in the `cohere` format),
//! `RERANK_TOP_N` (20, 1..=200: candidates sent), `RERANK_TIMEOUT_MS` (2000: the whole call,
//! retries included), `RERANK_ATTEMPT_TIMEOUT_MS` (the smaller of 1000 and the timeout),
//! `RERANK_MAX_RETRIES` (2) and `RERANK_CACHE_SIZE` (1024 rankings, 0: off; kept `CACHE_TTL`).

use std::time::Duration;

use secrecy::SecretString;

use super::{ConfigError, Env};

/// The reranker's wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RerankFormat {
    /// `POST {base}/rerank` with `{"query", "texts"}`, answering `[{"index", "score"}]`.
    Tei,
    /// `POST {base}/v1/rerank` with `{"model", "query", "documents", "top_n"}`, answering
    /// `{"results": [{"index", "relevance_score"}]}` (Cohere, Jina, Voyage, vLLM, LiteLLM).
    Cohere,
}

#[derive(Debug, Clone)]
pub struct RerankConfig {
    pub endpoint_url: String,
    pub format: RerankFormat,
    pub api_key: Option<SecretString>,
    pub model: String,
    pub top_n: usize,
    pub timeout: Duration,
    pub attempt_timeout: Duration,
    pub max_retries: u32,
    pub cache_size: u64,
    pub cache_ttl: Duration,
}

impl RerankConfig {
    /// `None` when `RERANK_ENDPOINT_URL` is unset.
    pub(super) fn from_env(env: &Env<'_>) -> Result<Option<Self>, ConfigError> {
        let Some(endpoint_url) = env.get("RERANK_ENDPOINT_URL").filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        if reqwest::Url::parse(&endpoint_url).is_err() {
            return Err(env.invalid("RERANK_ENDPOINT_URL", "is not a valid URL"));
        }
        let format = match env.get("RERANK_API_FORMAT").as_deref() {
            None | Some("") | Some("tei") => RerankFormat::Tei,
            Some("cohere") | Some("jina") => RerankFormat::Cohere,
            Some(_) => return Err(env.invalid("RERANK_API_FORMAT", "must be `tei` or `cohere`")),
        };
        let top_n: usize = env.parse("RERANK_TOP_N", 20)?;
        if !(1..=200).contains(&top_n) {
            return Err(env.invalid("RERANK_TOP_N", "must be between 1 and 200"));
        }
        let timeout_ms: u64 = env.parse("RERANK_TIMEOUT_MS", 2_000)?;
        if timeout_ms == 0 {
            return Err(env.invalid("RERANK_TIMEOUT_MS", "must be at least 1"));
        }
        let attempt_ms: u64 = env.parse("RERANK_ATTEMPT_TIMEOUT_MS", timeout_ms.min(1_000))?;
        if attempt_ms == 0 || attempt_ms > timeout_ms {
            return Err(env.invalid(
                "RERANK_ATTEMPT_TIMEOUT_MS",
                &format!("must be between 1 and RERANK_TIMEOUT_MS ({timeout_ms})"),
            ));
        }
        Ok(Some(Self {
            endpoint_url,
            format,
            api_key: env
                .get("RERANK_API_KEY")
                .filter(|s| !s.is_empty())
                .map(SecretString::from),
            model: env.get("RERANK_MODEL").unwrap_or_default(),
            top_n,
            timeout: Duration::from_millis(timeout_ms),
            attempt_timeout: Duration::from_millis(attempt_ms),
            max_retries: env.parse("RERANK_MAX_RETRIES", 2)?,
            cache_size: env.parse("RERANK_CACHE_SIZE", 1_024)?,
            cache_ttl: Duration::from_secs(env.parse("CACHE_TTL", 3600)?),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::RerankFormat;

    #[test]
    fn the_reranker_is_off_unless_its_endpoint_is_set_and_its_settings_are_checked() {
        assert!(config(&[]).unwrap().rerank.is_none());
        let c = config(&[
            ("RERANK_ENDPOINT_URL", "http://127.0.0.1:9/"),
            ("RERANK_API_FORMAT", "cohere"),
        ])
        .unwrap();
        let r = c.rerank.unwrap();
        assert_eq!((r.format, r.top_n), (RerankFormat::Cohere, 20));
        let bad = config(&[("RERANK_ENDPOINT_URL", "http://x/"), ("RERANK_TOP_N", "0")]);
        assert_eq!(bad.unwrap_err().var, "RERANK_TOP_N");
        let fmt = config(&[
            ("RERANK_ENDPOINT_URL", "http://x/"),
            ("RERANK_API_FORMAT", "x"),
        ]);
        assert_eq!(fmt.unwrap_err().var, "RERANK_API_FORMAT");
    }
}
