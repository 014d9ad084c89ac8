//! The read path: ranked lists of (chunk id, score) at search depth, and full hits (stored
//! fields, snippet, matched terms) built only for the chunks a caller shows.
//!
//! Ranking reads nothing from the document store but the chunk id; snippets, the costly part,
//! are made once per shown hit, after fusion.

use std::collections::{HashMap, HashSet};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use super::compile::CompiledQuery;
use super::query::ParsedQuery;
use super::{
    snippet, Filters, LexicalHit, LexicalIndex, Passage, Result, BREADCRUMB_SEPARATOR,
    SNIPPET_BYTES,
};

/// One entry of the lexical ranked list: the chunk, its BM25 score and where it lies in the
/// searcher it came from (so its hit is read without a second look-up).
#[derive(Debug, Clone)]
pub struct RankedChunk {
    /// The chunk's id.
    pub chunk_id: String,
    /// Its BM25 score (with field and look-up boosts).
    pub score: f32,
    /// Where it lies in the searcher that ranked it.
    pub address: DocAddress,
}

impl LexicalIndex {
    /// A consistent view of the index for one search: addresses from [`LexicalIndex::ranked`]
    /// are valid in the searcher they were found with.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// How many chunks hold each analyzed `term` in their body, and how many chunks the
    /// searcher sees: the rarity of a query's words, which the adaptive fusion weighs.
    pub fn body_doc_freqs(&self, searcher: &Searcher, terms: &[String]) -> (u64, Vec<u64>) {
        let freqs = terms
            .iter()
            .map(|t| {
                searcher
                    .doc_freq(&Term::from_field_text(self.fields.body, t))
                    .unwrap_or(0)
            })
            .collect();
        (searcher.num_docs(), freqs)
    }

    /// Which of the analyzed `terms` the chunk `chunk_id` holds in its body (all false when
    /// the chunk is not found): whether the best lexical hit holds the whole query, which the
    /// adaptive fusion weighs. One id look-up and one postings seek per term; no stored field.
    pub fn body_terms_in(
        &self,
        searcher: &Searcher,
        chunk_id: &str,
        terms: &[String],
    ) -> Vec<bool> {
        let Ok(Some(at)) = self.address_of(searcher, chunk_id) else {
            return vec![false; terms.len()];
        };
        let Ok(inverted) = searcher
            .segment_reader(at.segment_ord)
            .inverted_index(self.fields.body)
        else {
            return vec![false; terms.len()];
        };
        terms
            .iter()
            .map(|t| {
                let term = Term::from_field_text(self.fields.body, t);
                match inverted.read_postings(&term, IndexRecordOption::Basic) {
                    // A fresh list stands on its first document; seek only moves forward.
                    Ok(Some(mut p)) => {
                        use tantivy::DocSet;
                        p.doc() == at.doc_id
                            || (p.doc() < at.doc_id && p.seek(at.doc_id) == at.doc_id)
                    }
                    _ => false,
                }
            })
            .collect()
    }

    /// The top `depth` chunks for a compiled query, best first, ids and scores only.
    pub fn ranked(
        &self,
        searcher: &Searcher,
        query: &CompiledQuery,
        depth: usize,
    ) -> Result<Vec<RankedChunk>> {
        let top = searcher.search(
            &*query.query,
            &TopDocs::with_limit(depth.max(1)).order_by_score(),
        )?;
        top.into_iter()
            .map(|(score, address)| {
                Ok(RankedChunk {
                    chunk_id: self.chunk_id_at(searcher, address)?,
                    score,
                    address,
                })
            })
            .collect()
    }

    /// Which of `chunk_ids` match the compiled query (its `+`/`-` promises and filters
    /// included): one search restricted to those ids, however deep they lie in the ranking.
    pub fn matching(
        &self,
        searcher: &Searcher,
        query: &CompiledQuery,
        chunk_ids: &[&str],
    ) -> Result<HashSet<String>> {
        if chunk_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let ids = TermSetQuery::new(
            chunk_ids
                .iter()
                .map(|id| Term::from_field_text(self.fields.chunk_id, id)),
        );
        let both = BooleanQuery::new(vec![
            (Occur::Must, query.query.box_clone()),
            (Occur::Must, Box::new(ids) as Box<dyn Query>),
        ]);
        let top = searcher.search(
            &both,
            &TopDocs::with_limit(chunk_ids.len()).order_by_score(),
        )?;
        top.into_iter()
            .map(|(_, address)| self.chunk_id_at(searcher, address))
            .collect()
    }

