//! The JSON of one search hit, shared by `envkb search --json` and `GET /api/search` so
//! the two contracts cannot drift apart. The only difference is the server path of the
//! source file: the CLI user owns it and sees it; an HTTP client never does.

use serde::Serialize;
use utoipa::ToSchema;

use super::Explain;
use crate::ingest::PageSpan;
use crate::lexical::LexicalHit;

/// One search hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitJson {
    pub rank: usize,
    pub doc_id: String,
    pub chunk_id: String,
    pub title: String,
    /// Title, headings and legal markers down to this passage.
    pub breadcrumb: Vec<String>,
    /// An excerpt of the passage.
    pub snippet: String,
    /// Byte ranges `[start, end)` of `snippet` (UTF-8) that matched the query.
    #[schema(value_type = Vec<Vec<usize>>)]
    pub highlights: Vec<[usize; 2]>,
    pub score: f32,
    pub doc_type: String,
    pub lang: String,
    pub year: Option<u32>,
    pub status: Option<String>,
    pub article: Option<String>,
    pub clause: Option<String>,
    /// Byte span of the passage in its document's text.
    pub start: u64,
    pub end: u64,
    /// The file the document was indexed from (command line only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub matched_terms: Vec<String>,
    /// Source page of a PDF passage: a number, or `[first, last]` when it spans pages.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "crate::ingest::page_json"
    )]
    #[schema(value_type = Option<Object>)]
    pub page: Option<PageSpan>,
    /// Present when the passage was read by OCR from a scanned page: `{"confidence": 0.91}`,
    /// the mean Tesseract word confidence (0–1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr: Option<crate::ingest::ocr::OcrInfo>,
    /// Ranks and scores of both retrievers (when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explain>,
}

/// Whether a hit's JSON names the file it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Show,
    Hide,
}

impl HitJson {
    pub fn new(rank: usize, h: &LexicalHit, explain: Option<&Explain>, source: Source) -> HitJson {
        HitJson {
            rank,
            doc_id: h.doc_id.clone(),
            chunk_id: h.chunk_id.clone(),
            title: h.title.clone(),
            breadcrumb: h.breadcrumb.clone(),
            snippet: h.snippet.text.clone(),
            highlights: h.snippet.highlights.iter().map(|&(s, e)| [s, e]).collect(),
            score: h.score,
            doc_type: h.doc_type.clone(),
            lang: h.lang.clone(),
            year: h.year,
            status: h.status.clone(),
            article: h.article.clone(),
            clause: h.clause.clone(),
            start: h.start,
            end: h.end,
            source: (source == Source::Show).then(|| h.source.clone()),
            matched_terms: h.matched_terms.clone(),
            page: h.pages,
            ocr: h.ocr,
            explain: explain.cloned(),
        }
    }
}
