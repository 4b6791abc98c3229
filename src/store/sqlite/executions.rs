//! Queries on the `tool_executions` table of the embedded store.

use chrono::Utc;
use sqlx::types::Json;

use super::{SqliteStore, timestamp};
use crate::store::{ExecutionRecord, StoreError, StoredExecution};

impl SqliteStore {
    /// Writes one execution row and returns its id.
    pub async fn insert_execution(&self, rec: &ExecutionRecord) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO tool_executions \
             (tool_id, tool_name, input_data, output_data, error, success, duration_ms, executed_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
        )
        .bind(rec.tool_id)
        .bind(&rec.tool_name)
        .bind(Json(&rec.input))
        .bind(rec.output.as_ref().map(Json))
        .bind(&rec.error)
        .bind(rec.success)
        .bind(rec.duration_ms)
        .bind(timestamp(Utc::now()))
        .fetch_one(&self.writer)
        .await?)
    }

    /// The most recent executions of a tool, newest first (`tool_executions_tool_name_idx`).
    pub async fn recent_executions(
        &self,
        tool_name: &str,
        limit: i64,
    ) -> Result<Vec<StoredExecution>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, tool_name, input_data, output_data, error, success, duration_ms, executed_at \
             FROM tool_executions WHERE tool_name = ?1 ORDER BY executed_at DESC, id DESC LIMIT ?2",
        )
        .bind(tool_name)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?)
    }
}
