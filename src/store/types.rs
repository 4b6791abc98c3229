//! The store's vocabulary, shared by every backend: filters, rows, records and errors.
//! Nothing here knows which database is underneath.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::domain::{Embedding, NewTool, Tool};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a tool named {0:?} already exists")]
    Conflict(String),
    /// A server's name or namespace is taken (the message says which).
    #[error("{0}")]
    ServerConflict(String),
    /// The database could not be reached in time: a 503 for the caller.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
    /// An import found the target holding data it would mix with (the message says what).
    #[error("{0}")]
    NotEmpty(String),
    /// The receiver of an export failed (a closed pipe, a full disk).
    #[error("writing the snapshot: {0}")]
    Sink(#[source] std::io::Error),
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

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the database holds embeddings of dimension {found}, but EMBEDDING_DIMENSION is {configured}; \
         set EMBEDDING_DIMENSION={found} or re-create the embedding column with `toolbox reindex`"
    )]
    DimensionMismatch { found: i32, configured: usize },
}

/// A pool's connections: open, and idle among them.
#[derive(Debug, Clone, Copy)]
pub struct PoolUsage {
    pub size: u32,
    pub idle: u32,
}

impl PoolUsage {
    pub(crate) fn of<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> Self {
        Self {
            size: pool.size(),
            idle: pool.num_idle() as u32,
        }
    }
}

/// Filters shared by list and search: a tool matches if it is in `category` (when given) and
/// carries every tag in `tags` (when given).
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
}

impl SearchFilter {
    /// Whether no condition is set (every tool matches).
    pub fn is_empty(&self) -> bool {
        self.category.is_none() && self.tags.is_none()
    }
}

/// The embedding of a tool together with its provenance.
pub struct StoredEmbedding<'a> {
    pub embedding: &'a Embedding,
    pub model: &'a str,
    pub text_hash: &'a str,
}

/// A tool as `list_tools` shows it.
#[derive(Debug)]
pub struct ToolSummary {
    pub name: String,
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
    /// The stored JSON text, passed through to the response without being parsed.
    pub input_schema: Box<RawValue>,
    pub version: String,
    pub created_at: DateTime<Utc>,
    /// The upstream server the tool came from (its `config.upstream.server`).
    pub server: Option<String>,
}

/// One finished call, to be written to the history.
#[derive(Debug, Clone)]
pub struct ExecutionRecord {
    pub tool_id: Option<i64>,
    pub tool_name: String,
    pub input: Value,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub success: bool,
    pub duration_ms: i64,
    /// The outcome class when the call failed (`tool_error`, `timeout`, ...).
    pub error_kind: Option<String>,
    pub request_id: Option<String>,
    pub caller: Option<String>,
}

/// A row of the history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredExecution {
    pub id: i64,
    pub tool_name: String,
    pub input_data: Value,
    pub output_data: Option<Value>,
    pub error: Option<String>,
    pub error_kind: Option<String>,
    pub success: bool,
    pub duration_ms: i64,
    pub request_id: Option<String>,
    pub caller: Option<String>,
    pub executed_at: DateTime<Utc>,
}

/// Which rows a history listing keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeFilter {
    All,
    Success,
    Failure,
    /// Failures of one kind (`tool_error`, `timeout`, ...).
    Kind(String),
}

/// Which rows a history listing keeps: an outcome, and optionally one caller's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryFilter {
    pub outcome: OutcomeFilter,
    /// `key:<id>` or `oidc:<subject>`, as recorded.
    pub caller: Option<String>,
}

impl Default for HistoryFilter {
    fn default() -> Self {
        Self {
            outcome: OutcomeFilter::All,
            caller: None,
        }
    }
}

/// Call figures over a window.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ExecutionStats {
    pub calls: i64,
    pub successes: i64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// A tool as the search index reads it: the tool and its stored embedding, if any.
#[derive(Debug, Clone)]
pub struct IndexRow {
    pub tool: Tool,
    pub embedding: Option<Vec<f32>>,
}

/// What the change log holds after a position (see [`Store::changes_since`]).
///
/// [`Store::changes_since`]: crate::store::Store::changes_since
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangesSince {
    /// The tools written after the position, in commit order (an id may repeat), and the
    /// position of the last one; no ids means nothing was written since.
    Changed { ids: Vec<i64>, upto: i64 },
    /// The log no longer reaches back to the position (it was pruned), or says that
    /// everything may have changed (a `TRUNCATE`): whoever follows it must reload.
    Reload,
}

impl ChangesSince {
    /// Reads a page of the log, `(seq, tool id)` in order, from a reader at `after`: a `None`
    /// id is a `TRUNCATE` (everything changed), and a reader below `horizon` (the last entry
    /// pruned) has missed entries.
    pub(crate) fn from_log(after: i64, horizon: i64, rows: Vec<(i64, Option<i64>)>) -> Self {
        if after < horizon || rows.iter().any(|(_, id)| id.is_none()) {
            return ChangesSince::Reload;
        }
        let upto = rows.last().map_or(after, |(seq, _)| *seq);
        ChangesSince::Changed {
            ids: rows.into_iter().filter_map(|(_, id)| id).collect(),
            upto,
        }
    }
}

/// What the store knows about an existing tool's embedding.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmbeddingState {
    pub id: i64,
    pub name: String,
    pub embedding_model: Option<String>,
    pub embedding_hash: Option<String>,
    pub has_embedding: bool,
}

/// The fields a re-embedding needs, read in pages by id.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReindexRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub long_description: Option<String>,
    pub tags: Vec<String>,
    pub examples: Vec<String>,
    /// Its parameter names and descriptions are part of the embedded text.
    pub input_schema: serde_json::Value,
    pub embedding_model: Option<String>,
    pub embedding_hash: Option<String>,
    pub has_embedding: bool,
    /// Guards the write: a row edited since it was read is left to its editor.
    pub updated_at: DateTime<Utc>,
}

/// The one staleness rule: a stored embedding is current when there is one, it was computed
/// from the text whose hash is `hash`, and `model` made it. `model: None` accepts any model
/// (for the built-ins at startup: a model change is `toolbox reindex`'s to renew).
pub fn embedding_is_current(
    has_embedding: bool,
    stored_model: Option<&str>,
    stored_hash: Option<&str>,
    model: Option<&str>,
    hash: &str,
) -> bool {
    has_embedding && stored_hash == Some(hash) && model.is_none_or(|m| stored_model == Some(m))
}

impl EmbeddingState {
    /// Whether this tool's embedding is current ([`embedding_is_current`]).
    pub fn is_current(&self, model: Option<&str>, hash: &str) -> bool {
        embedding_is_current(
            self.has_embedding,
            self.embedding_model.as_deref(),
            self.embedding_hash.as_deref(),
            model,
            hash,
        )
    }
}

impl ReindexRow {
    /// Whether this row's embedding is current ([`embedding_is_current`]).
    pub fn is_current(&self, model: Option<&str>, hash: &str) -> bool {
        embedding_is_current(
            self.has_embedding,
            self.embedding_model.as_deref(),
            self.embedding_hash.as_deref(),
            model,
            hash,
        )
    }
}

/// One tool of a bulk import; `embedding` is `None` when the stored one is still current.
pub struct BulkItem<'a> {
    pub tool: &'a NewTool,
    pub embedding: Option<StoredEmbedding<'a>>,
}
