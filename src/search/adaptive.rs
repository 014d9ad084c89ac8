//! Per-query fusion: the semantic weight of a hybrid search chosen from what the query and
//! the two ranked lists say before they are fused.
//!
//! One fixed weight (0.7, measured on natural questions) is right when a question is written
//! in other words than the passage and wrong when it reuses the passage's words, where the
//! lexical side is the better half. This module owns the signals that tell the two apart
//! (rare words, quoted or `+` terms, numbers, length, how far each side's first hit stands out,
//! how much the two top tens agree), the small logistic rule that maps them to a weight, its
//! fitted coefficients (`fusion_weights.json`, written by `envkb eval --fit-fusion`) and the
//! fit itself. It runs no retriever: `Retriever::search` and `envkb eval` pass the lists in.

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::lexical::{LexicalIndex, Occurrence, ParsedQuery};
use crate::text::TokenKind;

/// Weights are chosen on this grid, so the fit (which scores each question at every grid
/// weight) sees exactly the rankings that search will produce.
pub const GRID_STEP: f32 = 0.05;

/// A query word is rare when fewer than this share of the chunks hold it.
pub const RARE_SHARE: f64 = 0.01;

/// How many hits of each side are compared for agreement.
const TOP: usize = 10;

/// What the query and the two lists say, before fusion.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signals {
    /// Distinct analyzed words of the query (pair and compound terms not counted).
    pub query_terms: usize,
    /// Share of those words found in some but fewer than 1% of the chunks.
    pub rare_share: f32,
    /// A quoted phrase or a `+required` term: the user asks for these exact words.
    pub exact: bool,
    /// Digits, or a named article/clause/note number.
    pub numbers: bool,
    /// Lexical (first − second) / first score; 0 with fewer than two hits.
    pub lexical_margin: f32,
    /// Semantic first − second cosine; 0 with fewer than two hits.
    pub semantic_margin: f32,
    /// Share of the lexical top ten that is also in the semantic top ten.
    pub overlap: f32,
    /// The lexical first hit's score over the summed IDF of the query's words found in the
    /// index: near its top when one chunk holds most of the query's words (a question that
    /// copies a passage), low when the best chunk matches only some.
    #[serde(default)]
    pub lexical_coverage: f32,
    /// Share of the query's words (weighted by IDF) that the lexical first hit holds: near 1
    /// when one passage holds the whole question (a question that copies a passage's
    /// sentence), lower when the best lexical hit matches only part of it.
    #[serde(default)]
    pub top_hit_share: f32,
}

impl Signals {
    /// The rule's inputs, each about 0..1, in [`FEATURES`] order.
    pub fn features(&self) -> [f32; FEATURES.len()] {
        [
            self.rare_share,
            f32::from(u8::from(self.exact)),
            f32::from(u8::from(self.numbers)),
            (self.query_terms.min(16) as f32) / 16.0,
            self.lexical_margin,
            (self.semantic_margin * 20.0).min(1.0),
            self.overlap,
            (self.lexical_coverage / COVERAGE_SCALE).min(1.0),
            f32::from(u8::from(self.top_hit_share >= WHOLE_QUERY)),
        ]
    }
}

/// The names of the rule's inputs, as explain shows them.
pub const FEATURES: [&str; 9] = [
    "rare_share",
    "exact",
    "numbers",
    "length",
    "lexical_margin",
    "semantic_margin",
    "overlap",
    "coverage",
    "whole_query",
];

/// `top_hit_share` from which the lexical first hit counts as holding the whole query (the
/// `whole_query` input is 1): a passage that holds every word of the question, rare ones
/// included, is very likely the one it was written from.
pub const WHOLE_QUERY: f32 = 0.95;

/// `lexical_coverage` at which the coverage input saturates at 1.
pub const COVERAGE_SCALE: f32 = 3.0;

