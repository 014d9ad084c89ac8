//! Units of a law (article, note, clause): reading the unit a query names («تبصره ۲ ماده ۷
//! قانون کار», "article 6 clause (d)") with the law's name, deciding whether a chunk is in a
//! named unit ([`UnitRef`]: the one resolver the look-ups, lookup-first, the evaluation's
//! gold references and the answers' features share), and reading every chunk of one article
//! number across the index for `search::lookup`. Owns no ranking; the caller decides which
//! of the chunks answers.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::TermQuery;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{TantivyDocument, Term};

use once_cell::sync::Lazy;
use regex::Regex;

use super::query::Lookup;
use super::{LexicalHit, LexicalIndex, Passage, Result};
use crate::ingest::structure::{canonical_number, clause_letter_twin, number_words, ORDINAL_WORDS};
use crate::text::normalize;

/// A unit of a law named by a query or a gold reference: the one place that decides
/// whether a chunk is in it. Numbers are compared in canonical form («۷» and "7" agree)
/// and a clause letter in either alphabet («د» and "d").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    /// Canonical article number: "12", "10 مکرر", "10 مکرر 1"; empty for a clause at the
    /// top of a document, outside any article (the numbered «بند»s of a general policy).
    pub article: String,
    /// Note number; "" for an unnumbered «تبصره ماده N».
    pub note: Option<String>,
    /// Clause letter or item number ("ب", "d", "2").
    pub clause: Option<String>,
}

/// The structural reading of a query: the unit, and the law's name when the query gives
/// one, for `search::lookup` to resolve against documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRequest {
    /// The unit.
    pub unit: UnitRef,
    /// Words of the law's name as the query gives them, normalized, without the keyword
    /// («قانون») and without filler words.
    pub law_words: Vec<String>,
    /// The query names the unit in English ("article 6"), so the note is in English.
    pub english: bool,
    /// The kind of document the query names before the name, when Persian: «قانون» or
    /// «آیین‌نامه» (normalized, as [`name_words`] writes them). A law and its regulation
    /// share most of their name, so the kind tells them apart.
    pub kind: Option<String>,
}

/// The kind word of a law-name match or of a title's first word, when it is one that
/// titles start with («قانون», «آیین‌نامه»), as [`name_words`] writes it.
pub(crate) fn kind_of(text: &str) -> Option<String> {
    let w = name_words(text).concat();
    matches!(w.as_str(), "قانون" | "آییننامه").then_some(w)
}

impl UnitRef {
    /// The unit a query's look-up names, when it names an article.
    pub fn named_by(lookup: &Lookup) -> Option<UnitRef> {
        if lookup.article.is_none() {
            // A top-level clause («بند ۱۳ سیاست‌های کلی ...») is read only with a name.
            return lookup
                .named
                .as_ref()
                .filter(|r| r.unit.article.is_empty())
                .map(|r| r.unit.clone());
        }
        Some(UnitRef {
            article: lookup.article.clone()?,
            note: lookup.note.clone(),
            clause: lookup.clause.clone(),
        })
    }

    /// Whether `chunk` lies within the unit: in the named article and, when named, in the
    /// named clause and note (an unnumbered note, "", takes any note). With the article
    /// alone, its notes and clauses are within it too.
    pub fn contains(&self, chunk: &Passage) -> bool {
        same_article(&self.article, chunk)
            && self.clause.as_deref().is_none_or(|c| same_clause(c, chunk))
            && match self.note.as_deref() {
                None => true,
                Some("") => chunk.note.is_some(),
                Some(n) => same_number(Some(n), chunk.note.as_deref()),
            }
    }

    /// Whether `chunk` is the unit's own text: every part named matches and every part not
    /// named is absent, so an article alone means its own text, not its notes or clauses.
    pub fn is_own_text(&self, chunk: &Passage) -> bool {
        same_article(&self.article, chunk)
            && same_number(self.note.as_deref(), chunk.note.as_deref())
            && match self.clause.as_deref() {
                None => chunk.clause.is_none(),
                Some(c) => same_clause(c, chunk),
            }
    }
}

fn same_article(article: &str, chunk: &Passage) -> bool {
    if article.is_empty() {
        return chunk.article.is_none();
    }
    same_number(Some(article), chunk.article.as_deref())
}

/// Both absent, or both present and the same number.
fn same_number(want: Option<&str>, got: Option<&str>) -> bool {
    match (want, got) {
        (None, None) => true,
        (Some(w), Some(g)) => w == g || canonical_number(w) == canonical_number(g),
        _ => false,
    }
}

/// The chunk's clause is `clause`, in either alphabet.
fn same_clause(clause: &str, chunk: &Passage) -> bool {
    let Some(got) = chunk.clause.as_deref() else {
        return false;
    };
    let want = canonical_number(clause);
    let got = canonical_number(got);
    got == want || clause_letter_twin(&want) == Some(got.as_str())
}

