//! What the in-process search index reads: tools with their embeddings, in pages by id or by
//! the ids the change log names, and the change log itself (migration 0008).

use std::time::Duration;

use pgvector::Vector;
use sqlx::AssertSqlSafe;

use super::PgStore;
use super::tools::{TOOL_COLUMNS, ToolRow};
use crate::domain::Tool;
use crate::store::{ChangesSince, IndexRow, StoreError, decode_each};

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    tool: ToolRow,
    embedding: Option<Vector>,
}

/// Each decodable row as the index reads it (see [`decode_each`]).
fn index_rows_of<R: sqlx::Row>(rows: Vec<R>) -> Vec<IndexRow>
where
    Row: for<'r> sqlx::FromRow<'r, R>,
{
    decode_each::<_, Row>(rows, "tools")
        .into_iter()
        .map(IndexRow::from)
        .collect()
}

impl From<Row> for IndexRow {
    fn from(r: Row) -> Self {
        IndexRow {
            tool: Tool::from(r.tool),
            embedding: r.embedding.map(|v| v.to_vec()),
        }
    }
}

impl PgStore {
    /// Tools by id (primary key).
    pub async fn tools_by_ids(&self, ids: &[i64]) -> Result<Vec<Tool>, StoreError> {
        let sql = format!("SELECT {TOOL_COLUMNS} FROM tools WHERE id = ANY($1)");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(decode_each::<_, ToolRow>(rows, "tools")
            .into_iter()
            .map(Tool::from)
            .collect())
    }

    /// The newest change-log entry (its primary key's end).
    pub async fn change_position(&self) -> Result<i64, StoreError> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM tool_changes")
            .fetch_one(&self.pool)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    /// Entries after `after` (primary key range), or `Reload` when entries at or before
    /// `after + 1` were pruned away, or one says everything changed.
    pub async fn changes_since(&self, after: i64, limit: i64) -> Result<ChangesSince, StoreError> {
        let rows: Vec<(i64, Option<i64>)> = sqlx::query_as(
            "SELECT seq, tool_id FROM tool_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let horizon: i64 = sqlx::query_scalar("SELECT upto FROM tool_changes_horizon")
            .fetch_one(&self.pool)
            .await?;
        Ok(ChangesSince::from_log(after, horizon, rows))
    }

    /// Deletes entries older than `older_than` but the newest, and moves the horizon up to
    /// the last one deleted, in one statement.
    pub async fn prune_changes(&self, older_than: Duration) -> Result<u64, StoreError> {
        let gone: (i64, Option<i64>) = sqlx::query_as(
            "WITH gone AS ( \
               DELETE FROM tool_changes \
               WHERE changed_at < now() - make_interval(secs => $1) \
                 AND seq < (SELECT max(seq) FROM tool_changes) \
               RETURNING seq \
             ), moved AS ( \
               UPDATE tool_changes_horizon SET upto = greatest(upto, (SELECT max(seq) FROM gone)) \
               WHERE EXISTS (SELECT 1 FROM gone) \
             ) \
             SELECT count(*), max(seq) FROM gone",
        )
        .bind(older_than.as_secs_f64())
        .fetch_one(&self.pool)
        .await?;
        Ok(gone.0 as u64)
    }

    /// A page of tools by id (primary key), with embeddings.
    pub async fn index_rows_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<IndexRow>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_COLUMNS}, embedding FROM tools WHERE id > $1 ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(index_rows_of(rows))
    }

    /// The tools among `ids` (primary key), with embeddings.
    pub async fn index_rows(&self, ids: &[i64]) -> Result<Vec<IndexRow>, StoreError> {
        let sql = format!("SELECT {TOOL_COLUMNS}, embedding FROM tools WHERE id = ANY($1)");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(ids)
            .fetch_all(&self.pool)
            .await?;
        Ok(index_rows_of(rows))
    }
}
