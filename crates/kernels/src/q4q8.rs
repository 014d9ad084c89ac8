//! A quantized matmul: Q4_0 weights times Q8 (int8, per-32-block scale) activations,
//! with an AVX2 kernel picked at run time and a portable fallback.
//!
//! Owns only this arithmetic and the weight layout it needs (built from Q4_0 blocks). It exists because
//! single-query latency is bound by streaming the weights once per call: 4-bit weights
//! multiplied in int8 beat dequantized f32 weights there.
//!
//! Layout: output rows are taken 8 at a time (a *group*). For each group and each
//! 32-weight block, the kernel reads 8 vectors of 32 bytes; vector `s` holds bytes
//! `4s..4s+4` of each of the 8 rows. Multiplying one such vector by 4 activation bytes
//! broadcast to all lanes gives 8 partial dot products at once, one per row, so the
//! results land in a vector of 8 outputs with no horizontal sums; each weight vector
//! is reused for up to 4 tokens. Weights are kept one per byte (0..15) and block
//! scales as f32, so nothing is unpacked or converted per token.

use rayon::prelude::*;

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use crate::fastmath::{self, avx2, dispatch};

/// Weights per Q4_0 block (the GGML layout: an f16 scale, then 16 bytes holding 32
/// 4-bit weights, byte j: weight j in the low nibble, weight j+16 in the high nibble,
/// value = (q - 8) x scale).
pub const Q4_BLOCK: usize = 32;
/// Bytes per Q4_0 block.
pub const Q4_BLOCK_BYTES: usize = 18;

/// Output rows computed together.
const GROUP: usize = 8;
/// Bytes of one row per step (what `maddubs` + `madd` sum into one i32 lane).
const STEP: usize = 4;
/// Bytes of one group's block: 8 rows x 32 weights.
const GROUP_BLOCK: usize = GROUP * Q4_BLOCK;
/// Work (rows x outputs) below which a linear layer runs on one thread: splitting a
/// few microseconds of work costs more than it saves.
const PAR_MIN_WORK: usize = 16 * 1024;
/// Tokens from which threads split a linear layer by tokens rather than by outputs.
const ROW_SPLIT_MIN: usize = 64;

/// Activations quantized per 32-value block: int8 values (stored as their bytes), an
/// f32 scale per block, and the block's sum of int8 values (to fold in the weights'
/// -8 offset). Buffers are reused across calls.
#[derive(Default)]
pub struct Q8Rows {
    q: Vec<u8>,
    d: Vec<f32>,
    s: Vec<i32>,
    /// 32-value blocks per row.
    nb: usize,
    rows: usize,
}

impl Q8Rows {
    /// Quantize `x` (rows of `cols` values, `cols` a multiple of 32) into `self`.
    pub fn quantize(&mut self, x: &[f32], cols: usize) {
        assert!(cols % Q4_BLOCK == 0 && x.len() % cols == 0);
        self.nb = cols / Q4_BLOCK;
        self.rows = x.len() / cols;
        let n = x.len() / Q4_BLOCK;
        self.q.resize(x.len(), 0);
        self.d.resize(n, 0.0);
        self.s.resize(n, 0);
        quantize_blocks(x, &mut self.q, &mut self.d, &mut self.s);
    }
}

fn quantize_blocks(x: &[f32], q: &mut [u8], d: &mut [f32], s: &mut [i32]) {
    dispatch!(quantize_impl(x: &[f32], q: &mut [u8], d: &mut [f32], s: &mut [i32]) {
        // Written as 8 independent lanes so the compiler vectorizes it.
        for (((xs, qs), d), s) in x
            .chunks_exact(Q4_BLOCK)
            .zip(q.chunks_exact_mut(Q4_BLOCK))
            .zip(d.iter_mut())
            .zip(s.iter_mut())
        {
            let mut m = [0f32; 8];
            for c in xs.chunks_exact(8) {
                for k in 0..8 {
                    let a = c[k].abs();
                    m[k] = if a > m[k] { a } else { m[k] };
                }
            }
            let amax = m.iter().fold(0f32, |a, &b| if b > a { b } else { a });
            let scale = amax / 127.0;
            let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
            let mut sums = [0i32; 8];
            for (qc, xc) in qs.chunks_exact_mut(8).zip(xs.chunks_exact(8)) {
                for k in 0..8 {
                    // Round to nearest (|x * inv| <= 127) by the magic-number trick: the
                    // integer lands in the low mantissa bits, no float-to-int conversion.
                    let r = ((xc[k] * inv + fastmath::ROUND_MAGIC).to_bits() as i32)
                        .wrapping_sub(fastmath::ROUND_MAGIC.to_bits() as i32);
                    qc[k] = r as i8 as u8;
                    sums[k] += r;
                }
            }
            *d = scale;
            *s = sums.iter().sum();
        }
    })
}

