//! Citations and the rule that makes them trustworthy: a quote is cut from the stored chunk
//! text by byte offsets, never typed or generated, and every `[n]` marker in an answer has
//! exactly one citation numbered `n`.
//!
//! Owns the [`Citation`] type, the marker syntax and [`check`], which re-verifies a finished
//! answer against the chunk texts (used before an answer leaves [`super::ask`], by the
//! evaluation and by the tests). It does not choose what to cite.

use serde::{Deserialize, Serialize};

use crate::lexical::LexicalHit;

/// One numbered source of an answer: the passage and the exact span quoted from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Citation {
    /// The number used by the `[n]` marker in the answer, from 1.
    pub n: usize,
    /// The cited document's id, to open or fetch the whole document.
    pub doc_id: String,
    /// The cited passage's id (`doc_id#n`), whose stored text the offsets index.
    pub chunk_id: String,
    /// The cited document's title, to show beside the number.
    pub title: String,
    /// Title > headings > article/clause, as stored with the chunk.
    pub breadcrumb: Vec<String>,
    /// Exactly the chunk text's bytes `[start, end)`.
    pub quote: String,
    /// Byte offsets of the quote in the stored chunk text (not in the source file).
    pub start: usize,
    /// Byte offset just past the quote's last byte in the stored chunk text.
    pub end: usize,
    /// Source page of a PDF passage: a number, or `[first, last]` when it spans pages.
    #[serde(
        rename = "page",
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::ingest::page_json"
    )]
    #[schema(value_type = Option<Object>)]
    pub pages: Option<crate::ingest::PageSpan>,
    /// Present when the passage was read by OCR from a scanned page: `{"confidence": 0.91}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr: Option<crate::ingest::ocr::OcrInfo>,
}

impl Citation {
    /// The citation of `hit`'s text `[start, end)`; `None` when the span is empty, out of
    /// range or not on character boundaries, so an invalid quote cannot be built.
    pub fn from_span(n: usize, hit: &LexicalHit, start: usize, end: usize) -> Option<Citation> {
        if start >= end {
            return None;
        }
        let quote = hit.text.get(start..end)?;
        Some(Citation {
            n,
            doc_id: hit.doc_id.clone(),
            chunk_id: hit.chunk_id.clone(),
            title: hit.title.clone(),
            breadcrumb: hit.breadcrumb.clone(),
            quote: quote.to_string(),
            start,
            end,
            pages: hit.pages,
            ocr: hit.ocr,
        })
    }
}

/// A passage shown for further reading, without a claim that it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeeAlso {
    /// The document's id, to open it.
    pub doc_id: String,
    /// The passage's id (`doc_id#n`).
    pub chunk_id: String,
    /// The document's title, to show.
    pub title: String,
    /// Title > headings > article/clause, so the reader sees where in the document it is.
    pub breadcrumb: Vec<String>,
}

impl SeeAlso {
    /// The further-reading entry for a retrieved passage.
    pub fn of(hit: &LexicalHit) -> SeeAlso {
        SeeAlso {
            doc_id: hit.doc_id.clone(),
            chunk_id: hit.chunk_id.clone(),
            title: hit.title.clone(),
            breadcrumb: hit.breadcrumb.clone(),
        }
    }
}

/// The marker text for citation `n`.
pub fn marker(n: usize) -> String {
    format!("[{n}]")
}

/// The `[n]` markers in `text` (ASCII digits, n ≥ 1) as (byte range, n), in order.
pub fn markers(text: &str) -> Vec<(std::ops::Range<usize>, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'[' {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let close = i + 1 + digits;
            if digits > 0 && digits <= 6 && bytes.get(close) == Some(&b']') {
                if let Ok(n) = text[i + 1..close].parse::<usize>() {
                    if n >= 1 {
                        out.push((i..close + 1, n));
                        i = close + 1;
                        continue;
                    }
                }
            }
        }
        i += 1;
    }
    out
}

