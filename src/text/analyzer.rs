//! The envkb analyzer: turns text into search terms, the same way at index and query time.
//!
//! Owns word splitting, the ZWNJ scheme, English stemming/stopwords and the tantivy
//! [`Tokenizer`] wrapper. It does not decide field boosts or build queries (`lexical` does).
//!
//! ## The ZWNJ scheme
//! Persian writes compounds three ways: «تفاهم‌نامه» (ZWNJ), «تفاهمنامه» (joined) and
//! «تفاهم نامه» (space). Every form must find every other, so the analyzer emits:
//! - for a word with ZWNJ: each part as its own term, plus the joined form at the first
//!   part's position ([`TokenKind::Compound`]);
//! - for two neighbouring Persian words separated only by spaces: their concatenation at
//!   the first word's position ([`TokenKind::Pair`]).
//!
//! Then the ZWNJ form meets the spaced form through the parts and the joined form through
//! the compound term, and the spaced and joined forms meet through the pair term. Pairs
//! also act as a light proximity signal for BM25. Byte offsets always point into the
//! original text so highlights land on what the user wrote.

use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::normalize::{is_ignorable_mark, is_invisible, push_normalized_char, ZWNJ};

/// Name under which the analyzer is registered in tantivy.
pub const ANALYZER_NAME: &str = "envkb";

/// Longest term kept, in bytes; longer runs (base64, hashes, a minified line) are not words.
const MAX_TERM_BYTES: usize = 120;

/// How a term came about; phrase queries use only [`TokenKind::Word`] terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A word, or one part of a ZWNJ compound.
    Word,
    /// A ZWNJ compound with its parts joined.
    Compound,
    /// Two neighbouring Persian words joined.
    Pair,
}

/// One search term with its position and its byte span in the analyzed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    /// The term as indexed (normalized, maybe stemmed or joined).
    pub text: String,
    pub(crate) position: usize,
    /// Byte offset in the analyzed text where the term's source starts.
    pub from: usize,
    /// Byte offset where it ends.
    pub to: usize,
    /// Whether it is a word, a compound part, a joined compound or a pair.
    pub kind: TokenKind,
}

/// Switches for the rules that are measured on the bench data before they become defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalyzerOptions {
    /// Emit [`TokenKind::Pair`] terms.
    pub pair_joins: bool,
    /// Strip common Persian plural and comparative suffixes.
    pub persian_suffixes: bool,
    /// Drop frequent Persian function words.
    pub persian_stopwords: bool,
}

impl Default for AnalyzerOptions {
    fn default() -> Self {
        AnalyzerOptions {
            pair_joins: true,
            persian_suffixes: true,
            persian_stopwords: true,
        }
    }
}

/// The analyzer. Cheap to clone.
#[derive(Clone)]
pub struct Analyzer {
    options: AnalyzerOptions,
    stemmer: frostem::Stemmer,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new(AnalyzerOptions::default())
    }
}

/// A raw word: byte span in the source and its ZWNJ-separated parts, normalized.
struct RawWord {
    from: usize,
    to: usize,
    /// (normalized text, from, to) per part.
    parts: Vec<(String, usize, usize)>,
    /// Only whitespace (no punctuation, no line break) separates it from the previous word.
    joined_to_previous: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Persian,
    Latin,
    Other,
}

