//! `envkb eval-answers`: answers every question of a bench file and scores answer hits,
//! citation precision, abstention and citation validity (`answer::evaluate`).

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::output::{bar, print_json};
use super::Cli;
use crate::answer::evaluate::{judge, split_rates, summarize, Judged};
use crate::answer::{citation, compose, gather, AbstainConfig, AskOptions, EvidenceConfig};
use crate::engine::Engine;
use crate::eval::{read_jsonl, record_to_document, CorpusRecord, QueryRecord};
use crate::lexical::LexicalIndex;
use crate::search::HybridConfig;
use crate::text::AnalyzerOptions;
use crate::Error;

#[derive(Debug, Args)]
pub struct EvalAnswersArgs {
    /// JSONL corpus ({"id","title","text"} per line) to index into a temporary index.
    /// Without it, the index at --index answers and gold passages may be `relevant_refs`.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// JSONL questions ({"id","text","relevant":[ids],"answers":[strings]} per line);
    /// questions without gold passages count as unanswerable.
    #[arg(long, required = true)]
    pub queries: PathBuf,
    /// Where embeddings of a --corpus are cached between runs (shared with `envkb eval`).
    #[arg(long, env = "ENVKB_CACHE", default_value = ".envkb-cache")]
    pub cache: PathBuf,
    /// Passages read per question.
    #[arg(short, long, default_value_t = 5)]
    pub k: usize,
    /// Print one JSON object: answer_hit, citation_precision, abstained, invalid_citations,
    /// queries.
    #[arg(long)]
    pub json: bool,
    /// Calibration: also print the metrics over a range of abstention thresholds.
    #[arg(long, hide = true)]
    pub sweep: bool,
    /// Calibration: write each question's candidate sentences and their features as JSONL.
    #[arg(long, hide = true)]
    pub dump: Option<PathBuf>,
    /// Write each question's judgement (id, hit, confidence, citations) as JSONL, to compare
    /// question sets such as English questions and their Persian twins.
    #[arg(long)]
    pub details: Option<PathBuf>,
    /// Calibration: score evidence with the weights and threshold of this scorer file
    /// (written by examples/fit_evidence.rs) instead of the shipped ones.
    #[arg(long, hide = true)]
    pub scorer: Option<PathBuf>,
    /// Experiment: share of the best sentence's score a neighbour needs to join its quote.
    #[arg(long, hide = true)]
    pub neighbour_share: Option<f32>,
    /// Experiment: how close to the best score a sentence of another passage must be.
    #[arg(long, hide = true)]
    pub keep_margin: Option<f32>,
    /// Experiment: most sentences an answer quotes.
    #[arg(long, hide = true)]
    pub max_sentences: Option<usize>,
    /// Experiment: passages of the other language read besides the question's own (0 reads
    /// only what the search ranks first).
    #[arg(long, hide = true)]
    pub other_language: Option<usize>,
    /// Experiment: abstention threshold (the model's score or, without it, word overlap).
    #[arg(long, hide = true)]
    pub min_score: Option<f32>,
}

/// One candidate sentence in the calibration dump.
#[derive(Serialize)]
struct DumpCandidate {
    passage: usize,
    semantic: Option<f32>,
    lexical: f32,
    passage_similarity: f32,
    /// The sentence contains a gold answer.
    hit: bool,
    /// The sentence's passage is a gold passage.
    relevant: bool,
    /// Never quoted (a heading, a title, a sentence about the document).
    unquotable: bool,
    /// The scorer's features, in `answer::features::FEATURE_NAMES` order.
    features: Vec<f32>,
}

#[derive(Serialize)]
struct DumpLine<'a> {
    id: &'a str,
    answerable: bool,
    has_gold_answers: bool,
    candidates: Vec<DumpCandidate>,
}

