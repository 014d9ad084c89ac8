//! The E5 (BERT-style) transformer forward pass, built from either source.
//!
//! Owns the weights in memory and the math from token ids to mean-pooled (not yet
//! normalized) hidden states: the embedding stage (plain Rust), and the encoder layers
//! either as a candle graph (f32 or candle's Q4 matmuls; batches) or as plain Rust with
//! our Q4 x Q8 kernel (`plain`; short inputs), picked per call by [`LinearMode`]. It
//! does not tokenize, window or batch texts (see `encoder`), and it does not read file
//! formats itself beyond mapping names (`packed` parses the packed container;
//! safetensors is read through candle).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{DType, Device, Module, Tensor};

use envkb_kernels::fastmath;

use super::packed::{dequantize_q4, FileBytes, PackedFile, Q4_BLOCK, Q4_BLOCK_BYTES};
use super::plain::PlainLayers;
use super::EmbedError;

/// How the linear layers of the packed model are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinearMode {
    /// Dequantize the 4-bit weights to f32 once at load; candle graph with f32
    /// matmuls (about 85 MB more memory than 4-bit).
    F32,
    /// Keep the 4-bit weights and use candle's Q4_0 x Q8 quantized matmul.
    CandleQ4,
    /// Keep the 4-bit weights; every input runs the plain-Rust layers (`plain`) with
    /// our own Q4_0 x Q8 kernel (AVX2 when available). No candle graph at all. The
    /// default: in side-by-side runs it had both the lowest single-query latency and
    /// the highest passage throughput, and the smallest memory (docs/BENCHMARKS.md).
    #[default]
    Q4Q8,
    /// Both: the plain-Rust Q4 x Q8 layers for small inputs (up to [`SMALL_ROWS`]
    /// tokens in one call, as in a single query), candle's f32 matmuls for larger
    /// batches (the default before the plain path handled long inputs well).
    Hybrid,
}

/// Token count (summed over the sequences of one forward pass) up to which
/// [`LinearMode::Hybrid`] takes the plain Q4 x Q8 path.
pub const SMALL_ROWS: usize = 48;

/// The encoder's sizes, whichever source they were read from: the packed file's header
/// (`packed`) or a Hugging Face `config.json` and its tensors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderConfig {
    /// Width of every hidden state (384 for E5-small).
    pub hidden: usize,
    /// Transformer layers.
    pub layers: usize,
    /// Attention heads per layer; `hidden` is a multiple of it.
    pub heads: usize,
    /// Width of the feed-forward layer inside each block.
    pub ffn: usize,
    /// Rows of the word-embedding table; token ids must stay below it.
    pub vocab: usize,
    /// Longest input in tokens (rows of the position table).
    pub max_positions: usize,
    /// Rows of the token-type table (only type 0 is used).
    pub type_vocab: usize,
    /// LayerNorm epsilon; every layer norm runs in f32.
    pub eps: f32,
}

enum Linear {
    /// Weight stored transposed, `[in, out]`, contiguous.
    F32 {
        wt: Tensor,
        b: Tensor,
    },
    Q4 {
        w: QMatMul,
        b: Tensor,
    },
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Linear::F32 { wt, b } => x.matmul(wt)?.broadcast_add(b),
            Linear::Q4 { w, b } => w.forward(x)?.broadcast_add(b),
        }
    }
}

enum WordTable {
    /// Q4_0 rows of `hidden` weights each; dequantized on lookup. Mapped from the
    /// model file, so only the rows of tokens actually seen become resident.
    Q4(FileBytes),
    /// `[vocab][hidden]` f32.
    F32(Vec<f32>),
}

/// The embedding stage, shared by both layer implementations: word + position +
/// token type 0, then LayerNorm.
struct Embeddings {
    word: WordTable,
    /// `[max_positions][hidden]`.
    pos: Vec<f32>,
    type0: Vec<f32>,
    ln_w: Vec<f32>,
    ln_b: Vec<f32>,
}

