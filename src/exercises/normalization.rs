//! Normalization exercises: two spellings of a word from the scope (ZWNJ joined or spaced,
//! Arabic yeh/kaf, Persian or ASCII digits, madda, hamza; for English also case, full-width
//! letters, plurals and hyphens) and whether envkb treats them as the same word.
//!
//! The spelling written in a passage is `a`, the variant is `b`. They match when every search
//! word of one spelling is among the search terms of the other (so a query written one way
//! finds text written the other way); the analyzer of the index decides, and the key shows its
//! output for both. Validation recomputes the verdict with the index's analyzer and, for a
//! match, searches the index for `b` and requires the passage written with `a` to be found.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::lexical::Filters;
use crate::text::{Analyzer, Lang, TokenKind, ZWNJ};

use super::seed::Stream;
use super::validate::Invalid;
use super::{words_query, Body, Context, Exercise, ExercisesError, PassageRef, Result, Sink};

/// How `b` differs from `a`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variation {
    /// ZWNJ removed: the parts written together.
    ZwnjJoined,
    /// ZWNJ replaced by a space.
    ZwnjSpaced,
    /// Persian yeh and kaf written with the Arabic letters ي and ك.
    ArabicLetters,
    /// Digits written in the other script (Persian ۰–۹ or ASCII 0–9).
    Digits,
    /// Alef with madda (آ) written as a plain alef.
    Madda,
    /// Yeh with hamza (ئ) written as a plain yeh.
    Hamza,
    /// Latin letters in another case.
    Case,
    /// Latin letters in their full-width forms (as some PDFs and keyboards give them).
    FullWidth,
    /// An English plural written as a singular.
    Plural,
    /// A hyphenated English word written without the hyphen.
    Hyphen,
}

/// The participant's part: two spellings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairTask {
    /// The spelling as a passage writes it.
    pub a: String,
    /// Another spelling of it.
    pub b: String,
}

/// The key: the verdict, the kind of variation, the analyzer's output, and where `a` is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairKey {
    /// Whether the analyzer makes the two match.
    pub matches: bool,
    pub(crate) variation: Variation,
    pub(crate) a_terms: Vec<String>,
    pub(crate) b_terms: Vec<String>,
    /// The passage that writes `a`.
    pub source: PassageRef,
    /// Whether a search for `b` finds that passage (every match must be found).
    pub found_by_search: Option<bool>,
}

/// One normalization exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpellingPair {
    /// What participants see.
    pub task: PairTask,
    /// The answer.
    pub key: PairKey,
}

/// Whether the analyzer makes `a` and `b` the same for search: every word term of one is
/// among all the terms of the other (compounds and pair joins included).
pub fn spellings_match(analyzer: &Analyzer, a: &str, b: &str) -> bool {
    let tokens = |s: &str| analyzer.analyze(s);
    let (ta, tb) = (tokens(a), tokens(b));
    let words = |t: &[crate::text::AnalyzedToken]| -> Vec<String> {
        t.iter()
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| t.text.clone())
            .collect()
    };
    let all = |t: &[crate::text::AnalyzedToken]| -> HashSet<String> {
        t.iter().map(|t| t.text.clone()).collect()
    };
    let covered = |w: Vec<String>, terms: HashSet<String>| {
        !w.is_empty() && w.iter().all(|x| terms.contains(x))
    };
    covered(words(&ta), all(&tb)) || covered(words(&tb), all(&ta))
}

fn to_persian_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32('۰' as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
            '.' => '٫',
            c => c,
        })
        .collect()
}

fn to_ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٫' => '.',
            c => c,
        })
        .collect()
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn is_number(w: &str) -> bool {
    w.chars()
        .any(|c| c.is_ascii_digit() || ('۰'..='۹').contains(&c))
        && w.chars()
            .all(|c| c.is_ascii_digit() || ('۰'..='۹').contains(&c) || c == '.' || c == '٫')
}

fn is_persian_word(w: &str) -> bool {
    w.chars()
        .all(|c| ('\u{0600}'..='\u{06FF}').contains(&c) || c == ZWNJ)
        && w.chars().filter(|c| c.is_alphabetic()).count() >= 3
}

