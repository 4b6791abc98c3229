//! Tool runs: their time limit, concurrency, sizes, the outbound policy of HTTP tools, and the
//! execution history.
//!
//! Reads `TOOL_TIMEOUT_MS` (30000), `MAX_CONCURRENT_EXECUTIONS` (64), `EXECUTION_QUEUE_WAIT_MS`
//! (100), `TOOL_MAX_INPUT_BYTES` (256 KiB), `TOOL_MAX_OUTPUT_BYTES` (1 MiB),
//! `EXECUTION_LOG_MAX_BYTES` (16 KiB; the three sizes at least 256), `EXECUTION_RETENTION_DAYS`
//! (30, 0 keeps all), `TOOL_HTTP_ALLOWED_HOSTS` (comma-separated hosts, `*.domain` patterns,
//! each with an optional `:port`; empty: any public host; upstream MCP servers too),
//! `UPSTREAM_TIMEOUT_MS` (10000) and `BENCH_DISABLE_EXECUTION_LOG` (false).

use std::time::Duration;

use crate::domain::AllowedHost;

use super::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    pub tool_timeout: Duration,
}

impl ExecutorConfig {
    pub(super) fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            tool_timeout: Duration::from_millis(env.parse("TOOL_TIMEOUT_MS", 30_000)?),
        })
    }
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
    /// How long connecting to an upstream MCP server (its handshake) or listing its tools may
    /// take (`UPSTREAM_TIMEOUT_MS`); calls have the tool's own time limit.
    pub upstream_timeout: Duration,
}

impl ExecutionConfig {
    pub(super) fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
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
        Ok(Self {
            max_concurrent,
            queue_wait: Duration::from_millis(env.parse("EXECUTION_QUEUE_WAIT_MS", 100)?),
            max_input_bytes: min_bytes("TOOL_MAX_INPUT_BYTES", 256 * 1024)?,
            max_output_bytes: min_bytes("TOOL_MAX_OUTPUT_BYTES", 1024 * 1024)?,
            log_max_bytes: min_bytes("EXECUTION_LOG_MAX_BYTES", 16 * 1024)?,
            retention_days: env.parse("EXECUTION_RETENTION_DAYS", 30)?,
            http_allowed_hosts: allowed_hosts(env)?,
            log_disabled: env.parse("BENCH_DISABLE_EXECUTION_LOG", false)?,
            upstream_timeout: Duration::from_millis(env.parse("UPSTREAM_TIMEOUT_MS", 10_000)?),
        })
    }
}

/// `TOOL_HTTP_ALLOWED_HOSTS`, each entry parsed; a bad entry is quoted in the error.
fn allowed_hosts(env: &Env<'_>) -> Result<Vec<AllowedHost>, ConfigError> {
    env.list("TOOL_HTTP_ALLOWED_HOSTS")
        .iter()
        .map(|entry| {
            AllowedHost::parse(entry).map_err(|why| {
                env.invalid(
                    "TOOL_HTTP_ALLOWED_HOSTS",
                    &format!(
                        "{entry:?} is not a host name, IP address or *.domain pattern with an \
                         optional :port ({why})"
                    ),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;

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
}
