//! Ingestion: from files on disk to documents cut into structure-aware chunks.
//!
//! Owns finding files (recursively, skipping hidden ones), loading them through the
//! format loaders, stable document and chunk ids, and the reasons a file is skipped.
//! It never touches the index: the caller decides what to write.

pub mod chunker;
pub mod docx;
pub mod html_depth;
pub mod limits;
pub mod loader;
pub mod ocr;
pub mod pdf;
pub mod structure;

/// Kept at their old paths: the PDF steps live under `pdf/`.
pub use pdf::{layout, persian};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use chunker::{chunk, ChunkDraft, ChunkLimits};
pub use loader::Format;

use crate::text::{detect_lang, Lang};

/// Why a file was not ingested. All of these are the file's fault, reported and skipped.
#[derive(Debug, Error)]
pub enum IngestError {
    #[error("unsupported file type {extension} (supported: .md, .markdown, .txt, .html, .htm, .pdf, .docx)")]
    Unsupported { extension: String },
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    #[error("binary file (contains NUL bytes), not text; if it is UTF-16 text without a byte-order mark, save it as UTF-8")]
    Binary,
    #[error("not valid UTF-8 text (first bad byte at offset {offset}); save it as UTF-8")]
    InvalidUtf8 { offset: usize },
    #[error("empty file (no text to index)")]
    Empty,
    #[error("file too large ({} MB; the limit is {} MB, raise it with --max-file-mb)", mb(*bytes), mb(*limit))]
    TooLarge { bytes: u64, limit: u64 },
    #[error("malformed front matter: {0}")]
    FrontMatter(String),
    #[error("path does not exist: {0}")]
    Missing(PathBuf),
    #[error("no text layer (needs OCR)")]
    NoTextLayer,
    #[error("no text layer, and OCR read no page: {0}")]
    NoTextRead(String),
    #[error("no text layer, and OCR cannot run here: {0}")]
    OcrUnavailable(String),
    #[error("encrypted (password-protected); save an unprotected copy to index it")]
    Encrypted,
    #[error("{0}")]
    Corrupt(String),
    #[error("too many pages ({pages}; the limit is {limit}, set with --max-pages)")]
    TooManyPages { pages: usize, limit: u32 },
    #[error(
        "objects nested more than {limit} levels deep (no real document does this); not indexed"
    )]
    TooDeep { limit: usize },
    #[error("HTML elements nested more than {limit} levels deep (no real page does this, and parsing it would take minutes); not indexed")]
    HtmlTooDeep { limit: usize },
    #[error("its compressed parts inflate past {limit} bytes, the limit for a file of this size")]
    Inflates { limit: u64 },
}

impl IngestError {
    /// A file's problems are the user's; only failing to read it is ours.
    pub fn kind(&self) -> crate::fault::ErrorKind {
        use crate::fault::ErrorKind;
        match self {
            IngestError::Unsupported { .. } => ErrorKind::Unsupported,
            IngestError::TooLarge { .. } => ErrorKind::TooLarge,
            IngestError::Missing(_) => ErrorKind::NotFound,
            IngestError::Io(_) => ErrorKind::Internal,
            // The operator installs Tesseract; the file is not at fault.
            IngestError::OcrUnavailable(_) => ErrorKind::Setup,
            IngestError::Binary
            | IngestError::InvalidUtf8 { .. }
            | IngestError::Empty
            | IngestError::FrontMatter(_)
            | IngestError::NoTextLayer
            | IngestError::NoTextRead(_)
            | IngestError::Encrypted
            | IngestError::Corrupt(_)
            | IngestError::TooManyPages { .. }
            | IngestError::TooDeep { .. }
            | IngestError::HtmlTooDeep { .. } => ErrorKind::BadInput,
            IngestError::Inflates { .. } => ErrorKind::TooLarge,
        }
    }
}