/// The rule: `w = min + (max − min) · σ(intercept + Σ coef·feature)`, rounded to the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub intercept: f32,
    /// One coefficient per [`FEATURES`] entry, by name.
    pub coefficients: std::collections::BTreeMap<String, f32>,
    pub min_weight: f32,
    pub max_weight: f32,
    /// How the coefficients were obtained (the command and the training questions).
    #[serde(default)]
    pub fitted_on: String,
    /// Coefficients set by hand because no training question exercises them, and why.
    #[serde(default)]
    pub not_fitted: std::collections::BTreeMap<String, String>,
}

/// One input's part in the choice, for explain.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contribution {
    pub signal: String,
    pub value: f32,
    /// coefficient × value: positive leans semantic, negative lexical.
    pub effect: f32,
}

/// The weight a hybrid search used and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FusionChoice {
    /// The semantic weight (the lexical side gets 1 − it).
    pub semantic_weight: f32,
    /// False when a fixed weight was configured (the rule did not run).
    pub adaptive: bool,
    pub signals: Signals,
    /// The rule's intercept plus every input's effect, largest first; empty when fixed.
    pub contributions: Vec<Contribution>,
    /// One line for people: the weight and the inputs that moved it most.
    pub reason: String,
}

/// The shipped rule, fitted by `envkb eval --fit-fusion` (docs/BENCHMARKS.md, "Adaptive fusion").
pub static RULE: LazyLock<Rule> = LazyLock::new(|| {
    serde_json::from_str(include_str!("fusion_weights.json"))
        .unwrap_or_else(|e| panic!("src/search/fusion_weights.json is not a fusion rule: {e}"))
});

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Rounds to the grid (and keeps 0..1).
pub fn on_grid(w: f32) -> f32 {
    ((w / GRID_STEP).round() * GRID_STEP).clamp(0.0, 1.0)
}

impl Rule {
    fn coef(&self, name: &str) -> f32 {
        self.coefficients.get(name).copied().unwrap_or(0.0)
    }

    /// The linear score before the squashing.
    fn score(&self, x: &[f32; FEATURES.len()]) -> f32 {
        self.intercept
            + FEATURES
                .iter()
                .zip(x)
                .map(|(n, v)| self.coef(n) * v)
                .sum::<f32>()
    }

    /// The semantic weight for these signals.
    pub fn weight(&self, s: &Signals) -> f32 {
        let z = self.score(&s.features());
        on_grid(self.min_weight + (self.max_weight - self.min_weight) * sigmoid(z))
    }

    /// The weight with its explanation.
    pub fn choose(&self, s: Signals) -> FusionChoice {
        let x = s.features();
        let mut contributions: Vec<Contribution> = FEATURES
            .iter()
            .zip(x)
            .map(|(n, v)| Contribution {
                signal: (*n).to_string(),
                value: v,
                effect: self.coef(n) * v,
            })
            .collect();
        contributions.sort_by(|a, b| b.effect.abs().total_cmp(&a.effect.abs()));
        let w = self.weight(&s);
        let moved: Vec<String> = contributions
            .iter()
            .filter(|c| c.effect.abs() >= 0.25)
            .take(3)
            .map(|c| {
                let side = if c.effect > 0.0 {
                    "semantic"
                } else {
                    "lexical"
                };
                format!("{} {:.2} → {side}", c.signal, c.value)
            })
            .collect();
        let reason = if moved.is_empty() {
            format!("semantic weight {w:.2}: no signal stood out")
        } else {
            format!("semantic weight {w:.2}: {}", moved.join(", "))
        };
        contributions.insert(
            0,
            Contribution {
                signal: "intercept".into(),
                value: 1.0,
                effect: self.intercept,
            },
        );
        FusionChoice {
            semantic_weight: w,
            adaptive: true,
            signals: s,
            contributions,
            reason,
        }
    }
}

/// A fixed weight, explained as such.
pub fn fixed(semantic_weight: f32, signals: Signals) -> FusionChoice {
    FusionChoice {
        semantic_weight,
        adaptive: false,
        signals,
        contributions: Vec::new(),
        reason: format!("semantic weight {semantic_weight:.2}: fixed"),
    }
}

