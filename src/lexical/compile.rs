//! The query compiler: a parsed user query and filters become one tantivy query, with the
//! analyzed terms to highlight, analyzed once per search ([`CompiledQuery`]).
//!
//! Owns field boosts applied to terms, phrases, article/clause look-ups and the filter
//! clauses; it does not run searches (`reader`) or parse the query language (`query`).

use std::collections::HashSet;

use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use super::query::{self, Lookup, Occurrence, ParsedQuery, QueryError};
use super::{Filters, LexicalIndex, Result};
use crate::text::TokenKind;

/// A query ready to run: the tantivy query and the terms it highlights. Built once per search
/// and shared by the ranked list, the `+`/`-` constraint check and the hits shown.
#[derive(Debug)]
pub struct CompiledQuery {
    pub(super) query: Box<dyn Query>,
    pub(super) terms: HashSet<String>,
}

impl CompiledQuery {
    /// The analyzed terms the query searches for (not the excluded ones), for highlighting.
    pub fn terms(&self) -> &HashSet<String> {
        &self.terms
    }
}

impl LexicalIndex {
    /// Compiles `query` with `filters`; [`QueryError::NothingSearchable`] when no clause
    /// survives analysis (only stopwords or punctuation).
    pub fn compile(&self, query: &ParsedQuery, filters: &Filters) -> Result<CompiledQuery> {
        let Some(q) = self.build_query(query, filters)? else {
            return Err(QueryError::NothingSearchable.into());
        };
        Ok(CompiledQuery {
            query: q,
            terms: self.query_terms(query),
        })
    }

