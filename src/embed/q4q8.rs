//! A small-batch quantized matmul: Q4_0 weights times Q8 (int8, per-32-block scale)
//! activations, with an AVX2 kernel picked at run time and a portable fallback.
//!
//! Owns only this arithmetic. It exists because single-query latency is bound by
//! streaming the weights once per call: reading 4-bit weights and multiplying in
//! int8 beats dequantized f32 weights there, while f32 matmuls stay faster for
//! large batches (the `bert` module picks per call by token count).

use rayon::prelude::*;

use super::packed::{Q4_BLOCK, Q4_BLOCK_BYTES};

/// Activations quantized per 32-value block: int8 values, f32 scale, and the block's
/// sum of int8 values (to fold in the weights' -8 offset).
pub struct Q8Rows {
    q: Vec<i8>,
    d: Vec<f32>,
    s: Vec<i32>,
    blocks: usize,
}

/// Quantize `rows` rows of `x` (row length `cols`, a multiple of 32).
pub fn quantize_rows(x: &[f32], cols: usize) -> Q8Rows {
    let blocks = cols / Q4_BLOCK;
    let n = x.len() / Q4_BLOCK;
    let mut q = vec![0i8; x.len()];
    let mut d = vec![0f32; n];
    let mut s = vec![0i32; n];
    for (b, (xs, qs)) in x
        .chunks_exact(Q4_BLOCK)
        .zip(q.chunks_exact_mut(Q4_BLOCK))
        .enumerate()
    {
        let amax = xs.iter().fold(0f32, |m, v| m.max(v.abs()));
        let scale = amax / 127.0;
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        let mut sum = 0i32;
        for (o, v) in qs.iter_mut().zip(xs) {
            // round half away from zero without a libm call; |v * inv| <= 127
            let y = v * inv;
            let r = (y + 0.5f32.copysign(y)) as i8;
            *o = r;
            sum += r as i32;
        }
        d[b] = scale;
        s[b] = sum;
    }
    Q8Rows { q, d, s, blocks }
}

fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *HAS.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Dot product of one expanded weight row with one Q8 activation row, portable.
fn dot_portable(w: &[u8], dw: &[f32], a: &Q8Rows, row: usize) -> f32 {
    let mut acc = 0f32;
    for b in 0..a.blocks {
        let ab = row * a.blocks + b;
        let wq = &w[b * Q4_BLOCK..(b + 1) * Q4_BLOCK];
        let aq = &a.q[ab * Q4_BLOCK..(ab + 1) * Q4_BLOCK];
        let sum: i32 = wq.iter().zip(aq).map(|(&x, &y)| x as i32 * y as i32).sum();
        acc += dw[b] * a.d[ab] * (sum - 8 * a.s[ab]) as f32;
    }
    acc
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(w: &[u8], dw: &[f32], a: &Q8Rows, row: usize) -> f32 {
    use std::arch::x86_64::*;
    let mut acc = _mm256_setzero_ps();
    let mut corr = 0f32;
    let ones = _mm256_set1_epi16(1);
    for b in 0..a.blocks {
        let ab = row * a.blocks + b;
        let wq = &w[b * Q4_BLOCK..(b + 1) * Q4_BLOCK];
        let aq = &a.q[ab * Q4_BLOCK..(ab + 1) * Q4_BLOCK];
        let scale = dw[b] * a.d[ab];
        // SAFETY: both slices are exactly 32 bytes (bounds-checked); unaligned loads.
        let wv = unsafe { _mm256_loadu_si256(wq.as_ptr() as *const __m256i) };
        let av = unsafe { _mm256_loadu_si256(aq.as_ptr() as *const __m256i) };
        // unsigned weights 0..15 times signed activations; |15*127*2| fits in i16
        let p32 = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), _mm256_set1_ps(scale), acc);
        corr += scale * (8 * a.s[ab]) as f32;
    }
    let hi = _mm256_extractf128_ps(acc, 1);
    let s = _mm_add_ps(_mm256_castps256_ps128(acc), hi);
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    _mm_cvtss_f32(s) - corr
}

/// Four tokens at once: each weight block is loaded once for four activation rows.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot4_avx2(w: &[u8], dw: &[f32], a: &Q8Rows, t0: usize) -> [f32; 4] {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut corr = [0f32; 4];
    let ones = _mm256_set1_epi16(1);
    for b in 0..a.blocks {
        let wq = &w[b * Q4_BLOCK..(b + 1) * Q4_BLOCK];
        // SAFETY: exactly 32 bytes, bounds-checked; unaligned load.
        let wv = unsafe { _mm256_loadu_si256(wq.as_ptr() as *const __m256i) };
        for k in 0..4 {
            let ab = (t0 + k) * a.blocks + b;
            let aq = &a.q[ab * Q4_BLOCK..(ab + 1) * Q4_BLOCK];
            let scale = dw[b] * a.d[ab];
            // SAFETY: exactly 32 bytes, bounds-checked; unaligned load.
            let av = unsafe { _mm256_loadu_si256(aq.as_ptr() as *const __m256i) };
            let p32 = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
            acc[k] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), _mm256_set1_ps(scale), acc[k]);
            corr[k] += scale * (8 * a.s[ab]) as f32;
        }
    }
    let mut out = [0f32; 4];
    for k in 0..4 {
        let hi = _mm256_extractf128_ps(acc[k], 1);
        let s = _mm_add_ps(_mm256_castps256_ps128(acc[k]), hi);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        out[k] = _mm_cvtss_f32(s) - corr[k];
    }
    out
}