/// Sizes in messages: MB as `--max-file-mb` counts them (MiB), one decimal when not whole.
fn mb(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if bytes % (1024 * 1024) == 0 {
        format!("{mb:.0}")
    } else {
        format!("{mb:.1}")
    }
}

/// Bounds on what one file may cost, so a hostile file cannot exhaust memory or time. Set
/// from `envkb index --max-pages / --max-file-mb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestLimits {
    /// Largest file of any type, in bytes (a PDF's inflated streams and a DOCX's XML get a
    /// multiple of this).
    pub max_bytes: u64,
    /// Most pages of a PDF.
    pub max_pages: u32,
    /// When and how pages without a text layer are read by OCR (a page's cost in time is
    /// bounded there).
    pub ocr: ocr::OcrOptions,
}

impl Default for IngestLimits {
    fn default() -> Self {
        IngestLimits {
            max_bytes: 64 * 1024 * 1024,
            max_pages: 2000,
            ocr: ocr::OcrOptions::default(),
        }
    }
}

/// The pages a chunk spans in its source (PDFs only): one page, or first to last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSpan {
    pub first: u32,
    pub last: u32,
}

impl PageSpan {
    /// The page as search and answer JSON give it: `12`, or `[12, 13]` for a span.
    pub fn json(self) -> serde_json::Value {
        if self.first == self.last {
            serde_json::json!(self.first)
        } else {
            serde_json::json!([self.first, self.last])
        }
    }

    /// The page as a citation shows it: "p. 12" or "pp. 12–13".
    pub fn label(self) -> String {
        if self.first == self.last {
            format!("p. {}", self.first)
        } else {
            format!("pp. {}–{}", self.first, self.last)
        }
    }

    /// The pages of `text[start..end]`, given the byte offsets where pages start.
    pub fn of(page_starts: &[usize], start: usize, end: usize) -> Option<PageSpan> {
        if page_starts.is_empty() {
            return None;
        }
        let page_at = |offset: usize| page_starts.partition_point(|&p| p <= offset).max(1) as u32;
        Some(PageSpan {
            first: page_at(start),
            last: page_at(end.saturating_sub(1).max(start)),
        })
    }
}

/// Serde for an optional [`PageSpan`] in the form search and answer JSON use: `12`, or
/// `[12, 13]` for a span (`#[serde(with = "crate::ingest::page_json")]`).
pub mod page_json {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::PageSpan;

    pub fn serialize<S: Serializer>(pages: &Option<PageSpan>, s: S) -> Result<S::Ok, S::Error> {
        pages.map(PageSpan::json).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PageSpan>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            One(u32),
            Span([u32; 2]),
        }
        Ok(Option::<Form>::deserialize(d)?.map(|f| match f {
            Form::One(p) => PageSpan { first: p, last: p },
            Form::Span([first, last]) => PageSpan { first, last },
        }))
    }
}

/// Metadata of a document, from front matter where present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMeta {
    pub title: Option<String>,
    pub doc_type: Option<String>,
    pub lang: Option<Lang>,
    pub jurisdiction: Option<String>,
    pub year: Option<u32>,
    pub status: Option<String>,
    pub source: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A document ready to index: its text, resolved metadata and chunks.
#[derive(Debug, Clone)]
pub struct Document {
    /// Stable id: the path relative to the folder given to `index`, without extension.
    pub id: String,
    pub path: PathBuf,
    /// blake3 of the file's bytes, for incremental indexing.
    pub hash: String,
    pub title: String,
    pub doc_type: String,
    pub lang: Lang,
    pub meta: DocMeta,
    pub text: String,
    pub chunks: Vec<Chunk>,
    /// Pages of a PDF left out of `text`, each with its reason (OCR failed or was capped);
    /// the rest of the document is indexed.
    pub page_problems: Vec<String>,
}

