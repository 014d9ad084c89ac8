//! Cite-check exercises: an answer whose sentences each cite a passage, where one citation
//! has been swapped for a wrong passage; the participant checks every sentence against the
//! passage it cites and finds the wrong one.
//!
//! The answer is extractive, built from retrieval output the way a cited answer is: a
//! question about a section heading of the scope, a search for it (hybrid when the model is
//! there) in the handout's language, and from each of the first passages that have one, the
//! prose sentence sharing most search terms with the question, quoted verbatim with its byte
//! span and cited `[n]`. Then one citation, chosen by the seed, is pointed at a passage further
//! down the same result list, from another document, that does not state the sentence. The
//! handout shows the sources without quotes (participants must open them); the key names
//! the swapped citation, the passage it should cite and the quote.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::lexical::{Filters, LexicalHit};
use crate::search::Mode;
use crate::text::Lang;

use super::seed::Stream;
use super::validate::Invalid;
use super::{prose_sentences, states, words_query, Context, ExercisesError, PassageRef};

/// Sentences (and citations) in an answer.
const SENTENCES: usize = 3;
/// Fewer citations than this make no exercise.
const MIN_SENTENCES: usize = 2;
/// Passages read for the answer and for the wrong passage.
const SEARCH_DEPTH: usize = 15;
const MIN_WORDS: usize = 6;
const MAX_WORDS: usize = 45;

/// A quoted span of a passage, as a cited answer gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citation {
    /// The number of the `[n]` marker in the answer, from 1.
    pub n: usize,
    #[serde(flatten)]
    pub passage: PassageRef,
    /// Exactly the chunk text's bytes `[start, end)`.
    pub quote: String,
    pub start: usize,
    pub end: usize,
}

/// A cited source as the handout shows it: which passage, not what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub n: usize,
    #[serde(flatten)]
    pub passage: PassageRef,
}

/// The participant's part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiteTask {
    pub question: String,
    /// Sentences each followed by its `[n]` marker.
    pub answer: String,
    pub sources: Vec<Source>,
}

/// The key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiteKey {
    /// The citation number that points at the wrong passage.
    pub swapped: usize,
    /// The sentence that citation should support.
    pub sentence: String,
    /// The citations as they were before the swap, quotes included.
    pub citations: Vec<Citation>,
    /// How the answer was made ("retrieval": quoted sentences of the top passages).
    pub answered_by: String,
}

/// One cite-check exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiteCheck {
    pub task: CiteTask,
    pub key: CiteKey,
}

/// The question asked about a section heading.
pub fn question_about(heading: &str, lang: Lang) -> String {
    match lang {
        Lang::Fa => format!("منابع درباره «{heading}» چه می‌گویند؟"),
        Lang::En => format!("What do the sources say about “{heading}”?"),
    }
}

/// The prose sentence of `hit` sharing most terms with `terms` (at least one), as a byte span;
/// ties go to the earlier sentence.
fn best_sentence(
    ctx_terms: &HashSet<String>,
    analyzer: &crate::text::Analyzer,
    hit: &LexicalHit,
) -> Option<(usize, usize)> {
    let mut best: Option<((usize, usize), usize)> = None;
    for (s, e) in prose_sentences(&hit.text, MIN_WORDS, MAX_WORDS) {
        let terms: HashSet<String> = analyzer.terms(&hit.text[s..e]).into_iter().collect();
        let shared = terms.intersection(ctx_terms).count();
        if shared > 0 && best.is_none_or(|(_, b)| shared > b) {
            best = Some(((s, e), shared));
        }
    }
    best.map(|(span, _)| span)
}

