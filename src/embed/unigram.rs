//! The E5 tokenizer (a SentencePiece Unigram model) in a form that loads in milliseconds.
//!
//! Owns reading the one tokenizer shape multilingual-e5 uses out of a Hugging Face
//! `tokenizer.json` (Unigram model, precompiled-charsmap normalizer with runs of spaces
//! collapsed, Metaspace pre-tokenizer that prepends `▁`, non-normalized special tokens),
//! a compact cache of it written beside the source, and turning text into the same ids
//! as the `tokenizers` crate. It does not do offsets, decoding, padding or templates,
//! and it refuses any other tokenizer shape ([`Opened::Unsupported`]), which callers
//! then load through `tokenizers` itself.
//!
//! Why: `tokenizers` builds its Unigram trie with a hash map per node; for E5's
//! 250,002 pieces that is ~1.3 s and ~280 MB in every process that embeds anything.
//! Here the pieces live in one sorted array (bytes + offsets + f64 scores) that is
//! memory-mapped from the cache, and prefix search narrows a range of that array byte
//! by byte.
//!
//! Equality with `tokenizers` (checked by the end-to-end tests on >100k words) rests on
//! doing the same steps in the same order: (1) split out special tokens on the raw text,
//! leftmost-longest; (2) normalize each other part with the same `spm_precompiled`
//! charsmap code (grapheme-wise, as SentencePiece does), then collapse runs of two or
//! more spaces; (3) replace spaces by `▁`, prepend `▁` unless the part starts with one,
//! cut before every `▁`; (4) Viterbi over each word with the same f64 scores, the same
//! tie-breaking (first candidate in increasing length wins), unknown characters at
//! `min_score - 10`, and runs of unknowns fused into one token.
//!
//! Cache layout (little-endian): magic `ENVKBUG1`, u32 version, u32 flags (bit 0: byte
//! fallback), blake3 of the source file (32), u64 source length, blake3 of the body
//! (32), then the body: u32 normalizer step count + one u8 per step (0 charsmap,
//! 1 collapse spaces), u32 charsmap length + bytes, u32 special count + (u32 id, u32
//! length, bytes) each, u32 piece count, u32 unk id, f64 min score, f64 scores[n],
//! u32 offsets[n+1], u32 ids sorted by piece bytes[m], piece bytes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::EmbedError;

const MAGIC: &[u8; 8] = b"ENVKBUG1";
const VERSION: u32 = 1;
/// Bytes before the body: magic, version, flags, source hash, source length, body hash.
const HEAD: usize = 8 + 4 + 4 + 32 + 8 + 32;
/// SentencePiece's penalty for an unknown character, below the lowest piece score.
const UNK_PENALTY: f64 = 10.0;
/// Metaspace's replacement for a space, also the word-start marker.
const SPACE_MARK: char = '\u{2581}';

/// One normalizer step, in the order `tokenizer.json` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// SentencePiece's precompiled charsmap (NFKC-like rewrites, grapheme-wise).
    Charsmap,
    /// `Replace` of the regex ` {2,}` by one space.
    CollapseSpaces,
}

/// The cache file's bytes: memory-mapped when read from disk, owned when just built.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// Where each section of the cache body starts (byte offsets into the file).
#[derive(Debug, Clone, Copy)]
struct Sections {
    n: usize,
    scores: usize,
    offs: usize,
    sorted: usize,
    sorted_len: usize,
    blob: usize,
}

/// The E5 Unigram tokenizer; see the module documentation.
pub struct UnigramTokenizer {
    bytes: Bytes,
    s: Sections,
    steps: Vec<Step>,
    charsmap: Option<spm_precompiled::Precompiled>,
    /// Special tokens `(content, id)`, longest first for leftmost-longest matching.
    specials: Vec<(String, u32)>,
    unk_id: u32,
    min_score: f64,
    byte_fallback: bool,
    source_hash: [u8; 32],
}

/// What [`UnigramTokenizer::open`] found.
pub enum Opened {
    /// The fast tokenizer, and whether its cache was (re)built on this call.
    Fast(Box<UnigramTokenizer>, CacheState),
    /// `tokenizer.json` is not the shape this module handles; the reason says why.
    Unsupported(String),
}