/// One passage of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// `{doc_id}#{ordinal}`.
    pub id: String,
    pub doc_id: String,
    pub ordinal: u32,
    /// Title first, then headings and markers down to this chunk.
    pub breadcrumb: Vec<String>,
    pub article: Option<String>,
    pub clause: Option<String>,
    pub note: Option<String>,
    /// The article's amendment note («اصلاحی ۱۳۷۱/۰۸/۲۴»), when its marker carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amendment: Option<String>,
    /// Byte span in the document text.
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub lang: Lang,
    /// Source pages (PDFs); `None` for formats without pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<PageSpan>,
    /// Set when the chunk's text (some of it) was read by OCR from a scanned page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<ocr::OcrInfo>,
}

/// Builds a chunk id from its parts; the one place the format lives.
pub fn chunk_id(doc_id: &str, ordinal: u32) -> String {
    format!("{doc_id}#{ordinal}")
}

/// A file found under a root, with the id it will get.
#[derive(Debug, Clone)]
pub struct FoundFile {
    pub path: PathBuf,
    pub doc_id: String,
}

/// A file that was found but not ingested, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// Lists the files under `root` (or `root` itself when it is a file), sorted. Hidden
/// files and folders are left out; unreadable entries become [`Skipped`].
pub fn find_files(root: &Path) -> Result<(Vec<FoundFile>, Vec<Skipped>), IngestError> {
    if !root.exists() {
        return Err(IngestError::Missing(root.to_path_buf()));
    }
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    if root.is_file() {
        let id = doc_id_for(root.parent().unwrap_or(Path::new("")), root);
        found.push(FoundFile {
            path: root.to_path_buf(),
            doc_id: id,
        });
        return Ok((found, skipped));
    }
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let doc_id = doc_id_for(root, e.path());
                if doc_id.chars().any(limits::is_bidi_control) {
                    // A name that reorders itself on screen would show readers a false id.
                    skipped.push(Skipped {
                        path: e.into_path(),
                        reason: "the file or folder name holds text-direction control characters (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C); rename it".into(),
                    });
                    continue;
                }
                found.push(FoundFile {
                    doc_id,
                    path: e.into_path(),
                })
            }
            Ok(_) => {}
            Err(err) => skipped.push(Skipped {
                path: err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf()),
                reason: format!("cannot read: {err}"),
            }),
        }
    }
    Ok((found, skipped))
}

