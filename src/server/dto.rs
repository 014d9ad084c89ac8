//! The JSON shapes of the API: requests and responses, with their OpenAPI schemas.
//!
//! Built from the library's types here so the core never depends on the HTTP layer.
//! Server paths (a document's source file) are never part of a response.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::lexical::DocEntry;
use crate::search::json::HitJson;
use crate::search::Mode;

/// Query parameters of `GET /api/search` (documentation; parsed by the handler).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// What to search for: words, "exact phrases", +required, -excluded; «ماده ۶ بند د» or
    /// "article 6 clause d" jumps to that clause.
    q: String,
    /// Number of hits (1 to 100; default 10).
    k: Option<u16>,
    /// lexical, semantic or hybrid (default).
    mode: Option<String>,
    /// A metadata filter KEY=VALUE (doc_type, lang, year, status); repeat for several.
    filter: Option<Vec<String>>,
    /// true to add each hit's explain data (ranks and scores of both retrievers).
    explain: Option<bool>,
}

/// The answer to `GET /api/search`, a view of the results (nothing is copied).
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse<'a> {
    /// The query as sent.
    pub query: String,
    /// The retriever that ran (lexical when semantic search is unavailable).
    #[schema(value_type = String, example = "hybrid")]
    pub mode: Mode,
    /// Set when the requested mode could not run and another did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<&'a str>,
    /// Set when the query names a unit («ماده ۹۹ قانون ...») that the named law lacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
    /// The filters applied, by key.
    pub filters: BTreeMap<String, String>,
    /// True when no query term matched anywhere and the semantic similarity is low: the
    /// hits are only the nearest passages, not matches («نتیجهٔ دقیقی یافت نشد»).
    pub no_exact_match: bool,
    /// With `explain=true` in hybrid mode: the semantic weight chosen for this query and the
    /// signals behind it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fusion: Option<&'a crate::search::FusionChoice>,
    /// The hits, best first.
    pub hits: Vec<HitJson<'a>>,
}

/// A document in the index.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentJson {
    /// The document's id.
    pub doc_id: String,
    /// Its title.
    pub title: String,
    /// Its type (law, regulation, standard, ...).
    pub doc_type: String,
    /// `fa` or `en`.
    pub lang: String,
    /// Year of enactment or publication, when known.
    pub year: Option<u32>,
    /// In force, repealed, draft, ... when given.
    pub status: Option<String>,
    /// Its passages.
    pub chunks: u32,
    /// Size of the document's text in bytes.
    pub bytes: u64,
    /// Uploaded through the API (editors may delete it) rather than indexed from a folder.
    pub uploaded: bool,
}

impl DocumentJson {
    /// The JSON of a manifest entry.
    pub fn new(doc_id: &str, e: &DocEntry, uploaded: bool) -> DocumentJson {
        DocumentJson {
            doc_id: doc_id.to_string(),
            title: e.title.clone(),
            doc_type: e.doc_type.clone(),
            lang: e.lang.code().to_string(),
            year: e.year,
            status: e.status.clone(),
            chunks: e.chunks,
            bytes: e.bytes,
            uploaded,
        }
    }
}

/// The answer to `GET /api/documents`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    /// Every indexed document, by id.
    pub documents: Vec<DocumentJson>,
}

/// A full passage, for citations and the "open source" link: the stored passage itself
/// (its `source` path is never serialized).
pub type ChunkJson = crate::lexical::Passage;

/// A document with its passages, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentDetail {
    /// The document.
    pub document: DocumentJson,
    /// Its passages in text order.
    pub chunks: Vec<ChunkJson>,
}

/// The multipart form of `POST /api/documents`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: .md (front matter allowed), .txt or .html, UTF-8. Its name (without
    /// extension) becomes the document id; uploading the same name again replaces it.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// What an upload did.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResponse {
    /// The id the upload got (its file name without extension).
    pub doc_id: String,
    /// Its title.
    pub title: String,
    /// Passages it was cut into.
    pub chunks: u32,
    /// An earlier upload with the same name was replaced.
    pub replaced: bool,
    /// Passages embedded for semantic search.
    pub embedded: usize,
    /// Pages of a PDF left out, each with its reason («page 3: OCR found no text on it»);
    /// the rest of the file is indexed. Absent when none were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pages_skipped: Vec<String>,
}

/// What a delete did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeleteResponse {
    /// The id asked for.
    pub doc_id: String,
    /// Whether a document by that id was there and is gone now.
    pub deleted: bool,
    /// The uploaded file was removed too (documents from indexed folders keep their files).
    pub file_removed: bool,
}

/// One text or several.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum EmbeddingInput {
    /// A single text.
    One(String),
    /// Several texts, embedded in one batch.
    Many(Vec<String>),
}

/// `POST /v1/embeddings`, as in OpenAI's API.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingRequest {
    /// The text or texts to embed.
    pub input: EmbeddingInput,
    /// Accepted for compatibility; the server's own model answers.
    #[serde(default)]
    pub model: Option<String>,
    /// Only "float" is supported.
    #[serde(default)]
    pub encoding_format: Option<String>,
    /// Accepted for compatibility; ignored.
    #[serde(default)]
    pub user: Option<String>,
    /// envkb's extension: "query" for search queries, "passage" (default) for documents
    /// (E5 embeds the two with different prefixes).
    #[serde(default)]
    pub input_type: Option<String>,
}

/// One embedding.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingData {
    /// Always "embedding".
    #[schema(value_type = String)]
    pub object: &'static str,
    /// Position of its text in the input.
    pub index: usize,
    /// An L2-normalized vector.
    pub embedding: Vec<f32>,
}

/// Token counts, as OpenAI reports them.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingUsage {
    /// Tokens the encoder read.
    pub prompt_tokens: usize,
    /// The same (an encoder generates none).
    pub total_tokens: usize,
}

/// The answer to `POST /v1/embeddings`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmbeddingResponse {
    /// Always "list".
    #[schema(value_type = String)]
    pub object: &'static str,
    /// One embedding per input text, in order.
    pub data: Vec<EmbeddingData>,
    /// The model that made them.
    pub model: String,
    /// Token counts.
    pub usage: EmbeddingUsage,
}

/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(value_type = String)]
    /// Always "ok": the process answers.
    pub status: &'static str,
}

/// `GET /readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// Whether searches can run now.
    pub ready: bool,
    /// Whether the index opened.
    pub index: bool,
    /// Whether an embedding model is loaded.
    pub model: bool,
    /// Semantic search can run (model loaded and vectors of this model in the index).
    pub semantic: bool,
    /// Documents in the index.
    pub documents: usize,
    /// Chunks in the index.
    pub chunks: u64,
    /// What is missing, when not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
