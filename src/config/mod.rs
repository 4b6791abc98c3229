//! One `Config`, read once from the environment and validated before anything connects.
//!
//! Every variable is listed with its default in `.env.example`. A bad value stops startup with
//! an error that names the variable and says what is wrong with it. Each section reads its own
//! variables (listed at the top of its file) through the shared [`Env`] lookup; this file reads
//! only `APP_NAME` (`toolbox`), `LOG_LEVEL` (`info`) and `LOG_FORMAT` (`pretty` or `json`).

use std::collections::HashMap;
use std::str::FromStr;

mod auth;
mod database;
mod edge;
mod embedding;
mod execution;
mod mcp;
mod search;
mod server;

pub use auth::OidcConfig;
pub use database::{DEFAULT_DATABASE_URL, DatabaseConfig};
pub use edge::{ApiKey, EdgeConfig, Role, digest as edge_digest};
pub use embedding::{ApiFormat, AsymmetricConfig, EmbeddingConfig};
pub use execution::{ExecutionConfig, ExecutorConfig};
pub use mcp::{McpConfig, ToolExposure};
pub use search::{DEFAULT_MAX_SEARCH_LIMIT, SearchConfig};
pub use server::{BulkConfig, ServerConfig};

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
        Ok(Config {
            app_name: env.get("APP_NAME").unwrap_or_else(|| "toolbox".into()),
            log_level: env.get("LOG_LEVEL").unwrap_or_else(|| "info".into()),
            log_format: LogFormat::from_env(&env)?,
            server: ServerConfig::from_env(&env)?,
            database: DatabaseConfig::from_env(&env)?,
            embedding: EmbeddingConfig::from_env(&env)?,
            search: SearchConfig::from_env(&env)?,
            executor: ExecutorConfig::from_env(&env)?,
            bulk: BulkConfig::from_env(&env)?,
            mcp: McpConfig::from_env(&env)?,
            edge: EdgeConfig::from_env(&env)?,
            execution: ExecutionConfig::from_env(&env)?,
        })
    }

    /// Whether the built-in lexical embedder is in use.
    pub fn uses_builtin_embedder(&self) -> bool {
        self.embedding.endpoint_url.is_none()
    }
}

impl LogFormat {
    fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        match env.get("LOG_FORMAT").as_deref() {
            None | Some("pretty") => Ok(LogFormat::Pretty),
            Some("json") => Ok(LogFormat::Json),
            Some(_) => Err(env.invalid("LOG_FORMAT", "must be `json` or `pretty`")),
        }
    }
}

/// The variable lookup every section reads through: the process environment, or a map in tests.
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
pub(crate) mod tests {
    use super::*;

    /// The configuration read from these variables only.
    pub(crate) fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
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
        assert_eq!(c.log_format, LogFormat::Pretty);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = config(&[("DB_POOL_SIZE", "lots")]).unwrap_err();
        assert_eq!(err.var, "DB_POOL_SIZE");
        assert!(err.to_string().contains("DB_POOL_SIZE"));
        assert_eq!(
            config(&[("LOG_FORMAT", "xml")]).unwrap_err().var,
            "LOG_FORMAT"
        );
    }
}
