//! Evidence selection: cuts the retrieved passages into candidate sentences (byte spans of
//! the stored chunk text), scores each against the question by embedding similarity and
//! word overlap, and keeps the best few that do not repeat each other.
//!
//! Owns the scoring formula and its weights ([`EvidenceConfig`], measured in
//! docs/BENCHMARKS.md). It does not retrieve, decide abstention or build citations.

use std::collections::HashSet;

use crate::embed::pool::cosine;
use crate::text::sentence::sentence_spans;
use crate::text::{Analyzer, TokenKind};

use super::citation::strip_bracketed_numbers;

/// Weights of the sentence score and how many sentences an answer keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvidenceConfig {
    /// Weight of the cosine between the question and the sentence embeddings.
    pub semantic_weight: f32,
    /// Weight of the share of question words found in the sentence.
    pub lexical_weight: f32,
    /// Weight of the passage's own retrieval similarity (context the sentence lacks).
    pub passage_weight: f32,
    /// Most sentences in an answer.
    pub max_sentences: usize,
    /// A further sentence is kept only when it scores within this of the best one.
    pub keep_margin: f32,
}

impl Default for EvidenceConfig {
    fn default() -> Self {
        EvidenceConfig {
            semantic_weight: 0.5,
            lexical_weight: 0.1,
            passage_weight: 0.4,
            max_sentences: 3,
            keep_margin: 0.03,
        }
    }
}

/// Longest quote in characters; a longer sentence is cut at a clause or word edge.
pub const MAX_QUOTE_CHARS: usize = 400;
/// Fewer words is a heading or a label, not a statement.
const MIN_WORDS: usize = 3;
/// Candidates scored per question (in passage rank, then text order), to bound the time
/// the encoder spends on one question.
pub const MAX_CANDIDATES: usize = 48;
/// Two sentences sharing more of their words than this say the same thing (chunk overlaps
/// repeat sentences; near-copies in two documents are common).
const DUPLICATE_JACCARD: f32 = 0.7;

/// Question words that ask, not name a topic; they never count as overlap.
const QUESTION_WORDS: &[&str] = &[
    "چگونه",
    "چطور",
    "چرا",
    "کجا",
    "کجاست",
    "کی",
    "چقدر",
    "چیه",
    "چی",
    "کسی",
    "چه",
    "گوید",
    "میگوید",
    "دارد",
    "هست",
    "هستند",
    "بود",
    "شد",
    "نام",
    "چیزی",
    "مورد",
    "درباره",
    "طبق",
    "according",
    "describe",
    "explain",
    "tell",
    "say",
    "sai",
    "mean",
    "much",
    "mani",
    "mention",
];

/// One candidate sentence of one passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Index of the passage in the retrieved list.
    pub passage: usize,
    /// Byte span in the passage's stored text.
    pub start: usize,
    pub end: usize,
    /// The sentence as shown in an answer: whitespace collapsed, footnote marks removed.
    pub display: String,
    pub lexical: f32,
    pub semantic: Option<f32>,
    pub score: f32,
}

/// The question words that count for overlap: analyzed terms minus question words.
pub fn question_terms(analyzer: &Analyzer, question: &str) -> HashSet<String> {
    analyzer
        .analyze(question)
        .into_iter()
        .filter(|t| t.kind == TokenKind::Word)
        .map(|t| t.text)
        .filter(|t| !QUESTION_WORDS.contains(&t.as_str()) && t.chars().count() > 1)
        .collect()
}

/// Share of `terms` found in `text` (any analyzed form: words, compounds, pairs).
pub fn overlap(analyzer: &Analyzer, terms: &HashSet<String>, text: &str) -> f32 {
    if terms.is_empty() {
        return 0.0;
    }
    let found: HashSet<String> = analyzer.analyze(text).into_iter().map(|t| t.text).collect();
    terms.iter().filter(|t| found.contains(*t)).count() as f32 / terms.len() as f32
}

/// One sentence of a chunk's stored text, as an answer may quote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// Byte span in the chunk's stored text.
    pub start: usize,
    pub end: usize,
    /// The sentence as shown in an answer: whitespace collapsed, footnote marks removed.
    pub display: String,
}

