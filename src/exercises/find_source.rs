//! Find-the-source exercises: a key sentence from one chunk, with one word blanked out (a
//! cloze); the participant fills the blank and finds the document and section that says it.
//!
//! The rule is transparent so trainers can explain it: the key sentence is a prose sentence
//! of 8 to 40 words drawn from a chunk of the scope; the blank is one of the three longest
//! searchable words of that sentence (whole words only, never part of a compound). The key
//! names the chunk, its breadcrumb and article/clause. Validation re-reads the chunk from
//! the index and checks that it states the sentence and that no other chunk does.

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::lexical::{Filters, LexicalHit};
use crate::text::{Analyzer, TokenKind, ZWNJ};

use super::seed::Stream;
use super::validate::Invalid;
use super::{
    prose_sentences, states, words_query, Body, Context, Exercise, PassageRef, Result, Sink,
};

/// What stands for the missing word.
pub const BLANK: &str = "_____";

const MIN_WORDS: usize = 8;
const MAX_WORDS: usize = 40;
/// The blank is drawn from this many longest words, so it is a content word but not always
/// the same kind of word.
const BLANK_CHOICES: usize = 3;
/// How deep validation looks for other chunks that state the same sentence.
const UNIQUE_DEPTH: usize = 20;

/// The participant's part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceTask {
    /// The key sentence with one word replaced by [`BLANK`].
    pub cloze: String,
    /// Whether the source has an article or clause number to name (law and standards).
    pub names_article: bool,
}

/// The key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceKey {
    /// The blanked word, as written in the source.
    pub answer: String,
    /// The whole key sentence, as written in the source.
    pub sentence: String,
    /// The chunk that states the sentence.
    pub source: PassageRef,
    /// Its article, for the key.
    pub article: Option<String>,
    /// Its clause, for the key.
    pub clause: Option<String>,
}

/// One find-the-source exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindSource {
    /// What participants see.
    pub task: SourceTask,
    /// The answer.
    pub key: SourceKey,
}

/// Whether the byte span `[from, to)` of `text` is a whole word: no letter, digit or ZWNJ
/// right before or after it.
fn whole_word(text: &str, from: usize, to: usize) -> bool {
    let joins = |c: char| c.is_alphanumeric() || c == ZWNJ || c == '\u{200D}' || c == '-';
    !text[..from].chars().next_back().is_some_and(joins)
        && !text[to..].chars().next().is_some_and(joins)
}

/// The byte span of the word to blank in `sentence`, by the rule in the module comment.
pub fn blank_span(analyzer: &Analyzer, sentence: &str, rng: &mut Stream) -> Option<(usize, usize)> {
    let mut words: Vec<(usize, usize)> = analyzer
        .analyze(sentence)
        .into_iter()
        .filter(|t| t.kind == TokenKind::Word && whole_word(sentence, t.from, t.to))
        .filter(|t| {
            let raw = &sentence[t.from..t.to];
            raw.chars().all(char::is_alphabetic) && raw.chars().count() >= 4
        })
        .map(|t| (t.from, t.to))
        .collect();
    words.dedup();
    // Longest first; equal lengths keep sentence order, so the choice is stable.
    words.sort_by_key(|&(f, t)| std::cmp::Reverse(sentence[f..t].chars().count()));
    words.truncate(BLANK_CHOICES);
    if words.is_empty() {
        return None;
    }
    Some(words[rng.below(words.len())])
}

/// Builds the exercise for one sentence span of `chunk`, or `None` when it has no word to blank.
pub fn build(
    analyzer: &Analyzer,
    chunk: &LexicalHit,
    span: (usize, usize),
    rng: &mut Stream,
) -> Option<FindSource> {
    let sentence = &chunk.text[span.0..span.1];
    let (from, to) = blank_span(analyzer, sentence, rng)?;
    Some(FindSource {
        task: SourceTask {
            cloze: format!("{}{BLANK}{}", &sentence[..from], &sentence[to..]),
            names_article: chunk.article.is_some() || chunk.clause.is_some(),
        },
        key: SourceKey {
            answer: sentence[from..to].to_string(),
            sentence: sentence.to_string(),
            source: PassageRef::of(chunk),
            article: chunk.article.clone(),
            clause: chunk.clause.clone(),
        },
    })
}

