//! The change stream over PostgreSQL: a trigger on `tools` (migration 0005) notifies
//! [`TOOLS_CHANGED_CHANNEL`] inside the writing transaction, and a [`PgListener`] turns each
//! notification into an item of the stream, so every replica hears every replica's writes.

use std::time::Duration;

use futures::stream::BoxStream;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;

use super::TOOLS_CHANGED_CHANNEL;

/// Listens on the channel until the stream is dropped. Reconnects after a lost connection and
/// yields once then, since changes made while disconnected were not seen.
pub(super) fn listen(pool: PgPool) -> BoxStream<'static, ()> {
    // Items carry no data: a full channel has lost nothing but repeats.
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(200);
        loop {
            let e = tokio::select! {
                _ = tx.closed() => return,
                r = listen_once(&pool, &tx) => match r {
                    Ok(()) => return,
                    Err(e) => e,
                },
            };
            tracing::warn!(error = %e, retry_in = ?delay, "tool change listener lost its database connection");
            tokio::select! {
                _ = tx.closed() => return,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(10));
            let _ = tx.try_send(());
        }
    });
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|()| ((), rx))
    }))
}

/// Forwards notifications until the connection fails (`Err`) or the stream's reader is gone.
async fn listen_once(pool: &PgPool, tx: &mpsc::Sender<()>) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(TOOLS_CHANGED_CHANNEL).await?;
    tracing::debug!(
        channel = TOOLS_CHANGED_CHANNEL,
        "listening for tool changes"
    );
    loop {
        listener.recv().await?;
        tracing::debug!("the tool list changed");
        if let Err(mpsc::error::TrySendError::Closed(())) = tx.try_send(()) {
            return Ok(());
        }
    }
}
