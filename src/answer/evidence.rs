//! Evidence selection: cuts the retrieved passages into candidate sentences (byte spans of
//! the stored chunk text), scores each against the question with the fitted scorer
//! (`scorer`, over the features of `features`), and chooses what an answer quotes: the best
//! sentence with its neighbours in the same passage, never a heading or a sentence about
//! the document itself, from the unit the question names when it names one.
//!
//! Owns candidate cutting and the choice of quotes ([`EvidenceConfig`], measured in
//! docs/BENCHMARKS.md). It does not retrieve, decide abstention or build citations.

use std::collections::HashSet;

use crate::embed::pool::cosine;
use crate::lexical::{LexicalHit, Lookup};
use crate::text::sentence::sentence_spans;
use crate::text::{detect_lang, Analyzer, Lang, TokenKind};

use super::citation::strip_bracketed_numbers;
use super::features::{self, Facts, N_FEATURES};
use super::scorer::Scorer;

/// How many sentences an answer quotes and which join the best one (the sentence scores
/// themselves come from the fitted `scorer`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvidenceConfig {
    /// Most sentences in an answer.
    pub max_sentences: usize,
    /// A further sentence from another passage is kept only when it scores within this of
    /// the best one.
    pub keep_margin: f32,
    /// A neighbour of a quoted sentence in the same passage is quoted with it when it scores
    /// at least this share of the best sentence's score.
    pub neighbour_share: f32,
}

/// Chosen by replaying the training questions' candidates (`eval-answers --dump` of
/// parsinlu-train and bench/domain/train.jsonl; docs/BENCHMARKS.md "Composition: the best
/// passage's window"): the top sentence alone holds the answer for about half of them, its
/// window of up to four consecutive sentences for seven in ten, while sentences of other
/// passages mostly cost citation precision unless they score nearly as well.
impl Default for EvidenceConfig {
    fn default() -> Self {
        EvidenceConfig {
            max_sentences: 4,
            keep_margin: 0.1,
            neighbour_share: 0.05,
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
    /// Byte offset just past the sentence's end in the passage's stored text.
    pub end: usize,
    /// The sentence as shown in an answer: whitespace collapsed, footnote marks removed.
    pub display: String,
    /// Share of the question terms that the sentence holds (see [`measure`]).
    pub lexical: f32,
    /// Word overlap with question terms weighted by their rarity among the candidates.
    pub weighted: f32,
    /// Cosine of the sentence's vector with the question's; `None` when the model did not run.
    pub semantic: Option<f32>,
    /// How likely the sentence answers: what ranks candidates and decides abstention (see
    /// [`rescore`]).
    pub score: f32,
    /// The sentence goes on in the next candidate (it was cut for length).
    pub continues: bool,
    /// Reads as a heading or title, or speaks about the document itself: never quoted.
    pub unquotable: bool,
    /// Whether the passage is the unit (article, clause) the question names; `None` when it
    /// names none.
    pub in_named_unit: Option<bool>,
    /// The scorer's features (filled by [`featurize`]).
    pub features: [f32; N_FEATURES],
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
    /// Byte offset just past the sentence's end in the chunk's stored text.
    pub end: usize,
    /// The sentence as shown in an answer: whitespace collapsed, footnote marks removed.
    pub display: String,
    /// A long sentence was cut here and goes on in the next piece.
    pub continues: bool,
}

/// Every sentence of one chunk text that can be evidence, in text order: sentence spans,
/// long ones cut, markup stripped, headings and labels (under [`MIN_WORDS`] words) left out.
/// The one splitter of the crate: the indexer embeds exactly these sentences, so an answer
/// finds a stored vector for every candidate.
pub fn chunk_sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    for (s, e) in sentence_spans(text) {
        let pieces = split_long(text, s, e);
        let last = pieces.len().saturating_sub(1);
        for (i, (s, e)) in pieces.into_iter().enumerate() {
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
                continues: i < last,
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
            continues,
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
                weighted: 0.0,
                semantic: None,
                score: 0.0,
                continues,
                unquotable: false,
                in_named_unit: None,
                features: [0.0; N_FEATURES],
            });
            if out.len() == MAX_CANDIDATES {
                return out;
            }
        }
    }
    out
}

