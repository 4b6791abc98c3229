//! Export and import of the whole registry (see [`crate::store::Snapshot`]): one
//! `REPEATABLE READ, READ ONLY` transaction to read, one transaction to write.

use std::collections::HashMap;

use pgvector::Vector;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Postgres, Transaction};

use super::PgStore;
use super::tools::{TOOL_COLUMNS, ToolRow, json_text};
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
    embedding: Option<Vector>,
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

impl PgStore {
    pub async fn export_snapshot(
        &self,
        opts: &ExportOptions,
        sink: &mut dyn SnapshotSink,
    ) -> Result<SnapshotCounts, StoreError> {
        let mut tx = self.pool.begin().await?;
        // One snapshot for every statement below: a write committed meanwhile is not seen.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
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
        let dimension: Option<i32> = sqlx::query_scalar(
            "SELECT vector_dims(embedding) FROM tools WHERE embedding IS NOT NULL LIMIT 1",
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
            backend: "postgresql",
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
            "NULL::vector"
        } else {
            "embedding"
        };
        // Primary key range scans, a page at a time.
        let sql = format!(
            "SELECT {TOOL_COLUMNS}, {embedding} AS embedding, embedding_model, embedding_hash \
             FROM tools WHERE id > $1 ORDER BY id LIMIT $2"
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
                    r.embedding.map(|v| v.to_vec()),
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
                     FROM tool_executions WHERE id > $1 ORDER BY id LIMIT $2",
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
        let mut tx = self.pool.begin().await?;
        if replace {
            // DELETE, not TRUNCATE: the change log records each tool gone, row by row.
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
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&s.name)
            .bind(&s.url)
            .bind(Json(&s.headers))
            .bind(&s.namespace)
            .bind(Json(&s.include))
            .bind(Json(&s.exclude))
            .bind(&s.category)
            .bind(s.refresh_interval_s as i64)
            .bind(s.created_at)
            .bind(s.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict(e, &s.name))?;
        }
        for k in &snap.keys {
            sqlx::query(
                "INSERT INTO api_keys (id, digest, label, role, tools, created_at, expires_at, \
                 revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&k.key.id)
            .bind(&k.digest)
            .bind(&k.key.label)
            .bind(k.key.role.as_str())
            .bind(k.key.tools.as_ref().map(Json))
            .bind(k.key.created_at)
            .bind(k.key.expires_at)
            .bind(k.key.revoked_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict(e, &k.key.id))?;
        }
        let ids = insert_tools(&mut tx, &snap.tools).await?;
        insert_history(&mut tx, &snap.executions, &ids).await?;
        tx.commit().await?;
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

/// Inserts the tools in file order, keeping their timestamps; returns their new ids by name.
async fn insert_tools(
    tx: &mut Transaction<'_, Postgres>,
    tools: &[ToolRecord],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(tools.len());
    for t in tools {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tools (name, description, long_description, category, tags, examples, \
             input_schema, output_schema, version, author, config, embedding, embedding_model, \
             embedding_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8::json, $9, $10, $11::json, $12, $13, \
                     $14, $15, $16) RETURNING id",
        )
        .bind(&t.name)
        .bind(&t.description)
        .bind(&t.long_description)
        .bind(&t.category)
        .bind(&t.tags)
        .bind(&t.examples)
        .bind(json_text(&t.input_schema))
        .bind(t.output_schema.as_ref().map(json_text))
        .bind(&t.version)
        .bind(&t.author)
        .bind(json_text(&t.config))
        .bind(t.embedding.as_ref().map(|v| Vector::from(v.clone())))
        .bind(&t.embedding_model)
        .bind(&t.embedding_hash)
        .bind(t.created_at)
        .bind(t.updated_at)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| conflict(e, &t.name))?;
        ids.insert(t.name.clone(), id);
    }
    Ok(ids)
}

/// Inserts history rows in file order, a thousand per statement, linked to the imported
/// tools by name.
async fn insert_history(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[ExecutionRecordRow],
    ids: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(1000) {
        let col =
            |f: fn(&ExecutionRecordRow) -> Option<String>| chunk.iter().map(f).collect::<Vec<_>>();
        let tool_ids: Vec<Option<i64>> = chunk
            .iter()
            .map(|r| r.linked.then(|| ids.get(&r.tool_name).copied()).flatten())
            .collect();
        // WITH ORDINALITY and ORDER BY: identity values follow the file's order.
        sqlx::query(
            "INSERT INTO tool_executions (tool_id, tool_name, input_data, output_data, error, \
                                          success, duration_ms, error_kind, request_id, caller, \
                                          executed_at) \
             SELECT tool_id, tool_name, input_data::json, output_data::json, error, success, \
                    duration_ms, error_kind, request_id, caller, executed_at \
             FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
                         $6::bool[], $7::bigint[], $8::text[], $9::text[], $10::text[], \
                         $11::timestamptz[]) \
                  WITH ORDINALITY AS r(tool_id, tool_name, input_data, output_data, error, \
                                       success, duration_ms, error_kind, request_id, caller, \
                                       executed_at, ord) \
             ORDER BY ord",
        )
        .bind(tool_ids)
        .bind(
            chunk
                .iter()
                .map(|r| r.tool_name.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            chunk
                .iter()
                .map(|r| json_text(&r.input_data))
                .collect::<Vec<_>>(),
        )
        .bind(col(|r| r.output_data.as_ref().map(json_text)))
        .bind(col(|r| r.error.clone()))
        .bind(chunk.iter().map(|r| r.success).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.duration_ms).collect::<Vec<_>>())
        .bind(col(|r| r.error_kind.clone()))
        .bind(col(|r| r.request_id.clone()))
        .bind(col(|r| r.caller.clone()))
        .bind(chunk.iter().map(|r| r.executed_at).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
