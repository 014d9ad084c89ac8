//! Inner loops of vector search: f32 and int8 dot products, int8 quantization, and the
//! bounded top-k heap.
//!
//! The AVX2(+FMA) kernels are picked once per search by runtime detection; every other
//! machine gets the portable kernels, written with independent accumulators so the
//! compiler can vectorize them. Owns no data.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A dot product of two equally long slices.
pub type DotF32 = fn(&[f32], &[f32]) -> f32;
/// A dot product of two equally long int8 slices (values in -127..=127), exact in i32.
pub type DotI8 = fn(&[i8], &[i8]) -> i32;

/// The fastest f32 dot product this CPU supports.
pub fn dot_f32_kernel() -> DotF32 {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return dot_f32_avx2;
        }
    }
    dot_f32_portable
}

/// The fastest int8 dot product this CPU supports.
pub fn dot_i8_kernel() -> DotI8 {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx2") {
            return dot_i8_avx2;
        }
    }
    dot_i8_portable
}

/// Portable f32 dot: 8 independent lanes, then the tail.
pub fn dot_f32_portable(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ta, tb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum = (acc[0] + acc[4]) + (acc[1] + acc[5]) + (acc[2] + acc[6]) + (acc[3] + acc[7]);
    for (x, y) in ta.iter().zip(tb) {
        sum += x * y;
    }
    sum
}

/// Portable int8 dot with i32 accumulation.
pub fn dot_i8_portable(a: &[i8], b: &[i8]) -> i32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0i32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ta, tb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            acc[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    let mut sum: i32 = acc.iter().sum();
    for (x, y) in ta.iter().zip(tb) {
        sum += i32::from(*x) * i32::from(*y);
    }
    sum
}

#[cfg(target_arch = "x86_64")]
fn dot_f32_avx2(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only handed out by `dot_f32_kernel` after detecting AVX2 and FMA.
    unsafe { dot_f32_avx2_impl(a, b) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_f32_avx2_impl(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut i = 0;
    let mut s0 = _mm256_setzero_ps();
    let mut s1 = _mm256_setzero_ps();
    let mut s2 = _mm256_setzero_ps();
    let mut s3 = _mm256_setzero_ps();
    // SAFETY: every load reads 8 floats at an offset + 8 <= n of both slices.
    unsafe {
        while i + 32 <= n {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), s0);
            s1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
                s1,
            );
            s2 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 16)),
                _mm256_loadu_ps(pb.add(i + 16)),
                s2,
            );
            s3 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 24)),
                _mm256_loadu_ps(pb.add(i + 24)),
                s3,
            );
            i += 32;
        }
        while i + 8 <= n {
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), s0);
            i += 8;
        }
    }
    let s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    let hi = _mm256_extractf128_ps(s, 1);
    let lo = _mm256_castps256_ps128(s);
    let q = _mm_add_ps(hi, lo);
    let q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    let q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 0x55));
    let mut sum = _mm_cvtss_f32(q);
    while i < n {
        sum += a[i] * b[i];
        i += 1;
    }
    sum
}

#[cfg(target_arch = "x86_64")]
fn dot_i8_avx2(a: &[i8], b: &[i8]) -> i32 {
    // SAFETY: only handed out by `dot_i8_kernel` after detecting AVX2.
    unsafe { dot_i8_avx2_impl(a, b) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_i8_avx2_impl(a: &[i8], b: &[i8]) -> i32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let ones = _mm256_set1_epi16(1);
    let mut acc = _mm256_setzero_si256();
    let mut i = 0;
    // maddubs multiplies unsigned by signed bytes: |a| * (b with a's sign). Pair sums stay
    // within i16 because quantized values never reach -128 (2 * 127 * 127 < 32767).
    // SAFETY: every load reads 32 bytes at an offset + 32 <= n of both slices.
    unsafe {
        while i + 32 <= n {
            let x = _mm256_loadu_si256(pa.add(i) as *const __m256i);
            let y = _mm256_loadu_si256(pb.add(i) as *const __m256i);
            let p = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
            i += 32;
        }
    }
    let hi = _mm256_extracti128_si256(acc, 1);
    let q = _mm_add_epi32(_mm256_castsi256_si128(acc), hi);
    let q = _mm_add_epi32(q, _mm_shuffle_epi32(q, 0b01_00_11_10));
    let q = _mm_add_epi32(q, _mm_shuffle_epi32(q, 0b10_11_00_01));
    let mut sum = _mm_cvtsi128_si32(q);
    while i < n {
        sum += i32::from(a[i]) * i32::from(b[i]);
        i += 1;
    }
    sum
}

/// Quantizes `v` symmetrically to -127..=127 into `out`; returns the scale (value per step).
pub fn quantize(v: &[f32], out: &mut [i8]) -> f32 {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        out.fill(0);
        return 0.0;
    }
    let inv = 127.0 / max;
    for (o, x) in out.iter_mut().zip(v) {
        *o = (x * inv).round().clamp(-127.0, 127.0) as i8;
    }
    max / 127.0
}

