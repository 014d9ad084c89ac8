//! Structural look-ups: a query that names a unit of a law («ماده ۱۲ قانون هوای پاک»،
//! «تبصره ۲ ماده ۷ قانون کار»، «بند ب ماده ۶»، "article 6 clause (d)") is resolved against
//! the indexed documents' structure before any score is looked at, so the exact unit is
//! hit 1 whatever the lexical or semantic side ranks first. A unit the named law does not
//! have gives a note («قانون مدیریت پسماندها ماده ۹۹ ندارد») and its closest units instead
//! of a confident wrong article.
//!
//! Owns parsing the unit and the law name out of a query, matching law names against
//! document titles (normalized; a partial name such as «قانون هوای پاک» matches), and
//! placing the resolved chunks at the head of a fused list. It does not search text (the
//! retrievers do) and does not know how chunks were cut (it reads their stored fields).

use std::collections::{BTreeSet, HashMap};

use once_cell::sync::Lazy;
use regex::Regex;

use super::fusion::Fused;
use crate::ingest::structure::{canonical_number, clause_letter_twin};
use crate::lexical::{LexicalError, LexicalHit, LexicalIndex};
use crate::text::normalize;

/// A unit named by a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    /// Canonical article number: "12", "10 مکرر", "10 مکرر 1".
    pub article: String,
    /// Note number; "" for an unnumbered «تبصره ماده N».
    pub note: Option<String>,
    /// Clause letter or item number ("ب", "d", "2").
    pub clause: Option<String>,
}

/// A look-up read from a query: the unit, and the law's name when the query gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub unit: UnitRef,
    /// Words of the law's name as the query gives them, normalized, without the keyword
    /// («قانون») and without filler words.
    pub law_words: Vec<String>,
    /// The query names the unit in English ("article 6"), so the note is in English.
    pub english: bool,
}

/// What a look-up resolved to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    /// Chunks to rank first, in this order.
    pub pinned: Vec<String>,
    /// Set when the named unit does not exist: one line for the user.
    pub note: Option<String>,
}

const LETTERS: &str = r"(?:الف|[بپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی])";
static ARTICLE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"(?:ماده|مادّه)\s*([0-9]+)(\s*مکرر(?:\s*([0-9]+))?)?|\barticle\s+([0-9]+)(\s+bis)?")
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
    Regex::new(r"قانون|آیین\s*‌?\s*نامه|سیاست\s*‌?\s*های|\blaw\b|\bact\b|\bregulation\b")
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

fn ordinal(word: &str) -> &'static str {
    match word {
        "یک" | "اول" => "1",
        "دوم" => "2",
        "سوم" => "3",
        "چهارم" => "4",
        "پنجم" => "5",
        _ => "",
    }
}