const LETTERS: &str = r"(?:الف|[بپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی])";
/// «ماده ۱۲»، «ماده (۱۲)»، «ماده اول»، «اصل ۵۰»، «اصل پنجاهم» (a constitution's principles are
/// its articles), "article 12", "article 3 bis", "the single article".
static ARTICLE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r"(?:ماده|مادّه|اصل)\s*\(?\s*([0-9]+|واحده|{ORDINAL_WORDS}\b)\s*\)?(\s*مکرر(?:\s*([0-9]+))?)?|\barticle\s+([0-9]+)(\s+bis)?|\b(single\s+article)\b",
    ))
        .expect("a valid static pattern")
});
static NOTE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"تبصره(?:\s*([0-9]+)|\s+(یک|اول|دوم|سوم|چهارم|پنجم)(?:\s|$))?|\bnote(?:\s+([0-9]+))?\b",
    )
    .expect("a valid static pattern")
});
static CLAUSE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r#"بند\s*[«"'(]?\s*({LETTERS}|[0-9]+)\s*[»"')]?(?:$|[^\p{{L}}0-9])|\bclause\s*\(?([a-z]|[0-9]+)\)?(?:$|[^\p{{L}}0-9.])"#
    ))
    .expect("a valid static pattern")
});
/// Where a law's name starts in a query.
static LAW: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"قانون|آیین\s*‌?\s*نامه|سیاست\s*‌?\s*های|\blaw\b|\bact\b|\bregulation\b|\bpolic(?:y|ies)\b",
    )
    .expect("a valid static pattern")
});
/// Where it ends: the next unit, or punctuation.
static LAW_END: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"ماده|تبصره|بند|\barticle\b|\bnote\b|\bclause\b|[?؟!.،,:؛«»()]")
        .expect("a valid static pattern")
});

/// Question words that follow a law's name in a question and are not part of it.
const FILLER: &[&str] = &[
    "چه",
    "چیست",
    "میگوید",
    "می‌گوید",
    "درباره",
    "در",
    "از",
    "و",
    "را",
    "به",
    "با",
    "که",
    "است",
    "این",
    "آن",
    "متن",
    "چیه",
    "کدام",
    "مصوب",
    "the",
    "of",
    "on",
    "what",
    "does",
    "say",
    "says",
    "about",
    "and",
    "in",
];

