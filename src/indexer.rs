//! The index job: from folders on disk to an up-to-date index, incrementally.
//!
//! Owns deciding what changed (content hash per file), what is gone (files under the
//! given roots that no longer exist), and the one commit that makes it all visible.
//! Files that cannot be read are reported with a reason and skipped; the run goes on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::answer::sentence_vectors::chunk_sentence_inputs;
use crate::embed::Encoder;
use crate::ingest::{
    find_files, load_document_with_progress, ChunkLimits, Document, FoundFile, IngestError,
    IngestLimits, Skipped,
};
use crate::lexical::{Companions, LexicalHit, LexicalIndex};
use crate::text::{normalize_for_embedding, Lang};
use crate::vector::{sentence_key, ChunkMeta, SentenceSet, SentenceStore, VectorStore};
use crate::Result;

/// The encoder to embed chunks with, and a name for it recorded in the manifest.
pub struct Embedding<'a> {
    /// The encoder.
    pub encoder: &'a Encoder,
    /// Recorded with the vectors so another model's vectors are never mixed in.
    pub model_id: String,
}

/// A chunk waiting for its vector.
struct Pending {
    meta: ChunkMeta,
    text: String,
}

/// The text a chunk is embedded from: its breadcrumb (title, headings, article) gives the
/// model the context a bare clause lacks; normalized like the index.
pub fn embedding_text(breadcrumb: &[String], text: &str) -> String {
    normalize_for_embedding(&format!("{}\n{}", breadcrumb.join(" > "), text))
}

fn pending(
    text: String,
    chunk_id: &str,
    doc_id: &str,
    doc_type: &str,
    lang: Lang,
    year: Option<u32>,
    status: Option<&str>,
) -> Pending {
    Pending {
        meta: ChunkMeta {
            chunk_id: chunk_id.to_string(),
            doc_id: doc_id.to_string(),
            content_hash: *blake3::hash(text.as_bytes()).as_bytes(),
            doc_type: doc_type.to_string(),
            lang,
            year,
            status: status.map(str::to_string),
        },
        text,
    }
}

/// Chunks of a document to embed.
fn pending_from_document(doc: &Document) -> Vec<Pending> {
    doc.chunks
        .iter()
        .map(|c| {
            pending(
                embedding_text(&c.breadcrumb, &c.text),
                &c.id,
                &doc.id,
                &doc.doc_type,
                c.lang,
                doc.meta.year,
                doc.meta.status.as_deref(),
            )
        })
        .collect()
}

fn pending_from_hit(h: &LexicalHit) -> Pending {
    pending(
        embedding_text(&h.breadcrumb, &h.text),
        &h.chunk_id,
        &h.doc_id,
        &h.doc_type,
        crate::lexical::hit_lang(h),
        h.year,
        h.status.as_deref(),
    )
}