/// How the cache behind an opened tokenizer was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheState {
    /// An existing cache whose source checksum matched was memory-mapped.
    Reused,
    /// The cache was missing, stale or damaged and was rebuilt and written.
    Rebuilt,
    /// The cache could not be written (read-only directory, ...); built in memory.
    InMemory,
}

// ---- tokenizer.json, only the parts that decide the ids ----

#[derive(Deserialize)]
struct JsonFile {
    #[serde(default)]
    added_tokens: Vec<JsonAdded>,
    #[serde(default)]
    normalizer: Option<serde_json::Value>,
    #[serde(default)]
    pre_tokenizer: Option<serde_json::Value>,
    model: JsonModel,
}

#[derive(Deserialize)]
struct JsonAdded {
    id: u32,
    content: String,
    #[serde(default)]
    single_word: bool,
    #[serde(default)]
    lstrip: bool,
    #[serde(default)]
    rstrip: bool,
    #[serde(default = "yes")]
    normalized: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct JsonModel {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    unk_id: Option<usize>,
    #[serde(default)]
    byte_fallback: bool,
    vocab: Vec<(String, f64)>,
}

/// The normalizer steps, or why they are not ones this module reproduces.
fn normalizer_steps(v: Option<&serde_json::Value>) -> Result<(Vec<Step>, Option<Vec<u8>>), String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok((Vec::new(), None));
    };
    let list: Vec<&serde_json::Value> = if v["type"] == "Sequence" {
        v["normalizers"]
            .as_array()
            .ok_or("a Sequence normalizer without a list")?
            .iter()
            .collect()
    } else {
        vec![v]
    };
    let mut steps = Vec::new();
    let mut charsmap = None;
    for n in list {
        match n["type"].as_str() {
            Some("Precompiled") if charsmap.is_none() => {
                use base64::Engine as _;
                let b64 = n["precompiled_charsmap"]
                    .as_str()
                    .ok_or("a Precompiled normalizer without a charsmap")?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| format!("the precompiled charsmap is not base64: {e}"))?;
                charsmap = Some(bytes);
                steps.push(Step::Charsmap);
            }
            Some("Replace") if n["pattern"]["Regex"] == " {2,}" && n["content"] == " " => {
                steps.push(Step::CollapseSpaces)
            }
            _ => {
                return Err(format!(
                    "normalizer {n} is not one this tokenizer reproduces"
                ))
            }
        }
    }
    Ok((steps, charsmap))
}

/// Whether the pre-tokenizer is Metaspace with `▁`, always prepended, split on `▁`.
fn check_pre_tokenizer(v: Option<&serde_json::Value>) -> Result<(), String> {
    let v = v.ok_or("no pre-tokenizer")?;
    let ok = v["type"] == "Metaspace"
        && v["replacement"] == "\u{2581}"
        && (v.get("split").is_none_or(|s| s == true))
        && match v.get("prepend_scheme").and_then(|p| p.as_str()) {
            Some(p) => p == "always" && v.get("add_prefix_space").is_none_or(|a| a == true),
            None => v["add_prefix_space"] == true,
        };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "pre-tokenizer {v} is not Metaspace('▁', always prepend, split)"
        ))
    }
}

// ---- building the cache ----

