//! The E5 (BERT-style) transformer forward pass on candle, built from either source.
//!
//! Owns the weights in memory and the math from token ids to mean-pooled (not yet
//! normalized) hidden states. It does not tokenize, window or batch texts (see
//! `encoder`), and it does not read file formats itself beyond mapping names
//! (`packed` parses the packed container; safetensors is read through candle).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{DType, Device, Module, Tensor};

use super::packed::{dequantize_q4, PackedFile, Q4_BLOCK, Q4_BLOCK_BYTES};
use super::q4q8::Q4Linear;
use super::EmbedError;

/// How the linear layers of the packed model are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinearMode {
    /// Dequantize the 4-bit weights to f32 once at load; f32 matmuls (fastest for
    /// batches on the measured machine; about 85 MB more memory than 4-bit).
    F32,
    /// Keep the 4-bit weights and use candle's Q4_0 x Q8 quantized matmul.
    CandleQ4,
    /// Keep the 4-bit weights and use our own Q4_0 x Q8 kernel (AVX2 when available).
    Q4Q8,
    /// Both: our Q4 x Q8 kernel for small inputs (up to [`SMALL_ROWS`] tokens, as in a
    /// single query), f32 matmuls for larger batches. The default: batch throughput of
    /// `F32` with about 25% lower single-query latency, for about 25 MB more memory.
    #[default]
    Hybrid,
}

/// Token count up to which [`LinearMode::Hybrid`] uses the quantized kernel.
pub const SMALL_ROWS: usize = 48;

/// Model sizes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BertConfig {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub eps: f64,
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
    Own(Q4Linear),
    Hybrid {
        wt: Tensor,
        b: Tensor,
        q: Q4Linear,
    },
}

fn own_forward(q: &Q4Linear, x: &Tensor) -> candle_core::Result<Tensor> {
    let rows = x.dim(0)?;
    let y = q.forward(&x.flatten_all()?.to_vec1::<f32>()?);
    Tensor::from_vec(y, (rows, q.out), x.device())
}

impl Linear {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Linear::F32 { wt, b } => x.matmul(wt)?.broadcast_add(b),
            Linear::Q4 { w, b } => w.forward(x)?.broadcast_add(b),
            Linear::Own(q) => own_forward(q, x),
            Linear::Hybrid { wt, b, q } => {
                if x.dim(0)? <= SMALL_ROWS {
                    own_forward(q, x)
                } else {
                    x.matmul(wt)?.broadcast_add(b)
                }
            }
        }
    }
}

enum WordTable {
    /// Q4_0 rows of `hidden` weights each; dequantized on lookup.
    Q4 {
        blocks: Vec<u8>,
        hidden: usize,
    },
    F32(Tensor),
}