/// Reads the signals of one query from the index and the two ranked lists (best first).
pub fn signals(
    index: &LexicalIndex,
    searcher: &tantivy::Searcher,
    query: &ParsedQuery,
    lexical: &[(String, f32)],
    semantic: &[(String, f32)],
) -> Signals {
    let mut seen = HashSet::new();
    let words: Vec<String> = index
        .analyzer()
        .analyze(&query.positive_text())
        .into_iter()
        .filter(|t| t.kind == TokenKind::Word && seen.insert(t.text.clone()))
        .map(|t| t.text)
        .collect();
    let (docs, freqs) = index.body_doc_freqs(searcher, &words);
    let rare = freqs
        .iter()
        .filter(|&&df| df > 0 && (df as f64) < RARE_SHARE * docs as f64)
        .count();
    // BM25's IDF, as tantivy computes it, of each query word the index holds.
    let n = docs as f64;
    let idf: f64 = freqs
        .iter()
        .filter(|&&df| df > 0)
        .map(|&df| (1.0 + (n - df as f64 + 0.5) / (df as f64 + 0.5)).ln())
        .sum();
    let mut s = list_signals(
        words.len(),
        rare,
        exact_words(query),
        has_numbers(query),
        lexical,
        semantic,
    );
    s.lexical_coverage = match lexical.first() {
        Some((_, top)) if idf > 0.0 => (f64::from(*top) / idf) as f32,
        _ => 0.0,
    };
    if let (Some((top, _)), true) = (lexical.first(), idf > 0.0) {
        let held = index.body_terms_in(searcher, top, &words);
        let idf_held: f64 = freqs
            .iter()
            .zip(&held)
            .filter(|(&df, &h)| df > 0 && h)
            .map(|(&df, _)| (1.0 + (n - df as f64 + 0.5) / (df as f64 + 0.5)).ln())
            .sum();
        s.top_hit_share = (idf_held / idf) as f32;
    }
    s
}

/// Whether the user asked for exact words: a quoted phrase or a `+term`.
pub fn exact_words(query: &ParsedQuery) -> bool {
    query
        .clauses
        .iter()
        .any(|c| c.phrase || c.occurrence == Occurrence::Must)
}

/// Digits (any script) or a named unit number.
pub fn has_numbers(query: &ParsedQuery) -> bool {
    !query.lookup.is_empty() || query.raw.chars().any(|c| c.is_numeric())
}

/// The signals from counts and the two lists; pure, for tests and the fit.
pub fn list_signals(
    query_terms: usize,
    rare: usize,
    exact: bool,
    numbers: bool,
    lexical: &[(String, f32)],
    semantic: &[(String, f32)],
) -> Signals {
    let lexical_margin = match lexical {
        [(_, a), (_, b), ..] if *a > 0.0 => ((a - b) / a).clamp(0.0, 1.0),
        _ => 0.0,
    };
    let semantic_margin = match semantic {
        [(_, a), (_, b), ..] => (a - b).max(0.0),
        _ => 0.0,
    };
    let sem_top: HashSet<&str> = semantic.iter().take(TOP).map(|(i, _)| i.as_str()).collect();
    let shared = lexical
        .iter()
        .take(TOP)
        .filter(|(i, _)| sem_top.contains(i.as_str()))
        .count();
    let overlap = if lexical.is_empty() {
        0.0
    } else {
        shared as f32 / lexical.len().min(TOP) as f32
    };
    Signals {
        query_terms,
        rare_share: if query_terms == 0 {
            0.0
        } else {
            rare as f32 / query_terms as f32
        },
        exact,
        numbers,
        lexical_margin,
        semantic_margin,
        overlap,
        lexical_coverage: 0.0,
        top_hit_share: 0.0,
    }
}

/// One training question for the fit: its signals and its nDCG@10 at every grid weight
/// (`0, GRID_STEP, …, 1`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sample {
    pub id: String,
    pub signals: Signals,
    pub ndcg: Vec<f32>,
}

/// The grid weights, in order.
pub fn grid() -> Vec<f32> {
    let n = (1.0 / GRID_STEP).round() as usize;
    (0..=n).map(|i| i as f32 * GRID_STEP).collect()
}