    /// Full hits for chunks to show, highlighting `terms`: read at their address when the
    /// lexical side found them, by id otherwise; ids no longer in the index are skipped.
    pub fn hits(
        &self,
        searcher: &Searcher,
        wanted: &[(&str, Option<DocAddress>)],
        terms: &HashSet<String>,
    ) -> Result<HashMap<String, LexicalHit>> {
        let mut out = HashMap::with_capacity(wanted.len());
        for &(id, address) in wanted {
            let address = match address {
                Some(a) => Some(a),
                None => self.address_of(searcher, id)?,
            };
            if let Some(a) = address {
                let doc: TantivyDocument = searcher.doc(a)?;
                out.insert(id.to_string(), self.hit_from_doc(&doc, 0.0, terms));
            }
        }
        Ok(out)
    }

    /// BM25 search for a parsed query; returns up to `k` full hits, best first.
    pub fn search(
        &self,
        query: &ParsedQuery,
        filters: &Filters,
        k: usize,
    ) -> Result<Vec<LexicalHit>> {
        let compiled = self.compile(query, filters)?;
        let searcher = self.searcher();
        let ranked = self.ranked(&searcher, &compiled, k)?;
        let wanted: Vec<(&str, Option<DocAddress>)> = ranked
            .iter()
            .map(|r| (r.chunk_id.as_str(), Some(r.address)))
            .collect();
        let mut hits = self.hits(&searcher, &wanted, &compiled.terms)?;
        Ok(ranked
            .iter()
            .filter_map(|r| {
                hits.remove(&r.chunk_id).map(|h| LexicalHit {
                    score: r.score,
                    ..h
                })
            })
            .collect())
    }

    /// Reads one chunk by id (for citations and the "open source" link).
    pub fn chunk(&self, chunk_id: &str) -> Result<Option<LexicalHit>> {
        self.chunk_with_terms(chunk_id, &HashSet::new())
    }

    /// Reads one chunk by id, highlighting `terms` (from [`LexicalIndex::query_terms`]).
    pub fn chunk_with_terms(
        &self,
        chunk_id: &str,
        terms: &HashSet<String>,
    ) -> Result<Option<LexicalHit>> {
        let searcher = self.searcher();
        Ok(self
            .hits(&searcher, &[(chunk_id, None)], terms)?
            .remove(chunk_id))
    }

    /// Every chunk of one document, in order.
    pub fn document_chunks(&self, doc_id: &str) -> Result<Vec<LexicalHit>> {
        let Some(entry) = self.manifest.documents.get(doc_id) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(entry.chunks as usize);
        for i in 0..entry.chunks {
            if let Some(hit) = self.chunk(&crate::ingest::chunk_id(doc_id, i))? {
                out.push(hit);
            }
        }
        Ok(out)
    }

    fn address_of(&self, searcher: &Searcher, chunk_id: &str) -> Result<Option<DocAddress>> {
        let q = TermQuery::new(
            Term::from_field_text(self.fields.chunk_id, chunk_id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        Ok(top.into_iter().next().map(|(_, a)| a))
    }

    fn chunk_id_at(&self, searcher: &Searcher, address: DocAddress) -> Result<String> {
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(doc
            .get_first(self.fields.chunk_id)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string())
    }

    pub(super) fn hit_from_doc(
        &self,
        doc: &TantivyDocument,
        score: f32,
        terms: &HashSet<String>,
    ) -> LexicalHit {
        let f = self.fields;
        let text_of = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let opt_text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        let u64_of = |field| doc.get_first(field).and_then(|v| v.as_u64());
        let body = text_of(f.body);
        let (snippet, matched_terms) =
            snippet::snippet_and_terms(&self.analyzer, &body, terms, SNIPPET_BYTES);
        let passage = Passage {
            chunk_id: text_of(f.chunk_id),
            doc_id: text_of(f.doc_id),
            title: text_of(f.title),
            breadcrumb: text_of(f.breadcrumb)
                .split(BREADCRUMB_SEPARATOR)
                .map(str::to_string)
                .collect(),
            doc_type: text_of(f.doc_type),
            lang: text_of(f.lang),
            year: u64_of(f.year).map(|y| y as u32),
            status: opt_text(f.status),
            article: opt_text(f.article),
            clause: opt_text(f.clause),
            note: doc
                .get_first(f.note)
                .and_then(|v| v.as_str())
                .map(str::to_string),
            start: u64_of(f.start).unwrap_or(0),
            end: u64_of(f.end).unwrap_or(0),
            source: text_of(f.source),
            text: body,
            pages: match (u64_of(f.page_first), u64_of(f.page_last)) {
                (Some(first), Some(last)) => Some(crate::ingest::PageSpan {
                    first: first as u32,
                    last: last as u32,
                }),
                _ => None,
            },
            ocr: doc
                .get_first(f.ocr_confidence)
                .and_then(|v| v.as_f64())
                .map(|c| crate::ingest::ocr::OcrInfo {
                    confidence: c as f32,
                }),
        };
        LexicalHit {
            passage,
            score,
            snippet,
            matched_terms,
        }
    }
}