/// Measures each candidate: `lexical` the overlap with `terms`, `weighted` the same with
/// each term weighted by ln(1 + n / (1 + candidates holding it)), `semantic` (when the model
/// ran) the cosine of candidate i with the question, `semantic[i]`.
pub fn measure(
    cands: &mut [Candidate],
    analyzer: &Analyzer,
    terms: &HashSet<String>,
    semantic: Option<&[f32]>,
) {
    let found: Vec<HashSet<String>> = cands
        .iter()
        .map(|c| {
            analyzer
                .analyze(&c.display)
                .into_iter()
                .map(|t| t.text)
                .filter(|t| terms.contains(t))
                .collect()
        })
        .collect();
    let n = cands.len() as f32;
    let weight = |t: &String| {
        let df = found.iter().filter(|f| f.contains(t)).count() as f32;
        (1.0 + n / (1.0 + df)).ln()
    };
    let weights: Vec<(&String, f32)> = terms.iter().map(|t| (t, weight(t))).collect();
    let total: f32 = weights.iter().map(|(_, w)| w).sum();
    for (i, c) in cands.iter_mut().enumerate() {
        c.lexical = if terms.is_empty() {
            0.0
        } else {
            found[i].len() as f32 / terms.len() as f32
        };
        c.weighted = if total > 0.0 {
            weights
                .iter()
                .filter(|(t, _)| found[i].contains(*t))
                .map(|(_, w)| w)
                .sum::<f32>()
                / total
        } else {
            0.0
        };
        c.semantic = semantic.map(|s| s[i]);
    }
}

/// What the features need to know about the question.
pub struct QuestionContext<'a> {
    /// The question's language.
    pub lang: Lang,
    /// The kinds of answer the question asks for.
    pub asks: features::Asks,
    /// The article, clause or note the question refers to directly, if any.
    pub lookup: &'a Lookup,
    /// Unit numbers the question names (see [`features::named_units`]).
    pub units: Vec<String>,
    /// The question terms that count for overlap (see [`question_terms`]).
    pub terms: &'a HashSet<String>,
}

/// Fills each measured candidate's features and marks headings, titles and sentences about
/// the document as unquotable. `hits[p]` is passage p; `passage_sim[p]` its retrieval
/// similarity (0 when unknown).
pub fn featurize(
    cands: &mut [Candidate],
    hits: &[&LexicalHit],
    passage_sim: &[f32],
    q: &QuestionContext,
    analyzer: &Analyzer,
) {
    let best_cosine = cands
        .iter()
        .filter_map(|c| c.semantic)
        .fold(f32::NEG_INFINITY, f32::max);
    let best_overlap = cands.iter().map(|c| c.lexical).fold(0.0, f32::max);
    let best_weighted = cands.iter().map(|c| c.weighted).fold(0.0, f32::max);
    let crumb_overlap: Vec<f32> = hits
        .iter()
        .map(|h| overlap(analyzer, q.terms, &h.breadcrumb.join(" ")))
        .collect();
    let named: Vec<Option<bool>> = hits
        .iter()
        .map(|h| features::in_named_unit(q.lookup, &q.units, h))
        .collect();
    let mut seen_passage = usize::MAX;
    let mut previous_overlap = 0.0;
    for c in cands.iter_mut() {
        let hit = hits[c.passage];
        let holds = features::holds(&c.display);
        let text = hit.text.as_str();
        let line_start = text[..c.start].rfind('\n').map_or(0, |i| i + 1);
        let heading = features::heading_like(&c.display, &text[line_start..c.start], hit);
        c.unquotable = heading || holds.meta;
        c.in_named_unit = named[c.passage];
        let facts = Facts {
            cosine: c.semantic.unwrap_or(0.0),
            best_cosine: if best_cosine.is_finite() {
                best_cosine
            } else {
                0.0
            },
            passage_similarity: passage_sim.get(c.passage).copied().unwrap_or(0.0),
            passage_rank: c.passage,
            overlap: c.lexical,
            best_overlap,
            weighted_overlap: c.weighted,
            best_weighted_overlap: best_weighted,
            previous_overlap: if seen_passage == c.passage {
                previous_overlap
            } else {
                0.0
            },
            breadcrumb_overlap: crumb_overlap[c.passage],
            question_lang: Some(q.lang),
            sentence_lang: Some(detect_lang(&c.display)),
            in_named_unit: named[c.passage],
            asks: q.asks,
            holds,
            heading,
            first_in_passage: seen_passage != c.passage,
            chars: c.display.chars().count(),
        };
        seen_passage = c.passage;
        previous_overlap = c.lexical;
        c.features = features::vector(&facts);
    }
}

