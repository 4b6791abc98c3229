//! Export and import of the whole registry on the embedded store (see
//! [`crate::store::Snapshot`]). The export is one read transaction on a reader connection:
//! in WAL mode it sees the database as of its first read until it ends, whatever the writer
//! commits meanwhile. The import is one transaction on the writer.

use std::collections::HashMap;

use sqlx::types::Json;
use sqlx::{Acquire, AssertSqlSafe, Sqlite, Transaction};

use super::tools::{Row as ToolRow, TOOL_COLUMNS, tags_in};
use super::{SqliteStore, timestamp, vector_blob, vector_from_blob};
use crate::domain::{Tool, UpstreamServer};
use crate::store::key_rows::{KEY_COLUMNS, KeyExportRow};
use crate::store::server_rows::{SERVER_COLUMNS, ServerRow};
use crate::store::{
    ExecutionRecordRow, ExportOptions, Snapshot, SnapshotCounts, SnapshotMeta, SnapshotRecord,
    SnapshotSink, StoreError, ToolRecord,
};

/// Rows read per page inside the export's transaction.
const PAGE: i64 = 500;

#[derive(sqlx::FromRow)]
struct ExportToolRow {
    #[sqlx(flatten)]
    tool: ToolRow,
    embedding: Option<Vec<u8>>,
    embedding_model: Option<String>,
    embedding_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ExportExecutionRow {
    id: i64,
    #[sqlx(flatten)]
    row: ExecutionRecordRow,
}

fn sink_err(e: std::io::Error) -> StoreError {
    StoreError::Sink(e)
}

impl SqliteStore {
    pub async fn export_snapshot(
        &self,
        opts: &ExportOptions,
        sink: &mut dyn SnapshotSink,
    ) -> Result<SnapshotCounts, StoreError> {
        let mut conn = self.reader.acquire().await?;
        let mut tx = conn.begin().await?;
        let (tools, servers, keys): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM tools), (SELECT count(*) FROM upstream_servers), \
                    (SELECT count(*) FROM api_keys)",
        )
        .fetch_one(&mut *tx)
        .await?;
        let executions: i64 = if opts.with_history {
            sqlx::query_scalar("SELECT count(*) FROM tool_executions")
                .fetch_one(&mut *tx)
                .await?
        } else {
            0
        };
        // A scan of `tools` (an export reads every row anyway).
        let model: Option<Option<String>> = sqlx::query_scalar(
            "SELECT embedding_model FROM tools WHERE embedding IS NOT NULL \
             GROUP BY embedding_model ORDER BY count(*) DESC, embedding_model LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let dimension: Option<i64> = sqlx::query_scalar(
            "SELECT length(embedding) / 4 FROM tools WHERE embedding IS NOT NULL LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let counts = SnapshotCounts {
            tools: tools as u64,
            servers: servers as u64,
            executions: executions as u64,
            keys: keys as u64,
        };
        sink.begin(&SnapshotMeta {
            backend: "sqlite",
            embedding_model: model.flatten(),
            embedding_dimension: dimension.map(|d| d as usize),
            counts,
        })
        .map_err(sink_err)?;

