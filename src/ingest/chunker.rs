//! Structure-aware chunking: cuts a document body into passages along headings and
//! legal structure, each with its breadcrumb, article/clause numbers and byte span.
//!
//! Invariants (tested): chunks are in source order, spans lie inside the body and on
//! char boundaries, no chunk is blank or longer than `max_chars`, and every byte of the
//! body lies in at least one chunk, except blank runs longer than a chunk (a file padded
//! with whitespace), which carry nothing to find or cite. Long sections are split on
//! sentence edges with an overlap, so the one place spans overlap is there.

use super::structure::{classify, Marker};
use crate::text::sentence::sentence_spans;

/// Size bounds, in characters.
#[derive(Debug, Clone, Copy)]
pub struct ChunkLimits {
    /// A section longer than this is split.
    pub max_chars: usize,
    /// Pieces of a split section aim at this size.
    pub target_chars: usize,
    /// How much of the previous piece a split piece repeats.
    pub overlap_chars: usize,
}

impl Default for ChunkLimits {
    fn default() -> Self {
        ChunkLimits {
            max_chars: 1600,
            target_chars: 1000,
            overlap_chars: 200,
        }
    }
}

/// One chunk before it gets its document's ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkDraft {
    pub start: usize,
    pub end: usize,
    /// Headings and markers from the top of the document down to this chunk (the title excluded).
    pub path: Vec<String>,
    pub article: Option<String>,
    pub clause: Option<String>,
    pub note: Option<String>,
    /// The article's amendment note as its marker gives it («اصلاحی ۱۳۷۱/۰۸/۲۴»).
    pub amendment: Option<String>,
}

/// Where a structural level sits: Markdown headings by their level, markers below them.
#[derive(Debug, Clone)]
struct Frame {
    rank: usize,
    /// The document's first level-1 heading: its title, not a section.
    is_title: bool,
    label: String,
    article: Option<String>,
    clause: Option<String>,
    note: Option<String>,
    amendment: Option<String>,
}

impl Frame {
    fn marker(rank: usize, label: String) -> Frame {
        Frame {
            rank,
            is_title: false,
            label,
            article: None,
            clause: None,
            note: None,
            amendment: None,
        }
    }
}

const RANK_CHAPTER: usize = 10;
const RANK_ARTICLE: usize = 11;
const RANK_CLAUSE: usize = 12;
/// A تبصره belongs to its article, not to the clause before it.
const RANK_NOTE: usize = RANK_CLAUSE;
/// A numbered item («۱-») sits under its article, clause or note.
const RANK_ITEM: usize = 13;

struct Section {
    start: usize,
    /// Start of the text after the marker line, to tell heading-only sections apart.
    content_start: usize,
    frames: Vec<Frame>,
}

fn frames_to_draft(frames: &[Frame], start: usize, end: usize, title: &str) -> ChunkDraft {
    let mut draft = ChunkDraft {
        start,
        end,
        path: Vec::new(),
        article: None,
        clause: None,
        note: None,
        amendment: None,
    };
    for f in frames {
        if f.is_title || (draft.path.is_empty() && f.rank == 1 && f.label.trim() == title.trim()) {
            continue;
        }
        draft.path.push(f.label.clone());
        if f.article.is_some() {
            draft.article = f.article.clone();
            draft.amendment = f.amendment.clone();
            draft.clause = None;
            draft.note = None;
        }
        if f.clause.is_some() {
            draft.clause = f.clause.clone();
        }
        if f.note.is_some() {
            draft.note = f.note.clone();
        }
    }
    draft
}

