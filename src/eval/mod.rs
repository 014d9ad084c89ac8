//! Retrieval evaluation: question sets in the bench format, metrics (nDCG@10, MRR@10,
//! Recall@k) and a temporary index built from a JSONL corpus.
//!
//! Owns the bench file formats and the arithmetic; the ranking itself comes from the
//! retriever passed in, so every mode is scored by the same code.

pub mod cache;
pub mod cer;
pub mod metrics;
pub mod refs;
pub mod report;
pub mod word_order;

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use metrics::{Metrics, QueryScore};

use crate::ingest::{build_document, loader::Loaded, ChunkLimits, DocMeta, Document};
use crate::text::{detect_lang, Lang};

pub use cache::cached_corpus_vectors;
pub use refs::resolve_refs;

/// Errors reading bench files.
#[derive(Debug, Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    /// A file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    #[error("{path} line {line}: {message}")]
    /// A line is not the JSON expected.
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    #[error("{0} has no entries")]
    /// A file with no entries: nothing to evaluate.
    EmptyFile(PathBuf),
}

impl EvalError {
    /// Bench files are the user's: every failure to read or parse one is theirs to fix.
    pub fn kind(&self) -> crate::fault::ErrorKind {
        match self {
            EvalError::Read { .. } | EvalError::Parse { .. } | EvalError::EmptyFile(_) => {
                crate::fault::ErrorKind::BadInput
            }
        }
    }
}

/// One passage of a JSONL corpus: `{"id", "title", "text", "lang"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct CorpusRecord {
    /// The passage's id, which gold lists name.
    pub id: String,
    /// Its title, when the corpus gives one.
    #[serde(default)]
    pub title: String,
    /// The passage.
    pub text: String,
    /// `fa` or `en`; detected when absent.
    #[serde(default)]
    pub lang: Option<String>,
    /// Document type, for filters.
    #[serde(default)]
    pub doc_type: Option<String>,
}

/// A reference to a gold passage by document and heading path, resolved against the
/// index so ids survive chunker changes. For laws the gold may instead name a unit:
/// `{"doc", "article": "7", "note": "2"}` or `{"doc", "article": "3", "clause": "ب"}`
/// (an unnumbered تبصره is `"note": ""`); an article alone means its own text, not its
/// تبصره or بند.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct SectionRef {
    /// The document id.
    pub doc: String,
    #[serde(default)]
    /// Heading parts below the title, " > "-separated; empty for the opening text.
    pub section: String,
    /// The article the gold is, for laws.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    /// Its note; "" for an unnumbered one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Its clause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
}

impl SectionRef {
    /// The unit this reference names, when it names an article.
    pub fn unit(&self) -> Option<crate::lexical::UnitRef> {
        Some(crate::lexical::UnitRef {
            article: self.article.clone()?,
            note: self.note.clone(),
            clause: self.clause.clone(),
        })
    }
}

/// One question: `{"id", "text", "relevant", "answers", ...}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct QueryRecord {
    /// The question's id in reports.
    pub id: String,
    /// The question.
    pub text: String,
    #[serde(default)]
    /// Gold chunk or document ids.
    pub relevant: Vec<String>,
    #[serde(default)]
    /// Gold given by document and heading path or unit, resolved against the index.
    pub relevant_refs: Vec<SectionRef>,
    #[serde(default)]
    /// Acceptable answer strings, for answer evaluation.
    pub answers: Vec<String>,
    /// `fa` or `en`; detected from the text when absent.
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    /// The question's kind (lookup, definition, ...), for per-kind figures.
    pub kind: Option<String>,
    #[serde(default)]
    /// Who wrote it, for class question sets.
    pub participant: Option<String>,
    /// `passage` when the question reuses the passage's words, `paraphrase` when it says the
    /// same in other words (bench/domain); the fusion fit weighs each style the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

impl QueryRecord {
    /// A question with no gold passage: the corpus cannot answer it.
    pub fn is_unanswerable(&self) -> bool {
        self.relevant.is_empty() && self.relevant_refs.is_empty()
    }
}

/// Reads a JSONL file of `T`, with line numbers in errors; blank lines are allowed.
pub fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, EvalError> {
    let file = std::fs::File::open(path).map_err(|source| EvalError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| EvalError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&line).map_err(|e| EvalError::Parse {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?);
    }
    if out.is_empty() {
        return Err(EvalError::EmptyFile(path.to_path_buf()));
    }
    Ok(out)
}

/// Turns a corpus record into a document (one passage, chunked like any text).
pub fn record_to_document(r: &CorpusRecord) -> Document {
    let lang = r
        .lang
        .as_deref()
        .and_then(Lang::parse)
        .unwrap_or_else(|| detect_lang(&r.text));
    let title = if r.title.trim().is_empty() {
        r.id.clone()
    } else {
        r.title.clone()
    };
    let meta = DocMeta {
        title: Some(title),
        doc_type: Some(r.doc_type.clone().unwrap_or_else(|| "passage".into())),
        lang: Some(lang),
        ..DocMeta::default()
    };
    let hash = blake3::hash(r.text.as_bytes()).to_hex().to_string();
    build_document(
        r.id.clone(),
        PathBuf::from(&r.id),
        hash,
        Loaded::plain(r.text.clone(), 0, meta),
        ChunkLimits::default(),
    )
}

/// Collapses a ranked list of chunk-owning ids to distinct ids in first-seen order.
pub fn dedupe_ranked(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// Scores every question with `rank` (which returns ranked ids comparable with the
/// question's relevant ids) and averages.
pub fn evaluate<F>(
    queries: &[QueryRecord],
    relevant_of: impl Fn(&QueryRecord) -> Vec<String>,
    mut rank: F,
) -> (Metrics, Vec<QueryScore>)
where
    F: FnMut(&QueryRecord) -> Vec<String>,
{
    let mut per_query = Vec::new();
    for q in queries {
        let relevant: HashSet<String> = relevant_of(q).into_iter().collect();
        if relevant.is_empty() {
            continue;
        }
        let ranked = rank(q);
        per_query.push(QueryScore::compute(&q.id, &ranked, &relevant));
    }
    (Metrics::average(&per_query), per_query)
}
