//! The embedded store's vector search: an exact index held in memory, kept in step with the
//! `tools` table through a change log that the database writes itself.
//!
//! sqlite-vec's `vec_distance_cosine` is scalar C called once per row, so an unfiltered search
//! of 100,000 tools took about 180 ms. Here every vector is normalised once and kept in one
//! contiguous array: a search is one dot product per tool, which the compiler vectorises. It
//! stays exact (every tool is scored), so no recall is traded for the speed.
//!
//! Triggers (migrations/sqlite/0006) append a tool's id to `tool_vector_changes` whenever its
//! row is inserted, its `embedding` is written or it is deleted, whichever process does it (the
//! server, or `toolbox import` run beside it). Before each search the index applies the log
//! entries after the last one it has seen, reading each tool's current embedding; if the log
//! was pruned past that point, it reloads everything.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures::TryStreamExt;
use sqlx::SqlitePool;

use super::vector_from_blob;
use crate::store::StoreError;

/// Above this many vectors a search runs on the blocking pool rather than on a runtime worker.
const BLOCKING_ABOVE: usize = 20_000;

/// The in-memory index. Shared by every clone of the store.
#[derive(Default)]
pub struct VectorIndex {
    vectors: Arc<RwLock<Vectors>>,
    /// One synchronisation at a time; searches wait for it, then read.
    sync: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Vectors {
    /// The last change-log entry applied; `None` before the first load.
    seq: Option<i64>,
    dimension: usize,
    ids: Vec<i64>,
    /// `ids.len() × dimension` unit vectors (zero vectors stay zero), row after row.
    data: Vec<f32>,
    position: HashMap<i64, usize>,
}

impl VectorIndex {
    /// Brings the index up to date with the database: applies the change-log entries it has
    /// not seen, or loads every vector on first use (or when the log no longer reaches back).
    pub async fn sync(&self, pool: &SqlitePool) -> Result<(), StoreError> {
        let _one_at_a_time = self.sync.lock().await;
        let seen = self.read().seq;
        let (first, last): (Option<i64>, Option<i64>) =
            // Two subqueries: SQLite answers a lone min() or max() from the key's ends, but
            // scans the whole log for both in one aggregate.
            sqlx::query_as(
                "SELECT (SELECT min(seq) FROM tool_vector_changes), \
                        (SELECT max(seq) FROM tool_vector_changes)",
            )
                .fetch_one(pool)
                .await?;
        match seen {
            Some(seen) if last.is_none_or(|last| last <= seen) => Ok(()),
            Some(seen) if first.is_some_and(|first| first <= seen + 1) => {
                self.apply_changes(pool, seen).await
            }
            _ => self.reload(pool).await,
        }
    }

