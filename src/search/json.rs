//! The JSON of one search hit, shared by `envkb search --json` and `GET /api/search` so
//! the two contracts cannot drift apart. The only difference is the server path of the
//! source file: the CLI user owns it and sees it; an HTTP client never does.

use serde::Serialize;
use utoipa::ToSchema;

use super::Explain;
use crate::ingest::PageSpan;
use crate::lexical::LexicalHit;

/// One search hit: a view of the hit's passage in the order the search contract gives
/// its fields (the passage itself is [`crate::lexical::Passage`]; nothing is copied).
#[derive(Debug, Serialize, ToSchema)]
pub struct HitJson<'a> {
    /// 1 for the best hit.
    pub rank: usize,
    /// The document's id.
    pub doc_id: &'a str,
    /// `doc_id#n`, the id to cite or fetch the passage by.
    pub chunk_id: &'a str,
    /// The document's title.
    pub title: &'a str,
    /// Title, headings and legal markers down to this passage.
    pub breadcrumb: &'a [String],
    /// An excerpt of the passage.
    pub snippet: &'a str,
    /// Byte ranges `[start, end)` of `snippet` (UTF-8) that matched the query.
    #[schema(value_type = Vec<Vec<usize>>)]
    pub highlights: Vec<[usize; 2]>,
    /// The score the hits are ranked by (fused in hybrid mode).
    pub score: f32,
    /// The document type (law, regulation, standard, ...).
    pub doc_type: &'a str,
    /// `fa` or `en`.
    pub lang: &'a str,
    /// Year of enactment or publication, when known.
    pub year: Option<u32>,
    /// In force, repealed, draft, ... as the front matter says.
    pub status: Option<&'a str>,
    /// The article (ماده) the passage is in.
    pub article: Option<&'a str>,
    /// The clause (بند) letter or number, or an ISO clause number.
    pub clause: Option<&'a str>,
    /// Byte span of the passage in its document's text.
    pub start: u64,
    /// End of that span (exclusive).
    pub end: u64,
    /// The file the document was indexed from (command line only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    /// The query terms found in the passage (normalized forms).
    pub matched_terms: &'a [String],
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
    pub explain: Option<&'a Explain>,
}

/// Whether a hit's JSON names the file it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The CLI: the user owns the files.
    Show,
    /// HTTP: server paths are never sent.
    Hide,
}

impl<'a> HitJson<'a> {
    /// The view of `h` at `rank`, with `explain` when asked for.
    pub fn new(
        rank: usize,
        h: &'a LexicalHit,
        explain: Option<&'a Explain>,
        source: Source,
    ) -> HitJson<'a> {
        let p = &h.passage;
        HitJson {
            rank,
            doc_id: &p.doc_id,
            chunk_id: &p.chunk_id,
            title: &p.title,
            breadcrumb: &p.breadcrumb,
            snippet: &h.snippet.text,
            highlights: h.snippet.highlights.iter().map(|&(s, e)| [s, e]).collect(),
            score: h.score,
            doc_type: &p.doc_type,
            lang: &p.lang,
            year: p.year,
            status: p.status.as_deref(),
            article: p.article.as_deref(),
            clause: p.clause.as_deref(),
            start: p.start,
            end: p.end,
            source: (source == Source::Show).then_some(p.source.as_str()),
            matched_terms: &h.matched_terms,
            page: p.pages,
            ocr: p.ocr,
            explain,
        }
    }
}
