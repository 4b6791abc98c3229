//! This replica's search index ([`SearchIndex`]): derived state, built from the store and
//! kept in step with it by the store's change log.
//!
//! A full build reads the log's position first, then every tool in pages by id, and applies
//! the log's entries after that position: an entry can only repeat what a page already held,
//! so the result equals the table whatever was written meanwhile. After that the index
//! follows the log by sequence number, woken by the store's change stream (NOTIFY on
//! PostgreSQL) and by a short poll, so a lost notification or a dropped connection delays a
//! change but never loses it. A writer on this replica catches up before it answers
//! (read-your-writes). A log pruned past the index's position, or a `TRUNCATE`, makes it
//! rebuild beside the one in use, which keeps answering until the new one is swapped in.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::BoxStream;
use tokio_util::sync::CancellationToken;

use super::RegistryError;
use crate::search_index::{Change, IndexDoc, SearchIndex};
use crate::store::{ChangesSince, IndexRow, Store};

/// Tools read per page of a full build.
const BUILD_PAGE: i64 = 2_000;
/// Tools handed to the index per batch of a full build (one tantivy commit each): small
/// enough that reading the next batch overlaps with indexing this one for most of a build.
const BUILD_BATCH: usize = 10_000;
/// The most tools a build makes room for in advance.
const BULK_RESERVE_MAX: usize = 10_000_000;
/// Change-log entries read per round of a catch-up.
const CATCH_UP_PAGE: i64 = 10_000;
/// How often the log is read without a notification: changes that notify nothing (a
/// re-embedding) or whose notification was lost are seen within this.
const POLL: Duration = Duration::from_millis(500);
/// How long change-log entries are kept: a replica disconnected for longer rebuilds.
const KEEP_CHANGES: Duration = Duration::from_secs(3_600);
/// How often a replica prunes the log (every replica does; it is idempotent).
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// How long a search waits for the first build before answering that the index is not
/// ready: long enough for a small catalogue at startup, short of a client's timeout.
const FIRST_BUILD_WAIT: Duration = Duration::from_secs(5);

/// The index in use and what it has applied of the change log.
pub struct LiveIndex {
    store: Arc<dyn Store>,
    dimension: usize,
    current: RwLock<Option<Arc<SearchIndex>>>,
    /// One build or catch-up at a time; holds nothing, the position is `applied`.
    updating: tokio::sync::Mutex<()>,
    /// The last change-log entry applied.
    applied: AtomicI64,
    /// Set once the first build finished: searches wait for it, `/ready` reports it.
    built: tokio::sync::watch::Sender<bool>,
    /// Whether the last attempt to read the store failed (for logs).
    failing: AtomicBool,
    /// When the index last had every committed change (for the lag metric).
    caught_up_at: std::sync::Mutex<Instant>,
}

/// Figures for `/metrics` and `/ready`.
#[derive(Debug, Clone, Copy)]
pub struct IndexStatus {
    pub built: bool,
    pub documents: usize,
    pub vectors: usize,
    /// The last change-log entry applied.
    pub applied: i64,
    /// [`SearchIndex::digest`]: equal on replicas whose indexes hold the same tools.
    pub digest: u64,
    /// How long since the index last held every committed change: near zero while it
    /// follows the log, growing while it cannot read the store.
    pub lag: Duration,
}