/// A linear layer with Q4_0 weights `[out, in]` and an f32 bias. The 4-bit values are
/// kept one per byte (0..15) and the block scales as f32, so the kernel does no
/// unpacking or f16 conversion per token.
pub struct Q4Linear {
    w: Vec<u8>,
    dw: Vec<f32>,
    pub out: usize,
    pub inp: usize,
    bias: Vec<f32>,
}

impl Q4Linear {
    /// `blocks` must hold `out * in / 32` Q4_0 blocks; `in` a multiple of 32.
    pub fn new(blocks: &[u8], out: usize, inp: usize, bias: Vec<f32>) -> Self {
        assert_eq!(blocks.len(), out * inp / Q4_BLOCK * Q4_BLOCK_BYTES);
        assert_eq!(bias.len(), out);
        assert_eq!(inp % Q4_BLOCK, 0);
        let nblk = out * inp / Q4_BLOCK;
        let mut w = vec![0u8; out * inp];
        let mut dw = vec![0f32; nblk];
        for (i, blk) in blocks.chunks_exact(Q4_BLOCK_BYTES).enumerate() {
            dw[i] = half::f16::from_le_bytes([blk[0], blk[1]]).to_f32();
            let o = &mut w[i * Q4_BLOCK..(i + 1) * Q4_BLOCK];
            for j in 0..16 {
                o[j] = blk[2 + j] & 0x0f;
                o[j + 16] = blk[2 + j] >> 4;
            }
        }
        Self {
            w,
            dw,
            out,
            inp,
            bias,
        }
    }

    /// `y = x W^T + b` for `x` of `n` rows; returns `n * out` values.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        assert_eq!(x.len() % self.inp, 0);
        let n = x.len() / self.inp;
        let a = quantize_rows(x, self.inp);
        let nb = self.inp / Q4_BLOCK;
        let fast = avx2();
        let dot = |o: usize, t: usize| -> f32 {
            let w = &self.w[o * self.inp..(o + 1) * self.inp];
            let dw = &self.dw[o * nb..(o + 1) * nb];
            #[cfg(target_arch = "x86_64")]
            if fast {
                // SAFETY: avx2 and fma were detected at run time.
                return unsafe { dot_avx2(w, dw, &a, t) };
            }
            let _ = fast;
            dot_portable(w, dw, &a, t)
        };
        // Output features in parallel chunks; each chunk fills a column block of y.
        const CHUNK: usize = 32;
        let parts: Vec<Vec<f32>> = (0..self.out.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let (o0, o1) = (c * CHUNK, ((c + 1) * CHUNK).min(self.out));
                let width = o1 - o0;
                let mut part = vec![0f32; n * width];
                for o in o0..o1 {
                    let mut t = 0;
                    #[cfg(target_arch = "x86_64")]
                    if fast {
                        let w = &self.w[o * self.inp..(o + 1) * self.inp];
                        let dw = &self.dw[o * nb..(o + 1) * nb];
                        while t + 4 <= n {
                            // SAFETY: avx2 and fma were detected at run time.
                            let v = unsafe { dot4_avx2(w, dw, &a, t) };
                            for (k, v) in v.iter().enumerate() {
                                part[(t + k) * width + (o - o0)] = v + self.bias[o];
                            }
                            t += 4;
                        }
                    }
                    while t < n {
                        part[t * width + (o - o0)] = dot(o, t) + self.bias[o];
                        t += 1;
                    }
                }
                part
            })
            .collect();
        let mut y = vec![0f32; n * self.out];
        for (c, part) in parts.iter().enumerate() {
            let o0 = c * CHUNK;
            let width = part.len() / n.max(1);
            for t in 0..n {
                y[t * self.out + o0..t * self.out + o0 + width]
                    .copy_from_slice(&part[t * width..(t + 1) * width]);
            }
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::packed::{dequantize_q4, tests::quantize_q4};

    fn reference(w: &[f32], x: &[f32], out: usize, inp: usize, b: &[f32]) -> Vec<f32> {
        let n = x.len() / inp;
        let mut y = vec![0f32; n * out];
        for t in 0..n {
            for o in 0..out {
                y[t * out + o] = b[o]
                    + (0..inp)
                        .map(|i| w[o * inp + i] * x[t * inp + i])
                        .sum::<f32>();
            }
        }
        y
    }

    #[test]
    fn matches_a_dequantized_f32_matmul() {
        let (out, inp, n) = (40, 96, 7);
        let w: Vec<f32> = (0..out * inp)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 60.0)
            .collect();
        let x: Vec<f32> = (0..n * inp)
            .map(|i| ((i * 13 % 29) as f32 - 14.0) / 7.0)
            .collect();
        let b: Vec<f32> = (0..out).map(|i| i as f32 / 10.0).collect();
        let q = quantize_q4(&w);
        let mut wd = vec![0f32; w.len()];
        dequantize_q4(&q, &mut wd);
        let want = reference(&wd, &x, out, inp, &b);
        let lin = Q4Linear::new(&q, out, inp, b.clone());
        let got = lin.forward(&x);
        let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (g, e) in got.iter().zip(&want) {
            assert!((g - e).abs() < 0.02 * scale, "{g} vs {e}");
        }
        // The portable and the detected kernel agree closely.
        let a = quantize_rows(&x, inp);
        let nb = inp / 32;
        for o in 0..out {
            for t in 0..n {
                let p = dot_portable(
                    &lin.w[o * inp..(o + 1) * inp],
                    &lin.dw[o * nb..(o + 1) * nb],
                    &a,
                    t,
                ) + b[o];
                assert!((p - got[t * out + o]).abs() < 1e-3 * scale.max(1.0));
            }
        }
    }
}