fn grid_index(w: f32) -> usize {
    (w / GRID_STEP).round() as usize
}

/// Training questions of one style (natural, passage-worded, ...).
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub samples: Vec<Sample>,
}

/// Mean nDCG@10 of `rule` on each group.
pub fn group_scores(rule: &Rule, groups: &[Group]) -> Vec<f32> {
    groups
        .iter()
        .map(|g| {
            g.samples
                .iter()
                .map(|s| s.ndcg[grid_index(rule.weight(&s.signals)).min(s.ndcg.len() - 1)])
                .sum::<f32>()
                / g.samples.len().max(1) as f32
        })
        .collect()
}

/// What a lost point of nDCG on any one group costs, in points of the mean over groups: the
/// rule must not buy gains on one style of question with losses on another. High enough that
/// meeting every group's floor comes first (at 4 the fit left the passage-worded questions
/// 0.001 under their lexical side to gain on the domain questions).
pub const SHORTFALL_COST: f32 = 20.0;

/// What each group must not fall below: the best of the fixed weight (`start`), the lexical
/// side alone (weight 0) and the semantic side alone (weight 1). A hybrid that loses to its
/// better half on some style of question is the failure the rule exists to prevent.
pub fn floors(start: &Rule, groups: &[Group]) -> Vec<f32> {
    let side = |g: &Group, last: bool| {
        g.samples
            .iter()
            .map(|s| {
                if last {
                    s.ndcg[s.ndcg.len() - 1]
                } else {
                    s.ndcg[0]
                }
            })
            .sum::<f32>()
            / g.samples.len().max(1) as f32
    };
    group_scores(start, groups)
        .into_iter()
        .zip(groups)
        .map(|(fixed, g)| fixed.max(side(g, false)).max(side(g, true)))
        .collect()
}

/// The fit's objective: the mean over groups of their nDCG@10 (each style weighs the same,
/// however many questions it has), less [`SHORTFALL_COST`] times every group's shortfall
/// below its `floors` score ([`floors`]: the best of the fixed weight and either side).
pub fn objective(rule: &Rule, groups: &[Group], floors: &[f32]) -> f32 {
    let scores = group_scores(rule, groups);
    let mean = scores.iter().sum::<f32>() / scores.len().max(1) as f32;
    let short: f32 = scores
        .iter()
        .zip(floors)
        .map(|(s, f)| (f - s).max(0.0))
        .sum();
    mean - SHORTFALL_COST * short
}

/// Fits the intercept and coefficients by coordinate search on the grid of values
/// `-6..=6` step 0.25 (the objective is a step function, so no gradient): each coefficient
/// is searched jointly with the intercept (a coefficient moves every weight, and the
/// intercept moves them back), round after round until nothing improves. It starts from
/// `start` (the fixed weight; [`floors`] are measured from it) and keeps `keep` (hand-set)
/// coefficients as they are. A small L1 cost keeps coefficients that do not pay at zero.
/// Deterministic.
pub fn fit(groups: &[Group], start: &Rule, keep: &[&str]) -> Rule {
    fit_above(groups, start, keep, &floors(start, groups))
}

