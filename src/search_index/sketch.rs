//! A one-bit sketch of every vector, scanned first to choose which rows are scored exactly.
//!
//! A row's code holds, per component, whether the vector lies above the centre (the mean of
//! the stored vectors) in it; the Hamming distance between two codes estimates the angle
//! between the centred vectors. Centring is what makes the bits informative: embeddings share
//! a large common component (model embeddings have cosines of 0.7–0.9 between any two texts,
//! the built-in embedder's are mostly positive), and the signs of raw components would mostly
//! record that component. A code is 1/32 of its float vector, so a scan of every row stays in
//! cache and costs one XOR and one POPCNT per 64 components.
//!
//! The centre is taken again, and every code recomputed from the float vectors, whenever the
//! number of rows has doubled or halved since it was last taken: amortised, a constant number
//! of encodings per write. Between times the codes stay consistent with each other (query and
//! rows use the same centre), only slightly less informative.

use super::kernels::hamming_scan;

/// Fewer rows than this are not worth centring on: the first centre is taken at this size.
const FIRST_CENTRE: usize = 64;

/// The codes of every row, in row order, and the centre they were taken around.
#[derive(Debug, Default)]
pub(super) struct Sketch {
    dimension: usize,
    /// 64-bit words per code.
    words: usize,
    /// `rows × words` bits: bit `j` of a row is set when component `j` is above the centre's.
    codes: Vec<u64>,
    centre: Vec<f32>,
    /// How many rows there were when the centre was taken.
    centred_at: usize,
    /// The running sum of the stored vectors, to take the next centre without a pass.
    sum: Vec<f64>,
}

impl Sketch {
    pub(super) fn new(dimension: usize) -> Self {
        Self {
            dimension,
            words: dimension.div_ceil(64),
            centre: vec![0.0; dimension],
            sum: vec![0.0; dimension],
            ..Self::default()
        }
    }

    /// Heap bytes held.
    pub(super) fn bytes(&self) -> usize {
        self.codes.capacity() * size_of::<u64>()
            + self.centre.capacity() * size_of::<f32>()
            + self.sum.capacity() * size_of::<f64>()
    }

    /// The code of `v` around the current centre.
    pub(super) fn encode(&self, v: &[f32]) -> Vec<u64> {
        let mut code = vec![0u64; self.words];
        self.encode_into(v, &mut code);
        code
    }

    /// Row `row`'s code as stored.
    #[cfg(test)]
    pub(super) fn code(&self, row: usize) -> &[u64] {
        &self.codes[row * self.words..][..self.words]
    }

    fn encode_into(&self, v: &[f32], code: &mut [u64]) {
        code.fill(0);
        for (j, (x, c)) in v.iter().zip(&self.centre).enumerate() {
            if x > c {
                code[j / 64] |= 1 << (j % 64);
            }
        }
    }

    /// Appends a row for the unit vector `v`.
    pub(super) fn push(&mut self, v: &[f32]) {
        self.add_to_sum(v, 1.0);
        let code = self.encode(v);
        self.codes.extend_from_slice(&code);
    }

    /// Replaces row `row`'s vector `old` by `new`.
    pub(super) fn replace(&mut self, row: usize, old: &[f32], new: &[f32]) {
        self.add_to_sum(old, -1.0);
        self.add_to_sum(new, 1.0);
        let code = self.encode(new);
        self.codes[row * self.words..][..self.words].copy_from_slice(&code);
    }

    /// Removes row `row` (whose vector is `old`) by moving the last row into its place.
    pub(super) fn swap_remove(&mut self, row: usize, old: &[f32]) {
        self.add_to_sum(old, -1.0);
        let w = self.words;
        let last = self.codes.len() / w - 1;
        self.codes.copy_within(last * w..(last + 1) * w, row * w);
        self.codes.truncate(last * w);
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
        for (v, code) in data
            .chunks_exact(self.dimension)
            .zip(codes.chunks_exact_mut(self.words))
        {
            self.encode_into(v, code);
        }
        self.codes = codes;
    }

    /// The rows `keep` accepts whose codes are nearest to `query`'s: at least `wanted` of
    /// them (all if fewer pass), plus those tied with the last, in row order. Counting sort on
    /// the distance, so the cost is one pass over the codes and one over the distances.
    pub(super) fn nearest_rows(
        &self,
        query: &[u64],
        keep: impl FnMut(usize) -> bool,
        wanted: usize,
    ) -> Vec<usize> {
        let rows = self.codes.len() / self.words.max(1);
        let mut distance = vec![0u16; rows];
        hamming_scan(query, &self.codes, keep, &mut distance);
        let mut histogram = vec![0usize; self.words * 64 + 2];
        for &d in &distance {
            histogram[usize::from(d).min(self.words * 64 + 1)] += 1;
        }
        // The smallest distance within which `wanted` rows lie; rows that were not kept sit
        // in the last bucket and are never taken.
        let mut within = 0;
        let mut threshold = 0;
        for (d, &count) in histogram[..=self.words * 64].iter().enumerate() {
            within += count;
            threshold = d;
            if within >= wanted {
                break;
            }
        }
        let threshold = threshold as u16;
        distance
            .iter()
            .enumerate()
            .filter(|&(_, &d)| d <= threshold)
            .map(|(row, _)| row)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_record_the_side_of_the_centre_and_follow_a_recentre() {
        let mut s = Sketch::new(2);
        let data = [1.0, 0.0, 0.0, 1.0];
        s.push(&data[..2]);
        s.push(&data[2..]);
        // Centre (0, 0) before the first centring: positive components set bits.
        assert_eq!(s.codes, [0b01, 0b10]);
        s.recentre(&data);
        // Centre (0.5, 0.5): still one bit each, now also for the component below it.
        assert_eq!(s.centre, [0.5, 0.5]);
        assert_eq!(s.codes, [0b01, 0b10]);
    }

    #[test]
    fn nearest_rows_takes_the_closest_codes_with_their_ties() {
        let mut s = Sketch::new(3);
        for v in [
            [1.0, 1.0, 1.0],
            [1.0, 1.0, 0.0],
            [0.0, 0.0, 0.0],
            [1.0, 1.0, 0.0],
        ] {
            s.push(&v);
        }
        let q = s.encode(&[1.0, 1.0, 1.0]);
        assert_eq!(s.nearest_rows(&q, |_| true, 1), [0]);
        assert_eq!(s.nearest_rows(&q, |_| true, 2), [0, 1, 3]);
        assert_eq!(s.nearest_rows(&q, |r| r != 0, 1), [1, 3]);
        assert_eq!(s.nearest_rows(&q, |r| r == 2, 5), [2]);
    }
}
