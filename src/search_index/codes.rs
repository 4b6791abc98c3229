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
    /// While set (a full build, before the index is searched), rows get placeholder codes
    /// and no centre is taken: [`Codes::end_deferral`] takes it once and codes every row.
    deferred: bool,
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

    /// Gives back spare capacity.
    pub(super) fn shrink_to_fit(&mut self) {
        self.codes.shrink_to_fit();
        self.scales.shrink_to_fit();
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
        if self.codes.capacity() < self.codes.len() + self.bytes {
            // Grow by an eighth, as the float vectors do.
            self.codes
                .reserve_exact(self.bytes.max(self.codes.len() / 8));
        }
        if self.deferred {
            self.codes.resize(self.codes.len() + self.bytes, 0x88);
            self.scales.push(0.0);
            return;
        }
        let (code, scale) = self.encode(v);
        self.codes.extend_from_slice(&code);
        self.scales.push(scale);
    }

    /// Makes room for `rows` more rows, and defers coding them (see [`Codes::end_deferral`]).
    pub(super) fn reserve_deferred(&mut self, rows: usize) {
        self.codes.reserve_exact(rows * self.bytes);
        self.scales.reserve_exact(rows);
        self.deferred = true;
    }

    /// Takes the centre of `data` (`dimension` floats a row) and codes every row, ending a
    /// deferral: one coding per row for a whole build, where taking the centre at each
    /// doubling codes a row about twice.
    pub(super) fn end_deferral(&mut self, data: &[f32]) {
        if std::mem::take(&mut self.deferred) {
            self.recentre(data);
        }
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
        if self.deferred {
            return;
        }
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
    /// `query` (all of them if fewer pass), in row order; ties go to the earlier row.
    pub(super) fn nearest_rows(
        &self,
        query: &CodedQuery,
        keep: impl FnMut(usize) -> bool,
        wanted: usize,
    ) -> Vec<usize> {
        let rows = self.scales.len();
        if wanted == 0 || rows == 0 {
            return vec![];
        }
        thread_local! {
            /// The scan's output, kept per thread: a fresh 400 KB (at 100,000 rows) for every
            /// search would come from, and stay with, the allocator's arenas.
            static RAW: std::cell::RefCell<Vec<i32>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        RAW.with_borrow_mut(|raw| {
            // Every entry is written by the scan: only the length needs setting.
            raw.resize(rows, 0);
            nibble_dots(&query.components, &self.codes, keep, raw);
            let estimate = |row: usize| -> f32 {
                match raw[row] {
                    i32::MIN => f32::NEG_INFINITY,
                    dot => self.scales[row] * (dot - query.offset) as f32,
                }
            };
            // Selecting among every row is sorting work over all of them; a threshold taken
            // from an even sample of the rows leaves a few times `wanted` to select from. If
            // it leaves too few (the sample misjudged), every row is selected from.
            let floor = sample_floor(rows, wanted, estimate);
            let gather = |floor: f32| -> Vec<u64> {
                (0..rows)
                    .filter_map(|row| {
                        let e = estimate(row);
                        (e >= floor && e > f32::NEG_INFINITY).then(|| key(e, row))
                    })
                    .collect()
            };
            let mut keys = gather(floor);
            if keys.len() < wanted && floor > f32::NEG_INFINITY {
                keys = gather(f32::NEG_INFINITY);
            }
            if keys.len() > wanted {
                // Largest keys first: the best estimates, ties to the earlier row.
                keys.select_nth_unstable_by(wanted - 1, |a, b| b.cmp(a));
                keys.truncate(wanted);
            }
            let mut found: Vec<usize> = keys.into_iter().map(row_of).collect();
            found.sort_unstable();
            found
        })
    }
}

/// Rows in the sample [`sample_floor`] takes its threshold from.
const SAMPLE: usize = 1_024;
/// How many times `wanted` rows the threshold is meant to leave, for a margin.
const SAMPLE_MARGIN: usize = 4;

/// An estimate that about `SAMPLE_MARGIN × wanted` of the `rows` reach, judged from an
/// even sample of `estimate`s; `-∞` (every row) when there are too few rows for a sample.
fn sample_floor(rows: usize, wanted: usize, estimate: impl Fn(usize) -> f32) -> f32 {
    let share = wanted.saturating_mul(SAMPLE_MARGIN);
    if rows < SAMPLE * 4 || share >= rows / 2 {
        return f32::NEG_INFINITY;
    }
    let mut sample: Vec<f32> = (0..rows).step_by(rows / SAMPLE).map(estimate).collect();
    // The rank in the sample that the same share of the sample reaches.
    let rank = share * sample.len() / rows;
    if rank == 0 || rank >= sample.len() {
        return f32::NEG_INFINITY;
    }
    sample.select_nth_unstable_by(rank, |a, b| b.total_cmp(a));
    sample[rank]
}

/// A u64 that orders by estimate, then by the earlier row: the estimate's bits made
/// order-preserving in the high half, the complement of the row in the low half.
fn key(estimate: f32, row: usize) -> u64 {
    let bits = estimate.to_bits();
    let ordered = if bits >> 31 == 1 {
        !bits
    } else {
        bits | 1 << 31
    };
    (u64::from(ordered) << 32) | u64::from(!(row as u32))
}

fn row_of(key: u64) -> usize {
    !(key as u32) as usize
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

    /// Every row's estimate, selected by a full sort: what the sampled selection must equal.
    fn best_by_full_sort(
        c: &Codes,
        q: &CodedQuery,
        keep: impl Fn(usize) -> bool,
        wanted: usize,
    ) -> Vec<usize> {
        let rows = c.scales.len();
        let mut raw = vec![0i32; rows];
        nibble_dots(&q.components, &c.codes, &keep, &mut raw);
        let mut keys: Vec<u64> = (0..rows)
            .filter(|&r| keep(r))
            .map(|r| key(c.scales[r] * (raw[r] - q.offset) as f32, r))
            .collect();
        keys.sort_unstable_by(|a, b| b.cmp(a));
        let mut best: Vec<usize> = keys.into_iter().take(wanted).map(row_of).collect();
        best.sort_unstable();
        best
    }

    #[test]
    fn the_sampled_selection_equals_a_full_sort_of_the_estimates() {
        let mut state = 11u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let d = 64;
        let mut c = Codes::new(d);
        let mut data = Vec::new();
        for _ in 0..10_000 {
            let v: Vec<f32> = (0..d).map(|_| next()).collect();
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            let v: Vec<f32> = v.iter().map(|x| x / n).collect();
            c.push(&v);
            data.extend_from_slice(&v);
            c.maybe_recentre(&data);
        }
        for seed in 0..5 {
            let q: Vec<f32> = (0..d).map(|j| ((j * 7 + seed * 13) as f32).sin()).collect();
            let q = c.query(&q);
            for wanted in [1, 10, 500, 3_000, 20_000] {
                assert_eq!(
                    c.nearest_rows(&q, |_| true, wanted),
                    best_by_full_sort(&c, &q, |_| true, wanted),
                    "wanted {wanted}"
                );
                // A filter keeping a third of the rows: the sample sees the others as -inf.
                let third = |r: usize| r.is_multiple_of(3);
                assert_eq!(
                    c.nearest_rows(&q, third, wanted),
                    best_by_full_sort(&c, &q, third, wanted),
                    "wanted {wanted}, filtered"
                );
            }
        }
    }

    #[test]
    fn keys_order_by_estimate_then_by_the_earlier_row() {
        assert!(key(0.5, 7) > key(0.25, 1));
        assert!(key(-0.25, 7) > key(-0.5, 1));
        assert!(key(0.3, 1) > key(0.3, 2));
        assert_eq!(row_of(key(0.3, 12_345)), 12_345);
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
