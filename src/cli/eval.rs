use std::collections::HashMap;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::{bar, print_json};
use super::Cli;
use crate::eval::{
    dedupe_ranked, evaluate, read_jsonl, record_to_document, CorpusRecord, Metrics, QueryRecord,
};
use crate::lexical::{
    query::find_lookup, FieldBoosts, Filters, LexicalIndex, Occurrence, ParsedQuery,
};
use crate::text::AnalyzerOptions;
use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Lexical,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// JSONL corpus ({"id","title","text"} per line) to index into a temporary index.
    /// Without it, the index at --index is scored and gold passages may be given as
    /// `relevant_refs` (document id + heading path).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// JSONL questions ({"id","text","relevant":[ids]} per line).
    #[arg(long, required = true)]
    pub queries: PathBuf,
    /// Retriever to score.
    #[arg(long, value_enum, default_value_t = Mode::Lexical)]
    pub mode: Mode,
    /// Print one JSON object with ndcg@10, mrr@10, recall@1, recall@5, recall@20, queries.
    #[arg(long)]
    pub json: bool,
    /// Experiment: turn off the Persian pair terms of the analyzer.
    #[arg(long, hide = true)]
    pub no_pair_joins: bool,
    /// Experiment: keep Persian plural/comparative suffixes.
    #[arg(long, hide = true)]
    pub no_persian_suffixes: bool,
    /// Experiment: keep Persian stopwords.
    #[arg(long, hide = true)]
    pub no_persian_stopwords: bool,
    /// Experiment: title field boost.
    #[arg(long, hide = true)]
    pub title_boost: Option<f32>,
    /// Experiment: weight of Persian pair terms.
    #[arg(long, hide = true)]
    pub pair_weight: Option<f32>,
    /// Experiment: breadcrumb field boost.
    #[arg(long, hide = true)]
    pub breadcrumb_boost: Option<f32>,
}

#[derive(Serialize)]
struct EvalJson {
    #[serde(flatten)]
    metrics: Metrics,
    mode: Mode,
}

/// A natural-language question as a query: all words, no operators (questions contain
/// quotes and hyphens that are not meant as syntax).
pub fn question_query(text: &str) -> ParsedQuery {
    ParsedQuery {
        raw: text.to_string(),
        clauses: vec![crate::lexical::query::QueryClause {
            occurrence: Occurrence::Should,
            text: text.to_string(),
            phrase: false,
        }],
        lookup: find_lookup(text),
    }
}

const RETRIEVE_CHUNKS: usize = 100;
const RANK_DEPTH: usize = 20;