    /// The analyzed terms a query searches for (not the excluded ones), for highlighting.
    pub fn query_terms(&self, query: &ParsedQuery) -> HashSet<String> {
        self.analyzer
            .analyze(&query.positive_text())
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    fn term_query(&self, field: tantivy::schema::Field, text: &str, boost: f32) -> Box<dyn Query> {
        let q: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        ));
        if (boost - 1.0).abs() < f32::EPSILON {
            q
        } else {
            Box::new(BoostQuery::new(q, boost))
        }
    }

    /// Each term searched in body, title and breadcrumb with their boosts.
    fn terms_query(&self, terms: &[(String, f32)]) -> Option<Box<dyn Query>> {
        let b = self.boosts;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (t, w) in terms.iter().filter(|(_, w)| *w > 0.0) {
            should.push((
                Occur::Should,
                self.term_query(self.fields.body, t, b.body * w),
            ));
            if b.title > 0.0 {
                should.push((
                    Occur::Should,
                    self.term_query(self.fields.title, t, b.title * w),
                ));
            }
            if b.breadcrumb > 0.0 {
                should.push((
                    Occur::Should,
                    self.term_query(self.fields.breadcrumb, t, b.breadcrumb * w),
                ));
            }
        }
        if should.is_empty() {
            return None;
        }
        Some(Box::new(BooleanQuery::new(should)))
    }

    fn phrase_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let words: Vec<_> = self
            .analyzer
            .analyze(text)
            .into_iter()
            .filter(|t| t.kind == TokenKind::Word)
            .collect();
        if words.len() < 2 {
            return self.terms_query(&words.into_iter().map(|t| (t.text, 1.0)).collect::<Vec<_>>());
        }
        let base = words[0].position;
        let make = |field| {
            PhraseQuery::new_with_offset(
                words
                    .iter()
                    .map(|t| (t.position - base, Term::from_field_text(field, &t.text)))
                    .collect(),
            )
        };
        Some(Box::new(BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(make(self.fields.body)) as Box<dyn Query>,
            ),
            (
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(make(self.fields.title)),
                    self.boosts.title.max(0.1),
                )),
            ),
        ])))
    }

    fn clause_query(&self, clause: &query::QueryClause) -> Option<Box<dyn Query>> {
        if clause.phrase {
            return self.phrase_query(&clause.text);
        }
        let tokens = self.analyzer.analyze(&clause.text);
        let weight = |kind| match kind {
            TokenKind::Pair => self.boosts.pair,
            _ => 1.0,
        };
        let terms: Vec<(String, f32)> = if clause.occurrence == Occurrence::MustNot
            && tokens.iter().any(|t| t.kind == TokenKind::Compound)
        {
            // Excluding «تفاهم‌نامه» should not exclude every text with «نامه».
            tokens
                .into_iter()
                .filter(|t| t.kind == TokenKind::Compound)
                .map(|t| (t.text, 1.0))
                .collect()
        } else if clause.occurrence == Occurrence::Should {
            tokens
                .into_iter()
                .map(|t| (t.text, weight(t.kind)))
                .collect()
        } else {
            tokens.into_iter().map(|t| (t.text, 1.0)).collect()
        };
        self.terms_query(&terms)
    }

    fn lookup_query(&self, lookup: &Lookup) -> Option<Box<dyn Query>> {
        if lookup.is_empty() {
            return None;
        }
        let f = self.fields;
        let exact = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(a) = &lookup.article {
            parts.push((Occur::Must, exact(f.article, a)));
        }
        let clause_forms = lookup.clause_forms();
        if !clause_forms.is_empty() {
            let any: Vec<(Occur, Box<dyn Query>)> = clause_forms
                .iter()
                .map(|c| (Occur::Should, exact(f.clause, c)))
                .collect();
            parts.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(n) = &lookup.note {
            if !n.is_empty() {
                parts.push((Occur::Must, exact(f.note, n)));
            }
        }
        if parts.is_empty() {
            return None;
        }
        // The full match (article and clause) scores the boost; the article alone scores
        // half, so its other clauses follow right after.
        let mut should: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Should,
            Box::new(ConstScoreQuery::new(
                Box::new(BooleanQuery::new(parts)),
                self.boosts.lookup,
            )),
        )];
        if let (Some(a), false) = (
            &lookup.article,
            clause_forms.is_empty() && lookup.note.is_none(),
        ) {
            should.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(
                    exact(f.article, a),
                    self.boosts.lookup / 2.0,
                )),
            ));
        }
        Some(Box::new(BooleanQuery::new(should)))
    }

    fn filter_query(&self, filters: &Filters) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields;
        let any_of = |field, values: Vec<String>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                values
                    .iter()
                    .map(|v| {
                        (
                            Occur::Should,
                            Box::new(TermQuery::new(
                                Term::from_field_text(field, v),
                                IndexRecordOption::Basic,
                            )) as Box<dyn Query>,
                        )
                    })
                    .collect(),
            ))
        };
        let mut out = Vec::new();
        if !filters.doc_type.is_empty() {
            out.push(any_of(f.doc_type, filters.doc_type.clone()));
        }
        if !filters.lang.is_empty() {
            out.push(any_of(
                f.lang,
                filters.lang.iter().map(|l| l.code().to_string()).collect(),
            ));
        }
        if !filters.status.is_empty() {
            out.push(any_of(f.status, filters.status.clone()));
        }
        if !filters.year.is_empty() {
            let ranges: Vec<(Occur, Box<dyn Query>)> = filters
                .year
                .iter()
                .map(|&(a, b)| {
                    (
                        Occur::Should,
                        Box::new(RangeQuery::new(
                            std::ops::Bound::Included(Term::from_field_u64(f.year, u64::from(a))),
                            std::ops::Bound::Included(Term::from_field_u64(f.year, u64::from(b))),
                        )) as Box<dyn Query>,
                    )
                })
                .collect();
            out.push(Box::new(BooleanQuery::new(ranges)));
        }
        out.into_iter()
            .map(|q| {
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>,
                )
            })
            .collect()
    }

    /// The tantivy query for a parsed query and filters; `None` when nothing is searchable.
    pub fn build_query(
        &self,
        query: &ParsedQuery,
        filters: &Filters,
    ) -> Result<Option<Box<dyn Query>>> {
        let mut text_parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut positive = 0;
        for clause in &query.clauses {
            let Some(q) = self.clause_query(clause) else {
                continue;
            };
            let occur = match clause.occurrence {
                Occurrence::Should => Occur::Should,
                Occurrence::Must => Occur::Must,
                Occurrence::MustNot => Occur::MustNot,
            };
            if occur != Occur::MustNot {
                positive += 1;
            }
            text_parts.push((occur, q));
        }
        if let Some(l) = self.lookup_query(&query.lookup) {
            positive += 1;
            text_parts.push((Occur::Should, l));
        }
        if positive == 0 {
            return Ok(None);
        }
        let mut all: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(text_parts)))];
        all.extend(self.filter_query(filters));
        Ok(Some(Box::new(BooleanQuery::new(all))))
    }
}