/// The cache image for a parsed `tokenizer.json`, or why it is not supported.
fn build_image(json: &[u8], source_hash: [u8; 32]) -> Result<Vec<u8>, String> {
    let f: JsonFile = serde_json::from_slice(json).map_err(|e| format!("{e}"))?;
    if f.model.kind != "Unigram" {
        return Err(format!("model type {} is not Unigram", f.model.kind));
    }
    let n = f.model.vocab.len();
    let unk_id = f.model.unk_id.ok_or("the Unigram model has no unk_id")?;
    if n == 0 || unk_id >= n || n > u32::MAX as usize / 2 {
        return Err("the Unigram vocabulary is empty or its unk_id is out of range".into());
    }
    let (steps, charsmap) = normalizer_steps(f.normalizer.as_ref())?;
    if let Some(c) = &charsmap {
        spm_precompiled::Precompiled::from(c).map_err(|e| format!("charsmap: {e}"))?;
    }
    check_pre_tokenizer(f.pre_tokenizer.as_ref())?;
    for a in &f.added_tokens {
        if a.normalized || a.lstrip || a.rstrip || a.single_word || a.content.is_empty() {
            return Err(format!(
                "added token {:?} is normalized, strips spaces or is single-word",
                a.content
            ));
        }
    }

    let mut body = Vec::new();
    put_u32(&mut body, steps.len() as u32);
    for s in &steps {
        body.push(match s {
            Step::Charsmap => 0,
            Step::CollapseSpaces => 1,
        });
    }
    let charsmap = charsmap.unwrap_or_default();
    put_u32(&mut body, charsmap.len() as u32);
    body.extend_from_slice(&charsmap);
    put_u32(&mut body, f.added_tokens.len() as u32);
    for a in &f.added_tokens {
        put_u32(&mut body, a.id);
        put_u32(&mut body, a.content.len() as u32);
        body.extend_from_slice(a.content.as_bytes());
    }
    put_u32(&mut body, n as u32);
    put_u32(&mut body, unk_id as u32);
    // Over every piece, as `tokenizers` does (the special pieces' 0.0 included).
    let min_score = f
        .model
        .vocab
        .iter()
        .map(|(_, s)| *s)
        .fold(f64::INFINITY, f64::min);
    body.extend_from_slice(&min_score.to_le_bytes());
    for (_, s) in &f.model.vocab {
        body.extend_from_slice(&s.to_le_bytes());
    }
    let mut off = 0u32;
    put_u32(&mut body, 0);
    for (p, _) in &f.model.vocab {
        off = off
            .checked_add(p.len() as u32)
            .ok_or("the vocabulary is too large")?;
        put_u32(&mut body, off);
    }
    // Ids in byte order of their pieces; for a piece listed twice the later id wins,
    // as in `tokenizers`' piece-to-id map.
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&f.model.vocab[a as usize].0, &f.model.vocab[b as usize].0);
        pa.as_bytes().cmp(pb.as_bytes()).then(b.cmp(&a))
    });
    order.dedup_by(|later, earlier| {
        f.model.vocab[*later as usize].0 == f.model.vocab[*earlier as usize].0
    });
    put_u32(&mut body, order.len() as u32);
    for id in &order {
        put_u32(&mut body, *id);
    }
    for (p, _) in &f.model.vocab {
        body.extend_from_slice(p.as_bytes());
    }

    let mut out = Vec::with_capacity(HEAD + body.len());
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, VERSION);
    put_u32(&mut out, u32::from(f.model.byte_fallback));
    out.extend_from_slice(&source_hash);
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(blake3::hash(&body).as_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Reads the cache with bounds checks; every failure is "damaged", never a panic.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| format!("ends at {} while reading {n} bytes", self.b.len()))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f64(&mut self) -> Result<f64, String> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(f64::from_le_bytes(a))
    }
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl UnigramTokenizer {
    /// The cache file used for `json`: `<name>.unigram.bin` beside it.
    pub fn cache_path(json: &Path) -> PathBuf {
        let stem = json
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tokenizer".into());
        json.with_file_name(format!("{stem}.unigram.bin"))
    }

    /// Open the tokenizer for `json` through its cache: memory-map the cache when its
    /// recorded source checksum matches `json`, else build it from `json` and write it
    /// (atomically, so concurrent processes never see half a file).
    pub fn open(json: &Path) -> Result<Opened, EmbedError> {
        let bad = |detail: String| EmbedError::BadTokenizer {
            path: json.to_path_buf(),
            detail,
        };
        let (hash, len) = hash_file(json).map_err(|e| bad(format!("cannot read: {e}")))?;
        let cache = Self::cache_path(json);
        if let Ok(file) = std::fs::File::open(&cache) {
            // SAFETY: the cache is only ever replaced by rename, never written in place,
            // so the mapped bytes do not change under us; every read is bounds-checked.
            if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
                if let Ok(t) = Self::from_bytes(Bytes::Mapped(map), Some((hash, len))) {
                    return Ok(Opened::Fast(Box::new(t), CacheState::Reused));
                }
            }
        }
        let json_bytes = std::fs::read(json).map_err(|e| bad(format!("cannot read: {e}")))?;
        let image = match build_image(&json_bytes, hash) {
            Ok(i) => i,
            Err(reason) => return Ok(Opened::Unsupported(reason)),
        };
        let state = match write_atomically(&cache, &image) {
            Ok(()) => CacheState::Rebuilt,
            Err(e) => {
                tracing::debug!(path = %cache.display(), "tokenizer cache not written: {e}");
                CacheState::InMemory
            }
        };
        let t = Self::from_bytes(Bytes::Owned(image), None)
            .map_err(|e| bad(format!("internal: fresh cache rejected: {e}")))?;
        Ok(Opened::Fast(Box::new(t), state))
    }

    /// Build from the text of a `tokenizer.json` without touching any file; `Err`
    /// carries the reason when the tokenizer is not the shape handled here.
    pub fn from_json(json: &[u8]) -> Result<Self, String> {
        let hash = *blake3::hash(json).as_bytes();
        let image = build_image(json, hash)?;
        Self::from_bytes(Bytes::Owned(image), None)
    }

    /// Validate a cache image; with `expect`, also that it was built from a source
    /// with that checksum and length.
    fn from_bytes(bytes: Bytes, expect: Option<([u8; 32], u64)>) -> Result<Self, String> {
        let mut r = Reader { b: &bytes, pos: 0 };
        if r.take(8)? != MAGIC || r.u32()? != VERSION {
            return Err("not a tokenizer cache of this version".into());
        }
        let flags = r.u32()?;
        let mut source_hash = [0u8; 32];
        source_hash.copy_from_slice(r.take(32)?);
        let mut l = [0u8; 8];
        l.copy_from_slice(r.take(8)?);
        let source_len = u64::from_le_bytes(l);
        if let Some((h, len)) = expect {
            if h != source_hash || len != source_len {
                return Err("built from another tokenizer.json".into());
            }
        }
        let body_hash = r.take(32)?.to_vec();
        if blake3::hash(&bytes[HEAD..]).as_bytes()[..] != body_hash[..] {
            return Err("checksum mismatch: the cache is damaged".into());
        }
        let nsteps = r.u32()? as usize;
        let steps = r
            .take(nsteps)?
            .iter()
            .map(|b| match b {
                0 => Ok(Step::Charsmap),
                1 => Ok(Step::CollapseSpaces),
                _ => Err(format!("unknown normalizer step {b}")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let clen = r.u32()? as usize;
        let cbytes = r.take(clen)?;
        let charsmap = if steps.contains(&Step::Charsmap) {
            Some(spm_precompiled::Precompiled::from(cbytes).map_err(|e| e.to_string())?)
        } else {
            None
        };
        let nspecial = r.u32()? as usize;
        let mut specials = Vec::new();
        for _ in 0..nspecial {
            let id = r.u32()?;
            let len = r.u32()? as usize;
            let s = std::str::from_utf8(r.take(len)?).map_err(|e| e.to_string())?;
            if s.is_empty() {
                return Err("empty special token".into());
            }
            specials.push((s.to_string(), id));
        }
        // Leftmost-longest: at one position the longest token wins.
        specials.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        let n = r.u32()? as usize;
        let unk_id = r.u32()?;
        let min_score = r.f64()?;
        let scores = r.pos;
        r.take(n.checked_mul(8).ok_or("too many pieces")?)?;
        let offs = r.pos;
        r.take((n + 1) * 4)?;
        let sorted_len = r.u32()? as usize;
        let sorted = r.pos;
        r.take(sorted_len.checked_mul(4).ok_or("too many pieces")?)?;
        let blob = r.pos;
        let blob_len = bytes.len() - blob;
        let s = Sections {
            n,
            scores,
            offs,
            sorted,
            sorted_len,
            blob,
        };
        // Bounds every later read relies on.
        if unk_id as usize >= n || sorted_len > n {
            return Err("unk id or sorted index out of range".into());
        }
        let mut prev = 0;
        for i in 0..=n {
            let o = le_u32(&bytes, offs + i * 4) as usize;
            if o < prev || o > blob_len || (i == 0 && o != 0) {
                return Err("piece offsets out of order".into());
            }
            prev = o;
        }
        for i in 0..sorted_len {
            if le_u32(&bytes, sorted + i * 4) as usize >= n {
                return Err("sorted index out of range".into());
            }
        }
        Ok(Self {
            bytes,
            s,
            steps,
            charsmap,
            specials,
            unk_id,
            min_score,
            byte_fallback: flags & 1 == 1,
            source_hash,
        })
    }

    /// Number of ids this tokenizer can produce (pieces plus special tokens beyond them).
    pub fn vocab_size(&self) -> usize {
        let top = self.specials.iter().map(|s| s.1 as usize + 1).max();
        top.unwrap_or(0).max(self.s.n)
    }

    /// blake3 of the `tokenizer.json` this was built from.
    pub fn source_hash(&self) -> [u8; 32] {
        self.source_hash
    }

    /// Whether the cache is memory-mapped (as opposed to built in this process).
    pub fn is_mapped(&self) -> bool {
        matches!(self.bytes, Bytes::Mapped(_))
    }

    /// The id of a token: special tokens first, then pieces (as `tokenizers` does).
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.specials
            .iter()
            .find(|s| s.0 == token)
            .map(|s| s.1)
            .or_else(|| self.piece_id(token.as_bytes()))
    }

    fn piece(&self, id: usize) -> &[u8] {
        let a = le_u32(&self.bytes, self.s.offs + id * 4) as usize;
        let b = le_u32(&self.bytes, self.s.offs + id * 4 + 4) as usize;
        &self.bytes[self.s.blob + a..self.s.blob + b]
    }

    fn score(&self, id: usize) -> f64 {
        let at = self.s.scores + id * 8;
        let mut a = [0u8; 8];
        a.copy_from_slice(&self.bytes[at..at + 8]);
        f64::from_le_bytes(a)
    }

    fn sorted_id(&self, i: usize) -> usize {
        le_u32(&self.bytes, self.s.sorted + i * 4) as usize
    }

    /// Exact look-up of a piece.
    fn piece_id(&self, key: &[u8]) -> Option<u32> {
        let (mut lo, mut hi) = (0, self.s.sorted_len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.piece(self.sorted_id(mid)).cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.sorted_id(mid) as u32),
            }
        }
        None
    }

    /// Call `f(length, id)` for every piece that is a prefix of `key`, shortest first.
    /// All pieces in `lo..hi` share the first `d` bytes of `key`; a piece of exactly
    /// `d` bytes sorts first, so one step narrows the range to byte `d` of `key`.
    fn prefixes(&self, key: &[u8], mut f: impl FnMut(usize, usize)) {
        let (mut lo, mut hi) = (0usize, self.s.sorted_len);
        for (d, &b) in key.iter().enumerate() {
            let at = |i: usize| self.piece(self.sorted_id(i)).get(d).copied();
            let base = lo;
            lo = base + partition(hi - base, |k| at(base + k) < Some(b));
            let first = lo;
            hi = first + partition(hi - first, |k| at(first + k) <= Some(b));
            if lo == hi {
                return;
            }
            let id = self.sorted_id(lo);
            if self.piece(id).len() == d + 1 {
                f(d + 1, id);
            }
        }
    }

    /// Token ids of `text`, without `<s>`/`</s>` (like `encode(text, false)`).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 3 + 4);
        self.encode_into(text, &mut out);
        out
    }

    /// [`UnigramTokenizer::encode`], appending to `out`.
    pub fn encode_into(&self, text: &str, out: &mut Vec<u32>) {
        let mut lattice = Vec::new();
        let mut start = 0;
        while start < text.len() {
            let (next, special) = self.next_special(text, start);
            if next > start {
                self.encode_part(&text[start..next], out, &mut lattice);
            }
            match special {
                Some((len, id)) => {
                    out.push(id);
                    start = next + len;
                }
                None => break,
            }
        }
    }

    /// The first special token at or after `from`: its start, length and id, or
    /// `(text.len(), None)`.
    fn next_special(&self, text: &str, from: usize) -> (usize, Option<(usize, u32)>) {
        if self.specials.is_empty() {
            return (text.len(), None);
        }
        let b = text.as_bytes();
        for i in from..b.len() {
            // Specials are sorted longest first: the first that matches is the longest.
            for (s, id) in &self.specials {
                if b[i..].starts_with(s.as_bytes()) {
                    return (i, Some((s.len(), *id)));
                }
            }
        }
        (text.len(), None)
    }

    /// Normalize, pre-tokenize and segment one part between special tokens.
    fn encode_part(&self, part: &str, out: &mut Vec<u32>, lattice: &mut Vec<Node>) {
        let mut s = std::borrow::Cow::Borrowed(part);
        for step in &self.steps {
            s = match step {
                Step::Charsmap => match &self.charsmap {
                    Some(c) => std::borrow::Cow::Owned(c.normalize_string(&s)),
                    None => s,
                },
                Step::CollapseSpaces => {
                    if s.contains("  ") {
                        std::borrow::Cow::Owned(collapse_spaces(&s))
                    } else {
                        s
                    }
                }
            };
        }
        if s.is_empty() {
            return;
        }
        let mut m = String::with_capacity(s.len() + 3);
        if !s.starts_with([' ', SPACE_MARK]) {
            m.push(SPACE_MARK);
        }
        for c in s.chars() {
            m.push(if c == ' ' { SPACE_MARK } else { c });
        }
        // Words start at every `▁` (the mark stays with the word after it).
        let mut word_start = 0;
        for (i, c) in m.char_indices() {
            if c == SPACE_MARK && i > word_start {
                self.viterbi(&m[word_start..i], out, lattice);
                word_start = i;
            }
        }
        self.viterbi(&m[word_start..], out, lattice);
    }

    /// Best segmentation of one word (SentencePiece's optimized Viterbi).
    fn viterbi(&self, word: &str, out: &mut Vec<u32>, best: &mut Vec<Node>) {
        let size = word.len();
        if size == 0 {
            return;
        }
        let unk_score = self.min_score - UNK_PENALTY;
        best.clear();
        best.resize(size + 1, Node::default());
        let bytes = word.as_bytes();
        let mut start = 0;
        while start < size {
            let here = best[start].score;
            let mblen = word[start..].chars().next().map_or(1, char::len_utf8);
            let mut single = false;
            self.prefixes(&bytes[start..], |len, id| {
                let cand = self.score(id) + here;
                let t = &mut best[start + len];
                if t.from.is_none() || cand > t.score {
                    *t = Node {
                        id: id as u32,
                        score: cand,
                        from: Some(start),
                    };
                }
                single |= len == mblen;
            });
            if !single {
                let cand = unk_score + here;
                let t = &mut best[start + mblen];
                if t.from.is_none() || cand > t.score {
                    *t = Node {
                        id: self.unk_id,
                        score: cand,
                        from: Some(start),
                    };
                }
            }
            start += mblen;
        }
        // Back from the end; runs of unknowns become one token.
        let first = out.len();
        let mut end = size;
        let mut unk_run: Option<(usize, usize)> = None;
        while end > 0 {
            let n = best[end];
            let from = n.from.unwrap_or(0);
            if n.id == self.unk_id {
                unk_run = Some((from, unk_run.map_or(end, |r| r.1)));
            } else {
                if let Some((a, b)) = unk_run.take() {
                    self.push_fused(&word[a..b], out);
                }
                out.push(n.id);
            }
            end = from;
        }
        if let Some((a, b)) = unk_run {
            self.push_fused(&word[a..b], out);
        }
        out[first..].reverse();
    }

    /// A fused run of unknowns: its piece if it happens to be one, else bytes (with
    /// byte fallback) or `<unk>`. Pushed reversed (the caller reverses the word).
    fn push_fused(&self, s: &str, out: &mut Vec<u32>) {
        if let Some(id) = self.piece_id(s.as_bytes()) {
            out.push(id);
            return;
        }
        if self.byte_fallback {
            let ids: Option<Vec<u32>> = s
                .bytes()
                .map(|b| self.piece_id(format!("<0x{b:02X}>").as_bytes()))
                .collect();
            if let Some(ids) = ids {
                out.extend(ids.iter().rev());
                return;
            }
        }
        out.push(self.unk_id);
    }
}