/// Every sentence of one chunk text that can be evidence, in text order: sentence spans,
/// long ones cut, markup stripped, headings and labels (under [`MIN_WORDS`] words) left out.
/// The one splitter of the crate: the indexer embeds exactly these sentences, so an answer
/// finds a stored vector for every candidate.
pub fn chunk_sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    for (s, e) in sentence_spans(text) {
        for (s, e) in split_long(text, s, e) {
            let Some((s, e)) = strip_markup(text, s, e) else {
                continue;
            };
            let display = display_form(&text[s..e]);
            if word_set(&display).len() < MIN_WORDS {
                continue;
            }
            out.push(Sentence {
                start: s,
                end: e,
                display,
            });
        }
    }
    out
}

/// Candidate sentences of `passages` (stored chunk texts, best first), up to
/// [`MAX_CANDIDATES`], duplicates (the same words as an earlier candidate) dropped.
pub fn candidates(passages: &[&str]) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut seen: Vec<HashSet<String>> = Vec::new();
    for (p, text) in passages.iter().enumerate() {
        for Sentence {
            start,
            end,
            display,
        } in chunk_sentences(text)
        {
            let words = word_set(&display);
            if seen.iter().any(|w| jaccard(w, &words) > DUPLICATE_JACCARD) {
                continue;
            }
            seen.push(words);
            out.push(Candidate {
                passage: p,
                start,
                end,
                display,
                lexical: 0.0,
                semantic: None,
                score: 0.0,
            });
            if out.len() == MAX_CANDIDATES {
                return out;
            }
        }
    }
    out
}

/// Measures each candidate: `lexical` the overlap with `terms`, `semantic` (when the model
/// ran) the cosine of candidate i with the question, `semantic[i]`.
pub fn measure(
    cands: &mut [Candidate],
    analyzer: &Analyzer,
    terms: &HashSet<String>,
    semantic: Option<&[f32]>,
) {
    for (i, c) in cands.iter_mut().enumerate() {
        c.lexical = overlap(analyzer, terms, &c.display);
        c.semantic = semantic.map(|s| s[i]);
    }
}

/// Scores measured candidates with `cfg`; `passage_sim[p]` is the retrieval similarity of
/// passage p (0 when unknown). Without the model, overlap alone decides (abstention then
/// has its own threshold).
pub fn rescore(cands: &mut [Candidate], passage_sim: &[f32], cfg: &EvidenceConfig) {
    for c in cands.iter_mut() {
        let passage = passage_sim.get(c.passage).copied().unwrap_or(0.0);
        c.score = match c.semantic {
            Some(sem) => {
                cfg.semantic_weight * sem
                    + cfg.lexical_weight * c.lexical
                    + cfg.passage_weight * passage
            }
            None => c.lexical,
        };
    }
}

/// Cosines of each sentence vector with the question vector.
pub fn cosines(question: &[f32], sentences: &[Vec<f32>]) -> Vec<f32> {
    sentences.iter().map(|v| cosine(question, v)).collect()
}

/// The best candidates, best first: at most `max_sentences`, each further one within
/// `keep_margin` of the best and not repeating an earlier pick.
pub fn select(cands: &[Candidate], cfg: &EvidenceConfig) -> Vec<Candidate> {
    let mut order: Vec<&Candidate> = cands.iter().collect();
    order.sort_by(|a, b| b.score.total_cmp(&a.score));
    let Some(best) = order.first().map(|c| c.score) else {
        return Vec::new();
    };
    let mut picked: Vec<Candidate> = Vec::new();
    for c in order {
        if picked.len() >= cfg.max_sentences.max(1) || c.score < best - cfg.keep_margin {
            break;
        }
        picked.push(c.clone());
    }
    picked
}

