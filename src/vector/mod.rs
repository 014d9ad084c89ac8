//! The vector store: one L2-normalized embedding per chunk, with the chunk's metadata,
//! kept in memory, saved to one file per index generation, searched by cosine; and
//! ([`sentences`]) the vectors of the chunks' evidence sentences, looked up by hash.
//!
//! Owns the vectors, their metadata (for filters and as an embedding cache keyed by the
//! blake3 hash of the embedded text), the on-disk vector file, and top-k search: exact
//! f32, int8 with f32 rescoring, and an approximate inverted-file index ([`ivf`]) for
//! large stores. Does not own the encoder (vectors come in ready-made), the manifest or
//! the tantivy commit (the caller writes the vector file right before it and records the
//! returned name in the manifest), nor fusion with BM25.
//!
//! # Search methods
//!
//! [`Method::Auto`] (the default) scans every row's int8 copy and rescores the best
//! `4k` in f32 below [`SearchOptions::ann_threshold`] rows, and uses the inverted file
//! (also int8, then rescored) at or above it. [`Method::Exact`] is the f32 reference.
//! Filters are evaluated once per distinct metadata combination, then per row by a
//! table lookup. A selective filter makes the inverted file fall back to the int8 scan
//! of the rows it accepts (cheaper, and nearly exact, when few rows pass).
//!
//! # File format (`vectors-{generation:08}.bin`, little-endian)
//!
//! ```text
//! offset  size  field
//!      0     8  magic  b"ENVKBVEC"
//!      8     4  format version (u32, currently 1)
//!     12     4  dim (u32)
//!     16     8  count: number of rows (u64)
//!     24     8  payload length in bytes (u64) = file length - 64
//!     32    32  blake3 of bytes 0..32 followed by the payload
//!     64        payload:
//!                 count * dim f32: the vectors, row-major
//!                 count records, in row order:
//!                   chunk_id  str     (str = u32 byte length + UTF-8 bytes)
//!                   doc_id    str
//!                   content_hash [u8; 32]
//!                   doc_type  str
//!                   lang      u8 (0 = fa, 1 = en)
//!                   year      u8 flag (0 none, 1 some) + u32
//!                   status    u8 flag (0 none, 1 some) + str
//! ```
//!
//! The file is written to `NAME.tmp`, fsynced, renamed, and the directory fsynced, like
//! the manifest: a crash leaves either no file or a whole one, and the checksum catches
//! later damage. The int8 codes and the inverted file are rebuilt on load, not stored.
//!
//! # Residency
//!
//! [`VectorStore::read`] loads the f32 rows into memory (the indexer edits them);
//! [`VectorStore::open`] (the engine's, for searching) keeps only the int8 codes and the
//! metadata resident and reads the f32 rows of the rescored candidates from the file
//! ([`rows`]), so a served 100k x 384 store holds ~38 MB of codes instead of ~192 MB of
//! codes and floats. Both give the same results.

mod file;
pub mod ivf;
mod kernels;
mod rows;
pub mod sentences;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

use thiserror::Error;

use crate::lexical::Filters;
use crate::text::Lang;

pub use file::{file_name, FORMAT_VERSION};
use ivf::Ivf;
use kernels::{dot_f32_kernel, dot_i8_kernel, quantize, TopK};
use rows::Rows;
pub use sentences::{sentence_key, SentenceKey, SentenceSet, SentenceStore};

