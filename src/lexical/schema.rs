//! The tantivy schema: which chunk fields are searched, filtered and stored.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};

use crate::text::ANALYZER_NAME;

/// Handles of every field, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `doc#n`, indexed whole for look-ups by id.
    pub chunk_id: Field,
    /// The document id, for per-document reads and deletes.
    pub doc_id: Field,
    /// The document title, analyzed and searched.
    pub title: Field,
    /// The heading path, analyzed and searched.
    pub breadcrumb: Field,
    /// The passage text, analyzed with positions for phrases.
    pub body: Field,
    /// Article number, whole, for look-ups.
    pub article: Field,
    /// Clause letter or number, whole.
    pub clause: Field,
    /// Note number, whole ("" for an unnumbered note).
    pub note: Field,
    /// Document type, for filters.
    pub doc_type: Field,
    /// Language code, for filters.
    pub lang: Field,
    /// Status, for filters.
    pub status: Field,
    /// Year, a fast field for range filters.
    pub year: Field,
    /// The file indexed from (stored only).
    pub source: Field,
    pub(crate) ordinal: Field,
    /// Byte offset of the passage in its document's text.
    pub start: Field,
    /// End of that span.
    pub end: Field,
    /// First and last source page of a chunk (PDFs); absent for formats without pages.
    pub page_first: Field,
    pub(crate) page_last: Field,
    /// Mean OCR word confidence (0–1) of a chunk read from a scanned page; absent otherwise.
    pub ocr_confidence: Field,
}

impl Fields {
    /// The schema every index is created with, and its field handles.
    pub fn build() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let analyzed = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(ANALYZER_NAME)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let keyword = STRING | STORED;
        let fields = Fields {
            chunk_id: b.add_text_field("chunk_id", keyword.clone()),
            doc_id: b.add_text_field("doc_id", keyword.clone()),
            title: b.add_text_field("title", analyzed.clone()),
            breadcrumb: b.add_text_field("breadcrumb", analyzed.clone()),
            body: b.add_text_field("body", analyzed),
            article: b.add_text_field("article", keyword.clone()),
            clause: b.add_text_field("clause", keyword.clone()),
            note: b.add_text_field("note", keyword.clone()),
            doc_type: b.add_text_field("doc_type", keyword.clone()),
            lang: b.add_text_field("lang", keyword.clone()),
            status: b.add_text_field("status", keyword),
            year: b.add_u64_field("year", NumericOptions::default().set_indexed().set_stored()),
            source: b.add_text_field("source", STORED),
            ordinal: b.add_u64_field("ordinal", STORED),
            start: b.add_u64_field("start", STORED),
            end: b.add_u64_field("end", STORED),
            page_first: b.add_u64_field("page_first", STORED),
            page_last: b.add_u64_field("page_last", STORED),
            ocr_confidence: b.add_f64_field("ocr_confidence", STORED),
        };
        (b.build(), fields)
    }
}
