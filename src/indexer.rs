//! The index job: from folders on disk to an up-to-date index, incrementally.
//!
//! Owns deciding what changed (content hash per file), what is gone (files under the
//! given roots that no longer exist), and the one commit that makes it all visible.
//! Files that cannot be read are reported with a reason and skipped; the run goes on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::ingest::{find_files, load_document, ChunkLimits, FoundFile, IngestError, Skipped};
use crate::lexical::LexicalIndex;
use crate::Result;

/// What a run did.
#[derive(Debug, Default, Serialize)]
pub struct IndexReport {
    pub files_seen: usize,
    pub indexed: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub chunks_written: usize,
    pub documents: usize,
    pub chunks: u64,
    pub skipped: Vec<Skipped>,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// Progress events, for a progress bar.
pub trait Progress {
    fn start(&mut self, _total_files: usize) {}
    fn file_done(&mut self, _path: &Path) {}
    fn finish(&mut self) {}
}

/// No progress output.
pub struct Silent;
impl Progress for Silent {}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Indexes every supported file under `roots` into `index`, replacing changed files and
/// removing documents whose files under these roots are gone. One commit at the end:
/// until then readers see the previous state, and a crash leaves it intact.
pub fn index_paths(
    index: &mut LexicalIndex,
    roots: &[PathBuf],
    progress: &mut dyn Progress,
) -> Result<IndexReport> {
    let started = Instant::now();
    let mut report = IndexReport::default();
    let mut files: Vec<FoundFile> = Vec::new();
    for root in roots {
        let (found, skipped) = find_files(root)?;
        files.extend(found);
        report.skipped.extend(skipped);
    }
    let canon_roots: Vec<PathBuf> = roots.iter().map(|r| canonical(r)).collect();
    report.files_seen = files.len();
    progress.start(files.len());
    let mut session = index.begin()?;
    let mut seen_paths: HashSet<PathBuf> = HashSet::new();
    let mut ids_this_run: HashSet<String> = HashSet::new();
    for file in &files {
        let path = canonical(&file.path);
        seen_paths.insert(path.clone());
        let outcome = index_one(&mut session, file, &path, &mut ids_this_run);
        match outcome {
            Ok(Some(chunks)) => {
                report.indexed += 1;
                report.chunks_written += chunks;
            }
            Ok(None) => report.unchanged += 1,
            Err(reason) => {
                // A file that can no longer be read must not leave its old text searchable.
                if session
                    .manifest()
                    .documents
                    .get(&file.doc_id)
                    .is_some_and(|e| Path::new(&e.path) == path)
                {
                    session.remove(&file.doc_id);
                    report.removed += 1;
                }
                report.skipped.push(Skipped {
                    path: file.path.clone(),
                    reason,
                });
            }
        }
        progress.file_done(&file.path);
    }
    let gone: Vec<String> = session
        .manifest()
        .documents
        .iter()
        .filter(|(_, e)| {
            let p = Path::new(&e.path);
            canon_roots.iter().any(|r| p.starts_with(r)) && !seen_paths.contains(p)
        })
        .map(|(id, _)| id.clone())
        .collect();
    for id in gone {
        session.remove(&id);
        report.removed += 1;
    }
    session.commit()?;
    progress.finish();
    report.documents = index.manifest().documents.len();
    report.chunks = index.manifest().chunk_count();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Indexes one file: `Ok(Some(chunks))` when written, `Ok(None)` when unchanged,
/// `Err(reason)` when skipped.
fn index_one(
    session: &mut crate::lexical::IndexSession<'_>,
    file: &FoundFile,
    path: &Path,
    ids_this_run: &mut HashSet<String>,
) -> std::result::Result<Option<usize>, String> {
    crate::ingest::Format::from_path(&file.path).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(&file.path).map_err(|e| IngestError::Io(e).to_string())?;
    if !ids_this_run.insert(file.doc_id.clone()) {
        return Err(format!(
            "another file in this run already has the document id {:?} (same name, other extension); rename one",
            file.doc_id
        ));
    }
    let hash = blake3::hash(&bytes).to_hex().to_string();
    if let Some(existing) = session.manifest().documents.get(&file.doc_id) {
        let existing_path = Path::new(&existing.path);
        if existing_path != path && existing_path.exists() {
            return Err(format!(
                "the document id {:?} is already used by {}; index each folder separately or rename the file",
                file.doc_id, existing.path
            ));
        }
        if existing.hash == hash && existing_path == path {
            return Ok(None);
        }
    }
    let mut doc = load_document(file, bytes, ChunkLimits::default()).map_err(|e| e.to_string())?;
    doc.path = path.to_path_buf();
    if doc.chunks.is_empty() {
        return Err(IngestError::Empty.to_string());
    }
    session
        .add(&doc)
        .map_err(|e| format!("could not be written to the index: {e}"))?;
    Ok(Some(doc.chunks.len()))
}