/// The answer for one heading, with one citation swapped, or `None` when the search does not
/// give enough distinct evidence or no wrong passage.
fn build(
    engine: &Engine,
    heading: &str,
    lang: Lang,
    rng: &mut Stream,
) -> Result<Option<CiteCheck>, ExercisesError> {
    let retriever = engine.retriever();
    let mode = if retriever.semantic.is_some() {
        Mode::Hybrid
    } else {
        Mode::Lexical
    };
    let filters = Filters {
        lang: vec![lang],
        ..Filters::default()
    };
    let hits: Vec<LexicalHit> =
        match retriever.search(&words_query(heading), &filters, SEARCH_DEPTH, mode) {
            Ok(r) => r.hits.into_iter().map(|h| h.hit).collect(),
            Err(crate::search::SearchError::Lexical(crate::lexical::LexicalError::Query(_))) => {
                return Ok(None)
            }
            Err(e) => return Err(e.into()),
        };
    let analyzer = engine.index.analyzer();
    let terms: HashSet<String> = analyzer.terms(heading).into_iter().collect();
    let mut citations: Vec<Citation> = Vec::new();
    let mut used = 0;
    for (i, hit) in hits.iter().enumerate() {
        if citations.len() == SENTENCES {
            break;
        }
        used = i + 1;
        let Some((s, e)) = best_sentence(&terms, analyzer, hit) else {
            continue;
        };
        let quote = &hit.text[s..e];
        // Each sentence must be supported by its own passage only, so the swap is the one
        // thing wrong with the answer.
        if citations
            .iter()
            .any(|c| states(&c.quote, quote) || states(quote, &c.quote))
        {
            continue;
        }
        citations.push(Citation {
            n: citations.len() + 1,
            passage: PassageRef::of(hit),
            quote: quote.to_string(),
            start: s,
            end: e,
        });
    }
    if citations.len() < MIN_SENTENCES {
        return Ok(None);
    }
    let swapped = rng.below(citations.len()) + 1;
    let right = &citations[swapped - 1];
    let cited_docs: HashSet<&str> = citations
        .iter()
        .map(|c| c.passage.doc_id.as_str())
        .collect();
    let Some(wrong) = hits[used..]
        .iter()
        .find(|h| !cited_docs.contains(h.doc_id.as_str()) && !states(&h.text, &right.quote))
    else {
        return Ok(None);
    };
    let answer = citations
        .iter()
        .map(|c| {
            format!(
                "{} [{}]",
                c.quote.split_whitespace().collect::<Vec<_>>().join(" "),
                c.n
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let sources = citations
        .iter()
        .map(|c| Source {
            n: c.n,
            passage: if c.n == swapped {
                PassageRef::of(wrong)
            } else {
                c.passage.clone()
            },
        })
        .collect();
    Ok(Some(CiteCheck {
        task: CiteTask {
            question: question_about(heading, lang),
            answer,
            sources,
        },
        key: CiteKey {
            swapped,
            sentence: right.quote.clone(),
            citations,
            answered_by: "retrieval".to_string(),
        },
    }))
}

/// Up to `want` candidates, one per section heading of the scope, headings in a seeded order.
pub fn candidates(
    ctx: &Context,
    rng: &mut Stream,
    want: usize,
) -> Result<Vec<CiteCheck>, ExercisesError> {
    let mut seen = HashSet::new();
    // A question needs a heading that says something: at least three words.
    let mut headings: Vec<String> = ctx
        .pool
        .iter()
        .filter_map(super::section_heading)
        .filter(|h| h.split_whitespace().count() >= 3 && seen.insert(crate::text::normalize(h)))
        .map(str::to_string)
        .collect();
    rng.shuffle(&mut headings);
    let mut out = Vec::new();
    for h in headings {
        if out.len() == want {
            break;
        }
        if let Some(x) = build(ctx.engine, &h, ctx.options.lang, rng)? {
            out.push(x);
        }
    }
    Ok(out)
}

/// The answer's sentences by citation number, from the `[n]` markers; `None` when markers are
/// missing, repeated or out of order.
pub fn sentences_by_marker(answer: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = answer;
    loop {
        let marker = format!("[{}]", out.len() + 1);
        match rest.find(&marker) {
            Some(at) => {
                out.push(rest[..at].trim().to_string());
                rest = &rest[at + marker.len()..];
            }
            None => break,
        }
    }
    let clean = |s: &String| !s.is_empty() && !has_marker(s);
    (rest.trim().is_empty() && !out.is_empty() && out.iter().all(clean)).then_some(out)
}

/// Whether `s` holds a `[digits]` marker.
fn has_marker(s: &str) -> bool {
    s.split('[').skip(1).any(|after| {
        after
            .split_once(']')
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

/// Checks an item against the index: every citation but the swapped one quotes its chunk
/// exactly and the chunk states the sentence; the swapped source is a real passage that does
/// not state its sentence, while the passage it replaced does.
pub fn check(engine: &Engine, x: &CiteCheck) -> Result<Result<(), Invalid>, ExercisesError> {
    let index = &engine.index;
    let Some(sentences) = sentences_by_marker(&x.task.answer) else {
        return Ok(Err(Invalid::Markers));
    };
    let n = sentences.len();
    if x.task.sources.len() != n
        || x.key.citations.len() != n
        || x.key.swapped == 0
        || x.key.swapped > n
    {
        return Ok(Err(Invalid::Markers));
    }
    for (i, sentence) in sentences.iter().enumerate() {
        let c = &x.key.citations[i];
        let Some(chunk) = index.chunk(&c.passage.chunk_id)? else {
            return Ok(Err(Invalid::GoldMissing(c.passage.chunk_id.clone())));
        };
        if chunk.text.get(c.start..c.end) != Some(c.quote.as_str()) {
            return Ok(Err(Invalid::QuoteMismatch(c.n)));
        }
        if !states(&c.quote, sentence) || !states(&chunk.text, sentence) {
            return Ok(Err(Invalid::Unsupported(c.n)));
        }
        let shown = &x.task.sources[i];
        if i + 1 == x.key.swapped {
            if shown.passage.chunk_id == c.passage.chunk_id {
                return Ok(Err(Invalid::NotSwapped));
            }
            let Some(wrong) = index.chunk(&shown.passage.chunk_id)? else {
                return Ok(Err(Invalid::GoldMissing(shown.passage.chunk_id.clone())));
            };
            if states(&wrong.text, sentence) {
                return Ok(Err(Invalid::SwapSupports));
            }
        } else if shown.passage.chunk_id != c.passage.chunk_id {
            return Ok(Err(Invalid::Unsupported(c.n)));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_split_the_answer_into_cited_sentences() {
        assert_eq!(
            sentences_by_marker("A is so. [1] B is also so. [2]"),
            Some(vec!["A is so.".to_string(), "B is also so.".to_string()])
        );
        assert_eq!(
            sentences_by_marker("سازمان موظف است. [1] گزارش سالانه است. [2]").map(|s| s.len()),
            Some(2)
        );
        assert_eq!(sentences_by_marker("no markers"), None);
        assert_eq!(sentences_by_marker("A. [2] B. [1]"), None);
        assert_eq!(sentences_by_marker("A. [1] trailing text"), None);
        assert_eq!(sentences_by_marker("[1] B. [2]"), None);
    }

    #[test]
    fn questions_name_the_heading_in_the_handout_language() {
        assert!(question_about("Energy review", Lang::En).contains("“Energy review”"));
        assert!(question_about("بازنگری انرژی", Lang::Fa).contains("«بازنگری انرژی»"));
    }
}
