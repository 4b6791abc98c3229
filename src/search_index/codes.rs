//! Four-bit codes of every vector, scanned first to choose which rows are scored exactly.
//!
//! A row's code holds each component of the vector minus the centre (the mean of the stored
//! vectors), rounded to one of 15 steps of the row's own scale (its largest centred
//! component / 7), as an unsigned nibble. A search quantises the query to int8 and estimates
//! `q · (x − centre)` from the codes; `q · centre` is the same for every row, so ranking by
//! the estimate ranks by `q · x`. Centring spends the few levels on what tells rows apart:
//! embeddings share a large common component (model embeddings have cosines of 0.7–0.9
//! between any two texts; the built-in embedder's components are mostly non-negative).
//!
//! Codes are an eighth of the float vectors (192 bytes a row at 384 dimensions), so a scan of
//! every row reads little memory, and AVX2 multiplies 64 nibbles by the query in a few
//! instructions ([`super::kernels::nibble_dots`]).
//!
//! The centre is taken again, and every code recomputed from the float vectors, whenever the
//! number of rows has doubled or halved since it was last taken: amortised, a constant number
//! of encodings per write. Between times codes stay consistent with each other (query and rows
//! use the same centre), only slightly less precise.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::kernels::nibble_dots;

/// Fewer rows than this are not worth centring on: the first centre is taken at this size.
const FIRST_CENTRE: usize = 64;
/// Components per block of a code: 32 bytes, low nibbles first, then high nibbles.
pub(super) const BLOCK: usize = 64;
/// Largest step of a centred component: steps are −7..=7, stored plus 8.
const STEPS: f32 = 7.0;

/// The codes of every row, in row order, and the centre they were taken around.
#[derive(Debug, Default)]
pub(super) struct Codes {
    dimension: usize,
    /// Bytes per code: the dimension rounded up to whole blocks, two components a byte.
    bytes: usize,
    /// `rows × bytes` nibbles: in block `b`, byte `i` holds component `64b + i` in its low
    /// nibble and `64b + 32 + i` in its high one.
    codes: Vec<u8>,
    /// Each row's step: centred component ≈ scale × (nibble − 8).
    scales: Vec<f32>,
    centre: Vec<f32>,
    /// How many rows there were when the centre was taken.
    centred_at: usize,
    /// The running sum of the stored vectors, to take the next centre without a pass.
    sum: Vec<f64>,
}

/// A query as the scan takes it: int8 components in code order, padded to whole blocks.
pub(super) struct CodedQuery {
    components: Vec<i8>,
    /// What `8 × Σ components` subtracts from a row's raw nibble sum.
    offset: i32,
}

impl Codes {
    pub(super) fn new(dimension: usize) -> Self {
        Self {
            dimension,
            bytes: dimension.div_ceil(BLOCK) * BLOCK / 2,
            centre: vec![0.0; dimension],
            sum: vec![0.0; dimension],
            ..Self::default()
        }
    }

    /// Heap bytes held.
    pub(super) fn bytes(&self) -> usize {
        self.codes.capacity()
            + self.scales.capacity() * size_of::<f32>()
            + self.centre.capacity() * size_of::<f32>()
            + self.sum.capacity() * size_of::<f64>()
    }

    /// Row `row`'s code and scale as stored.
    #[cfg(test)]
    pub(super) fn code(&self, row: usize) -> (&[u8], f32) {
        (
            &self.codes[row * self.bytes..][..self.bytes],
            self.scales[row],
        )
    }

    /// The code and scale of the unit vector `v` around the current centre.
    pub(super) fn encode(&self, v: &[f32]) -> (Vec<u8>, f32) {
        let mut code = vec![0u8; self.bytes];
        let scale = self.encode_into(v, &mut code);
        (code, scale)
    }