/// Words of a name, normalized, ZWNJ-joined parts written together, filler removed.
pub(crate) fn name_words(text: &str) -> Vec<String> {
    normalize(text)
        .replace('\u{200C}', "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !FILLER.contains(w))
        .map(str::to_string)
        .collect()
}

/// Reads the unit and the law's name from a query's normalized `text`; `None` when it
/// names no article, or (for a clause at a document's top level) no clause and no
/// document by name.
pub(super) fn read_request(text: &str) -> Option<UnitRequest> {
    let Some(a) = ARTICLE.captures(text) else {
        return top_level_clause(text);
    };
    let english = a.get(4).is_some() || a.get(6).is_some();
    // «ماده واحده», the one article of a short law (the structure reader numbers it so too).
    let mut article = match a.get(6) {
        Some(_) => "واحده".to_string(),
        None => canonical_number(a.get(1).or(a.get(4)).map_or("", |m| m.as_str())),
    };
    // «اصل اول» is also "the first principle" of a course; read an ordinal as a unit only
    // when the query names a law too («اصل پنجاهم قانون اساسی»).
    if let Some(n) = a.get(1).and_then(|m| number_words(m.as_str())) {
        if !LAW.is_match(text) {
            return top_level_clause(text);
        }
        article = n.to_string();
    }
    if a.get(2).is_some() {
        article.push_str(" مکرر");
        if let Some(n) = a.get(3) {
            article.push(' ');
            article.push_str(n.as_str());
        }
    } else if a.get(5).is_some() {
        article.push_str(" bis");
    }
    let note = NOTE.captures(text).map(|c| {
        c.get(1)
            .or(c.get(3))
            .map(|m| m.as_str().to_string())
            .or_else(|| {
                c.get(2)
                    .map(|m| number_words(m.as_str()).map_or(String::new(), |n| n.to_string()))
            })
            .unwrap_or_default()
    });
    let clause = CLAUSE
        .captures(text)
        .map(|c| canonical_number(c.get(1).or(c.get(2)).map_or("", |m| m.as_str())).to_lowercase());
    let law = LAW.find(text);
    let law_words = law
        .map(|m| {
            let rest = &text[m.end()..];
            let end = LAW_END.find(rest).map_or(rest.len(), |e| e.start());
            name_words(&rest[..end])
        })
        .unwrap_or_default();
    Some(UnitRequest {
        unit: UnitRef {
            article,
            note,
            clause,
        },
        law_words,
        english,
        kind: law.and_then(|m| kind_of(m.as_str())),
    })
}

/// «بند ۱۳ سیاست‌های کلی محیط زیست», "clause 15 of the General Environmental Policies":
/// general policies and some regulations number their clauses at the top, with no article.
/// Read only when the query also names the document, so a bare «بند ۲» stays a word.
fn top_level_clause(text: &str) -> Option<UnitRequest> {
    let c = CLAUSE.captures(text)?;
    let law = LAW.find(text)?;
    let english = c.get(2).is_some();
    let clause = canonical_number(c.get(1).or(c.get(2)).map_or("", |m| m.as_str())).to_lowercase();
    let rest = &text[law.end()..];
    let end = LAW_END.find(rest).map_or(rest.len(), |e| e.start());
    Some(UnitRequest {
        unit: UnitRef {
            article: String::new(),
            note: None,
            clause: Some(clause),
        },
        law_words: name_words(&rest[..end]),
        english,
        kind: kind_of(law.as_str()),
    })
}

impl LexicalIndex {
    /// Every chunk of clause `clause` outside any article, in document and text order.
    pub fn top_level_clause_chunks(&self, clause: &str) -> Result<Vec<LexicalHit>> {
        let mut hits = self.chunks_with(self.fields.clause, clause)?;
        hits.retain(|h| h.article.is_none());
        Ok(hits)
    }

    /// Every chunk whose article number is exactly `article` (canonical form: "12",
    /// "10 مکرر"), in document and text order.
    pub fn article_chunks(&self, article: &str) -> Result<Vec<LexicalHit>> {
        self.chunks_with(self.fields.article, article)
    }

    /// Every chunk whose structural field `field` is exactly `value`, in document and text
    /// order (the unit look-ups read whole units, so no ranking applies).
    fn chunks_with(&self, field: Field, value: &str) -> Result<Vec<LexicalHit>> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        );
        let n = searcher.search(&q, &Count)?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let top = searcher.search(&q, &TopDocs::with_limit(n).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            hits.push(self.hit_from_doc(&doc, 0.0, &Default::default()));
        }
        hits.sort_by(|a, b| a.doc_id.cmp(&b.doc_id).then(a.start.cmp(&b.start)));
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(q: &str) -> (String, Option<String>, Option<String>, Vec<String>) {
        let r = read_request(&normalize(q)).unwrap();
        (r.unit.article, r.unit.note, r.unit.clause, r.law_words)
    }

    #[test]
    fn units_in_either_order_and_any_digits() {
        assert_eq!(
            unit("تبصره ۲ ماده ۷ قانون کار"),
            ("7".into(), Some("2".into()), None, vec!["کار".to_string()])
        );
        assert_eq!(unit("ماده 7 تبصره 2").1, Some("2".into()));
        assert_eq!(unit("بند «ب» ماده ۶").2, Some("ب".into()));
        assert_eq!(unit("ماده ۶ بند د").2, Some("د".into()));
        assert_eq!(unit("بند ۲ ماده ۶").2, Some("2".into()));
        assert_eq!(unit("تبصره ماده ۴").1, Some(String::new()));
        assert_eq!(unit("ماده ۱۰ مکرر ۱").0, "10 مکرر 1");
        assert_eq!(unit("ماده ۶ مکرر قانون پسماند").0, "6 مکرر");
        assert_eq!(
            unit("تبصره ۲ ماده واحده قانون الزام صنایع"),
            (
                "واحده".into(),
                Some("2".into()),
                None,
                vec!["الزام".to_string(), "صنایع".to_string()]
            )
        );
        assert_eq!(unit("the single article of the monitoring law").0, "واحده");
        assert_eq!(unit("اصل ۵۰ قانون اساسی").0, "50");
        assert_eq!(unit("اصل پنجاهم قانون اساسی").0, "50");
        assert_eq!(unit("تبصره ۱ ماده (۳) قانون پسماند").0, "3");
        assert_eq!(unit("ماده دوم قانون پسماند").0, "2");
        // Without a law's name an ordinal is a word: «اصل اول» of a course, «ماده اولیه».
        assert!(read_request(&normalize("اصل اول مدیریت کیفیت چیست")).is_none());
        assert!(read_request(&normalize("ماده اولیه قانون پسماند")).is_none());
        assert_eq!(
            unit("ماده ۱۲ قانون هوای پاک چه می‌گوید؟").3,
            vec!["هوای".to_string(), "پاک".to_string()]
        );
        assert_eq!(unit("قانون هوای پاک ماده ۱۲").3.len(), 2);
        let en = read_request(&normalize(
            "What does Article 6 clause (d) of the Environmental Protection Act say?",
        ))
        .unwrap();
        assert!(en.english);
        assert_eq!(en.unit.clause.as_deref(), Some("d"));
        assert!(read_request(&normalize("قانون هوای پاک")).is_none());
        // A clause at a document's top level, read only with the document's name.
        assert_eq!(
            unit("بند ۱۳ سیاست‌های کلی محیط زیست چه می‌گوید؟"),
            (
                String::new(),
                None,
                Some("13".into()),
                vec!["کلی".to_string(), "محیط".to_string(), "زیست".to_string()]
            )
        );
        let en = read_request(&normalize(
            "What does clause 15 of Iran's General Environmental Policies say?",
        ))
        .unwrap();
        assert_eq!(
            (en.unit.article.as_str(), en.unit.clause.as_deref()),
            ("", Some("15"))
        );
        assert!(read_request(&normalize("بند ۲ چه می‌گوید؟")).is_none());
        assert!(read_request(&normalize("مواد اولیه")).is_none());
    }
}
