//! The evidence scorer: a logistic model over [`super::features`] that gives each candidate
//! sentence the probability that it holds the answer, fitted on training questions.
//!
//! Owns the model's arithmetic, its fitting (full-batch gradient descent with an L2 penalty,
//! small enough to run in seconds on tens of thousands of sentences) and the committed
//! weights in `scorer.json`, which carry the abstention threshold fitted with them and the
//! command that produced them (`examples/fit_evidence.rs`; docs/BENCHMARKS.md). A file
//! whose feature names differ from [`FEATURE_NAMES`] is refused by the tests, so the
//! weights cannot silently drift from the features.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::features::{FEATURE_NAMES, N_FEATURES};

/// A fitted scorer as stored in `scorer.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorer {
    /// What the weights were fitted on and with which command.
    pub fitted_on: String,
    /// Feature names in weight order; equal to [`FEATURE_NAMES`].
    pub features: Vec<String>,
    /// One weight per feature, in [`FEATURE_NAMES`] order.
    pub weights: Vec<f32>,
    /// The constant term of the logit.
    pub bias: f32,
    /// Probability of the best sentence below which an answer abstains.
    pub threshold: f32,
}

static SHIPPED: LazyLock<Scorer> = LazyLock::new(|| {
    serde_json::from_str(include_str!("scorer.json"))
        .expect("scorer.json is checked by the tests of this module")
});

impl Scorer {
    /// The weights shipped with envkb.
    pub fn shipped() -> &'static Scorer {
        &SHIPPED
    }

    /// The linear part w·x + b.
    pub fn logit(&self, x: &[f32; N_FEATURES]) -> f32 {
        self.bias + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f32>()
    }

    /// Probability that the sentence with features `x` holds the answer.
    pub fn probability(&self, x: &[f32; N_FEATURES]) -> f32 {
        sigmoid(self.logit(x))
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// One training example: a candidate's features and whether it holds a gold answer.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The candidate's feature vector.
    pub x: [f32; N_FEATURES],
    /// Whether the candidate holds a gold answer: the target the scorer learns.
    pub label: bool,
}

/// How to fit.
#[derive(Debug, Clone, Copy)]
pub struct FitOptions {
    /// L2 penalty on the weights (not the bias), per example.
    pub l2: f32,
    /// Passes over all examples.
    pub epochs: usize,
    /// The step size of each weight update.
    pub learning_rate: f32,
    /// Weight of positive examples relative to negatives (answers are rare among sentences).
    pub positive_weight: f32,
    /// Weight of the per-question ranking loss beside the per-sentence one: the negative log
    /// of the softmax share that a question's answer-holding sentences get among its
    /// candidates. An answer quotes the best-scored sentence, so what matters most is that
    /// the right one outranks its neighbours in the same question, which the per-sentence
    /// loss only asks for indirectly. 0 fits the per-sentence loss alone.
    pub listwise: f32,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            l2: 1e-3,
            epochs: 800,
            learning_rate: 0.05,
            positive_weight: 1.0,
            listwise: 0.0,
        }
    }
}

/// Fits a logistic model to the candidates of `questions` (one list per question) by
/// full-batch Adam; deterministic (starts at zero). Features are standardized for the fit
/// (e5 cosines vary over a few hundredths, indicators over 0..1) and the weights converted
/// back, so they apply to the raw features. With `opts.listwise` above 0 the per-question
/// ranking loss is added (questions without an answer-holding candidate have no ranking
/// to learn and count in the per-sentence loss only).
pub fn fit(questions: &[Vec<Example>], opts: &FitOptions) -> (Vec<f32>, f32) {
    let examples = questions.iter().flatten();
    let n = questions.iter().map(Vec::len).sum::<usize>().max(1) as f32;
    let mut mean = [0f32; N_FEATURES];
    let mut std = [0f32; N_FEATURES];
    for e in examples.clone() {
        for (m, x) in mean.iter_mut().zip(&e.x) {
            *m += x / n;
        }
    }
    for e in examples {
        for i in 0..N_FEATURES {
            std[i] += (e.x[i] - mean[i]).powi(2) / n;
        }
    }
    for s in std.iter_mut() {
        // A constant feature stays at zero weight.
        *s = if *s > 1e-12 { s.sqrt() } else { f32::INFINITY };
    }
    let z: Vec<Vec<([f32; N_FEATURES], bool)>> = questions
        .iter()
        .map(|q| {
            q.iter()
                .map(|e| {
                    let mut z = [0f32; N_FEATURES];
                    for i in 0..N_FEATURES {
                        z[i] = (e.x[i] - mean[i]) / std[i];
                    }
                    (z, e.label)
                })
                .collect()
        })
        .collect();
    let ranked = z
        .iter()
        .filter(|q| q.iter().any(|(_, l)| *l))
        .count()
        .max(1) as f32;
    let mut w = [0f32; N_FEATURES];
    let mut b = 0f32;
    let (mut m, mut v) = ([0f32; N_FEATURES + 1], [0f32; N_FEATURES + 1]);
    let (beta1, beta2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let mut logits = Vec::new();
    for t in 1..=opts.epochs {
        let mut g = [0f32; N_FEATURES + 1];
        for q in &z {
            logits.clear();
            logits.extend(
                q.iter()
                    .map(|(x, _)| b + w.iter().zip(x).map(|(w, x)| w * x).sum::<f32>()),
            );
            for ((x, label), zsum) in q.iter().zip(&logits) {
                let y = if *label { 1.0 } else { 0.0 };
                let weight = if *label { opts.positive_weight } else { 1.0 };
                let err = (sigmoid(*zsum) - y) * weight / n;
                for (gi, xi) in g.iter_mut().zip(x) {
                    *gi += err * xi;
                }
                g[N_FEATURES] += err;
            }
            if opts.listwise > 0.0 && q.iter().any(|(_, l)| *l) {
                // d(−log Σ_pos softmax)/d logit_i = p_i − p_i·[i pos] / Σ_pos p.
                let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let p: Vec<f32> = logits.iter().map(|s| (s - top).exp()).collect();
                let total: f32 = p.iter().sum();
                let pos: f32 = p
                    .iter()
                    .zip(q)
                    .filter(|(_, (_, l))| *l)
                    .map(|(p, _)| p)
                    .sum();
                for ((x, label), p) in q.iter().zip(&p) {
                    let target = if *label { p / pos } else { 0.0 };
                    let err = opts.listwise * (p / total - target) / ranked;
                    for (gi, xi) in g.iter_mut().zip(x) {
                        *gi += err * xi;
                    }
                }
            }
        }
        for (i, gi) in g.iter_mut().enumerate() {
            if i < N_FEATURES {
                *gi += opts.l2 * w[i];
            }
        }
        for i in 0..=N_FEATURES {
            m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i];
            let mh = m[i] / (1.0 - beta1.powi(t as i32));
            let vh = v[i] / (1.0 - beta2.powi(t as i32));
            let step = opts.learning_rate * mh / (vh.sqrt() + eps);
            if i < N_FEATURES {
                w[i] -= step;
            } else {
                b -= step;
            }
        }
    }
    let raw: Vec<f32> = (0..N_FEATURES).map(|i| w[i] / std[i]).collect();
    let bias = b - (0..N_FEATURES).map(|i| raw[i] * mean[i]).sum::<f32>();
    (raw, bias)
}