/// The spelling variants of the words of `text` in `lang`, as (a, b, variation).
pub fn variants(text: &str, lang: Lang) -> Vec<(String, String, Variation)> {
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == ZWNJ)))
        .map(|w| w.trim_matches(ZWNJ))
        .collect();
    let mut out = Vec::new();
    for (i, &w) in words.iter().enumerate() {
        if w.is_empty() {
            continue;
        }
        let prev = if i > 0 { words[i - 1] } else { "" };
        if is_number(w) {
            let with_prev = |num: &str| {
                if prev.chars().count() >= 2 && prev.chars().all(char::is_alphabetic) {
                    format!("{prev} {num}")
                } else {
                    num.to_string()
                }
            };
            let other = if w.chars().any(|c| c.is_ascii_digit()) {
                to_persian_digits(w)
            } else {
                to_ascii_digits(w)
            };
            out.push((with_prev(w), with_prev(&other), Variation::Digits));
            continue;
        }
        match lang {
            Lang::Fa => {
                if !is_persian_word(w) {
                    continue;
                }
                if w.contains(ZWNJ) {
                    out.push((w.to_string(), w.replace(ZWNJ, ""), Variation::ZwnjJoined));
                    out.push((w.to_string(), w.replace(ZWNJ, " "), Variation::ZwnjSpaced));
                }
                if w.contains(['ی', 'ک']) {
                    out.push((
                        w.to_string(),
                        w.replace('ی', "ي").replace('ک', "ك"),
                        Variation::ArabicLetters,
                    ));
                }
                if w.starts_with('آ') {
                    out.push((w.to_string(), w.replacen('آ', "ا", 1), Variation::Madda));
                }
                if w.contains('ئ') {
                    out.push((w.to_string(), w.replace('ئ', "ی"), Variation::Hamza));
                }
            }
            Lang::En => {
                if w.contains('-') {
                    let parts: Vec<&str> = w.split('-').collect();
                    if parts.len() == 2
                        && parts
                            .iter()
                            .all(|p| p.len() >= 3 && p.chars().all(|c| c.is_ascii_alphabetic()))
                    {
                        out.push((w.to_string(), w.replace('-', ""), Variation::Hyphen));
                    }
                    continue;
                }
                if !w.chars().all(|c| c.is_ascii_alphabetic()) {
                    continue;
                }
                let n = w.len();
                if (2..=6).contains(&n) && w.chars().all(|c| c.is_ascii_uppercase()) {
                    out.push((w.to_string(), full_width(w), Variation::FullWidth));
                    out.push((w.to_string(), w.to_lowercase(), Variation::Case));
                } else if n >= 5 && w.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                    out.push((w.to_string(), w.to_uppercase(), Variation::Case));
                } else if n >= 6 && w.chars().all(|c| c.is_ascii_lowercase()) {
                    if let Some(stem) = w.strip_suffix("ies") {
                        out.push((w.to_string(), format!("{stem}y"), Variation::Plural));
                    } else if w.ends_with('s')
                        && !w.ends_with("ss")
                        && !w.ends_with("us")
                        && !w.ends_with("is")
                        && !w.ends_with("es")
                    {
                        out.push((w.to_string(), w[..n - 1].to_string(), Variation::Plural));
                    }
                }
            }
        }
    }
    out
}

