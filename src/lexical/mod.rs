//! The lexical side: a tantivy index of chunks, BM25 search with field boosts, phrase
//! queries, article/clause lookups, filters and highlighted snippets.
//!
//! Owns the index directory (tantivy files plus the manifest of indexed documents) and
//! the single writer. It does not read files (`ingest` does) or fuse rankings.

mod compile;
pub mod dir;
pub mod filter;
pub mod manifest;
pub mod query;
mod reader;
pub mod schema;
pub mod snippet;
pub(crate) mod units;
mod writer;

use std::path::{Path, PathBuf};

use serde::Serialize;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, ReloadPolicy};
use thiserror::Error;
use utoipa::ToSchema;

pub use compile::CompiledQuery;
pub use filter::{FilterError, Filters};
pub use manifest::{Companions, DocEntry, Manifest};
pub use query::{parse as parse_query, Lookup, Occurrence, ParsedQuery, QueryError};
pub use reader::RankedChunk;
pub use schema::Fields;
pub use snippet::Snippet;
pub use units::{UnitRef, UnitRequest};
pub use writer::IndexSession;

use crate::fault::{ErrorKind, Fault};
use crate::text::{Analyzer, AnalyzerOptions, EnvkbTokenizer, Lang, ANALYZER_NAME};

/// Errors of the lexical index.
#[derive(Debug, Error)]
pub enum LexicalError {
    #[error(
        "no index at {0}: build one with `envkb index PATH` (or point --index / ENVKB_INDEX at it)"
    )]
    /// Nothing to open at this folder.
    NoIndex(PathBuf),
    #[error("another envkb process is writing to the index at {0}; wait for it to finish")]
    /// Another process holds tantivy's writer lock.
    Locked(PathBuf),
    #[error("the index at {dir} was made by an incompatible envkb (format {found}, expected {expected}); rebuild it: remove that folder and run `envkb index PATH` again")]
    /// Written by an envkb with another index format.
    Format {
        /// The index folder.
        dir: PathBuf,
        /// The format the folder holds (0 when its schema differs).
        found: u32,
        /// The format this build reads.
        expected: u32,
    },
    #[error("the index at {dir} is damaged: {detail}")]
    /// The folder is an index but cannot be read.
    Corrupt {
        /// The index folder.
        dir: PathBuf,
        /// What tantivy or the manifest check found wrong.
        detail: String,
    },
    #[error(transparent)]
    /// The query text cannot be parsed.
    Query(#[from] QueryError),
    #[error(transparent)]
    /// A filter is malformed.
    Filter(#[from] FilterError),
    #[error("{dir} is not an envkb index and not empty (it holds {found}); point --index at an empty or new folder")]
    /// The folder holds files that are not an index's.
    NotAnIndex {
        /// The folder.
        dir: PathBuf,
        /// Some of the files in it, for the message.
        found: String,
    },
    #[error("index I/O failed: {0}")]
    /// Reading or writing the folder failed.
    Io(#[from] std::io::Error),
    #[error("index engine failed: {0}")]
    /// tantivy failed underneath.
    Tantivy(#[from] tantivy::TantivyError),
}

impl LexicalError {
    /// What kind of failure this is: queries are the caller's, the index's place and format
    /// the operator's, damage and I/O ours.
    pub fn kind(&self) -> ErrorKind {
        match self {
            LexicalError::Query(_) | LexicalError::Filter(_) => ErrorKind::BadRequest,
            LexicalError::NoIndex(_)
            | LexicalError::NotAnIndex { .. }
            | LexicalError::Format { .. } => ErrorKind::Setup,
            LexicalError::Locked(_) => ErrorKind::Unavailable,
            LexicalError::Corrupt { .. } | LexicalError::Io(_) | LexicalError::Tantivy(_) => {
                ErrorKind::Internal
            }
        }
    }

    /// Whether the user can fix this.
    pub fn is_user_fault(&self) -> bool {
        self.kind().fault() == Fault::User
    }
}

type Result<T> = std::result::Result<T, LexicalError>;

/// Relative weights of the searched fields; measured on the bench data (docs/BENCHMARKS.md).
#[derive(Debug, Clone, Copy)]
pub struct FieldBoosts {
    /// Weight of the passage text.
    pub body: f32,
    /// Weight of the document title.
    pub title: f32,
    /// Weight of the heading path down to the passage.
    pub breadcrumb: f32,
    /// Added to a chunk whose article (or clause) number the query names.
    pub lookup: f32,
    /// Weight of Persian pair terms (two neighbouring words joined) relative to words.
    pub pair: f32,
}

impl Default for FieldBoosts {
    fn default() -> Self {
        FieldBoosts {
            body: 1.0,
            title: 0.25,
            breadcrumb: 0.5,
            lookup: 8.0,
            pair: 0.25,
        }
    }
}

/// One indexed chunk as stored: what a hit, a citation and the chunk route all show. It is
/// also the JSON of a whole passage (`GET /api/chunks/{id}`, a document's chunks), where
/// the server path of the source file is never sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ChunkJson)]
pub struct Passage {
    /// `doc_id#n`, stable while the document is unchanged.
    pub chunk_id: String,
    /// The document's id (its file name without extension).
    pub doc_id: String,
    /// The document's title.
    pub title: String,
    /// Title, headings and legal markers down to this passage.
    pub breadcrumb: Vec<String>,
    /// The whole passage.
    pub text: String,
    /// `fa` or `en`.
    pub lang: String,
    /// The document type from its front matter (law, regulation, standard, ...).
    pub doc_type: String,
    /// Year of enactment or publication, when known.
    pub year: Option<u32>,
    /// In force, repealed, draft, ... as the front matter says.
    pub status: Option<String>,
    /// The article (ماده) number the passage is in, canonical («10 مکرر»).
    pub article: Option<String>,
    /// The clause (بند) letter or number, or an ISO clause number.
    pub clause: Option<String>,
    /// The note (تبصره) number; empty for an unnumbered note.
    pub note: Option<String>,
    /// Byte span of the passage in its document's text.
    pub start: u64,
    /// End of that span (exclusive).
    pub end: u64,
    /// The file the document was indexed from; shown by the CLI, never sent over HTTP.
    #[serde(skip)]
    #[schema(ignore)]
    pub source: String,
    /// Source page of a PDF passage: a number, or `[first, last]` when it spans pages.
    #[serde(
        rename = "page",
        skip_serializing_if = "Option::is_none",
        with = "crate::ingest::page_json"
    )]
    #[schema(value_type = Option<Object>)]
    pub pages: Option<crate::ingest::PageSpan>,
    /// Present when the passage was read by OCR from a scanned page: `{"confidence": 0.91}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr: Option<crate::ingest::ocr::OcrInfo>,
}

/// One chunk found by a search: the stored passage with what the query made of it.
/// Reads through to the passage's fields (`hit.title`), which is all most callers need.
#[derive(Debug, Clone)]
pub struct LexicalHit {
    /// The chunk as stored.
    pub passage: Passage,
    /// The ranking score (BM25, or the fused score once fused).
    pub score: f32,
    /// An excerpt around the query's terms, with their byte ranges.
    pub snippet: Snippet,
    /// The query terms found in this chunk (normalized forms).
    pub matched_terms: Vec<String>,
}

impl std::ops::Deref for LexicalHit {
    type Target = Passage;
    fn deref(&self) -> &Passage {
        &self.passage
    }
}

/// An open index directory.
pub struct LexicalIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    manifest: Manifest,
    boosts: FieldBoosts,
}