    /// The ids of the `k` stored vectors most similar (cosine) to `query`, best first, ties
    /// by id. With `only`, just those ids are scored; `exclude` is never returned.
    pub async fn nearest(
        &self,
        query: &[f32],
        k: usize,
        only: Option<Vec<i64>>,
        exclude: Option<i64>,
    ) -> Vec<i64> {
        let query = unit(query);
        let vectors = Arc::clone(&self.vectors);
        let run = move || {
            let v = vectors.read().unwrap_or_else(|e| e.into_inner());
            v.nearest(&query, k, only.as_deref(), exclude)
        };
        if self.read().ids.len() <= BLOCKING_ABOVE {
            return run();
        }
        match tokio::task::spawn_blocking(run).await {
            Ok(ids) => ids,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// How many vectors the index holds.
    pub fn len(&self) -> usize {
        self.read().ids.len()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vectors> {
        self.vectors.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vectors> {
        self.vectors.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Loads every vector from one snapshot of the database, then swaps it in.
    async fn reload(&self, pool: &SqlitePool) -> Result<(), StoreError> {
        let mut tx = pool.begin().await?;
        let (seq, count, dimension): (i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT coalesce(max(seq), 0) FROM tool_vector_changes), \
                    count(*), max(length(embedding)) / 4 \
             FROM tools WHERE embedding IS NOT NULL",
        )
        .fetch_one(&mut *tx)
        .await?;
        // Sized once and filled row by row: no second copy of every vector while loading.
        let (count, dimension) = (count as usize, dimension.unwrap_or(0) as usize);
        let mut fresh = Vectors {
            seq: Some(seq),
            ids: Vec::with_capacity(count),
            data: Vec::with_capacity(count * dimension),
            position: HashMap::with_capacity(count),
            ..Vectors::default()
        };
        let mut rows = sqlx::query_as::<_, (i64, Vec<u8>)>(
            "SELECT id, embedding FROM tools WHERE embedding IS NOT NULL",
        )
        .fetch(&mut *tx);
        while let Some((id, blob)) = rows.try_next().await? {
            fresh.upsert(id, &vector_from_blob(&blob));
        }
        drop(rows);
        tx.commit().await?;
        tracing::debug!(vectors = fresh.ids.len(), seq, "vector index loaded");
        *self.write() = fresh;
        Ok(())
    }

    /// Applies the change-log entries after `seen`, with each tool's embedding as it is now.
    async fn apply_changes(&self, pool: &SqlitePool, seen: i64) -> Result<(), StoreError> {
        let rows: Vec<(i64, i64, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT c.seq, c.tool_id, t.embedding FROM tool_vector_changes c \
             LEFT JOIN tools t ON t.id = c.tool_id WHERE c.seq > ?1 ORDER BY c.seq",
        )
        .bind(seen)
        .fetch_all(pool)
        .await?;
        let mut v = self.write();
        for (seq, id, blob) in rows {
            match blob {
                Some(blob) => v.upsert(id, &vector_from_blob(&blob)),
                None => v.remove(id),
            }
            v.seq = Some(seq);
        }
        Ok(())
    }
}

impl Vectors {
    fn upsert(&mut self, id: i64, vector: &[f32]) {
        if self.ids.is_empty() {
            self.dimension = vector.len();
        }
        if vector.len() != self.dimension {
            // The store refuses to start with another dimension, so this is a damaged row.
            tracing::warn!(
                tool.id = id,
                len = vector.len(),
                "embedding of the wrong length skipped"
            );
            self.remove(id);
            return;
        }
        let vector = unit(vector);
        match self.position.get(&id) {
            Some(&i) => self.data[i * self.dimension..][..self.dimension].copy_from_slice(&vector),
            None => {
                self.position.insert(id, self.ids.len());
                self.ids.push(id);
                self.data.extend_from_slice(&vector);
            }
        }
    }

    fn remove(&mut self, id: i64) {
        let Some(i) = self.position.remove(&id) else {
            return;
        };
        let last = self.ids.len() - 1;
        let d = self.dimension;
        if i != last {
            self.data.copy_within(last * d..(last + 1) * d, i * d);
            self.ids[i] = self.ids[last];
            self.position.insert(self.ids[i], i);
        }
        self.ids.truncate(last);
        self.data.truncate(last * d);
    }

    fn nearest(
        &self,
        query: &[f32],
        k: usize,
        only: Option<&[i64]>,
        exclude: Option<i64>,
    ) -> Vec<i64> {
        if k == 0 || query.len() != self.dimension {
            return vec![];
        }
        let score = |i: usize| {
            (
                dot(query, &self.data[i * self.dimension..][..self.dimension]),
                self.ids[i],
            )
        };
        let mut scored: Vec<(f32, i64)> = match only {
            Some(ids) => ids
                .iter()
                .filter_map(|id| self.position.get(id))
                .map(|&i| score(i))
                .collect(),
            None => (0..self.ids.len()).map(score).collect(),
        };
        scored.retain(|&(_, id)| Some(id) != exclude);
        let best_first = |a: &(f32, i64), b: &(f32, i64)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if scored.len() > k {
            scored.select_nth_unstable_by(k - 1, best_first);
            scored.truncate(k);
        }
        scored.sort_unstable_by(best_first);
        scored.into_iter().map(|(_, id)| id).collect()
    }
}

/// `v` scaled to length one; a zero (or non-finite) vector becomes all zeros, which scores 0
/// against everything, as a cosine with no direction should.
fn unit(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// A dot product in eight independent lanes, so the compiler emits SIMD multiply-adds.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, a_rest) = a.as_chunks::<8>();
    let (b8, b_rest) = b.as_chunks::<8>();
    for (x, y) in a8.iter().zip(b8) {
        for l in 0..8 {
            lanes[l] += x[l] * y[l];
        }
    }
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(rows: &[(i64, &[f32])]) -> Vectors {
        let mut v = Vectors::default();
        for (id, vec) in rows {
            v.upsert(*id, vec);
        }
        v
    }

    #[test]
    fn nearest_ranks_by_cosine_and_breaks_ties_by_id() {
        let v = index(&[
            (1, &[1.0, 0.0]),
            (2, &[0.0, 1.0]),
            (3, &[2.0, 2.0]),
            (4, &[1.0, 1.0]),
        ]);
        assert_eq!(
            v.nearest(&unit(&[1.0, 0.1]), 4, None, None),
            vec![1, 3, 4, 2]
        );
        assert_eq!(v.nearest(&unit(&[1.0, 0.1]), 2, None, None), vec![1, 3]);
    }

    #[test]
    fn nearest_scores_only_the_allowed_ids_and_never_the_excluded_one() {
        let v = index(&[(1, &[1.0, 0.0]), (2, &[0.9, 0.1]), (3, &[0.0, 1.0])]);
        let q = unit(&[1.0, 0.0]);
        assert_eq!(v.nearest(&q, 5, Some(&[3, 2, 99]), None), vec![2, 3]);
        assert_eq!(v.nearest(&q, 5, None, Some(1)), vec![2, 3]);
    }

    #[test]
    fn removing_and_updating_keep_the_other_vectors_in_place() {
        let mut v = index(&[(1, &[1.0, 0.0]), (2, &[0.0, 1.0]), (3, &[0.7, 0.7])]);
        v.remove(1);
        v.upsert(2, &[1.0, 0.0]);
        v.remove(42);
        assert_eq!(v.ids.len(), 2);
        assert_eq!(v.nearest(&unit(&[1.0, 0.0]), 3, None, None), vec![2, 3]);
        assert_eq!(v.nearest(&unit(&[0.0, 1.0]), 1, None, None), vec![3]);
    }

    #[test]
    fn dot_matches_the_plain_sum_for_lengths_that_are_not_multiples_of_eight() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.1).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
    }

    #[test]
    fn a_zero_vector_scores_zero_instead_of_nan() {
        let v = index(&[(1, &[0.0, 0.0]), (2, &[1.0, 0.0])]);
        assert_eq!(v.nearest(&unit(&[1.0, 0.0]), 2, None, None), vec![2, 1]);
        assert_eq!(v.nearest(&unit(&[0.0, 0.0]), 2, None, None), vec![1, 2]);
    }
}
