//! The vector side: unit vectors in one contiguous array, with the category and tag filters
//! checked per row before it is considered.
//!
//! A search scans a four-bit code of every row that passes the filter ([`Codes`]), keeps
//! the rows whose codes estimate the highest similarity (many more than asked for:
//! [`candidates`]) and scores those exactly in float; so every similarity returned is the exact cosine and the hits are
//! ranked exactly, and the codes only decide which rows are scored. `bench_index` measures
//! the recall against [`Vectors::nearest_exact`], which scores every row.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use super::IndexFilter;
use super::codes::Codes;
use super::kernels::{dot, unit};

/// Rows scored exactly per search, at least: below this many passing rows the search is exact.
/// (`bench_index` at 100,000 and 1,000,000 tools: 250 rows rescored already find every one of
/// the exact top 10, and ≥ 0.997 of the top 50, for in- and out-of-distribution queries.)
const MIN_CANDIDATES: usize = 500;
/// ... and at least this many per hit asked for.
const CANDIDATES_PER_HIT: usize = 10;
/// ... and at least this fraction (1/n) of the rows, as the nearest codes spread over more
/// rows in a larger index.
const CANDIDATE_FRACTION: usize = 400;

/// A filtered search scores every passing row exactly when there are at most this many times
/// the candidates: a float row costs about as much as a few codes.
const EXACT_WITHIN: usize = 4;

/// How many rows a search for `k` hits among `rows` scores exactly: see the constants.
pub(super) fn candidates(k: usize, rows: usize) -> usize {
    MIN_CANDIDATES
        .max(k.saturating_mul(CANDIDATES_PER_HIT))
        .max(rows / CANDIDATE_FRACTION)
}

