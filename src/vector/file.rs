//! The vector file: writing it durably, reading and verifying it, removing leftovers.
//! The layout is documented in the parent module.

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::sync::Arc;

use super::rows::{RowFile, Rows};
use super::{quantize, ChunkMeta, VectorError, VectorStore};
use crate::text::Lang;

/// Bumped when the layout changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"ENVKBVEC";
const HEADER: usize = 64;
const PREFIX: &str = "vectors-";
const SUFFIX: &str = ".bin";

/// The file name of a generation's vectors.
pub fn file_name(generation: u64) -> String {
    format!("{PREFIX}{generation:08}{SUFFIX}")
}

fn str_len(s: &str) -> usize {
    4 + s.len()
}

fn record_len(m: &ChunkMeta) -> usize {
    str_len(&m.chunk_id)
        + str_len(&m.doc_id)
        + 32
        + str_len(&m.doc_type)
        + 1
        + 5
        + 1
        + m.status.as_deref().map_or(0, str_len)
}

/// Writes to a file and feeds the checksum.
struct Hashed<W: Write> {
    out: W,
    hasher: blake3::Hasher,
}

impl<W: Write> Hashed<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hasher.update(bytes);
        self.out.write_all(bytes)
    }

    fn put_str(&mut self, s: &str) -> io::Result<()> {
        let len = u32::try_from(s.len()).map_err(io::Error::other)?;
        self.put(&len.to_le_bytes())?;
        self.put(s.as_bytes())
    }
}

