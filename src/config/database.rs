//! The store: which database and its pool.
//!
//! Reads `DATABASE_URL` (default [`DEFAULT_DATABASE_URL`], the embedded SQLite file),
//! `DB_POOL_SIZE` (10), `DB_MAX_OVERFLOW` (10), `DB_POOL_TIMEOUT` (5 seconds) and
//! `MIGRATE_ON_START` (true). (`HNSW_*` are gone with the HNSW index: search runs in the
//! process, see `search_index`.)

use std::time::Duration;

use secrecy::SecretString;

use super::{ConfigError, Env};

/// The database used when `DATABASE_URL` is unset: an SQLite file, so the service runs with
/// nothing else installed.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/toolbox.db";

/// URL prefixes of the stores the service has. Checked here, as text, so a mistyped URL stops
/// startup with a message naming the variable instead of a connection error later.
const KNOWN_SCHEMES: [&str; 3] = ["postgres://", "postgresql://", "sqlite:"];

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
}

impl DatabaseConfig {
    /// The same settings for another database (`toolbox export --from`, `import --to`);
    /// `flag` names the option in the error.
    pub fn with_url(&self, url: &str, flag: &'static str) -> Result<Self, ConfigError> {
        if !KNOWN_SCHEMES.iter().any(|p| url.starts_with(p)) {
            return Err(ConfigError {
                var: flag,
                value: "<redacted>".into(),
                reason: "must start with postgres://, postgresql:// or sqlite://".into(),
            });
        }
        Ok(Self {
            url: SecretString::from(url.to_owned()),
            ..self.clone()
        })
    }

    pub(super) fn from_env(env: &Env<'_>) -> Result<Self, ConfigError> {
        let pool_size: u32 = env.parse("DB_POOL_SIZE", 10)?;
        if pool_size == 0 {
            return Err(env.invalid("DB_POOL_SIZE", "must be at least 1"));
        }
        let url = env
            .get("DATABASE_URL")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !KNOWN_SCHEMES.iter().any(|p| url.starts_with(p)) {
            // The URL may carry a password: never echo it.
            return Err(ConfigError {
                var: "DATABASE_URL",
                value: "<redacted>".into(),
                reason: "must start with postgres://, postgresql:// or sqlite://".into(),
            });
        }
        Ok(Self {
            url: SecretString::from(url),
            pool_size,
            max_overflow: env.parse("DB_MAX_OVERFLOW", 10)?,
            pool_timeout: Duration::from_secs_f64(env.parse_positive("DB_POOL_TIMEOUT", 5.0)?),
            migrate_on_start: env.parse("MIGRATE_ON_START", true)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::super::tests::config;

    #[test]
    fn an_unset_database_url_selects_the_embedded_sqlite_file() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database.url.expose_secret(), "sqlite://data/toolbox.db");
    }

    #[test]
    fn database_url_is_never_echoed_in_errors() {
        let err = config(&[("DATABASE_URL", "mysql://user:secret@x/db")]).unwrap_err();
        assert!(!err.to_string().contains("secret"));
    }
}
