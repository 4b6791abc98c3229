//! The vector side: an exact cosine scan over one contiguous array of unit vectors, with the
//! category and tag filters checked per row before it is scored.
//!
//! The kernel (`unit`, `dot`) is the one in `store/sqlite/vectors.rs`, copied while both
//! exist; wiring the store to this index removes that copy.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use super::IndexFilter;

/// Vectors, filter labels and positions, row after row.
#[derive(Debug, Default)]
pub(super) struct Vectors {
    dimension: usize,
    ids: Vec<i64>,
    /// `ids.len() × dimension` unit vectors (zero vectors stay zero).
    data: Vec<f32>,
    /// Each row's category, as a label id.
    category: Vec<u32>,
    /// Each row's tags, as sorted label ids.
    tags: Vec<Box<[u32]>>,
    position: HashMap<i64, usize>,
    /// Category and tag strings to label ids; labels are never forgotten (there are few).
    labels: HashMap<String, u32>,
}

/// A scored row in the top-k heap: the *worst* kept hit sits on top.
#[derive(PartialEq)]
struct Hit(f32, i64);

impl Eq for Hit {}

impl Ord for Hit {
    /// Worse is greater: lower similarity, then the larger id; so the heap's top is the worst.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Vectors {
    pub(super) fn new(dimension: usize) -> Self {
        Self {
            dimension,
            ..Self::default()
        }
    }

    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Resident bytes of the vector array, for the benchmark and later for metrics.
    pub(super) fn vector_bytes(&self) -> usize {
        self.data.capacity() * size_of::<f32>()
    }

    fn label(&mut self, s: &str) -> u32 {
        let next = self.labels.len() as u32;
        *self.labels.entry(s.to_owned()).or_insert(next)
    }

    /// Adds or replaces `id`. The caller has checked the dimension.
    pub(super) fn upsert(&mut self, id: i64, vector: &[f32], category: &str, tags: &[String]) {
        debug_assert_eq!(vector.len(), self.dimension);
        let vector = unit(vector);
        let category = self.label(category);
        let mut tag_ids: Vec<u32> = tags.iter().map(|t| self.label(t)).collect();
        tag_ids.sort_unstable();
        tag_ids.dedup();
        let d = self.dimension;
        match self.position.get(&id) {
            Some(&i) => {
                self.data[i * d..][..d].copy_from_slice(&vector);
                self.category[i] = category;
                self.tags[i] = tag_ids.into();
            }
            None => {
                self.position.insert(id, self.ids.len());
                self.ids.push(id);
                self.data.extend_from_slice(&vector);
                self.category.push(category);
                self.tags.push(tag_ids.into());
            }
        }
    }

    /// Removes `id` by moving the last row into its place.
    pub(super) fn remove(&mut self, id: i64) {
        let Some(i) = self.position.remove(&id) else {
            return;
        };
        let last = self.ids.len() - 1;
        let d = self.dimension;
        if i != last {
            self.data.copy_within(last * d..(last + 1) * d, i * d);
            self.ids.swap(i, last);
            self.category.swap(i, last);
            self.tags.swap(i, last);
            self.position.insert(self.ids[i], i);
        }
        self.ids.truncate(last);
        self.data.truncate(last * d);
        self.category.truncate(last);
        self.tags.truncate(last);
    }

    /// The `k` rows most similar to `query` that pass `filter`, best first, ties by id;
    /// `exclude` is never returned.
    pub(super) fn nearest(
        &self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
    ) -> Vec<(i64, f32)> {
        if k == 0 || query.len() != self.dimension {
            return vec![];
        }
        // A label no row carries matches nothing; resolving it here keeps the scan to integer
        // comparisons.
        let category = match filter.category.as_deref() {
            Some(c) => match self.labels.get(c) {
                Some(&id) => Some(id),
                None => return vec![],
            },
            None => None,
        };
        let mut tags = Vec::with_capacity(filter.tags.len());
        for t in &filter.tags {
            match self.labels.get(t.as_str()) {
                Some(&id) => tags.push(id),
                None => return vec![],
            }
        }
        let query = unit(query);
        let d = self.dimension;
        let mut heap: BinaryHeap<Hit> = BinaryHeap::with_capacity(k + 1);
        for (i, &id) in self.ids.iter().enumerate() {
            if category.is_some_and(|c| c != self.category[i])
                || !tags.iter().all(|t| self.tags[i].binary_search(t).is_ok())
                || Some(id) == exclude
            {
                continue;
            }
            let hit = Hit(dot(&query, &self.data[i * d..][..d]), id);
            if heap.len() < k {
                heap.push(hit);
            } else if heap.peek().is_some_and(|worst| hit < *worst) {
                heap.pop();
                heap.push(hit);
            }
        }
        heap.into_sorted_vec()
            .into_iter()
            .map(|Hit(score, id)| (id, score))
            .collect()
    }
}

/// `v` scaled to length one; a zero (or non-finite) vector becomes all zeros, which scores 0
/// against everything, as a cosine with no direction should.
pub(super) fn unit(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// A dot product in eight independent lanes, so the compiler emits SIMD multiply-adds.
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
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

    fn index(rows: &[(i64, [f32; 2], &str)]) -> Vectors {
        let mut v = Vectors::new(2);
        for (id, vec, cat) in rows {
            v.upsert(*id, vec, cat, &[]);
        }
        v
    }

    fn ids(hits: Vec<(i64, f32)>) -> Vec<i64> {
        hits.into_iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn nearest_ranks_by_cosine_and_breaks_ties_by_id() {
        let v = index(&[
            (4, [1.0, 1.0], "a"),
            (1, [1.0, 0.0], "a"),
            (2, [0.0, 1.0], "a"),
            (3, [2.0, 2.0], "a"),
        ]);
        let all = IndexFilter::default();
        assert_eq!(ids(v.nearest(&[1.0, 0.1], &all, 4, None)), [1, 3, 4, 2]);
        assert_eq!(ids(v.nearest(&[1.0, 0.1], &all, 2, None)), [1, 3]);
        assert_eq!(ids(v.nearest(&[0.0, 1.0], &all, 4, Some(2))), [3, 4, 1]);
    }

    #[test]
    fn removing_moves_the_last_row_with_its_labels() {
        let mut v = index(&[
            (1, [1.0, 0.0], "a"),
            (2, [0.0, 1.0], "b"),
            (3, [0.7, 0.7], "c"),
        ]);
        v.remove(1);
        v.remove(42);
        let only_c = IndexFilter {
            category: Some("c".into()),
            tags: vec![],
        };
        assert_eq!(v.len(), 2);
        assert_eq!(ids(v.nearest(&[1.0, 0.0], &only_c, 3, None)), [3]);
    }

    #[test]
    fn dot_matches_the_plain_sum_for_lengths_that_are_not_multiples_of_eight() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.1).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
    }
}
