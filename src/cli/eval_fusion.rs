//! The per-query fusion parts of `envkb eval`: the spread of the weights the rule chose
//! (text and JSON), and the hidden training outputs: each question's signals with its
//! nDCG@10 at every grid weight (`--fusion-data`), and the fitted rule (`--fit-fusion`).
//!
//! The rule itself, its signals and the fit live in `search::adaptive`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use serde::Serialize;

use super::eval::EvalArgs;
use crate::eval::{QueryRecord, QueryScore};
use crate::search::adaptive::{self, Sample, WeightSpread};
use crate::search::{Fusion, FusionChoice};
use crate::Error;

/// The weights' spread in `envkb eval --json`.
#[derive(Debug, Serialize)]
pub struct WeightsJson {
    /// True when the per-query rule chose them, false for the fixed baseline.
    pub adaptive: bool,
    #[serde(flatten)]
    pub spread: WeightSpread,
}

impl WeightsJson {
    /// `None` when no question was fused (no semantic side).
    pub fn new(used: &[f32], adaptive: bool) -> Option<WeightsJson> {
        Some(WeightsJson {
            adaptive,
            spread: adaptive::spread(used)?,
        })
    }

    /// The text form: quartiles and a small histogram.
    pub fn print(&self) {
        let s = &self.spread;
        println!(
            "semantic weight per question ({}): min {:.2}, q1 {:.2}, median {:.2}, q3 {:.2}, max {:.2}, mean {:.3}",
            if self.adaptive { "adaptive" } else { "fixed" },
            s.min,
            s.q1,
            s.median,
            s.q3,
            s.max,
            s.mean
        );
        let most = s.histogram.iter().map(|h| h.1).max().unwrap_or(1);
        for (w, n) in &s.histogram {
            let bar = "#".repeat((n * 40).div_ceil(most));
            println!("  {w:.2} {n:>5} {bar}");
        }
    }
}

/// The `--all-modes` table (or JSON object keyed by row name).
pub fn print_all_modes(
    rows: &[(&str, crate::eval::Metrics)],
    weights: Option<WeightsJson>,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        let mut obj = serde_json::Map::new();
        for (name, m) in rows {
            obj.insert((*name).to_string(), serde_json::to_value(m)?);
        }
        if let Some(w) = &weights {
            obj.insert("fusion_weights".into(), serde_json::to_value(w)?);
        }
        return super::output::print_json(&obj);
    }
    println!(
        "{:<14} nDCG@10 / MRR@10 / R@1 / R@5 / R@20 (queries)",
        "mode"
    );
    for (name, m) in rows {
        println!(
            "{name:<14} {:.3} / {:.3} / {:.3} / {:.3} / {:.3} ({})",
            m.ndcg10, m.mrr10, m.recall1, m.recall5, m.recall20, m.queries
        );
    }
    if let Some(w) = weights {
        w.print();
    }
    Ok(())
}

/// Each scored question's signals and nDCG@10 at every grid weight, fusing with `base`'s
/// method; `rank` ranks one question with one fusion as the eval scores it.
pub fn samples(
    queries: &[QueryRecord],
    relevant_of: &impl Fn(&QueryRecord) -> Vec<String>,
    choices: &HashMap<String, (Fusion, FusionChoice)>,
    rank: impl Fn(&QueryRecord, Fusion) -> Vec<String>,
    base: Fusion,
) -> Vec<(Sample, String)> {
    let grid = adaptive::grid();
    let mut out = Vec::new();
    for q in queries {
        let relevant: HashSet<String> = relevant_of(q).into_iter().collect();
        let Some((_, choice)) = choices.get(&q.id) else {
            continue;
        };
        if relevant.is_empty() {
            continue;
        }
        let ndcg = grid
            .iter()
            .map(|&w| {
                let ranked = rank(q, base.with_semantic_weight(w));
                QueryScore::compute(&q.id, &ranked, &relevant).ndcg10 as f32
            })
            .collect();
        out.push((
            Sample {
                id: q.id.clone(),
                signals: choice.signals,
                ndcg,
            },
            group_of(q),
        ));
    }
    out
}

/// The question's style for the fit: its `style`, else its `kind`, else "natural" (the
/// bench's search-engine questions carry neither).
fn group_of(q: &QueryRecord) -> String {
    q.style
        .clone()
        .or_else(|| q.kind.clone())
        .unwrap_or_else(|| "natural".into())
}

#[derive(Serialize, serde::Deserialize)]
struct DataRow {
    #[serde(flatten)]
    sample: Sample,
    group: String,
}

