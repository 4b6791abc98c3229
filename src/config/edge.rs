//! The settings of the service's edge: API keys, rate limits, request limits, CORS, metrics
//! listener, worker threads and shutdown budget.
//!
//! Reads `API_KEYS` (`KEY:read` / `KEY:call` / `KEY:admin`, comma-separated; empty and no
//! OIDC issuer: open), the OIDC settings ([`super::auth`]),
//! `RATE_LIMIT_PER_SECOND` (0: off), `RATE_LIMIT_BURST` (the per-second rate), `TRUSTED_PROXIES`
//! (IPs or CIDRs), `METRICS_PORT` (0: `/metrics` on the API port), `REQUEST_TIMEOUT_MS` (60000),
//! `CORS_ORIGINS` (comma-separated; `*` any; empty: no CORS), `WORKERS` (0: one per core),
//! `SHUTDOWN_TIMEOUT` (30 seconds) and `OTEL_EXPORTER_OTLP_ENDPOINT` (unset: no trace export).

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use sha2::{Digest, Sha256};

use super::{ConfigError, Env};

pub use crate::domain::Role;

/// A configured API key: only its SHA-256 digest is kept in memory.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub digest: [u8; 32],
    pub scope: Role,
}

impl ApiKey {
    /// A short, non-reversible identifier for logs and rate limiting (first 8 hex digits).
    pub fn id(&self) -> String {
        self.digest[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({}, {})", self.id(), self.scope.as_str())
    }
}

/// The SHA-256 digest of a presented key.
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Shortest accepted API key, so a key cannot be guessed by trying.
pub const MIN_KEY_LEN: usize = 16;

#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// Empty: the service runs open (and says so at startup).
    pub api_keys: Vec<ApiKey>,
    /// Requests per second per key (or per client IP); `None` disables rate limiting.
    pub rate_limit_per_second: Option<u32>,
    pub rate_limit_burst: u32,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Serves `/metrics` on its own port instead of the API port.
    pub metrics_port: Option<u16>,
    pub request_timeout: Duration,
    /// Allowed CORS origins; `["*"]` allows any; empty disables CORS.
    pub cors_origins: Vec<String>,
    /// Tokio worker threads; `None`: one per core.
    pub workers: Option<usize>,
    /// How long SIGTERM waits for in-flight requests before exiting anyway.
    pub shutdown_timeout: Duration,
    /// OTLP/HTTP collector; `None`: no trace export.
    pub otlp_endpoint: Option<String>,
    /// OIDC bearer tokens; `None`: API keys only.
    pub oidc: Option<super::auth::OidcConfig>,
    /// The public URL of `/mcp` (`AUTH_RESOURCE_URL`).
    pub resource_url: Option<String>,
}

impl EdgeConfig {
    /// Whether callers must authenticate: bootstrap keys or an OIDC issuer are configured.
    pub fn auth_enabled(&self) -> bool {
        !self.api_keys.is_empty() || self.oidc.is_some()
    }
}

impl EdgeConfig {
    pub(super) fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        let api_keys =
            parse_keys(env.get("API_KEYS").as_deref().unwrap_or("")).map_err(|reason| {
                ConfigError {
                    var: "API_KEYS",
                    value: "<redacted>".into(),
                    reason,
                }
            })?;
        let per_second: u32 = env.parse("RATE_LIMIT_PER_SECOND", 0)?;
        let burst: u32 = env.parse("RATE_LIMIT_BURST", per_second)?;
        let trusted_proxies = env
            .get("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        env.invalid("TRUSTED_PROXIES", &format!("{s:?} is not an IP or CIDR"))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let metrics_port: u16 = env.parse("METRICS_PORT", 0)?;
        let workers: usize = env.parse("WORKERS", 0)?;
        let timeout_ms: u64 = env.parse("REQUEST_TIMEOUT_MS", 60_000)?;
        if timeout_ms == 0 {
            return Err(env.invalid("REQUEST_TIMEOUT_MS", "must be at least 1"));
        }
        let otlp_endpoint = env
            .get("OTEL_EXPORTER_OTLP_ENDPOINT")
            .filter(|s| !s.is_empty());
        if let Some(url) = &otlp_endpoint
            && reqwest::Url::parse(url).is_err()
        {
            return Err(env.invalid("OTEL_EXPORTER_OTLP_ENDPOINT", "is not a valid URL"));
        }
        Ok(Self {
            oidc: super::auth::OidcConfig::from_env(env)?,
            resource_url: super::auth::resource_url(env)?,
            otlp_endpoint,
            api_keys,
            rate_limit_per_second: (per_second > 0).then_some(per_second),
            rate_limit_burst: burst.max(1),
            trusted_proxies,
            metrics_port: (metrics_port > 0).then_some(metrics_port),
            request_timeout: Duration::from_millis(timeout_ms),
            cors_origins: env
                .get("CORS_ORIGINS")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            workers: (workers > 0).then_some(workers),
            shutdown_timeout: Duration::from_secs_f64(
                env.parse_positive("SHUTDOWN_TIMEOUT", 30.0)?,
            ),
        })
    }
}

/// `key1:admin,key2:read` → hashed keys. The reason never contains a key.
fn parse_keys(raw: &str) -> Result<Vec<ApiKey>, String> {
    let mut keys: Vec<ApiKey> = Vec::new();
    for (i, entry) in raw.split(',').map(str::trim).enumerate() {
        if entry.is_empty() {
            continue;
        }
        let n = i + 1;
        let (key, scope) = entry.rsplit_once(':').ok_or_else(|| {
            format!("entry {n} has no role: write KEY:read, KEY:call or KEY:admin")
        })?;
        let scope = Role::parse(scope.trim())
            .ok_or_else(|| format!("entry {n} has an unknown role: use read, call or admin"))?;
        let key = key.trim();
        if key.chars().count() < MIN_KEY_LEN {
            return Err(format!("key {n} is shorter than {MIN_KEY_LEN} characters"));
        }
        let digest = digest(key);
        if keys.iter().any(|k| k.digest == digest) {
            return Err(format!("key {n} is listed twice"));
        }
        keys.push(ApiKey { digest, scope });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_with_their_scopes_and_are_kept_hashed() {
        let keys = parse_keys("aaaaaaaaaaaaaaaa:admin, bbbbbbbbbbbbbbbb:read").unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].scope, Role::Admin);
        assert_eq!(keys[1].digest, digest("bbbbbbbbbbbbbbbb"));
        assert!(!format!("{keys:?}").contains("bbbb"));
    }

    #[test]
    fn a_bad_key_list_is_refused_without_echoing_the_key() {
        for bad in [
            "secretsecretsecret",
            "short:read",
            "secretsecretsecret:root",
        ] {
            let err = parse_keys(bad).unwrap_err();
            assert!(!err.contains("secret"), "{err}");
        }
    }
}