/// The path of `file` relative to `root`, with `/` separators and no extension.
fn doc_id_for(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    let rel = rel.with_extension("");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// A readable title from a file name: `iso-14001-guide` → `iso 14001 guide`.
fn title_from_id(doc_id: &str) -> String {
    let stem = doc_id.rsplit('/').next().unwrap_or(doc_id);
    stem.replace(['-', '_'], " ")
}

/// Loads and chunks one file.
pub fn load_document(
    file: &FoundFile,
    bytes: Vec<u8>,
    limits: ChunkLimits,
) -> Result<Document, IngestError> {
    load_document_with(file, bytes, limits, &IngestLimits::default())
}

/// Loads and chunks one file, PDF and DOCX files within `ingest_limits`.
pub fn load_document_with(
    file: &FoundFile,
    bytes: Vec<u8>,
    limits: ChunkLimits,
    ingest_limits: &IngestLimits,
) -> Result<Document, IngestError> {
    load_document_with_progress(file, bytes, limits, ingest_limits, &mut |_, _| {})
}

/// [`load_document_with`], calling `ocr_progress(done, total)` after each PDF page read by
/// OCR (a scan takes seconds a page; the CLI shows a bar).
pub fn load_document_with_progress(
    file: &FoundFile,
    bytes: Vec<u8>,
    limits: ChunkLimits,
    ingest_limits: &IngestLimits,
    ocr_progress: &mut dyn FnMut(usize, usize),
) -> Result<Document, IngestError> {
    let format = Format::from_path(&file.path)?;
    let hash = blake3::hash(&bytes).to_hex().to_string();
    let loaded =
        loader::load_with_progress(&file.path, format, bytes, ingest_limits, ocr_progress)?;
    Ok(build_document(
        file.doc_id.clone(),
        file.path.clone(),
        hash,
        loaded,
        limits,
    ))
}

/// Makes a document from loaded text: resolves metadata and cuts chunks.
pub fn build_document(
    id: String,
    path: PathBuf,
    hash: String,
    loaded: loader::Loaded,
    limits: ChunkLimits,
) -> Document {
    let loader::Loaded {
        text,
        body_start,
        meta,
        pages,
        ocr,
        page_problems,
    } = loaded;
    let title = meta
        .title
        .as_deref()
        .map(structure::title_text)
        .filter(|t| !t.is_empty())
        .or_else(|| title_from_content(&text[body_start..]))
        .unwrap_or_else(|| title_from_id(&id));
    let lang = meta
        .lang
        .unwrap_or_else(|| detect_lang(&text[body_start..]));
    let doc_type = meta
        .doc_type
        .clone()
        .unwrap_or_else(|| "document".to_string());
    let chunks = chunk(&text, body_start, &title, limits)
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let body = text[d.start..d.end].to_string();
            // Trailing blank lines belong to no page's text (an empty next page must not
            // be cited).
            let end = d.start + body.trim_end().len().max(1).min(body.len());
            let mut breadcrumb = vec![title.clone()];
            breadcrumb.extend(d.path);
            Chunk {
                id: chunk_id(&id, i as u32),
                doc_id: id.clone(),
                ordinal: i as u32,
                breadcrumb,
                article: d.article,
                clause: d.clause,
                note: d.note,
                amendment: d.amendment,
                start: d.start,
                end: d.end,
                lang: detect_lang(&body),
                text: body,
                pages: PageSpan::of(&pages, d.start, end),
                ocr: PageSpan::of(&pages, d.start, end).and_then(|span| ocr_info(&ocr, span)),
            }
        })
        .collect();
    Document {
        id,
        path,
        hash,
        title,
        doc_type,
        lang,
        meta,
        text,
        chunks,
        page_problems,
    }
}

/// The OCR provenance of a chunk on `span`: the mean word confidence over the pages of the
/// span that OCR read (word-weighted), `None` when none was.
fn ocr_info(ocr: &[Option<ocr::OcrPage>], span: PageSpan) -> Option<ocr::OcrInfo> {
    let read = (span.first..=span.last)
        .filter_map(|p| ocr.get(p.checked_sub(1)? as usize)?.as_ref())
        .collect::<Vec<_>>();
    let words: u32 = read.iter().map(|p| p.words).sum();
    (words > 0).then(|| {
        let sum: f64 = read.iter().map(|p| p.confidence_sum).sum();
        ocr::OcrInfo {
            confidence: ((sum / f64::from(words)) * 100.0).round() as f32 / 100.0,
        }
    })
}

/// Longest first line taken as a title; a longer one is a paragraph.
const MAX_TITLE_WORDS: usize = 20;

/// The title a document's own text gives: its first heading (Markdown, or what the HTML
/// and PDF loaders made of `<h1>` and large type), else its first line when that reads as
/// a title (short, not an article or clause marker). Law pages saved as text start with
/// the law's name, and a query naming the law must find it, not the file name.
fn title_from_content(body: &str) -> Option<String> {
    let heading = body.lines().find_map(|l| {
        let t = l.trim_start();
        let hashes = t.len() - t.trim_start_matches('#').len();
        ((1..=6).contains(&hashes) && t[hashes..].starts_with([' ', '\t']))
            .then(|| structure::title_text(&t[hashes..]))
            .filter(|t| !t.is_empty())
    });
    if heading.is_some() {
        return heading;
    }
    let first = body.lines().find(|l| !l.trim().is_empty())?;
    let text = structure::display_text(first);
    let is_title = !text.is_empty()
        && text.split_whitespace().count() <= MAX_TITLE_WORDS
        && structure::classify(first).is_none()
        && !text.ends_with(['.', '؛', ':', '!', '?', '؟']);
    is_title.then(|| structure::title_text(first))
}

#[cfg(test)]
mod tests;