impl Embeddings {
    /// Rows of normalized embeddings for `ids` at `positions` (same length).
    fn embed(&self, ids: &[u32], positions: &[usize], eps: f32) -> Vec<f32> {
        let h = self.type0.len();
        let mut out = vec![0f32; ids.len() * h];
        for ((&id, &p), o) in ids.iter().zip(positions).zip(out.chunks_exact_mut(h)) {
            let id = id as usize;
            match &self.word {
                WordTable::Q4(blocks) => {
                    let row_bytes = h / Q4_BLOCK * Q4_BLOCK_BYTES;
                    dequantize_q4(&blocks[id * row_bytes..][..row_bytes], o);
                }
                WordTable::F32(t) => o.copy_from_slice(&t[id * h..][..h]),
            }
            for ((v, pv), tv) in o.iter_mut().zip(&self.pos[p * h..][..h]).zip(&self.type0) {
                *v += pv + tv;
            }
        }
        fastmath::add_layer_norm(&mut out, None, &self.ln_w, &self.ln_b, eps);
        out
    }
}

struct LayerNorm {
    w: Tensor,
    b: Tensor,
}

fn to_vec(t: &Tensor) -> candle_core::Result<Vec<f32>> {
    t.flatten_all()?.to_vec1::<f32>()
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    ao: Linear,
    aln: LayerNorm,
    fi: Linear,
    fo: Linear,
    oln: LayerNorm,
}

/// A loaded encoder network.
pub struct Bert {
    pub config: EncoderConfig,
    emb: Embeddings,
    /// The candle layers (absent in [`LinearMode::Q4Q8`]).
    layers: Vec<Layer>,
    /// The plain-Rust layers (packed model in `Q4Q8` and `Hybrid` modes).
    plain: Option<PlainLayers>,
    /// Inputs of at most this many tokens take `plain`.
    plain_up_to: usize,
    pad_id: u32,
}

fn cpu() -> Device {
    Device::Cpu
}

impl Bert {
    /// Build from a parsed packed file.
    pub fn from_packed(f: &PackedFile, mode: LinearMode) -> Result<Self, EmbedError> {
        let c = f.config;
        let h = c.hidden;
        let dev = cpu();
        let vec_t = |name: &str, n: usize| -> Result<Tensor, EmbedError> {
            Ok(Tensor::from_vec(f.f32s(name, n)?, n, &dev)?)
        };
        let candle_linear = |name: &str, out: usize, inp: usize| -> Result<Linear, EmbedError> {
            let blocks = f.q4(&format!("{name}.w"), out * inp)?;
            let b = vec_t(&format!("{name}.b"), out)?;
            // candle reads the bytes as 2-byte aligned blocks; the file's may not be.
            let mut buf = Vec::with_capacity(blocks.len() + 1);
            let skip = usize::from(buf.as_ptr() as usize % 2 == 1);
            buf.resize(skip, 0);
            buf.extend_from_slice(blocks);
            let storage = QStorage::from_data(buf[skip..].into(), &dev, GgmlDType::Q4_0)?;
            let qtensor = QTensor::new(storage, (out, inp))?;
            Ok(if mode == LinearMode::CandleQ4 {
                Linear::Q4 {
                    w: QMatMul::from_arc(Arc::new(qtensor))?,
                    b,
                }
            } else {
                // Dequantized by candle (same block layout as `packed::dequantize_q4`,
                // which the Hugging Face directory test cross-checks).
                Linear::F32 {
                    wt: qtensor.dequantize(&dev)?.t()?.contiguous()?,
                    b,
                }
            })
        };
        let ln = |name: &str| -> Result<LayerNorm, EmbedError> {
            Ok(LayerNorm {
                w: vec_t(&format!("{name}.w"), h)?,
                b: vec_t(&format!("{name}.b"), h)?,
            })
        };
        if c.type_vocab == 0 {
            return Err(EmbedError::InvalidWeights {
                path: f.path().to_path_buf(),
                detail: "type vocabulary is empty".into(),
            });
        }
        let types = f.f32s("emb.type", c.type_vocab * h)?;
        let emb = Embeddings {
            word: WordTable::Q4(f.q4_mapped("emb.word", c.vocab * h)?),
            pos: f.f32s("emb.pos", c.max_positions * h)?,
            type0: types[..h].to_vec(),
            ln_w: f.f32s("emb.ln.w", h)?,
            ln_b: f.f32s("emb.ln.b", h)?,
        };
        let mut layers = Vec::new();
        if mode != LinearMode::Q4Q8 {
            for l in 0..c.layers {
                let p = format!("l{l}");
                layers.push(Layer {
                    q: candle_linear(&format!("{p}.q"), h, h)?,
                    k: candle_linear(&format!("{p}.k"), h, h)?,
                    v: candle_linear(&format!("{p}.v"), h, h)?,
                    ao: candle_linear(&format!("{p}.ao"), h, h)?,
                    aln: ln(&format!("{p}.aln"))?,
                    fi: candle_linear(&format!("{p}.fi"), c.ffn, h)?,
                    fo: candle_linear(&format!("{p}.fo"), h, c.ffn)?,
                    oln: ln(&format!("{p}.oln"))?,
                });
            }
        }
        let (plain, plain_up_to) = match mode {
            LinearMode::Q4Q8 => (Some(PlainLayers::from_packed(f)?), usize::MAX),
            LinearMode::Hybrid => (Some(PlainLayers::from_packed(f)?), SMALL_ROWS),
            LinearMode::F32 | LinearMode::CandleQ4 => (None, 0),
        };
        Ok(Self {
            config: c,
            emb,
            layers,
            plain,
            plain_up_to,
            pad_id: 1,
        })
    }

