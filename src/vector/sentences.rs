//! Sentence vectors: one embedding per distinct evidence sentence of the indexed chunks,
//! keyed by the blake3 hash of the exact text that was embedded, written as one file per
//! index generation beside the chunk vectors and memory-mapped when read, so that an answer
//! scores its candidate sentences without running the encoder on them.
//!
//! Owns the file format, its checksum, look-ups by hash, and the per-document lists of
//! sentences that let a re-index drop what removed or changed documents used and keep the
//! rest. Does not cut text into sentences (`answer::evidence::chunk_sentences` does, for
//! the indexer and the answer alike), choose the embedded text or run the encoder.
//!
//! # File format (`sentences-{generation:08}.bin`, little-endian)
//!
//! ```text
//! offset  size  field
//!      0     8  magic  b"ENVKBSEN"
//!      8     4  format version (u32, currently 1)
//!     12     4  dim (u32)
//!     16     8  count: distinct sentences (u64)
//!     24     8  payload length in bytes (u64) = file length - 64
//!     32    32  blake3 of bytes 0..32 followed by the payload
//!     64        payload:
//!                 count * 32 bytes: the sentence hashes, ascending (binary-searched in place)
//!                 count * dim f32: the vectors in hash order, as the encoder returned them
//!                 u32 number of documents, then per document, by id:
//!                   doc_id  str (u32 byte length + UTF-8 bytes)
//!                   u32 n, then n * u32: the rows of its sentences, in text order
//! ```
//!
//! Vectors are stored exactly as the encoder gave them (not normalized again), so a stored
//! vector and one computed at question time for the same text are the same bits. The file
//! is written to `NAME.tmp`, fsynced and renamed, never changed in place: a map of it stays
//! valid while a newer generation replaces it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::file::{check_header, Header};
use super::VectorError;

/// Bumped when the layout changes incompatibly.
pub const SENTENCES_FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"ENVKBSEN";
const HEADER: usize = 64;
const PREFIX: &str = "sentences-";
const SUFFIX: &str = ".bin";

/// A sentence's key: the blake3 hash of the text given to the encoder.
pub type SentenceKey = [u8; 32];

/// The key of an embedding input text.
pub fn sentence_key(embedded_text: &str) -> SentenceKey {
    *blake3::hash(embedded_text.as_bytes()).as_bytes()
}

/// The file name of a generation's sentence vectors.
pub fn sentences_file_name(generation: u64) -> String {
    format!("{PREFIX}{generation:08}{SUFFIX}")
}

/// The bytes of a sentence file: mapped, or read when mapping is refused (some file systems).
enum Bytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Read(v) => v,
        }
    }
}

/// Gives back the pages the checksum pass mapped in. They stay in the page cache, but
/// out of the process's resident set, which then holds only what look-ups read: without
/// this a server that answered once would keep the whole file (five or so sentence
/// vectors per chunk, ~0.8 GB at 100k chunks) resident for as long as it runs.
fn release_pages(bytes: &Bytes) {
    #[cfg(unix)]
    if let Bytes::Mapped(m) = bytes {
        // SAFETY: a read-only shared mapping of a file that is never modified (see
        // `open`): a dropped page is read again from the same bytes on the next access,
        // so no reference into the mapping can observe a change.
        let _ = unsafe { m.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
    }
    #[cfg(not(unix))]
    let _ = bytes;
}

/// A committed sentence-vector file, opened read-only. Look-ups read the mapped file in
/// place: opening costs one pass for the checksum, not a copy of the vectors.
pub struct SentenceStore {
    bytes: Bytes,
    path: PathBuf,
    dim: usize,
    count: usize,
}

impl std::fmt::Debug for SentenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceStore")
            .field("path", &self.path)
            .field("dim", &self.dim)
            .field("count", &self.count)
            .finish()
    }
}

impl SentenceStore {
    /// Maps and verifies `dir/name` (magic, version, lengths, checksum).
    pub fn open(dir: &Path, name: &str) -> Result<SentenceStore, VectorError> {
        let path = dir.join(name);
        let file = fs::File::open(&path)?;
        // SAFETY: sentence files are written under a temporary name and renamed into place,
        // never modified afterwards (a new generation is a new file), so the mapped bytes
        // do not change under us; they are verified by checksum before use.
        let bytes = match unsafe { memmap2::Mmap::map(&file) } {
            Ok(m) => Bytes::Mapped(m),
            Err(_) => Bytes::Read(fs::read(&path)?),
        };
        let corrupt = |detail: String| VectorError::Corrupt {
            file: path.clone(),
            detail,
        };
        let Header { dim, count } = check_header(
            &bytes,
            &path,
            MAGIC,
            SENTENCES_FORMAT_VERSION,
            "sentence-vector",
        )?;
        release_pages(&bytes);
        let actual = (bytes.len() - HEADER) as u64;
        let count = usize::try_from(count).map_err(|_| corrupt("row count too large".into()))?;
        // Keys, vectors and the document count must fit in the payload.
        let fixed = dim
            .checked_mul(4)
            .and_then(|row| row.checked_add(32))
            .and_then(|row| row.checked_mul(count))
            .and_then(|n| n.checked_add(4));
        if fixed.is_none_or(|n| n as u64 > actual) {
            return Err(corrupt(format!(
                "{count} sentences of {dim} floats do not fit"
            )));
        }
        Ok(SentenceStore {
            bytes,
            path,
            dim,
            count,
        })
    }