/// One lattice position: the best path ending here.
#[derive(Debug, Clone, Copy, Default)]
struct Node {
    id: u32,
    score: f64,
    from: Option<usize>,
}

/// Number of leading `k` in `0..n` for which `pred(k)` holds (`pred` is monotone).
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Runs of two or more ASCII spaces to one (the ` {2,}` Replace normalizer).
fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_space = false;
    for c in s.chars() {
        if c == ' ' && prev_space {
            continue;
        }
        prev_space = c == ' ';
        out.push(c);
    }
    out
}

/// blake3 and length of a file, read in chunks (nothing of it stays resident).
fn hash_file(path: &Path) -> std::io::Result<([u8; 32], u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        len += n as u64;
    }
    Ok((*h.finalize().as_bytes(), len))
}

/// Write to a temporary file in the same directory, then rename over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small Unigram tokenizer in the E5 shape, minus the charsmap (written here).
    fn tiny_json(byte_fallback: bool) -> String {
        let mut vocab = vec![
            ("<s>", 0.0),
            ("<pad>", 0.0),
            ("</s>", 0.0),
            ("<unk>", 0.0),
            ("▁", -2.0),
            ("▁a", -3.0),
            ("▁ab", -4.0),
            ("b", -3.5),
            ("c", -3.0),
            ("bc", -6.5),
            ("▁آب", -2.5),
            ("آ", -5.0),
            ("ب", -5.0),
            ("xy", -1.0),
        ];
        let bytes: Vec<String> = (0..=255u32).map(|b| format!("<0x{b:02X}>")).collect();
        if byte_fallback {
            vocab.extend(bytes.iter().map(|b| (b.as_str(), -9.0)));
        }
        let vocab: Vec<serde_json::Value> = vocab
            .iter()
            .map(|(p, s)| serde_json::json!([p, s]))
            .collect();
        let special = |id: u32, s: &str| {
            serde_json::json!({"id": id, "content": s, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": false, "special": true})
        };
        serde_json::json!({
            "version": "1.0", "truncation": null, "padding": null,
            "added_tokens": [special(0, "<s>"), special(1, "<pad>"), special(2, "</s>"), special(3, "<unk>")],
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
            "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": true},
            "post_processor": null, "decoder": null,
            "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": byte_fallback}
        })
        .to_string()
    }

    #[test]
    fn ids_equal_tokenizers_on_a_small_vocabulary() {
        for fallback in [false, true] {
            let json = tiny_json(fallback);
            let fast = UnigramTokenizer::from_json(json.as_bytes()).unwrap();
            let reference = tokenizers::Tokenizer::from_bytes(json.as_bytes()).unwrap();
            for text in [
                "ab",
                "abc abc",
                "a  b   c",
                " a",
                "a ",
                "آب آبب",
                "zz qq",
                "a<s>b</s><unk>",
                "<s>",
                "xyz xy ▁a ▁▁b",
                "ⓐ😀 c",
                "",
            ] {
                let want = reference.encode(text, false).unwrap().get_ids().to_vec();
                assert_eq!(
                    fast.encode(text),
                    want,
                    "{text:?} (byte fallback {fallback})"
                );
            }
        }
    }

    #[test]
    fn other_shapes_are_refused_with_a_reason() {
        let json = tiny_json(false).replace("\"Metaspace\"", "\"Whitespace\"");
        let e = UnigramTokenizer::from_json(json.as_bytes()).err().unwrap();
        assert!(e.contains("pre-tokenizer"), "{e}");
        let json = tiny_json(false).replace("\" {2,}\"", "\"x\"");
        let e = UnigramTokenizer::from_json(json.as_bytes()).err().unwrap();
        assert!(e.contains("normalizer"), "{e}");
        let json = tiny_json(false).replace("\"Unigram\"", "\"BPE\"");
        assert!(UnigramTokenizer::from_json(json.as_bytes()).is_err());
        assert!(UnigramTokenizer::from_json(b"not json").is_err());
    }

    #[test]
    fn prefix_search_finds_every_piece_that_starts_a_key() {
        let json = tiny_json(false);
        let t = UnigramTokenizer::from_json(json.as_bytes()).unwrap();
        let mut found = Vec::new();
        t.prefixes("▁abc".as_bytes(), |len, id| found.push((len, id)));
        assert_eq!(found, vec![(3, 4), (4, 5), (5, 6)]);
        assert_eq!(t.piece_id("bc".as_bytes()), Some(9));
        assert_eq!(t.piece_id("bcd".as_bytes()), None);
        assert_eq!(collapse_spaces("a  b   c d"), "a b c d");
    }
}