/// Errors of the vector store.
#[derive(Debug, Error)]
pub enum VectorError {
    /// A vector's length does not match the store's dimension: it came from another model
    /// or a bug, and a dot product with it would be meaningless.
    #[error("vector has {found} dimensions, the store holds {expected}")]
    Dim {
        /// The store's dimension.
        expected: usize,
        /// The offered vector's length.
        found: usize,
    },
    /// A vector holds a NaN or infinity, which would poison every score; holds the chunk id.
    #[error("the vector of chunk {0:?} has a NaN or infinite value")]
    NonFinite(String),
    /// A vector is all zeros, so it cannot be normalised to unit length; holds the chunk id.
    #[error("the vector of chunk {0:?} is all zeros and has no direction")]
    Zero(String),
    /// The chunk id is already stored: one chunk must have one row, or it would be found twice.
    #[error("chunk {0:?} is already in the vector store")]
    Duplicate(String),
    /// The vector file's format version is not the one this build reads.
    #[error("the vector file {file} was written by an incompatible envkb (format {found}, expected {expected}); rebuild the index")]
    Format {
        /// The vector file, to name in the message.
        file: PathBuf,
        /// The format version the file declares.
        found: u32,
        /// The format version this build reads and writes.
        expected: u32,
    },
    /// The vector file fails a check (checksum, lengths, magic), so its rows cannot be trusted.
    #[error("the vector file {file} is damaged: {detail}; rebuild the index")]
    Corrupt {
        /// The vector file, to name in the message.
        file: PathBuf,
        /// Which check failed.
        detail: String,
    },
    /// Reading or writing a vector file failed.
    #[error("vector file I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The index was built without the model, so it has no vectors.
    #[error("the index has no vectors; index again with the model files present")]
    Missing,
    /// The vectors were made by other weights than the loaded model's.
    #[error("the index's vectors come from another model; index again to rebuild them")]
    OtherModel,
}

impl VectorError {
    /// An old-format or missing vector file is the operator's to fix (by rebuilding); wrong
    /// vectors are bugs in the caller, damage and I/O are ours, like the lexical index.
    pub fn kind(&self) -> crate::fault::ErrorKind {
        use crate::fault::ErrorKind;
        match self {
            VectorError::Format { .. } | VectorError::Missing | VectorError::OtherModel => {
                ErrorKind::Setup
            }
            VectorError::Dim { .. }
            | VectorError::NonFinite(_)
            | VectorError::Zero(_)
            | VectorError::Duplicate(_)
            | VectorError::Corrupt { .. }
            | VectorError::Io(_) => ErrorKind::Internal,
        }
    }

    /// Whether the user can fix this.
    pub fn is_user_fault(&self) -> bool {
        self.kind().fault() == crate::fault::Fault::User
    }
}

/// What the store knows about a chunk besides its vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkMeta {
    /// The chunk's id (`doc_id#n`): what a hit returns and what removal looks up.
    pub chunk_id: String,
    /// The document the chunk belongs to, so a re-index can drop a document's rows together.
    pub doc_id: String,
    /// blake3 of the exact text that was embedded: the embedding cache key.
    pub content_hash: [u8; 32],
    /// The document's type, for the `doc_type` search filter.
    pub doc_type: String,
    /// The chunk's language, for the language filter.
    pub lang: Lang,
    /// The document's year, if known, for the year-range filter.
    pub year: Option<u32>,
    /// The document's legal status, if known, for the status filter.
    pub status: Option<String>,
}

/// How top-k is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// [`Method::Int8`] below [`SearchOptions::ann_threshold`] rows, [`Method::Approx`]
    /// at or above it.
    Auto,
    /// f32 dot product with every accepted row.
    Exact,
    /// int8 dot product with every accepted row, then f32 rescoring of the best candidates.
    Int8,
    /// The inverted file: int8 scan of the rows of the lists nearest the query, then
    /// f32 rescoring; without an inverted file (small or changed store), [`Method::Int8`].
    Approx,
}

/// Search settings. The defaults come from `benches/vector.rs` at 100k x 384 on two
/// cores: a full int8 scan (p50 ~1.7 ms, recall@10 1.000) is exact enough and cheap
/// next to the 25 ms hybrid budget, and needs no 1.2 s inverted-file build on load;
/// it grows ~17 us per 1k rows, so the inverted file (16 lists: p50 ~0.8 ms, recall@10
/// 0.99) takes over at 200k rows, where the scan would pass ~3.5 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchOptions {
    /// How top-k is computed; [`Method::Auto`] picks by store size.
    pub method: Method,
    /// [`Method::Auto`] builds and uses the inverted file from this many rows on.
    pub ann_threshold: usize,
    /// Lists scanned per query by the inverted file (before filter widening).
    pub nprobe: usize,
    /// int8 candidates rescored in f32, as a multiple of k (both int8 scans).
    pub int8_candidates: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            method: Method::Auto,
            ann_threshold: 200_000,
            nprobe: 16,
            // 2k was already 1.000 at 100k; 4k costs nothing measurable.
            int8_candidates: 4,
        }
    }
}