pub fn run(cli: &Cli, args: &EvalAnswersArgs) -> anyhow::Result<()> {
    let queries: Vec<QueryRecord> = read_jsonl(&args.queries).map_err(Error::from)?;
    let model = super::model::load_for(&cli.model, &cli.index);
    let _tmp;
    let (engine, by_passage) = match &args.corpus {
        Some(corpus) => {
            let records: Vec<CorpusRecord> = read_jsonl(corpus).map_err(Error::from)?;
            let tmp = tempfile::tempdir()?;
            let mut index = LexicalIndex::open_or_create(tmp.path(), AnalyzerOptions::default())
                .map_err(Error::from)?;
            let docs: Vec<_> = records.iter().map(record_to_document).collect();
            let pb = bar(docs.len() as u64, "indexing corpus");
            let mut session = index.begin().map_err(Error::from)?;
            for d in &docs {
                session.add(d).map_err(Error::from)?;
                pb.inc(1);
            }
            session.commit().map_err(Error::from)?;
            pb.finish_and_clear();
            _tmp = tmp;
            let (model, vectors, why) = match model {
                Ok(m) => match crate::eval::cached_corpus_vectors(
                    &args.cache,
                    &docs,
                    &m,
                    &mut super::output::CorpusBar(None),
                ) {
                    Ok(v) => (Some(m), Some(v), None),
                    Err(e) => return Err(e.into()),
                },
                Err(why) => (None, None, Some(why)),
            };
            let engine = Engine {
                index,
                model: model.map(std::sync::Arc::new),
                vectors,
                semantic_unavailable: why,
                config: HybridConfig::default(),
                sentences: Default::default(),
            };
            (engine, true)
        }
        None => (Engine::open(&cli.index, model).map_err(Error::from)?, false),
    };
    let mut opts = AskOptions {
        passages: args.k.max(1),
        ..AskOptions::default()
    };
    if let Some(path) = &args.scorer {
        let text = std::fs::read_to_string(path)?;
        let scorer: crate::answer::scorer::Scorer = serde_json::from_str(&text)?;
        anyhow::ensure!(
            scorer.features == crate::answer::features::FEATURE_NAMES,
            "{}: the scorer's features are not this build's",
            path.display()
        );
        opts.abstain.min_score = scorer.threshold;
        opts.scorer = std::sync::Arc::new(scorer);
    }
    if let Some(n) = args.other_language {
        opts.other_language = n;
    }
    let d = EvidenceConfig::default();
    opts.evidence = EvidenceConfig {
        neighbour_share: args.neighbour_share.unwrap_or(d.neighbour_share),
        keep_margin: args.keep_margin.unwrap_or(d.keep_margin),
        max_sentences: args.max_sentences.unwrap_or(d.max_sentences),
    };
    let threshold = args.min_score.unwrap_or(if engine.encoder().is_some() {
        opts.abstain.min_score
    } else {
        opts.abstain.min_overlap
    });
    // Answers are composed without abstention; the threshold is applied when summarizing,
    // so one run scores any threshold.
    opts.abstain = AbstainConfig {
        min_score: f32::NEG_INFINITY,
        min_overlap: f32::NEG_INFINITY,
    };
    let mut dump = match &args.dump {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    let mut warned = false;
    let pb = bar(queries.len() as u64, "answering");
    let mut judged: Vec<Judged> = Vec::with_capacity(queries.len());
    for q in &queries {
        pb.inc(1);
        let relevant: HashSet<String> = if by_passage {
            q.relevant.iter().cloned().collect()
        } else {
            let mut r: HashSet<String> = q.relevant.iter().cloned().collect();
            r.extend(crate::eval::resolve_refs(&engine.index, q));
            r
        };
        let is_relevant = |chunk_id: &str| {
            if by_passage {
                let doc = chunk_id.rsplit_once('#').map_or(chunk_id, |(d, _)| d);
                relevant.contains(doc)
            } else {
                relevant.contains(chunk_id)
            }
        };
        let answerable = !q.is_unanswerable();
        let ev = match gather(&engine, &q.text, &opts) {
            Ok(ev) => ev,
            Err(e) if e.fault() == crate::Fault::User => {
                eprintln!("warning: {}: {e}; counted as abstained", q.id);
                judged.push(Judged {
                    id: q.id.clone(),
                    answerable,
                    has_gold_answers: !q.answers.is_empty(),
                    confidence: None,
                    hit: false,
                    citations: 0,
                    relevant_citations: 0,
                    invalid: 0,
                });
                continue;
            }
            Err(e) => return Err(Error::from(e).into()),
        };
        if let (Some(w), false) = (&ev.warning, warned) {
            pb.suspend(|| eprintln!("warning: {w}"));
            warned = true;
        }
        if let Some(out) = dump.as_mut() {
            let sims = ev.passage_similarities();
            let line = DumpLine {
                id: &q.id,
                answerable,
                has_gold_answers: !q.answers.is_empty(),
                candidates: ev
                    .candidates
                    .iter()
                    .map(|c| DumpCandidate {
                        passage: c.passage,
                        semantic: c.semantic,
                        lexical: c.lexical,
                        passage_similarity: sims[c.passage],
                        hit: crate::answer::evaluate::contains_answer(
                            &ev.hits[c.passage].hit.text[c.start..c.end],
                            &q.answers,
                        ),
                        relevant: is_relevant(&ev.hits[c.passage].hit.chunk_id),
                        unquotable: c.unquotable,
                        features: c.features.to_vec(),
                    })
                    .collect(),
            };
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        }
        let answer = compose(&ev, &opts).map_err(Error::from)?;
        let problems = citation::check(&answer.answer, &answer.citations, |id| {
            engine
                .index
                .chunk(id)
                .ok()
                .flatten()
                .map(|h| h.passage.text)
        });
        judged.push(judge(
            &q.id,
            &answer,
            answerable,
            &q.answers,
            is_relevant,
            problems.len(),
        ));
    }
    pb.finish_and_clear();
    if let Some(mut out) = dump {
        out.flush()?;
    }
    if let Some(path) = &args.details {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for j in &judged {
            let mut line = serde_json::to_value(j)?;
            line["abstained"] =
                serde_json::Value::Bool(crate::answer::evaluate::abstains(j, threshold));
            writeln!(out, "{line}")?;
        }
        out.flush()?;
    }
    let metrics = summarize(&judged, threshold);
    if args.sweep {
        eprintln!("threshold  answer_hit  citation_precision  abstained(answerable)  false_answers(unanswerable)");
        for i in 0..=40 {
            let t = if engine.encoder().is_some() {
                0.5 + i as f32 * 0.01
            } else {
                i as f32 * 0.025
            };
            let m = summarize(&judged, t);
            let (ab, fa) = split_rates(&judged, t);
            let f = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
            eprintln!(
                "{t:9.3}  {:>10}  {:>18}  {:>21}  {:>27}",
                f(m.answer_hit),
                f(m.citation_precision),
                f(ab),
                f(fa)
            );
        }
    }
    if args.json {
        return print_json(&metrics);
    }
    let f = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.3}"));
    let (ab, fa) = split_rates(&judged, threshold);
    println!("queries             {}", metrics.queries);
    println!("answer hit          {}", f(metrics.answer_hit));
    println!("citation precision  {}", f(metrics.citation_precision));
    println!("abstained           {:.3}", metrics.abstained);
    println!("  of answerable     {}", f(ab));
    println!(
        "false answers       {}  (unanswerable questions not abstained)",
        f(fa)
    );
    println!("invalid citations   {}", metrics.invalid_citations);
    Ok(())
}
