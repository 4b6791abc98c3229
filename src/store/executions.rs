//! Queries on the `tool_executions` table: the record of every call.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{Store, StoreError};

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
}

/// A row of the history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredExecution {
    pub id: i64,
    pub tool_name: String,
    pub input_data: Value,
    pub output_data: Option<Value>,
    pub error: Option<String>,
    pub success: bool,
    pub duration_ms: i64,
    pub executed_at: DateTime<Utc>,
}

impl Store {
    /// Writes one execution row and returns its id.
    pub async fn insert_execution(&self, rec: &ExecutionRecord) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO tool_executions \
             (tool_id, tool_name, input_data, output_data, error, success, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(rec.tool_id)
        .bind(&rec.tool_name)
        .bind(&rec.input)
        .bind(&rec.output)
        .bind(&rec.error)
        .bind(rec.success)
        .bind(rec.duration_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The most recent executions of a tool, newest first (index on `executed_at`).
    pub async fn recent_executions(
        &self,
        tool_name: &str,
        limit: i64,
    ) -> Result<Vec<StoredExecution>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, tool_name, input_data, output_data, error, success, duration_ms, executed_at \
             FROM tool_executions WHERE tool_name = $1 ORDER BY executed_at DESC, id DESC LIMIT $2",
        )
        .bind(tool_name)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