/// Distinct metadata combinations, so a filter is evaluated once per combination.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Facet {
    doc_type: String,
    lang: Lang,
    status: Option<String>,
    year: Option<u32>,
}

/// In-memory vectors of one dimension with per-row metadata.
#[derive(Debug, Clone)]
pub struct VectorStore {
    dim: usize,
    /// Row-major, `dim` floats per row, each row of unit length: in memory, or left in
    /// the vector file by [`VectorStore::open`].
    rows: Rows,
    /// int8 copies of the rows and their scales (value per step).
    codes: Vec<i8>,
    scales: Vec<f32>,
    meta: Vec<ChunkMeta>,
    by_chunk: HashMap<String, u32>,
    by_hash: HashMap<[u8; 32], u32>,
    facet_of: Vec<u32>,
    facets: Vec<Facet>,
    facet_ids: HashMap<Facet, u32>,
    ann: Option<Ivf>,
    options: SearchOptions,
}

impl VectorStore {
    /// An empty store of `dim`-dimensional vectors with default search options.
    pub fn new(dim: usize) -> VectorStore {
        VectorStore {
            dim,
            rows: Rows::Owned(Vec::new()),
            codes: Vec::new(),
            scales: Vec::new(),
            meta: Vec::new(),
            by_chunk: HashMap::new(),
            by_hash: HashMap::new(),
            facet_of: Vec::new(),
            facets: Vec::new(),
            facet_ids: HashMap::new(),
            ann: None,
            options: SearchOptions::default(),
        }
    }

    /// The length of every vector in the store.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Rows (chunks) stored.
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// Whether the store holds no rows.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// The search settings in use, so a caller can change one and pass them back to
    /// [`set_options`](Self::set_options).
    pub fn options(&self) -> SearchOptions {
        self.options
    }

    /// Changes the search options; builds or drops the inverted file to match.
    pub fn set_options(&mut self, options: SearchOptions) {
        let rebuild = options.ann_threshold != self.options.ann_threshold;
        self.options = options;
        if rebuild {
            self.ann = None;
        }
        self.prepare();
    }

    /// Builds the inverted file if the store is large enough and it is missing. Called
    /// by [`VectorStore::read`]; call it after a batch of [`push`](Self::push)es or
    /// [`remove_doc`](Self::remove_doc)s (which drop it) to get approximate search back.
    /// A file-backed store reads its rows once for the build (a transient copy); if that
    /// read fails, search stays on the int8 scan, which finds the same neighbours.
    pub fn prepare(&mut self) {
        if self.ann.is_none() && self.len() >= self.options.ann_threshold.max(1) {
            match self.rows.all() {
                Ok(data) => {
                    self.ann = Some(Ivf::build(&data, self.dim, ivf::default_lists(self.len())));
                }
                Err(e) => tracing::warn!("inverted file not built, the vector rows cannot be read ({e}); scanning int8 codes instead"),
            }
        }
    }

    /// Whether the inverted file is built.
    pub fn has_ann(&self) -> bool {
        self.ann.is_some()
    }