    fn encode_into(&self, v: &[f32], code: &mut [u8]) -> f32 {
        let centred = v.iter().zip(&self.centre).map(|(x, c)| x - c);
        let max = centred.clone().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / STEPS } else { 0.0 };
        // Padding components are 0, stored as 8.
        code.fill(0x88);
        for (j, x) in centred.enumerate() {
            let step = if scale > 0.0 {
                (x / scale).round().clamp(-STEPS, STEPS)
            } else {
                0.0
            };
            let nibble = (step as i8 + 8) as u8;
            let (block, at) = (j / BLOCK, j % BLOCK);
            let byte = &mut code[block * BLOCK / 2 + at % 32];
            *byte = if at < 32 {
                (*byte & 0xf0) | nibble
            } else {
                (*byte & 0x0f) | (nibble << 4)
            };
        }
        scale
    }

    /// The unit vector `q` quantised for [`Codes::nearest_rows`].
    pub(super) fn query(&self, q: &[f32]) -> CodedQuery {
        let max = q.iter().fold(0f32, |m, x| m.max(x.abs()));
        let mut components = vec![0i8; self.bytes * 2];
        if max > 0.0 {
            for (c, x) in components.iter_mut().zip(q) {
                *c = (x / max * 127.0).round() as i8;
            }
        }
        let offset = 8 * components.iter().map(|&c| i32::from(c)).sum::<i32>();
        CodedQuery { components, offset }
    }

    /// Appends a row for the unit vector `v`.
    pub(super) fn push(&mut self, v: &[f32]) {
        self.add_to_sum(v, 1.0);
        let (code, scale) = self.encode(v);
        if self.codes.capacity() < self.codes.len() + self.bytes {
            // Grow by an eighth, as the float vectors do.
            self.codes
                .reserve_exact(self.bytes.max(self.codes.len() / 8));
        }
        self.codes.extend_from_slice(&code);
        self.scales.push(scale);
    }

    /// Replaces row `row`'s vector `old` by `new`.
    pub(super) fn replace(&mut self, row: usize, old: &[f32], new: &[f32]) {
        self.add_to_sum(old, -1.0);
        self.add_to_sum(new, 1.0);
        let (code, scale) = self.encode(new);
        self.codes[row * self.bytes..][..self.bytes].copy_from_slice(&code);
        self.scales[row] = scale;
    }

    /// Removes row `row` (whose vector is `old`) by moving the last row into its place.
    pub(super) fn swap_remove(&mut self, row: usize, old: &[f32]) {
        self.add_to_sum(old, -1.0);
        let b = self.bytes;
        let last = self.scales.len() - 1;
        self.codes.copy_within(last * b..(last + 1) * b, row * b);
        self.codes.truncate(last * b);
        self.scales.swap_remove(row);
    }

    fn add_to_sum(&mut self, v: &[f32], sign: f64) {
        for (s, x) in self.sum.iter_mut().zip(v) {
            *s += sign * f64::from(*x);
        }
    }

    /// Takes the centre again if the row count has doubled or halved since it was taken,
    /// recoding every row of `data` (`dimension` floats a row).
    pub(super) fn maybe_recentre(&mut self, data: &[f32]) {
        let rows = data.len() / self.dimension.max(1);
        let grown = rows >= FIRST_CENTRE && rows >= 2 * self.centred_at;
        let shrunk = rows * 2 < self.centred_at;
        if grown || shrunk {
            self.recentre(data);
        }
    }

    /// Takes the centre of `data` (`dimension` floats a row) and recodes every row.
    fn recentre(&mut self, data: &[f32]) {
        let rows = data.len() / self.dimension.max(1);
        self.centred_at = rows;
        let n = rows.max(1) as f64;
        self.centre = self.sum.iter().map(|s| (s / n) as f32).collect();
        let mut codes = std::mem::take(&mut self.codes);
        for (row, v) in data.chunks_exact(self.dimension).enumerate() {
            let s = self.encode_into(v, &mut codes[row * self.bytes..][..self.bytes]);
            self.scales[row] = s;
        }
        self.codes = codes;
    }

    /// The `wanted` rows `keep` accepts whose codes estimate the highest similarity to
    /// `query` (all of them if fewer pass), in row order.
    pub(super) fn nearest_rows(
        &self,
        query: &CodedQuery,
        keep: impl FnMut(usize) -> bool,
        wanted: usize,
    ) -> Vec<usize> {
        let mut raw = vec![0i32; self.scales.len()];
        nibble_dots(&query.components, &self.codes, keep, &mut raw);
        let mut best = BinaryHeap::with_capacity(wanted + 1);
        for (row, (&dot, &scale)) in raw.iter().zip(&self.scales).enumerate() {
            if dot == i32::MIN {
                continue;
            }
            let estimate = Estimate(scale * (dot - query.offset) as f32, row);
            if best.len() < wanted {
                best.push(estimate);
            } else if best.peek().is_some_and(|worst| estimate < *worst) {
                best.pop();
                best.push(estimate);
            }
        }
        let mut rows: Vec<usize> = best.into_iter().map(|e| e.1).collect();
        rows.sort_unstable();
        rows
    }
}

/// A row's estimated similarity; greater is worse, so a max-heap's top is the worst kept.
#[derive(PartialEq)]
struct Estimate(f32, usize);

impl Eq for Estimate {}

impl Ord for Estimate {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

impl PartialOrd for Estimate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_keeps_each_component_to_within_half_a_step() {
        let v: Vec<f32> = (0..100).map(|i| ((i as f32) * 0.3).sin()).collect();
        let codes = Codes::new(100);
        let (code, scale) = codes.encode(&v);
        assert_eq!(code.len(), 64);
        for (j, x) in v.iter().enumerate() {
            let byte = code[j / BLOCK * 32 + j % 32];
            let nibble = if j % BLOCK < 32 { byte & 15 } else { byte >> 4 };
            let back = scale * (f32::from(nibble) - 8.0);
            assert!((back - x).abs() <= scale / 2.0 + 1e-6, "component {j}");
        }
        // Padding reads as zero.
        assert_eq!(code[63] >> 4, 8);
    }

    #[test]
    fn nearest_rows_takes_the_best_estimates_of_the_rows_kept() {
        let mut c = Codes::new(3);
        for v in [
            [1.0, 0.0, 0.0],
            [0.8, 0.6, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 1.0, 0.0],
        ] {
            c.push(&v);
        }
        let q = c.query(&[1.0, 0.0, 0.0]);
        assert_eq!(c.nearest_rows(&q, |_| true, 1), [0]);
        assert_eq!(c.nearest_rows(&q, |_| true, 2), [0, 1]);
        assert_eq!(c.nearest_rows(&q, |r| r != 0, 1), [1]);
        assert_eq!(c.nearest_rows(&q, |r| r == 2, 5), [2]);
    }

    #[test]
    fn recentring_takes_the_mean_and_recodes_every_row() {
        let mut c = Codes::new(2);
        let data = [1.0, 0.0, 0.0, 1.0];
        c.push(&data[..2]);
        c.push(&data[2..]);
        c.recentre(&data);
        assert_eq!(c.centre, [0.5, 0.5]);
        for row in 0..2 {
            let (stored, scale) = c.code(row);
            assert_eq!((stored.to_vec(), scale), c.encode(&data[row * 2..][..2]));
        }
    }
}