    /// The length of every sentence vector in the file.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Distinct sentences stored.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the file holds no sentences.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of the file (mapped, so resident only as far as it is read).
    pub fn file_bytes(&self) -> usize {
        self.bytes.len()
    }

    fn key(&self, row: usize) -> &[u8] {
        let at = HEADER + row * 32;
        &self.bytes[at..at + 32]
    }

    /// The row of a key, by binary search over the sorted keys.
    fn row_of(&self, key: &SentenceKey) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid).cmp(key.as_slice()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    fn vector_at(&self, row: usize) -> Vec<f32> {
        let at = HEADER + self.count * 32 + row * self.dim * 4;
        self.bytes[at..at + self.dim * 4]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    /// The stored vector of the sentence whose embedded text has this key.
    pub fn get(&self, key: &SentenceKey) -> Option<Vec<f32>> {
        self.row_of(key).map(|row| self.vector_at(row))
    }

    /// Each document's sentence keys, in text order (for the indexer: what to keep when a
    /// document changes or leaves).
    pub fn documents(&self) -> Result<BTreeMap<String, Vec<SentenceKey>>, VectorError> {
        let corrupt = |detail: &str| VectorError::Corrupt {
            file: self.path.clone(),
            detail: detail.to_string(),
        };
        let mut r = Reader {
            bytes: &self.bytes,
            at: HEADER + self.count * (32 + self.dim * 4),
        };
        let n = r.u32().ok_or_else(|| corrupt("no document table"))?;
        let mut docs = BTreeMap::new();
        for _ in 0..n {
            let id = r.string().ok_or_else(|| corrupt("bad document id"))?;
            let k = r.u32().ok_or_else(|| corrupt("bad sentence list"))? as usize;
            let mut keys = Vec::with_capacity(k.min(1 << 16));
            for _ in 0..k {
                let row = r.u32().ok_or_else(|| corrupt("bad sentence list"))? as usize;
                if row >= self.count {
                    return Err(corrupt("a sentence row is out of range"));
                }
                let mut key = [0u8; 32];
                key.copy_from_slice(self.key(row));
                keys.push(key);
            }
            docs.insert(id, keys);
        }
        if r.at != self.bytes.len() {
            return Err(corrupt("bytes left after the document table"));
        }
        Ok(docs)
    }

    /// Removes sentence files other than `keep` (older generations, crashed writes).
    pub fn remove_others(dir: &Path, keep: &str) {
        super::file::remove_generations(dir, PREFIX, SUFFIX, keep);
    }
}

fn u32_at(bytes: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]])
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len())?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32_at(b, 0))
    }

    fn string(&mut self) -> Option<String> {
        let len = self.u32()? as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}

/// The next generation's sentence vectors, being assembled by the indexer: which documents
/// use which sentences, the committed file to take unchanged vectors from, and the vectors
/// embedded in this run.
pub struct SentenceSet {
    dim: usize,
    docs: BTreeMap<String, Vec<SentenceKey>>,
    base: Option<SentenceStore>,
    fresh: HashMap<SentenceKey, Vec<f32>>,
}

impl SentenceSet {
    /// An empty set of `dim`-dimensional vectors.
    pub fn new(dim: usize) -> SentenceSet {
        SentenceSet {
            dim,
            docs: BTreeMap::new(),
            base: None,
            fresh: HashMap::new(),
        }
    }

    /// The committed store's documents and vectors, to be changed. A store of another
    /// dimension is not reused.
    pub fn from_store(store: SentenceStore) -> Result<SentenceSet, VectorError> {
        let docs = store.documents()?;
        Ok(SentenceSet {
            dim: store.dim(),
            docs,
            base: Some(store),
            fresh: HashMap::new(),
        })
    }

    /// The length of every sentence vector in the set.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Whether a document's sentences are recorded.
    pub fn has_doc(&self, doc_id: &str) -> bool {
        self.docs.contains_key(doc_id)
    }