const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;
const BREADCRUMB_SEPARATOR: &str = " > ";
/// Snippet length in bytes (about 120 Persian or 240 Latin characters).
const SNIPPET_BYTES: usize = 320;

impl LexicalIndex {
    /// Opens an existing index; [`LexicalError::NoIndex`] when there is none.
    pub fn open(dir: &Path) -> Result<LexicalIndex> {
        let state = dir::inspect(dir)?;
        if let Some(refused) = dir::refusal(dir, &state) {
            return Err(refused);
        }
        if state == dir::DirState::Vacant {
            return Err(LexicalError::NoIndex(dir.to_path_buf()));
        }
        Self::open_or_create(dir, AnalyzerOptions::default())
    }

    /// Opens the index in `dir`, creating it (with `options`) when absent. An existing
    /// index keeps the analyzer options it was built with.
    pub fn open_or_create(dir: &Path, options: AnalyzerOptions) -> Result<LexicalIndex> {
        // Only an absent or empty folder becomes a new index (see `dir`).
        if let Some(refused) = dir::refusal(dir, &dir::inspect(dir)?) {
            return Err(refused);
        }
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = Fields::build();
        let index = if dir.join("meta.json").exists() {
            Index::open_in_dir(dir).map_err(|e| corrupt(dir, e))?
        } else {
            Index::create_in_dir(dir, schema.clone())?
        };
        if index.schema() != schema {
            return Err(LexicalError::Format {
                dir: dir.to_path_buf(),
                found: 0,
                expected: manifest::FORMAT_VERSION,
            });
        }
        let metas = index.load_metas().map_err(|e| corrupt(dir, e))?;
        let manifest = match metas.payload.as_deref() {
            None => Manifest::new(options),
            Some(p) => {
                let payload: manifest::Payload =
                    serde_json::from_str(p).map_err(|e| corrupt(dir, e))?;
                if payload.format != manifest::FORMAT_VERSION {
                    return Err(LexicalError::Format {
                        dir: dir.to_path_buf(),
                        found: payload.format,
                        expected: manifest::FORMAT_VERSION,
                    });
                }
                Manifest::read(dir, &payload.manifest).map_err(|e| corrupt(dir, e))?
            }
        };
        let analyzer = Analyzer::new(manifest.analyzer.into());
        index.tokenizers().register(
            ANALYZER_NAME,
            TextAnalyzer::from(EnvkbTokenizer::new(analyzer.clone())),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(LexicalIndex {
            dir: dir.to_path_buf(),
            index,
            reader,
            fields,
            analyzer,
            manifest,
            boosts: FieldBoosts::default(),
        })
    }

    /// The folder the index lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Verifies the checksum of every committed segment file (one read of the index);
    /// the error names the damaged or missing files.
    ///
    /// The check reads through a handle of its own on the directory, dropped at the end:
    /// reading through the index's handle would leave every page of every segment file
    /// mapped into the process (file-backed resident memory for as long as a server
    /// runs), while queries only ever read a small part of them.
    pub fn verify(&self) -> Result<()> {
        let own = Index::open_in_dir(&self.dir).map_err(|e| corrupt(&self.dir, e))?;
        dir::verify_segments(&self.dir, &own)
    }

    /// The documents of the generation this index was opened (or last committed) at.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The analyzer the index was built with, for analyzing queries and snippets the same way.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub(crate) fn set_boosts(&mut self, boosts: FieldBoosts) {
        self.boosts = boosts;
    }

    /// Bytes the index takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Starts the single writer. Changes become visible, all together, on [`IndexSession::commit`].
    pub fn begin(&mut self) -> Result<IndexSession<'_>> {
        let writer = self
            .index
            .writer_with_num_threads(1, WRITER_HEAP_BYTES)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => LexicalError::Locked(self.dir.clone()),
                other => LexicalError::Tantivy(other),
            })?;
        let manifest = self.manifest.clone();
        Ok(IndexSession {
            index: self,
            writer,
            manifest,
        })
    }
}

fn corrupt(dir: &Path, e: impl std::fmt::Display) -> LexicalError {
    LexicalError::Corrupt {
        dir: dir.to_path_buf(),
        detail: e.to_string(),
    }
}

/// Language code of a hit as a [`Lang`], for filters applied outside tantivy.
pub fn hit_lang(hit: &LexicalHit) -> Lang {
    Lang::parse(&hit.lang).unwrap_or(Lang::Fa)
}
