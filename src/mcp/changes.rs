//! Tells this replica's MCP clients when the catalogue of tools changes: the store's change
//! stream (`Store::changes`, which hears every replica's writes on PostgreSQL) is fanned out
//! to the open `subscriptions/listen` streams.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

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

    /// Publishes each change of the store's change stream, until `shutdown`.
    pub async fn run(self, mut changes: BoxStream<'static, ()>, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                c = changes.next() => match c {
                    Some(()) => {
                        tracing::debug!(receivers = self.tx.receiver_count(), "the tool list changed");
                        self.publish();
                    }
                    None => return,
                },
            }
        }
    }
}
