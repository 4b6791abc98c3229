//! The vector kernels: a float dot product and a Hamming-distance scan over bit codes.
//!
//! A release build targets baseline x86-64 (SSE2, no POPCNT), where both run at a fraction of
//! what the CPU offers; so each has an x86-64 variant compiled for AVX2+FMA (dot) or POPCNT
//! (Hamming), chosen at run time when the CPU has the feature. Elsewhere (aarch64: NEON is
//! baseline) the portable code is written in independent lanes the compiler vectorises.
#![expect(
    unsafe_code,
    reason = "calling #[target_feature] functions and loading AVX registers; each block says why it holds"
)]

use super::codes::BLOCK;

/// Floats summed per step by the portable dot product: eight independent lanes.
const LANES: usize = 8;

/// The dot product of `a` and `b` (the shorter length counts).
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA, checked just above.
        return unsafe { x86::dot_avx2(a, b) };
    }
    dot_portable(a, b)
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
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let (a8, a_rest) = a.as_chunks::<LANES>();
    let (b8, b_rest) = b.as_chunks::<LANES>();
    for (x, y) in a8.iter().zip(b8) {
        for l in 0..LANES {
            lanes[l] += x[l] * y[l];
        }
    }
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

/// Writes, for each row of `codes` that `keep` accepts, the sum over components of the
/// query's int8 `query[j]` times the row's unsigned nibble for `j` (layout: see
/// [`super::codes`]); rows not kept get `i32::MIN`, which no sum reaches.
pub(super) fn nibble_dots(
    query: &[i8],
    codes: &[u8],
    keep: impl FnMut(usize) -> bool,
    out: &mut [i32],
) {
    debug_assert_eq!(query.len() % BLOCK, 0);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { x86::nibble_dots_avx2(query, codes, keep, out) };
    }
    nibble_dots_portable(query, codes, keep, out);
}