/// Cuts a span longer than [`MAX_QUOTE_CHARS`] into pieces, each ending at the last clause
/// mark (، , ؛ ;) or else the last space before the limit.
fn split_long(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = start;
    while text[s..end].chars().count() > MAX_QUOTE_CHARS {
        let limit = text[s..end]
            .char_indices()
            .nth(MAX_QUOTE_CHARS)
            .map_or(end, |(i, _)| s + i);
        let window = &text[s..limit];
        let cut = window
            .rfind(['،', ',', '؛', ';'])
            .map(|i| i + window[i..].chars().next().map_or(1, char::len_utf8))
            .filter(|&i| i > window.len() / 3)
            .or_else(|| window.rfind(char::is_whitespace).filter(|&i| i > 0))
            .unwrap_or(window.len());
        out.push((s, s + cut));
        s += cut;
        while s < end && text[s..].starts_with(char::is_whitespace) {
            s += text[s..].chars().next().map_or(1, char::len_utf8);
        }
    }
    if s < end {
        out.push((s, end));
    }
    out
}

/// Drops list bullets, heading marks, quote marks and table bars at the edges of a span;
/// `None` when nothing is left.
fn strip_markup(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let piece = &text[start..end];
    let is_mark = |c: char| c.is_whitespace() || matches!(c, '#' | '-' | '*' | '•' | '>' | '|');
    let trimmed_start = piece.trim_start_matches(is_mark);
    let s = start + (piece.len() - trimmed_start.len());
    let trimmed = trimmed_start.trim_end_matches(|c: char| c.is_whitespace() || c == '|');
    let e = s + trimmed.len();
    (s < e).then_some((s, e))
}

/// A sentence as it reads in an answer: one line, footnote marks removed.
fn display_form(sentence: &str) -> String {
    strip_bracketed_numbers(sentence)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("**", "")
}

fn word_set(text: &str) -> HashSet<String> {
    crate::text::normalize(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f32 / union as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::AnalyzerOptions;

    #[test]
    fn candidates_are_sentences_without_markup_or_headings() {
        let text = "## ماده ۶\n\n- د) نقش آموزشی و آگاهی‌بخشی سازمان در حفاظت از محیط زیست.\nکوتاه.\n\nThe organization shall determine its aspects. The organization shall determine its aspects!";
        let c = candidates(&[text]);
        let shown: Vec<&str> = c.iter().map(|c| &text[c.start..c.end]).collect();
        assert_eq!(
            shown,
            vec![
                "د) نقش آموزشی و آگاهی‌بخشی سازمان در حفاظت از محیط زیست.",
                "The organization shall determine its aspects."
            ]
        );
        assert!(c.iter().all(|c| c.passage == 0));
    }

    #[test]
    fn long_sentences_are_cut_on_clause_edges_within_the_text() {
        let clause = "این یک بخش طولانی از یک جمله است که ادامه دارد، ";
        let text = clause.repeat(30);
        let spans = split_long(&text, 0, text.trim_end().len());
        assert!(spans.len() > 1);
        for &(s, e) in &spans {
            assert!(text[s..e].chars().count() <= MAX_QUOTE_CHARS);
            assert!(text[s..e].ends_with('،') || e == text.trim_end().len());
        }
        let spaceless = "x".repeat(MAX_QUOTE_CHARS * 2 + 5);
        let spans = split_long(&spaceless, 0, spaceless.len());
        assert_eq!(spans.len(), 3);
        assert_eq!(spans.last().unwrap().1, spaceless.len());
    }

    #[test]
    fn overlap_ignores_question_words_and_matches_spelling_variants() {
        let a = Analyzer::new(AnalyzerOptions::default());
        let t = question_terms(&a, "پسماندهای ويژه چگونه دفع می‌شوند؟");
        assert!(!t.contains("چگونه"));
        let full = overlap(&a, &t, "پسماند ویژه باید به روش ایمن دفع شود");
        let none = overlap(&a, &t, "Energy baseline and indicators");
        assert!(full > 0.5, "{full}");
        assert_eq!(none, 0.0);
    }

    #[test]
    fn selection_keeps_close_runners_up_only() {
        let cfg = EvidenceConfig::default();
        let mk = |score: f32, start: usize| Candidate {
            passage: 0,
            start,
            end: start + 1,
            display: String::new(),
            lexical: 0.0,
            semantic: None,
            score,
        };
        let picked = select(&[mk(0.5, 0), mk(0.9, 1), mk(0.89, 2), mk(0.7, 3)], &cfg);
        let starts: Vec<usize> = picked.iter().map(|c| c.start).collect();
        assert_eq!(starts, vec![1, 2]);
        assert!(select(&[], &cfg).is_empty());
    }
}