/// Writes `--fusion-data` and fits and writes `--fit-fusion`.
pub fn write_outputs(
    args: &EvalArgs,
    samples: &[(Sample, String)],
    base: Fusion,
) -> anyhow::Result<()> {
    let fail = |p: &std::path::Path, e: std::io::Error| {
        Error::Usage(format!("cannot write {}: {e}", p.display()))
    };
    if let Some(path) = &args.fusion_data {
        let mut f = std::fs::File::create(path).map_err(|e| fail(path, e))?;
        for (s, g) in samples {
            let line = serde_json::to_string(&DataRow {
                sample: s.clone(),
                group: g.clone(),
            })?;
            writeln!(f, "{line}").map_err(|e| fail(path, e))?;
        }
    }
    let Some(path) = &args.fit_fusion else {
        return Ok(());
    };
    let mut samples = samples.to_vec();
    let mut sources = vec![format!(
        "{} on {}",
        file_name(&args.queries),
        args.corpus
            .as_deref()
            .map_or_else(|| "the index".to_string(), file_name)
    )];
    for path in &args.fusion_data_in {
        let rows: Vec<DataRow> = crate::eval::read_jsonl(path).map_err(Error::from)?;
        sources.push(file_name(path));
        samples.extend(rows.into_iter().map(|r| (r.sample, r.group)));
    }
    if samples.is_empty() {
        return Err(Error::Usage(
            "--fit-fusion needs questions with gold passages and the semantic side".into(),
        )
        .into());
    }
    // Each group (question style) weighs the same in the objective.
    let mut by_group: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
    for (s, g) in samples {
        by_group.entry(g).or_default().push(s);
    }
    let groups: Vec<adaptive::Group> = by_group
        .into_iter()
        .map(|(name, samples)| adaptive::Group { name, samples })
        .collect();
    let shipped = &*adaptive::RULE;
    if let Some(bad) = args
        .fit_only
        .iter()
        .find(|n| !adaptive::FEATURES.contains(&n.as_str()))
    {
        return Err(Error::Usage(format!(
            "--fit-only {bad}: the rule's inputs are {}",
            adaptive::FEATURES.join(", ")
        ))
        .into());
    }
    let keep: Vec<&str> = shipped.not_fitted.keys().map(String::as_str).collect();
    // The start, whose group scores are the floors: every question at the fixed weight.
    let share =
        (base.semantic_weight() - shipped.min_weight) / (shipped.max_weight - shipped.min_weight);
    let fixed = adaptive::Rule {
        intercept: (share / (1.0 - share)).ln(),
        coefficients: shipped
            .coefficients
            .iter()
            .map(|(n, c)| (n.clone(), if keep.contains(&n.as_str()) { *c } else { 0.0 }))
            .collect(),
        ..shipped.clone()
    };
    let before = adaptive::group_scores(&fixed, &groups);
    let floors = adaptive::floors(&fixed, &groups);
    let mut fitted = if args.fit_only.is_empty() {
        adaptive::fit(&groups, &fixed, &keep)
    } else {
        // Only the named inputs move (from the shipped rule); every other input is kept.
        let kept: Vec<&str> = adaptive::FEATURES
            .iter()
            .copied()
            .filter(|n| !args.fit_only.iter().any(|f| f == n))
            .collect();
        adaptive::fit_above(&groups, shipped, &kept, &floors)
    };
    let scores = adaptive::group_scores(&fitted, &groups);
    for (((g, b), f), s) in groups.iter().zip(&before).zip(&floors).zip(&scores) {
        eprintln!(
            "  {:<16} {:>5} questions: nDCG@10 {b:.4} fixed, {f:.4} floor, {s:.4} fitted",
            g.name,
            g.samples.len()
        );
    }
    let total: usize = groups.iter().map(|g| g.samples.len()).sum();
    let names: Vec<String> = groups
        .iter()
        .map(|g| format!("{} {}", g.name, g.samples.len()))
        .collect();
    let only = if args.fit_only.is_empty() {
        String::new()
    } else {
        format!(
            "; only {} and the intercept fitted, the other inputs kept from: {}",
            args.fit_only.join(", "),
            shipped.fitted_on
        )
    };
    fitted.fitted_on = format!(
        "envkb eval --fit-fusion: {} ({} questions with gold: {}){only}",
        sources.join(" + "),
        total,
        names.join(", ")
    );
    let json = serde_json::to_string_pretty(&fitted)? + "\n";
    std::fs::write(path, json).map_err(|e| fail(path, e))?;
    eprintln!("fusion rule written to {}", path.display());
    Ok(())
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
