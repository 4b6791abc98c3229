//! Queries on the `tool_executions` table: the record of every call.

use sqlx::AssertSqlSafe;

use super::PgStore;
use super::tools::json_text;
use crate::store::{
    ExecutionRecord, ExecutionStats, HistoryFilter, OutcomeFilter, StoreError, StoredExecution,
    decode_each,
};

const COLUMNS: &str = "id, tool_name, input_data, output_data, error, error_kind, success, \
                       duration_ms, request_id, caller, executed_at";

impl PgStore {
    /// Writes a batch of execution rows in one statement and returns their ids, in order.
    /// Ids are drawn from the identity sequence first, so the order is certain.
    pub async fn insert_executions(
        &self,
        recs: &[ExecutionRecord],
    ) -> Result<Vec<i64>, StoreError> {
        let col =
            |f: fn(&ExecutionRecord) -> Option<String>| recs.iter().map(f).collect::<Vec<_>>();
        let ids: Vec<i64> = sqlx::query_scalar(
            "WITH rows AS MATERIALIZED ( \
               SELECT nextval(pg_get_serial_sequence('tool_executions', 'id')) AS id, r.* \
               FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
                           $6::bool[], $7::bigint[], $8::text[], $9::text[], $10::text[]) \
                    WITH ORDINALITY AS r(tool_id, tool_name, input_data, output_data, error, \
                                         success, duration_ms, error_kind, request_id, caller, ord)), \
             ins AS ( \
               INSERT INTO tool_executions (id, tool_id, tool_name, input_data, output_data, error, \
                                            success, duration_ms, error_kind, request_id, caller) \
               OVERRIDING SYSTEM VALUE \
               SELECT id, tool_id, tool_name, input_data::json, output_data::json, error, success, \
                      duration_ms, error_kind, request_id, caller FROM rows) \
             SELECT id FROM rows ORDER BY ord",
        )
        .bind(recs.iter().map(|r| r.tool_id).collect::<Vec<_>>())
        .bind(recs.iter().map(|r| r.tool_name.clone()).collect::<Vec<_>>())
        // JSON as text, cast to `json` (not jsonb) in the statement: see `tools::json_text`.
        .bind(recs.iter().map(|r| json_text(&r.input)).collect::<Vec<_>>())
        .bind(col(|r| r.output.as_ref().map(json_text)))
        .bind(col(|r| r.error.clone()))
        .bind(recs.iter().map(|r| r.success).collect::<Vec<_>>())
        .bind(recs.iter().map(|r| r.duration_ms).collect::<Vec<_>>())
        .bind(col(|r| r.error_kind.clone()))
        .bind(col(|r| r.request_id.clone()))
        .bind(col(|r| r.caller.clone()))
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }

    /// A page of a tool's history, newest first, with ids below `before` (index
    /// `tool_executions_tool_name_id_idx`).
    pub async fn list_executions(
        &self,
        tool_name: &str,
        filter: &HistoryFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredExecution>, StoreError> {
        let (success, kind): (Option<bool>, Option<&str>) = match &filter.outcome {
            OutcomeFilter::All => (None, None),
            OutcomeFilter::Success => (Some(true), None),
            OutcomeFilter::Failure => (Some(false), None),
            OutcomeFilter::Kind(k) => (Some(false), Some(k.as_str())),
        };
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tool_executions \
             WHERE tool_name = $1 AND ($2::bigint IS NULL OR id < $2) \
               AND ($3::bool IS NULL OR success = $3) AND ($4::text IS NULL OR error_kind = $4) \
               AND ($6::text IS NULL OR caller = $6) \
             ORDER BY id DESC LIMIT $5"
        )))
        .bind(tool_name)
        .bind(before)
        .bind(success)
        .bind(kind)
        .bind(limit)
        .bind(filter.caller.as_deref())
        .fetch_all(&self.pool)
        .await?;
        Ok(decode_each(rows, "tool_executions"))
    }

    /// One execution by id (primary key).
    pub async fn get_execution(&self, id: i64) -> Result<Option<StoredExecution>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tool_executions WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Whether any history exists under `tool_name` (index on `tool_name`).
    pub async fn has_executions(&self, tool_name: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM tool_executions WHERE tool_name = $1)",
            )
            .bind(tool_name)
            .fetch_one(&self.pool)
            .await?,
        )
    }

    /// Calls, successes and duration percentiles of a tool over the last `window_secs`
    /// (index `tool_executions_tool_name_idx` on `(tool_name, executed_at)`).
    pub async fn execution_stats(
        &self,
        tool_name: &str,
        window_secs: i64,
    ) -> Result<ExecutionStats, StoreError> {
        Ok(sqlx::query_as(
            "SELECT count(*) AS calls, count(*) FILTER (WHERE success) AS successes, \
               percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms, \
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms, \
               percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99_ms \
             FROM tool_executions \
             WHERE tool_name = $1 AND executed_at >= now() - make_interval(secs => $2)",
        )
        .bind(tool_name)
        .bind(window_secs as f64)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Deletes up to `batch` rows older than `days` days (index on `executed_at`); returns how
    /// many went.
    pub async fn prune_executions(&self, days: u32, batch: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM tool_executions WHERE id IN ( \
               SELECT id FROM tool_executions \
               WHERE executed_at < now() - make_interval(days => $1) LIMIT $2)",
        )
        .bind(days as i32)
        .bind(batch)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
