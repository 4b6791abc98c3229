//! `Store`: the one store interface, over PostgreSQL + pgvector or the embedded SQLite file.
//!
//! `DATABASE_URL` chooses: `postgres://` for PostgreSQL, `sqlite://PATH` (or nothing) for
//! SQLite. Both implement the same methods with the same meaning, so the registry, the
//! search fusion, the executor and the APIs never know which one is underneath.

use secrecy::ExposeSecret;

use super::sqlite::SqliteStore;
use super::{
    BulkItem, Candidate, CandidateQuery, EmbeddingState, ExecutionRecord, ExecutionStats,
    MigrateError, OutcomeFilter, PgStore, ReindexRow, SearchFilter, StoreError, StoredEmbedding,
    StoredExecution, ToolSummary,
};
use crate::config::DatabaseConfig;
use crate::domain::{Embedding, NewTool, Tool};

/// The store, PostgreSQL or SQLite. Cheap to clone: each variant wraps connection pools.
#[derive(Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "one Store per process, cloned only when the app is built"
)]
pub enum Store {
    Postgres(PgStore),
    Sqlite(SqliteStore),
}

/// A pool's connections: open, and idle among them.
#[derive(Debug, Clone, Copy)]
pub struct PoolUsage {
    pub size: u32,
    pub idle: u32,
}

impl PoolUsage {
    fn of<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> Self {
        Self {
            size: pool.size(),
            idle: pool.num_idle() as u32,
        }
    }
}

/// Calls the same method on whichever backend is in use.
macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            Store::Postgres($s) => $call,
            Store::Sqlite($s) => $call,
        }
    };
}

impl Store {
    /// Opens the store `cfg.url` names (lazily: nothing is connected until first use).
    pub fn connect(cfg: &DatabaseConfig) -> Result<Self, StoreError> {
        let url = cfg.url.expose_secret();
        if url.starts_with("sqlite:") {
            Ok(Store::Sqlite(SqliteStore::open(url, cfg)?))
        } else {
            Ok(Store::Postgres(PgStore::connect(cfg)?))
        }
    }