/// What to apply to each output after the bias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    None,
    Gelu,
}

/// A linear layer with Q4_0 weights `[out, in]` and an f32 bias, in the grouped layout
/// described in the module comment.
pub struct Q4Linear {
    /// `[group][block][step][row][byte]`, values 0..15.
    w: Vec<u8>,
    /// `[group][block][row]` block scales.
    dw: Vec<f32>,
    /// Bias padded to a whole number of groups.
    bias: Vec<f32>,
    out: usize,
    inp: usize,
}

impl Q4Linear {
    /// `blocks` must hold `out * in / 32` Q4_0 blocks (row-major `[out, in]`); `in` a
    /// multiple of 32.
    pub fn new(blocks: &[u8], out: usize, inp: usize, bias: &[f32]) -> Self {
        assert_eq!(inp % Q4_BLOCK, 0);
        assert_eq!(blocks.len(), out * inp / Q4_BLOCK * Q4_BLOCK_BYTES);
        assert_eq!(bias.len(), out);
        let nb = inp / Q4_BLOCK;
        let groups = out.div_ceil(GROUP);
        // Padding rows keep weight 0 with scale 0 and are never read back.
        let mut w = vec![0u8; groups * nb * GROUP_BLOCK];
        let mut dw = vec![0f32; groups * nb * GROUP];
        for o in 0..out {
            let (g, r) = (o / GROUP, o % GROUP);
            for b in 0..nb {
                let blk = &blocks[(o * nb + b) * Q4_BLOCK_BYTES..][..Q4_BLOCK_BYTES];
                dw[(g * nb + b) * GROUP + r] = half::f16::from_le_bytes([blk[0], blk[1]]).to_f32();
                let dst = &mut w[(g * nb + b) * GROUP_BLOCK..][..GROUP_BLOCK];
                for j in 0..Q4_BLOCK {
                    let byte = blk[2 + j % 16];
                    let v = if j < 16 { byte & 0x0f } else { byte >> 4 };
                    let (s, k) = (j / STEP, j % STEP);
                    dst[s * GROUP * STEP + r * STEP + k] = v;
                }
            }
        }
        let mut padded = bias.to_vec();
        padded.resize(groups * GROUP, 0.0);
        Self {
            w,
            dw,
            bias: padded,
            out,
            inp,
        }
    }

    fn groups(&self) -> usize {
        self.out.div_ceil(GROUP)
    }

    /// `y = act(x W^T + b)` for the quantized rows `a` (row length `in`); `y` gets
    /// `rows * out` values. `scratch` is reused between calls.
    ///
    /// With several threads, work is split by output rows of `W` (groups) for a few
    /// tokens, so the weights are read once in total, and by tokens for batches, so
    /// each thread writes whole rows of `y` and nothing needs reassembling.
    pub fn forward_q8(
        &self,
        a: &Q8Rows,
        act: Activation,
        y: &mut Vec<f32>,
        scratch: &mut Vec<f32>,
    ) {
        assert_eq!(a.nb * Q4_BLOCK, self.inp);
        let n = a.rows;
        // Every element is written below, so the buffers are only grown, never cleared.
        y.resize(n * self.out, 0.0);
        let threads = rayon::current_num_threads();
        if threads == 1 || n * self.out < PAR_MIN_WORK {
            self.run_rows(0, y, a, act);
        } else if n >= ROW_SPLIT_MIN {
            // A multiple of the 4-token tile, a few pieces per thread for balance.
            let per = n.div_ceil(threads * 2).next_multiple_of(4);
            y.par_chunks_mut(per * self.out)
                .enumerate()
                .for_each(|(c, part)| self.run_rows(c * per, part, a, act));
        } else {
            self.split_by_groups(a, act, y, scratch, threads);
        }
    }

