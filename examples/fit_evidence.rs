//! Fits the evidence scorer (`src/answer/scorer.json`) from `envkb eval-answers --dump`
//! files of TRAINING questions, and chooses the abstention threshold on them.
//!
//! ```sh
//! cargo run --release --example fit_evidence -- \
//!     --answerable train-wiki.dump.jsonl train-domain.dump.jsonl \
//!     --unanswerable wiki-on-corpus.dump.jsonl domain-on-wiki.dump.jsonl \
//!     --max-false 0.05 > src/answer/scorer.json
//! ```
//!
//! Examples are the quotable candidate sentences (headings and sentences about the document
//! are never quoted, so they are not learned from); a candidate is positive when it holds a
//! gold answer string. Candidates of unanswerable questions are all negatives. The
//! threshold is the lowest probability at which each unanswerable training set gets at most
//! `--max-false` false answers, capped where more than `--max-abstain` of the answerable
//! questions would abstain; the curve is printed to stderr. `--listwise W` adds the
//! per-question ranking loss at weight W (`FitOptions::listwise`); the dumps come from
//! `scripts/answer_dumps.sh`.

use std::collections::BTreeMap;
use std::io::BufRead;

use envkb::answer::features::N_FEATURES;
use envkb::answer::scorer::{fit, log_loss, scorer_from, Example, FitOptions};
use serde::Deserialize;

#[derive(Deserialize)]
struct DumpCandidate {
    hit: bool,
    unquotable: bool,
    features: Vec<f32>,
}

#[derive(Deserialize)]
struct DumpLine {
    has_gold_answers: bool,
    candidates: Vec<DumpCandidate>,
}

/// One question: its quotable candidates' features and labels.
struct Question {
    candidates: Vec<Example>,
}

fn read(path: &str, answerable: bool) -> Vec<Question> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    std::io::BufReader::new(file)
        .lines()
        .map(|l| l.unwrap_or_else(|e| panic!("{path}: {e}")))
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<DumpLine>(&l).unwrap_or_else(|e| panic!("{path}: {e}")))
        .filter(|d| !answerable || d.has_gold_answers)
        .map(|d| Question {
            candidates: d
                .candidates
                .into_iter()
                .filter(|c| !c.unquotable)
                .map(|c| {
                    let mut x = [0f32; N_FEATURES];
                    assert_eq!(c.features.len(), N_FEATURES, "{path}: old dump");
                    x.copy_from_slice(&c.features);
                    Example {
                        x,
                        label: answerable && c.hit,
                    }
                })
                .collect(),
        })
        .collect()
}

fn main() {
    let mut answerable = Vec::new();
    let mut unanswerable = Vec::new();
    // Which unanswerable set each question came from: the threshold must hold on each.
    let mut unanswerable_set: Vec<usize> = Vec::new();
    let mut sets = 0;
    let mut max_false = 0.05f32;
    let mut max_abstain = 0.10f32;
    let mut l2 = 1e-3f32;
    let mut listwise = 0f32;
    let mut into: Option<bool> = None;
    let mut args = std::env::args().skip(1);
    let mut names = BTreeMap::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--answerable" => into = Some(true),
            "--unanswerable" => into = Some(false),
            "--max-false" => {
                max_false = args.next().and_then(|v| v.parse().ok()).expect("a number")
            }
            "--max-abstain" => {
                max_abstain = args.next().and_then(|v| v.parse().ok()).expect("a number")
            }
            "--l2" => l2 = args.next().and_then(|v| v.parse().ok()).expect("a number"),
            "--listwise" => listwise = args.next().and_then(|v| v.parse().ok()).expect("a number"),
            path => {
                let is_answerable = into.expect("name --answerable or --unanswerable first");
                let qs = read(path, is_answerable);
                names.insert(
                    path.rsplit('/').next().unwrap_or(path).to_string(),
                    qs.len(),
                );
                if is_answerable {
                    answerable.extend(qs);
                } else {
                    unanswerable_set.extend(std::iter::repeat_n(sets, qs.len()));
                    unanswerable.extend(qs);
                    sets += 1;
                }
            }
        }
    }
    let examples: Vec<Example> = answerable
        .iter()
        .chain(&unanswerable)
        .flat_map(|q| q.candidates.iter().copied())
        .collect();
    let positives = examples.iter().filter(|e| e.label).count();
    eprintln!(
        "{} answerable and {} unanswerable questions, {} sentences, {} holding an answer",
        answerable.len(),
        unanswerable.len(),
        examples.len(),
        positives
    );
    let opts = FitOptions {
        l2,
        listwise,
        ..FitOptions::default()
    };
    let questions: Vec<Vec<Example>> = answerable
        .iter()
        .chain(&unanswerable)
        .map(|q| q.candidates.clone())
        .collect();
    let (weights, bias) = fit(&questions, &opts);
    let mut scorer = scorer_from(weights, bias, 0.5, "");
    eprintln!("log loss {:.4}", log_loss(&scorer, &examples));
    // Per question: the best probability and whether that sentence holds the answer.
    let top = |q: &Question| {
        q.candidates
            .iter()
            .map(|e| (scorer.probability(&e.x), e.label))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((0.0, false))
    };
    let tops_a: Vec<(f32, bool)> = answerable.iter().map(top).collect();
    let tops_u: Vec<(f32, bool)> = unanswerable.iter().map(top).collect();
    let share = |n: usize, d: usize| n as f32 / d.max(1) as f32;
    eprintln!("threshold  top_hit  abstained(answerable)  false_answers(unanswerable)");
    let mut chosen = None;
    let mut highest_allowed = 0f32;
    for i in 0..=100 {
        let t = i as f32 / 100.0;
        let hit = tops_a.iter().filter(|(p, h)| *h && *p >= t).count();
        let abst = tops_a.iter().filter(|(p, _)| *p < t).count();
        let fa = tops_u.iter().filter(|(p, _)| *p >= t).count();
        let fa_rate = share(fa, tops_u.len());
        let worst_set = (0..sets)
            .map(|s| {
                let of_set: Vec<&(f32, bool)> = tops_u
                    .iter()
                    .zip(&unanswerable_set)
                    .filter(|(_, set)| **set == s)
                    .map(|(top, _)| top)
                    .collect();
                share(of_set.iter().filter(|(p, _)| *p >= t).count(), of_set.len())
            })
            .fold(0f32, f32::max);
        if i % 5 == 0 {
            eprintln!(
                "{t:9.2}  {:7.3}  {:21.3}  {:27.3}",
                share(hit, tops_a.len()),
                share(abst, tops_a.len()),
                fa_rate
            );
        }
        if share(abst, tops_a.len()) <= max_abstain {
            highest_allowed = t;
        }
        if chosen.is_none() && worst_set <= max_false {
            chosen = Some(t);
        }
    }
    // The lowest threshold that keeps false answers down on every unanswerable set, unless
    // that would abstain on more than `max_abstain` of the answerable questions.
    scorer.threshold = chosen.unwrap_or(1.0).min(highest_allowed).max(0.01);
    let sets: Vec<String> = names.iter().map(|(n, q)| format!("{n} ({q})")).collect();
    scorer.fitted_on = format!(
        "examples/fit_evidence.rs on {}; threshold: at most {max_false} false answers on each unanswerable set, abstaining on at most {max_abstain} of the answerable",
        sets.join(", ")
    );
    eprintln!("threshold {:.2}", scorer.threshold);
    for (n, w) in envkb::answer::features::FEATURE_NAMES
        .iter()
        .zip(&scorer.weights)
    {
        eprintln!("  {n:36} {w:+.3}");
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&scorer).expect("a scorer serializes")
    );
}
