//! Cite-check exercises: a cited answer from [`crate::answer::ask`] where one citation has
//! been swapped for a wrong passage; the participant checks every sentence against the
//! passage it cites and finds the wrong one.
//!
//! The question asks what the sources say about a section heading of the scope (three words
//! or more), in the handout's language, and is answered exactly as `envkb ask` answers it,
//! limited to passages in that language. An answer that abstains or has fewer than two
//! citations is skipped. Then one citation, chosen by the seed, is pointed at another passage
//! the answer retrieved but did not cite (or, failing that, a further search hit), from a
//! different document, that does not state the sentence. The handout shows the sources
//! without quotes (participants must open them); the key names the swapped citation, the
//! passage it should cite and the original citations with their quotes.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::answer::{ask, AskOptions, Citation};
use crate::engine::Engine;
use crate::lexical::{Filters, LexicalHit};
use crate::search::Mode;
use crate::text::Lang;

use super::seed::Stream;
use super::validate::Invalid;
use super::{
    states, words_query, Body, Context, Exercise, ExercisesError, PassageRef, Result, Sink,
};

/// Fewer citations than this make no exercise.
const MIN_CITATIONS: usize = 2;
/// How deep the further search for a wrong passage looks.
const WRONG_DEPTH: usize = 15;

/// A cited source as the handout shows it: which passage, not what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The citation number `[n]` in the answer.
    pub n: usize,
    /// The cited passage.
    #[serde(flatten)]
    pub passage: PassageRef,
}

/// The participant's part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiteTask {
    /// The question the answer answers.
    pub question: String,
    /// Sentences each followed by its `[n]` marker.
    pub answer: String,
    /// The cited passages, one swapped for a wrong one.
    pub sources: Vec<Source>,
}

/// The key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiteKey {
    /// The citation number that points at the wrong passage.
    pub swapped: usize,
    /// The sentence that citation should support.
    pub sentence: String,
    /// The answer's citations as `answer::ask` gave them, before the swap.
    pub citations: Vec<Citation>,
    /// What made the answer ("answer::ask": envkb's extractive cited answer).
    pub answered_by: String,
}

/// One cite-check exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiteCheck {
    /// What participants see.
    pub task: CiteTask,
    /// The answer.
    pub key: CiteKey,
}

/// The question asked about a section heading.
pub fn question_about(heading: &str, lang: Lang) -> String {
    match lang {
        Lang::Fa => format!("منابع درباره «{heading}» چه می‌گویند؟"),
        Lang::En => format!("What do the sources say about “{heading}”?"),
    }
}