impl LiveIndex {
    pub fn new(store: Arc<dyn Store>, dimension: usize) -> Self {
        Self {
            store,
            dimension,
            current: RwLock::new(None),
            updating: tokio::sync::Mutex::new(()),
            applied: AtomicI64::new(0),
            built: tokio::sync::watch::channel(false).0,
            failing: AtomicBool::new(false),
            caught_up_at: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// The embedding dimension the index (and the store) holds.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The index to search, waiting a little for the first build.
    pub async fn ready(&self) -> Result<Arc<SearchIndex>, RegistryError> {
        if let Some(index) = self.current() {
            return Ok(index);
        }
        let mut built = self.built.subscribe();
        let _ = tokio::time::timeout(FIRST_BUILD_WAIT, built.wait_for(|b| *b)).await;
        self.current().ok_or(RegistryError::IndexNotReady)
    }

    fn current(&self) -> Option<Arc<SearchIndex>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// What the index holds now.
    pub fn status(&self) -> IndexStatus {
        let index = self.current();
        IndexStatus {
            built: index.is_some(),
            documents: index.as_ref().map_or(0, |i| i.len()),
            vectors: index.as_ref().map_or(0, |i| i.vector_len()),
            applied: self.applied.load(Ordering::Acquire),
            digest: index.as_ref().map_or(0, |i| i.digest()),
            lag: self
                .caught_up_at
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .elapsed(),
        }
    }

    /// Builds the index from the store and swaps it in.
    pub async fn build(&self, why: &str) -> Result<(), RegistryError> {
        let _one = self.updating.lock().await;
        self.rebuild(why).await
    }

    async fn rebuild(&self, why: &str) -> Result<(), RegistryError> {
        let started = Instant::now();
        let position = self.store.change_position().await?;
        let index = Arc::new(
            SearchIndex::new(self.dimension).map_err(|e| RegistryError::Index(e.to_string()))?,
        );
        // Room for every tool at once (a cap, so a wrong count costs nothing worse).
        let tools = self.store.count_tools().await?;
        index.begin_bulk(usize::try_from(tools).unwrap_or(0).min(BULK_RESERVE_MAX));
        // Reading and decoding the next pages overlaps with indexing the ones before: the
        // reader runs on this task, each batch is applied on a blocking thread.
        let (batches, mut to_apply) = tokio::sync::mpsc::channel::<Vec<Change>>(1);
        let dimension = self.dimension;
        let read = async move {
            let mut after = 0;
            let mut batch = Vec::with_capacity(BUILD_BATCH);
            loop {
                let rows = self.store.index_rows_after(after, BUILD_PAGE).await?;
                let full = rows.len() as i64 == BUILD_PAGE;
                if let Some(last) = rows.last() {
                    after = last.tool.id;
                }
                batch.extend(
                    rows.into_iter()
                        .map(|r| Change::Upsert(index_doc(r, dimension))),
                );
                if (batch.len() >= BUILD_BATCH || !full) && !batch.is_empty() {
                    let next = Vec::with_capacity(BUILD_BATCH);
                    if batches
                        .send(std::mem::replace(&mut batch, next))
                        .await
                        .is_err()
                    {
                        break; // the applying side failed; its error is the one reported
                    }
                }
                if !full {
                    break;
                }
            }
            Ok::<(), RegistryError>(())
        };
        let write = async {
            while let Some(batch) = to_apply.recv().await {
                apply(&index, batch).await?;
            }
            Ok::<(), RegistryError>(())
        };
        tokio::try_join!(read, write)?;
        let finishing = Arc::clone(&index);
        tokio::task::spawn_blocking(move || finishing.finish_bulk())
            .await
            .map_err(|e| RegistryError::Index(e.to_string()))?
            .map_err(|e| RegistryError::Index(e.to_string()))?;
        self.applied.store(position, Ordering::Release);
        if let CaughtUp::MustReload = self.catch_up_with(&index).await? {
            // Pruned while this build read the table (it took longer than the log is kept).
            return Err(RegistryError::Index(
                "the change log was pruned while the index was being built".into(),
            ));
        }
        let elapsed = started.elapsed();
        tracing::info!(
            index.documents = index.len(),
            index.vectors = index.vector_len(),
            index.position = self.applied.load(Ordering::Acquire),
            elapsed_ms = elapsed.as_millis() as u64,
            reason = why,
            "search index built"
        );
        metrics::histogram!("toolbox_search_index_rebuild_seconds").record(elapsed.as_secs_f64());
        metrics::counter!("toolbox_search_index_rebuilds_total", "reason" => why.to_owned())
            .increment(1);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(index);
        self.built.send_replace(true);
        Ok(())
    }

    /// Applies every change committed so far. Before the first build there is nothing to
    /// keep in step (the build will read the change).
    pub async fn catch_up(&self) -> Result<(), RegistryError> {
        self.catch_up_to(i64::MAX).await
    }

    /// Makes every change committed so far visible, for a writer that has just committed:
    /// concurrent writers share one catch-up (group commit), since a writer that waited
    /// for another's catch-up usually finds its own change applied already.
    pub async fn catch_up_after_write(&self) -> Result<(), RegistryError> {
        let target = self.store.change_position().await?;
        self.catch_up_to(target).await
    }

    /// Catches up unless the index has applied `target` already.
    async fn catch_up_to(&self, target: i64) -> Result<(), RegistryError> {
        let _one = self.updating.lock().await;
        if self.applied.load(Ordering::Acquire) >= target {
            return Ok(());
        }
        let Some(index) = self.current() else {
            return Ok(());
        };
        match self.catch_up_with(&index).await? {
            CaughtUp::Yes => Ok(()),
            CaughtUp::MustReload => self.rebuild("change log pruned or truncated").await,
        }
    }

    /// Applies the log's entries after `applied` to `index`, page by page.
    async fn catch_up_with(&self, index: &Arc<SearchIndex>) -> Result<CaughtUp, RegistryError> {
        loop {
            let after = self.applied.load(Ordering::Acquire);
            let (ids, upto) = match self.store.changes_since(after, CATCH_UP_PAGE).await? {
                ChangesSince::Reload => return Ok(CaughtUp::MustReload),
                ChangesSince::Changed { ids, upto } => (ids, upto),
            };
            if ids.is_empty() {
                *self.caught_up_at.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                return Ok(CaughtUp::Yes);
            }
            let mut wanted = ids.clone();
            wanted.sort_unstable();
            wanted.dedup();
            let rows = self.store.index_rows(&wanted).await?;
            let present: std::collections::HashSet<i64> = rows.iter().map(|r| r.tool.id).collect();
            let mut changes: Vec<Change> = wanted
                .iter()
                .filter(|id| !present.contains(id))
                .map(|&id| Change::Remove(id))
                .collect();
            changes.extend(rows.into_iter().map(|r| Change::Upsert(self.doc(r))));
            let n = changes.len();
            apply(index, changes).await?;
            self.applied.store(upto, Ordering::Release);
            metrics::counter!("toolbox_search_index_changes_applied_total").increment(n as u64);
            if (ids.len() as i64) < CATCH_UP_PAGE {
                *self.caught_up_at.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
                return Ok(CaughtUp::Yes);
            }
        }
    }

    /// The index entry of a row (see [`index_doc`]).
    fn doc(&self, row: IndexRow) -> IndexDoc {
        index_doc(row, self.dimension)
    }
}

/// The index entry of a stored row; an embedding of another dimension (written by hand, or
/// before a dimension change) is left out, so the tool stays findable by its text.
pub fn index_doc(row: IndexRow, dimension: usize) -> IndexDoc {
    let embedding = row.embedding.filter(|v| {
        let ok = v.len() == dimension;
        if !ok {
            tracing::warn!(
                tool.name = %row.tool.name,
                dimension = v.len(),
                expected = dimension,
                "tool embedding has the wrong dimension; indexed by its text only"
            );
        }
        ok
    });
    let mut doc = IndexDoc::from_tool(&row.tool, None);
    doc.embedding = embedding;
    doc
}

impl LiveIndex {
    /// Builds the index (retrying while the store is down), then follows the change log
    /// until `stop`: on every item of `changes`, on a short poll, and prunes old entries.
    pub async fn run(self: Arc<Self>, changes: BoxStream<'static, ()>, stop: CancellationToken) {
        let mut wait = Duration::from_millis(200);
        while self.current().is_none() {
            match self.build("startup").await {
                Ok(()) => self.failing.store(false, Ordering::Release),
                Err(e) => {
                    self.failing.store(true, Ordering::Release);
                    tracing::warn!(error = %e, retry_in = ?wait, "search index not built yet");
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(wait) => {}
                    }
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        }
        let mut changes = changes;
        let mut poll = tokio::time::interval(POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_prune = Instant::now();
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = poll.tick() => {}
                item = changes.next() => if item.is_none() {
                    // The stream ended (its store closed): the poll alone keeps the index up.
                    changes = Box::pin(futures::stream::pending());
                },
            }
            match self.catch_up().await {
                Ok(()) => {
                    if self.failing.swap(false, Ordering::AcqRel) {
                        tracing::info!("search index follows the change log again");
                    }
                }
                Err(e) => {
                    if !self.failing.swap(true, Ordering::AcqRel) {
                        tracing::warn!(error = %e, "search index cannot read the change log; retrying");
                    }
                }
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                match self.store.prune_changes(KEEP_CHANGES).await {
                    Ok(n) if n > 0 => tracing::debug!(entries = n, "change log pruned"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "change log not pruned"),
                }
            }
        }
    }
}

/// How a catch-up ended.
enum CaughtUp {
    Yes,
    /// The log no longer reaches back to the index's position: rebuild.
    MustReload,
}

/// Applies a batch off the async workers (a large batch takes a while).
async fn apply(index: &Arc<SearchIndex>, batch: Vec<Change>) -> Result<(), RegistryError> {
    let index = Arc::clone(index);
    tokio::task::spawn_blocking(move || index.apply(batch))
        .await
        .map_err(|e| RegistryError::Index(e.to_string()))?
        .map_err(|e| RegistryError::Index(e.to_string()))
}