    /// Rows `t0..` of `y` (as many as `y` holds), all output groups.
    fn run_rows(&self, t0: usize, y: &mut [f32], a: &Q8Rows, act: Activation) {
        let m = y.len() / self.out;
        let mut tile = [0f32; 4 * GROUP];
        for g in 0..self.groups() {
            let o0 = g * GROUP;
            let width = GROUP.min(self.out - o0);
            let mut t = 0;
            while t < m {
                let count = (m - t).min(4);
                self.tile(g, a, t0 + t, count, &mut tile);
                for (k, v) in tile[..count * GROUP].chunks_exact(GROUP).enumerate() {
                    let row = &mut y[(t + k) * self.out..][..self.out];
                    if width == GROUP {
                        // Fixed-size copy: one 32-byte move, not a call.
                        let dst: &mut [f32; GROUP] =
                            (&mut row[o0..o0 + GROUP]).try_into().expect("8");
                        *dst = v.try_into().expect("8");
                    } else {
                        row[o0..].copy_from_slice(&v[..width]);
                    }
                }
                t += count;
            }
        }
        for row in y.chunks_exact_mut(self.out) {
            for (x, b) in row.iter_mut().zip(&self.bias) {
                *x += b;
            }
        }
        if act == Activation::Gelu {
            fastmath::gelu_in_place(y);
        }
    }

    /// The few-token split: each task computes whole groups for all tokens into
    /// `scratch` (`[group][token][row]`), then one pass scatters them into `y`.
    fn split_by_groups(
        &self,
        a: &Q8Rows,
        act: Activation,
        y: &mut [f32],
        scratch: &mut Vec<f32>,
        threads: usize,
    ) {
        let n = a.rows;
        let groups = self.groups();
        let group_len = n * GROUP;
        if scratch.len() < groups * group_len {
            scratch.resize(groups * group_len, 0.0);
        }
        let scratch = &mut scratch[..groups * group_len];
        let per = groups.div_ceil(threads * 2).max(1);
        scratch
            .par_chunks_mut(per * group_len)
            .enumerate()
            .for_each(|(c, part)| {
                for (i, out) in part.chunks_exact_mut(group_len).enumerate() {
                    let g = c * per + i;
                    let mut t = 0;
                    while t < n {
                        let count = (n - t).min(4);
                        self.tile(g, a, t, count, &mut out[t * GROUP..]);
                        t += count;
                    }
                    let bias: &[f32; GROUP] =
                        self.bias[g * GROUP..][..GROUP].try_into().expect("8");
                    for v in out.chunks_exact_mut(GROUP) {
                        for (x, b) in v.iter_mut().zip(bias) {
                            *x += b;
                        }
                    }
                    if act == Activation::Gelu {
                        fastmath::gelu_in_place(out);
                    }
                }
            });
        for (g, part) in scratch.chunks_exact(group_len).enumerate() {
            let o0 = g * GROUP;
            let width = GROUP.min(self.out - o0);
            for (row, v) in y.chunks_exact_mut(self.out).zip(part.chunks_exact(GROUP)) {
                if width == GROUP {
                    let dst: &mut [f32; GROUP] = (&mut row[o0..o0 + GROUP]).try_into().expect("8");
                    *dst = v.try_into().expect("8");
                } else {
                    row[o0..].copy_from_slice(&v[..width]);
                }
            }
        }
    }

    /// Group `g`'s 8 outputs for `count` (1..=4) tokens from `t0`, written to
    /// `out[..count * 8]` as `[token][row]`, without bias.
    fn tile(&self, g: usize, a: &Q8Rows, t0: usize, count: usize, out: &mut [f32]) {
        let nb = a.nb;
        let w = &self.w[g * nb * GROUP_BLOCK..][..nb * GROUP_BLOCK];
        let dw = &self.dw[g * nb * GROUP..][..nb * GROUP];
        #[cfg(target_arch = "x86_64")]
        if let Some(tiles) = tiles() {
            // SAFETY: `tiles` only holds kernels whose CPU features were detected.
            unsafe { tiles[count - 1](w, dw, a, t0, out) };
            return;
        }
        for (k, o) in out[..count * GROUP].chunks_exact_mut(GROUP).enumerate() {
            o.copy_from_slice(&group_portable(w, dw, a, t0 + k));
        }
    }

    /// Quantize `x` and run [`Q4Linear::forward_q8`]; returns `rows * out` values.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        let mut a = Q8Rows::default();
        a.quantize(x, self.inp);
        let (mut y, mut scratch) = (Vec::new(), Vec::new());
        self.forward_q8(&a, Activation::None, &mut y, &mut scratch);
        y
    }
}