/// Whether a lexical search for `b` finds `chunk_id`, reading every matching chunk.
fn search_finds(engine: &Engine, b: &str, chunk_id: &str) -> Result<bool, ExercisesError> {
    let all: usize = engine
        .index
        .manifest()
        .documents
        .values()
        .map(|d| d.chunks as usize)
        .sum();
    match engine
        .index
        .search(&words_query(b), &Filters::default(), all.max(1))
    {
        Ok(hits) => Ok(hits.iter().any(|h| h.chunk_id == chunk_id)),
        Err(crate::lexical::LexicalError::Query(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

impl Exercise for SpellingPair {
    /// Offers up to `want` candidates to `sink`: the kinds of variation found in the scope take turns (in a seeded
    /// order), and each turn draws one pair of that kind not used before.
    fn candidates(ctx: &Context, rng: &mut Stream, want: usize, sink: &mut Sink) -> Result<()> {
        let analyzer = ctx.engine.index.analyzer();
        let mut by_kind: BTreeMap<Variation, Vec<(String, String, usize)>> = BTreeMap::new();
        let mut seen = HashSet::new();
        for (ci, chunk) in ctx.pool.iter().enumerate() {
            for (a, b, v) in variants(&chunk.text, ctx.options.lang) {
                if a != b && seen.insert((a.clone(), v)) {
                    by_kind.entry(v).or_default().push((a, b, ci));
                }
            }
        }
        let mut kinds: Vec<Variation> = by_kind.keys().copied().collect();
        rng.shuffle(&mut kinds);
        for list in by_kind.values_mut() {
            rng.shuffle(list);
        }
        let mut tried = 0;
        let mut turn = 0;
        while tried < want && by_kind.values().any(|l| !l.is_empty()) {
            let v = kinds[turn % kinds.len()];
            turn += 1;
            let Some((a, b, ci)) = by_kind.get_mut(&v).and_then(Vec::pop) else {
                continue;
            };
            let chunk = &ctx.pool[ci];
            let matches = spellings_match(analyzer, &a, &b);
            let found = search_finds(ctx.engine, &b, &chunk.chunk_id)?;
            tried += 1;
            let pair = SpellingPair {
                key: PairKey {
                    matches,
                    variation: v,
                    a_terms: analyzer.terms(&a),
                    b_terms: analyzer.terms(&b),
                    source: PassageRef::of(chunk),
                    found_by_search: Some(found),
                },
                task: PairTask { a, b },
            };
            if sink.offer(Body::Normalization(pair))? {
                break;
            }
        }
        Ok(())
    }

    /// Checks an item against the index: the passage writes `a`, the two spellings differ, the
    /// index's analyzer gives the recorded terms and verdict, and a match is found by search.
    fn check(&self, engine: &Engine) -> Result<Result<(), Invalid>> {
        let analyzer = engine.index.analyzer();
        let Some(chunk) = engine.index.chunk(&self.key.source.chunk_id)? else {
            return Ok(Err(Invalid::GoldMissing(self.key.source.chunk_id.clone())));
        };
        if self.task.a == self.task.b || !chunk.text.contains(&self.task.a) {
            return Ok(Err(Invalid::SpellingNotInChunk));
        }
        if analyzer.terms(&self.task.a) != self.key.a_terms
            || analyzer.terms(&self.task.b) != self.key.b_terms
            || spellings_match(analyzer, &self.task.a, &self.task.b) != self.key.matches
        {
            return Ok(Err(Invalid::VerdictMismatch));
        }
        let found = search_finds(engine, &self.task.b, &chunk.chunk_id)?;
        if self.key.found_by_search != Some(found) || (self.key.matches && !found) {
            return Ok(Err(Invalid::MatchNotFound));
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_analyzer_decides_which_spellings_match() {
        let a = Analyzer::default();
        for (x, y) in [
            ("تفاهم\u{200C}نامه", "تفاهمنامه"),
            ("تفاهم\u{200C}نامه", "تفاهم نامه"),
            ("تفاهمنامه", "تفاهم نامه"),
            ("کیفیت", "كيفيت"),
            ("ماده ۶", "ماده 6"),
            ("ISO", "ＩＳＯ"),
            ("activities", "activity"),
        ] {
            assert!(spellings_match(&a, x, y), "{x} / {y}");
            assert!(spellings_match(&a, y, x), "{y} / {x}");
        }
        for (x, y) in [
            ("آب", "اب"),
            ("مسائل", "مسایل"),
            ("wastewater", "waste water"),
            ("by-product", "byproduct"),
        ] {
            assert!(!spellings_match(&a, x, y), "{x} / {y}");
        }
        assert!(
            !spellings_match(&a, "the", "the"),
            "stopwords alone are not words"
        );
    }

    #[test]
    fn variants_cover_persian_and_english_spellings() {
        let fa = variants(
            "طبق ماده ۶، تفاهم\u{200C}نامه آموزش و مسائل کیفیت آب.",
            Lang::Fa,
        );
        let kinds: HashSet<Variation> = fa.iter().map(|v| v.2).collect();
        for k in [
            Variation::Digits,
            Variation::ZwnjJoined,
            Variation::ZwnjSpaced,
            Variation::ArabicLetters,
            Variation::Hamza,
            Variation::Madda,
        ] {
            assert!(kinds.contains(&k), "{k:?} missing from {fa:?}");
        }
        assert!(fa.contains(&("ماده ۶".into(), "ماده 6".into(), Variation::Digits)));
        let en = variants(
            "ISO 14001 requires Monitoring of activities and long-term plans.",
            Lang::En,
        );
        assert!(en.contains(&("ISO 14001".into(), "ISO ۱۴۰۰۱".into(), Variation::Digits)));
        assert!(en.contains(&("ISO".into(), "ＩＳＯ".into(), Variation::FullWidth)));
        assert!(en.contains(&("activities".into(), "activity".into(), Variation::Plural)));
        assert!(en.contains(&("Monitoring".into(), "MONITORING".into(), Variation::Case)));
        assert!(en.contains(&("long-term".into(), "longterm".into(), Variation::Hyphen)));
    }
}
