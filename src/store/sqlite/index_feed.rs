//! What the in-process search index reads from the embedded store: tools with their
//! embeddings, in pages by id or by the ids the change log names, and the change log itself
//! (migrations/sqlite/0008).

use std::time::Duration;

use sqlx::AssertSqlSafe;

use super::tools::{Row as ToolRow, TOOL_COLUMNS};
use super::{SqliteStore, vector_from_blob};
use crate::domain::Tool;
use crate::store::{ChangesSince, IndexRow, StoreError, decode_each};

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    tool: ToolRow,
    embedding: Option<Vec<u8>>,
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
            embedding: r.embedding.map(|b| vector_from_blob(&b)),
        }
    }
}

/// The ids as the JSON array `json_each` reads.
fn id_list(ids: &[i64]) -> String {
    serde_json::Value::from(ids).to_string()
}

impl SqliteStore {
    /// Tools by id (primary key).
    pub async fn tools_by_ids(&self, ids: &[i64]) -> Result<Vec<Tool>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_COLUMNS} FROM tools t WHERE t.id IN (SELECT value FROM json_each(?1))"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(id_list(ids))
            .fetch_all(&self.reader)
            .await?;
        Ok(decode_each::<_, ToolRow>(rows, "tools")
            .into_iter()
            .map(Tool::from)
            .collect())
    }

    /// The newest change-log entry (the end of its key).
    pub async fn change_position(&self) -> Result<i64, StoreError> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM tool_changes")
            .fetch_one(&self.reader)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    /// Entries after `after` (a key range), or `Reload` when entries the reader has not seen
    /// were pruned away.
    pub async fn changes_since(&self, after: i64, limit: i64) -> Result<ChangesSince, StoreError> {
        let mut tx = self.reader.begin().await?;
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT seq, tool_id FROM tool_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let horizon: Option<String> =
            sqlx::query_scalar("SELECT value FROM store_meta WHERE key = 'tool_changes_horizon'")
                .fetch_optional(&mut *tx)
                .await?;
        tx.commit().await?;
        let horizon = horizon.and_then(|h| h.parse().ok()).unwrap_or(0);
        let rows = rows.into_iter().map(|(seq, id)| (seq, Some(id))).collect();
        Ok(ChangesSince::from_log(after, horizon, rows))
    }

    /// Deletes entries older than `older_than` but the newest, and records the last one
    /// deleted as the horizon, in one transaction.
    pub async fn prune_changes(&self, older_than: Duration) -> Result<u64, StoreError> {
        let cutoff = super::timestamp(
            chrono::Utc::now() - chrono::Duration::from_std(older_than).unwrap_or_default(),
        );
        let mut tx = self.writer.begin().await?;
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT max(seq) FROM tool_changes \
             WHERE changed_at < ?1 AND seq < (SELECT max(seq) FROM tool_changes)",
        )
        .bind(&cutoff)
        .fetch_one(&mut *tx)
        .await?;
        let Some(last) = last else {
            return Ok(0);
        };
        let gone = sqlx::query("DELETE FROM tool_changes WHERE seq <= ?1")
            .bind(last)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "INSERT INTO store_meta (key, value) VALUES ('tool_changes_horizon', ?1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(last.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(gone)
    }

    /// A page of tools by id (the rowid), with embeddings.
    pub async fn index_rows_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<IndexRow>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_COLUMNS}, t.embedding FROM tools t WHERE t.id > ?1 ORDER BY t.id LIMIT ?2"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        Ok(index_rows_of(rows))
    }

    /// The tools among `ids` (by rowid), with embeddings.
    pub async fn index_rows(&self, ids: &[i64]) -> Result<Vec<IndexRow>, StoreError> {
        let sql = format!(
            "SELECT {TOOL_COLUMNS}, t.embedding FROM tools t \
             WHERE t.id IN (SELECT value FROM json_each(?1))"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(id_list(ids))
            .fetch_all(&self.reader)
            .await?;
        Ok(index_rows_of(rows))
    }
}