        let sql = format!("SELECT {SERVER_COLUMNS} FROM upstream_servers ORDER BY name");
        let rows: Vec<ServerRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&mut *tx)
            .await?;
        for row in rows {
            let server = UpstreamServer::from(row);
            sink.record(&SnapshotRecord::Server(server.into()))
                .map_err(sink_err)?;
        }

        // A handful of rows; digests only, never a secret.
        let sql = format!("SELECT digest, {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id");
        let rows: Vec<KeyExportRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&mut *tx)
            .await?;
        for row in rows {
            sink.record(&SnapshotRecord::Key(row.into()))
                .map_err(sink_err)?;
        }

        let embedding = if opts.without_embeddings {
            "NULL"
        } else {
            "t.embedding"
        };
        // Primary key range scans, a page at a time.
        let sql = format!(
            "SELECT {TOOL_COLUMNS}, {embedding} AS embedding, t.embedding_model, \
             t.embedding_hash FROM tools t WHERE t.id > ?1 ORDER BY t.id LIMIT ?2"
        );
        let mut after = 0;
        loop {
            let page: Vec<ExportToolRow> = sqlx::query_as(AssertSqlSafe(sql.as_str()))
                .bind(after)
                .bind(PAGE)
                .fetch_all(&mut *tx)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.tool.id();
            for r in page {
                let record = ToolRecord::of(
                    Tool::from(r.tool),
                    r.embedding.map(|b| vector_from_blob(&b)),
                    r.embedding_model,
                    r.embedding_hash,
                );
                sink.record(&SnapshotRecord::Tool(record))
                    .map_err(sink_err)?;
            }
        }

        if opts.with_history {
            let mut after = 0;
            loop {
                let page: Vec<ExportExecutionRow> = sqlx::query_as(
                    "SELECT id, tool_name, tool_id IS NOT NULL AS linked, input_data, output_data, \
                     error, error_kind, success, duration_ms, request_id, caller, executed_at \
                     FROM tool_executions WHERE id > ?1 ORDER BY id LIMIT ?2",
                )
                .bind(after)
                .bind(PAGE * 4)
                .fetch_all(&mut *tx)
                .await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for r in page {
                    sink.record(&SnapshotRecord::Execution(r.row))
                        .map_err(sink_err)?;
                }
            }
        }
        tx.commit().await?;
        Ok(counts)
    }

    pub async fn import_snapshot(
        &self,
        snap: &Snapshot,
        replace: bool,
    ) -> Result<SnapshotCounts, StoreError> {
        let mut tx = self.writer.begin().await?;
        if replace {
            // Tags go with their tools (ON DELETE CASCADE); the change log records each.
            sqlx::query("DELETE FROM tools").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM upstream_servers")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM api_keys")
                .execute(&mut *tx)
                .await?;
            if snap.with_history {
                sqlx::query("DELETE FROM tool_executions")
                    .execute(&mut *tx)
                    .await?;
            }
        } else {
            let (tools, servers, executions, keys): (i64, i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM tools), (SELECT count(*) FROM upstream_servers), \
                        (SELECT count(*) FROM tool_executions), (SELECT count(*) FROM api_keys)",
            )
            .fetch_one(&mut *tx)
            .await?;
            let executions = if snap.with_history { executions } else { 0 };
            if tools + servers + executions + keys > 0 {
                return Err(StoreError::NotEmpty(format!(
                    "the target database already holds {tools} tools, {servers} servers, {keys} API keys and \
                     {executions} history rows"
                )));
            }
        }
        for s in &snap.servers {
            sqlx::query(
                "INSERT INTO upstream_servers (name, url, headers, namespace, include, exclude, \
                 category, refresh_interval_s, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .bind(&s.name)
            .bind(&s.url)
            .bind(Json(&s.headers))
            .bind(&s.namespace)
            .bind(Json(&s.include))
            .bind(Json(&s.exclude))
            .bind(&s.category)
            .bind(s.refresh_interval_s as i64)
            .bind(timestamp(s.created_at))
            .bind(timestamp(s.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict(e, &s.name))?;
        }
        for k in &snap.keys {
            sqlx::query(
                "INSERT INTO api_keys (id, digest, label, role, tools, created_at, expires_at, \
                 revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .bind(&k.key.id)
            .bind(&k.digest)
            .bind(&k.key.label)
            .bind(k.key.role.as_str())
            .bind(k.key.tools.as_ref().map(Json))
            .bind(timestamp(k.key.created_at))
            .bind(k.key.expires_at.map(timestamp))
            .bind(k.key.revoked_at.map(timestamp))
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict(e, &k.key.id))?;
        }
        let ids = insert_tools(&mut tx, &snap.tools).await?;
        insert_history(&mut tx, &snap.executions, &ids).await?;
        tx.commit().await?;
        if !snap.tools.is_empty() || replace {
            self.tools_changed();
        }
        Ok(snap.counts())
    }
}

/// A duplicate in the file itself (the target was empty or emptied).
fn conflict(e: sqlx::Error, name: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::NotEmpty(format!("the snapshot names {name:?} twice"));
    }
    StoreError::from(e)
}

/// Inserts the tools in file order with their tags, keeping their timestamps; returns their
/// new ids by name.
async fn insert_tools(
    tx: &mut Transaction<'_, Sqlite>,
    tools: &[ToolRecord],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(tools.len());
    for t in tools {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tools (name, description, long_description, category, tags, examples, \
             input_schema, output_schema, version, author, config, embedding, embedding_model, \
             embedding_hash, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
             RETURNING id",
        )
        .bind(&t.name)
        .bind(&t.description)
        .bind(&t.long_description)
        .bind(&t.category)
        .bind(Json(&t.tags))
        .bind(Json(&t.examples))
        .bind(Json(&t.input_schema))
        .bind(t.output_schema.as_ref().map(Json))
        .bind(&t.version)
        .bind(&t.author)
        .bind(Json(&t.config))
        .bind(t.embedding.as_deref().map(vector_blob))
        .bind(&t.embedding_model)
        .bind(&t.embedding_hash)
        .bind(timestamp(t.created_at))
        .bind(timestamp(t.updated_at))
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| conflict(e, &t.name))?;
        tags_in(tx, id, &t.tags).await?;
        ids.insert(t.name.clone(), id);
    }
    Ok(ids)
}

/// Inserts history rows in file order, linked to the imported tools by name.
async fn insert_history(
    tx: &mut Transaction<'_, Sqlite>,
    rows: &[ExecutionRecordRow],
    ids: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    for r in rows {
        let tool_id = r.linked.then(|| ids.get(&r.tool_name).copied()).flatten();
        sqlx::query(
            "INSERT INTO tool_executions (tool_id, tool_name, input_data, output_data, error, \
             success, duration_ms, error_kind, request_id, caller, executed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .bind(tool_id)
        .bind(&r.tool_name)
        .bind(Json(&r.input_data))
        .bind(r.output_data.as_ref().map(Json))
        .bind(&r.error)
        .bind(r.success)
        .bind(r.duration_ms)
        .bind(&r.error_kind)
        .bind(&r.request_id)
        .bind(&r.caller)
        .bind(timestamp(r.executed_at))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