/// [`nibble_dots`] in plain integer arithmetic.
fn nibble_dots_portable(
    query: &[i8],
    codes: &[u8],
    mut keep: impl FnMut(usize) -> bool,
    out: &mut [i32],
) {
    let bytes = query.len() / 2;
    for (row, (code, dot)) in codes.chunks_exact(bytes).zip(out.iter_mut()).enumerate() {
        *dot = if keep(row) {
            let mut sum = 0i32;
            for (block, q) in code.chunks_exact(BLOCK / 2).zip(query.chunks_exact(BLOCK)) {
                let (low, high) = q.split_at(BLOCK / 2);
                for (i, &byte) in block.iter().enumerate() {
                    sum += i32::from(low[i]) * i32::from(byte & 15)
                        + i32::from(high[i]) * i32::from(byte >> 4);
                }
            }
            sum
        } else {
            i32::MIN
        };
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m256, __m256i, _MM_HINT_T0, _mm_add_epi32, _mm_cvtsi128_si32, _mm_prefetch,
        _mm_storeu_si128, _mm256_add_epi16, _mm256_add_epi32, _mm256_add_ps, _mm256_and_si256,
        _mm256_castsi256_si128, _mm256_extracti128_si256, _mm256_fmadd_ps, _mm256_hadd_epi32,
        _mm256_loadu_ps, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_maddubs_epi16,
        _mm256_set1_epi8, _mm256_set1_epi16, _mm256_setzero_ps, _mm256_setzero_si256,
        _mm256_srli_epi16, _mm256_storeu_ps,
    };

    /// How many groups of four rows ahead the scan asks for its data (12 KB at 384
    /// dimensions).
    const PREFETCH_GROUPS: usize = 16;

    /// [`super::dot_portable`] in four AVX registers of fused multiply-adds.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let load = |x: &[f32; 8]| -> __m256 {
            // SAFETY: `x` is eight floats, what an unaligned 256-bit load reads.
            unsafe { _mm256_loadu_ps(x.as_ptr()) }
        };
        let mut acc = [_mm256_setzero_ps(); 4];
        let (a32, a_rest) = a.as_chunks::<32>();
        let (b32, b_rest) = b.as_chunks::<32>();
        for (x, y) in a32.iter().zip(b32) {
            let (x, y) = (x.as_chunks::<8>().0, y.as_chunks::<8>().0);
            for l in 0..4 {
                acc[l] = _mm256_fmadd_ps(load(&x[l]), load(&y[l]), acc[l]);
            }
        }
        let (a8, a_tail) = a_rest.as_chunks::<8>();
        let (b8, b_tail) = b_rest.as_chunks::<8>();
        for (x, y) in a8.iter().zip(b8) {
            acc[0] = _mm256_fmadd_ps(load(x), load(y), acc[0]);
        }
        let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut lanes = [0f32; 8];
        // SAFETY: `lanes` is eight floats, what an unaligned 256-bit store writes.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
        let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
        lanes.iter().sum::<f32>() + tail
    }

    /// [`super::nibble_dots_portable`] with AVX2: per block of 64 components, the low and
    /// high nibbles of 32 bytes are multiplied by the query's int8s and summed pairwise into
    /// 16-bit lanes (at most 2 × 15 × 127 = 3,810 each, no saturation; up to four blocks
    /// are summed in 16 bits, at most 30,480), then widened to 32 bits. Rows go four at a
    /// time, so one horizontal sum serves four rows.
    #[target_feature(enable = "avx2")]
    pub(super) fn nibble_dots_avx2(
        query: &[i8],
        codes: &[u8],
        mut keep: impl FnMut(usize) -> bool,
        out: &mut [i32],
    ) {
        let bytes = query.len() / 2;
        if bytes == 0 {
            for (row, dot) in out.iter_mut().enumerate() {
                *dot = if keep(row) { 0 } else { i32::MIN };
            }
            return;
        }
        let load = |x: &[u8; 32]| -> __m256i {
            // SAFETY: `x` is 32 bytes, what an unaligned 256-bit load reads.
            unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
        };
        let query: Vec<__m256i> = query
            .as_chunks::<32>()
            .0
            .iter()
            // The same 32 bytes, taken as signed by `maddubs` below.
            .map(|q| load(&q.map(|c| c as u8)))
            .collect();
        let nibble = _mm256_set1_epi8(0x0f);
        let ones = _mm256_set1_epi16(1);
        // One row's sums, in eight 32-bit lanes.
        let lanes = |code: &[u8]| -> __m256i {
            let mut acc = _mm256_setzero_si256();
            for (blocks, q) in code.as_chunks::<32>().0.chunks(4).zip(query.chunks(8)) {
                let mut pairs = _mm256_setzero_si256();
                for (block, q) in blocks.iter().zip(q.chunks_exact(2)) {
                    let x = load(block);
                    let low = _mm256_and_si256(x, nibble);
                    let high = _mm256_and_si256(_mm256_srli_epi16::<4>(x), nibble);
                    pairs = _mm256_add_epi16(
                        pairs,
                        _mm256_add_epi16(
                            _mm256_maddubs_epi16(low, q[0]),
                            _mm256_maddubs_epi16(high, q[1]),
                        ),
                    );
                }
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
            }
            acc
        };
        let rows = out.len().min(codes.len() / bytes);
        let groups = rows / 4;
        for g in 0..groups {
            let first = g * 4;
            let kept = [
                keep(first),
                keep(first + 1),
                keep(first + 2),
                keep(first + 3),
            ];
            let dots = &mut out[first..first + 4];
            if kept == [false; 4] {
                dots.fill(i32::MIN);
                continue;
            }
            // The scan reads every row once, in order, and stalls on memory without this: a
            // hint to fetch the group PREFETCH_GROUPS ahead (1.8x faster at 100,000 rows).
            let ahead = (first + 4 * PREFETCH_GROUPS) * bytes;
            if ahead + 4 * bytes <= codes.len() {
                for line in (0..4 * bytes).step_by(64) {
                    _mm_prefetch::<_MM_HINT_T0>(codes[ahead + line..].as_ptr().cast());
                }
            }
            let code = |r: usize| &codes[(first + r) * bytes..][..bytes];
            let (a, b, c, d) = (
                lanes(code(0)),
                lanes(code(1)),
                lanes(code(2)),
                lanes(code(3)),
            );
            // Pairwise sums twice leave, per 128-bit half, one partial sum of each row.
            let h = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
            let sums = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256::<1>(h));
            let mut four = [0i32; 4];
            // SAFETY: `four` is 16 bytes, what an unaligned 128-bit store writes.
            unsafe { _mm_storeu_si128(four.as_mut_ptr().cast(), sums) };
            for ((dot, sum), kept) in dots.iter_mut().zip(four).zip(kept) {
                *dot = if kept { sum } else { i32::MIN };
            }
        }
        for row in groups * 4..rows {
            out[row] = if keep(row) {
                let acc = lanes(&codes[row * bytes..][..bytes]);
                let h = _mm256_hadd_epi32(acc, acc);
                let h = _mm256_hadd_epi32(h, h);
                let sum =
                    _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256::<1>(h));
                _mm_cvtsi128_si32(sum)
            } else {
                i32::MIN
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain_dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn series(n: usize, f: impl Fn(f32) -> f32) -> Vec<f32> {
        (0..n).map(|i| f(i as f32)).collect()
    }

    #[test]
    fn dot_matches_the_plain_sum_for_lengths_that_are_not_multiples_of_the_lanes() {
        for n in [0, 1, 7, 8, 9, 19, 31, 32, 33, 63, 100, 384, 385, 1536] {
            let a = series(n, |i| (i * 0.37).sin());
            let b = series(n, |i| 1.0 - (i * 0.11).cos());
            let plain = plain_dot(&a, &b);
            assert!((dot(&a, &b) - plain).abs() < 1e-4, "length {n}");
            assert!((dot_portable(&a, &b) - plain).abs() < 1e-4, "length {n}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_dot_agrees_with_the_portable_one() {
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return;
        }
        for n in [1, 5, 8, 13, 24, 40, 77, 384, 1000] {
            let a = unit(&series(n, |i| (i * 0.7).sin() + 0.1));
            let b = unit(&series(n, |i| (i * 0.3).cos()));
            // SAFETY: the CPU has AVX2 and FMA, checked above.
            let simd = unsafe { x86::dot_avx2(&a, &b) };
            assert!((simd - dot_portable(&a, &b)).abs() < 1e-6, "length {n}");
        }
    }

    #[test]
    fn unit_scales_to_length_one_and_keeps_zero_at_zero() {
        let v = unit(&[3.0, 4.0]);
        assert!((v[0] - 0.6).abs() < 1e-7 && (v[1] - 0.8).abs() < 1e-7);
        assert_eq!(unit(&[0.0, 0.0]), [0.0, 0.0]);
        assert_eq!(unit(&[f32::NAN, 1.0]), [0.0, 0.0]);
    }

    /// Codes and an int8 query of `blocks` blocks, from a little generator.
    fn nibble_case(rows: usize, blocks: usize) -> (Vec<i8>, Vec<u8>) {
        let mut state = 7u32;
        let mut next = move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        };
        let query = (0..blocks * BLOCK)
            .map(|_| (next() as i8).max(-127))
            .collect();
        let codes = (0..rows * blocks * BLOCK / 2).map(|_| next()).collect();
        (query, codes)
    }

    #[test]
    fn nibble_dots_multiply_low_then_high_nibbles_and_skip_rows_not_kept() {
        let mut query = vec![0i8; BLOCK];
        query[0] = 2; // low nibble of byte 0
        query[32] = -3; // high nibble of byte 0
        query[33] = 1; // high nibble of byte 1
        let mut codes = vec![0u8; 2 * BLOCK / 2];
        codes[0] = 0x5a; // low 10, high 5
        codes[1] = 0xf0; // high 15
        codes[32] = 0x11;
        let mut out = [0i32; 2];
        nibble_dots(&query, &codes, |_| true, &mut out);
        assert_eq!(out, [2 * 10 - 3 * 5 + 15, 2 - 3]);
        nibble_dots(&query, &codes, |row| row == 1, &mut out);
        assert_eq!(out, [i32::MIN, -1]);
    }

    #[test]
    fn nibble_dots_agree_with_the_portable_sum() {
        for blocks in [1, 2, 6, 24] {
            let (query, codes) = nibble_case(33, blocks);
            let (mut fast, mut plain) = (vec![0i32; 33], vec![0i32; 33]);
            // Rows go four at a time: whole groups skipped, groups partly kept, a tail.
            let keep = |row: usize| row >= 8 && row % 5 != 3;
            nibble_dots(&query, &codes, keep, &mut fast);
            nibble_dots_portable(&query, &codes, keep, &mut plain);
            assert_eq!(fast, plain, "{blocks} blocks");
            assert_eq!(fast[..8], [i32::MIN; 8]);
        }
    }
}