    /// Adds a chunk's vector, normalized to unit length. Returns its row.
    pub fn push(&mut self, meta: ChunkMeta, vector: &[f32]) -> Result<usize, VectorError> {
        if vector.len() != self.dim {
            return Err(VectorError::Dim {
                expected: self.dim,
                found: vector.len(),
            });
        }
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(VectorError::NonFinite(meta.chunk_id));
        }
        if self.by_chunk.contains_key(&meta.chunk_id) {
            return Err(VectorError::Duplicate(meta.chunk_id));
        }
        let norm = vector
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            .sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return Err(VectorError::Zero(meta.chunk_id));
        }
        let unit: Vec<f32> = vector
            .iter()
            .map(|&x| (f64::from(x) / norm) as f32)
            .collect();
        self.rows.owned_mut()?.extend_from_slice(&unit);
        self.ann = None;
        Ok(self.index_row(meta, &unit))
    }

    /// Records a row whose (unit) vector is `vector` and already stored: int8 code, maps,
    /// facets.
    fn index_row(&mut self, meta: ChunkMeta, vector: &[f32]) -> usize {
        let start = self.codes.len();
        self.codes.resize(start + self.dim, 0);
        let scale = quantize(vector, &mut self.codes[start..start + self.dim]);
        self.scales.push(scale);
        self.index_meta(meta)
    }

    /// Records the metadata of the row whose code and scale were just pushed.
    fn index_meta(&mut self, meta: ChunkMeta) -> usize {
        let row = self.meta.len();
        self.by_chunk.insert(meta.chunk_id.clone(), row as u32);
        self.by_hash.entry(meta.content_hash).or_insert(row as u32);
        let facet = Facet {
            doc_type: meta.doc_type.clone(),
            lang: meta.lang,
            status: meta.status.clone(),
            year: meta.year,
        };
        let next = self.facets.len() as u32;
        let id = *self.facet_ids.entry(facet.clone()).or_insert(next);
        if id == next {
            self.facets.push(facet);
        }
        self.facet_of.push(id);
        self.meta.push(meta);
        row
    }

    /// Removes every row of a document; returns how many. Rows after them move up. A
    /// file-backed store reads its rows (and fails only if that read does).
    pub fn remove_doc(&mut self, doc_id: &str) -> Result<usize, VectorError> {
        if !self.meta.iter().any(|m| m.doc_id == doc_id) {
            return Ok(0);
        }
        let dim = self.dim;
        let old_rows = self.rows.all()?.into_owned();
        let old = std::mem::replace(self, VectorStore::new(dim));
        self.options = old.options;
        let mut kept = Vec::with_capacity(old_rows.len());
        let mut removed = 0;
        for (row, meta) in old.meta.into_iter().enumerate() {
            if meta.doc_id == doc_id {
                removed += 1;
                continue;
            }
            let v = &old_rows[row * dim..(row + 1) * dim];
            kept.extend_from_slice(v);
            self.index_row(meta, v);
        }
        self.rows = Rows::Owned(kept);
        Ok(removed)
    }

    /// The row of a chunk.
    pub fn row_of(&self, chunk_id: &str) -> Option<usize> {
        self.by_chunk.get(chunk_id).map(|&r| r as usize)
    }

    /// A stored vector whose embedded text had this blake3 hash: reuse it instead of
    /// embedding the same text again.
    pub fn vector_by_hash(&self, hash: &[u8; 32]) -> Result<Option<Cow<'_, [f32]>>, VectorError> {
        self.by_hash
            .get(hash)
            .map(|&r| self.vector(r as usize))
            .transpose()
    }

    /// The (normalized) vector of a row: borrowed when the rows are in memory, read from
    /// the vector file otherwise. Panics if the row is out of range.
    pub fn vector(&self, row: usize) -> Result<Cow<'_, [f32]>, VectorError> {
        assert!(row < self.len(), "row {row} of {}", self.len());
        match &self.rows {
            Rows::Owned(v) => Ok(Cow::Borrowed(&v[row * self.dim..(row + 1) * self.dim])),
            Rows::File(_) => {
                let mut scratch = Vec::new();
                Ok(Cow::Owned(
                    self.rows.row(self.dim, row, &mut scratch)?.to_vec(),
                ))
            }
        }
    }

    /// Whether the f32 rows are in memory (built or [`read`](Self::read)) rather than
    /// left in the vector file ([`open`](Self::open)).
    pub fn rows_resident(&self) -> bool {
        matches!(self.rows, Rows::Owned(_))
    }

    /// The metadata of a row. Panics if the row is out of range.
    pub fn meta(&self, row: usize) -> &ChunkMeta {
        &self.meta[row]
    }

    /// Chunk ids in row order.
    pub fn chunk_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.meta.iter().map(|m| m.chunk_id.as_str())
    }

    /// Bytes of memory the store holds (vectors, codes, metadata, maps, inverted file);
    /// hash map sizes are estimated from their capacity.
    pub fn memory_bytes(&self) -> usize {
        let strings: usize = self
            .meta
            .iter()
            .map(|m| {
                m.chunk_id.capacity()
                    + m.doc_id.capacity()
                    + m.doc_type.capacity()
                    + m.status.as_ref().map_or(0, |s| s.capacity())
            })
            .sum();
        let entry = |key: usize| key + 4 + 1;
        self.rows.resident_floats() * 4
            + self.codes.capacity()
            + self.scales.capacity() * 4
            + self.meta.capacity() * std::mem::size_of::<ChunkMeta>()
            + strings * 2 // chunk ids are also the keys of `by_chunk`
            + self.by_chunk.capacity() * entry(std::mem::size_of::<String>())
            + self.by_hash.capacity() * entry(32)
            + self.facet_of.capacity() * 4
            + self.ann.as_ref().map_or(0, Ivf::memory_bytes)
    }

    /// Top `k` rows passing `filter`, by cosine with `query` (normalized here), best
    /// first, ties by row; uses the store's [`SearchOptions`]. A query of the wrong
    /// dimension or with non-finite values finds nothing.
    pub fn search(&self, query: &[f32], k: usize, filter: &Filters) -> Vec<(usize, f32)> {
        self.search_with(query, k, filter, self.options.method)
    }

    /// [`search`](Self::search) with a chosen method.
    pub fn search_with(
        &self,
        query: &[f32],
        k: usize,
        filter: &Filters,
        method: Method,
    ) -> Vec<(usize, f32)> {
        if query.len() != self.dim || k == 0 || self.is_empty() {
            return Vec::new();
        }
        let norm = query.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !norm.is_finite() || norm == 0.0 {
            return Vec::new();
        }
        let query: Vec<f32> = query.iter().map(|x| x / norm).collect();
        let allowed = self.allowed(filter);
        let accepted = allowed.as_ref().map_or(self.len(), |a| a.1);
        if accepted == 0 {
            return Vec::new();
        }
        let pass = allowed.as_ref().map(|a| a.0.as_slice());
        match method {
            Method::Exact => self.exact(&query, k, pass),
            Method::Int8 => self.int8(&query, k, pass),
            Method::Approx | Method::Auto => match &self.ann {
                Some(ann) => {
                    let fraction = accepted as f64 / self.len() as f64;
                    let nprobe = self.options.nprobe.clamp(1, ann.nlist());
                    // Scanning the accepted rows costs fraction * n; the inverted file,
                    // widened to see as many accepted rows, nprobe / nlist / fraction * n.
                    if fraction * fraction < nprobe as f64 / ann.nlist() as f64 {
                        self.int8(&query, k, pass)
                    } else {
                        let wide = ((nprobe as f64 / fraction).ceil() as usize).min(ann.nlist());
                        self.approx(ann, &query, k, pass, wide)
                    }
                }
                None => self.int8(&query, k, pass),
            },
        }
    }

    /// Per-facet verdicts of a filter and the number of rows it accepts; `None` if
    /// the filter accepts everything.
    fn allowed(&self, filter: &Filters) -> Option<(Vec<bool>, usize)> {
        if filter.is_empty() {
            return None;
        }
        let pass: Vec<bool> = self
            .facets
            .iter()
            .map(|f| filter.accepts(&f.doc_type, f.lang, f.status.as_deref(), f.year))
            .collect();
        let accepted = self.facet_of.iter().filter(|&&f| pass[f as usize]).count();
        Some((pass, accepted))
    }

    #[inline]
    fn passes(&self, pass: Option<&[bool]>, row: usize) -> bool {
        pass.is_none_or(|p| p[self.facet_of[row] as usize])
    }

    fn exact(&self, query: &[f32], k: usize, pass: Option<&[bool]>) -> Vec<(usize, f32)> {
        let dot = dot_f32_kernel();
        let mut top = TopK::new(k);
        let scanned = self.rows.for_each_block(|first, block| {
            for (i, v) in block.chunks_exact(self.dim).enumerate() {
                let row = first + i;
                if self.passes(pass, row) {
                    let s = dot(query, v);
                    if s > top.threshold() {
                        top.push(row as u32, s);
                    }
                }
            }
        });
        match scanned {
            Ok(()) => top.into_sorted(),
            Err(e) => {
                tracing::warn!("exact vector search fell back to the int8 scan: the vector rows cannot be read ({e})");
                self.int8(query, k, pass)
            }
        }
    }

    fn int8(&self, query: &[f32], k: usize, pass: Option<&[bool]>) -> Vec<(usize, f32)> {
        let dot8 = dot_i8_kernel();
        let mut q = vec![0i8; self.dim];
        quantize(query, &mut q);
        let mut candidates = TopK::new(k.saturating_mul(self.options.int8_candidates.max(1)));
        for (row, c) in self.codes.chunks_exact(self.dim).enumerate() {
            if self.passes(pass, row) {
                // The query's scale is the same for every row: leave it out.
                let s = dot8(&q, c) as f32 * self.scales[row];
                if s > candidates.threshold() {
                    candidates.push(row as u32, s);
                }
            }
        }
        self.rescore(query, k, candidates)
    }

    fn approx(
        &self,
        ann: &Ivf,
        query: &[f32],
        k: usize,
        pass: Option<&[bool]>,
        nprobe: usize,
    ) -> Vec<(usize, f32)> {
        let dot8 = dot_i8_kernel();
        let mut q = vec![0i8; self.dim];
        quantize(query, &mut q);
        let mut candidates = TopK::new(k.saturating_mul(self.options.int8_candidates.max(1)));
        let mut seen = 0usize;
        for (probed, list) in ann.probe_order(query).into_iter().enumerate() {
            // Keep going past nprobe until k accepted rows were seen, if there are any.
            if probed >= nprobe && seen >= k {
                break;
            }
            for &row in ann.list(list) {
                let row = row as usize;
                if self.passes(pass, row) {
                    seen += 1;
                    let s = dot8(&q, self.code(row)) as f32 * self.scales[row];
                    if s > candidates.threshold() {
                        candidates.push(row as u32, s);
                    }
                }
            }
        }
        self.rescore(query, k, candidates)
    }

    fn code(&self, row: usize) -> &[i8] {
        &self.codes[row * self.dim..(row + 1) * self.dim]
    }

    /// Exact f32 scores of int8 candidates, best `k` kept. If the rows of a file-backed
    /// store cannot be read (the disk failed under a running server), the int8 estimates
    /// are kept instead, scaled to cosines, and the failure is logged.
    fn rescore(&self, query: &[f32], k: usize, candidates: TopK) -> Vec<(usize, f32)> {
        let dot = dot_f32_kernel();
        let candidates = candidates.into_sorted();
        let mut top = TopK::new(k);
        let mut scratch = Vec::new();
        for &(row, _) in &candidates {
            match self.rows.row(self.dim, row, &mut scratch) {
                Ok(v) => top.push(row as u32, dot(query, v)),
                Err(e) => {
                    tracing::warn!("vector rows cannot be read ({e}); ranking by int8 estimates");
                    let mut q = vec![0i8; self.dim];
                    let q_scale = quantize(query, &mut q);
                    let mut top = TopK::new(k);
                    for &(row, s) in &candidates {
                        top.push(row as u32, s * q_scale);
                    }
                    return top.into_sorted();
                }
            }
        }
        top.into_sorted()
    }
}

#[cfg(test)]
mod tests;