fn script_of(term: &str) -> Script {
    let mut latin = false;
    for c in term.chars() {
        if ('\u{0600}'..='\u{06FF}').contains(&c) {
            return Script::Persian;
        }
        if c.is_ascii_alphabetic() || (c.is_alphabetic() && (c as u32) < 0x0250) {
            latin = true;
        }
    }
    if latin {
        Script::Latin
    } else {
        Script::Other
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || is_ignorable_mark(c)
        || ('\u{0300}'..='\u{036F}').contains(&c)
        || c == '\u{200D}'
        || c == '\u{00AD}'
}

impl Analyzer {
    /// An analyzer with `options` (the index records which were used).
    pub fn new(options: AnalyzerOptions) -> Analyzer {
        Analyzer {
            options,
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }

    /// The options it was made with, for the manifest.
    pub fn options(&self) -> AnalyzerOptions {
        self.options
    }

    /// Splits `text` into raw words with their normalized ZWNJ parts.
    fn raw_words(text: &str) -> Vec<RawWord> {
        let mut words = Vec::new();
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut i = 0;
        let mut only_space_since_last = false;
        while i < chars.len() {
            let (start, c) = chars[i];
            if !is_word_char(c) {
                if c == '\n' || !(c.is_whitespace() || is_invisible(c) || c == ZWNJ) {
                    only_space_since_last = false;
                }
                i += 1;
                continue;
            }
            // A word runs over word characters, ZWNJ between word characters, and a dot
            // or decimal separator between digits (clause numbers such as 6.1.2, 3.5).
            let mut parts = Vec::new();
            let mut part = String::new();
            let mut part_from = start;
            let mut end = start;
            while i < chars.len() {
                let (at, c) = chars[i];
                let next = chars.get(i + 1).map(|&(_, n)| n);
                let next_is_word = next.is_some_and(is_word_char);
                if is_word_char(c) {
                    push_normalized_char(c, &mut part);
                    end = at + c.len_utf8();
                } else if (c == ZWNJ || is_invisible(c)) && next_is_word && end == at {
                    if c == ZWNJ {
                        if !part.is_empty() {
                            parts.push((std::mem::take(&mut part), part_from, at));
                        }
                        part_from = at + c.len_utf8();
                    }
                    end = at + c.len_utf8();
                } else if matches!(c, '.' | '٫')
                    && end == at
                    && i > 0
                    && chars[i - 1].1.is_numeric()
                    && next.is_some_and(char::is_numeric)
                {
                    part.push('.');
                    end = at + c.len_utf8();
                } else {
                    break;
                }
                i += 1;
            }
            if !part.is_empty() {
                parts.push((part, part_from, end));
            }
            if !parts.is_empty() {
                words.push(RawWord {
                    from: start,
                    to: end,
                    parts,
                    joined_to_previous: only_space_since_last,
                });
            }
            only_space_since_last = true;
        }
        words
    }

    /// The index/search form of one normalized word, or `None` when it is not searchable
    /// (a stopword, or too long to be a word).
    fn term_form(&self, word: &str) -> Option<String> {
        if word.len() > MAX_TERM_BYTES {
            return None;
        }
        match script_of(word) {
            Script::Latin => {
                if super::stopwords::is_english_stopword(word) {
                    return None;
                }
                Some(self.stemmer.stem(word).into_owned())
            }
            Script::Persian => {
                if self.options.persian_stopwords && super::stopwords::is_persian_stopword(word) {
                    return None;
                }
                if self.options.persian_suffixes {
                    Some(super::stopwords::strip_persian_suffix(word).to_string())
                } else {
                    Some(word.to_string())
                }
            }
            Script::Other => Some(word.to_string()),
        }
    }

    /// All terms of `text`, in position order.
    pub fn analyze(&self, text: &str) -> Vec<AnalyzedToken> {
        let words = Self::raw_words(text);
        let mut out = Vec::with_capacity(words.len() * 2);
        let mut position = 0usize;
        let mut previous: Option<(&RawWord, usize)> = None;
        for word in &words {
            let first_position = position;
            for (part, from, to) in &word.parts {
                if let Some(term) = self.term_form(part) {
                    out.push(AnalyzedToken {
                        text: term,
                        position,
                        from: *from,
                        to: *to,
                        kind: TokenKind::Word,
                    });
                }
                position += 1;
            }
            if word.parts.len() > 1 {
                let joined: String = word.parts.iter().map(|(p, _, _)| p.as_str()).collect();
                if let Some(term) = self.term_form(&joined) {
                    out.push(AnalyzedToken {
                        text: term,
                        position: first_position,
                        from: word.from,
                        to: word.to,
                        kind: TokenKind::Compound,
                    });
                }
            }
            if self.options.pair_joins && word.joined_to_previous {
                if let Some((prev, prev_position)) = previous {
                    let left = &prev.parts[prev.parts.len() - 1].0;
                    let right = &word.parts[0].0;
                    if script_of(left) == Script::Persian && script_of(right) == Script::Persian {
                        let pair = format!("{left}{right}");
                        if pair.len() <= MAX_TERM_BYTES {
                            out.push(AnalyzedToken {
                                text: pair,
                                position: prev_position,
                                from: prev.parts[prev.parts.len() - 1].1,
                                to: word.parts[0].2,
                                kind: TokenKind::Pair,
                            });
                        }
                    }
                }
            }
            previous = Some((word, position - 1));
        }
        out.sort_by_key(|t| (t.position, t.from));
        out
    }

    /// The normalized terms of `text` as strings (for tests, trainers and explain output).
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.analyze(text).into_iter().map(|t| t.text).collect()
    }
}

/// tantivy adapter around [`Analyzer`].
#[derive(Clone)]
pub struct EnvkbTokenizer {
    analyzer: Arc<Analyzer>,
}

impl EnvkbTokenizer {
    /// Wraps `analyzer` for registering with tantivy.
    pub fn new(analyzer: Analyzer) -> Self {
        EnvkbTokenizer {
            analyzer: Arc::new(analyzer),
        }
    }
}

/// Token stream over terms computed up front.
pub struct AnalyzedStream {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for AnalyzedStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

impl Tokenizer for EnvkbTokenizer {
    type TokenStream<'a> = AnalyzedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalyzedStream {
        let tokens = self
            .analyzer
            .analyze(text)
            .into_iter()
            .map(|t| Token {
                offset_from: t.from,
                offset_to: t.to,
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        AnalyzedStream { tokens, index: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        Analyzer::default().terms(text)
    }

    /// Whether a query written as `query` shares a term with a text written as `doc`.
    fn finds(query: &str, doc: &str) -> bool {
        let q = terms(query);
        let d = terms(doc);
        q.iter().any(|t| d.contains(t))
    }

    const AGREEMENT_FORMS: [&str; 3] = ["تفاهم\u{200C}نامه", "تفاهمنامه", "تفاهم نامه"];
    const VERB_FORMS: [&str; 3] = ["می\u{200C}شود", "میشود", "می شود"];

    #[test]
    fn every_zwnj_form_finds_every_other() {
        for forms in [AGREEMENT_FORMS, VERB_FORMS] {
            for q in forms {
                for d in forms {
                    assert!(finds(q, d), "query {q:?} does not find {d:?}");
                    let in_sentence = format!("متن {d} امضا شد");
                    assert!(finds(q, &in_sentence), "query {q:?} misses {in_sentence:?}");
                }
            }
        }
    }

    #[test]
    fn zwnj_word_gives_parts_and_compound() {
        let tokens = Analyzer::default().analyze("تفاهم\u{200C}نامه");
        let kinds: Vec<_> = tokens
            .iter()
            .map(|t| (t.text.as_str(), t.position, t.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("تفاهم", 0, TokenKind::Word),
                ("تفاهمنامه", 0, TokenKind::Compound),
                ("نامه", 1, TokenKind::Word),
            ]
        );
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "سازمانِ حفاظت محیط‌زیست ISO ۱۴۰۰۱";
        for t in Analyzer::default().analyze(text) {
            assert!(text.is_char_boundary(t.from) && text.is_char_boundary(t.to));
            assert!(t.from < t.to && t.to <= text.len());
        }
        let iso = Analyzer::default()
            .analyze(text)
            .into_iter()
            .find(|t| t.text == "14001")
            .unwrap();
        assert_eq!(&text[iso.from..iso.to], "۱۴۰۰۱");
    }

    #[test]
    fn pairs_only_between_persian_words_separated_by_spaces() {
        assert!(terms("حفاظت محیط").contains(&"حفاظتمحیط".to_string()));
        assert!(!terms("حفاظت، محیط").contains(&"حفاظتمحیط".to_string()));
        assert!(!terms("حفاظت\nمحیط").contains(&"حفاظتمحیط".to_string()));
        assert!(!terms("iso محیط")
            .iter()
            .any(|t| t.starts_with("iso") && t.len() > 3));
    }

    #[test]
    fn normalization_applies_to_terms() {
        assert_eq!(terms("كتاب"), terms("کتاب"));
        assert_eq!(terms("ماده ۶"), terms("ماده 6"));
        assert_eq!(terms("مُحیط"), terms("محیط"));
    }

    #[test]
    fn clause_numbers_and_decimals_stay_whole() {
        assert!(terms("clause 6.1.2 applies").contains(&"6.1.2".to_string()));
        assert!(terms("بند ۶٫۱٫۲").contains(&"6.1.2".to_string()));
        assert!(terms("a sentence ends. 4").contains(&"sentenc".to_string()));
    }

    #[test]
    fn english_is_stemmed_and_stopwords_dropped() {
        assert_eq!(
            terms("The Requirements of monitoring"),
            vec!["requir", "monitor"]
        );
        assert_eq!(terms("requirement"), terms("requirements"));
    }

    #[test]
    fn huge_words_are_dropped_not_indexed() {
        let long = "a".repeat(10_000);
        assert!(terms(&long).is_empty());
        assert_eq!(terms(&format!("{long} water")), vec!["water"]);
    }
}