/// Removes from `text` anything that reads as a marker, including bracketed digits of
/// other scripts («[۱]», footnote marks in wiki text), so a quoted sentence cannot carry a
/// marker that points nowhere.
pub fn strip_bracketed_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let digits: usize = after
            .chars()
            .take_while(|c| c.is_numeric())
            .map(char::len_utf8)
            .sum();
        if digits > 0 && after[digits..].starts_with(']') {
            out.push_str(&rest[..open]);
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..open + 1]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Checks an answer's citations: numbered 1..=len once each, every marker in `answer`
/// naming one of them and every citation used by a marker, and every quote equal to the
/// bytes `[start, end)` of its chunk's stored text as `chunk_text` returns it. Returns
/// one message per problem; empty means valid.
pub fn check(
    answer: &str,
    citations: &[Citation],
    mut chunk_text: impl FnMut(&str) -> Option<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, c) in citations.iter().enumerate() {
        if c.n != i + 1 {
            problems.push(format!("citation {} is numbered {}", i + 1, c.n));
        }
        match chunk_text(&c.chunk_id) {
            None => problems.push(format!("[{}]: chunk {} does not exist", c.n, c.chunk_id)),
            Some(text) => match text.get(c.start..c.end) {
                Some(q) if q == c.quote && c.start < c.end => {}
                _ => problems.push(format!(
                    "[{}]: quote is not the text at {}..{} of {}",
                    c.n, c.start, c.end, c.chunk_id
                )),
            },
        }
    }
    let used = markers(answer);
    for (_, n) in &used {
        if *n == 0 || *n > citations.len() {
            problems.push(format!("marker [{n}] has no citation"));
        }
    }
    for c in citations {
        if !used.iter().any(|(_, n)| *n == c.n) {
            problems.push(format!("citation [{}] is not referenced", c.n));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(text: &str) -> LexicalHit {
        LexicalHit {
            passage: crate::lexical::Passage {
                chunk_id: "fa/doc#0".into(),
                doc_id: "fa/doc".into(),
                title: "قانون".into(),
                breadcrumb: vec!["قانون".into(), "ماده ۶".into()],
                doc_type: "law".into(),
                lang: "fa".into(),
                year: None,
                status: None,
                article: Some("6".into()),
                clause: None,
                note: None,
                start: 0,
                end: text.len() as u64,
                source: String::new(),
                text: text.into(),
                pages: None,
                ocr: None,
            },
            score: 1.0,
            snippet: crate::lexical::Snippet {
                text: String::new(),
                highlights: Vec::new(),
            },
            matched_terms: Vec::new(),
        }
    }

    #[test]
    fn quotes_are_cut_on_char_boundaries_only() {
        let h = hit("سازمان موظف است. Next sentence.");
        let c = Citation::from_span(1, &h, 0, "سازمان موظف است.".len()).unwrap();
        assert_eq!(c.quote, "سازمان موظف است.");
        assert!(
            Citation::from_span(1, &h, 1, 5).is_none(),
            "inside a letter"
        );
        assert!(Citation::from_span(1, &h, 5, 5).is_none(), "empty");
        assert!(
            Citation::from_span(1, &h, 0, 10_000).is_none(),
            "out of range"
        );
    }

    #[test]
    fn markers_are_ascii_bracketed_numbers() {
        let m = markers("الف [1] و [23]، [0] [x] [۱] [12a] [3]");
        let ns: Vec<usize> = m.iter().map(|(_, n)| *n).collect();
        assert_eq!(ns, vec![1, 23, 3]);
        assert_eq!(
            strip_bracketed_numbers("Tehran[1] is big [۲]. Keep [a] and [ x]"),
            "Tehran is big . Keep [a] and [ x]"
        );
    }

    #[test]
    fn check_finds_every_kind_of_broken_citation() {
        let h = hit("سازمان موظف است. Next sentence.");
        let text = h.text.clone();
        let lookup = |id: &str| (id == "fa/doc#0").then(|| text.clone());
        let c1 = Citation::from_span(1, &h, 0, "سازمان موظف است.".len()).unwrap();
        assert!(check("A [1].", std::slice::from_ref(&c1), lookup).is_empty());
        assert_eq!(check("A [2].", std::slice::from_ref(&c1), lookup).len(), 2);
        let mut forged = c1.clone();
        forged.quote = "سازمان موظف نیست.".into();
        assert_eq!(check("A [1].", &[forged], lookup).len(), 1);
        let mut missing = c1.clone();
        missing.chunk_id = "fa/other#3".into();
        assert_eq!(check("A [1].", &[missing], lookup).len(), 1);
        let mut renumbered = c1;
        renumbered.n = 2;
        assert!(!check("A [2].", &[renumbered], lookup).is_empty());
    }
}
