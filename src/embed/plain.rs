//! The transformer layers in plain Rust, without candle: the path for short inputs.
//!
//! Owns the 12 encoder layers of the packed model as 4-bit weights and their forward
//! pass over rows of hidden states. Every linear layer is our Q4 x Q8 kernel (`q4q8`),
//! Q, K and V are one fused linear, the bias and GELU are applied inside the kernel's
//! epilogue, attention is one fused loop per (sequence, head) with the softmax inline,
//! and the residual add is fused into the LayerNorm (`fastmath`). Sequences are not
//! padded: their rows are concatenated and attention stays inside each sequence.
//!
//! Why it exists: for a single query (10-20 tokens) the candle graph spent most of its
//! time on per-op overhead (allocation and dispatch of ~20 tensor ops per layer) and on
//! scalar erf/exp, not on the matmuls. It does not embed tokens or pool (see `bert`).

use rayon::prelude::*;

use envkb_kernels::attention::attend;
use envkb_kernels::fastmath;
use envkb_kernels::q4q8::{Activation, Q4Linear, Q8Rows};

use super::packed::PackedFile;
use super::EmbedError;

/// Attention work (sum of squared lengths x hidden) below which heads run on one thread.
const PAR_MIN_ATTENTION: usize = 64 * 1024;

struct PlainLayer {
    qkv: Q4Linear,
    ao: Q4Linear,
    aln_w: Vec<f32>,
    aln_b: Vec<f32>,
    fi: Q4Linear,
    fo: Q4Linear,
    oln_w: Vec<f32>,
    oln_b: Vec<f32>,
}

/// The encoder layers of a packed model, ready for [`PlainLayers::forward`].
pub struct PlainLayers {
    layers: Vec<PlainLayer>,
    hidden: usize,
    heads: usize,
    ffn: usize,
    eps: f32,
}

impl PlainLayers {
    /// Read the layers' weights from a parsed packed file.
    pub fn from_packed(f: &PackedFile) -> Result<Self, EmbedError> {
        let c = f.config;
        let h = c.hidden;
        // The kernels work in blocks of 32 inputs and 8 head dimensions.
        if c.heads == 0
            || h % c.heads != 0
            || (h / c.heads) % 8 != 0
            || h % 32 != 0
            || c.ffn % 32 != 0
        {
            return Err(EmbedError::InvalidWeights {
                path: f.path().to_path_buf(),
                detail: format!(
                    "hidden {h}, heads {}, ffn {}: hidden and ffn must be multiples of 32, \
                     and hidden / heads a multiple of 8",
                    c.heads, c.ffn
                ),
            });
        }
        let linear = |names: &[String], out: usize, inp: usize| -> Result<Q4Linear, EmbedError> {
            let mut blocks = Vec::new();
            let mut bias = Vec::new();
            for name in names {
                blocks.extend_from_slice(f.q4(&format!("{name}.w"), out * inp)?);
                bias.extend(f.f32s(&format!("{name}.b"), out)?);
            }
            Ok(Q4Linear::new(&blocks, out * names.len(), inp, &bias))
        };
        let mut layers = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let n = |s: &str| format!("l{l}.{s}");
            layers.push(PlainLayer {
                qkv: linear(&[n("q"), n("k"), n("v")], h, h)?,
                ao: linear(&[n("ao")], h, h)?,
                aln_w: f.f32s(&n("aln.w"), h)?,
                aln_b: f.f32s(&n("aln.b"), h)?,
                fi: linear(&[n("fi")], c.ffn, h)?,
                fo: linear(&[n("fo")], h, c.ffn)?,
                oln_w: f.f32s(&n("oln.w"), h)?,
                oln_b: f.f32s(&n("oln.b"), h)?,
            });
        }
        Ok(Self {
            layers,
            hidden: h,
            heads: c.heads,
            ffn: c.ffn,
            eps: c.eps,
        })
    }

    /// Run all layers over `x`: rows of `hidden` values (embedded and normalized
    /// tokens), the rows of sequence `i` being the next `lens[i]` rows.
    pub fn forward(&self, x: &mut [f32], lens: &[usize]) {
        let h = self.hidden;
        debug_assert_eq!(x.len(), lens.iter().sum::<usize>() * h);
        let rows = x.len() / h;
        // Buffers reused by every layer of this call.
        let mut a = Q8Rows::default();
        let mut qkv = Vec::with_capacity(rows * 3 * h);
        let mut ctx = vec![0f32; rows * h];
        let mut branch = Vec::with_capacity(rows * h);
        let mut mid = Vec::with_capacity(rows * self.ffn);
        let mut scratch = Vec::with_capacity(rows * self.ffn);
        for layer in &self.layers {
            a.quantize(x, h);
            layer
                .qkv
                .forward_q8(&a, Activation::None, &mut qkv, &mut scratch);
            self.attention(&qkv, &mut ctx, lens);
            a.quantize(&ctx, h);
            layer
                .ao
                .forward_q8(&a, Activation::None, &mut branch, &mut scratch);
            fastmath::add_layer_norm(x, Some(&branch), &layer.aln_w, &layer.aln_b, self.eps);
            a.quantize(x, h);
            layer
                .fi
                .forward_q8(&a, Activation::Gelu, &mut mid, &mut scratch);
            a.quantize(&mid, self.ffn);
            layer
                .fo
                .forward_q8(&a, Activation::None, &mut branch, &mut scratch);
            fastmath::add_layer_norm(x, Some(&branch), &layer.oln_w, &layer.oln_b, self.eps);
        }
    }

    /// Multi-head self-attention of each sequence over itself: `qkv` rows hold Q, K
    /// and V side by side; `ctx` gets the heads' outputs side by side.
    fn attention(&self, qkv: &[f32], ctx: &mut [f32], lens: &[usize]) {
        let (h, heads) = (self.hidden, self.heads);
        let hd = h / heads;
        let mut jobs = Vec::with_capacity(lens.len() * heads);
        let mut start = 0;
        for &len in lens {
            jobs.extend((0..heads).map(|head| (start, len, head)));
            start += len;
        }
        let scale = 1.0 / (hd as f32).sqrt();
        let one = |&(start, len, head): &(usize, usize, usize)| -> Vec<f32> {
            // This head's Q (pre-scaled by 1/sqrt(hd)) and V as `[len][hd]`, and K
            // transposed to `[hd][len]` so scores for all keys vectorize over keys.
            let at =
                |i: usize, part: usize| &qkv[(start + i) * 3 * h + part * h + head * hd..][..hd];
            let mut q = Vec::with_capacity(len * hd);
            let mut v = Vec::with_capacity(len * hd);
            let mut kt = vec![0f32; hd * len];
            for i in 0..len {
                q.extend(at(i, 0).iter().map(|x| x * scale));
                v.extend_from_slice(at(i, 2));
                for (d, x) in at(i, 1).iter().enumerate() {
                    kt[d * len + i] = *x;
                }
            }
            let mut out = vec![0f32; len * hd];
            let mut scores = vec![0f32; len];
            attend(&q, &kt, &v, hd, &mut scores, &mut out);
            out
        };
        let work = lens.iter().map(|l| l * l).sum::<usize>() * h;
        let outs: Vec<Vec<f32>> = if rayon::current_num_threads() > 1 && work >= PAR_MIN_ATTENTION {
            jobs.par_iter().map(one).collect()
        } else {
            jobs.iter().map(one).collect()
        };
        for (&(start, len, head), out) in jobs.iter().zip(&outs) {
            for i in 0..len {
                ctx[(start + i) * h + head * hd..][..hd].copy_from_slice(&out[i * hd..][..hd]);
            }
        }
    }
}
