//! The single writer: one thread that applies uploads and deletes to the index in turn,
//! through the incremental indexer, then swaps a freshly opened engine in for readers.
//!
//! Owns the `uploads/` folder inside the index directory (uploaded source files live there,
//! so they survive restarts and re-indexing) and the rule that a failed upload leaves the
//! index and that folder as they were. Jobs queued when the server stops are finished
//! before the thread ends; nothing is committed half-done because every job is one commit.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::auth::Role;
use super::error::ApiError;
use super::metrics::Metrics;
use super::state::EngineCell;
use crate::engine::{Engine, LoadedModel};
use crate::indexer::{index_paths_with, remove_documents, Embedding, Silent};
use crate::ingest::ocr::OcrMode;
use crate::ingest::{load_document_with, ChunkLimits, Format, FoundFile, IngestLimits};
use crate::lexical::LexicalIndex;

/// The folder, inside the index directory, that holds uploaded files.
pub const UPLOADS_DIR: &str = "uploads";

/// Longest uploaded file name, in bytes.
const MAX_NAME_BYTES: usize = 200;

/// What an upload did.
#[derive(Debug, Clone)]
pub struct Uploaded {
    /// The id the upload got.
    pub doc_id: String,
    /// Its title.
    pub title: String,
    /// Passages it was cut into.
    pub chunks: u32,
    /// An earlier upload with the same name was replaced.
    pub replaced: bool,
    /// Chunks embedded for the semantic side (0 when there is no model).
    pub embedded: usize,
    /// Pages of a PDF left out, with their reasons (OCR).
    pub pages_skipped: Vec<String>,
}

/// What a delete did.
#[derive(Debug, Clone)]
pub struct Deleted {
    /// The id asked for.
    pub doc_id: String,
    /// The document was an upload and its file is gone too.
    pub file_removed: bool,
}

enum Job {
    Upload {
        name: String,
        bytes: Vec<u8>,
        ocr: Option<OcrMode>,
        reply: oneshot::Sender<Result<Uploaded, ApiError>>,
    },
    Delete {
        doc_id: String,
        role: Role,
        reply: oneshot::Sender<Result<Deleted, ApiError>>,
    },
}

/// Sends jobs to the writer thread.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Job>,
    capacity: usize,
}

/// The writer thread, to join at shutdown.
pub struct WriterThread(std::thread::JoinHandle<()>);

impl WriterThread {
    /// Waits until every queued job is done (the thread ends when all handles are gone).
    pub fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("the index writer thread panicked");
        }
    }
}

/// Checks an uploaded file's name: a plain file name with a supported extension, so it
/// can neither leave the uploads folder nor hide in it.
pub fn check_upload_name(name: &str) -> Result<(), ApiError> {
    let plain = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
        && !name.chars().any(crate::ingest::limits::is_bidi_control)
        && name.trim() == name;
    if !plain {
        return Err(ApiError::BadRequest(format!(
            "the file name must be a plain name such as notes.md (no folders, no leading dot, no control or text-direction characters, at most {MAX_NAME_BYTES} bytes)"
        )));
    }
    Format::from_path(Path::new(name))?;
    Ok(())
}

impl WriterHandle {
    async fn send<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, ApiError>>) -> Job,
    ) -> Result<T, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.tx.try_send(make(reply)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ApiError::Busy(format!(
                "{} index changes are already waiting",
                self.capacity
            )),
            mpsc::error::TrySendError::Closed(_) => {
                ApiError::Unavailable("the server is shutting down".into())
            }
        })?;
        answer
            .await
            .map_err(|_| ApiError::Internal("the index writer stopped".into()))?
    }

    /// Adds (or replaces) an uploaded file and indexes it; `ocr` overrides the server's
    /// OCR mode for this file.
    pub async fn upload(
        &self,
        name: String,
        bytes: Vec<u8>,
        ocr: Option<OcrMode>,
    ) -> Result<Uploaded, ApiError> {
        check_upload_name(&name)?;
        self.send(|reply| Job::Upload {
            name,
            bytes,
            ocr,
            reply,
        })
        .await
    }

    /// Removes a document; one from the indexed folders needs `Role::Admin`.
    pub async fn delete(&self, doc_id: String, role: Role) -> Result<Deleted, ApiError> {
        self.send(|reply| Job::Delete {
            doc_id,
            role,
            reply,
        })
        .await
    }

    /// Jobs waiting now.
    pub fn queued(&self) -> usize {
        self.capacity - self.tx.capacity()
    }
}

