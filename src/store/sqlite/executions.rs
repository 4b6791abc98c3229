//! Queries on the `tool_executions` table of the embedded store: the record of every call.

use chrono::Utc;
use sqlx::AssertSqlSafe;
use sqlx::types::Json;

use super::{SqliteStore, timestamp};
use crate::store::{
    ExecutionRecord, ExecutionStats, HistoryFilter, OutcomeFilter, StoreError, StoredExecution,
    decode_each,
};

const COLUMNS: &str = "id, tool_name, input_data, output_data, error, error_kind, success, \
                       duration_ms, request_id, caller, executed_at";

impl SqliteStore {
    /// Writes a batch of execution rows in one transaction and returns their ids, in order.
    pub async fn insert_executions(
        &self,
        recs: &[ExecutionRecord],
    ) -> Result<Vec<i64>, StoreError> {
        let now = timestamp(Utc::now());
        let mut tx = self.writer.begin().await?;
        let mut ids = Vec::with_capacity(recs.len());
        for rec in recs {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tool_executions (tool_id, tool_name, input_data, output_data, error, \
                 success, duration_ms, error_kind, request_id, caller, executed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id",
            )
            .bind(rec.tool_id)
            .bind(&rec.tool_name)
            .bind(Json(&rec.input))
            .bind(rec.output.as_ref().map(Json))
            .bind(&rec.error)
            .bind(rec.success)
            .bind(rec.duration_ms)
            .bind(&rec.error_kind)
            .bind(&rec.request_id)
            .bind(&rec.caller)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// A page of a tool's history, newest first, with ids below `before`
    /// (`tool_executions_tool_name_id_idx`).
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
             WHERE tool_name = ?1 AND (?2 IS NULL OR id < ?2) \
               AND (?3 IS NULL OR success = ?3) AND (?4 IS NULL OR error_kind = ?4) \
               AND (?6 IS NULL OR caller = ?6) \
             ORDER BY id DESC LIMIT ?5"
        )))
        .bind(tool_name)
        .bind(before)
        .bind(success)
        .bind(kind)
        .bind(limit)
        .bind(filter.caller.as_deref())
        .fetch_all(&self.reader)
        .await?;
        Ok(decode_each(rows, "tool_executions"))
    }

    /// One execution by id (primary key).
    pub async fn get_execution(&self, id: i64) -> Result<Option<StoredExecution>, StoreError> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tool_executions WHERE id = ?1"
        )))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?)
    }

    /// Whether any history exists under `tool_name` (index on `tool_name`).
    pub async fn has_executions(&self, tool_name: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM tool_executions WHERE tool_name = ?1)",
            )
            .bind(tool_name)
            .fetch_one(&self.reader)
            .await?,
        )
    }

    /// Calls, successes and duration percentiles of a tool over the last `window_secs`
    /// (`tool_executions_tool_name_idx`). SQLite has no `percentile_cont`: the window's
    /// durations are read in order and interpolated the same way.
    pub async fn execution_stats(
        &self,
        tool_name: &str,
        window_secs: i64,
    ) -> Result<ExecutionStats, StoreError> {
        let since = timestamp(Utc::now() - chrono::Duration::seconds(window_secs));
        let rows: Vec<(i64, bool)> = sqlx::query_as(
            "SELECT duration_ms, success FROM tool_executions \
             WHERE tool_name = ?1 AND executed_at >= ?2 ORDER BY duration_ms",
        )
        .bind(tool_name)
        .bind(since)
        .fetch_all(&self.reader)
        .await?;
        let durations: Vec<i64> = rows.iter().map(|r| r.0).collect();
        Ok(ExecutionStats {
            calls: rows.len() as i64,
            successes: rows.iter().filter(|r| r.1).count() as i64,
            p50_ms: percentile_cont(&durations, 0.5),
            p95_ms: percentile_cont(&durations, 0.95),
            p99_ms: percentile_cont(&durations, 0.99),
        })
    }

    /// Deletes up to `batch` rows older than `days` days (index on `executed_at`); returns how
    /// many went.
    pub async fn prune_executions(&self, days: u32, batch: i64) -> Result<u64, StoreError> {
        let cutoff = timestamp(Utc::now() - chrono::Duration::days(i64::from(days)));
        let done = sqlx::query(
            "DELETE FROM tool_executions WHERE id IN ( \
               SELECT id FROM tool_executions WHERE executed_at < ?1 LIMIT ?2)",
        )
        .bind(cutoff)
        .bind(batch)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}

/// PostgreSQL's `percentile_cont` over sorted values: linear interpolation between the two
/// nearest ranks; `None` for no values.
fn percentile_cont(sorted: &[i64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = p * last as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let (a, b) = (sorted[lo] as f64, sorted[hi] as f64);
    Some(a + (b - a) * (pos - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::percentile_cont;

    #[test]
    fn percentiles_interpolate_like_postgres_percentile_cont() {
        assert_eq!(percentile_cont(&[], 0.5), None);
        assert_eq!(percentile_cont(&[7], 0.99), Some(7.0));
        assert_eq!(percentile_cont(&[1, 2, 3, 4], 0.5), Some(2.5));
        assert_eq!(percentile_cont(&[0, 10], 0.95), Some(9.5));
    }
}
