//! The query language users type, and its translation into tantivy queries.
//!
//! Grammar: words, `"exact phrases"`, `+must` and `-must_not` prefixes on a word or a
//! phrase. Everything else is text. Article/clause lookups («ماده ۶ بند د», "article 6
//! clause d", "6.1.2") are recognized on top and boost the chunk that carries that number.
//! Bad input (empty, unbalanced quotes, an operator with nothing after it) is a
//! [`QueryError`] with a message that says what to fix.

use once_cell::sync::Lazy;
use regex::Regex;
use thiserror::Error;

use crate::ingest::structure::{canonical_number, clause_letter_twin};
use crate::text::normalize;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;

/// A query the user must fix.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QueryError {
    #[error("empty query: type some words to search for")]
    /// Nothing but white space.
    Empty,
    #[error("query too long ({chars} characters; the limit is {limit})")]
    /// Longer than the query limit.
    TooLong {
        /// Characters in the query.
        chars: usize,
        /// The most allowed.
        limit: usize,
    },
    #[error("unbalanced quote: the phrase starting at character {at} is never closed; add a closing \" or remove the quote")]
    /// A phrase quote is never closed.
    UnbalancedQuote {
        /// Character position of the opening quote.
        at: usize,
    },
    #[error("stray operator {op:?} at character {at}: put it directly before a word, as in +ماده or -draft")]
    /// `+` or `-` not directly before a word.
    StrayOperator {
        /// The operator (`+` or `-`).
        op: char,
        /// Its character position.
        at: usize,
    },
    #[error(
        "nothing to search for: the query has only operators, punctuation or very common words"
    )]
    /// Only operators, punctuation or stopwords.
    NothingSearchable,
    #[error("the query only excludes words; add at least one word to search for")]
    /// Every term is excluded with `-`.
    OnlyExclusions,
}

/// How a clause takes part in matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurrence {
    /// Scores when it matches; not required.
    Should,
    /// Required (`+word`).
    Must,
    /// Excluded (`-word`).
    MustNot,
}

/// One piece of a parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryClause {
    pub(crate) occurrence: Occurrence,
    /// The words (or the phrase) as typed.
    pub text: String,
    /// Quoted: the words must stand together in this order.
    pub phrase: bool,
}

/// A direct reference to an article, clause or note found in the query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookup {
    /// The article number the query names, canonical.
    pub article: Option<String>,
    /// The clause letter or number (or an ISO clause number such as 6.1.2).
    pub clause: Option<String>,
    /// The note number; empty for an unnumbered note.
    pub note: Option<String>,
    /// The same query read for the structural look-up (`search::lookup`): the unit with
    /// «مکرر» and ordinal notes, and the law's name. Read here, with the rest, so the query
    /// is parsed once.
    pub named: Option<super::units::UnitRequest>,
}

impl Lookup {
    /// Whether the query names no unit at all.
    pub fn is_empty(&self) -> bool {
        self.article.is_none() && self.clause.is_none() && self.note.is_none()
    }

    /// The clause value and its other-alphabet twin («د» and "d").
    pub fn clause_forms(&self) -> Vec<String> {
        let Some(c) = &self.clause else {
            return Vec::new();
        };
        let mut forms = vec![c.clone()];
        if let Some(twin) = clause_letter_twin(c) {
            forms.push(twin.to_string());
        }
        forms
    }
}

/// A parsed user query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedQuery {
    /// The query as typed.
    pub raw: String,
    /// Its words and phrases with their operators.
    pub clauses: Vec<QueryClause>,
    /// The unit it names, if any.
    pub lookup: Lookup,
}

