//! Where a vector store's f32 rows live: in memory (a store being built or edited by the
//! indexer, or read whole), or in the committed vector file, read a few rows at a time.
//!
//! A store opened for searching ([`VectorStore::open`](super::VectorStore::open)) keeps
//! only the int8 codes resident for the scan; the f32 rows are needed for rescoring the
//! best few dozen candidates of a query, so they are read from the file with positioned
//! reads (from the page cache once warm) instead of holding a second, four times larger
//! copy in memory. Positioned reads rather than a memory map: a mapped page read once
//! stays in the process's resident set, and the kernel maps neighbouring pages with it,
//! so random rescoring reads would make most of the file resident within a few hundred
//! queries. The open file handle keeps the generation readable even after a newer commit
//! removes its name.

use std::borrow::Cow;
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// Rows read per block when a file-backed store is scanned whole (~1.5 MB at 384 dims).
const BLOCK_ROWS: usize = 1024;

/// The f32 rows of a store, row-major, `dim` floats per row.
#[derive(Debug, Clone)]
pub(super) enum Rows {
    Owned(Vec<f32>),
    File(RowFile),
}

/// The rows of a verified vector file, left on disk.
#[derive(Debug, Clone)]
pub(super) struct RowFile {
    pub file: Arc<File>,
    pub path: PathBuf,
    /// Byte offset of row 0 in the file.
    pub start: u64,
    pub dim: usize,
    pub count: usize,
}

impl RowFile {
    /// Rows `first..first + n` into `out` (replacing its contents).
    fn read_rows(&self, first: usize, n: usize, out: &mut Vec<f32>) -> io::Result<()> {
        let mut bytes = vec![0u8; n * self.dim * 4];
        let at = self.start + (first * self.dim * 4) as u64;
        read_exact_at(&self.file, &mut bytes, at)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))?;
        out.clear();
        out.extend(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
        Ok(())
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut at: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, at)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

impl Rows {
    /// Floats held in memory (none for a file-backed store).
    pub fn resident_floats(&self) -> usize {
        match self {
            Rows::Owned(v) => v.capacity(),
            Rows::File(_) => 0,
        }
    }

    /// One row; `scratch` holds it when it has to be read from the file.
    pub fn row<'a>(
        &'a self,
        dim: usize,
        row: usize,
        scratch: &'a mut Vec<f32>,
    ) -> io::Result<&'a [f32]> {
        match self {
            Rows::Owned(v) => Ok(&v[row * dim..(row + 1) * dim]),
            Rows::File(f) => {
                f.read_rows(row, 1, scratch)?;
                Ok(scratch)
            }
        }
    }

    /// Every row in order, as blocks of whole rows: `f(first_row, rows)`.
    pub fn for_each_block(&self, mut f: impl FnMut(usize, &[f32])) -> io::Result<()> {
        match self {
            Rows::Owned(v) => {
                f(0, v);
                Ok(())
            }
            Rows::File(file) => {
                let mut block = Vec::new();
                let mut first = 0;
                while first < file.count {
                    let n = BLOCK_ROWS.min(file.count - first);
                    file.read_rows(first, n, &mut block)?;
                    f(first, &block);
                    first += n;
                }
                Ok(())
            }
        }
    }

    /// All rows at once: borrowed when in memory, read (a transient copy) otherwise.
    pub fn all(&self) -> io::Result<Cow<'_, [f32]>> {
        match self {
            Rows::Owned(v) => Ok(Cow::Borrowed(v)),
            Rows::File(f) => {
                let mut out = Vec::new();
                f.read_rows(0, f.count, &mut out)?;
                Ok(Cow::Owned(out))
            }
        }
    }

    /// The rows in memory, read from the file first if they are not: a store opened for
    /// searching that is then edited becomes an ordinary in-memory store.
    pub fn owned_mut(&mut self) -> io::Result<&mut Vec<f32>> {
        if let Rows::File(_) = self {
            let rows = self.all()?.into_owned();
            *self = Rows::Owned(rows);
        }
        match self {
            Rows::Owned(v) => Ok(v),
            Rows::File(_) => Err(io::Error::other("vector rows still on file after loading")),
        }
    }
}