/// What a run did.
#[derive(Debug, Default, Serialize)]
pub struct IndexReport {
    pub(crate) files_seen: usize,
    /// Files (re)indexed because they are new or changed.
    pub indexed: usize,
    /// Files skipped because their hash is unchanged.
    pub unchanged: usize,
    /// Documents dropped because their file is gone.
    pub removed: usize,
    pub(crate) chunks_written: usize,
    /// Documents in the index after the run.
    pub documents: usize,
    /// Chunks in the index after the run.
    pub chunks: u64,
    /// Files that could not be indexed, each with its reason.
    pub skipped: Vec<Skipped>,
    /// Pages of indexed files that were left out, with the reason (a scanned page OCR could
    /// not read, or pages over the OCR page limit): `{"path", "reason": "page 3: …"}`.
    pub pages_skipped: Vec<Skipped>,
    /// Chunks embedded in this run, and those whose vectors came from the cache.
    pub embedded: usize,
    pub(crate) embeddings_reused: usize,
    /// Chunks with a vector after the run (0 when the index has no semantic side).
    pub vectors: usize,
    /// Evidence sentences embedded in this run, those of indexed documents whose vector
    /// was already stored, and the distinct sentences with a vector after the run.
    pub sentences_embedded: usize,
    /// Sentence vectors kept from earlier runs.
    pub sentence_vectors_reused: usize,
    /// Distinct sentences with a vector after the run.
    pub sentence_vectors: usize,
    /// Things the user should know that did not stop the run.
    pub warnings: Vec<String>,
    #[serde(serialize_with = "secs")]
    /// Wall time of the run (seconds in JSON).
    pub elapsed: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// Progress events, for a progress bar.
pub trait Progress {
    /// The walk found `total_files` files to look at.
    fn start(&mut self, _total_files: usize) {}
    /// One file is done (indexed, unchanged or skipped).
    fn file_done(&mut self, _path: &Path) {}
    /// A page of `path` was read by OCR: `done` of `total` pages.
    fn ocr_page(&mut self, _path: &Path, _done: usize, _total: usize) {}
    /// Chunk embedding starts for `total_chunks` chunks.
    fn embedding(&mut self, _total_chunks: usize) {}
    /// `chunks` more were embedded.
    fn embedded(&mut self, _chunks: usize) {}
    /// Sentence embedding starts (after the chunks); `embedded` then counts sentences.
    fn embedding_sentences(&mut self, _total_sentences: usize) {}
    /// The run is over.
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
    embedding: Option<&Embedding<'_>>,
) -> Result<IndexReport> {
    index_paths_with(index, roots, progress, embedding, &IngestLimits::default())
}

/// [`index_paths`] with explicit limits on PDF and DOCX files (pages, size).
pub fn index_paths_with(
    index: &mut LexicalIndex,
    roots: &[PathBuf],
    progress: &mut dyn Progress,
    embedding: Option<&Embedding<'_>>,
    limits: &IngestLimits,
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
    // The semantic side: the committed store when it was made by this model, and the
    // documents whose chunks still lack vectors (an index first built without the model).
    let mut store: Option<VectorStore> = None;
    let mut backlog: Vec<Pending> = Vec::new();
    // Likewise for the evidence sentences: the committed set, and documents lacking theirs.
    let mut sentences: Option<SentenceSet> = None;
    let mut sentence_backlog: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(e) = embedding {
        let m = index.manifest();
        let committed = match (&m.vectors, &m.model) {
            (Some(name), Some(model)) if *model == e.model_id => {
                Some(VectorStore::read(index.dir(), name)?)
            }
            _ => None,
        };
        let s = committed.unwrap_or_else(|| VectorStore::new(e.encoder.dim()));
        let set = committed_sentences(index, e, &mut report.warnings);
        let lacking: Vec<String> = m
            .documents
            .keys()
            .filter(|id| s.row_of(&crate::ingest::chunk_id(id, 0)).is_none() || !set.has_doc(id))
            .cloned()
            .collect();
        for id in lacking {
            let hits = index.document_chunks(&id)?;
            if s.row_of(&crate::ingest::chunk_id(&id, 0)).is_none() {
                backlog.extend(hits.iter().map(pending_from_hit));
            }
            if !set.has_doc(&id) {
                let inputs = hits.iter().flat_map(|h| chunk_sentence_inputs(&h.text));
                sentence_backlog.push((id, inputs.collect()));
            }
        }
        store = Some(s);
        sentences = Some(set);
    } else if index.manifest().vectors.is_some() {
        report.warnings.push(
            "no model files: this index loses its semantic side; run models/fetch.sh and index again to rebuild it".into(),
        );
    }
    let mut to_embed: Vec<Pending> = Vec::new();
    let mut new_sentences: Vec<(String, Vec<String>)> = Vec::new();
    let mut session = index.begin()?;
    let mut seen_paths: HashSet<PathBuf> = HashSet::new();
    let mut ids_this_run: HashSet<String> = HashSet::new();
    for file in &files {
        let path = canonical(&file.path);
        seen_paths.insert(path.clone());
        let outcome = index_one(
            &mut session,
            file,
            &path,
            &mut ids_this_run,
            limits,
            &mut |done, total| progress.ocr_page(&file.path, done, total),
        );
        match outcome {
            Ok(Some(doc)) => {
                report.indexed += 1;
                report
                    .pages_skipped
                    .extend(doc.page_problems.iter().map(|reason| Skipped {
                        path: file.path.clone(),
                        reason: reason.clone(),
                    }));
                report.chunks_written += doc.chunks.len();
                if store.is_some() {
                    to_embed.extend(pending_from_document(&doc));
                    let inputs = doc
                        .chunks
                        .iter()
                        .flat_map(|c| chunk_sentence_inputs(&c.text));
                    new_sentences.push((doc.id.clone(), inputs.collect()));
                }
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
    // Vectors: drop those of documents that changed or left, reuse what the cache has,
    // embed the rest, and commit them with the index.
    if let (Some(store), Some(set), Some(e)) = (store.as_mut(), sentences.as_mut(), embedding) {
        let live = &session.manifest().documents;
        let stale: HashSet<String> = store
            .chunk_ids()
            .filter_map(|c| c.rsplit_once('#').map(|(d, _)| d.to_string()))
            .filter(|d| !live.contains_key(d) || to_embed.iter().any(|p| &p.meta.doc_id == d))
            .collect();
        // Only the rows about to be dropped can be reused, so copy the store only when
        // some document changed or left (not on every run, and not at 100k rows for nothing).
        let cache = if stale.is_empty() {
            VectorStore::new(store.dim())
        } else {
            store.clone()
        };
        for d in &stale {
            store.remove_doc(d)?;
        }
        backlog.retain(|p| live.contains_key(&p.meta.doc_id) && !stale.contains(&p.meta.doc_id));
        to_embed.extend(backlog);
        let (embedded, reused) = embed_into(store, &cache, to_embed, e.encoder, progress)?;
        report.embedded = embedded;
        report.embeddings_reused = reused;
        report.vectors = store.len();
        // Sentences: documents that left lose theirs, documents (re)indexed in this run
        // replace theirs; only sentences with no stored vector are embedded.
        let gone: Vec<String> = set
            .doc_ids()
            .filter(|d| !live.contains_key(*d))
            .map(str::to_string)
            .collect();
        for d in &gone {
            set.remove_doc(d);
        }
        let fresh_docs: HashSet<String> = new_sentences.iter().map(|(d, _)| d.clone()).collect();
        sentence_backlog.retain(|(d, _)| live.contains_key(d) && !fresh_docs.contains(d));
        new_sentences.extend(sentence_backlog);
        let (embedded, reused) = embed_sentences(set, new_sentences, e.encoder, progress)?;
        report.sentences_embedded = embedded;
        report.sentence_vectors_reused = reused;
        report.sentence_vectors = set.len();
        session.set_model(Some(e.model_id.clone()));
        let (store, set) = (&*store, &*set);
        session.commit_with(|dir, generation| {
            Ok(Companions {
                vectors: Some(store.write(dir, generation)?),
                sentences: Some(set.write(dir, generation)?),
            })
        })?;
        remove_other_companions(index);
    } else {
        session.set_model(None);
        session.commit()?;
        remove_other_companions(index);
    }
    progress.finish();
    report.documents = index.manifest().documents.len();
    report.chunks = index.manifest().chunk_count();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Removes documents by id, with their vectors, in one commit; returns the ids that were
/// in the index. For callers that remove a document without touching its file (the server's
/// delete): the next `index` run over the document's folder would bring it back.
pub fn remove_documents(index: &mut LexicalIndex, ids: &[String]) -> Result<Vec<String>> {
    let present: Vec<String> = ids
        .iter()
        .filter(|id| index.manifest().documents.contains_key(*id))
        .cloned()
        .collect();
    if present.is_empty() {
        return Ok(present);
    }
    // The committed vectors lose the same documents' rows in the same commit, and the
    // sentence vectors the same documents' sentences.
    let mut store = match &index.manifest().vectors {
        Some(name) => Some(VectorStore::read(index.dir(), name)?),
        None => None,
    };
    let mut sentences = match &index.manifest().sentences {
        Some(name) => Some(SentenceSet::from_store(SentenceStore::open(
            index.dir(),
            name,
        )?)?),
        None => None,
    };
    let mut session = index.begin()?;
    for id in &present {
        session.remove(id);
        if let Some(s) = store.as_mut() {
            s.remove_doc(id)?;
        }
        if let Some(s) = sentences.as_mut() {
            s.remove_doc(id);
        }
    }
    session.commit_with(|dir, generation| {
        Ok(Companions {
            vectors: store
                .as_ref()
                .map(|s| s.write(dir, generation))
                .transpose()?,
            sentences: sentences
                .as_ref()
                .map(|s| s.write(dir, generation))
                .transpose()?,
        })
    })?;
    remove_other_companions(index);
    Ok(present)
}

/// The committed sentence vectors when the model made them, as the set to change; a file
/// that cannot be read is replaced (every sentence is embedded again) with a warning,
/// since it holds nothing the index cannot make again.
fn committed_sentences(
    index: &LexicalIndex,
    e: &Embedding<'_>,
    warnings: &mut Vec<String>,
) -> SentenceSet {
    let fresh = || SentenceSet::new(e.encoder.dim());
    let m = index.manifest();
    match (&m.sentences, &m.model) {
        (Some(name), Some(model)) if *model == e.model_id => {
            match SentenceStore::open(index.dir(), name).and_then(SentenceSet::from_store) {
                Ok(set) if set.dim() == e.encoder.dim() => set,
                Ok(_) => fresh(),
                Err(err) => {
                    warnings.push(format!(
                        "the sentence vectors cannot be reused ({err}); every sentence is embedded again"
                    ));
                    fresh()
                }
            }
        }
        _ => fresh(),
    }
}

/// Removes vector and sentence files the committed manifest does not name.
fn remove_other_companions(index: &LexicalIndex) {
    let m = index.manifest();
    VectorStore::remove_others(index.dir(), m.vectors.as_deref().unwrap_or(""));
    SentenceStore::remove_others(index.dir(), m.sentences.as_deref().unwrap_or(""));
}

/// Indexes one file: `Ok(Some(document))` when written, `Ok(None)` when unchanged,
/// `Err(reason)` when skipped.
fn index_one(
    session: &mut crate::lexical::IndexSession<'_>,
    file: &FoundFile,
    path: &Path,
    ids_this_run: &mut HashSet<String>,
    limits: &IngestLimits,
    ocr_progress: &mut dyn FnMut(usize, usize),
) -> std::result::Result<Option<Document>, String> {
    crate::ingest::Format::from_path(&file.path).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(&file.path).map_err(|e| IngestError::Io(e).to_string())?;
    // An id is claimed only by a file that was indexed (or is unchanged): a skipped
    // `empty.md` does not make `empty.txt` a clash.
    if ids_this_run.contains(&file.doc_id) {
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
        // Same bytes, same place, cut by today's structure reader: nothing to do.
        if existing.hash == hash
            && existing_path == path
            && existing.structure >= crate::ingest::structure::STRUCTURE_VERSION
        {
            ids_this_run.insert(file.doc_id.clone());
            return Ok(None);
        }
    }
    let mut doc =
        load_document_with_progress(file, bytes, ChunkLimits::default(), limits, ocr_progress)
            .map_err(|e| e.to_string())?;
    doc.path = path.to_path_buf();
    if doc.chunks.is_empty() {
        return Err(IngestError::Empty.to_string());
    }
    session
        .add(&doc)
        .map_err(|e| format!("could not be written to the index: {e}"))?;
    ids_this_run.insert(file.doc_id.clone());
    Ok(Some(doc))
}

/// Batch size for embedding chunks: small, length-sorted batches were fastest on 2 cores.
const EMBED_BATCH: usize = 8;

/// Embeds `pending` chunks into `store`, taking vectors from `cache` when the text is
/// unchanged. Returns (embedded, reused).
fn embed_into(
    store: &mut VectorStore,
    cache: &VectorStore,
    pending: Vec<Pending>,
    encoder: &Encoder,
    progress: &mut dyn Progress,
) -> Result<(usize, usize)> {
    let mut fresh = Vec::new();
    let mut reused = 0;
    for p in pending {
        if let Some(v) = cache.vector_by_hash(&p.meta.content_hash)? {
            let v = v.to_vec();
            store.push(p.meta, &v)?;
            reused += 1;
        } else {
            fresh.push(p);
        }
    }
    progress.embedding(fresh.len());
    fresh.sort_by_key(|p| p.text.len());
    let embedded = fresh.len();
    for batch in fresh.chunks(EMBED_BATCH) {
        let texts: Vec<&str> = batch.iter().map(|p| p.text.as_str()).collect();
        let vectors = encoder.embed_passages(&texts)?;
        for (p, v) in batch.iter().zip(vectors) {
            store.push(p.meta.clone(), &v)?;
        }
        progress.embedded(batch.len());
    }
    Ok((embedded, reused))
}

/// Sentences embedded per call to the encoder (it batches them further by length).
const SENTENCE_BATCH: usize = 32;

/// Records each document's sentences in `set` and embeds those without a stored vector
/// (each distinct text once). Returns (embedded, reused).
fn embed_sentences(
    set: &mut SentenceSet,
    docs: Vec<(String, Vec<String>)>,
    encoder: &Encoder,
    progress: &mut dyn Progress,
) -> Result<(usize, usize)> {
    let mut fresh: Vec<(crate::vector::SentenceKey, String)> = Vec::new();
    let mut queued = HashSet::new();
    let mut reused = 0;
    for (doc_id, inputs) in docs {
        let mut keys = Vec::with_capacity(inputs.len());
        for text in inputs {
            let key = sentence_key(&text);
            keys.push(key);
            if set.has_vector(&key) {
                reused += 1;
            } else if queued.insert(key) {
                fresh.push((key, text));
            }
        }
        set.set_doc(&doc_id, keys);
    }
    progress.embedding_sentences(fresh.len());
    fresh.sort_by_key(|(_, t)| t.len());
    for batch in fresh.chunks(SENTENCE_BATCH) {
        let texts: Vec<&str> = batch.iter().map(|(_, t)| t.as_str()).collect();
        for ((key, _), v) in batch.iter().zip(encoder.embed_passages(&texts)?) {
            set.insert(*key, v)?;
        }
        progress.embedded(batch.len());
    }
    Ok((fresh.len(), reused))
}

/// Embeds every chunk of `docs` into a new store (for temporary indexes such as `eval`'s).
pub fn embed_documents(
    docs: &[Document],
    encoder: &Encoder,
    progress: &mut dyn Progress,
) -> Result<VectorStore> {
    let mut store = VectorStore::new(encoder.dim());
    let pending: Vec<Pending> = docs.iter().flat_map(pending_from_document).collect();
    embed_into(
        &mut store,
        &VectorStore::new(encoder.dim()),
        pending,
        encoder,
        progress,
    )?;
    Ok(store)
}