struct Writer {
    dir: PathBuf,
    uploads: PathBuf,
    engine: Arc<EngineCell>,
    model: Option<Arc<LoadedModel>>,
    /// The upload limits, applied to what a file inflates to as well as to its size.
    ingest: IngestLimits,
}

/// Starts the writer thread for the index at `dir`.
pub fn start(
    dir: &Path,
    engine: Arc<EngineCell>,
    model: Option<Arc<LoadedModel>>,
    metrics: Arc<Metrics>,
    capacity: usize,
    ingest: IngestLimits,
) -> crate::Result<(WriterHandle, WriterThread)> {
    let uploads = dir.join(UPLOADS_DIR);
    std::fs::create_dir_all(&uploads)
        .map_err(|e| crate::Error::Internal(format!("cannot create {}: {e}", uploads.display())))?;
    // The indexer records canonical paths; compare like with like.
    let uploads = std::fs::canonicalize(&uploads).unwrap_or(uploads);
    for line in super::recover::repair_uploads(&uploads, engine.get().index.manifest()) {
        tracing::warn!("uploads folder repaired at start: {line}");
    }
    let capacity = capacity.max(1);
    let (tx, rx) = mpsc::channel(capacity);
    let writer = Writer {
        dir: dir.to_path_buf(),
        uploads,
        engine,
        model,
        ingest,
    };
    let thread = std::thread::Builder::new()
        .name("envkb-writer".into())
        .spawn(move || writer.run(rx, &metrics))
        .map_err(|e| crate::Error::Internal(format!("cannot start the index writer: {e}")))?;
    Ok((WriterHandle { tx, capacity }, WriterThread(thread)))
}

impl Writer {
    fn run(self, mut rx: mpsc::Receiver<Job>, metrics: &Metrics) {
        while let Some(job) = rx.blocking_recv() {
            match job {
                Job::Upload {
                    name,
                    bytes,
                    ocr,
                    reply,
                } => {
                    let r = catch_panic(|| self.upload(&name, bytes, ocr));
                    metrics.write_done(r.is_ok());
                    let _ = reply.send(r);
                }
                Job::Delete {
                    doc_id,
                    role,
                    reply,
                } => {
                    let r = catch_panic(|| self.delete(&doc_id, role));
                    metrics.write_done(r.is_ok());
                    let _ = reply.send(r);
                }
            }
        }
    }

    /// The index as last committed (another envkb process may have written since).
    fn open(&self) -> Result<LexicalIndex, ApiError> {
        LexicalIndex::open(&self.dir).map_err(ApiError::from)
    }

    /// Readers get an engine over the new commit.
    fn publish(&self) -> Result<(), ApiError> {
        let current = self.engine.get();
        let fresh: Engine = current.reopen(&self.dir).map_err(ApiError::from)?;
        self.engine.set(fresh);
        Ok(())
    }

