//! Ranking metrics with binary relevance.

use std::collections::HashSet;

use serde::Serialize;

/// Scores of one question.
#[derive(Debug, Clone, Serialize)]
pub struct QueryScore {
    /// The question's id.
    pub id: String,
    /// 1-based rank of the first relevant result, if any was returned.
    pub first_relevant_rank: Option<usize>,
    pub(crate) ndcg10: f64,
    pub(crate) rr10: f64,
    pub(crate) recall1: f64,
    pub(crate) recall5: f64,
    pub(crate) recall20: f64,
}

impl QueryScore {
    pub(crate) fn compute(id: &str, ranked: &[String], relevant: &HashSet<String>) -> QueryScore {
        let rel = |i: usize| ranked.get(i).is_some_and(|r| relevant.contains(r));
        let dcg: f64 = (0..10.min(ranked.len()))
            .filter(|&i| rel(i))
            .map(|i| 1.0 / ((i + 2) as f64).log2())
            .sum();
        let ideal: f64 = (0..relevant.len().min(10))
            .map(|i| 1.0 / ((i + 2) as f64).log2())
            .sum();
        let first = (0..ranked.len()).find(|&i| rel(i)).map(|i| i + 1);
        let recall = |k: usize| {
            let found = ranked
                .iter()
                .take(k)
                .filter(|r| relevant.contains(*r))
                .count();
            found as f64 / relevant.len() as f64
        };
        QueryScore {
            id: id.to_string(),
            first_relevant_rank: first,
            ndcg10: if ideal > 0.0 { dcg / ideal } else { 0.0 },
            rr10: first.filter(|&r| r <= 10).map_or(0.0, |r| 1.0 / r as f64),
            recall1: recall(1),
            recall5: recall(5),
            recall20: recall(20),
        }
    }
}

/// Averages over questions; the JSON keys are a contract (`ndcg@10`, `mrr@10`, ...).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Metrics {
    #[serde(rename = "ndcg@10")]
    pub(crate) ndcg10: f64,
    #[serde(rename = "mrr@10")]
    pub(crate) mrr10: f64,
    #[serde(rename = "recall@1")]
    pub(crate) recall1: f64,
    #[serde(rename = "recall@5")]
    pub(crate) recall5: f64,
    #[serde(rename = "recall@20")]
    pub(crate) recall20: f64,
    /// Questions scored.
    pub queries: usize,
}

impl Metrics {
    pub(crate) fn average(scores: &[QueryScore]) -> Metrics {
        let n = scores.len();
        let mean = |f: fn(&QueryScore) -> f64| {
            if n == 0 {
                0.0
            } else {
                scores.iter().map(f).sum::<f64>() / n as f64
            }
        };
        Metrics {
            ndcg10: mean(|s| s.ndcg10),
            mrr10: mean(|s| s.rr10),
            recall1: mean(|s| s.recall1),
            recall5: mean(|s| s.recall5),
            recall20: mean(|s| s.recall20),
            queries: n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn ranked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn perfect_and_missing_rankings() {
        let s = QueryScore::compute("q", &ranked(&["a", "b"]), &set(&["a"]));
        assert_eq!(
            (s.ndcg10, s.rr10, s.recall1, s.first_relevant_rank),
            (1.0, 1.0, 1.0, Some(1))
        );
        let s = QueryScore::compute("q", &ranked(&["x", "y"]), &set(&["a"]));
        assert_eq!(
            (s.ndcg10, s.rr10, s.recall20, s.first_relevant_rank),
            (0.0, 0.0, 0.0, None)
        );
    }

    #[test]
    fn hand_computed_values() {
        // Relevant at rank 2 of one relevant: nDCG = 1/log2(3), RR = 1/2.
        let s = QueryScore::compute("q", &ranked(&["x", "a", "y"]), &set(&["a"]));
        assert!((s.ndcg10 - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert_eq!((s.rr10, s.recall1, s.recall5), (0.5, 0.0, 1.0));
        // Two relevant, found at ranks 1 and 3: DCG = 1 + 1/2, IDCG = 1 + 1/log2(3).
        let s = QueryScore::compute("q", &ranked(&["a", "x", "b"]), &set(&["a", "b"]));
        assert!((s.ndcg10 - 1.5 / (1.0 + 1.0 / 3f64.log2())).abs() < 1e-12);
        assert_eq!(s.recall1, 0.5);
        // A relevant result at rank 11 counts for recall@20 but not for MRR@10.
        let mut long: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
        long.push("a".into());
        let s = QueryScore::compute("q", &long, &set(&["a"]));
        assert_eq!((s.rr10, s.ndcg10, s.recall20), (0.0, 0.0, 1.0));
        let m = Metrics::average(&[
            s.clone(),
            QueryScore::compute("p", &ranked(&["a"]), &set(&["a"])),
        ]);
        assert_eq!((m.recall20, m.mrr10, m.queries), (1.0, 0.5, 2));
    }
}
