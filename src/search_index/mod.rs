//! The in-process search index: BM25 full text (tantivy) and cosine vectors (exact scores,
//! rows to score chosen by four-bit codes) over the same tools, with category and tag
//! filters applied inside both.
//!
//! It is derived state: built from the store and kept in step with it by applying batches of
//! [`Change`]s. Many searches run at once; one batch is applied at a time. A search never
//! waits for a batch's text side (tantivy searchers are snapshots) and waits for its vector
//! side only while rows are copied in memory. When [`SearchIndex::apply`] returns, the next
//! search on this process sees the batch (read-your-writes), and [`SearchIndex::generation`]
//! has moved on.

mod codes;
mod doc;
mod held;
mod kernels;
mod text;
mod vectors;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

pub use doc::{IndexDoc, schema_words};
pub use held::AllowedIds;

use held::Held;

use text::TextIndex;
use vectors::Vectors;

/// What can go wrong inside the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("full-text index: {0}")]
    Text(#[from] tantivy::TantivyError),
    #[error("tool {id}: embedding has {got} dimensions, the index holds {expected}")]
    Dimension {
        id: i64,
        got: usize,
        expected: usize,
    },
}

/// Restricts a search to one category, to tools carrying every given tag and, for a caller
/// with a tool set, to the tools it permits ([`SearchIndex::allowed`]).
#[derive(Debug, Clone, Default)]
pub struct IndexFilter {
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub allowed: Option<std::sync::Arc<AllowedIds>>,
}

impl IndexFilter {
    /// Whether anything is filtered out.
    fn restricts(&self) -> bool {
        self.category.is_some() || !self.tags.is_empty() || self.allowed.is_some()
    }
}

/// One change to apply.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "batches are mostly upserts; boxing each would add an allocation per tool"
)]
pub enum Change {
    /// Adds the tool, or replaces it (text and vector) if its id is present.
    Upsert(IndexDoc),
    /// Removes the tool; an absent id is not an error.
    Remove(i64),
}

/// Generations are unique within the process, across indexes: an index built anew never
/// repeats one its predecessor had.
fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The index over every tool of one registry.
pub struct SearchIndex {
    dimension: usize,
    text: TextIndex,
    vectors: RwLock<Vectors>,
    /// Each tool's name, [`IndexDoc::fingerprint`] and tool-set facts, by id.
    names: RwLock<Held>,
    /// The wrapping sum of the fingerprints of the tools held (see [`SearchIndex::digest`]).
    digest: AtomicU64,
    /// One batch at a time, so the text and vector sides apply batches in the same order.
    writing: Mutex<()>,
    /// Between [`SearchIndex::begin_bulk`] and [`SearchIndex::finish_bulk`].
    bulk: std::sync::atomic::AtomicBool,
    generation: AtomicU64,
}

impl SearchIndex {
    /// An empty index for embeddings of `dimension` components.
    pub fn new(dimension: usize) -> Result<Self, IndexError> {
        Ok(Self {
            dimension,
            text: TextIndex::new()?,
            vectors: RwLock::new(Vectors::new(dimension)),
            names: RwLock::default(),
            digest: AtomicU64::new(0),
            writing: Mutex::new(()),
            bulk: std::sync::atomic::AtomicBool::new(false),
            generation: AtomicU64::new(next_generation()),
        })
    }

    /// Adds or replaces one tool.
    pub fn upsert(&self, doc: IndexDoc) -> Result<(), IndexError> {
        self.apply(vec![Change::Upsert(doc)])
    }

    /// Removes one tool.
    pub fn remove(&self, id: i64) -> Result<(), IndexError> {
        self.apply(vec![Change::Remove(id)])
    }

    /// Applies `batch` in order as one commit. A batch with an embedding of the wrong
    /// dimension is refused whole, before anything changes.
    pub fn apply(&self, batch: Vec<Change>) -> Result<(), IndexError> {
        for change in &batch {
            if let Change::Upsert(doc) = change
                && let Some(v) = &doc.embedding
                && v.len() != self.dimension
            {
                return Err(IndexError::Dimension {
                    id: doc.id,
                    got: v.len(),
                    expected: self.dimension,
                });
            }
        }
        let _one_batch = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        // Later changes to an id win: keep only each id's last change.
        let mut last = std::collections::HashMap::with_capacity(batch.len());
        for (i, change) in batch.iter().enumerate() {
            let id = match change {
                Change::Upsert(doc) => doc.id,
                Change::Remove(id) => *id,
            };
            last.insert(id, i);
        }
        let mut upserts = Vec::new();
        let mut removals = Vec::new();
        for (i, change) in batch.iter().enumerate() {
            match change {
                Change::Upsert(doc) if last[&doc.id] == i => upserts.push(doc),
                Change::Remove(id) if last[id] == i => removals.push(*id),
                _ => {}
            }
        }
        {
            let names = self.names.read().unwrap_or_else(|e| e.into_inner());
            // `names` holds exactly the tools of every batch applied in full (this is the
            // only writer, and it updates `names` last).
            let commit = !self.bulk.load(Ordering::Acquire);
            self.text
                .apply(&upserts, &removals, |id| names.contains(id), commit)?;
        }
        {
            let mut v = self.vectors.write().unwrap_or_else(|e| e.into_inner());
            for &id in &removals {
                v.remove(id);
            }
            for doc in &upserts {
                match &doc.embedding {
                    Some(e) => v.upsert(doc.id, e, &doc.category, &doc.tags),
                    None => v.remove(doc.id),
                }
            }
        }
        // Last, so a tool counted by `len` is searchable by text and by vector.
        {
            let mut names = self.names.write().unwrap_or_else(|e| e.into_inner());
            let mut digest = self.digest.load(Ordering::Acquire);
            for id in &removals {
                if let Some(old) = names.remove(*id) {
                    digest = digest.wrapping_sub(old);
                }
            }
            for doc in &upserts {
                let print = doc.fingerprint();
                if let Some(old) = names.insert(doc, print) {
                    digest = digest.wrapping_sub(old);
                }
                digest = digest.wrapping_add(print);
            }
            self.digest.store(digest, Ordering::Release);
        }
        self.generation.store(next_generation(), Ordering::Release);
        Ok(())
    }

