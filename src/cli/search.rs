//! `envkb search`: parses the query and filters, runs the retriever in the chosen mode and
//! prints hits with breadcrumbs and highlights, or the stable search JSON.

use clap::Args;
use serde::Serialize;

use super::output::{color_on, print_json};
use super::Cli;
use crate::engine::Engine;
use crate::ingest::PageSpan;
use crate::lexical::{parse_query, Filters, LexicalIndex};
use crate::search::json::{HitJson, Source};
use crate::search::lookup_first::answered_by_lookup;
use crate::search::{Mode, SearchResults};
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
    /// Print JSON: {"no_exact_match", "hits": [{"doc_id", "chunk_id", "title", "breadcrumb",
    /// "snippet", "score", ...}]}; hits from PDFs also carry "page" (a number, or [first, last]).
    /// "no_exact_match" is true when no query term matched anywhere and the hits are only the
    /// nearest passages.
    #[arg(long)]
    pub json: bool,
    /// Retriever: lexical (BM25), semantic (embeddings) or hybrid (both, fused).
    #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
    pub mode: Mode,
    /// Show why each hit ranked where it did: lexical and semantic rank and score, fused
    /// score, matched terms; in hybrid mode also the semantic weight chosen for the query
    /// and the signals behind it.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Serialize)]
struct SearchJson<'a> {
    query: &'a str,
    mode: Mode,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<&'a str>,
    /// Set when the query names a unit the named law does not have.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    /// Set when a hybrid search was answered by the structural look-up alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    semantic_skipped: Option<&'a str>,
    filters: std::collections::BTreeMap<&'static str, String>,
    /// True when no query term matched anywhere and the hits are only the nearest passages.
    no_exact_match: bool,
    /// With --explain in hybrid mode: the semantic weight chosen for this query and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    fusion: Option<&'a crate::search::FusionChoice>,
    hits: Vec<HitJson<'a>>,
}

pub fn run(cli: &Cli, args: &SearchArgs) -> anyhow::Result<()> {
    let raw = args.query.join(" ");
    let query = parse_query(&raw).map_err(Error::from)?;
    let filters = Filters::parse(&args.filters).map_err(Error::from)?;
    let index = LexicalIndex::open(&cli.index).map_err(Error::from)?;
    // A look-up of an article the index has needs no model: answer it before loading one.
    if args.mode == Mode::Hybrid && !cli.model.no_model {
        let config = crate::search::HybridConfig::default();
        if let Some(a) = answered_by_lookup(&index, &query, &filters, usize::from(args.k), config)
            .map_err(Error::from)?
        {
            return show(args, &raw, &filters, &a.results, Some(&a.reason));
        }
    }
    let wants_model = args.mode != Mode::Lexical;
    let model = if wants_model {
        super::model::load_for(&cli.model, &cli.index)
    } else {
        Err(String::new())
    };
    let engine = Engine::with_index(index, model);
    let retriever = engine.retriever();
    if args.mode == Mode::Semantic && retriever.semantic.is_none() {
        // Asked for by name, semantic search is not quietly replaced by keyword search.
        return Err(Error::Usage(format!(
            "--mode semantic cannot run: {}",
            engine
                .semantic_unavailable
                .as_deref()
                .unwrap_or("no model loaded")
        ))
        .into());
    }
    let results = retriever
        .search(&query, &filters, usize::from(args.k), args.mode)
        .map_err(Error::from)?;
    show(args, &raw, &filters, &results, None)
}

/// Print results as JSON or text; `skipped` is why the semantic side did not run.
fn show(
    args: &SearchArgs,
    raw: &str,
    filters: &Filters,
    results: &SearchResults,
    skipped: Option<&str>,
) -> anyhow::Result<()> {
    if let (Some(w), false) = (&results.warning, args.json) {
        eprintln!("warning: {w}");
    }
    if args.json {
        return print_json(&SearchJson {
            query: raw,
            mode: results.mode,
            warning: results.warning.as_deref(),
            note: results.note.as_deref(),
            semantic_skipped: skipped,
            filters: filters.describe(),
            no_exact_match: results.no_exact_match,
            fusion: results.fusion.as_ref().filter(|_| args.explain),
            hits: results
                .hits
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let explain = args.explain.then_some(&h.explain);
                    HitJson::new(i + 1, &h.hit, explain, Source::Show)
                })
                .collect(),
        });
    }
    if let Some(note) = &results.note {
        println!("{note}");
    }
    if let (Some(why), true) = (skipped, args.explain) {
        println!("explain: {why}");
    }
    if let (Some(f), true) = (&results.fusion, args.explain) {
        println!("explain: fusion {}", f.reason);
    }
    if results.hits.is_empty() {
        println!("no results for {raw:?}");
        return Ok(());
    }
    if results.no_exact_match {
        println!("no exact match for {raw:?}; the closest passages:");
    }
    let (bold, plain) = if color_on(&std::io::stdout()) {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("", "")
    };
    for (i, sh) in results.hits.iter().enumerate() {
        let h = &sh.hit;
        let label = h
            .status
            .as_deref()
            .map(|s| format!(" [{s}]"))
            .unwrap_or_default();
        println!(
            "{:>2}. {}  (score {:.3}){label}",
            i + 1,
            h.breadcrumb.join(" › "),
            h.score
        );
        println!("    {}", h.snippet.marked(bold, plain).replace('\n', " "));
        match h.pages.map(PageSpan::label) {
            Some(page) => println!("    {}, {page}", h.chunk_id),
            None => println!("    {}", h.chunk_id),
        }
        if args.explain {
            let e = &sh.explain;
            let side = |r: Option<usize>, s: Option<f32>| match (r, s) {
                (Some(r), Some(s)) => format!("#{r} ({s:.3})"),
                _ => "-".to_string(),
            };
            println!(
                "    explain: lexical {}, semantic {}, fused {:.3}; matched terms: {}",
                side(e.lexical_rank, e.lexical_score),
                side(e.semantic_rank, e.semantic_score),
                e.fused_score,
                if e.matched_terms.is_empty() {
                    "-".to_string()
                } else {
                    e.matched_terms.join(", ")
                }
            );
        }
    }
    Ok(())
}
