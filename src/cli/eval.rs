//! `envkb eval`: scores retrieval (nDCG@10, MRR@10, Recall@k) on a question set over the
//! index or a JSONL bench corpus, per mode, with the weight sweep and the HTML report. The
//! bench logic it uses (gold resolution, cached corpus vectors) lives in `eval/`.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::output::{bar, print_json, CorpusBar};
use super::Cli;
use crate::eval::report::{self, ModeScores, Report};
use crate::eval::{
    dedupe_ranked, evaluate, read_jsonl, record_to_document, CorpusRecord, Metrics, QueryRecord,
};
use crate::lexical::{FieldBoosts, Filters, LexicalIndex};
use crate::search::{lookup, Fusion, HybridConfig, Mode, Retriever, Semantic};
use crate::text::AnalyzerOptions;
use crate::vector::VectorStore;
use crate::Error;

/// Questions of a bench set are searched as an answer searches them.
pub use crate::lexical::query::question_query;

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
    #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
    pub mode: Mode,
    /// Also score a grid of fusion settings (RRF and normalized-score weights) and print them.
    #[arg(long)]
    pub sweep: bool,
    /// Where embeddings of a --corpus are cached between runs (keyed by corpus and model).
    #[arg(long, env = "ENVKB_CACHE", default_value = ".envkb-cache")]
    pub cache: PathBuf,
    /// Print one JSON object with ndcg@10, mrr@10, recall@1, recall@5, recall@20, queries.
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML report for trainers: metrics of every mode that can
    /// run (lexical, semantic, hybrid; one retrieval run gives all three), charts, ranks
    /// per question and, when questions carry a `participant`, scores per participant.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
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
    /// Baseline: fuse hybrid with the fixed semantic weight instead of the per-query rule.
    #[arg(long, hide = true)]
    pub fixed_fusion: bool,
    /// Fit the per-query fusion rule on these questions and write it (JSON) to this file;
    /// questions are grouped by `kind` (none: "natural") and each group weighs the same.
    #[arg(long, hide = true, value_name = "RULE.json")]
    pub fit_fusion: Option<PathBuf>,
    /// Score lexical, semantic, hybrid with the fixed weight and hybrid as configured from
    /// one retrieval run (each question embedded once), side by side.
    #[arg(long, hide = true)]
    pub all_modes: bool,
    /// With --fit-fusion: also fit on the questions of these earlier --fusion-data files
    /// (another corpus or index); repeatable.
    #[arg(long, hide = true, value_name = "FILE.jsonl")]
    pub fusion_data_in: Vec<PathBuf>,
    /// With --fit-fusion: fit only these inputs of the rule (and its intercept); the others
    /// keep the shipped rule's coefficients. Repeatable.
    #[arg(long, hide = true, value_name = "INPUT")]
    pub fit_only: Vec<String>,
    /// Write each question's fusion signals and nDCG@10 at every grid weight (JSONL).
    #[arg(long, hide = true, value_name = "FILE.jsonl")]
    pub fusion_data: Option<PathBuf>,
}