    /// Document ids with recorded sentences.
    pub fn doc_ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.docs.keys().map(String::as_str)
    }

    /// Forgets a document's sentences (their vectors go when no document uses them).
    pub fn remove_doc(&mut self, doc_id: &str) {
        self.docs.remove(doc_id);
    }

    /// Records (or replaces) a document's sentence keys; each needs a vector, already
    /// stored or [`insert`](Self::insert)ed, before [`write`](Self::write).
    pub fn set_doc(&mut self, doc_id: &str, keys: Vec<SentenceKey>) {
        self.docs.insert(doc_id.to_string(), keys);
    }

    /// Whether a vector for this key is at hand (committed or embedded in this run).
    pub fn has_vector(&self, key: &SentenceKey) -> bool {
        self.fresh.contains_key(key) || self.base.as_ref().is_some_and(|b| b.row_of(key).is_some())
    }

    /// Adds a freshly embedded vector, stored as given.
    pub fn insert(&mut self, key: SentenceKey, vector: Vec<f32>) -> Result<(), VectorError> {
        if vector.len() != self.dim {
            return Err(VectorError::Dim {
                expected: self.dim,
                found: vector.len(),
            });
        }
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(VectorError::NonFinite(hex(&key)));
        }
        self.fresh.insert(key, vector);
        Ok(())
    }

    /// The distinct sentences the recorded documents use, ascending.
    fn live(&self) -> Vec<SentenceKey> {
        let set: BTreeSet<SentenceKey> = self.docs.values().flatten().copied().collect();
        set.into_iter().collect()
    }

    /// Distinct sentences that [`write`](Self::write) would store.
    pub fn len(&self) -> usize {
        self.live().len()
    }

    /// Whether no recorded document uses any sentence, so nothing would be written.
    pub fn is_empty(&self) -> bool {
        self.docs.values().all(Vec::is_empty)
    }

    /// Writes the set durably as `sentences-{generation:08}.bin` in `dir` and returns that
    /// name (to record in the manifest before the tantivy commit).
    pub fn write(&self, dir: &Path, generation: u64) -> io::Result<String> {
        let name = sentences_file_name(generation);
        let tmp = dir.join(format!("{name}.tmp"));
        let live = self.live();
        let dim = u32::try_from(self.dim).map_err(io::Error::other)?;
        let rows = |n: usize| u32::try_from(n).map_err(io::Error::other);
        let table: usize = self
            .docs
            .iter()
            .map(|(id, keys)| 4 + id.len() + 4 + 4 * keys.len())
            .sum();
        let payload = live.len() * (32 + self.dim * 4) + 4 + table;
        let mut head = [0u8; HEADER];
        head[0..8].copy_from_slice(MAGIC);
        head[8..12].copy_from_slice(&SENTENCES_FORMAT_VERSION.to_le_bytes());
        head[12..16].copy_from_slice(&dim.to_le_bytes());
        head[16..24].copy_from_slice(&(live.len() as u64).to_le_bytes());
        head[24..32].copy_from_slice(&(payload as u64).to_le_bytes());

        let file = fs::File::create(&tmp)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let mut hasher = blake3::Hasher::new();
        hasher.update(&head[..32]);
        // The checksum goes in the header, so the header is written last, in place.
        out.write_all(&head)?;
        let mut put = |bytes: &[u8]| -> io::Result<()> {
            hasher.update(bytes);
            out.write_all(bytes)
        };
        for key in &live {
            put(key)?;
        }
        let mut buf = Vec::with_capacity(self.dim * 4);
        for key in &live {
            let vector = match self.fresh.get(key) {
                Some(v) => std::borrow::Cow::Borrowed(v.as_slice()),
                None => std::borrow::Cow::Owned(
                    self.base
                        .as_ref()
                        .and_then(|b| b.get(key))
                        .filter(|v| v.len() == self.dim)
                        .ok_or_else(|| {
                            io::Error::other(format!("no vector for sentence {}", hex(key)))
                        })?,
                ),
            };
            buf.clear();
            buf.extend(vector.iter().flat_map(|x| x.to_le_bytes()));
            put(&buf)?;
        }
        put(&rows(self.docs.len())?.to_le_bytes())?;
        for (id, keys) in &self.docs {
            put(&rows(id.len())?.to_le_bytes())?;
            put(id.as_bytes())?;
            put(&rows(keys.len())?.to_le_bytes())?;
            for key in keys {
                let row = live.binary_search(key).map_err(|_| {
                    io::Error::other("a document's sentence is missing from the live set")
                })?;
                put(&rows(row)?.to_le_bytes())?;
            }
        }
        let checksum = hasher.finalize();
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        head[32..64].copy_from_slice(checksum.as_bytes());
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&head)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, dir.join(&name))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(name)
    }
}

