//! Tells every replica's MCP clients when the catalogue of tools changes: a trigger on
//! `tools` (migration 0005) notifies a PostgreSQL channel inside the writing transaction, and
//! a [`PgListener`] on each replica fans the notification out to its open
//! `subscriptions/listen` streams.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::store::TOOLS_CHANGED_CHANNEL;

/// A fan-out of "the tool list changed" events to this replica's listeners.
#[derive(Clone)]
pub struct ChangeFeed {
    tx: broadcast::Sender<()>,
    generation: Arc<AtomicU64>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl ChangeFeed {
    pub fn new() -> Self {
        // Events carry no data: a listener that lags has missed nothing but repeats.
        let (tx, _) = broadcast::channel(16);
        Self {
            tx,
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Counts the changes seen so far: a cache keyed by it is fresh until the next change.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// A receiver of every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<()> {
        self.tx.subscribe()
    }

    /// Announces a change to this replica's listeners.
    pub fn publish(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        // No receiver is not an error: nobody is listening.
        let _ = self.tx.send(());
    }

    /// Listens on the database channel until `shutdown`, publishing each notification.
    /// Reconnects after a lost connection and publishes once then, since changes made while
    /// disconnected were not seen.
    pub async fn run(self, pool: PgPool, shutdown: CancellationToken) {
        let mut delay = Duration::from_millis(200);
        while !shutdown.is_cancelled() {
            match self.listen_once(&pool, &shutdown).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?delay, "tool change listener lost its database connection");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(10));
                    self.publish();
                }
            }
        }
    }

    /// Publishes each change the embedded store announces, until `shutdown` (the SQLite
    /// counterpart of [`ChangeFeed::run`]: one process, so no database channel is needed).
    pub async fn relay(self, mut changes: broadcast::Receiver<()>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                r = changes.recv() => match r {
                    Ok(()) | Err(broadcast::error::RecvError::Lagged(_)) => self.publish(),
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }

    async fn listen_once(
        &self,
        pool: &PgPool,
        shutdown: &CancellationToken,
    ) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(TOOLS_CHANGED_CHANNEL).await?;
        tracing::debug!(
            channel = TOOLS_CHANGED_CHANNEL,
            "listening for tool changes"
        );
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                n = listener.recv() => {
                    n?;
                    tracing::debug!(receivers = self.tx.receiver_count(), "the tool list changed");
                    self.publish();
                }
            }
        }
    }
}
