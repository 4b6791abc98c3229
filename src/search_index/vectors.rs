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
    /// The same vectors as int8 codes, row after row, and each row's scale: `data ≈ scale ×
    /// codes`. Scanned first by [`Vectors::nearest_int8`], which rescores the best in `data`.
    codes: Vec<i8>,
    scales: Vec<f32>,
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
        self.data.capacity() * size_of::<f32>() + self.codes.capacity()
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
        let (codes, scale) = quantise(&vector);
        match self.position.get(&id) {
            Some(&i) => {
                self.data[i * d..][..d].copy_from_slice(&vector);
                self.codes[i * d..][..d].copy_from_slice(&codes);
                self.scales[i] = scale;
                self.category[i] = category;
                self.tags[i] = tag_ids.into();
            }
            None => {
                self.position.insert(id, self.ids.len());
                self.ids.push(id);
                self.data.extend_from_slice(&vector);
                self.codes.extend_from_slice(&codes);
                self.scales.push(scale);
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
            self.codes.copy_within(last * d..(last + 1) * d, i * d);
            self.scales.swap(i, last);
            self.ids.swap(i, last);
            self.category.swap(i, last);
            self.tags.swap(i, last);
            self.position.insert(self.ids[i], i);
        }
        self.ids.truncate(last);
        self.data.truncate(last * d);
        self.codes.truncate(last * d);
        self.scales.truncate(last);
        self.category.truncate(last);
        self.tags.truncate(last);
    }

    /// The `k` rows most similar to `query` that pass `filter`, best first, ties by id;
    /// `exclude` is never returned. Exact: every passing row is scored in float.
    pub(super) fn nearest(
        &self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
    ) -> Vec<(i64, f32)> {
        let Some(rows) = self.rows(query, filter, k, exclude) else {
            return vec![];
        };
        let query = unit(query);
        let d = self.dimension;
        let mut top = TopK::new(k);
        for i in rows {
            top.push(Hit(dot(&query, &self.data[i * d..][..d]), self.ids[i]));
        }
        top.into_sorted()
    }

    /// Like [`Vectors::nearest`], but the scan compares int8 codes and only the best
    /// `candidates` rows are rescored exactly in float: a quarter of the memory traffic, at
    /// the price of recall when more than `candidates` rows score close to the k-th.
    pub(super) fn nearest_int8(
        &self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
        candidates: usize,
    ) -> Vec<(i64, f32)> {
        let Some(rows) = self.rows(query, filter, k, exclude) else {
            return vec![];
        };
        let query = unit(query);
        let (codes, q_scale) = quantise(&query);
        let d = self.dimension;
        let mut rough = TopK::new(candidates.max(k));
        for i in rows {
            let approx = dot_i8(&codes, &self.codes[i * d..][..d]) as f32 * self.scales[i];
            rough.push(Hit(approx * q_scale, i as i64));
        }
        let mut top = TopK::new(k);
        for (row, _) in rough.into_sorted() {
            let i = row as usize;
            top.push(Hit(dot(&query, &self.data[i * d..][..d]), self.ids[i]));
        }
        top.into_sorted()
    }

    /// The cosine similarity of `id`'s vector to `query`, `None` when `id` has no vector or
    /// `query` another dimension.
    pub(super) fn similarity(&self, id: i64, query: &[f32]) -> Option<f32> {
        let &i = self.position.get(&id)?;
        if query.len() != self.dimension {
            return None;
        }
        let d = self.dimension;
        Some(dot(&unit(query), &self.data[i * d..][..d]))
    }

    /// `id`'s vector as stored (unit length), `None` when it has none.
    pub(super) fn vector(&self, id: i64) -> Option<Vec<f32>> {
        let &i = self.position.get(&id)?;
        let d = self.dimension;
        Some(self.data[i * d..][..d].to_vec())
    }

    /// The rows that pass `filter` and are not `exclude`, or `None` when nothing can.
    fn rows<'a>(
        &'a self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
    ) -> Option<impl Iterator<Item = usize> + 'a> {
        if k == 0 || query.len() != self.dimension {
            return None;
        }
        // A label no row carries matches nothing; resolving labels here keeps the scan to
        // integer comparisons.
        let category = match filter.category.as_deref() {
            Some(c) => Some(*self.labels.get(c)?),
            None => None,
        };
        let tags = filter
            .tags
            .iter()
            .map(|t| self.labels.get(t.as_str()).copied())
            .collect::<Option<Vec<u32>>>()?;
        Some((0..self.ids.len()).filter(move |&i| {
            category.is_none_or(|c| c == self.category[i])
                && tags.iter().all(|t| self.tags[i].binary_search(t).is_ok())
                && Some(self.ids[i]) != exclude
        }))
    }
}

/// The best `k` hits seen so far; the worst kept one on top of the heap.
struct TopK {
    k: usize,
    heap: BinaryHeap<Hit>,
}

impl TopK {
    fn new(k: usize) -> Self {
        Self {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    fn push(&mut self, hit: Hit) {
        if self.heap.len() < self.k {
            self.heap.push(hit);
        } else if self.heap.peek().is_some_and(|worst| hit < *worst) {
            self.heap.pop();
            self.heap.push(hit);
        }
    }

    /// Best first, as `(id, score)`.
    fn into_sorted(self) -> Vec<(i64, f32)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Hit(score, id)| (id, score))
            .collect()
    }
}

/// Symmetric int8 codes of a unit vector and the scale that maps them back.
fn quantise(v: &[f32]) -> (Vec<i8>, f32) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        return (vec![0; v.len()], 0.0);
    }
    let scale = max / 127.0;
    let codes = v.iter().map(|x| (x / scale).round() as i8).collect();
    (codes, scale)
}

/// An int8 dot product in sixteen i32 lanes, which the compiler vectorises.
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut lanes = [0i32; 16];
    let (a16, a_rest) = a.as_chunks::<16>();
    let (b16, b_rest) = b.as_chunks::<16>();
    for (x, y) in a16.iter().zip(b16) {
        for l in 0..16 {
            lanes[l] += i32::from(x[l]) * i32::from(y[l]);
        }
    }
    let tail: i32 = a_rest
        .iter()
        .zip(b_rest)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum();
    lanes.iter().sum::<i32>() + tail
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
    fn the_int8_scan_rescored_in_float_agrees_with_the_exact_one() {
        let mut v = Vectors::new(3);
        for id in 0..50i64 {
            let x = id as f32;
            v.upsert(id, &[x.sin(), x.cos(), 0.3], "a", &[]);
        }
        let all = IndexFilter::default();
        let q = [0.2, 0.9, 0.1];
        assert_eq!(
            v.nearest_int8(&q, &all, 5, Some(7), 50),
            v.nearest(&q, &all, 5, Some(7))
        );
    }

    #[test]
    fn dot_matches_the_plain_sum_for_lengths_that_are_not_multiples_of_eight() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.1).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
    }
}
