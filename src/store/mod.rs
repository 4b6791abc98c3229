//! The store: [`trait Store`](Store), implemented by PostgreSQL + pgvector ([`postgres`]) and
//! by the embedded SQLite file ([`sqlite`]); the types both share are in [`types`].
//!
//! `DATABASE_URL` chooses, in [`connect`] and nowhere else: `postgres://` for PostgreSQL,
//! `sqlite://PATH` for SQLite. Both implement the same methods with the same meaning, so the
//! registry, the search fusion, the executor and the APIs never know which one is underneath.
//! Errors become [`StoreError`] here, so a unique-key violation reaches the registry as
//! `Conflict`, never as a raw database error.

pub(crate) mod key_rows;
mod paging;
mod postgres;
mod scratch;
mod server_rows;
mod snapshot;
pub mod sqlite;
mod types;

use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;
use secrecy::ExposeSecret;

pub use postgres::{PgStore, TOOLS_CHANGED_CHANNEL};
pub use scratch::ScratchDatabase;
pub use snapshot::{
    ExecutionRecordRow, ExportOptions, KeyRecord, ServerRecord, Snapshot, SnapshotCounts,
    SnapshotMeta, SnapshotRecord, SnapshotSink, ToolRecord,
};
pub use types::{
    BulkItem, ChangesSince, EmbeddingState, ExecutionRecord, ExecutionStats, HistoryFilter,
    IndexRow, MigrateError, OutcomeFilter, PoolUsage, ReindexRow, SearchFilter, StoreError,
    StoredEmbedding, StoredExecution, ToolSummary, embedding_is_current,
};

use crate::config::DatabaseConfig;
use crate::domain::{Embedding, ManagedKey, NewServer, NewTool, Tool, UpstreamServer};

/// Opens the store `cfg.url` names (lazily: nothing is connected until first use).
pub fn connect(cfg: &DatabaseConfig) -> Result<Arc<dyn Store>, StoreError> {
    let url = cfg.url.expose_secret();
    if is_sqlite(url) {
        Ok(Arc::new(sqlite::SqliteStore::open(url, cfg)?))
    } else {
        Ok(Arc::new(PgStore::connect(cfg)?))
    }
}

/// Opens the store `cfg.url` names to read what is there (`toolbox export --from`): an
/// SQLite file that does not exist is an error rather than a new empty database.
pub fn connect_existing(cfg: &DatabaseConfig) -> Result<Arc<dyn Store>, StoreError> {
    let url = cfg.url.expose_secret();
    if is_sqlite(url) {
        Ok(Arc::new(sqlite::SqliteStore::open_existing(url, cfg)?))
    } else {
        connect(cfg)
    }
}

/// Whether `url` names the embedded SQLite store (anything else is PostgreSQL): the one
/// place that reads the URL's scheme.
fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// One store interface over both backends.
#[async_trait]
pub trait Store: Send + Sync {
    /// `postgresql` or `sqlite`, for logs and `/ready`.
    fn backend(&self) -> &'static str;

    /// Says at startup which store is in use and what it cannot do, rather than at a request.
    fn log_startup(&self);

    /// Connections open and idle now (for the SQLite store, its readers').
    fn pool_usage(&self) -> PoolUsage;

    /// Closes the pools: waits for connections in use, so buffered writes go out first.
    async fn close(&self);

    /// Opens one connection, so a startup failure reports the real cause.
    async fn check_connection(&self) -> Result<(), sqlx::Error>;

    /// Applies pending migrations and fixes the embedding dimension to `dimension`.
    async fn migrate(&self, cfg: &DatabaseConfig, dimension: usize) -> Result<(), MigrateError>;

    /// Whether every migration this binary knows has been applied (for `/ready`).
    async fn is_up_to_date(&self) -> Result<bool, StoreError>;

    /// Whether the database answers a trivial query.
    async fn ping(&self) -> Result<(), StoreError>;

    /// One item after every committed change to the catalogue of tools (and once after a
    /// reconnect, when changes may have been missed), until the stream is dropped. Items carry
    /// no data: a reader that falls behind misses nothing but repeats. Must be called inside a
    /// Tokio runtime.
    fn changes(&self) -> BoxStream<'static, ()>;

