//! The embedded store: one SQLite file, sqlite-vec for vector search, FTS5 for full text.
//!
//! Concurrency is SQLite's: WAL mode, one writer, readers in parallel. Every write goes
//! through a single-connection pool, so writers queue in the process instead of failing with
//! `SQLITE_BUSY`; reads use their own pool and never wait for a writer. It serves one replica:
//! two processes on one file work (the busy timeout serialises them) but do not scale.

mod bulk;
mod catalog;
mod executions;
mod index_feed;
mod keys;
mod schema;
mod servers;
mod snapshot;
mod tools;
mod vec_ext;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::ConnectOptions;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use schema::{is_up_to_date, migrate};

use super::StoreError;
use crate::config::DatabaseConfig;

/// The SQLite store. Cheap to clone: it wraps two pools on the same file.
#[derive(Clone)]
pub struct SqliteStore {
    reader: SqlitePool,
    writer: SqlitePool,
    path: PathBuf,
    /// Fires after each committed change to the catalogue of tools (what PostgreSQL's
    /// `NOTIFY` does across replicas, for this one process).
    changes: tokio::sync::broadcast::Sender<()>,
}

impl SqliteStore {
    /// Prepares the store for the file named by `url` (`sqlite://PATH`), creating its
    /// directory. The file itself is created, lazily, by the first connection.
    pub fn open(url: &str, cfg: &DatabaseConfig) -> Result<Self, StoreError> {
        vec_ext::register();
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::Other)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a call's execution row survives a power cut once the call has answered.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(cfg.pool_timeout)
            .pragma("temp_store", "memory")
            // Reads of a large catalogue (an exact vector scan) go through the OS page cache
            // without a copy per page; shared by every connection.
            .pragma("mmap_size", "1073741824")
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let path = opts.get_filename().to_owned();
        create_parent_dir(&path)?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .acquire_timeout(cfg.pool_timeout)
            .connect_lazy_with(opts.clone());
        let reader = SqlitePoolOptions::new()
            .max_connections(cfg.pool_size + cfg.max_overflow)
            .min_connections(0)
            .acquire_timeout(cfg.pool_timeout)
            .idle_timeout(Some(Duration::from_secs(300)))
            .connect_lazy_with(opts.pragma("query_only", "ON"));
        Ok(Self {
            reader,
            writer,
            path,
            changes: tokio::sync::broadcast::channel(16).0,
        })
    }

    /// Like [`SqliteStore::open`], for a file that must exist already.
    pub fn open_existing(url: &str, cfg: &DatabaseConfig) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url).map_err(StoreError::Other)?;
        let path = opts.get_filename();
        if !path.is_file() {
            let missing = std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} does not exist", path.display()),
            );
            return Err(StoreError::Unavailable(sqlx::Error::Io(missing)));
        }
        Self::open(url, cfg)
    }

    /// A receiver of "the catalogue of tools changed" events, from now on.
    pub fn subscribe_changes(&self) -> tokio::sync::broadcast::Receiver<()> {
        self.changes.subscribe()
    }

    /// Announces a committed change to the catalogue (no receiver is not an error).
    fn tools_changed(&self) {
        let _ = self.changes.send(());
    }

    /// The pool serving reads.
    pub fn reader_pool(&self) -> &SqlitePool {
        &self.reader
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the write connection, so a startup failure (a directory that cannot be written,
    /// a file that is not a database) reports its real cause.
    pub async fn check_connection(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.writer)
            .await
            .map(drop)
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// The journal mode in force (`wal` once opened).
    pub async fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&self.reader)
            .await?)
    }

    /// Closes both pools, checkpointing the write-ahead log into the database file.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

fn create_parent_dir(path: &Path) -> Result<(), StoreError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(sqlx::Error::Io(e)))
        }
        _ => Ok(()),
    }
}

/// A timestamp as stored: fixed-width RFC 3339 in UTC, so text order is time order.
fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// An embedding as sqlite-vec reads it: little-endian float32s.
fn vector_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn vector_from_blob(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

crate::store::forward_store_methods!(SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn log_startup(&self) {
        tracing::warn!(
            database.backend = "sqlite",
            database.path = %self.path.display(),
            "store: embedded SQLite file, for ONE replica (WAL, one writer, parallel readers); \
             replicas sharing it would not scale, and MCP's tools/list_changed is announced \
             only for changes made through this process. Set DATABASE_URL=postgres://... to \
             run several replicas"
        );
    }

    fn pool_usage(&self) -> crate::store::PoolUsage {
        crate::store::PoolUsage::of(&self.reader)
    }

    async fn close(&self) {
        SqliteStore::close(self).await
    }

    async fn migrate(
        &self,
        _cfg: &DatabaseConfig,
        dimension: usize,
    ) -> Result<(), crate::store::MigrateError> {
        schema::migrate(self, dimension).await
    }

    async fn is_up_to_date(&self) -> Result<bool, StoreError> {
        schema::is_up_to_date(self).await
    }

    /// One process owns the file, so no database channel is needed: the store announces
    /// each committed change itself.
    fn changes(&self) -> futures::stream::BoxStream<'static, ()> {
        use tokio::sync::broadcast::error::RecvError;
        let rx = self.subscribe_changes();
        Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            match rx.recv().await {
                Ok(()) | Err(RecvError::Lagged(_)) => Some(((), rx)),
                Err(RecvError::Closed) => None,
            }
        }))
    }
});