    /// `postgresql` or `sqlite`, for logs and `/ready`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Postgres(_) => "postgresql",
            Store::Sqlite(_) => "sqlite",
        }
    }

    /// The PostgreSQL store, for what only PostgreSQL offers.
    pub fn postgres(&self) -> Option<&PgStore> {
        match self {
            Store::Postgres(s) => Some(s),
            Store::Sqlite(_) => None,
        }
    }

    /// Connections open and idle now (for the SQLite store, its readers').
    pub fn pool_usage(&self) -> PoolUsage {
        match self {
            Store::Postgres(s) => PoolUsage::of(s.pool()),
            Store::Sqlite(s) => PoolUsage::of(s.reader_pool()),
        }
    }

    /// Closes the pools: waits for connections in use, so buffered writes go out first.
    pub async fn close(&self) {
        match self {
            Store::Postgres(s) => s.pool().close().await,
            Store::Sqlite(s) => s.close().await,
        }
    }

    /// Opens one connection, so a startup failure reports the real cause.
    pub async fn check_connection(&self) -> Result<(), sqlx::Error> {
        dispatch!(self, s => s.check_connection().await)
    }

    /// Applies pending migrations and fixes the embedding dimension to `dimension`.
    pub async fn migrate(
        &self,
        cfg: &DatabaseConfig,
        dimension: usize,
    ) -> Result<(), MigrateError> {
        match self {
            Store::Postgres(s) => {
                super::schema::migrate(s.pool(), dimension, cfg.hnsw_m, cfg.hnsw_ef_construction)
                    .await
            }
            Store::Sqlite(s) => super::sqlite::migrate(s, dimension).await,
        }
    }

    /// Whether every migration this binary knows has been applied (for `/ready`).
    pub async fn is_up_to_date(&self) -> Result<bool, StoreError> {
        match self {
            Store::Postgres(s) => super::schema::is_up_to_date(s.pool()).await,
            Store::Sqlite(s) => super::sqlite::is_up_to_date(s).await,
        }
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    /// Inserts a tool; a duplicate name is `StoreError::Conflict`.
    pub async fn insert_tool(
        &self,
        tool: &NewTool,
        emb: StoredEmbedding<'_>,
    ) -> Result<Tool, StoreError> {
        dispatch!(self, s => s.insert_tool(tool, emb).await)
    }

    /// Looks a tool up by name.
    pub async fn get_tool(&self, name: &str) -> Result<Option<Tool>, StoreError> {
        dispatch!(self, s => s.get_tool(name).await)
    }

    /// The hash of the text a tool's embedding was computed from.
    pub async fn embedding_hash(&self, id: i64) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.embedding_hash(id).await)
    }

    /// Replaces a tool's definition; the embedding only when `emb` is given.
    pub async fn update_tool(
        &self,
        id: i64,
        tool: &NewTool,
        emb: Option<StoredEmbedding<'_>>,
    ) -> Result<Option<Tool>, StoreError> {
        dispatch!(self, s => s.update_tool(id, tool, emb).await)
    }

    /// Deletes a tool by name; `false` if there was none.
    pub async fn delete_tool(&self, name: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.delete_tool(name).await)
    }

    /// Lists tools by name, filtered.
    pub async fn list_tools(&self, filter: &SearchFilter) -> Result<Vec<Tool>, StoreError> {
        dispatch!(self, s => s.list_tools(filter).await)
    }

    /// What `list_tools` shows of each tool, filtered.
    pub async fn list_tool_summaries(
        &self,
        filter: &SearchFilter,
    ) -> Result<Vec<ToolSummary>, StoreError> {
        dispatch!(self, s => s.list_tool_summaries(filter).await)
    }

    /// Up to `limit` tools whose name sorts after `after`, by name.
    pub async fn list_tools_after(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Tool>, StoreError> {
        dispatch!(self, s => s.list_tools_after(after, limit).await)
    }

    /// Each category with its number of tools, largest first.
    pub async fn category_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        dispatch!(self, s => s.category_counts().await)
    }

    /// The `limit` tools nearest to `query` that pass `filter`, above `threshold`, best first.
    pub async fn search(
        &self,
        query: &Embedding,
        filter: &SearchFilter,
        limit: i64,
        threshold: f32,
        exclude_id: Option<i64>,
    ) -> Result<Vec<(Tool, f32)>, StoreError> {
        dispatch!(self, s => s.search(query, filter, limit, threshold, exclude_id).await)
    }

    /// The union of the nearest tools and the best full-text matches, for fusion.
    pub async fn search_candidates(
        &self,
        q: &CandidateQuery<'_>,
    ) -> Result<Vec<Candidate>, StoreError> {
        dispatch!(self, s => s.search_candidates(q).await)
    }

    /// A tool's stored embedding, to search for its neighbours.
    pub async fn tool_embedding(
        &self,
        id: i64,
        dimension: usize,
    ) -> Result<Option<Embedding>, StoreError> {
        dispatch!(self, s => s.tool_embedding(id, dimension).await)
    }

    /// Writes a batch of execution rows in one transaction and returns their ids, in order.
    pub async fn insert_executions(
        &self,
        recs: &[ExecutionRecord],
    ) -> Result<Vec<i64>, StoreError> {
        dispatch!(self, s => s.insert_executions(recs).await)
    }

    /// A page of a tool's history, newest first, with ids below `before`.
    pub async fn list_executions(
        &self,
        tool_name: &str,
        outcome: &OutcomeFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredExecution>, StoreError> {
        dispatch!(self, s => s.list_executions(tool_name, outcome, before, limit).await)
    }

    /// One execution by id.
    pub async fn get_execution(&self, id: i64) -> Result<Option<StoredExecution>, StoreError> {
        dispatch!(self, s => s.get_execution(id).await)
    }

    /// Whether any history exists under `tool_name`.
    pub async fn has_executions(&self, tool_name: &str) -> Result<bool, StoreError> {
        dispatch!(self, s => s.has_executions(tool_name).await)
    }

    /// Calls, successes and duration percentiles of a tool over the last `window_secs`.
    pub async fn execution_stats(
        &self,
        tool_name: &str,
        window_secs: i64,
    ) -> Result<ExecutionStats, StoreError> {
        dispatch!(self, s => s.execution_stats(tool_name, window_secs).await)
    }

    /// Deletes up to `batch` rows older than `days` days; returns how many went.
    pub async fn prune_executions(&self, days: u32, batch: i64) -> Result<u64, StoreError> {
        dispatch!(self, s => s.prune_executions(days, batch).await)
    }

    /// Writes one execution row and returns its id.
    pub async fn insert_execution(&self, rec: &ExecutionRecord) -> Result<i64, StoreError> {
        dispatch!(self, s => s.insert_execution(rec).await)
    }

    /// The most recent executions of a tool, newest first.
    pub async fn recent_executions(
        &self,
        tool_name: &str,
        limit: i64,
    ) -> Result<Vec<StoredExecution>, StoreError> {
        dispatch!(self, s => s.recent_executions(tool_name, limit).await)
    }

    /// Embedding provenance of the tools named in `names`.
    pub async fn embedding_states(
        &self,
        names: &[String],
    ) -> Result<Vec<EmbeddingState>, StoreError> {
        dispatch!(self, s => s.embedding_states(names).await)
    }

    /// Writes every item in one transaction: all or nothing.
    pub async fn write_bulk(
        &self,
        items: &[BulkItem<'_>],
        upsert: bool,
    ) -> Result<Vec<bool>, StoreError> {
        dispatch!(self, s => s.write_bulk(items, upsert).await)
    }

    /// Number of tools.
    pub async fn count_tools(&self) -> Result<i64, StoreError> {
        dispatch!(self, s => s.count_tools().await)
    }

    /// Up to `limit` tools with `id > after`, by id.
    pub async fn reindex_page(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ReindexRow>, StoreError> {
        dispatch!(self, s => s.reindex_page(after, limit).await)
    }

    /// Stores new embeddings for rows read by [`Store::reindex_page`], skipping edited rows.
    pub async fn set_embeddings(
        &self,
        rows: &[(&ReindexRow, &Embedding, &str)],
        model: &str,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.set_embeddings(rows, model).await)
    }
}