/// Scores featurized candidates: the scorer's probability when the model measured them,
/// else the word overlap alone (abstention then has its own threshold). Without the model,
/// a sentence of the unit the question names also counts the words of its breadcrumb
/// («ماده ۷ قانون ...» names the unit, not the sentence's words).
pub fn rescore(cands: &mut [Candidate], scorer: &Scorer, unit_overlap: impl Fn(&Candidate) -> f32) {
    for c in cands.iter_mut() {
        c.score = match (c.semantic, c.in_named_unit) {
            (Some(_), _) => scorer.probability(&c.features),
            (None, Some(true)) => c.lexical.max(unit_overlap(c)),
            (None, _) => c.lexical,
        };
    }
}

/// Cosines of each sentence vector with the question vector.
pub fn cosines(question: &[f32], sentences: &[Vec<f32>]) -> Vec<f32> {
    sentences.iter().map(|v| cosine(question, v)).collect()
}

/// One quote of an answer: a span of one passage, one or more consecutive candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// Index of the quoted passage in the retrieved list.
    pub passage: usize,
    /// Byte offset of the quote's start in the passage's stored text.
    pub start: usize,
    /// Byte offset just past the quote's end there.
    pub end: usize,
    /// The quoted sentences as they read in the answer.
    pub display: String,
    /// The best score among its sentences.
    pub score: f32,
}

/// Chooses what an answer quotes from scored candidates of `texts` (the passages' stored
/// texts), best quote first: the best quotable sentence (from the named unit when the
/// question names one and a passage is that unit), the rest of it when it was cut for
/// length, its neighbours in the same passage that score at least `neighbour_share` of it,
/// then sentences of other passages within `keep_margin`; at most `max_sentences`
/// sentences besides continuations. Consecutive sentences become one quote, so no span is
/// cited twice.
pub fn choose(cands: &[Candidate], texts: &[&str], cfg: &EvidenceConfig) -> Vec<Quote> {
    let quotable: Vec<usize> = (0..cands.len()).filter(|&i| !cands[i].unquotable).collect();
    let in_unit: Vec<usize> = quotable
        .iter()
        .copied()
        .filter(|&i| cands[i].in_named_unit == Some(true))
        .collect();
    let mut pool = if in_unit.is_empty() {
        quotable
    } else {
        in_unit
    };
    pool.sort_by(|&a, &b| cands[b].score.total_cmp(&cands[a].score));
    let Some(&best) = pool.first() else {
        return Vec::new();
    };
    let max = cfg.max_sentences.max(1);
    let mut picked = vec![best];
    let mut sentences = 1;
    // The rest of a sentence cut for length: its operative part (a penalty, a deadline)
    // often comes after the cut.
    let mut at = best;
    while cands[at].continues && adjacent(cands, texts, at, at + 1) && picked.len() < max + 2 {
        at += 1;
        picked.push(at);
    }
    // Neighbours in the same passage, nearest first, while they score well enough.
    let floor = cands[best].score * cfg.neighbour_share;
    let (mut lo, mut hi) = (best, at);
    while sentences < max {
        let before = lo
            .checked_sub(1)
            .filter(|&i| joins(cands, texts, i, lo, floor));
        let after = Some(hi + 1).filter(|&i| i < cands.len() && joins(cands, texts, i, hi, floor));
        let next = match (before, after) {
            (Some(b), Some(a)) if cands[b].score > cands[a].score => b,
            (_, Some(a)) => a,
            (Some(b), None) => b,
            (None, None) => break,
        };
        picked.push(next);
        sentences += 1;
        if next < lo {
            lo = next;
        } else {
            hi = next;
        }
    }
    // Close runners-up elsewhere.
    for &i in &pool[1..] {
        if sentences >= max || cands[i].score < cands[best].score - cfg.keep_margin {
            break;
        }
        if !picked.contains(&i) {
            picked.push(i);
            sentences += 1;
        }
    }
    merge(cands, texts, picked, best)
}