pub fn run(cli: &Cli, args: &EvalArgs) -> anyhow::Result<()> {
    let queries: Vec<QueryRecord> = read_jsonl(&args.queries).map_err(Error::from)?;
    let options = AnalyzerOptions {
        pair_joins: !args.no_pair_joins,
        persian_suffixes: !args.no_persian_suffixes,
        persian_stopwords: !args.no_persian_stopwords,
    };
    let _tmp;
    let (index, by_passage) = match &args.corpus {
        Some(corpus) => {
            let records: Vec<CorpusRecord> = read_jsonl(corpus).map_err(Error::from)?;
            let tmp = tempfile::tempdir()?;
            let mut index =
                LexicalIndex::open_or_create(tmp.path(), options).map_err(Error::from)?;
            let pb = bar(records.len() as u64, "indexing corpus");
            let mut session = index.begin().map_err(Error::from)?;
            for r in &records {
                session.add(&record_to_document(r)).map_err(Error::from)?;
                pb.inc(1);
            }
            session.commit().map_err(Error::from)?;
            pb.finish_and_clear();
            _tmp = tmp;
            (index, true)
        }
        None => (LexicalIndex::open(&cli.index).map_err(Error::from)?, false),
    };
    let mut index = index;
    let mut boosts = FieldBoosts::default();
    if let Some(t) = args.title_boost {
        boosts.title = t;
    }
    if let Some(p) = args.pair_weight {
        boosts.pair = p;
    }
    if let Some(b) = args.breadcrumb_boost {
        boosts.breadcrumb = b;
    }
    index.set_boosts(boosts);

    let resolved: HashMap<String, Vec<String>> = if by_passage {
        HashMap::new()
    } else {
        queries
            .iter()
            .map(|q| (q.id.clone(), resolve_refs(&index, q)))
            .collect()
    };
    let unresolved: Vec<&str> = queries
        .iter()
        .filter(|q| !q.relevant_refs.is_empty() && resolved.get(&q.id).is_none_or(|r| r.is_empty()))
        .map(|q| q.id.as_str())
        .collect();
    if !unresolved.is_empty() {
        eprintln!(
            "warning: the gold sections of {} question(s) match no chunk in this index and are not scored: {}",
            unresolved.len(),
            unresolved.join(", ")
        );
    }
    let relevant_of = |q: &QueryRecord| -> Vec<String> {
        if by_passage {
            q.relevant.clone()
        } else {
            let mut r = q.relevant.clone();
            r.extend(resolved.get(&q.id).cloned().unwrap_or_default());
            r
        }
    };
    let pb = bar(queries.len() as u64, "querying");
    let no_filters = Filters::default();
    let mut failures = 0usize;
    let (metrics, _per_query) = evaluate(&queries, relevant_of, |q| {
        pb.inc(1);
        let hits = match index.search(&question_query(&q.text), &no_filters, RETRIEVE_CHUNKS) {
            Ok(h) => h,
            Err(_) => {
                failures += 1;
                return Vec::new();
            }
        };
        let ids = hits
            .into_iter()
            .map(|h| if by_passage { h.doc_id } else { h.chunk_id });
        dedupe_ranked(ids).into_iter().take(RANK_DEPTH).collect()
    });
    pb.finish_and_clear();
    if args.json {
        return print_json(&EvalJson {
            metrics,
            mode: args.mode,
        });
    }
    println!("mode       {:?}", args.mode);
    println!("queries    {}", metrics.queries);
    println!("nDCG@10    {:.3}", metrics.ndcg10);
    println!("MRR@10     {:.3}", metrics.mrr10);
    println!("Recall@1   {:.3}", metrics.recall1);
    println!("Recall@5   {:.3}", metrics.recall5);
    println!("Recall@20  {:.3}", metrics.recall20);
    if failures > 0 {
        println!("({failures} questions had no searchable words and scored zero)");
    }
    Ok(())
}

/// Resolves `relevant_refs` (document id + " > "-separated heading parts) to chunk ids:
/// a chunk matches when each part appears, in order, in its breadcrumb below the title;
/// an empty section means the document's opening text.
pub fn resolve_refs(index: &LexicalIndex, q: &QueryRecord) -> Vec<String> {
    let norm = |s: &str| {
        crate::text::normalize(s)
            .chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '.')
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = Vec::new();
    for r in &q.relevant_refs {
        let parts: Vec<String> = r
            .section
            .split(" > ")
            .map(norm)
            .filter(|p| !p.is_empty())
            .collect();
        let Ok(chunks) = index.document_chunks(&r.doc) else {
            continue;
        };
        for c in chunks {
            let crumbs: Vec<String> = c.breadcrumb.iter().skip(1).map(|b| norm(b)).collect();
            // An empty section names the document's opening, before its first heading.
            if parts.is_empty() {
                if crumbs.is_empty() {
                    out.push(c.chunk_id);
                }
                continue;
            }
            let mut at = 0;
            let all = parts.iter().all(|p| {
                while at < crumbs.len() {
                    at += 1;
                    if crumbs[at - 1].contains(p.as_str()) {
                        return true;
                    }
                }
                false
            });
            if all {
                out.push(c.chunk_id);
            }
        }
    }
    out
}