impl ParsedQuery {
    /// All the text that is searched for (not excluded), for embedding and highlighting.
    pub fn positive_text(&self) -> String {
        self.clauses
            .iter()
            .filter(|c| c.occurrence != Occurrence::MustNot)
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”')
}

/// Parses the query language. Analysis into terms happens later, in the index.
pub fn parse(raw: &str) -> Result<ParsedQuery, QueryError> {
    let chars: Vec<char> = raw.chars().collect();
    if chars.len() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong {
            chars: chars.len(),
            limit: MAX_QUERY_CHARS,
        });
    }
    if raw.trim().is_empty() {
        return Err(QueryError::Empty);
    }
    let mut clauses = Vec::new();
    let mut words = String::new();
    let mut i = 0;
    let flush = |words: &mut String, clauses: &mut Vec<QueryClause>| {
        if !words.trim().is_empty() {
            clauses.push(QueryClause {
                occurrence: Occurrence::Should,
                text: words.trim().to_string(),
                phrase: false,
            });
        }
        words.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        let at_word_start = i == 0 || chars[i - 1].is_whitespace();
        if (c == '+' || c == '-') && at_word_start {
            let next = chars.get(i + 1).copied();
            match next {
                Some(n) if !n.is_whitespace() && n != '+' && n != '-' => {
                    let occurrence = if c == '+' {
                        Occurrence::Must
                    } else {
                        Occurrence::MustNot
                    };
                    flush(&mut words, &mut clauses);
                    i += 1;
                    let (text, phrase, next_i) = if is_quote(chars[i]) {
                        let close = find_close(&chars, i)?;
                        (
                            chars[i + 1..close].iter().collect::<String>(),
                            true,
                            close + 1,
                        )
                    } else {
                        let mut j = i;
                        while j < chars.len() && !chars[j].is_whitespace() {
                            j += 1;
                        }
                        (chars[i..j].iter().collect::<String>(), false, j)
                    };
                    clauses.push(QueryClause {
                        occurrence,
                        text,
                        phrase,
                    });
                    i = next_i;
                    continue;
                }
                _ => return Err(QueryError::StrayOperator { op: c, at: i + 1 }),
            }
        }
        if is_quote(c) {
            flush(&mut words, &mut clauses);
            let close = find_close(&chars, i)?;
            clauses.push(QueryClause {
                occurrence: Occurrence::Should,
                text: chars[i + 1..close].iter().collect(),
                phrase: true,
            });
            i = close + 1;
            continue;
        }
        words.push(c);
        i += 1;
    }
    flush(&mut words, &mut clauses);
    clauses.retain(|c| c.text.chars().any(char::is_alphanumeric));
    if clauses.is_empty() {
        return Err(QueryError::NothingSearchable);
    }
    if clauses.iter().all(|c| c.occurrence == Occurrence::MustNot) {
        return Err(QueryError::OnlyExclusions);
    }
    Ok(ParsedQuery {
        lookup: find_lookup(raw),
        raw: raw.to_string(),
        clauses,
    })
}

fn find_close(chars: &[char], open: usize) -> Result<usize, QueryError> {
    chars[open + 1..]
        .iter()
        .position(|&c| is_quote(c))
        .map(|p| open + 1 + p)
        .ok_or(QueryError::UnbalancedQuote { at: open + 1 })
}

const LETTERS: &str = r"(?:الف|[بپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی])";
static ARTICLE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?:ماده|(?i:article|art\.?))\s*([0-9]+)").expect("a valid static pattern")
});
static CLAUSE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r#"(?:بند|(?i:clause|paragraph))(?:\s+[«"'(]?|[«"'(])\s*({LETTERS}|[0-9]+(?:\.[0-9]+)*|[a-zA-Z])\s*[»"')]?(?:$|[^\p{{L}}0-9])"#
    ))
    .expect("a valid static pattern")
});
static NOTE: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"(?:تبصره|(?i:note))\s*([0-9]+)?").expect("a valid static pattern"));
static DOTTED: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?:^|[^0-9.])([0-9]{1,2}(?:\.[0-9]{1,2}){1,4})(?:$|[^0-9.])")
        .expect("a valid static pattern")
});