/// Whether candidate `i`, next to `near` (the quote's current edge), joins the quote.
fn joins(cands: &[Candidate], texts: &[&str], i: usize, near: usize, floor: f32) -> bool {
    !cands[i].unquotable
        && cands[i].score >= floor
        && adjacent(cands, texts, i.min(near), i.max(near))
}

/// Whether candidates `a` and `b` (a before b) are consecutive in one passage: nothing but
/// spaces and punctuation between them.
fn adjacent(cands: &[Candidate], texts: &[&str], a: usize, b: usize) -> bool {
    let (Some(x), Some(y)) = (cands.get(a), cands.get(b)) else {
        return false;
    };
    x.passage == y.passage
        && x.end <= y.start
        && texts[x.passage][x.end..y.start]
            .chars()
            .all(|c| !c.is_alphanumeric())
}

/// Groups picked candidates into quotes: consecutive ones of a passage merge; the quote
/// holding `best` comes first, the others by score.
fn merge(cands: &[Candidate], texts: &[&str], mut picked: Vec<usize>, best: usize) -> Vec<Quote> {
    picked.sort_unstable();
    picked.dedup();
    let mut quotes: Vec<(Quote, bool)> = Vec::new();
    let mut prev: Option<usize> = None;
    for i in picked {
        let c = &cands[i];
        match (prev, quotes.last_mut()) {
            (Some(p), Some((q, has_best))) if adjacent(cands, texts, p, i) => {
                q.end = c.end;
                q.display.push(' ');
                q.display.push_str(&c.display);
                q.score = q.score.max(c.score);
                *has_best |= i == best;
            }
            _ => quotes.push((
                Quote {
                    passage: c.passage,
                    start: c.start,
                    end: c.end,
                    display: c.display.clone(),
                    score: c.score,
                },
                i == best,
            )),
        }
        prev = Some(i);
    }
    quotes.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.score.total_cmp(&a.0.score)));
    quotes.into_iter().map(|(q, _)| q).collect()
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

    /// Candidates of `texts` with the given scores, in candidate order.
    fn scored(texts: &[&str], scores: &[f32]) -> Vec<Candidate> {
        let mut c = candidates(texts);
        assert_eq!(c.len(), scores.len(), "{c:?}");
        for (c, s) in c.iter_mut().zip(scores) {
            c.score = *s;
        }
        c
    }

    #[test]
    fn the_best_sentence_comes_with_its_good_neighbours_as_one_quote() {
        let p0 = "جمله نخست درباره موضوع دیگری است. جمله دوم پاسخ اصلی پرسش است. جمله سوم ادامه همان پاسخ است. جمله چهارم نامربوط است.";
        let p1 = "جمله‌ای از منبع دیگر با امتیاز نزدیک اینجاست.";
        let texts = [p0, p1];
        let cfg = EvidenceConfig {
            max_sentences: 3,
            keep_margin: 0.2,
            neighbour_share: 0.3,
        };
        let c = scored(&texts, &[0.1, 0.9, 0.6, 0.2, 0.85]);
        let quotes = choose(&c, &texts, &cfg);
        assert_eq!(quotes.len(), 2, "{quotes:?}");
        assert_eq!(
            &p0[quotes[0].start..quotes[0].end],
            "جمله دوم پاسخ اصلی پرسش است. جمله سوم ادامه همان پاسخ است."
        );
        assert_eq!(quotes[1].passage, 1);
        // A weak neighbour stays out; nothing is quoted twice.
        let c = scored(&texts, &[0.1, 0.9, 0.2, 0.2, 0.5]);
        let quotes = choose(&c, &texts, &cfg);
        assert_eq!(quotes.len(), 1);
        assert_eq!(
            &p0[quotes[0].start..quotes[0].end],
            "جمله دوم پاسخ اصلی پرسش است."
        );
        assert!(choose(&[], &texts, &cfg).is_empty());
    }

    #[test]
    fn by_default_the_best_passage_is_quoted_as_a_window_and_far_runners_up_stay_out() {
        let p0 = "جمله نخست درباره موضوع دیگری است. جمله دوم پاسخ اصلی پرسش است. جمله سوم ادامه همان پاسخ است. جمله چهارم نامربوط است. جمله پنجم دورتر است. جمله ششم دورتر است.";
        let p1 = "جمله‌ای از منبع دیگر با امتیاز نزدیک اینجاست.";
        let texts = [p0, p1];
        let cfg = EvidenceConfig::default();
        // The window grows toward the better neighbour first, four sentences at most; a
        // neighbour under 5% of the best stays out; p1 is 0.25 below the best.
        let c = scored(&texts, &[0.3, 0.9, 0.2, 0.1, 0.2, 0.01, 0.65]);
        let quotes = choose(&c, &texts, &cfg);
        assert_eq!(quotes.len(), 1, "{quotes:?}");
        assert_eq!(
            &p0[quotes[0].start..quotes[0].end],
            "جمله نخست درباره موضوع دیگری است. جمله دوم پاسخ اصلی پرسش است. جمله سوم ادامه همان پاسخ است. جمله چهارم نامربوط است."
        );
        // When the window is short, a runner-up within 0.1 of the best is quoted too, as
        // its own quote.
        let c = scored(&texts, &[0.01, 0.9, 0.2, 0.01, 0.2, 0.01, 0.85]);
        let quotes = choose(&c, &texts, &cfg);
        assert_eq!(quotes.len(), 2, "{quotes:?}");
        assert_eq!(quotes[1].passage, 1);
        // A neighbour under the floor ends the window on that side.
        let c = scored(&texts, &[0.01, 0.9, 0.2, 0.01, 0.2, 0.2, 0.1]);
        let quotes = choose(&c, &texts, &cfg);
        assert_eq!(
            &p0[quotes[0].start..quotes[0].end],
            "جمله دوم پاسخ اصلی پرسش است. جمله سوم ادامه همان پاسخ است."
        );
    }

    #[test]
    fn unquotable_sentences_are_skipped_and_the_named_unit_wins() {
        let p0 = "این جمله درباره خود سند است و نباید نقل شود. جمله دوم پاسخ است.";
        let p1 = "جمله‌ای از ماده‌ای که پرسش نام برده است.";
        let texts = [p0, p1];
        let cfg = EvidenceConfig::default();
        let mut c = scored(&texts, &[0.95, 0.9, 0.4]);
        c[0].unquotable = true;
        let quotes = choose(&c, &texts, &cfg);
        assert_eq!(&p0[quotes[0].start..quotes[0].end], "جمله دوم پاسخ است.");
        c[2].in_named_unit = Some(true);
        c[0].in_named_unit = Some(false);
        c[1].in_named_unit = Some(false);
        let quotes = choose(&c, &texts, &cfg);
        assert_eq!(quotes.len(), 1);
        assert_eq!(quotes[0].passage, 1);
    }

    #[test]
    fn a_sentence_cut_for_length_is_quoted_to_its_end() {
        let head = "کسی که بدون مجوز پساب صنعتی را به رودخانه بریزد، ".repeat(9);
        let text = format!("{head}به حبس از نود و یک روز تا شش ماه محکوم می‌شود.");
        let texts = [text.as_str()];
        let c = candidates(&texts);
        assert!(c.len() >= 2 && c[0].continues, "{c:?}");
        let mut c = c;
        c[0].score = 0.9;
        let quotes = choose(&c, &texts, &EvidenceConfig::default());
        assert!(quotes[0].display.ends_with("محکوم می‌شود."), "{quotes:?}");
    }
}