/// Words of a name, normalized, ZWNJ-joined parts written together, filler removed.
fn name_words(text: &str) -> Vec<String> {
    normalize(text)
        .replace('\u{200C}', "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !FILLER.contains(w))
        .map(str::to_string)
        .collect()
}

/// Reads a look-up from a query; `None` when it names no article.
pub fn parse(raw: &str) -> Option<Request> {
    let text = normalize(raw);
    let a = ARTICLE.captures(&text)?;
    let english = a.get(4).is_some();
    let mut article = canonical_number(a.get(1).or(a.get(4)).map_or("", |m| m.as_str()));
    if a.get(2).is_some() {
        article.push_str(" مکرر");
        if let Some(n) = a.get(3) {
            article.push(' ');
            article.push_str(n.as_str());
        }
    } else if a.get(5).is_some() {
        article.push_str(" bis");
    }
    let note = NOTE.captures(&text).map(|c| {
        c.get(1)
            .or(c.get(3))
            .map(|m| m.as_str().to_string())
            .or_else(|| c.get(2).map(|m| ordinal(m.as_str()).to_string()))
            .unwrap_or_default()
    });
    let clause = CLAUSE
        .captures(&text)
        .map(|c| canonical_number(c.get(1).or(c.get(2)).map_or("", |m| m.as_str())).to_lowercase());
    let law_words = LAW
        .find(&text)
        .map(|m| {
            let rest = &text[m.end()..];
            let end = LAW_END.find(rest).map_or(rest.len(), |e| e.start());
            name_words(&rest[..end])
        })
        .unwrap_or_default();
    Some(Request {
        unit: UnitRef {
            article,
            note,
            clause,
        },
        law_words,
        english,
    })
}

/// How well a title matches the law's words: each word found whole counts 1, found as
/// the start of a title word («پسماند» in «پسماندهای») 0.8; divided by the word count.
pub(crate) fn title_match(law_words: &[String], title: &str) -> f32 {
    if law_words.is_empty() {
        return 0.0;
    }
    let title_words = name_words(title);
    let got: f32 = law_words
        .iter()
        .map(|w| {
            if title_words.iter().any(|t| t == w) {
                1.0
            } else if w.chars().count() >= 3
                && title_words.iter().any(|t| t.starts_with(w.as_str()))
            {
                0.8
            } else {
                0.0
            }
        })
        .sum();
    got / law_words.len() as f32
}

/// Least share of a law's words a title must hold to be taken for that law.
pub(crate) const MIN_TITLE_MATCH: f32 = 0.6;
/// Most chunks put first for one look-up (a long unit is split into several).
const MAX_PINNED: usize = 6;

/// The documents a query's law name names, best match first (ties all kept).
fn named_documents(index: &LexicalIndex, law_words: &[String]) -> Vec<String> {
    let mut scored: Vec<(f32, usize, &String)> = index
        .manifest()
        .documents
        .iter()
        .map(|(id, d)| (title_match(law_words, &d.title), d.title.len(), id))
        .filter(|(s, _, _)| *s >= MIN_TITLE_MATCH)
        .collect();
    let Some(best) = scored.iter().map(|s| s.0).reduce(f32::max) else {
        return Vec::new();
    };
    scored.retain(|s| (s.0 - best).abs() < 1e-6);
    scored.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(b.2)));
    scored.into_iter().map(|s| s.2.clone()).collect()
}

fn is_article_head(h: &LexicalHit) -> bool {
    h.note.is_none() && h.clause.is_none()
}

/// The chunks of `unit` among one document's chunks of its article.
fn unit_chunks<'a>(chunks: &[&'a LexicalHit], unit: &UnitRef) -> Vec<&'a LexicalHit> {
    if let Some(n) = &unit.note {
        let exact: Vec<_> = chunks
            .iter()
            .copied()
            .filter(|h| h.note.as_deref() == Some(n.as_str()))
            .collect();
        if !exact.is_empty() || !n.is_empty() {
            return exact;
        }
        // «تبصره ماده N» for an article with a single (numbered) note.
        let notes: BTreeSet<&str> = chunks.iter().filter_map(|h| h.note.as_deref()).collect();
        return if notes.len() == 1 {
            chunks
                .iter()
                .copied()
                .filter(|h| h.note.is_some())
                .collect()
        } else {
            Vec::new()
        };
    }
    if let Some(c) = &unit.clause {
        let twin = clause_letter_twin(c);
        return chunks
            .iter()
            .copied()
            .filter(|h| {
                h.clause
                    .as_deref()
                    .is_some_and(|hc| hc == c || Some(hc) == twin)
            })
            .collect();
    }
    let head: Vec<_> = chunks
        .iter()
        .copied()
        .filter(|h| is_article_head(h))
        .collect();
    if head.is_empty() {
        chunks.to_vec()
    } else {
        head
    }
}