/// One group's 8 outputs for token `t`, portable.
fn group_portable(w: &[u8], dw: &[f32], a: &Q8Rows, t: usize) -> [f32; GROUP] {
    let nb = a.nb;
    let mut acc = [0f32; GROUP];
    for b in 0..nb {
        let wb = &w[b * GROUP_BLOCK..][..GROUP_BLOCK];
        let aq = &a.q[(t * nb + b) * Q4_BLOCK..][..Q4_BLOCK];
        let ab = t * nb + b;
        for (r, acc) in acc.iter_mut().enumerate() {
            let mut sum = 0i32;
            for s in 0..Q4_BLOCK / STEP {
                for k in 0..STEP {
                    let wv = wb[s * GROUP * STEP + r * STEP + k] as i32;
                    sum += wv * aq[s * STEP + k] as i8 as i32;
                }
            }
            *acc += dw[b * GROUP + r] * a.d[ab] * (sum - 8 * a.s[ab]) as f32;
        }
    }
    acc
}

/// One group's 8 outputs for `T` consecutive tokens from `t0`, written to
/// `out[..T * 8]` (`[token][row]`), AVX2.
///
/// Per 32-weight block: 8 steps, each one 32-byte weight load reused for `T` tokens.
/// `maddubs` multiplies the unsigned weight bytes by 4 signed activation bytes
/// broadcast to all lanes and adds products in pairs into i16 lanes (at most
/// 2 x 15 x 127 = 3810 in magnitude); all 8 steps of a block are summed in i16 too (at
/// most 30480 < 2^15), in two accumulators (even and odd steps) so the additions
/// overlap, and one `madd` per block widens to i32. The integer sums, less 8 x the
/// activation block sum (the weights' offset), are then scaled by weight scale x
/// activation scale and added up in f32.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn tile_avx2<const T: usize>(w: &[u8], dw: &[f32], a: &Q8Rows, t0: usize, out: &mut [f32]) {
    let nb = a.nb;
    let ones = _mm256_set1_epi16(1);
    let mut accf = [_mm256_setzero_ps(); T];
    for b in 0..nb {
        let wb: &[u8; GROUP_BLOCK] = w[b * GROUP_BLOCK..][..GROUP_BLOCK]
            .try_into()
            .expect("block length");
        let aq: [&[u8; Q4_BLOCK]; T] = std::array::from_fn(|t| {
            a.q[((t0 + t) * nb + b) * Q4_BLOCK..][..Q4_BLOCK]
                .try_into()
                .expect("block length")
        });
        let mut acc = [[_mm256_setzero_si256(); 2]; T];
        for s in 0..Q4_BLOCK / STEP {
            let ws: &[u8; 32] = wb[s * 32..][..32].try_into().expect("step length");
            // SAFETY: `ws` is 32 readable bytes; the load is unaligned.
            let wv = unsafe { _mm256_loadu_si256(ws.as_ptr().cast()) };
            for t in 0..T {
                let q = &aq[t][s * STEP..][..STEP];
                let av = _mm256_set1_epi32(i32::from_le_bytes([q[0], q[1], q[2], q[3]]));
                acc[t][s % 2] = _mm256_add_epi16(acc[t][s % 2], _mm256_maddubs_epi16(wv, av));
            }
        }
        let ds: &[f32; GROUP] = dw[b * GROUP..][..GROUP].try_into().expect("scales");
        // SAFETY: `ds` is 8 readable f32; the load is unaligned.
        let dv = unsafe { _mm256_loadu_ps(ds.as_ptr()) };
        for t in 0..T {
            let ab = (t0 + t) * nb + b;
            let sums = _mm256_madd_epi16(_mm256_add_epi16(acc[t][0], acc[t][1]), ones);
            let ints = _mm256_sub_epi32(sums, _mm256_set1_epi32(8 * a.s[ab]));
            let scale = _mm256_mul_ps(dv, _mm256_set1_ps(a.d[ab]));
            accf[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ints), scale, accf[t]);
        }
    }
    for (t, o) in out[..T * GROUP].chunks_exact_mut(GROUP).enumerate() {
        let o: &mut [f32; GROUP] = o.try_into().expect("8 outputs");
        // SAFETY: `o` is 8 writable f32; the store is unaligned.
        unsafe { _mm256_storeu_ps(o.as_mut_ptr(), accf[t]) };
    }
}

/// A tile kernel for 1..=4 tokens (index = tokens - 1).
#[cfg(target_arch = "x86_64")]
type Tiles = [unsafe fn(&[u8], &[f32], &Q8Rows, usize, &mut [f32]); 4];

