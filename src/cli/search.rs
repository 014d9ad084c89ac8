use clap::Args;
use serde::Serialize;

use super::output::print_json;
use super::Cli;
use crate::lexical::{parse_query, Filters, LexicalHit, LexicalIndex};
use crate::Error;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to search for. Words, "exact phrases", +required, -excluded; «ماده ۶ بند د» or
    /// "article 6 clause d" jumps to that clause. A query that starts with `-` goes after `--`.
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Number of hits.
    #[arg(short, long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub k: u16,
    /// Metadata filter KEY=VALUE (doc_type, lang, year, status); repeatable.
    #[arg(long = "filter", short = 'f')]
    pub filters: Vec<String>,
    /// Print JSON: {"hits": [{"doc_id", "chunk_id", "title", "breadcrumb", "snippet", "score", ...}]}.
    #[arg(long)]
    pub json: bool,
}

/// One hit in the JSON contract.
#[derive(Debug, Serialize)]
pub struct HitJson<'a> {
    pub rank: usize,
    pub doc_id: &'a str,
    pub chunk_id: &'a str,
    pub title: &'a str,
    pub breadcrumb: &'a [String],
    pub snippet: &'a str,
    pub highlights: &'a [(usize, usize)],
    pub score: f32,
    pub doc_type: &'a str,
    pub lang: &'a str,
    pub year: Option<u32>,
    pub status: Option<&'a str>,
    pub article: Option<&'a str>,
    pub clause: Option<&'a str>,
    pub start: u64,
    pub end: u64,
    pub source: &'a str,
    pub matched_terms: &'a [String],
}

impl<'a> HitJson<'a> {
    pub fn new(rank: usize, h: &'a LexicalHit) -> Self {
        HitJson {
            rank,
            doc_id: &h.doc_id,
            chunk_id: &h.chunk_id,
            title: &h.title,
            breadcrumb: &h.breadcrumb,
            snippet: &h.snippet.text,
            highlights: &h.snippet.highlights,
            score: h.score,
            doc_type: &h.doc_type,
            lang: &h.lang,
            year: h.year,
            status: h.status.as_deref(),
            article: h.article.as_deref(),
            clause: h.clause.as_deref(),
            start: h.start,
            end: h.end,
            source: &h.source,
            matched_terms: &h.matched_terms,
        }
    }
}

#[derive(Serialize)]
struct SearchJson<'a> {
    query: &'a str,
    mode: &'static str,
    filters: std::collections::BTreeMap<&'static str, String>,
    hits: Vec<HitJson<'a>>,
}

pub fn run(cli: &Cli, args: &SearchArgs) -> anyhow::Result<()> {
    let raw = args.query.join(" ");
    let query = parse_query(&raw).map_err(Error::from)?;
    let filters = Filters::parse(&args.filters).map_err(Error::from)?;
    let index = LexicalIndex::open(&cli.index).map_err(Error::from)?;
    let hits = index
        .search(&query, &filters, usize::from(args.k))
        .map_err(Error::from)?;
    if args.json {
        return print_json(&SearchJson {
            query: &raw,
            mode: "lexical",
            filters: filters.describe(),
            hits: hits
                .iter()
                .enumerate()
                .map(|(i, h)| HitJson::new(i + 1, h))
                .collect(),
        });
    }
    if hits.is_empty() {
        println!("no results for {raw:?}");
        return Ok(());
    }
    for (i, h) in hits.iter().enumerate() {
        let label = h
            .status
            .as_deref()
            .map(|s| format!(" [{s}]"))
            .unwrap_or_default();
        println!(
            "{:>2}. {}  (score {:.2}){label}",
            i + 1,
            h.breadcrumb.join(" › "),
            h.score
        );
        println!(
            "    {}",
            h.snippet.marked("\x1b[1m", "\x1b[0m").replace('\n', " ")
        );
        println!("    {}", h.chunk_id);
    }
    Ok(())
}