impl Exercise for FindSource {
    /// Offers up to `want` candidates to `sink`: chunks of the pool in a seeded order, one
    /// sentence each.
    fn candidates(ctx: &Context, rng: &mut Stream, want: usize, sink: &mut Sink) -> Result<()> {
        let analyzer = ctx.engine.index.analyzer();
        let mut order: Vec<usize> = (0..ctx.pool.len()).collect();
        rng.shuffle(&mut order);
        sink.offer_each(want, order, |i| {
            let chunk = &ctx.pool[i];
            let spans = prose_sentences(&chunk.text, MIN_WORDS, MAX_WORDS);
            if spans.is_empty() {
                return Ok(None);
            }
            let span = spans[rng.below(spans.len())];
            Ok(build(analyzer, chunk, span, rng).map(Body::FindTheSource))
        })
    }

    /// Checks an item against the index: the cloze is the sentence with the answer blanked, the
    /// named chunk exists and states the sentence, and no other chunk found by searching for the
    /// sentence states it too (then the answer would not live in one chunk).
    fn check(&self, engine: &Engine) -> Result<Result<(), Invalid>> {
        let index = &engine.index;
        if self.task.cloze.matches(BLANK).count() != 1
            || self.task.cloze.replacen(BLANK, &self.key.answer, 1) != self.key.sentence
            || self.key.answer.trim().is_empty()
        {
            return Ok(Err(Invalid::ClozeMismatch));
        }
        let Some(gold) = index.chunk(&self.key.source.chunk_id)? else {
            return Ok(Err(Invalid::GoldMissing(self.key.source.chunk_id.clone())));
        };
        if !gold.text.contains(&self.key.sentence) {
            return Ok(Err(Invalid::SentenceNotInChunk));
        }
        if gold.breadcrumb != self.key.source.breadcrumb || gold.doc_id != self.key.source.doc_id {
            return Ok(Err(Invalid::StaleSource));
        }
        let hits = match index.search(
            &words_query(&self.key.sentence),
            &Filters::default(),
            UNIQUE_DEPTH,
        ) {
            Ok(h) => h,
            Err(crate::lexical::LexicalError::Query(_)) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        if let Some(other) = hits
            .iter()
            .find(|h| h.chunk_id != gold.chunk_id && states(&h.text, &self.key.sentence))
        {
            return Ok(Err(Invalid::SentenceInOtherChunk(other.chunk_id.clone())));
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_a_long_whole_word_and_never_part_of_a_compound() {
        let a = Analyzer::default();
        let s = "سازمان باید جنبه‌های زیست‌محیطی فعالیت‌ها و محصولات و خدمات خود را شناسایی کند.";
        for seed in 0..20 {
            let mut rng = Stream::new(seed, "t");
            let (f, t) = blank_span(&a, s, &mut rng).unwrap();
            let word = &s[f..t];
            assert!(!word.contains(ZWNJ), "{word}");
            assert!(whole_word(s, f, t), "{word}");
            assert!(["محصولات", "شناسایی", "سازمان"].contains(&word), "{word}");
        }
        let en = "The organization shall determine the environmental aspects of its activities.";
        let mut rng = Stream::new(1, "t");
        let (f, t) = blank_span(&a, en, &mut rng).unwrap();
        assert!(["organization", "environmental", "activities"].contains(&&en[f..t]));
        assert!(blank_span(&a, "ISO 14001 6.1.2", &mut rng).is_none());
    }

    #[test]
    fn cloze_puts_the_blank_where_the_word_was() {
        let chunk = LexicalHit {
            passage: crate::lexical::Passage {
                chunk_id: "en/x#1".into(),
                doc_id: "en/x".into(),
                title: "X".into(),
                breadcrumb: vec!["X".into(), "Clause 6".into()],
                doc_type: "standard-guidance".into(),
                lang: "en".into(),
                year: None,
                status: None,
                article: None,
                clause: Some("6".into()),
                note: None,
                start: 0,
                end: 0,
                source: String::new(),
                text: "Heading\n\nThe organization shall keep documented information on its risks."
                    .into(),
                pages: None,
                ocr: None,
            },
            score: 0.0,
            snippet: crate::lexical::Snippet {
                text: String::new(),
                highlights: vec![],
            },
            matched_terms: vec![],
        };
        let spans = prose_sentences(&chunk.text, MIN_WORDS, MAX_WORDS);
        let x = build(
            &Analyzer::default(),
            &chunk,
            spans[0],
            &mut Stream::new(3, "t"),
        )
        .unwrap();
        assert_eq!(x.task.cloze.matches(BLANK).count(), 1);
        assert_eq!(
            x.task.cloze.replacen(BLANK, &x.key.answer, 1),
            x.key.sentence
        );
        assert!(x.task.names_article);
        assert_eq!(x.key.source.breadcrumb, vec!["X", "Clause 6"]);
    }
}
