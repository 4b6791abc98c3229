//! The REST listener and the size of what it accepts in one request.
//!
//! Reads `HOST` (default `0.0.0.0`), `PORT` (8080) and `BULK_MAX_TOOLS` (1000).

use std::net::IpAddr;

use super::{ConfigError, Env};

/// Where the API listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: IpAddr,
    pub port: u16,
}

impl ServerConfig {
    pub(super) fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            host: env.parse("HOST", IpAddr::from([0, 0, 0, 0]))?,
            port: env.parse("PORT", 8080)?,
        })
    }
}

/// Bulk import limits.
#[derive(Debug, Clone)]
pub struct BulkConfig {
    /// Most tools accepted by one `POST /tools/bulk`.
    pub max_tools: usize,
}

impl BulkConfig {
    pub(super) fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        let max_tools: usize = env.parse("BULK_MAX_TOOLS", 1000)?;
        if max_tools == 0 {
            return Err(env.invalid("BULK_MAX_TOOLS", "must be at least 1"));
        }
        Ok(Self { max_tools })
    }
}