/// Cuts `text[body_start..]` into chunks. `title` is left out of paths when the first
/// heading repeats it.
pub fn chunk(text: &str, body_start: usize, title: &str, limits: ChunkLimits) -> Vec<ChunkDraft> {
    let body = &text[body_start..];
    if body.trim().is_empty() {
        return Vec::new();
    }
    let mut sections: Vec<Section> = vec![Section {
        start: body_start,
        content_start: body_start,
        frames: Vec::new(),
    }];
    let mut stack: Vec<Frame> = Vec::new();
    let mut seen_h1 = false;
    let mut offset = body_start;
    for line in body.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let Some(marker) = classify(line.trim_end_matches(['\n', '\r'])) else {
            continue;
        };
        // A heading line is only a title; a marker line (بند «د»: ...) carries its text.
        let content_start = if matches!(marker, Marker::Heading { .. }) {
            offset
        } else {
            line_start
        };
        let frame = match marker {
            Marker::Heading { level, text, names } => Frame {
                is_title: level == 1 && !seen_h1,
                rank: level,
                label: text,
                article: names.article,
                clause: names.clause,
                note: names.note,
                amendment: names.amendment,
            },
            Marker::Chapter { label } => Frame::marker(RANK_CHAPTER, label),
            Marker::Article {
                label,
                number,
                amendment,
            } => Frame {
                article: Some(number),
                amendment,
                ..Frame::marker(RANK_ARTICLE, label)
            },
            Marker::Clause { label, number } => Frame {
                clause: Some(number),
                ..Frame::marker(RANK_CLAUSE, label)
            },
            Marker::Note { label, number } => Frame {
                note: Some(number),
                ..Frame::marker(RANK_NOTE, label)
            },
            Marker::Item { label, number } => {
                // A numbered item is structure only inside an article; elsewhere it is
                // an ordinary list. Under a lettered clause or a note it is a sub-item
                // and leaves their number in place.
                if !stack.iter().any(|f| f.article.is_some()) {
                    continue;
                }
                let nested = stack
                    .iter()
                    .any(|f| f.rank < RANK_ITEM && (f.clause.is_some() || f.note.is_some()));
                Frame {
                    clause: (!nested).then_some(number),
                    ..Frame::marker(RANK_ITEM, label)
                }
            }
        };
        seen_h1 |= frame.rank == 1;
        // A heading closes every marker under the previous heading; a marker closes
        // markers of its rank or deeper.
        stack.retain(|f| f.rank < frame.rank && !(frame.rank <= 6 && f.rank > 6));
        stack.push(frame);
        sections.push(Section {
            start: line_start,
            content_start,
            frames: stack.clone(),
        });
    }

    let mut drafts = Vec::new();
    // A heading with nothing under it belongs to the chunk that follows, unless that
    // chunk is in another article: then it stays a unit of its own, so that no chunk
    // holds two articles. (start, index of the section that left it pending)
    let mut pending: Option<(usize, usize)> = None;
    for (i, section) in sections.iter().enumerate() {
        let end = sections.get(i + 1).map_or(text.len(), |next| next.start);
        if section.start == end {
            continue;
        }
        if let Some((p_start, p)) = pending {
            let p_article = article_of(&sections[p].frames);
            if p_article.is_some() && p_article != article_of(&section.frames) {
                let draft = frames_to_draft(&sections[p].frames, p_start, section.start, title);
                split_long(text, draft, limits, &mut drafts);
                pending = None;
            }
        }
        let start = pending.take().map_or(section.start, |(s, _)| s);
        let has_content = !text[section.content_start.min(end)..end].trim().is_empty();
        let is_last = i + 1 == sections.len();
        if !has_content && !is_last {
            pending = Some((start, i));
            continue;
        }
        let draft = frames_to_draft(&section.frames, start, end, title);
        split_long(text, draft, limits, &mut drafts);
    }
    drafts
}

/// The article a section is in: the deepest frame that names one.
fn article_of(frames: &[Frame]) -> Option<&str> {
    frames.iter().rev().find_map(|f| f.article.as_deref())
}

/// Pushes `draft`, split on sentence edges into overlapping pieces when it is too long.
///
/// Each piece ends at the last sentence start between half and all of the target size
/// (or at the target itself in text without sentence ends, such as a huge line); the next
/// piece starts at the first sentence start within `overlap_chars` before that end. Every
/// piece therefore advances by at least half the target minus the overlap.
fn split_long(text: &str, draft: ChunkDraft, limits: ChunkLimits, out: &mut Vec<ChunkDraft>) {
    let cuts: Vec<usize> = sentence_spans(&text[draft.start..draft.end])
        .into_iter()
        .map(|(s, _)| draft.start + s)
        .collect();
    let mut start = draft.start;
    let mut pushed = false;
    loop {
        // Counting stops past the limit: a huge line must not be counted whole per piece.
        if text[start..draft.end]
            .chars()
            .nth(limits.max_chars)
            .is_none()
        {
            // A blank remainder after earlier pieces is a blank run, not a chunk.
            if !pushed || !text[start..draft.end].trim().is_empty() {
                out.push(ChunkDraft {
                    start,
                    end: draft.end,
                    ..draft.clone()
                });
            }
            return;
        }
        let lo = advance_chars(text, start, limits.target_chars / 2);
        let hi = advance_chars(text, start, limits.target_chars);
        // The last sentence start in lo..=hi (cuts are sorted).
        let end = match cuts.partition_point(|&c| c <= hi) {
            0 => hi,
            n if cuts[n - 1] >= lo => cuts[n - 1],
            _ => hi,
        };
        if text[start..end].trim().is_empty() {
            // A blank run longer than a piece: skipped to the next text, not made a chunk.
            match text[end..draft.end].find(|c: char| !c.is_whitespace()) {
                Some(at) => {
                    start = end + at;
                    continue;
                }
                None => return,
            }
        }
        out.push(ChunkDraft {
            start,
            end,
            ..draft.clone()
        });
        pushed = true;
        let overlap_from = back_chars(text, end, limits.overlap_chars).max(lo);
        // The first sentence start in overlap_from..end.
        start = match cuts.partition_point(|&c| c < overlap_from) {
            n if n < cuts.len() && cuts[n] < end => cuts[n],
            _ => overlap_from,
        };
    }
}

fn advance_chars(text: &str, from: usize, n: usize) -> usize {
    text[from..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| from + i)
}

fn back_chars(text: &str, from: usize, n: usize) -> usize {
    if n == 0 {
        return from;
    }
    text[..from]
        .char_indices()
        .rev()
        .nth(n - 1)
        .map_or(0, |(i, _)| i)
}