/// Writes ASCII digits as Persian ones, for notes shown beside Persian text.
fn fa_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32('۰' as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn unit_words(unit: &UnitRef, english: bool) -> String {
    let sub = match (&unit.note, &unit.clause) {
        (Some(n), _) if english => format!(" Note {n}"),
        (Some(n), _) if n.is_empty() => " تبصره".to_string(),
        (Some(n), _) => format!(" تبصره {}", fa_digits(n)),
        (None, Some(c)) if english => format!(" clause ({c})"),
        (None, Some(c)) => format!(" بند {}", fa_digits(c)),
        (None, None) => String::new(),
    };
    if english {
        format!("Article {}{sub}", unit.article)
    } else {
        format!("ماده {}{sub}", fa_digits(&unit.article))
    }
}

/// The leading integer of an article number ("10 مکرر" → 10).
fn article_value(a: &str) -> Option<i64> {
    a.split_whitespace().next()?.parse().ok()
}

/// Resolves a query's look-up against the index. `fused` (best first) decides between
/// documents when several have the unit and the query names no law.
pub fn resolve(
    index: &LexicalIndex,
    raw: &str,
    fused: &[Fused],
) -> Result<Resolution, LexicalError> {
    let Some(req) = parse(raw) else {
        return Ok(Resolution::default());
    };
    let named = if req.law_words.is_empty() {
        Vec::new()
    } else {
        named_documents(index, &req.law_words)
    };
    let all = index.article_chunks(&req.unit.article)?;
    let mut by_doc: HashMap<&str, Vec<&LexicalHit>> = HashMap::new();
    for h in &all {
        if named.is_empty() || named.iter().any(|d| d == &h.doc_id) {
            by_doc.entry(h.doc_id.as_str()).or_default().push(h);
        }
    }
    // Documents in the order the ranking found them; the named law's order first.
    let rank_of: HashMap<&str, usize> = fused
        .iter()
        .enumerate()
        .rev()
        .filter_map(|(i, f)| f.id.rsplit_once('#').map(|(d, _)| (d, i)))
        .collect();
    let mut docs: Vec<&str> = by_doc.keys().copied().collect();
    docs.sort_by_key(|d| {
        (
            named.iter().position(|n| n == d).unwrap_or(usize::MAX),
            rank_of.get(d).copied().unwrap_or(usize::MAX),
            d.to_string(),
        )
    });
    let mut pinned = Vec::new();
    for d in &docs {
        for h in unit_chunks(&by_doc[d], &req.unit) {
            if pinned.len() < MAX_PINNED {
                pinned.push(h.chunk_id.clone());
            }
        }
        if !pinned.is_empty() && !named.is_empty() {
            break;
        }
    }
    if !pinned.is_empty() {
        return Ok(Resolution { pinned, note: None });
    }
    // Not found: say so, and put the closest units first.
    let words = unit_words(&req.unit, req.english);
    let Some(doc) = named.first().map(String::as_str).or(docs.first().copied()) else {
        return Ok(Resolution {
            pinned,
            note: Some(if req.english {
                format!("no indexed document has {words}")
            } else {
                format!("هیچ سند نمایه‌شده‌ای {words} ندارد")
            }),
        });
    };
    let title = index
        .manifest()
        .documents
        .get(doc)
        .map_or(doc.to_string(), |d| d.title.clone());
    if let Some(chunks) = by_doc.get(doc) {
        // The article exists, its تبصره or بند does not: the article's units instead.
        let labels: Vec<String> = chunks
            .iter()
            .filter_map(|h| h.breadcrumb.last().cloned().filter(|_| !is_article_head(h)))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        pinned.extend(
            unit_chunks(
                chunks,
                &UnitRef {
                    note: None,
                    clause: None,
                    ..req.unit.clone()
                },
            )
            .iter()
            .map(|h| h.chunk_id.clone()),
        );
        let has = if labels.is_empty() {
            String::new()
        } else if req.english {
            format!("; it has {}", labels.join(", "))
        } else {
            format!("؛ این ماده دارد: {}", labels.join("، "))
        };
        return Ok(Resolution {
            pinned,
            note: Some(if req.english {
                format!("{title}: {words} not found{has}")
            } else {
                format!("{title} {words} ندارد{has}")
            }),
        });
    }
    // The article itself is missing: the nearest articles of that law.
    let want = article_value(&req.unit.article).unwrap_or(0);
    let mut heads: Vec<(i64, String, String)> = Vec::new();
    for h in index.document_chunks(doc)? {
        let (Some(a), true) = (h.article.clone(), is_article_head(&h)) else {
            continue;
        };
        if heads.iter().any(|(_, x, _)| x == &a) {
            continue;
        }
        let v = article_value(&a).unwrap_or(i64::MAX / 2);
        heads.push(((v - want).abs(), a, h.chunk_id));
    }
    heads.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
    heads.truncate(3);
    let near: Vec<String> = heads
        .iter()
        .map(|(_, a, _)| {
            if req.english {
                format!("Article {a}")
            } else {
                format!("ماده {}", fa_digits(a))
            }
        })
        .collect();
    pinned.extend(heads.into_iter().map(|(_, _, id)| id));
    let near = if near.is_empty() {
        String::new()
    } else if req.english {
        format!("; closest: {}", near.join(", "))
    } else {
        format!("؛ نزدیک‌ترین مواد: {}", near.join("، "))
    };
    Ok(Resolution {
        pinned,
        note: Some(if req.english {
            format!("{title} has no {words}{near}")
        } else {
            format!("{title} {words} ندارد{near}")
        }),
    })
}

/// Puts `pinned` first (in order, above every other score), the rest after in their order.
pub fn pin(fused: Vec<Fused>, pinned: &[String]) -> Vec<Fused> {
    if pinned.is_empty() {
        return fused;
    }
    let top = fused.first().map_or(1.0, |f| f.fused_score.max(1.0));
    let mut rest = fused;
    let mut head = Vec::with_capacity(pinned.len());
    for (i, id) in pinned.iter().enumerate() {
        let score = top + (pinned.len() - i) as f32 * 1e-3;
        match rest.iter().position(|f| &f.id == id) {
            Some(p) => {
                let mut f = rest.remove(p);
                f.fused_score = score;
                head.push(f);
            }
            None => head.push(Fused {
                id: id.clone(),
                fused_score: score,
                lexical: None,
                semantic: None,
            }),
        }
    }
    head.extend(rest);
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(q: &str) -> (String, Option<String>, Option<String>, Vec<String>) {
        let r = parse(q).unwrap();
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
            unit("ماده ۱۲ قانون هوای پاک چه می‌گوید؟").3,
            vec!["هوای".to_string(), "پاک".to_string()]
        );
        assert_eq!(unit("قانون هوای پاک ماده ۱۲").3.len(), 2);
        let en = parse("What does Article 6 clause (d) of the Environmental Protection Act say?")
            .unwrap();
        assert!(en.english);
        assert_eq!(en.unit.clause.as_deref(), Some("d"));
        assert!(parse("قانون هوای پاک").is_none());
        assert!(parse("مواد اولیه").is_none());
    }

    #[test]
    fn partial_law_names_match_titles() {
        let words = name_words("هوای پاک");
        assert!(title_match(&words, "قانون هوای پاک شهرهای نمونه") >= 1.0);
        assert!(title_match(&name_words("مدیریت پسماند"), "قانون مدیریت پسماندهای شهری") >= 0.8);
        assert!(title_match(&name_words("کار"), "قانون حفاظت از جنگل‌ها") < MIN_TITLE_MATCH);
    }

    #[test]
    fn pinned_chunks_come_first_in_order() {
        let f = |id: &str, s: f32| Fused {
            id: id.into(),
            fused_score: s,
            lexical: None,
            semantic: None,
        };
        let out = pin(
            vec![f("a#1", 0.9), f("b#2", 0.5)],
            &["b#2".into(), "c#0".into()],
        );
        let ids: Vec<_> = out.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, vec!["b#2", "c#0", "a#1"]);
        assert!(out[0].fused_score > out[1].fused_score && out[1].fused_score > out[2].fused_score);
    }
}
