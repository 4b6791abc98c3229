//! The execution log: group commit of history rows, and pruning of old ones.
//!
//! Every call hands its row to one background writer and waits for that row's commit. The
//! writer takes whatever rows are waiting and writes them with one multi-row INSERT, so
//! concurrent calls share a commit and logging does not cap throughput, while no response is
//! sent before its row is durable. On shutdown the writer drains what is queued, then stops.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::store::{ExecutionRecord, Store, StoreError};

/// Rows written per statement at most.
const MAX_BATCH: usize = 512;
type Job = (ExecutionRecord, oneshot::Sender<Result<i64, String>>);

/// Handle to the background writer. Cheap to clone.
#[derive(Clone)]
pub struct ExecutionLog {
    tx: mpsc::Sender<Job>,
    disabled: bool,
    stop: CancellationToken,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// Why a row could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the execution history could not be written: {0}")]
pub struct LogError(pub String);

impl ExecutionLog {
    /// Starts the writer and, with `retention_days > 0`, the pruner. With `disabled`
    /// (benchmark-only), rows are dropped and calls get execution id 0.
    pub fn start(store: Arc<dyn Store>, disabled: bool, retention_days: u32) -> Self {
        let (tx, rx) = mpsc::channel(8 * MAX_BATCH);
        let stop = CancellationToken::new();
        let mut tasks = vec![tokio::spawn(write_loop(store.clone(), rx, stop.clone()))];
        if retention_days > 0 {
            tasks.push(tokio::spawn(prune_loop(
                store,
                retention_days,
                stop.clone(),
            )));
        }
        Self {
            tx,
            disabled,
            stop,
            tasks: Arc::new(Mutex::new(tasks)),
        }
    }

    /// Queues `rec` and waits until it is committed; returns its id.
    pub async fn record(&self, rec: ExecutionRecord) -> Result<i64, LogError> {
        if self.disabled {
            return Ok(0);
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .send((rec, done))
            .await
            .map_err(|_| LogError("the writer has stopped (shutting down)".into()))?;
        wait.await
            .map_err(|_| LogError("the writer stopped before committing".into()))?
            .map_err(LogError)
    }

    /// Writes everything queued, then stops the background tasks.
    pub async fn close(&self) {
        self.stop.cancel();
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *self.tasks.lock().await);
        for t in tasks {
            let _ = t.await;
        }
    }
}

async fn write_loop(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Job>, stop: CancellationToken) {
    loop {
        let first = tokio::select! {
            job = rx.recv() => job,
            () = stop.cancelled() => {
                rx.close();
                rx.recv().await
            }
        };
        let Some(first) = first else { break };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        write_batch(store.as_ref(), batch).await;
    }
}

async fn write_batch(store: &dyn Store, batch: Vec<Job>) {
    let (recs, waiters): (Vec<ExecutionRecord>, Vec<_>) = batch.into_iter().unzip();
    match store.insert_executions(&recs).await {
        Ok(ids) if ids.len() == waiters.len() => {
            for (id, w) in ids.into_iter().zip(waiters) {
                let _ = w.send(Ok(id));
            }
        }
        Ok(ids) => fail_all(
            waiters,
            format!("{} ids for {} rows", ids.len(), recs.len()),
        ),
        // The database itself is away: one row at a time would fail the same way, slower.
        Err(StoreError::Unavailable(e)) => {
            tracing::error!(error = %e, rows = recs.len(), "writing execution rows failed");
            fail_all(waiters, "the database is unavailable".to_owned());
        }
        // The batch shares one statement, so one row the database refuses fails them all:
        // each row is written again on its own, so only the bad one fails.
        Err(e) if recs.len() > 1 => {
            tracing::warn!(error = %e, rows = recs.len(), "a batch of execution rows failed; writing them one by one");
            for (rec, w) in recs.into_iter().zip(waiters) {
                let one = store.insert_executions(std::slice::from_ref(&rec)).await;
                let _ = w.send(match one {
                    Ok(ids) if ids.len() == 1 => Ok(ids[0]),
                    Ok(ids) => Err(format!("{} ids for 1 row", ids.len())),
                    Err(e) => Err(e.to_string()),
                });
            }
        }
        Err(e) => fail_all(waiters, e.to_string()),
    }
}

fn fail_all(waiters: Vec<oneshot::Sender<Result<i64, String>>>, reason: String) {
    for w in waiters {
        let _ = w.send(Err(reason.clone()));
    }
}

async fn prune_loop(store: Arc<dyn Store>, days: u32, stop: CancellationToken) {
    loop {
        loop {
            match store.prune_executions(days, 10_000).await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "pruned old executions"),
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "pruning executions failed; retrying later");
                    break;
                }
            }
            if stop.is_cancelled() {
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            () = stop.cancelled() => return,
        }
    }
}

/// `v` itself, or when its JSON is longer than `max` bytes, a marker object with a preview.
pub fn bounded(v: Value, max: usize) -> Value {
    let text = v.to_string();
    if text.len() <= max {
        return v;
    }
    let mut cut = max / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    json!({"_truncated": true, "original_bytes": text.len(), "preview": &text[..cut]})
}

/// `s` cut to at most `max` bytes, with a marker when cut.
pub fn bounded_text(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… [truncated, {} bytes in all]", &s[..cut], s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_values_are_stored_truncated_with_a_marker() {
        let small = json!({"a": 1});
        assert_eq!(bounded(small.clone(), 100), small);
        let big = json!({"text": "é".repeat(1000)});
        let stored = bounded(big, 300);
        assert_eq!(stored["_truncated"], true);
        assert!(stored["original_bytes"].as_u64().unwrap() > 2000);
        assert!(bounded_text("x".repeat(500), 100).contains("truncated"));
    }
}