#[derive(Serialize)]
struct EvalJson {
    #[serde(flatten)]
    metrics: Metrics,
    mode: Mode,
    /// Hybrid only: the spread of the per-question semantic weights.
    #[serde(skip_serializing_if = "Option::is_none")]
    fusion_weights: Option<super::eval_fusion::WeightsJson>,
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
    let mut corpus_docs = Vec::new();
    let (index, by_passage) = match &args.corpus {
        Some(corpus) => {
            let records: Vec<CorpusRecord> = read_jsonl(corpus).map_err(Error::from)?;
            let tmp = tempfile::tempdir()?;
            let mut index =
                LexicalIndex::open_or_create(tmp.path(), options).map_err(Error::from)?;
            let pb = bar(records.len() as u64, "indexing corpus");
            let mut session = index.begin().map_err(Error::from)?;
            let docs: Vec<_> = records.iter().map(record_to_document).collect();
            for d in &docs {
                session.add(d).map_err(Error::from)?;
                pb.inc(1);
            }
            session.commit().map_err(Error::from)?;
            pb.finish_and_clear();
            _tmp = tmp;
            corpus_docs = docs;
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
            .map(|q| (q.id.clone(), crate::eval::resolve_refs(&index, q)))
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
    // The semantic side: the index's own vectors, or (for a --corpus) cached embeddings.
    let model = if args.mode == Mode::Lexical && args.report.is_none() {
        Err(String::new())
    } else {
        super::model::load(&cli.model)
    };
    let vectors: Result<VectorStore, String> = match (&model, by_passage) {
        (Err(why), _) => Err(why.clone()),
        (Ok(m), false) => crate::engine::open_vectors(&index, m).map_err(|e| e.to_string()),
        (Ok(m), true) => {
            crate::eval::cached_corpus_vectors(&args.cache, &corpus_docs, m, &mut CorpusBar(None))
                .map_err(|e| e.to_string())
        }
    };
    if args.mode != Mode::Lexical {
        if let Err(why) = &vectors {
            return Err(Error::Usage(
                format!("{:?} mode needs the model and vectors: {why}", args.mode).to_lowercase(),
            )
            .into());
        }
    }
    let retriever = Retriever {
        lexical: &index,
        semantic: match (&model, &vectors) {
            (Ok(m), Ok(v)) => Some(Semantic {
                encoder: &m.encoder,
                vectors: v,
            }),
            _ => None,
        },
        config: HybridConfig {
            adaptive: !args.fixed_fusion,
            ..HybridConfig::default()
        },
        semantic_unavailable: None,
    };
    // A report scores all three modes from one run: hybrid retrieval returns both lists.
    let list_mode = match (&args.report, &vectors) {
        (Some(_), Ok(_)) => Mode::Hybrid,
        _ if args.all_modes => Mode::Hybrid,
        _ => args.mode,
    };
    let pb = bar(queries.len() as u64, "querying");
    let no_filters = Filters::default();
    let mut failures = 0usize;
    let mut lists = std::collections::HashMap::new();
    for q in &queries {
        pb.inc(1);
        match retriever.ranked_lists(
            &question_query(&q.text),
            &no_filters,
            list_mode,
            RETRIEVE_CHUNKS,
        ) {
            Ok(l) => {
                lists.insert(q.id.clone(), l);
            }
            Err(crate::search::SearchError::Lexical(_)) => failures += 1,
            Err(e) => return Err(Error::from(e).into()),
        }
    }
    pb.finish_and_clear();
    // The fusion each question gets in hybrid mode (the rule's weight, or the fixed one).
    let choices: HashMap<String, (Fusion, crate::search::FusionChoice)> = lists
        .iter()
        .filter(|(_, (_, sem))| !sem.is_empty())
        .map(|(id, (lex, sem))| {
            let text = queries.iter().find(|q| &q.id == id).map_or("", |q| &q.text);
            (
                id.clone(),
                retriever.choose_fusion(&question_query(text), lex, sem),
            )
        })
        .collect();
    let rank = |q: &QueryRecord, mode: Mode, fusion: Option<Fusion>| -> Vec<String> {
        {
            let Some((lex, sem)) = lists.get(&q.id) else {
                return Vec::new();
            };
            let fusion = fusion
                .or_else(|| choices.get(&q.id).map(|c| c.0))
                .unwrap_or(retriever.config.fusion);
            let fused = mode.fuse(lex, sem, fusion);
            // Named units are resolved by structure first, as `search` does.
            let fused = match mode {
                Mode::Semantic => fused,
                _ => {
                    let named = crate::lexical::query::find_lookup(&q.text);
                    let pinned = lookup::resolve(&index, &named, &fused).unwrap_or_default();
                    lookup::pin(fused, &pinned.pinned)
                }
            };
            let ids = fused.into_iter().map(|f| {
                if by_passage {
                    f.id.rsplit_once('#')
                        .map_or(f.id.clone(), |(d, _)| d.to_string())
                } else {
                    f.id
                }
            });
            dedupe_ranked(ids).into_iter().take(RANK_DEPTH).collect()
        }
    };
    let score = |mode: Mode, fusion: Option<Fusion>| {
        evaluate(&queries, relevant_of, |q| rank(q, mode, fusion))
    };
    if args.fit_fusion.is_some() || args.fusion_data.is_some() {
        let samples = super::eval_fusion::samples(
            &queries,
            &relevant_of,
            &choices,
            |q, f| rank(q, Mode::Hybrid, Some(f)),
            retriever.config.fusion,
        );
        super::eval_fusion::write_outputs(args, &samples, retriever.config.fusion)?;
    }
    if args.all_modes {
        let fixed = retriever.config.fusion;
        let rows = [
            ("lexical", score(Mode::Lexical, None).0),
            ("semantic", score(Mode::Semantic, None).0),
            ("hybrid_fixed", score(Mode::Hybrid, Some(fixed)).0),
            ("hybrid", score(Mode::Hybrid, None).0),
        ];
        let used: Vec<f32> = choices.values().map(|c| c.1.semantic_weight).collect();
        return super::eval_fusion::print_all_modes(
            &rows,
            super::eval_fusion::WeightsJson::new(&used, !args.fixed_fusion),
            args.json,
        );
    }
    let (metrics, per_query) = score(args.mode, None);
    if let Some(path) = &args.report {
        let mut modes = Vec::new();
        let mut missing = Vec::new();
        for mode in [Mode::Lexical, Mode::Semantic, Mode::Hybrid] {
            if mode != Mode::Lexical {
                if let Err(why) = &vectors {
                    missing.push((mode_name(mode).to_string(), why.clone()));
                    continue;
                }
            }
            let (metrics, per_query) = score(mode, None);
            modes.push(ModeScores {
                mode: mode_name(mode).to_string(),
                metrics,
                per_query,
            });
        }
        let title = match &args.corpus {
            Some(c) => format!("{} on {}", file_label(&args.queries), file_label(c)),
            None => format!("{} on the index", file_label(&args.queries)),
        };
        let html = report::render(&Report {
            title,
            questions: &queries,
            modes,
            missing,
        });
        write_atomically(path, html.as_bytes())?;
        if !args.json {
            eprintln!("report written to {}", path.display());
        }
    }
    let weights = (args.mode == Mode::Hybrid).then(|| {
        let used: Vec<f32> = per_query
            .iter()
            .filter_map(|s| choices.get(&s.id).map(|c| c.1.semantic_weight))
            .collect();
        super::eval_fusion::WeightsJson::new(&used, !args.fixed_fusion)
    });
    if args.sweep && args.mode == Mode::Hybrid {
        eprintln!(
            "{}: {:.3} / {:.3} / {:.3} / {:.3} / {:.3}",
            if args.fixed_fusion {
                "fixed (default)"
            } else {
                "adaptive (default)"
            },
            metrics.ndcg10,
            metrics.mrr10,
            metrics.recall1,
            metrics.recall5,
            metrics.recall20
        );
        let mut grid = Vec::new();
        for w in [0.5, 0.6, 0.7, 0.8, 0.9] {
            grid.push(Fusion::Normalized { semantic_weight: w });
            for k in [10.0, 30.0, 60.0] {
                grid.push(Fusion::Rrf {
                    k,
                    semantic_weight: w,
                });
            }
        }
        for f in grid {
            let m = score(Mode::Hybrid, Some(f)).0;
            eprintln!(
                "{f:?}: {:.3} / {:.3} / {:.3} / {:.3} / {:.3}",
                m.ndcg10, m.mrr10, m.recall1, m.recall5, m.recall20
            );
        }
    }
    if args.json {
        return print_json(&EvalJson {
            metrics,
            mode: args.mode,
            fusion_weights: weights.flatten(),
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
    if let Some(w) = weights.flatten() {
        w.print();
    }
    print_participants(&queries, &per_query);
    Ok(())
}

/// A class's question set: the main mode's scores per participant.
fn print_participants(queries: &[QueryRecord], per_query: &[crate::eval::QueryScore]) {
    let who: HashMap<&str, &str> = queries
        .iter()
        .filter_map(|q| Some((q.id.as_str(), q.participant.as_deref()?)))
        .collect();
    if who.is_empty() {
        return;
    }
    let mut names: Vec<&str> = who.values().copied().collect();
    names.sort_unstable();
    names.dedup();
    println!();
    println!(
        "{:<24} {:>9} {:>8} {:>9}",
        "participant", "questions", "nDCG@10", "Recall@5"
    );
    for name in names {
        let mine: Vec<_> = per_query
            .iter()
            .filter(|s| who.get(s.id.as_str()) == Some(&name))
            .cloned()
            .collect();
        let m = Metrics::average(&mine);
        println!(
            "{:<24} {:>9} {:>8.3} {:>9.3}",
            name, m.queries, m.ndcg10, m.recall5
        );
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Lexical => "lexical",
        Mode::Semantic => "semantic",
        Mode::Hybrid => "hybrid",
    }
}

fn file_label(p: &std::path::Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Writes through a temporary file in the same folder and renames it, so a crash never
/// leaves half a report where the old one was.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let fail = |e: std::io::Error| {
        Error::Usage(format!("cannot write the report {}: {e}", path.display()))
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    // A temporary file is private (0600); a report is meant to be shared like any page.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(fail)?;
    }
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