/// A scored row, ordered so that a `BinaryHeap` of them pops the worst first: lower
/// score is worse, and among equal scores the higher row is worse (results are stable).
#[derive(Debug, Clone, Copy)]
struct Worst(f32, u32);

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

/// Keeps the best `k` (row, score) pairs seen.
pub struct TopK {
    k: usize,
    heap: BinaryHeap<Worst>,
}

impl TopK {
    pub fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The score a new row must beat to enter (−∞ until full).
    #[inline]
    pub fn threshold(&self) -> f32 {
        if self.heap.len() < self.k {
            f32::NEG_INFINITY
        } else {
            self.heap.peek().map_or(f32::NEG_INFINITY, |w| w.0)
        }
    }

    #[inline]
    pub fn push(&mut self, row: u32, score: f32) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(Worst(score, row));
        } else if let Some(mut top) = self.heap.peek_mut() {
            let candidate = Worst(score, row);
            if candidate < *top {
                *top = candidate;
            }
        }
    }

    /// Best first; ties by ascending row.
    pub fn into_sorted(self) -> Vec<(usize, f32)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|w| (w.1 as usize, w.0))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 2001) as f32 / 1000.0
                    - 1.0
            })
            .collect()
    }

    #[test]
    fn kernels_agree_with_naive_sums() {
        for n in [0, 1, 7, 8, 31, 32, 33, 384, 385] {
            let (a, b) = (sample(n, 1), sample(n, 7));
            let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot_f32_kernel()(&a, &b) - naive).abs() < 1e-3, "n={n}");
            assert!((dot_f32_portable(&a, &b) - naive).abs() < 1e-3, "n={n}");
            let (mut qa, mut qb) = (vec![0i8; n], vec![0i8; n]);
            quantize(&a, &mut qa);
            quantize(&b, &mut qb);
            let naive: i32 = qa
                .iter()
                .zip(&qb)
                .map(|(x, y)| i32::from(*x) * i32::from(*y))
                .sum();
            assert_eq!(dot_i8_kernel()(&qa, &qb), naive, "n={n}");
            assert_eq!(dot_i8_portable(&qa, &qb), naive, "n={n}");
        }
    }

    #[test]
    fn int8_extremes_do_not_saturate() {
        let a = vec![127i8; 64];
        let b = vec![-127i8; 64];
        assert_eq!(dot_i8_kernel()(&a, &b), -127 * 127 * 64);
        assert_eq!(dot_i8_kernel()(&a, &a), 127 * 127 * 64);
    }

    #[test]
    fn quantize_keeps_sign_and_scale() {
        let v = [0.5f32, -0.25, 0.0, 0.125];
        let mut q = [0i8; 4];
        let s = quantize(&v, &mut q);
        assert_eq!(q, [127, -64, 0, 32]);
        assert!((s * 127.0 - 0.5).abs() < 1e-6);
        assert_eq!(quantize(&[0.0; 4], &mut q), 0.0);
    }

    #[test]
    fn top_k_keeps_best_sorted_with_stable_ties() {
        let mut t = TopK::new(3);
        for (row, s) in [(0, 0.1), (1, 0.9), (2, 0.5), (3, 0.9), (4, -1.0), (5, 0.7)] {
            t.push(row, s);
        }
        assert_eq!(t.into_sorted(), vec![(1, 0.9), (3, 0.9), (5, 0.7)]);
        let mut t = TopK::new(0);
        t.push(0, 1.0);
        assert!(t.into_sorted().is_empty());
    }
}