struct LayerNorm {
    w: Tensor,
    b: Tensor,
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
    pub config: BertConfig,
    word: WordTable,
    pos: Tensor,
    type0: Tensor,
    eln: LayerNorm,
    layers: Vec<Layer>,
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
        let linear = |name: &str, out: usize, inp: usize| -> Result<Linear, EmbedError> {
            let blocks = f.q4(&format!("{name}.w"), out * inp)?;
            let b = vec_t(&format!("{name}.b"), out)?;
            // candle reads the bytes as 2-byte aligned blocks; the file's may not be.
            let qtensor = || -> Result<QTensor, EmbedError> {
                let mut buf = Vec::with_capacity(blocks.len() + 1);
                let skip = usize::from(buf.as_ptr() as usize % 2 == 1);
                buf.resize(skip, 0);
                buf.extend_from_slice(blocks);
                let storage = QStorage::from_data(buf[skip..].into(), &dev, GgmlDType::Q4_0)?;
                Ok(QTensor::new(storage, (out, inp))?)
            };
            // Dequantized by candle (same block layout as `packed::dequantize_q4`, which
            // the Hugging Face directory test cross-checks).
            let f32_t = || -> Result<Tensor, EmbedError> {
                Ok(qtensor()?.dequantize(&dev)?.t()?.contiguous()?)
            };
            let own = || -> Result<Q4Linear, EmbedError> {
                Ok(Q4Linear::new(blocks, out, inp, b.to_vec1::<f32>()?))
            };
            Ok(match mode {
                LinearMode::F32 => Linear::F32 { wt: f32_t()?, b },
                LinearMode::Q4Q8 => Linear::Own(own()?),
                LinearMode::Hybrid => Linear::Hybrid {
                    wt: f32_t()?,
                    q: own()?,
                    b,
                },
                LinearMode::CandleQ4 => Linear::Q4 {
                    w: QMatMul::from_arc(Arc::new(qtensor()?))?,
                    b,
                },
            })
        };
        let ln = |name: &str| -> Result<LayerNorm, EmbedError> {
            Ok(LayerNorm {
                w: vec_t(&format!("{name}.w"), h)?,
                b: vec_t(&format!("{name}.b"), h)?,
            })
        };
        let word = WordTable::Q4 {
            blocks: f.q4("emb.word", c.vocab * h)?.to_vec(),
            hidden: h,
        };
        let pos = Tensor::from_vec(
            f.f32s("emb.pos", c.max_positions * h)?,
            (c.max_positions, h),
            &dev,
        )?;
        if c.type_vocab == 0 {
            return Err(EmbedError::InvalidWeights {
                path: f.path().to_path_buf(),
                detail: "type vocabulary is empty".into(),
            });
        }
        let types = f.f32s("emb.type", c.type_vocab * h)?;
        let type0 = Tensor::from_vec(types[..h].to_vec(), h, &dev)?;
        let mut layers = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let p = format!("l{l}");
            layers.push(Layer {
                q: linear(&format!("{p}.q"), h, h)?,
                k: linear(&format!("{p}.k"), h, h)?,
                v: linear(&format!("{p}.v"), h, h)?,
                ao: linear(&format!("{p}.ao"), h, h)?,
                aln: ln(&format!("{p}.aln"))?,
                fi: linear(&format!("{p}.fi"), c.ffn, h)?,
                fo: linear(&format!("{p}.fo"), h, c.ffn)?,
                oln: ln(&format!("{p}.oln"))?,
            });
        }
        Ok(Self {
            config: BertConfig {
                hidden: h,
                layers: c.layers,
                heads: c.heads,
                ffn: c.ffn,
                vocab: c.vocab,
                max_positions: c.max_positions,
                eps: c.eps as f64,
            },
            word,
            pos,
            type0,
            eln: ln("emb.ln")?,
            layers,
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
        let config = BertConfig {
            hidden: num("hidden_size")?,
            layers: num("num_hidden_layers")?,
            heads: num("num_attention_heads")?,
            ffn: num("intermediate_size")?,
            vocab: num("vocab_size")?,
            max_positions: num("max_position_embeddings")?,
            eps: v
                .get("layer_norm_eps")
                .and_then(|x| x.as_f64())
                .unwrap_or(1e-12),
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
        Ok(Self {
            word: WordTable::F32(get(
                "embeddings.word_embeddings.weight",
                &[config.vocab, h],
            )?),
            pos: get(
                "embeddings.position_embeddings.weight",
                &[config.max_positions, h],
            )?,
            type0: types.to_dtype(DType::F32)?.get(0)?,
            eln: ln("embeddings.LayerNorm")?,
            layers,
            pad_id: v.get("pad_token_id").and_then(|x| x.as_u64()).unwrap_or(1) as u32,
            config,
        })
    }

    fn embed_ids(&self, ids: &[u32]) -> candle_core::Result<Tensor> {
        match &self.word {
            WordTable::Q4 { blocks, hidden } => {
                let row_bytes = hidden / Q4_BLOCK * Q4_BLOCK_BYTES;
                let mut out = vec![0f32; ids.len() * hidden];
                for (&id, o) in ids.iter().zip(out.chunks_exact_mut(*hidden)) {
                    let start = id as usize * row_bytes;
                    dequantize_q4(&blocks[start..start + row_bytes], o);
                }
                Tensor::from_vec(out, (ids.len(), *hidden), &cpu())
            }
            WordTable::F32(t) => {
                let idx = Tensor::from_slice(ids, ids.len(), &cpu())?;
                t.index_select(&idx, 0)
            }
        }
    }

    /// Run a batch of id sequences (each including `<s>` and `</s>`, all non-empty,
    /// ids below the vocabulary size, lengths at most `max_positions`) and return each
    /// sequence's attention-masked mean of the last hidden states.
    pub fn forward_mean(&self, seqs: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let c = &self.config;
        let (h, nh) = (c.hidden, c.heads);
        let hd = h / nh;
        let b = seqs.len();
        let l = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        if b == 0 || l == 0 {
            return Ok(Vec::new());
        }
        if l > c.max_positions {
            candle_core::bail!(
                "sequence of {l} tokens exceeds {} positions",
                c.max_positions
            );
        }
        let mut flat = Vec::with_capacity(b * l);
        let mut mask = Vec::with_capacity(b * l);
        for s in seqs {
            if let Some(&bad) = s.iter().find(|&&id| id as usize >= c.vocab) {
                candle_core::bail!("token id {bad} is outside the vocabulary of {}", c.vocab);
            }
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

        let x = self.embed_ids(&flat)?.reshape((b, l, h))?;
        let x = x
            .broadcast_add(&self.pos.narrow(0, 0, l)?)?
            .broadcast_add(&self.type0)?;
        let eps = c.eps as f32;
        let mut x =
            candle_nn::ops::layer_norm(&x, &self.eln.w, &self.eln.b, eps)?.reshape((b * l, h))?;
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
    fn bad_ids_and_lengths_are_errors() {
        let m = tiny(LinearMode::F32);
        assert!(m.forward_mean(&[vec![0, 99, 2]]).is_err());
        assert!(m.forward_mean(&[vec![0; 9]]).is_err());
        assert!(m.forward_mean(&[]).unwrap().is_empty());
    }
}