    /// Build from a Hugging Face BERT directory: `config.json` + `model.safetensors`.
    pub fn from_hf_dir(dir: &Path) -> Result<Self, EmbedError> {
        let cfg_path = dir.join("config.json");
        let invalid = |path: &Path, detail: String| EmbedError::InvalidWeights {
            path: path.to_path_buf(),
            detail,
        };
        let text = std::fs::read_to_string(&cfg_path).map_err(|source| EmbedError::Io {
            path: cfg_path.clone(),
            source,
        })?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| invalid(&cfg_path, format!("not JSON: {e}")))?;
        let num = |k: &str| -> Result<usize, EmbedError> {
            v.get(k)
                .and_then(|x| x.as_u64())
                .map(|x| x as usize)
                .filter(|&x| x > 0)
                .ok_or_else(|| invalid(&cfg_path, format!("missing or zero `{k}`")))
        };
        let mut config = EncoderConfig {
            hidden: num("hidden_size")?,
            layers: num("num_hidden_layers")?,
            heads: num("num_attention_heads")?,
            ffn: num("intermediate_size")?,
            vocab: num("vocab_size")?,
            max_positions: num("max_position_embeddings")?,
            // Read from the token-type tensor below.
            type_vocab: 0,
            eps: v
                .get("layer_norm_eps")
                .and_then(|x| x.as_f64())
                .unwrap_or(1e-12) as f32,
        };
        if config.hidden % config.heads != 0 {
            return Err(invalid(
                &cfg_path,
                "hidden_size is not a multiple of num_attention_heads".into(),
            ));
        }
        if let Some(act) = v.get("hidden_act").and_then(|x| x.as_str()) {
            if act != "gelu" {
                return Err(invalid(
                    &cfg_path,
                    format!("hidden_act {act:?} is not supported (gelu only)"),
                ));
            }
        }
        let st_path = dir.join("model.safetensors");
        let bytes = std::fs::read(&st_path).map_err(|source| EmbedError::Io {
            path: st_path.clone(),
            source,
        })?;
        let tensors: HashMap<String, Tensor> =
            candle_core::safetensors::load_buffer(&bytes, &cpu())
                .map_err(|e| invalid(&st_path, format!("cannot read safetensors: {e}")))?;
        drop(bytes);
        let prefix = if tensors.contains_key("embeddings.word_embeddings.weight") {
            ""
        } else {
            "bert."
        };
        let get = |name: &str, shape: &[usize]| -> Result<Tensor, EmbedError> {
            let t = tensors
                .get(&format!("{prefix}{name}"))
                .ok_or_else(|| invalid(&st_path, format!("tensor {prefix}{name} is missing")))?;
            if t.dims() != shape {
                return Err(invalid(
                    &st_path,
                    format!("tensor {name} has shape {:?}, expected {shape:?}", t.dims()),
                ));
            }
            Ok(t.to_dtype(DType::F32)?)
        };
        let (h, ffn) = (config.hidden, config.ffn);
        let linear = |name: &str, out: usize, inp: usize| -> Result<Linear, EmbedError> {
            Ok(Linear::F32 {
                wt: get(&format!("{name}.weight"), &[out, inp])?
                    .t()?
                    .contiguous()?,
                b: get(&format!("{name}.bias"), &[out])?,
            })
        };
        let ln = |name: &str| -> Result<LayerNorm, EmbedError> {
            Ok(LayerNorm {
                w: get(&format!("{name}.weight"), &[h])?,
                b: get(&format!("{name}.bias"), &[h])?,
            })
        };
        let mut layers = Vec::with_capacity(config.layers);
        for l in 0..config.layers {
            let p = format!("encoder.layer.{l}");
            layers.push(Layer {
                q: linear(&format!("{p}.attention.self.query"), h, h)?,
                k: linear(&format!("{p}.attention.self.key"), h, h)?,
                v: linear(&format!("{p}.attention.self.value"), h, h)?,
                ao: linear(&format!("{p}.attention.output.dense"), h, h)?,
                aln: ln(&format!("{p}.attention.output.LayerNorm"))?,
                fi: linear(&format!("{p}.intermediate.dense"), ffn, h)?,
                fo: linear(&format!("{p}.output.dense"), h, ffn)?,
                oln: ln(&format!("{p}.output.LayerNorm"))?,
            });
        }
        let types = tensors
            .get(&format!("{prefix}embeddings.token_type_embeddings.weight"))
            .ok_or_else(|| invalid(&st_path, "token type embeddings are missing".into()))?;
        config.type_vocab = types.dims().first().copied().unwrap_or(0);
        let eln = ln("embeddings.LayerNorm")?;
        let emb = Embeddings {
            word: WordTable::F32(to_vec(&get(
                "embeddings.word_embeddings.weight",
                &[config.vocab, h],
            )?)?),
            pos: to_vec(&get(
                "embeddings.position_embeddings.weight",
                &[config.max_positions, h],
            )?)?,
            type0: to_vec(&types.to_dtype(DType::F32)?.get(0)?)?,
            ln_w: to_vec(&eln.w)?,
            ln_b: to_vec(&eln.b)?,
        };
        if emb.type0.len() != h {
            return Err(invalid(
                &st_path,
                "token type embeddings do not match hidden_size".into(),
            ));
        }
        Ok(Self {
            emb,
            layers,
            plain: None,
            plain_up_to: 0,
            pad_id: v.get("pad_token_id").and_then(|x| x.as_u64()).unwrap_or(1) as u32,
            config,
        })
    }

    /// Run a batch of id sequences (each including `<s>` and `</s>`, all non-empty,
    /// ids below the vocabulary size, lengths at most `max_positions`) and return each
    /// sequence's attention-masked mean of the last hidden states.
    pub fn forward_mean(&self, seqs: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let c = &self.config;
        let l = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        if seqs.is_empty() || l == 0 {
            return Ok(Vec::new());
        }
        if l > c.max_positions {
            candle_core::bail!(
                "sequence of {l} tokens exceeds {} positions",
                c.max_positions
            );
        }
        for s in seqs {
            if let Some(&bad) = s.iter().find(|&&id| id as usize >= c.vocab) {
                candle_core::bail!("token id {bad} is outside the vocabulary of {}", c.vocab);
            }
        }
        let tokens: usize = seqs.iter().map(Vec::len).sum();
        match &self.plain {
            Some(plain) if tokens <= self.plain_up_to || self.layers.is_empty() => {
                Ok(self.forward_plain(plain, seqs))
            }
            _ => self.forward_candle(seqs, l),
        }
    }

    /// The plain path: sequences concatenated without padding.
    fn forward_plain(&self, plain: &PlainLayers, seqs: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let h = self.config.hidden;
        let ids: Vec<u32> = seqs.iter().flatten().copied().collect();
        let positions: Vec<usize> = seqs.iter().flat_map(|s| 0..s.len()).collect();
        let lens: Vec<usize> = seqs.iter().map(Vec::len).collect();
        let mut x = self.emb.embed(&ids, &positions, self.config.eps);
        plain.forward(&mut x, &lens);
        let mut start = 0;
        lens.iter()
            .map(|&len| {
                let rows = &x[start * h..(start + len) * h];
                start += len;
                let mut mean = vec![0f32; h];
                for r in rows.chunks_exact(h) {
                    for (m, v) in mean.iter_mut().zip(r) {
                        *m += v;
                    }
                }
                let inv = 1.0 / len as f32;
                mean.iter_mut().for_each(|m| *m *= inv);
                mean
            })
            .collect()
    }

    /// The candle path: a padded `[batch, len]` graph with an attention mask.
    fn forward_candle(&self, seqs: &[Vec<u32>], l: usize) -> candle_core::Result<Vec<Vec<f32>>> {
        let c = &self.config;
        let (h, nh) = (c.hidden, c.heads);
        let hd = h / nh;
        let b = seqs.len();
        let mut flat = Vec::with_capacity(b * l);
        let mut mask = Vec::with_capacity(b * l);
        for s in seqs {
            flat.extend_from_slice(s);
            flat.extend(std::iter::repeat_n(self.pad_id, l - s.len()));
            mask.extend(std::iter::repeat_n(0f32, s.len()));
            mask.extend(std::iter::repeat_n(-1e9f32, l - s.len()));
        }
        let padded = seqs.iter().any(|s| s.len() != l);
        let mask = if padded {
            Some(Tensor::from_vec(mask, (b, 1, 1, l), &cpu())?)
        } else {
            None
        };
        let positions: Vec<usize> = (0..b).flat_map(|_| 0..l).collect();
        let eps = c.eps;
        let mut x = Tensor::from_vec(self.emb.embed(&flat, &positions, eps), (b * l, h), &cpu())?;
        let scale = 1.0 / (hd as f64).sqrt();
        let heads = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((b, l, nh, hd))?.transpose(1, 2)?.contiguous()
        };
        for layer in &self.layers {
            let q = heads((layer.q.forward(&x)? * scale)?)?;
            let k = heads(layer.k.forward(&x)?)?;
            let v = heads(layer.v.forward(&x)?)?;
            let mut scores = q.matmul(&k.t()?)?;
            if let Some(m) = &mask {
                scores = scores.broadcast_add(m)?;
            }
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b * l, h))?;
            let ao = layer.ao.forward(&ctx)?;
            x = candle_nn::ops::layer_norm(&(x + ao)?, &layer.aln.w, &layer.aln.b, eps)?;
            let mid = layer.fi.forward(&x)?.gelu_erf()?;
            let fo = layer.fo.forward(&mid)?;
            x = candle_nn::ops::layer_norm(&(x + fo)?, &layer.oln.w, &layer.oln.b, eps)?;
        }
        let x = x.reshape((b, l, h))?;
        let rows = x.to_vec3::<f32>()?;
        Ok(rows
            .iter()
            .zip(seqs)
            .map(|(r, s)| super::pool::mean_rows(&r[..s.len()]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::packed::tests::tiny_file;

    fn tiny(mode: LinearMode) -> Bert {
        let f = PackedFile::parse(Path::new("tiny.bin"), tiny_file()).unwrap();
        Bert::from_packed(&f, mode).unwrap()
    }

    #[test]
    fn padding_does_not_change_a_sequence_result() {
        let m = tiny(LinearMode::F32);
        let alone = m.forward_mean(&[vec![0, 4, 2]]).unwrap();
        let batch = m
            .forward_mean(&[vec![0, 4, 2], vec![0, 3, 4, 3, 4, 2]])
            .unwrap();
        for (a, b) in alone[0].iter().zip(&batch[0]) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        assert_eq!(batch.len(), 2);
        assert_eq!(batch[1].len(), 32);
    }

    #[test]
    fn quantized_and_f32_paths_agree_on_the_tiny_model() {
        let a = tiny(LinearMode::F32)
            .forward_mean(&[vec![0, 3, 4, 2]])
            .unwrap();
        let b = tiny(LinearMode::CandleQ4)
            .forward_mean(&[vec![0, 3, 4, 2]])
            .unwrap();
        let cos = crate::embed::pool::cosine(&a[0], &b[0]);
        assert!(cos > 0.98, "cosine {cos}");
    }

    #[test]
    fn own_kernel_and_hybrid_agree_with_f32() {
        let seqs = [vec![0, 3, 4, 2], vec![0, 4, 2]];
        let a = tiny(LinearMode::F32).forward_mean(&seqs).unwrap();
        for mode in [LinearMode::Q4Q8, LinearMode::Hybrid] {
            let b = tiny(mode).forward_mean(&seqs).unwrap();
            for (x, y) in a.iter().zip(&b) {
                let cos = crate::embed::pool::cosine(x, y);
                assert!(cos > 0.98, "{mode:?}: cosine {cos}");
            }
        }
    }

    #[test]
    fn plain_path_runs_unpadded_batches_like_single_sequences() {
        let m = tiny(LinearMode::Q4Q8);
        let seqs = [
            vec![0, 3, 4, 2],
            vec![0, 4, 2],
            vec![0, 3, 3, 4, 4, 3, 4, 2],
        ];
        let batch = m.forward_mean(&seqs).unwrap();
        for (s, b) in seqs.iter().zip(&batch) {
            let alone = m.forward_mean(std::slice::from_ref(s)).unwrap();
            // Same rows, same math: only the thread split could change rounding.
            for (x, y) in alone[0].iter().zip(b) {
                assert!((x - y).abs() < 1e-5, "{x} vs {y}");
            }
        }
    }

    #[test]
    fn hybrid_switches_to_candle_above_the_small_size() {
        // 7 sequences of 8 tokens = 56 > SMALL_ROWS: the f32 candle path, so the
        // result equals the pure F32 mode; a single short sequence takes the plain path.
        let big: Vec<Vec<u32>> = (0..7)
            .map(|i| vec![0, 3 + i % 2, 4, 3, 4, 3, 4, 2])
            .collect();
        let a = tiny(LinearMode::F32).forward_mean(&big).unwrap();
        let b = tiny(LinearMode::Hybrid).forward_mean(&big).unwrap();
        for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
            assert!((x - y).abs() < 1e-6, "{x} vs {y}");
        }
        let small = [vec![0, 3, 4, 2]];
        let h = tiny(LinearMode::Hybrid).forward_mean(&small).unwrap();
        let q = tiny(LinearMode::Q4Q8).forward_mean(&small).unwrap();
        assert_eq!(h, q);
    }

    #[test]
    fn bad_ids_and_lengths_are_errors() {
        for mode in [LinearMode::F32, LinearMode::Q4Q8] {
            let m = tiny(mode);
            assert!(m.forward_mean(&[vec![0, 99, 2]]).is_err());
            assert!(m.forward_mean(&[vec![0; 9]]).is_err());
            assert!(m.forward_mean(&[]).unwrap().is_empty());
        }
    }
}
