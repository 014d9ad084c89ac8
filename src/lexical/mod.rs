//! The lexical side: a tantivy index of chunks, BM25 search with field boosts, phrase
//! queries, article/clause lookups, filters and highlighted snippets.
//!
//! Owns the index directory (tantivy files plus the manifest of indexed documents) and
//! the single writer. It does not read files (`ingest` does) or fuse rankings.

pub mod filter;
pub mod manifest;
pub mod query;
pub mod schema;
pub mod snippet;
mod units;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use thiserror::Error;

pub use filter::{FilterError, Filters};
pub use manifest::{DocEntry, Manifest};
pub use query::{parse as parse_query, Lookup, Occurrence, ParsedQuery, QueryError};
pub use schema::Fields;
pub use snippet::Snippet;

use crate::ingest::Document;
use crate::text::{Analyzer, AnalyzerOptions, EnvkbTokenizer, Lang, TokenKind, ANALYZER_NAME};

/// Errors of the lexical index.
#[derive(Debug, Error)]
pub enum LexicalError {
    #[error(
        "no index at {0}: build one with `envkb index PATH` (or point --index / ENVKB_INDEX at it)"
    )]
    NoIndex(PathBuf),
    #[error("another envkb process is writing to the index at {0}; wait for it to finish")]
    Locked(PathBuf),
    #[error("the index at {dir} was made by an incompatible envkb (format {found}, expected {expected}); rebuild it: remove that folder and run `envkb index PATH` again")]
    Format {
        dir: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("the index at {dir} is damaged: {detail}")]
    Corrupt { dir: PathBuf, detail: String },
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error("index I/O failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("index engine failed: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

impl LexicalError {
    pub fn is_user_fault(&self) -> bool {
        matches!(
            self,
            LexicalError::NoIndex(_)
                | LexicalError::Locked(_)
                | LexicalError::Format { .. }
                | LexicalError::Query(_)
                | LexicalError::Filter(_)
        )
    }
}

type Result<T> = std::result::Result<T, LexicalError>;

/// Relative weights of the searched fields; measured on the bench data (docs/BENCHMARKS.md).
#[derive(Debug, Clone, Copy)]
pub struct FieldBoosts {
    pub body: f32,
    pub title: f32,
    pub breadcrumb: f32,
    /// Added to a chunk whose article (or clause) number the query names.
    pub lookup: f32,
    /// Weight of Persian pair terms (two neighbouring words joined) relative to words.
    pub pair: f32,
}

impl Default for FieldBoosts {
    fn default() -> Self {
        FieldBoosts {
            body: 1.0,
            title: 0.25,
            breadcrumb: 0.5,
            lookup: 8.0,
            pair: 0.25,
        }
    }
}

/// One chunk found by a lexical search, with everything needed to show and cite it.
#[derive(Debug, Clone, Serialize)]
pub struct LexicalHit {
    pub chunk_id: String,
    pub doc_id: String,
    pub score: f32,
    pub title: String,
    pub breadcrumb: Vec<String>,
    pub snippet: Snippet,
    pub doc_type: String,
    pub lang: String,
    pub year: Option<u32>,
    pub status: Option<String>,
    pub article: Option<String>,
    pub clause: Option<String>,
    pub note: Option<String>,
    pub start: u64,
    pub end: u64,
    pub source: String,
    pub text: String,
    /// The query terms found in this chunk (normalized forms).
    pub matched_terms: Vec<String>,
    /// Source pages of the chunk (PDFs only), for citations such as "p. 12".
    pub pages: Option<crate::ingest::PageSpan>,
}

/// An open index directory.
pub struct LexicalIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    manifest: Manifest,
    boosts: FieldBoosts,
}

const WRITER_HEAP_BYTES: usize = 64 * 1024 * 1024;
const BREADCRUMB_SEPARATOR: &str = " > ";
/// Snippet length in bytes (about 120 Persian or 240 Latin characters).
const SNIPPET_BYTES: usize = 320;

impl LexicalIndex {
    /// Opens an existing index; [`LexicalError::NoIndex`] when there is none.
    pub fn open(dir: &Path) -> Result<LexicalIndex> {
        if !dir.join("meta.json").exists() {
            return Err(LexicalError::NoIndex(dir.to_path_buf()));
        }
        Self::open_or_create(dir, AnalyzerOptions::default())
    }