    fn embedding(&self, index: &LexicalIndex) -> Result<Option<Embedding<'_>>, ApiError> {
        match &self.model {
            Some(m) => Ok(Some(Embedding {
                encoder: &m.encoder,
                model_id: m.model_id.clone(),
            })),
            // Indexing without the model would drop the index's semantic side.
            None if index.manifest().vectors.is_some() => Err(ApiError::Unavailable(
                "the index has a semantic side but this server runs without the embedding model; restart it with the model files to add documents".into(),
            )),
            None => Ok(None),
        }
    }

    fn upload(
        &self,
        name: &str,
        bytes: Vec<u8>,
        ocr: Option<OcrMode>,
    ) -> Result<Uploaded, ApiError> {
        check_upload_name(name)?;
        let mut limits = self.ingest;
        if let Some(mode) = ocr {
            limits.ocr.mode = mode;
        }
        let path = self.uploads.join(name);
        let doc_id = Path::new(name)
            .with_extension("")
            .to_string_lossy()
            .into_owned();
        // Everything that can refuse the file is checked before the index or the folder
        // is touched: a refused upload changes nothing.
        let file = FoundFile {
            path: path.clone(),
            doc_id: doc_id.clone(),
        };
        let doc = load_document_with(&file, bytes.clone(), ChunkLimits::default(), &limits)?;
        if doc.chunks.is_empty() {
            return Err(ApiError::InvalidInput(
                "the file cannot be indexed: it has no text".into(),
            ));
        }
        if crate::engine::vectors_damaged(&self.engine.get()) {
            return Err(ApiError::Unavailable(
                "uploads are paused: the index's vectors file cannot be read (see the search warning); restore the index from a backup or rebuild it with `envkb index`, then restart the server".into(),
            ));
        }
        let mut index = self.open()?;
        if let Some(existing) = index.manifest().documents.get(&doc_id) {
            let existing = Path::new(&existing.path);
            if existing != path && existing.exists() {
                return Err(ApiError::Conflict(format!(
                    "a document with the id {doc_id:?} is already indexed from the knowledge base folders; rename the file"
                )));
            }
        }
        let embedding = self.embedding(&index)?;
        let backup = self
            .uploads
            .join(format!("{}{name}", super::recover::REPLACED_PREFIX));
        let replaced = path.exists();
        if replaced {
            std::fs::rename(&path, &backup).map_err(internal("keep the previous upload"))?;
        }
        let restore = |why: ApiError| -> ApiError {
            let _ = std::fs::remove_file(&path);
            if replaced {
                let _ = std::fs::rename(&backup, &path);
            }
            why
        };
        if let Err(e) = write_durably(&self.uploads, name, &bytes) {
            return Err(restore(internal("store the upload")(e)));
        }
        let report = match index_paths_with(
            &mut index,
            std::slice::from_ref(&path),
            &mut Silent,
            embedding.as_ref(),
            &limits,
        ) {
            Ok(r) => r,
            Err(e) => return Err(restore(ApiError::from(e))),
        };
        if let Some(skipped) = report.skipped.first() {
            // The checks above make this unreachable in practice; if the indexer still
            // refused the file, put the previous version back in the index as well.
            let why =
                ApiError::InvalidInput(format!("the file cannot be indexed: {}", skipped.reason));
            let why = restore(why);
            if replaced {
                let _ = index_paths_with(
                    &mut index,
                    std::slice::from_ref(&path),
                    &mut Silent,
                    embedding.as_ref(),
                    &self.ingest,
                );
            }
            let _ = self.publish();
            return Err(why);
        }
        let _ = std::fs::remove_file(&backup);
        self.publish()?;
        let chunks = index
            .manifest()
            .documents
            .get(&doc_id)
            .map_or(doc.chunks.len() as u32, |e| e.chunks);
        tracing::info!(doc_id = %doc_id, chunks, replaced, "document uploaded");
        Ok(Uploaded {
            doc_id,
            title: doc.title,
            chunks,
            replaced,
            embedded: report.embedded,
            pages_skipped: doc.page_problems,
        })
    }

    fn delete(&self, doc_id: &str, role: Role) -> Result<Deleted, ApiError> {
        let mut index = self.open()?;
        let Some(entry) = index.manifest().documents.get(doc_id) else {
            return Err(ApiError::NotFound(format!(
                "no document with the id {doc_id:?}; GET /api/documents lists them"
            )));
        };
        let path = PathBuf::from(&entry.path);
        let uploaded = path.starts_with(&self.uploads);
        if !uploaded && role < Role::Admin {
            return Err(ApiError::Forbidden {
                needed: Role::Admin,
                have: role,
            });
        }
        remove_documents(&mut index, &[doc_id.to_string()]).map_err(ApiError::from)?;
        self.publish()?;
        // The commit is what counts; a file left behind is only disk space.
        let file_removed = uploaded && std::fs::remove_file(&path).is_ok();
        tracing::info!(doc_id = %doc_id, uploaded, "document deleted");
        Ok(Deleted {
            doc_id: doc_id.to_string(),
            file_removed,
        })
    }
}

/// A panic in one job must not take the writer down; the index keeps its last commit.
fn catch_panic<T>(job: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).unwrap_or_else(|_| {
        Err(ApiError::Internal(
            "an index write panicked; the index keeps its last commit".into(),
        ))
    })
}

fn internal(what: &'static str) -> impl Fn(std::io::Error) -> ApiError {
    move |e| ApiError::Internal(format!("cannot {what}: {e}"))
}

/// Writes `bytes` to `dir/name` through a hidden temporary file, so a crash never leaves a
/// half-written upload under its real name.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = dir.join(format!("{}{name}", super::recover::INCOMING_PREFIX));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_plain_and_supported() {
        assert!(check_upload_name("notes.md").is_ok());
        assert!(check_upload_name("یادداشت-آموزشی.txt").is_ok());
        for bad in [
            "",
            "../../etc/passwd.md",
            "a/b.md",
            "a\\b.md",
            ".hidden.md",
            "line\nbreak.md",
            " padded.md",
            "invoice\u{202E}fdp.md",
            "\u{2067}x.md",
        ] {
            assert!(
                matches!(check_upload_name(bad), Err(ApiError::BadRequest(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check_upload_name("tool.exe"),
            Err(ApiError::UnsupportedMediaType(_))
        ));
        assert!(check_upload_name(&format!("{}.md", "a".repeat(300))).is_err());
    }
}