    /// Inserts a tool; a duplicate name is `StoreError::Conflict`.
    async fn insert_tool(
        &self,
        tool: &NewTool,
        emb: StoredEmbedding<'_>,
    ) -> Result<Tool, StoreError>;

    /// Looks a tool up by name.
    async fn get_tool(&self, name: &str) -> Result<Option<Tool>, StoreError>;

    /// The hash of the text a tool's embedding was computed from.
    async fn embedding_hash(&self, id: i64) -> Result<Option<String>, StoreError>;

    /// Replaces a tool's definition; the embedding only when `emb` is given.
    async fn update_tool(
        &self,
        id: i64,
        tool: &NewTool,
        emb: Option<StoredEmbedding<'_>>,
    ) -> Result<Option<Tool>, StoreError>;

    /// Deletes a tool by name; `false` if there was none.
    async fn delete_tool(&self, name: &str) -> Result<bool, StoreError>;

    /// Lists tools by name, filtered.
    async fn list_tools(&self, filter: &SearchFilter) -> Result<Vec<Tool>, StoreError>;

    /// What `list_tools` shows of each tool, filtered.
    async fn list_tool_summaries(
        &self,
        filter: &SearchFilter,
    ) -> Result<Vec<ToolSummary>, StoreError>;

    /// Up to `limit` tools whose name sorts after `after`, by name.
    async fn list_tools_after(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Tool>, StoreError>;

    /// Up to `limit` tools passing `filter` whose name sorts after `after`, by name (keyset:
    /// a page neither repeats nor skips a tool when others are added or removed meanwhile).
    async fn list_tools_page(
        &self,
        filter: &SearchFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Tool>, StoreError>;

    /// What [`Store::list_tool_summaries`] shows, a keyset page at a time like
    /// [`Store::list_tools_page`].
    async fn list_tool_summaries_page(
        &self,
        filter: &SearchFilter,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ToolSummary>, StoreError>;

    /// Each category with its number of tools, largest first.
    async fn category_counts(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Tools by id, in no particular order; ids without a tool are left out.
    async fn tools_by_ids(&self, ids: &[i64]) -> Result<Vec<Tool>, StoreError>;

    /// The position of the newest entry of the change log (0 when it is empty). Every tool
    /// written by a transaction committed before this call has an entry at or below it.
    async fn change_position(&self) -> Result<i64, StoreError>;

    /// Up to `limit` entries of the change log after `after`, in commit order.
    async fn changes_since(&self, after: i64, limit: i64) -> Result<ChangesSince, StoreError>;

    /// Forgets change-log entries older than `older_than`, always keeping the newest; a
    /// reader further behind is told to reload. Returns how many went.
    async fn prune_changes(&self, older_than: std::time::Duration) -> Result<u64, StoreError>;

    /// Up to `limit` tools with `id > after`, by id, with their embeddings: a page of a
    /// full load of the search index.
    async fn index_rows_after(&self, after: i64, limit: i64) -> Result<Vec<IndexRow>, StoreError>;

    /// The tools among `ids` that exist, with their embeddings.
    async fn index_rows(&self, ids: &[i64]) -> Result<Vec<IndexRow>, StoreError>;

    /// Writes a batch of execution rows in one transaction and returns their ids, in order.
    async fn insert_executions(&self, recs: &[ExecutionRecord]) -> Result<Vec<i64>, StoreError>;

    /// Writes one execution row and returns its id.
    async fn insert_execution(&self, rec: &ExecutionRecord) -> Result<i64, StoreError> {
        let ids = self.insert_executions(std::slice::from_ref(rec)).await?;
        Ok(ids.first().copied().unwrap_or_default())
    }

    /// A page of a tool's history, newest first, with ids below `before`.
    async fn list_executions(
        &self,
        tool_name: &str,
        filter: &HistoryFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredExecution>, StoreError>;

    /// The most recent executions of a tool, newest first.
    async fn recent_executions(
        &self,
        tool_name: &str,
        limit: i64,
    ) -> Result<Vec<StoredExecution>, StoreError> {
        self.list_executions(tool_name, &HistoryFilter::default(), None, limit)
            .await
    }

    /// One execution by id.
    async fn get_execution(&self, id: i64) -> Result<Option<StoredExecution>, StoreError>;

    /// Whether any history exists under `tool_name`.
    async fn has_executions(&self, tool_name: &str) -> Result<bool, StoreError>;

    /// Calls, successes and duration percentiles of a tool over the last `window_secs`.
    async fn execution_stats(
        &self,
        tool_name: &str,
        window_secs: i64,
    ) -> Result<ExecutionStats, StoreError>;

    /// Deletes up to `batch` rows older than `days` days; returns how many went.
    async fn prune_executions(&self, days: u32, batch: i64) -> Result<u64, StoreError>;

    /// Embedding provenance of the tools named in `names`.
    async fn embedding_states(&self, names: &[String]) -> Result<Vec<EmbeddingState>, StoreError>;

    /// Writes every item in one transaction: all or nothing.
    async fn write_bulk(
        &self,
        items: &[BulkItem<'_>],
        upsert: bool,
    ) -> Result<Vec<bool>, StoreError>;

    /// Number of tools.
    async fn count_tools(&self) -> Result<i64, StoreError>;

    /// Registers an upstream server; a name or namespace in use is `StoreError::ServerConflict`.
    async fn insert_server(&self, server: &NewServer) -> Result<UpstreamServer, StoreError>;

    /// One upstream server by name.
    async fn get_server(&self, name: &str) -> Result<Option<UpstreamServer>, StoreError>;

    /// Every upstream server, by name.
    async fn list_servers(&self) -> Result<Vec<UpstreamServer>, StoreError>;

    /// Replaces a server's settings (by its name); `None` when there is no such server.
    async fn update_server(&self, server: &NewServer)
    -> Result<Option<UpstreamServer>, StoreError>;

    /// The tools named `{namespace}__*` whose `config.upstream.server` is `server`, by name.
    async fn list_server_tools(
        &self,
        server: &str,
        namespace: &str,
    ) -> Result<Vec<Tool>, StoreError>;

    /// Deletes a server and every tool whose `config.upstream.server` names it, in one
    /// transaction; `false` if there was no such server. The tools' history is kept.
    async fn delete_server(&self, name: &str) -> Result<bool, StoreError>;

    /// Up to `limit` tools with `id > after`, by id.
    async fn reindex_page(&self, after: i64, limit: i64) -> Result<Vec<ReindexRow>, StoreError>;

    /// Stores new embeddings for rows read by [`Store::reindex_page`], skipping edited rows.
    async fn set_embeddings(
        &self,
        rows: &[(&ReindexRow, &Embedding, &str)],
        model: &str,
    ) -> Result<u64, StoreError>;

    /// Reads the whole registry in one read transaction (one snapshot of the database, so
    /// a write committed meanwhile is in it entirely or not at all) and hands it to `sink`:
    /// first what it holds, then servers, tools (by id) and, with `with_history`, the
    /// history (by id). A row that cannot be decoded fails the export: a backup is whole.
    async fn export_snapshot(
        &self,
        opts: &ExportOptions,
        sink: &mut dyn SnapshotSink,
    ) -> Result<SnapshotCounts, StoreError>;

    /// Writes `snapshot` in one transaction: all or nothing. Without `replace` the target
    /// must hold no tool and no server (nor history, when the snapshot carries history):
    /// `StoreError::NotEmpty`. With it, those are deleted first, in the same transaction.
    /// Tools keep their names, timestamps and embeddings; they go through the change log like
    /// every write, so running replicas' search indexes pick them up.
    async fn import_snapshot(
        &self,
        snapshot: &Snapshot,
        replace: bool,
    ) -> Result<SnapshotCounts, StoreError>;

    /// Stores a managed key under the digest of its secret.
    async fn insert_key(&self, key: &ManagedKey, digest: &str) -> Result<(), StoreError>;

    /// Every managed key, newest first, revoked ones included.
    async fn list_keys(&self) -> Result<Vec<ManagedKey>, StoreError>;

    /// The managed key whose secret has this digest (hex SHA-256), revoked or not.
    async fn key_by_digest(&self, digest: &str) -> Result<Option<ManagedKey>, StoreError>;

    /// Revokes an active key; `false` if there is no active key with this id.
    async fn revoke_key(
        &self,
        id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;
}

/// Implements [`Store`] for a backend whose data methods are inherent methods of the same
/// names, spread over one file per table; `$extra` holds the methods written per backend.
/// (Rust allows one `impl Store` block per type, and one file holding every query of a
/// backend would pass 1,000 lines.)
macro_rules! forward_store_methods {
    ($t:ty { $($extra:tt)* }) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $t {
            $($extra)*

            async fn check_connection(&self) -> Result<(), sqlx::Error> {
                <$t>::check_connection(self).await
            }
            async fn ping(&self) -> Result<(), $crate::store::StoreError> {
                <$t>::ping(self).await
            }
            async fn insert_tool(&self, tool: &$crate::domain::NewTool, emb: $crate::store::StoredEmbedding<'_>) -> Result<$crate::domain::Tool, $crate::store::StoreError> {
                <$t>::insert_tool(self, tool, emb).await
            }
            async fn get_tool(&self, name: &str) -> Result<Option<$crate::domain::Tool>, $crate::store::StoreError> {
                <$t>::get_tool(self, name).await
            }
            async fn embedding_hash(&self, id: i64) -> Result<Option<String>, $crate::store::StoreError> {
                <$t>::embedding_hash(self, id).await
            }
            async fn update_tool(&self, id: i64, tool: &$crate::domain::NewTool, emb: Option<$crate::store::StoredEmbedding<'_>>) -> Result<Option<$crate::domain::Tool>, $crate::store::StoreError> {
                <$t>::update_tool(self, id, tool, emb).await
            }
            async fn delete_tool(&self, name: &str) -> Result<bool, $crate::store::StoreError> {
                <$t>::delete_tool(self, name).await
            }
            async fn list_tools(&self, filter: &$crate::store::SearchFilter) -> Result<Vec<$crate::domain::Tool>, $crate::store::StoreError> {
                <$t>::list_tools(self, filter).await
            }
            async fn list_tool_summaries(&self, filter: &$crate::store::SearchFilter) -> Result<Vec<$crate::store::ToolSummary>, $crate::store::StoreError> {
                <$t>::list_tool_summaries(self, filter).await
            }
            async fn list_tools_after(&self, after: Option<&str>, limit: i64) -> Result<Vec<$crate::domain::Tool>, $crate::store::StoreError> {
                <$t>::list_tools_after(self, after, limit).await
            }
            async fn list_tools_page(&self, filter: &$crate::store::SearchFilter, after: Option<&str>, limit: i64) -> Result<Vec<$crate::domain::Tool>, $crate::store::StoreError> {
                <$t>::list_tools_page(self, filter, after, limit).await
            }
            async fn list_tool_summaries_page(&self, filter: &$crate::store::SearchFilter, after: Option<&str>, limit: i64) -> Result<Vec<$crate::store::ToolSummary>, $crate::store::StoreError> {
                <$t>::list_tool_summaries_page(self, filter, after, limit).await
            }
            async fn category_counts(&self) -> Result<Vec<(String, i64)>, $crate::store::StoreError> {
                <$t>::category_counts(self).await
            }
            async fn tools_by_ids(&self, ids: &[i64]) -> Result<Vec<$crate::domain::Tool>, $crate::store::StoreError> {
                <$t>::tools_by_ids(self, ids).await
            }
            async fn change_position(&self) -> Result<i64, $crate::store::StoreError> {
                <$t>::change_position(self).await
            }
            async fn changes_since(&self, after: i64, limit: i64) -> Result<$crate::store::ChangesSince, $crate::store::StoreError> {
                <$t>::changes_since(self, after, limit).await
            }
            async fn prune_changes(&self, older_than: std::time::Duration) -> Result<u64, $crate::store::StoreError> {
                <$t>::prune_changes(self, older_than).await
            }
            async fn index_rows_after(&self, after: i64, limit: i64) -> Result<Vec<$crate::store::IndexRow>, $crate::store::StoreError> {
                <$t>::index_rows_after(self, after, limit).await
            }
            async fn index_rows(&self, ids: &[i64]) -> Result<Vec<$crate::store::IndexRow>, $crate::store::StoreError> {
                <$t>::index_rows(self, ids).await
            }
            async fn insert_executions(&self, recs: &[$crate::store::ExecutionRecord]) -> Result<Vec<i64>, $crate::store::StoreError> {
                <$t>::insert_executions(self, recs).await
            }
            async fn list_executions(&self, tool_name: &str, filter: &$crate::store::HistoryFilter, before: Option<i64>, limit: i64) -> Result<Vec<$crate::store::StoredExecution>, $crate::store::StoreError> {
                <$t>::list_executions(self, tool_name, filter, before, limit).await
            }
            async fn get_execution(&self, id: i64) -> Result<Option<$crate::store::StoredExecution>, $crate::store::StoreError> {
                <$t>::get_execution(self, id).await
            }
            async fn has_executions(&self, tool_name: &str) -> Result<bool, $crate::store::StoreError> {
                <$t>::has_executions(self, tool_name).await
            }
            async fn execution_stats(&self, tool_name: &str, window_secs: i64) -> Result<$crate::store::ExecutionStats, $crate::store::StoreError> {
                <$t>::execution_stats(self, tool_name, window_secs).await
            }
            async fn prune_executions(&self, days: u32, batch: i64) -> Result<u64, $crate::store::StoreError> {
                <$t>::prune_executions(self, days, batch).await
            }
            async fn embedding_states(&self, names: &[String]) -> Result<Vec<$crate::store::EmbeddingState>, $crate::store::StoreError> {
                <$t>::embedding_states(self, names).await
            }
            async fn write_bulk(&self, items: &[$crate::store::BulkItem<'_>], upsert: bool) -> Result<Vec<bool>, $crate::store::StoreError> {
                <$t>::write_bulk(self, items, upsert).await
            }
            async fn count_tools(&self) -> Result<i64, $crate::store::StoreError> {
                <$t>::count_tools(self).await
            }
            async fn insert_server(&self, server: &$crate::domain::NewServer) -> Result<$crate::domain::UpstreamServer, $crate::store::StoreError> {
                <$t>::insert_server(self, server).await
            }
            async fn get_server(&self, name: &str) -> Result<Option<$crate::domain::UpstreamServer>, $crate::store::StoreError> {
                <$t>::get_server(self, name).await
            }
            async fn list_servers(&self) -> Result<Vec<$crate::domain::UpstreamServer>, $crate::store::StoreError> {
                <$t>::list_servers(self).await
            }
            async fn update_server(&self, server: &$crate::domain::NewServer) -> Result<Option<$crate::domain::UpstreamServer>, $crate::store::StoreError> {
                <$t>::update_server(self, server).await
            }
            async fn list_server_tools(&self, server: &str, namespace: &str) -> Result<Vec<$crate::domain::Tool>, $crate::store::StoreError> {
                <$t>::list_server_tools(self, server, namespace).await
            }
            async fn delete_server(&self, name: &str) -> Result<bool, $crate::store::StoreError> {
                <$t>::delete_server(self, name).await
            }
            async fn reindex_page(&self, after: i64, limit: i64) -> Result<Vec<$crate::store::ReindexRow>, $crate::store::StoreError> {
                <$t>::reindex_page(self, after, limit).await
            }
            async fn set_embeddings(&self, rows: &[(&$crate::store::ReindexRow, &$crate::domain::Embedding, &str)], model: &str) -> Result<u64, $crate::store::StoreError> {
                <$t>::set_embeddings(self, rows, model).await
            }
            async fn export_snapshot(&self, opts: &$crate::store::ExportOptions, sink: &mut dyn $crate::store::SnapshotSink) -> Result<$crate::store::SnapshotCounts, $crate::store::StoreError> {
                <$t>::export_snapshot(self, opts, sink).await
            }
            async fn import_snapshot(&self, snapshot: &$crate::store::Snapshot, replace: bool) -> Result<$crate::store::SnapshotCounts, $crate::store::StoreError> {
                <$t>::import_snapshot(self, snapshot, replace).await
            }
            async fn insert_key(&self, key: &$crate::domain::ManagedKey, digest: &str) -> Result<(), $crate::store::StoreError> {
                <$t>::insert_key(self, key, digest).await
            }
            async fn list_keys(&self) -> Result<Vec<$crate::domain::ManagedKey>, $crate::store::StoreError> {
                <$t>::list_keys(self).await
            }
            async fn key_by_digest(&self, digest: &str) -> Result<Option<$crate::domain::ManagedKey>, $crate::store::StoreError> {
                <$t>::key_by_digest(self, digest).await
            }
            async fn revoke_key(&self, id: &str, at: chrono::DateTime<chrono::Utc>) -> Result<bool, $crate::store::StoreError> {
                <$t>::revoke_key(self, id, at).await
            }
        }
    };
}
use forward_store_methods;

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
