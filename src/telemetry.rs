//! Logging: readable on a terminal, JSON in production (`LOG_FORMAT`), level from `LOG_LEVEL`
//! (or `RUST_LOG` when set, for per-module filters).

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

pub fn init(cfg: &Config) {
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| EnvFilter::try_new(&cfg.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match cfg.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}