/// Mean log-loss of `scorer` on `examples` (for reporting a fit).
pub fn log_loss(scorer: &Scorer, examples: &[Example]) -> f32 {
    let n = examples.len().max(1) as f32;
    examples
        .iter()
        .map(|e| {
            let p = scorer.probability(&e.x).clamp(1e-6, 1.0 - 1e-6);
            if e.label {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum::<f32>()
        / n
}

/// A scorer from fitted weights, named in [`FEATURE_NAMES`] order.
pub fn scorer_from(weights: Vec<f32>, bias: f32, threshold: f32, fitted_on: &str) -> Scorer {
    Scorer {
        fitted_on: fitted_on.to_string(),
        features: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
        weights,
        bias,
        threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_weights_follow_the_features() {
        let s = Scorer::shipped();
        assert_eq!(s.features, FEATURE_NAMES.to_vec());
        assert_eq!(s.weights.len(), N_FEATURES);
        assert!(s.weights.iter().all(|w| w.is_finite()) && s.bias.is_finite());
        assert!(s.threshold > 0.0 && s.threshold < 1.0);
    }

    #[test]
    fn fitting_finds_the_feature_that_decides() {
        // Label = feature 0 above 0.5; feature 1 is noise.
        let mut examples = Vec::new();
        for i in 0..400 {
            let mut x = [0f32; N_FEATURES];
            x[0] = (i % 20) as f32 / 20.0;
            x[1] = ((i * 7) % 13) as f32 / 13.0;
            examples.push(Example {
                x,
                label: x[0] > 0.5,
            });
        }
        let (w, b) = fit(&[examples.clone()], &FitOptions::default());
        assert!(w[0] > 3.0 * w[1].abs(), "{w:?}");
        let s = scorer_from(w, b, 0.5, "test");
        let correct = examples
            .iter()
            .filter(|e| (s.probability(&e.x) > 0.5) == e.label)
            .count();
        assert!(correct >= 380, "{correct}");
        assert!(log_loss(&s, &examples) < 0.4);
    }

    #[test]
    fn the_ranking_loss_puts_each_question_s_answer_first() {
        // Inside an answerable question the answer holds more of feature 1 (0.6) than its
        // neighbours (0.5), but most sentences holding even more of it (0.7) belong to
        // unanswerable questions, so the per-sentence loss alone learns "less is better"
        // and ranks each answer last; the ranking loss sees only the order inside a question.
        let mut questions = Vec::new();
        for q in 0..120 {
            let answerable = q % 6 == 0;
            let cands: Vec<Example> = (0..5)
                .map(|i| {
                    let mut x = [0f32; N_FEATURES];
                    let answer = answerable && i == q % 5;
                    x[1] = match (answerable, answer) {
                        (false, _) => 0.7,
                        (true, true) => 0.6,
                        (true, false) => 0.5,
                    };
                    Example { x, label: answer }
                })
                .collect();
            questions.push(cands);
        }
        let first = |listwise: f32| {
            let opts = FitOptions {
                listwise,
                ..FitOptions::default()
            };
            let (w, b) = fit(&questions, &opts);
            let s = scorer_from(w, b, 0.5, "test");
            questions
                .iter()
                .filter(|q| q.iter().any(|e| e.label))
                .filter(|q| {
                    q.iter()
                        .max_by(|a, c| s.logit(&a.x).total_cmp(&s.logit(&c.x)))
                        .is_some_and(|e| e.label)
                })
                .count()
        };
        let (pointwise, ranked) = (first(0.0), first(4.0));
        assert_eq!(ranked, 20, "ranking loss: {ranked} of 20 first");
        assert_eq!(
            pointwise, 0,
            "the per-sentence loss alone ranks {pointwise} of 20 first"
        );
    }
}