    /// Prepares an index that is not searched yet for about `tools` tools arriving in
    /// batches (a full build): room is made for them at once, instead of growing (and
    /// copying) the vectors batch by batch; the vectors' codes, and the text side's commit,
    /// wait for [`SearchIndex::finish_bulk`]. Until then a search sees nothing of the batches
    /// by text and chooses rows to score at random by vector, so an index is searched only
    /// after (a build publishes it after).
    pub fn begin_bulk(&self, tools: usize) {
        self.bulk.store(true, Ordering::Release);
        self.vectors
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .begin_bulk(tools);
        self.names
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .reserve(tools);
    }

    /// Ends [`SearchIndex::begin_bulk`]: commits the text side, codes every vector, gives
    /// back spare room.
    pub fn finish_bulk(&self) -> Result<(), IndexError> {
        let _one_batch = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        self.text.commit()?;
        self.bulk.store(false, Ordering::Release);
        self.vectors
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .finish_bulk();
        self.generation.store(next_generation(), Ordering::Release);
        Ok(())
    }

    /// The vector side, for reading (a panic elsewhere poisons nothing worth refusing).
    fn read_vectors(&self) -> std::sync::RwLockReadGuard<'_, Vectors> {
        self.vectors.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The name of tool `id`, if the index holds it.
    pub fn name(&self, id: i64) -> Option<Box<str>> {
        self.names
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .name(id)
            .map(Into::into)
    }

    /// An order-independent hash of every tool the index holds (the wrapping sum of their
    /// [`IndexDoc::fingerprint`]s): equal for two indexes holding the same tools, so a test
    /// or an operator can compare a replica's index with the table.
    pub fn digest(&self) -> u64 {
        self.digest.load(Ordering::Acquire)
    }

    /// How many tools the index holds: those of every batch applied in full (a search may
    /// already see the text side of the batch being applied).
    pub fn len(&self) -> usize {
        self.names.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// How many tantivy segments a text search visits (a benchmark and metrics figure).
    pub fn text_segments(&self) -> usize {
        self.text.segments()
    }

    /// Whether the index holds no tool.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many tools have a vector.
    pub fn vector_len(&self) -> usize {
        self.read_vectors().len()
    }

    /// Heap bytes held by the vector side: vectors, their codes, ids, labels, the id map.
    pub fn vector_bytes(&self) -> usize {
        self.read_vectors().vector_bytes()
    }

    /// A number that changes with every batch applied, and that no other index of this
    /// process ever had: a cheap way to tell that the index changed (or was replaced), to key
    /// what was computed from it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The tools `scope` permits, for [`IndexFilter::allowed`]: a pass over every tool, so a
    /// caller computes it once per [`SearchIndex::generation`] and keeps it.
    pub fn allowed(&self, scope: &crate::domain::ToolScope) -> AllowedIds {
        self.names
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .allowed(scope)
    }

    /// The `k` tools whose text best matches `query` (any word may match), with their BM25
    /// scores, best first. A query with no searchable word answers nothing.
    pub fn text_top_k(
        &self,
        query: &str,
        filter: &IndexFilter,
        k: usize,
    ) -> Result<Vec<(i64, f32)>, IndexError> {
        self.text.top_k(query, filter, k)
    }

    /// The `k` tools whose vectors are most similar (cosine) to `query`, best first, ties by
    /// id; `exclude` is never returned. A query of another dimension answers nothing. The
    /// similarities are exact; which tools are scored is chosen by four-bit codes, so a
    /// true neighbour is missed now and then (`bench_index` measures how often).
    pub fn vector_top_k(
        &self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
    ) -> Vec<(i64, f32)> {
        self.read_vectors().nearest(query, filter, k, exclude)
    }

    /// The cosine similarity of tool `id` to `query`: `None` when the tool has no vector.
    pub fn similarity(&self, id: i64, query: &[f32]) -> Option<f32> {
        self.read_vectors().similarity(id, query)
    }

    /// Tool `id`'s vector (unit length), to search for its neighbours.
    pub fn vector(&self, id: i64) -> Option<Vec<f32>> {
        self.read_vectors().vector(id)
    }

    /// [`SearchIndex::vector_top_k`] with every passing tool scored: the reference
    /// `bench_index` measures recall against.
    pub fn vector_top_k_exact(
        &self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
    ) -> Vec<(i64, f32)> {
        self.read_vectors().nearest_exact(query, filter, k, exclude)
    }

    /// [`SearchIndex::vector_top_k`] with `candidates` tools (instead of the default
    /// policy's) chosen by code and scored exactly, for `bench_index`'s sweep.
    pub fn vector_top_k_rescoring(
        &self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
        candidates: usize,
    ) -> Vec<(i64, f32)> {
        self.read_vectors()
            .nearest_rescoring(query, filter, k, exclude, candidates)
    }
}

#[cfg(test)]
mod tests;