impl VectorStore {
    /// Writes the store durably as `vectors-{generation:08}.bin` in `dir` and returns
    /// that name (to record in the manifest before the tantivy commit).
    pub fn write(&self, dir: &Path, generation: u64) -> io::Result<String> {
        let name = file_name(generation);
        let tmp = dir.join(format!("{name}.tmp"));
        let dim = u32::try_from(self.dim).map_err(io::Error::other)?;
        let payload = self.len() * self.dim * 4 + self.meta.iter().map(record_len).sum::<usize>();
        let mut head = [0u8; HEADER];
        head[0..8].copy_from_slice(MAGIC);
        head[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        head[12..16].copy_from_slice(&dim.to_le_bytes());
        head[16..24].copy_from_slice(&(self.len() as u64).to_le_bytes());
        head[24..32].copy_from_slice(&(payload as u64).to_le_bytes());

        let file = fs::File::create(&tmp)?;
        let mut w = Hashed {
            out: BufWriter::with_capacity(1 << 20, file),
            hasher: blake3::Hasher::new(),
        };
        w.hasher.update(&head[..32]);
        // The checksum goes in the header, so the header is written last, in place.
        w.out.write_all(&head)?;
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut written = Ok(());
        self.rows.for_each_block(|_, block| {
            for chunk in block.chunks(16 * 1024) {
                if written.is_ok() {
                    buf.clear();
                    buf.extend(chunk.iter().flat_map(|x| x.to_le_bytes()));
                    written = w.put(&buf);
                }
            }
        })?;
        written?;
        for m in &self.meta {
            w.put_str(&m.chunk_id)?;
            w.put_str(&m.doc_id)?;
            w.put(&m.content_hash)?;
            w.put_str(&m.doc_type)?;
            w.put(&[match m.lang {
                Lang::Fa => 0,
                Lang::En => 1,
            }])?;
            w.put(&[u8::from(m.year.is_some())])?;
            w.put(&m.year.unwrap_or(0).to_le_bytes())?;
            w.put(&[u8::from(m.status.is_some())])?;
            if let Some(s) = &m.status {
                w.put_str(s)?;
            }
        }
        let checksum = w.hasher.finalize();
        let mut file = w.out.into_inner().map_err(|e| e.into_error())?;
        head[32..64].copy_from_slice(checksum.as_bytes());
        use std::io::{Seek, SeekFrom};
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

    /// Reads and verifies a vector file, then builds the in-memory indexes (int8 codes,
    /// and the inverted file when the store is at least the default threshold).
    pub fn read(dir: &Path, name: &str) -> Result<VectorStore, VectorError> {
        let path = dir.join(name);
        let bytes = fs::read(&path)?;
        let corrupt = |detail: String| VectorError::Corrupt {
            file: path.clone(),
            detail,
        };
        let Header { dim, count } = check_header(&bytes, &path, MAGIC, FORMAT_VERSION, "vector")?;
        let actual = (bytes.len() - HEADER) as u64;
        // The checksum matched, so what follows was written by us; still parse defensively.
        let count = usize::try_from(count).map_err(|_| corrupt("row count too large".into()))?;
        let floats = count
            .checked_mul(dim)
            .filter(|n| n.checked_mul(4).is_some_and(|b| b <= actual as usize))
            .ok_or_else(|| corrupt(format!("{count} rows of {dim} floats do not fit")))?;
        let payload = &bytes[HEADER..];
        let mut store = VectorStore::new(dim);
        let data: Vec<f32> = payload[..floats * 4]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        if data.iter().any(|x| !x.is_finite()) {
            return Err(corrupt("a vector has a non-finite value".into()));
        }
        let metas = read_records(&payload[floats * 4..], count).map_err(corrupt)?;
        for (row, meta) in metas.into_iter().enumerate() {
            if store.by_chunk.contains_key(&meta.chunk_id) {
                return Err(corrupt(format!("chunk {:?} appears twice", meta.chunk_id)));
            }
            store.index_row(meta, &data[row * dim..(row + 1) * dim]);
        }
        store.rows = Rows::Owned(data);
        store.prepare();
        Ok(store)
    }

    /// Opens a vector file for searching: verified like [`read`](Self::read), but only
    /// the int8 codes and the metadata stay in memory; the f32 rows stay in the file and
    /// are read for rescoring (see the `rows` module). The file is read once, in blocks,
    /// so opening never holds a whole copy of it either.
    pub fn open(dir: &Path, name: &str) -> Result<VectorStore, VectorError> {
        let path = dir.join(name);
        let mut file = fs::File::open(&path)?;
        let len = file.metadata()?.len();
        let corrupt = |detail: String| VectorError::Corrupt {
            file: path.clone(),
            detail,
        };
        let mut head = vec![0u8; (HEADER as u64).min(len) as usize];
        file.read_exact(&mut head)?;
        let Header { dim, count } =
            check_fields(&head, len, &path, MAGIC, FORMAT_VERSION, "vector")?;
        let actual = len - HEADER as u64;
        let count = usize::try_from(count).map_err(|_| corrupt("row count too large".into()))?;
        let floats = count
            .checked_mul(dim)
            .filter(|n| n.checked_mul(4).is_some_and(|b| b as u64 <= actual))
            .ok_or_else(|| corrupt(format!("{count} rows of {dim} floats do not fit")))?;
        if dim == 0 && count > 0 {
            return Err(corrupt(format!("{count} rows of no dimensions")));
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update(&head[..32]);
        let mut store = VectorStore::new(dim);
        store.codes = vec![0; floats];
        store.scales.reserve_exact(count);
        let mut finite = true;
        let mut bytes = Vec::new();
        let mut v = vec![0f32; dim];
        let mut row = 0;
        while row < count {
            let n = ROWS_PER_READ.min(count - row);
            bytes.resize(n * dim * 4, 0);
            file.read_exact(&mut bytes)?;
            hasher.update(&bytes);
            for (i, r) in bytes.chunks_exact(dim * 4).enumerate() {
                for (x, b) in v.iter_mut().zip(r.chunks_exact(4)) {
                    *x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                }
                finite &= v.iter().all(|x| x.is_finite());
                let at = (row + i) * dim;
                store
                    .scales
                    .push(quantize(&v, &mut store.codes[at..at + dim]));
            }
            row += n;
        }
        let mut records = Vec::new();
        file.read_to_end(&mut records)?;
        hasher.update(&records);
        if (floats * 4 + records.len()) as u64 != actual {
            return Err(corrupt("the file changed while it was read".into()));
        }
        if hasher.finalize().as_bytes() != &head[32..64] {
            return Err(corrupt("checksum mismatch".into()));
        }
        if !finite {
            return Err(corrupt("a vector has a non-finite value".into()));
        }
        let metas = read_records(&records, count).map_err(corrupt)?;
        drop(records);
        for meta in metas {
            if store.by_chunk.contains_key(&meta.chunk_id) {
                return Err(corrupt(format!("chunk {:?} appears twice", meta.chunk_id)));
            }
            store.index_meta(meta);
        }
        store.rows = Rows::File(RowFile {
            file: Arc::new(file),
            path,
            start: HEADER as u64,
            dim,
            count,
        });
        store.prepare();
        Ok(store)
    }

    /// Removes vector files other than `keep` (older generations, crashed writes).
    pub fn remove_others(dir: &Path, keep: &str) {
        remove_generations(dir, PREFIX, SUFFIX, keep);
    }
}

/// Rows read at a time while a file is opened (~1.5 MB at 384 dims).
const ROWS_PER_READ: usize = 1024;

/// The `count` metadata records that follow the vectors; `Err` says which is bad.
fn read_records(bytes: &[u8], count: usize) -> Result<Vec<ChunkMeta>, String> {
    let mut r = Reader { bytes, at: 0 };
    let mut read_meta = || -> Option<ChunkMeta> {
        let chunk_id = r.string()?;
        let doc_id = r.string()?;
        let content_hash = r.take(32)?.try_into().ok()?;
        let doc_type = r.string()?;
        let lang = match r.take(1)?[0] {
            0 => Lang::Fa,
            1 => Lang::En,
            _ => return None,
        };
        let has_year = r.take(1)?[0] == 1;
        let year = u32::from_le_bytes(r.take(4)?.try_into().ok()?);
        let status = match r.take(1)?[0] {
            0 => None,
            1 => Some(r.string()?),
            _ => return None,
        };
        Some(ChunkMeta {
            chunk_id,
            doc_id,
            content_hash,
            doc_type,
            lang,
            year: has_year.then_some(year),
            status,
        })
    };
    let mut metas = Vec::with_capacity(count);
    for row in 0..count {
        metas.push(read_meta().ok_or_else(|| format!("bad record of row {row}"))?);
    }
    if r.at != bytes.len() {
        return Err("bytes left after the last record".into());
    }
    Ok(metas)
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

    fn string(&mut self) -> Option<String> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}

/// What a checked header says: the width of a row and the number of rows.
pub(super) struct Header {
    pub dim: usize,
    pub count: u64,
}

/// Checks the 64-byte header that the chunk-vector and sentence-vector files share: length,
/// magic, format version, payload length and the blake3 checksum (of the header's first 32
/// bytes and the payload). `what` names the kind of file in the bad-magic message.
pub(super) fn check_header(
    bytes: &[u8],
    path: &Path,
    magic: &[u8; 8],
    version: u32,
    what: &str,
) -> Result<Header, VectorError> {
    let header = check_fields(bytes, bytes.len() as u64, path, magic, version, what)?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(&bytes[..32]);
    hasher.update(&bytes[HEADER..]);
    if hasher.finalize().as_bytes() != &bytes[32..64] {
        return Err(VectorError::Corrupt {
            file: path.to_path_buf(),
            detail: "checksum mismatch".into(),
        });
    }
    Ok(header)
}

/// [`check_header`] without the checksum, for a file read in pieces: `bytes` are the
/// file's first bytes (the whole header when the file is long enough), `len` its length.
pub(super) fn check_fields(
    bytes: &[u8],
    len: u64,
    path: &Path,
    magic: &[u8; 8],
    version: u32,
    what: &str,
) -> Result<Header, VectorError> {
    let corrupt = |detail: String| VectorError::Corrupt {
        file: path.to_path_buf(),
        detail,
    };
    if len < HEADER as u64 {
        return Err(corrupt(format!(
            "truncated: {len} bytes, shorter than the {HEADER}-byte header"
        )));
    }
    if &bytes[0..8] != magic {
        return Err(corrupt(format!("not an envkb {what} file (bad magic)")));
    }
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
    let found = u32_at(8);
    if found != version {
        return Err(VectorError::Format {
            file: path.to_path_buf(),
            found,
            expected: version,
        });
    }
    let (dim, count, payload_len) = (u32_at(12) as usize, u64_at(16), u64_at(24));
    let actual = len - HEADER as u64;
    if payload_len != actual {
        return Err(corrupt(format!(
            "header promises {payload_len} payload bytes, file has {actual} (truncated or appended)"
        )));
    }
    Ok(Header { dim, count })
}

/// Removes the files of one kind (`prefix`…`suffix`, or a crashed write's `.tmp`) other than
/// `keep`, the generation the manifest names. Best effort: a file that cannot be removed now
/// is removed by the next commit.
pub(super) fn remove_generations(dir: &Path, prefix: &str, suffix: &str, keep: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(prefix)
            && (name.ends_with(suffix) || name.ends_with(".tmp"))
            && name != keep
        {
            let _ = fs::remove_file(e.path());
        }
    }
}
