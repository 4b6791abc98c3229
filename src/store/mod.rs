//! SQL, and nothing but SQL: PostgreSQL + pgvector, or the embedded SQLite store in [`sqlite`]
//! (see [`Store`], which dispatches to either).
//!
//! Every query names the index it expects to use. Errors become `StoreError` here, so a
//! unique-key violation reaches the registry as `Conflict`, never as a raw database error.
//!
//! A query string built with `format!` is passed as `sqlx::AssertSqlSafe`: it is assembled
//! only from this module's constants and numbers from the validated config; every value a
//! caller sends is bound as a parameter.

mod backend;
mod bulk;
mod catalog;
mod executions;
mod schema;
mod scratch;
mod search;
pub mod sqlite;
mod tools;

use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

pub use backend::{PoolUsage, Store};
pub use bulk::{BulkItem, EmbeddingState, ReindexRow};
pub use catalog::TOOLS_CHANGED_CHANNEL;
pub use executions::{ExecutionRecord, ExecutionStats, OutcomeFilter, StoredExecution};
pub use schema::MigrateError;
pub use scratch::ScratchDatabase;
pub use search::{Candidate, CandidateQuery};
pub use tools::{SearchFilter, StoredEmbedding, ToolRow, ToolSummary};

use crate::config::DatabaseConfig;

/// A pooled connection idle for at least this long is pinged before it is handed out.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(1);

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a tool named {0:?} already exists")]
    Conflict(String),
    /// The database could not be reached in time: a 503 for the caller.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => StoreError::Unavailable(e),
            sqlx::Error::Database(db) => match db.code().as_deref() {
                // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
                Some("57P01" | "57P02" | "57P03" | "53300") => StoreError::Unavailable(e),
                // SQLite: busy or locked past the busy timeout (also the _RECOVERY/_SNAPSHOT
                // variants), disk full, cannot open the file.
                Some("5" | "6" | "261" | "517" | "13" | "14") => StoreError::Unavailable(e),
                _ => StoreError::Other(e),
            },
            _ => StoreError::Other(e),
        }
    }
}

/// Decodes each row of a listing on its own. A row that cannot be read (a value an older
/// release stored that no longer parses, say) is logged and left out, so one damaged row
/// never turns every listing into an error for every user.
pub(crate) fn decode_each<Row, T>(rows: Vec<Row>, what: &'static str) -> Vec<T>
where
    Row: sqlx::Row,
    T: for<'r> sqlx::FromRow<'r, Row>,
{
    rows.iter()
        .filter_map(|row| match T::from_row(row) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!(error = %e, rows = what, "skipping a row that cannot be decoded");
                metrics::counter!("toolbox_undecodable_rows_total", "rows" => what).increment(1);
                None
            }
        })
        .collect()
}

/// The PostgreSQL store. Cheap to clone: it wraps the connection pool.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    options: PgConnectOptions,
    connect_timeout: Duration,
}

impl PgStore {
    /// Opens the pool (lazily: the service starts even if the database is briefly down), with
    /// each connection's HNSW search parameters set at connection time.
    pub fn connect(cfg: &DatabaseConfig) -> Result<Self, StoreError> {
        let opts = PgConnectOptions::from_str(cfg.url.expose_secret())
            .map_err(StoreError::Other)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500))
            // Placeholder settings, valid before pgvector's library is loaded. Iterative scans
            // let a filtered HNSW search keep going until it has `limit` rows that pass the
            // filter (pgvector 0.8).
            //
            // Custom plans: the search query's filters are `$n IS NULL OR ...` parameters, and
            // the generic plan PostgreSQL caches for them cannot know whether a filter is set,
            // so it picked a sequential scan over the embeddings (66 ms at 10,000 tools) where
            // the plan for the actual values uses the HNSW index (14 ms). Planning each
            // execution costs well under a millisecond.
            .options([
                ("hnsw.ef_search", cfg.hnsw_ef_search.to_string()),
                ("hnsw.iterative_scan", "relaxed_order".to_owned()),
                ("plan_cache_mode", "force_custom_plan".to_owned()),
            ]);
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