/// A passage to swap in for citation `right`: not cited, from another document, and not
/// stating `sentence`. Looks at the answer's "see also" passages first, then searches deeper.
fn wrong_passage(
    engine: &Engine,
    question: &str,
    lang: Lang,
    cited: &HashSet<&str>,
    right: &Citation,
    sentence: &str,
    see_also: &[String],
) -> Result<Option<LexicalHit>, ExercisesError> {
    let fits = |h: &LexicalHit| {
        !cited.contains(h.chunk_id.as_str())
            && h.doc_id != right.doc_id
            && h.lang == lang.code()
            && !states(&h.text, sentence)
    };
    for id in see_also {
        if let Some(h) = engine.index.chunk(id)? {
            if fits(&h) {
                return Ok(Some(h));
            }
        }
    }
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
    match retriever.search(&words_query(question), &filters, WRONG_DEPTH, mode) {
        Ok(r) => Ok(r.hits.into_iter().map(|h| h.hit).find(|h| fits(h))),
        Err(crate::search::SearchError::Lexical(crate::lexical::LexicalError::Query(_))) => {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The exercise for one heading, or `None` when the answer abstains, cites fewer than two
/// passages, or no wrong passage can be found.
fn build(
    engine: &Engine,
    heading: &str,
    lang: Lang,
    rng: &mut Stream,
) -> Result<Option<CiteCheck>, ExercisesError> {
    let question = question_about(heading, lang);
    let opts = AskOptions {
        filters: Filters {
            lang: vec![lang],
            ..Filters::default()
        },
        ..AskOptions::default()
    };
    let answer = match ask(engine, &question, &opts) {
        Ok(a) => a,
        // A heading the question checks refuse (too long, no words) is just not used.
        Err(e) if e.fault() == crate::Fault::User => return Ok(None),
        Err(e) => return Err(ExercisesError::Answer(e)),
    };
    if answer.abstained || answer.citations.len() < MIN_CITATIONS {
        return Ok(None);
    }
    let Some(sentences) = sentences_by_marker(&answer.answer) else {
        return Ok(None);
    };
    if sentences.len() != answer.citations.len() {
        return Ok(None);
    }
    let swapped = rng.below(answer.citations.len()) + 1;
    let right = &answer.citations[swapped - 1];
    let sentence = &sentences[swapped - 1];
    let cited: HashSet<&str> = answer
        .citations
        .iter()
        .map(|c| c.chunk_id.as_str())
        .collect();
    let see_also: Vec<String> = answer.see_also.iter().map(|s| s.chunk_id.clone()).collect();
    let Some(wrong) = wrong_passage(engine, &question, lang, &cited, right, sentence, &see_also)?
    else {
        return Ok(None);
    };
    let mut sources = Vec::new();
    for c in &answer.citations {
        let passage = if c.n == swapped {
            PassageRef::of(&wrong)
        } else {
            match engine.index.chunk(&c.chunk_id)? {
                Some(h) => PassageRef::of(&h),
                None => return Ok(None),
            }
        };
        sources.push(Source { n: c.n, passage });
    }
    Ok(Some(CiteCheck {
        task: CiteTask {
            question,
            answer: answer.answer.clone(),
            sources,
        },
        key: CiteKey {
            swapped,
            sentence: sentence.clone(),
            citations: answer.citations.clone(),
            answered_by: "answer::ask".to_string(),
        },
    }))
}

impl Exercise for CiteCheck {
    /// Offers up to `want` candidates to `sink`, one per section heading of the scope, headings in
    /// a seeded order; each costs an answer, so they are made only until the sink is full.
    fn candidates(ctx: &Context, rng: &mut Stream, want: usize, sink: &mut Sink) -> Result<()> {
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
        sink.offer_each(want, headings, |h| {
            Ok(build(ctx.engine, &h, ctx.options.lang, rng)?.map(Body::CiteCheck))
        })
    }

    /// Checks an item against the index: the answer before the swap passes the answer module's
    /// own citation check; every citation quotes its chunk exactly and the chunk states the
    /// sentence; the handout's sources are those citations except the swapped one, which points
    /// at a real passage that does not state its sentence.
    fn check(&self, engine: &Engine) -> Result<Result<(), Invalid>> {
        let index = &engine.index;
        let Some(sentences) = sentences_by_marker(&self.task.answer) else {
            return Ok(Err(Invalid::Markers));
        };
        let n = sentences.len();
        if self.task.sources.len() != n
            || self.key.citations.len() != n
            || self.key.swapped == 0
            || self.key.swapped > n
            || sentences[self.key.swapped - 1] != self.key.sentence
        {
            return Ok(Err(Invalid::Markers));
        }
        let mut texts = std::collections::HashMap::new();
        for c in &self.key.citations {
            let Some(chunk) = index.chunk(&c.chunk_id)? else {
                return Ok(Err(Invalid::GoldMissing(c.chunk_id.clone())));
            };
            texts.insert(c.chunk_id.clone(), chunk.passage.text);
        }
        let problems =
            crate::answer::citation::check(&self.task.answer, &self.key.citations, |id| {
                texts.get(id).cloned()
            });
        if !problems.is_empty() {
            return Ok(Err(Invalid::CitationCheck(problems.join("; "))));
        }
        for (i, sentence) in sentences.iter().enumerate() {
            let c = &self.key.citations[i];
            if c.n != i + 1 || !states(&c.quote, sentence) || !states(&texts[&c.chunk_id], sentence)
            {
                return Ok(Err(Invalid::Unsupported(i + 1)));
            }
            let shown = &self.task.sources[i];
            if i + 1 == self.key.swapped {
                if shown.passage.chunk_id == c.chunk_id {
                    return Ok(Err(Invalid::NotSwapped));
                }
                let Some(wrong) = index.chunk(&shown.passage.chunk_id)? else {
                    return Ok(Err(Invalid::GoldMissing(shown.passage.chunk_id.clone())));
                };
                if states(&wrong.text, sentence) {
                    return Ok(Err(Invalid::SwapSupports));
                }
            } else if shown.passage.chunk_id != c.chunk_id {
                return Ok(Err(Invalid::Unsupported(i + 1)));
            }
        }
        Ok(Ok(()))
    }
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