/// The AVX2 tile kernels when the CPU has AVX2 and FMA (detected once); `None`: use
/// the portable code.
#[cfg(target_arch = "x86_64")]
fn tiles() -> Option<&'static Tiles> {
    static AVX2: Tiles = [
        tile_avx2::<1>,
        tile_avx2::<2>,
        tile_avx2::<3>,
        tile_avx2::<4>,
    ];
    avx2().then_some(&AVX2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quantize to Q4_0 the usual way (scale = value of max magnitude / -8).
    fn quantize_q4(x: &[f32]) -> Vec<u8> {
        let mut out = Vec::new();
        for blk in x.chunks(Q4_BLOCK) {
            let max = blk
                .iter()
                .fold(0f32, |m, &v| if v.abs() > m.abs() { v } else { m });
            let d = max / -8.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            out.extend_from_slice(&half::f16::from_f32(d).to_le_bytes());
            for j in 0..16 {
                let q0 = ((blk[j] * id + 8.5) as i32).clamp(0, 15) as u8;
                let q1 = ((blk[j + 16] * id + 8.5) as i32).clamp(0, 15) as u8;
                out.push(q0 | (q1 << 4));
            }
        }
        out
    }

    fn dequantize_q4(blocks: &[u8], out: &mut [f32]) {
        for (b, o) in blocks
            .chunks_exact(Q4_BLOCK_BYTES)
            .zip(out.chunks_exact_mut(Q4_BLOCK))
        {
            let d = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
            for j in 0..16 {
                o[j] = ((b[2 + j] & 0x0f) as i32 - 8) as f32 * d;
                o[j + 16] = ((b[2 + j] >> 4) as i32 - 8) as f32 * d;
            }
        }
    }

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

    fn case(out: usize, inp: usize, n: usize) -> (Vec<u8>, Vec<f32>, Vec<f32>, Vec<f32>) {
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
        (q, wd, x, b)
    }

    #[test]
    fn matches_a_dequantized_f32_matmul() {
        // 44 outputs: five full groups and a partial one; 1..=9 tokens covers every
        // tile size of the AVX2 path and the remainders.
        let (out, inp) = (44, 96);
        for n in 1..=9 {
            let (q, wd, x, b) = case(out, inp, n);
            let want = reference(&wd, &x, out, inp, &b);
            let lin = Q4Linear::new(&q, out, inp, &b);
            let got = lin.forward(&x);
            assert_eq!(got.len(), want.len());
            let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
            for (g, e) in got.iter().zip(&want) {
                assert!((g - e).abs() < 0.02 * scale, "{n} tokens: {g} vs {e}");
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_avx2_kernel_matches_the_portable_one_for_every_tile_size() {
        let Some(tiles) = tiles() else {
            eprintln!("no AVX2 on this CPU: the portable path is tested above");
            return;
        };
        let (out, inp, n) = (16, 96, 4);
        let (q, _, x, b) = case(out, inp, n);
        let lin = Q4Linear::new(&q, out, inp, &b);
        let mut a = Q8Rows::default();
        a.quantize(&x, inp);
        let nb = inp / Q4_BLOCK;
        for g in 0..out / GROUP {
            let w = &lin.w[g * nb * GROUP_BLOCK..][..nb * GROUP_BLOCK];
            let dw = &lin.dw[g * nb * GROUP..][..nb * GROUP];
            for count in 1..=4 {
                let mut got = vec![0f32; count * GROUP];
                // SAFETY: `tiles()` only returns kernels whose features were detected.
                unsafe { tiles[count - 1](w, dw, &a, n - count, &mut got) };
                for (k, row) in got.chunks_exact(GROUP).enumerate() {
                    let want = group_portable(w, dw, &a, n - count + k);
                    for (g, e) in row.iter().zip(&want) {
                        assert!((g - e).abs() < 1e-3, "{count} tokens: {g} vs {e}");
                    }
                }
            }
        }
    }

    #[test]
    fn threads_split_by_tokens_or_outputs_give_the_same_result() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        // 200 tokens: split by tokens; 40 tokens x 512 outputs: split by outputs.
        for (out, inp, n) in [(96, 64, 200), (512, 64, 40)] {
            let (q, _, x, b) = case(out, inp, n);
            let lin = Q4Linear::new(&q, out, inp, &b);
            let mut a = Q8Rows::default();
            a.quantize(&x, inp);
            let single = lin.forward(&x);
            let (mut y, mut scratch) = (Vec::new(), Vec::new());
            pool.install(|| lin.forward_q8(&a, Activation::Gelu, &mut y, &mut scratch));
            assert_eq!(y.len(), single.len());
            for (g, p) in y.iter().zip(&single) {
                assert!(
                    (g - fastmath::gelu(*p)).abs() < 1e-5,
                    "{out}x{n}: {g} vs {p}"
                );
            }
        }
    }
}
