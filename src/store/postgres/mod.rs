//! The PostgreSQL + pgvector store: SQL, and nothing but SQL.
//!
//! Every query names the index it expects to use. A query string built with `format!` is
//! passed as `sqlx::AssertSqlSafe`: it is assembled only from this module's constants and
//! numbers from the validated config; every value a caller sends is bound as a parameter.

mod bulk;
mod catalog;
mod changes;
mod executions;
mod index_feed;
mod keys;
mod schema;
mod servers;
mod snapshot;
mod tools;

use std::str::FromStr;
use std::time::Duration;

use futures::stream::BoxStream;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

pub use catalog::TOOLS_CHANGED_CHANNEL;

use super::{MigrateError, PoolUsage, StoreError};
use crate::config::DatabaseConfig;

/// A pooled connection idle for at least this long is pinged before it is handed out.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(1);

/// The PostgreSQL store. Cheap to clone: it wraps the connection pool.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    options: PgConnectOptions,
    connect_timeout: Duration,
}

impl PgStore {
    /// Opens the pool (lazily: the service starts even if the database is briefly down).
    pub fn connect(cfg: &DatabaseConfig) -> Result<Self, StoreError> {
        let opts = PgConnectOptions::from_str(cfg.url.expose_secret())
            .map_err(StoreError::Other)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500))
            // Custom plans: the listing queries' filters are `$n IS NULL OR ...` parameters,
            // and the generic plan PostgreSQL caches for them cannot know whether a filter is
            // set, so it may pick a scan that ignores the index the actual values could use.
            // Planning each execution costs well under a millisecond.
            .options([("plan_cache_mode", "force_custom_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(cfg.pool_size + cfg.max_overflow)
            .min_connections(0)
            .acquire_timeout(cfg.pool_timeout)
            .idle_timeout(Some(Duration::from_secs(300)))
            // sqlx's default pings every connection on every checkout: one extra round trip
            // per query. Only a connection that sat idle long enough to have been cut is
            // checked; a failed check discards it and the pool hands out another.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_CHECK_AFTER {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(opts.clone());
        Ok(Self {
            pool,
            options: opts,
            connect_timeout: cfg.pool_timeout,
        })
    }

    /// Opens one connection outside the pool, so a startup failure reports the real cause
    /// (refused, authentication, unknown database) rather than the pool's timeout.
    pub async fn check_connection(&self) -> Result<(), sqlx::Error> {
        let connect = sqlx::PgConnection::connect_with(&self.options);
        match tokio::time::timeout(self.connect_timeout, connect).await {
            Ok(Ok(conn)) => conn.close().await,
            Ok(Err(e)) => Err(e),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

super::forward_store_methods!(PgStore {
    fn backend(&self) -> &'static str {
        "postgresql"
    }

    fn log_startup(&self) {
        tracing::info!(database.backend = "postgresql", "store: PostgreSQL");
    }

    fn pool_usage(&self) -> PoolUsage {
        PoolUsage::of(&self.pool)
    }

    async fn close(&self) {
        self.pool.close().await
    }

    async fn migrate(&self, _cfg: &DatabaseConfig, dimension: usize) -> Result<(), MigrateError> {
        schema::migrate(&self.pool, dimension).await
    }

    async fn is_up_to_date(&self) -> Result<bool, StoreError> {
        schema::is_up_to_date(&self.pool).await
    }

    fn changes(&self) -> BoxStream<'static, ()> {
        changes::listen(self.pool.clone())
    }
});
