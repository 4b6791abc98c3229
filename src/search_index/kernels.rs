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

/// Writes the Hamming distance between `query` and each code of `codes` (`query.len()` words
/// each) to `out`, for the rows `keep` accepts; the others get `u16::MAX`, which no distance
/// reaches (codes are at most 65,534 bits).
pub(super) fn hamming_scan(
    query: &[u64],
    codes: &[u64],
    keep: impl FnMut(usize) -> bool,
    out: &mut [u16],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has POPCNT, checked just above.
        return unsafe { x86::hamming_scan_popcnt(query, codes, keep, out) };
    }
    hamming_scan_portable(query, codes, keep, out);
}

/// The body of [`hamming_scan`], inlined into each variant so it is compiled with its
/// features.
#[inline(always)]
fn hamming_scan_portable(
    query: &[u64],
    codes: &[u64],
    mut keep: impl FnMut(usize) -> bool,
    out: &mut [u16],
) {
    let words = query.len();
    debug_assert!(words * 64 < usize::from(u16::MAX));
    for (row, (code, d)) in codes.chunks_exact(words).zip(out.iter_mut()).enumerate() {
        *d = if keep(row) {
            let bits: u32 = query
                .iter()
                .zip(code)
                .map(|(q, c)| (q ^ c).count_ones())
                .sum();
            bits as u16
        } else {
            u16::MAX
        };
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_setzero_ps,
        _mm256_storeu_ps,
    };

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

    /// [`super::hamming_scan_portable`] with the POPCNT instruction.
    #[target_feature(enable = "popcnt")]
    pub(super) fn hamming_scan_popcnt(
        query: &[u64],
        codes: &[u64],
        keep: impl FnMut(usize) -> bool,
        out: &mut [u16],
    ) {
        super::hamming_scan_portable(query, codes, keep, out);
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

    #[test]
    fn hamming_scan_counts_differing_bits_and_skips_rows_not_kept() {
        let query = [0b1011u64, u64::MAX];
        let codes = [0b1011, u64::MAX, 0, 0, 0b0001, u64::MAX - 1];
        let mut out = [0u16; 3];
        hamming_scan(&query, &codes, |row| row != 1, &mut out);
        assert_eq!(out, [0, u16::MAX, 3]);
        let mut portable = [0u16; 3];
        hamming_scan_portable(&query, &codes, |_| true, &mut portable);
        assert_eq!(portable, [0, 3 + 64, 3]);
    }
}