/// Vectors, filter labels and positions, row after row.
#[derive(Debug, Default)]
pub(super) struct Vectors {
    dimension: usize,
    ids: Vec<i64>,
    /// `ids.len() × dimension` unit vectors (zero vectors stay zero).
    data: Vec<f32>,
    /// Each row's code, in the same row order.
    codes: Codes,
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
            codes: Codes::new(dimension),
            ..Self::default()
        }
    }

    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Heap bytes held by the vector side (vectors, codes, ids, labels and the id map; the
    /// allocator's own overhead per tag list is not counted), for the benchmark and metrics.
    pub(super) fn vector_bytes(&self) -> usize {
        let tags: usize = self.tags.iter().map(|t| t.len() * size_of::<u32>()).sum();
        let labels: usize = self.labels.keys().map(String::capacity).sum::<usize>()
            + self.labels.capacity() * (size_of::<(String, u32)>() + 1);
        self.data.capacity() * size_of::<f32>()
            + self.codes.bytes()
            + self.ids.capacity() * size_of::<i64>()
            + self.category.capacity() * size_of::<u32>()
            + self.tags.capacity() * size_of::<Box<[u32]>>()
            + tags
            + self.position.capacity() * (size_of::<(i64, usize)>() + 1)
            + labels
    }

    /// Makes room for `rows` more rows, whose codes wait for [`Vectors::finish_bulk`].
    pub(super) fn begin_bulk(&mut self, rows: usize) {
        let d = self.dimension;
        self.ids.reserve_exact(rows);
        self.data.reserve_exact(rows * d);
        self.codes.reserve_deferred(rows);
        self.category.reserve_exact(rows);
        self.tags.reserve_exact(rows);
        self.position.reserve(rows);
    }

    /// Codes every row around one centre, and gives back spare capacity.
    pub(super) fn finish_bulk(&mut self) {
        self.codes.end_deferral(&self.data);
        self.shrink_to_fit();
    }

    /// Gives back spare capacity.
    pub(super) fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.data.shrink_to_fit();
        self.codes.shrink_to_fit();
        self.category.shrink_to_fit();
        self.tags.shrink_to_fit();
        self.position.shrink_to_fit();
    }

    fn label(&mut self, s: &str) -> u32 {
        let next = self.labels.len() as u32;
        *self.labels.entry(s.to_owned()).or_insert(next)
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dimension..][..self.dimension]
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
                let old = self.row(i).to_vec();
                self.codes.replace(i, &old, &vector);
                self.data[i * d..][..d].copy_from_slice(&vector);
                self.category[i] = category;
                self.tags[i] = tag_ids.into();
            }
            None => {
                // Grow by an eighth, not the doubling `Vec` does: at 100k × 384 that is
                // 20 MB of slack at most rather than 150.
                if self.data.capacity() < self.data.len() + d {
                    self.data.reserve_exact(d.max(self.data.len() / 8));
                }
                self.position.insert(id, self.ids.len());
                self.ids.push(id);
                self.data.extend_from_slice(&vector);
                self.codes.push(&vector);
                self.category.push(category);
                self.tags.push(tag_ids.into());
                self.codes.maybe_recentre(&self.data);
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
        let old = self.row(i).to_vec();
        self.codes.swap_remove(i, &old);
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
        self.codes.maybe_recentre(&self.data);
    }

    /// The `k` rows most similar to `query` that pass `filter`, best first, ties by id;
    /// `exclude` is never returned. The rows scored are the [`candidates`] best by code.
    pub(super) fn nearest(
        &self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
    ) -> Vec<(i64, f32)> {
        let wanted = candidates(k, self.len());
        self.nearest_rescoring(query, filter, k, exclude, wanted)
    }

    /// [`Vectors::nearest`] with `wanted` rows scored exactly, for the benchmark's sweep.
    pub(super) fn nearest_rescoring(
        &self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
        wanted: usize,
    ) -> Vec<(i64, f32)> {
        let Some(mut keep) = self.keep(query, filter, k, exclude) else {
            return vec![];
        };
        let query = unit(query);
        let mut top = TopK::new(k);
        let filtered = filter.restricts();
        if filtered {
            // A narrow filter leaves few rows: scoring them all is exact and costs less than
            // a pass over every code.
            let passing: Vec<usize> = (0..self.len()).filter(|&i| keep(i)).collect();
            if passing.len() <= EXACT_WITHIN * wanted {
                for i in passing {
                    top.push(Hit(dot(&query, self.row(i)), self.ids[i]));
                }
                return top.into_sorted();
            }
        }
        let coded = self.codes.query(&query);
        let rows = if filtered {
            let keep = self
                .keep(&query, filter, k, exclude)
                .expect("checked above");
            self.codes.nearest_rows(&coded, keep, wanted.max(k))
        } else {
            // No per-row test in the scan at all (it costs as much as a tenth of the scan);
            // the excluded tool, if any, is dropped after it, so one more row is taken.
            let extra = usize::from(exclude.is_some());
            self.codes
                .nearest_rows(&coded, |_| true, wanted.max(k) + extra)
        };
        for i in rows {
            if Some(self.ids[i]) != exclude {
                top.push(Hit(dot(&query, self.row(i)), self.ids[i]));
            }
        }
        top.into_sorted()
    }

    /// Like [`Vectors::nearest`], but every passing row is scored: the reference the
    /// approximate search is measured against.
    pub(super) fn nearest_exact(
        &self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
    ) -> Vec<(i64, f32)> {
        let Some(mut keep) = self.keep(query, filter, k, exclude) else {
            return vec![];
        };
        let query = unit(query);
        let mut top = TopK::new(k);
        for i in (0..self.len()).filter(|&i| keep(i)) {
            top.push(Hit(dot(&query, self.row(i)), self.ids[i]));
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
        Some(dot(&unit(query), self.row(i)))
    }

    /// `id`'s vector as stored (unit length), `None` when it has none.
    pub(super) fn vector(&self, id: i64) -> Option<Vec<f32>> {
        let &i = self.position.get(&id)?;
        Some(self.row(i).to_vec())
    }

    /// Whether a row passes `filter` and is not `exclude`, or `None` when no row can.
    fn keep<'a>(
        &'a self,
        query: &[f32],
        filter: &IndexFilter,
        k: usize,
        exclude: Option<i64>,
    ) -> Option<impl FnMut(usize) -> bool + 'a> {
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
        let allowed = filter.allowed.clone();
        if allowed.as_ref().is_some_and(|a| a.is_empty()) {
            return None;
        }
        Some(move |i: usize| {
            category.is_none_or(|c| c == self.category[i])
                && tags.iter().all(|t| self.tags[i].binary_search(t).is_ok())
                && Some(self.ids[i]) != exclude
                && allowed.as_ref().is_none_or(|a| a.contains(self.ids[i]))
        })
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
            allowed: None,
        };
        assert_eq!(v.len(), 2);
        assert_eq!(ids(v.nearest(&[1.0, 0.0], &only_c, 3, None)), [3]);
    }

    /// Deterministic clustered vectors: 20 centres plus noise, with a shared component.
    fn clustered(n: usize, d: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut state = seed;
        let mut noise = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let centres: Vec<Vec<f32>> = (0..20)
            .map(|c| (0..d).map(|j| ((c * 31 + j * 7) as f32).sin()).collect())
            .collect();
        (0..n)
            .map(|i| {
                let c = &centres[i % centres.len()];
                c.iter().map(|x| 2.0 + x + noise()).collect()
            })
            .collect()
    }

    fn clustered_index(n: usize, d: usize) -> Vectors {
        let mut v = Vectors::new(d);
        for (id, x) in clustered(n, d, 1).iter().enumerate() {
            let cat = if id % 3 == 0 { "a" } else { "b" };
            v.upsert(id as i64, x, cat, &[]);
        }
        v
    }

    #[test]
    fn scoring_every_candidate_gives_the_exact_top_k() {
        let v = clustered_index(500, 37);
        let only_a = IndexFilter {
            category: Some("a".into()),
            tags: vec![],
            allowed: None,
        };
        for q in clustered(10, 37, 2) {
            for filter in [&IndexFilter::default(), &only_a] {
                let exact = v.nearest_exact(&q, filter, 7, Some(3));
                assert_eq!(v.nearest_rescoring(&q, filter, 7, Some(3), 500), exact);
                assert_eq!(v.nearest(&q, filter, 7, Some(3)), exact);
            }
        }
    }

    #[test]
    fn a_tenth_of_the_rows_rescored_finds_nearly_all_of_the_exact_top_ten() {
        let v = clustered_index(4_000, 64);
        let all = IndexFilter::default();
        let (mut found, mut wanted) = (0, 0);
        for q in clustered(30, 64, 3) {
            let exact = ids(v.nearest_exact(&q, &all, 10, None));
            let approx = v.nearest_rescoring(&q, &all, 10, None, 400);
            wanted += exact.len();
            found += approx.iter().filter(|h| exact.contains(&h.0)).count();
            // Whatever was found carries its exact similarity.
            for (id, score) in approx {
                let exact_score = v.similarity(id, &q).unwrap();
                assert!((score - exact_score).abs() < 1e-6);
            }
        }
        assert!(found as f64 >= 0.9 * wanted as f64, "{found} of {wanted}");
    }

    #[test]
    fn each_row_keeps_its_own_code_through_upserts_and_removals() {
        let mut v = clustered_index(300, 16);
        for id in (0..300).step_by(4) {
            v.remove(id);
        }
        for (id, x) in clustered(100, 16, 9).iter().enumerate() {
            v.upsert(id as i64 * 2, x, "b", &[]);
        }
        for i in 0..v.len() {
            let (code, scale) = v.codes.code(i);
            assert_eq!((code.to_vec(), scale), v.codes.encode(v.row(i)), "row {i}");
        }
    }
}