    /// Opens the index in `dir`, creating it (with `options`) when absent. An existing
    /// index keeps the analyzer options it was built with.
    pub fn open_or_create(dir: &Path, options: AnalyzerOptions) -> Result<LexicalIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = Fields::build();
        let index = if dir.join("meta.json").exists() {
            Index::open_in_dir(dir).map_err(|e| corrupt(dir, e))?
        } else {
            Index::create_in_dir(dir, schema.clone())?
        };
        if index.schema() != schema {
            return Err(LexicalError::Format {
                dir: dir.to_path_buf(),
                found: 0,
                expected: manifest::FORMAT_VERSION,
            });
        }
        let metas = index.load_metas().map_err(|e| corrupt(dir, e))?;
        let manifest = match metas.payload.as_deref() {
            None => Manifest::new(options),
            Some(p) => {
                let payload: manifest::Payload =
                    serde_json::from_str(p).map_err(|e| corrupt(dir, e))?;
                if payload.format != manifest::FORMAT_VERSION {
                    return Err(LexicalError::Format {
                        dir: dir.to_path_buf(),
                        found: payload.format,
                        expected: manifest::FORMAT_VERSION,
                    });
                }
                Manifest::read(dir, &payload.manifest).map_err(|e| corrupt(dir, e))?
            }
        };
        let analyzer = Analyzer::new(manifest.analyzer.into());
        index.tokenizers().register(
            ANALYZER_NAME,
            TextAnalyzer::from(EnvkbTokenizer::new(analyzer.clone())),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(LexicalIndex {
            dir: dir.to_path_buf(),
            index,
            reader,
            fields,
            analyzer,
            manifest,
            boosts: FieldBoosts::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub fn set_boosts(&mut self, boosts: FieldBoosts) {
        self.boosts = boosts;
    }

    /// Bytes the index takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Starts the single writer. Changes become visible, all together, on [`IndexSession::commit`].
    pub fn begin(&mut self) -> Result<IndexSession<'_>> {
        let writer = self
            .index
            .writer_with_num_threads(1, WRITER_HEAP_BYTES)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => LexicalError::Locked(self.dir.clone()),
                other => LexicalError::Tantivy(other),
            })?;
        let manifest = self.manifest.clone();
        Ok(IndexSession {
            index: self,
            writer,
            manifest,
        })
    }

    /// BM25 search for a parsed query; returns up to `k` chunks, best first.
    pub fn search(
        &self,
        query: &ParsedQuery,
        filters: &Filters,
        k: usize,
    ) -> Result<Vec<LexicalHit>> {
        let Some(q) = self.build_query(query, filters)? else {
            return Err(QueryError::NothingSearchable.into());
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(&*q, &TopDocs::with_limit(k.max(1)).order_by_score())?;
        let terms = self.query_terms(query);
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            hits.push(self.hit_from_doc(&doc, score, &terms));
        }
        Ok(hits)
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
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.chunk_id, chunk_id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, addr)) = top.into_iter().next() else {
            return Ok(None);
        };
        let doc: TantivyDocument = searcher.doc(addr)?;
        Ok(Some(self.hit_from_doc(&doc, 0.0, terms)))
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

    fn hit_from_doc(
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
        LexicalHit {
            chunk_id: text_of(f.chunk_id),
            doc_id: text_of(f.doc_id),
            score,
            title: text_of(f.title),
            breadcrumb: text_of(f.breadcrumb)
                .split(BREADCRUMB_SEPARATOR)
                .map(str::to_string)
                .collect(),
            snippet,
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
            matched_terms,
            pages: match (u64_of(f.page_first), u64_of(f.page_last)) {
                (Some(first), Some(last)) => Some(crate::ingest::PageSpan {
                    first: first as u32,
                    last: last as u32,
                }),
                _ => None,
            },
        }
    }
}

fn corrupt(dir: &Path, e: impl std::fmt::Display) -> LexicalError {
    LexicalError::Corrupt {
        dir: dir.to_path_buf(),
        detail: e.to_string(),
    }
}