/// [`fit`] with the floors given: for a fit that starts from a rule other than the fixed
/// weight (some inputs kept as an earlier fit left them), whose floors are still measured
/// from the fixed weight.
pub fn fit_above(groups: &[Group], start: &Rule, keep: &[&str], floors: &[f32]) -> Rule {
    const L1: f32 = 0.0005;
    // The features once per question; the rule as an array (the search tries ~10⁵ rules).
    let xs: Vec<Vec<[f32; FEATURES.len()]>> = groups
        .iter()
        .map(|g| g.samples.iter().map(|s| s.signals.features()).collect())
        .collect();
    let (lo, hi) = (start.min_weight, start.max_weight);
    let fitted: Vec<bool> = FEATURES.iter().map(|n| !keep.contains(n)).collect();
    let cost = |b: f32, c: &[f32; FEATURES.len()]| {
        let mut mean = 0.0;
        let mut short = 0.0;
        for ((g, x), floor) in groups.iter().zip(&xs).zip(floors) {
            let total: f32 = g
                .samples
                .iter()
                .zip(x)
                .map(|(s, x)| {
                    let z = b + c.iter().zip(x).map(|(c, x)| c * x).sum::<f32>();
                    let w = on_grid(lo + (hi - lo) * sigmoid(z));
                    s.ndcg[grid_index(w).min(s.ndcg.len() - 1)]
                })
                .sum();
            let score = total / g.samples.len().max(1) as f32;
            mean += score / groups.len() as f32;
            short += (floor - score).max(0.0);
        }
        let l1: f32 = c
            .iter()
            .zip(&fitted)
            .filter(|(_, f)| **f)
            .map(|(c, _)| c.abs())
            .sum();
        mean - SHORTFALL_COST * short - L1 * l1
    };
    let values: Vec<f32> = (-24..=24).map(|i| i as f32 * 0.25).collect();
    let mut b = start.intercept;
    let mut c: [f32; FEATURES.len()] = std::array::from_fn(|i| start.coef(FEATURES[i]));
    let mut best = cost(b, &c);
    for _round in 0..10 {
        let mut improved = false;
        for j in (0..FEATURES.len()).filter(|&j| fitted[j]) {
            for &v in &values {
                for &bv in &values {
                    let mut cand = c;
                    cand[j] = v;
                    let k = cost(bv, &cand);
                    if k > best + 1e-6 {
                        (b, c, best) = (bv, cand, k);
                        improved = true;
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }
    // Coordinate moves stop where no single coefficient helps; random joint steps of a few
    // coefficients at once (a fixed-seed xorshift, so the fit is reproducible) go further.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let free: Vec<usize> = (0..FEATURES.len()).filter(|&j| fitted[j]).collect();
    for _ in 0..6000 {
        let (mut cb, mut cc) = (b, c);
        for _ in 0..1 + next() % 3 {
            let step = 0.25 * (1 + next() % 4) as f32 * if next() % 2 == 0 { 1.0 } else { -1.0 };
            let pick = (next() % (free.len() as u64 + 1)) as usize;
            match free.get(pick) {
                Some(&j) => cc[j] = (cc[j] + step).clamp(-6.0, 6.0),
                None => cb = (cb + step).clamp(-6.0, 6.0),
            }
        }
        let k = cost(cb, &cc);
        if k > best + 1e-6 {
            (b, c, best) = (cb, cc, k);
        }
    }
    Rule {
        intercept: b,
        coefficients: FEATURES
            .iter()
            .zip(c)
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
        ..start.clone()
    }
}

/// Min, quartiles and max of the weights used, and how many questions got each weight
/// (weights rounded to the grid's two decimals, the mean to three).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightSpread {
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
    pub mean: f64,
    /// (weight, questions), by weight.
    pub histogram: Vec<(f64, usize)>,
}

/// The spread of per-question weights; `None` when there are none.
pub fn spread(weights: &[f32]) -> Option<WeightSpread> {
    if weights.is_empty() {
        return None;
    }
    let round = |x: f64, d: f64| (x * d).round() / d;
    let mut w: Vec<f64> = weights
        .iter()
        .map(|&x| round(f64::from(x), 100.0))
        .collect();
    w.sort_by(f64::total_cmp);
    let at = |q: f64| w[((w.len() - 1) as f64 * q).round() as usize];
    let mut histogram: Vec<(f64, usize)> = Vec::new();
    for &x in &w {
        match histogram.last_mut() {
            Some((v, n)) if *v == x => *n += 1,
            _ => histogram.push((x, 1)),
        }
    }
    Some(WeightSpread {
        min: w[0],
        q1: at(0.25),
        median: at(0.5),
        q3: at(0.75),
        max: w[w.len() - 1],
        mean: round(w.iter().sum::<f64>() / w.len() as f64, 1000.0),
        histogram,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, f32)]) -> Vec<(String, f32)> {
        items.iter().map(|(i, s)| (i.to_string(), *s)).collect()
    }

    fn rule(coefs: &[(&str, f32)]) -> Rule {
        Rule {
            intercept: 0.0,
            coefficients: coefs.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            min_weight: 0.1,
            max_weight: 0.9,
            fitted_on: String::new(),
            not_fitted: Default::default(),
        }
    }

    #[test]
    fn list_signals_measure_margins_and_agreement() {
        let lex = list(&[("a", 10.0), ("b", 4.0), ("c", 3.0)]);
        let sem = list(&[("b", 0.91), ("d", 0.89), ("a", 0.88)]);
        let s = list_signals(4, 1, false, true, &lex, &sem);
        assert!((s.lexical_margin - 0.6).abs() < 1e-6);
        assert!((s.semantic_margin - 0.02).abs() < 1e-5);
        // a and b of the three lexical hits are in the semantic top ten.
        assert!((s.overlap - 2.0 / 3.0).abs() < 1e-6);
        assert!((s.rare_share - 0.25).abs() < 1e-6);
        assert!(s.numbers && !s.exact);
        let none = list_signals(0, 0, false, false, &[], &sem);
        assert_eq!(
            (none.lexical_margin, none.overlap, none.rare_share),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn the_rule_leans_where_its_coefficients_point() {
        let r = rule(&[("lexical_margin", -4.0), ("overlap", 2.0)]);
        let sure_lexical = Signals {
            lexical_margin: 0.9,
            ..Signals::default()
        };
        let agreeing = Signals {
            overlap: 1.0,
            ..Signals::default()
        };
        let lw = r.weight(&sure_lexical);
        let aw = r.weight(&agreeing);
        assert!(lw < 0.3, "{lw}");
        assert!(aw > 0.7, "{aw}");
        // Weights stay on the grid and inside the rule's bounds.
        for w in [lw, aw] {
            assert!((w / GRID_STEP - (w / GRID_STEP).round()).abs() < 1e-4);
            assert!((0.1..=0.9).contains(&w));
        }
        let c = r.choose(sure_lexical);
        assert_eq!(c.contributions[0].signal, "intercept");
        assert_eq!(c.contributions[1].signal, "lexical_margin");
        assert!(
            c.reason.contains("lexical_margin 0.90 → lexical"),
            "{}",
            c.reason
        );
    }

    #[test]
    fn the_fit_finds_the_side_each_kind_of_question_needs() {
        // Two styles of question: with a standing-out lexical hit the low weights win, without
        // one the high weights win. A fixed weight can serve only one style.
        let g = grid();
        let group = |name: &str, lexical_kind: bool| Group {
            name: name.into(),
            samples: (0..20)
                .map(|i| Sample {
                    id: format!("{name}{i}"),
                    signals: Signals {
                        lexical_margin: if lexical_kind { 0.8 } else { 0.1 },
                        ..Signals::default()
                    },
                    ndcg: g
                        .iter()
                        .map(|&w| if lexical_kind == (w < 0.5) { 1.0 } else { 0.0 })
                        .collect(),
                })
                .collect(),
        };
        let groups = vec![group("copied", true), group("natural", false)];
        let start = rule(&[]);
        assert_eq!(group_scores(&start, &groups), vec![0.0, 1.0]);
        let fitted = fit(&groups, &start, &[]);
        assert_eq!(group_scores(&fitted, &groups), vec![1.0, 1.0]);
        assert!(fitted.coefficients["lexical_margin"] < 0.0);
    }

    #[test]
    fn the_fit_does_not_trade_one_style_for_another() {
        // Moving every weight down (but not to 0) would win 0.3 on the first group and lose
        // 0.1 on the second (a better mean); the signals cannot tell them apart, so the fit
        // stays put. Neither side alone beats the middle weight on the first group, so its
        // floor is the middle weight's score.
        let g = grid();
        let group = |name: &str, gain_low: bool| Group {
            name: name.into(),
            samples: vec![Sample {
                id: name.into(),
                signals: Signals::default(),
                ndcg: g
                    .iter()
                    .map(|&w| match (gain_low, w < 0.5) {
                        (true, true) if w > 0.0 => 0.3,
                        (true, _) => 0.0,
                        (false, true) => 0.9,
                        (false, false) => 1.0,
                    })
                    .collect(),
            }],
        };
        let groups = vec![group("a", true), group("b", false)];
        let fitted = fit(&groups, &rule(&[]), &[]);
        let scores = group_scores(&fitted, &groups);
        assert!(scores[1] >= 1.0, "{scores:?}");
    }

    #[test]
    fn floors_are_the_better_of_the_fixed_weight_and_either_side() {
        // Questions whose lexical side alone (weight 0) beats the fixed weight: the floor is
        // the lexical score, so a fit cannot call a hybrid below it good enough.
        let g = grid();
        let lexical_best = Group {
            name: "copied".into(),
            samples: vec![Sample {
                id: "c".into(),
                signals: Signals::default(),
                ndcg: g.iter().map(|&w| 1.0 - w / 2.0).collect(),
            }],
        };
        let semantic_best = Group {
            name: "natural".into(),
            samples: vec![Sample {
                id: "n".into(),
                signals: Signals::default(),
                ndcg: g.iter().map(|&w| 0.5 + w / 2.0).collect(),
            }],
        };
        let peaked = Group {
            name: "mixed".into(),
            samples: vec![Sample {
                id: "m".into(),
                signals: Signals::default(),
                ndcg: g.iter().map(|&w| 1.0 - (w - 0.5).abs()).collect(),
            }],
        };
        // A rule with no coefficients: every question at the middle weight, 0.5.
        let start = rule(&[]);
        assert_eq!(
            group_scores(&start, std::slice::from_ref(&lexical_best)),
            vec![0.75]
        );
        let f = floors(&start, &[lexical_best, semantic_best, peaked]);
        assert!((f[0] - 1.0).abs() < 1e-6, "{f:?}");
        assert!((f[1] - 1.0).abs() < 1e-6, "{f:?}");
        assert!((f[2] - 1.0).abs() < 1e-6, "{f:?}");
    }

    #[test]
    fn whole_query_is_on_from_its_threshold() {
        let at = |share| {
            Signals {
                top_hit_share: share,
                ..Signals::default()
            }
            .features()
        };
        let i = FEATURES.iter().position(|n| *n == "whole_query").unwrap();
        assert_eq!(at(WHOLE_QUERY)[i], 1.0);
        assert_eq!(at(1.0)[i], 1.0);
        assert_eq!(at(WHOLE_QUERY - 0.01)[i], 0.0);
        assert_eq!(at(0.0)[i], 0.0);
    }

    #[test]
    fn kept_coefficients_are_not_refitted() {
        let groups = vec![Group {
            name: "q".into(),
            samples: vec![Sample {
                id: "q".into(),
                signals: Signals {
                    exact: true,
                    ..Signals::default()
                },
                ndcg: grid(),
            }],
        }];
        let start = rule(&[("exact", -3.0)]);
        let fitted = fit(&groups, &start, &["exact"]);
        assert_eq!(fitted.coefficients["exact"], -3.0);
    }

    #[test]
    fn spread_gives_quartiles_and_a_histogram() {
        let s = spread(&[0.7, 0.3, 0.7, 0.5, 0.9]).unwrap();
        assert_eq!((s.min, s.median, s.max), (0.3, 0.7, 0.9));
        assert_eq!(s.histogram, vec![(0.3, 1), (0.5, 1), (0.7, 2), (0.9, 1)]);
        assert!(spread(&[]).is_none());
    }

    #[test]
    fn the_shipped_rule_parses_and_names_known_signals() {
        let r = &*RULE;
        for name in r.coefficients.keys() {
            assert!(FEATURES.contains(&name.as_str()), "unknown signal {name}");
        }
        assert!(r.min_weight >= 0.0 && r.max_weight <= 1.0 && r.min_weight < r.max_weight);
    }
}
