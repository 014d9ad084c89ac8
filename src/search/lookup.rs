//! Structural look-ups: a query that names a unit of a law («ماده ۱۲ قانون هوای پاک»،
//! «تبصره ۲ ماده ۷ قانون کار»، «بند ب ماده ۶»، "article 6 clause (d)") is resolved against
//! the indexed documents' structure before any score is looked at, so the exact unit is
//! hit 1 whatever the lexical or semantic side ranks first. A unit the named law does not
//! have gives a note («قانون مدیریت پسماندها ماده ۹۹ ندارد») and its closest units instead
//! of a confident wrong article.
//!
//! Owns matching the law name the query gives (read with the query, `lexical::units`) against
//! document titles (normalized; a partial name such as «قانون هوای پاک» matches), and
//! placing the resolved chunks at the head of a fused list. It does not search text (the
//! retrievers do) and does not know how chunks were cut (it reads their stored fields).

use std::collections::{BTreeSet, HashMap};

use super::fusion::Fused;
use crate::lexical::units::{kind_of, name_words};
use crate::lexical::{LexicalError, LexicalHit, LexicalIndex, Lookup, UnitRef, UnitRequest};

/// What a look-up resolved to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    /// Chunks to rank first, in this order.
    pub pinned: Vec<String>,
    /// Set when the named unit does not exist: one line for the user.
    pub note: Option<String>,
}

/// How well a title matches the law's words: each word found whole counts 1, found as
/// the start of a title word («پسماند» in «پسماندهای») 0.8; divided by the word count.
pub(crate) fn title_match(law_words: &[String], title: &str) -> f32 {
    words_match(law_words, &name_words(title))
}

/// [`title_match`] against a title already cut into [`name_words`].
fn words_match(law_words: &[String], title_words: &[String]) -> f32 {
    if law_words.is_empty() {
        return 0.0;
    }
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

/// What a title whose first word is another kind of document than the query names
/// («آیین‌نامه ...» for «ماده ۲ قانون پسماند») keeps of its match: a regulation repeats its
/// law's name, and the query said which of the two it wants.
const OTHER_KIND: f32 = 0.7;

/// How well `title` matches the query's law name and kind ([`title_match`], lowered by
/// [`OTHER_KIND`] when the title starts with the other kind word).
fn named_match(req: &UnitRequest, title: &str) -> f32 {
    let title_words = name_words(title);
    let score = words_match(&req.law_words, &title_words);
    let title_kind = title_words.first().and_then(|w| kind_of(w));
    match (&req.kind, title_kind) {
        (Some(want), Some(got)) if *want != got => score * OTHER_KIND,
        _ => score,
    }
}

/// The documents a query's law name names, best match first (ties all kept).
fn named_documents(index: &LexicalIndex, req: &UnitRequest) -> Vec<String> {
    let mut scored: Vec<(f32, usize, &String)> = index
        .manifest()
        .documents
        .iter()
        .map(|(id, d)| (named_match(req, &d.title), d.title.len(), id))
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

/// The chunks of `unit` among one document's chunks of its article: a named note (a clause
/// named with it is not looked at), else a named clause, else the article's own text (all
/// its chunks when it has none of its own).
fn unit_chunks<'a>(chunks: &[&'a LexicalHit], unit: &UnitRef) -> Vec<&'a LexicalHit> {
    let within = |part: &UnitRef| -> Vec<&'a LexicalHit> {
        chunks
            .iter()
            .copied()
            .filter(|h| part.contains(h))
            .collect()
    };
    if let Some(n) = &unit.note {
        if !n.is_empty() {
            return within(&UnitRef {
                clause: None,
                ..unit.clone()
            });
        }
        // «تبصره ماده N»: the unnumbered note, else the article's only (numbered) note.
        let unnumbered: Vec<_> = chunks
            .iter()
            .copied()
            .filter(|h| h.note.as_deref() == Some(""))
            .collect();
        if !unnumbered.is_empty() {
            return unnumbered;
        }
        let notes: BTreeSet<&str> = chunks.iter().filter_map(|h| h.note.as_deref()).collect();
        return if notes.len() == 1 {
            within(&UnitRef {
                clause: None,
                ..unit.clone()
            })
        } else {
            Vec::new()
        };
    }
    if unit.clause.is_some() {
        return within(unit);
    }
    let head: Vec<_> = chunks
        .iter()
        .copied()
        .filter(|h| unit.is_own_text(h))
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
    lookup: &Lookup,
    fused: &[Fused],
) -> Result<Resolution, LexicalError> {
    let Some(req) = &lookup.named else {
        return Ok(Resolution::default());
    };
    let named = if req.law_words.is_empty() {
        Vec::new()
    } else {
        named_documents(index, req)
    };
    let top_level = req.unit.article.is_empty();
    let all = match &req.unit.clause {
        Some(c) if top_level => index.top_level_clause_chunks(c)?,
        _ => index.article_chunks(&req.unit.article)?,
    };
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
    if !pinned.is_empty() || top_level {
        // A missing top-level clause gets no note: the notes speak of articles.
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
        heads.push(((v - want).abs(), a, h.passage.chunk_id));
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