/// The single writer at work. Dropping it without [`IndexSession::commit`] discards every change.
pub struct IndexSession<'a> {
    index: &'a mut LexicalIndex,
    writer: IndexWriter,
    manifest: Manifest,
}

impl IndexSession<'_> {
    /// What the index will hold after commit.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Records which model the vectors committed next come from.
    pub fn set_model(&mut self, model: Option<String>) {
        self.manifest.model = model;
    }

    /// Adds (or replaces) a document and all its chunks.
    pub fn add(&mut self, doc: &Document) -> Result<()> {
        let f = self.index.fields;
        self.writer
            .delete_term(Term::from_field_text(f.doc_id, &doc.id));
        for c in &doc.chunks {
            let mut d = TantivyDocument::default();
            d.add_text(f.chunk_id, &c.id);
            d.add_text(f.doc_id, &doc.id);
            d.add_text(f.title, &doc.title);
            d.add_text(f.breadcrumb, c.breadcrumb.join(BREADCRUMB_SEPARATOR));
            d.add_text(f.body, &c.text);
            if let Some(a) = &c.article {
                d.add_text(f.article, a);
            }
            if let Some(cl) = &c.clause {
                d.add_text(f.clause, cl);
                if let Some(twin) = crate::ingest::structure::clause_letter_twin(cl) {
                    d.add_text(f.clause, twin);
                }
            }
            if let Some(n) = &c.note {
                d.add_text(f.note, n);
            }
            d.add_text(f.doc_type, &doc.doc_type);
            d.add_text(f.lang, c.lang.code());
            if let Some(s) = &doc.meta.status {
                d.add_text(f.status, s);
            }
            if let Some(y) = doc.meta.year {
                d.add_u64(f.year, u64::from(y));
            }
            d.add_text(f.source, doc.path.to_string_lossy());
            d.add_u64(f.ordinal, u64::from(c.ordinal));
            d.add_u64(f.start, c.start as u64);
            d.add_u64(f.end, c.end as u64);
            if let Some(p) = c.pages {
                d.add_u64(f.page_first, u64::from(p.first));
                d.add_u64(f.page_last, u64::from(p.last));
            }
            self.writer.add_document(d)?;
        }
        self.manifest.documents.insert(
            doc.id.clone(),
            DocEntry {
                path: doc.path.to_string_lossy().into_owned(),
                hash: doc.hash.clone(),
                title: doc.title.clone(),
                doc_type: doc.doc_type.clone(),
                lang: doc.lang,
                year: doc.meta.year,
                status: doc.meta.status.clone(),
                chunks: doc.chunks.len() as u32,
                bytes: doc.text.len() as u64,
            },
        );
        Ok(())
    }

    /// Removes a document and its chunks.
    pub fn remove(&mut self, doc_id: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.index.fields.doc_id, doc_id));
        self.manifest.documents.remove(doc_id);
    }

    /// Makes every change visible at once. A crash before this leaves the index as it was.
    pub fn commit(self) -> Result<()> {
        self.commit_with(|_, _| Ok(None))
    }

    /// Commits, first calling `companion(dir, generation)` to write files that must change
    /// together with the index (the vector store); the file name it returns is recorded in
    /// the manifest, so the commit makes the index, manifest and companion visible at once.
    pub fn commit_with(
        mut self,
        companion: impl FnOnce(&Path, u64) -> std::io::Result<Option<String>>,
    ) -> Result<()> {
        self.manifest.generation += 1;
        self.manifest.vectors = companion(&self.index.dir, self.manifest.generation)?;
        let name = self.manifest.write(&self.index.dir)?;
        let payload = serde_json::to_string(&manifest::Payload {
            format: manifest::FORMAT_VERSION,
            manifest: name.clone(),
        })
        .map_err(std::io::Error::other)?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.writer.wait_merging_threads()?;
        Manifest::remove_others(&self.index.dir, &name);
        self.index.manifest = self.manifest;
        self.index.reader.reload()?;
        Ok(())
    }
}

/// Language code of a hit as a [`Lang`], for filters applied outside tantivy.
pub fn hit_lang(hit: &LexicalHit) -> Lang {
    Lang::parse(&hit.lang).unwrap_or(Lang::Fa)
}