/// A natural-language question as a query: all its words as one optional clause (no
/// operators, so "-" or quotes in a question are just text) plus any article/clause look-up
/// it names. Used by answers and by the evaluation of question sets alike.
pub fn question_query(text: &str) -> ParsedQuery {
    ParsedQuery {
        raw: text.to_string(),
        clauses: vec![QueryClause {
            occurrence: Occurrence::Should,
            text: text.to_string(),
            phrase: false,
        }],
        lookup: find_lookup(text),
    }
}

/// Finds «ماده ۶ بند د», "article 6 clause d", «تبصره ۱» and bare "6.1.2" in a query.
pub fn find_lookup(raw: &str) -> Lookup {
    let text = normalize(raw);
    let mut lookup = Lookup::default();
    if let Some(c) = ARTICLE.captures(&text) {
        lookup.article = Some(canonical_number(&c[1]));
    }
    if let Some(c) = CLAUSE.captures(&text) {
        lookup.clause = Some(canonical_number(&c[1]).to_lowercase());
    } else if let Some(c) = DOTTED.captures(&text) {
        lookup.clause = Some(c[1].to_string());
    }
    if let Some(c) = NOTE.captures(&text) {
        if text.contains("تبصره") || c.get(1).is_some() {
            lookup.note = Some(c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default());
        }
    }
    lookup.named = super::units::read_request(&text);
    lookup
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_operators() {
        let q = parse(r#"ISO "energy review" +baseline -draft"#).unwrap();
        let got: Vec<_> = q
            .clauses
            .iter()
            .map(|c| (c.occurrence, c.text.as_str(), c.phrase))
            .collect();
        assert_eq!(
            got,
            vec![
                (Occurrence::Should, "ISO", false),
                (Occurrence::Should, "energy review", true),
                (Occurrence::Must, "baseline", false),
                (Occurrence::MustNot, "draft", false),
            ]
        );
        assert_eq!(parse("well-being e-waste").unwrap().clauses.len(), 1);
    }

    #[test]
    fn bad_queries_say_what_to_fix() {
        assert_eq!(parse("   "), Err(QueryError::Empty));
        assert_eq!(
            parse(r#"ماده "۶ بند"#),
            Err(QueryError::UnbalancedQuote { at: 6 })
        );
        assert_eq!(
            parse("water + energy"),
            Err(QueryError::StrayOperator { op: '+', at: 7 })
        );
        assert_eq!(
            parse("water -"),
            Err(QueryError::StrayOperator { op: '-', at: 7 })
        );
        assert_eq!(parse("?? !!"), Err(QueryError::NothingSearchable));
        assert_eq!(parse("-draft"), Err(QueryError::OnlyExclusions));
        assert!(matches!(
            parse(&"آب ".repeat(1000)),
            Err(QueryError::TooLong { .. })
        ));
        assert!(parse("\"\"").is_err());
    }

    #[test]
    fn article_and_clause_lookups() {
        let l = find_lookup("ماده ۶ بند د");
        assert_eq!(
            (l.article.as_deref(), l.clause.as_deref()),
            (Some("6"), Some("د"))
        );
        assert_eq!(l.clause_forms(), vec!["د", "d"]);
        let l = find_lookup("بند «الف» ماده ۱۲");
        assert_eq!(
            (l.article.as_deref(), l.clause.as_deref()),
            (Some("12"), Some("الف"))
        );
        let l = find_lookup("What does article 6 clause (d) say?");
        assert_eq!(
            (l.article.as_deref(), l.clause.as_deref()),
            (Some("6"), Some("d"))
        );
        let l = find_lookup("ISO 50001 6.3 energy review");
        assert_eq!(l.clause.as_deref(), Some("6.3"));
        assert!(l.article.is_none());
        let l = find_lookup("تبصره ۲ ماده ۱۱");
        assert_eq!(
            (l.article.as_deref(), l.note.as_deref()),
            (Some("11"), Some("2"))
        );
        assert!(find_lookup("ISO 14001 requirements").is_empty());
        assert!(find_lookup("بندر عباس").clause.is_none());
    }
}