fn hex(key: &SentenceKey) -> String {
    key.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(seed: u32, dim: usize) -> Vec<f32> {
        (0..dim)
            .map(|i| ((seed * 31 + i as u32 * 7) % 13) as f32 / 13.0 - 0.4)
            .collect()
    }

    fn keys(texts: &[&str]) -> Vec<SentenceKey> {
        texts.iter().map(|t| sentence_key(t)).collect()
    }

    /// A set of two documents sharing one sentence, written as generation 1.
    fn written(dir: &Path) -> (String, Vec<SentenceKey>) {
        let all = keys(&[
            "ماده ۱ این قانون درباره حفاظت است.",
            "The organization shall keep records.",
            "سازمان موظف است گزارش سالانه منتشر کند.",
        ]);
        let mut set = SentenceSet::new(4);
        for (i, k) in all.iter().enumerate() {
            set.insert(*k, vector(i as u32, 4)).unwrap();
        }
        set.set_doc("law", vec![all[0], all[2]]);
        set.set_doc("iso", vec![all[1], all[2]]);
        (set.write(dir, 1).unwrap(), all)
    }

    #[test]
    fn round_trip_keeps_vectors_bit_for_bit_and_documents_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (name, all) = written(dir.path());
        assert_eq!(name, "sentences-00000001.bin");
        let store = SentenceStore::open(dir.path(), &name).unwrap();
        assert_eq!((store.len(), store.dim()), (3, 4));
        for (i, k) in all.iter().enumerate() {
            let got = store.get(k).unwrap();
            let want = vector(i as u32, 4);
            assert_eq!(
                got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
        assert!(store.get(&sentence_key("not stored")).is_none());
        let docs = store.documents().unwrap();
        assert_eq!(docs["law"], vec![all[0], all[2]]);
        assert_eq!(docs["iso"], vec![all[1], all[2]]);
    }

    #[test]
    fn removing_a_document_keeps_shared_sentences_and_drops_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let (name, all) = written(dir.path());
        let mut set =
            SentenceSet::from_store(SentenceStore::open(dir.path(), &name).unwrap()).unwrap();
        set.remove_doc("law");
        let extra = sentence_key("A new sentence about energy reviews.");
        assert!(!set.has_vector(&extra) && set.has_vector(&all[0]));
        set.insert(extra, vector(9, 4)).unwrap();
        set.set_doc("new", vec![extra]);
        let name2 = set.write(dir.path(), 2).unwrap();
        SentenceStore::remove_others(dir.path(), &name2);
        assert!(!dir.path().join(&name).exists());
        let store = SentenceStore::open(dir.path(), &name2).unwrap();
        assert_eq!(store.len(), 3);
        assert!(store.get(&all[0]).is_none(), "only the removed law used it");
        assert_eq!(
            store.get(&all[2]).unwrap(),
            vector(2, 4),
            "iso still uses it"
        );
        assert_eq!(store.get(&extra).unwrap(), vector(9, 4));
        assert_eq!(
            store.documents().unwrap().keys().collect::<Vec<_>>(),
            vec!["iso", "new"]
        );
    }

    #[test]
    fn a_sentence_without_a_vector_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = SentenceSet::new(4);
        set.set_doc("doc", keys(&["never embedded sentence here"]));
        assert!(set.write(dir.path(), 1).is_err());
        assert!(!dir.path().join(sentences_file_name(1)).exists());
        assert!(set.insert(sentence_key("x"), vec![0.0; 3]).is_err());
        assert!(set.insert(sentence_key("x"), vec![f32::NAN; 4]).is_err());
    }

    #[test]
    fn damage_and_other_versions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (name, _) = written(dir.path());
        let path = dir.path().join(&name);
        let good = fs::read(&path).unwrap();

        let mut flipped = good.clone();
        let last = flipped.len() - 10;
        flipped[last] ^= 1;
        fs::write(&path, &flipped).unwrap();
        let e = SentenceStore::open(dir.path(), &name).unwrap_err();
        assert!(e.to_string().contains("checksum mismatch"), "{e}");

        fs::write(&path, &good[..good.len() - 3]).unwrap();
        let e = SentenceStore::open(dir.path(), &name).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");

        let mut old = good.clone();
        old[8..12].copy_from_slice(&0u32.to_le_bytes());
        fs::write(&path, &old).unwrap();
        let e = SentenceStore::open(dir.path(), &name).unwrap_err();
        assert!(matches!(e, VectorError::Format { found: 0, .. }), "{e}");
        assert!(e.to_string().contains("rebuild the index"));
        assert_eq!(e.kind(), crate::fault::ErrorKind::Setup);

        fs::write(&path, b"ENVKBVEC").unwrap();
        assert!(SentenceStore::open(dir.path(), &name).is_err());
    }

    #[test]
    fn an_empty_set_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let name = SentenceSet::new(8).write(dir.path(), 3).unwrap();
        let store = SentenceStore::open(dir.path(), &name).unwrap();
        assert!(store.is_empty());
        assert!(store.documents().unwrap().is_empty());
    }
}
