//! Rank fusion of the lexical and semantic lists: reciprocal rank fusion and a
//! normalized-score combination. Pure functions over ranked lists; no index, no model.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// How two ranked lists become one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Fusion {
    /// `w / (k + rank)` summed over the lists; `semantic_weight` scales the semantic term and
    /// `1 - semantic_weight` the lexical one.
    Rrf {
        /// The rank constant: larger flattens the difference between ranks.
        k: f32,
        /// Share of the semantic side (0 to 1).
        semantic_weight: f32,
    },
    /// Scores min-max normalized within each list (over its returned depth), then
    /// `semantic_weight * sem + (1 - semantic_weight) * lex`; a list that misses a chunk gives it 0.
    Normalized {
        /// Share of the semantic side (0 to 1).
        semantic_weight: f32,
    },
}

impl Fusion {
    /// The weight of the semantic list.
    pub fn semantic_weight(self) -> f32 {
        match self {
            Fusion::Rrf {
                semantic_weight, ..
            }
            | Fusion::Normalized { semantic_weight } => semantic_weight,
        }
    }

    /// The same method with another semantic weight (the per-query choice).
    pub fn with_semantic_weight(self, semantic_weight: f32) -> Fusion {
        match self {
            Fusion::Rrf { k, .. } => Fusion::Rrf { k, semantic_weight },
            Fusion::Normalized { .. } => Fusion::Normalized { semantic_weight },
        }
    }
}

/// One fused entry with where it came from, for explain mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fused {
    /// The chunk id.
    pub id: String,
    /// Its score after fusion, higher first.
    pub fused_score: f32,
    /// 1-based rank and raw score in the lexical list.
    pub lexical: Option<(usize, f32)>,
    /// 1-based rank and cosine in the semantic list.
    pub semantic: Option<(usize, f32)>,
}

fn min_max(list: &[(String, f32)]) -> impl Fn(f32) -> f32 {
    let (lo, hi) = list
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), (_, s)| {
            (lo.min(*s), hi.max(*s))
        });
    move |s| if hi > lo { (s - lo) / (hi - lo) } else { 1.0 }
}

/// Fuses two ranked lists (best first). Ties keep the better lexical rank first, then id order.
pub fn fuse(lexical: &[(String, f32)], semantic: &[(String, f32)], fusion: Fusion) -> Vec<Fused> {
    let mut by_id: HashMap<&str, Fused> = HashMap::new();
    for (i, (id, s)) in lexical.iter().enumerate() {
        by_id
            .entry(id)
            .or_insert_with(|| blank(id))
            .lexical
            .get_or_insert((i + 1, *s));
    }
    for (i, (id, s)) in semantic.iter().enumerate() {
        by_id
            .entry(id)
            .or_insert_with(|| blank(id))
            .semantic
            .get_or_insert((i + 1, *s));
    }
    let lex_norm = min_max(lexical);
    let sem_norm = min_max(semantic);
    let mut out: Vec<Fused> = by_id
        .into_values()
        .map(|mut f| {
            f.fused_score = match fusion {
                Fusion::Rrf { k, semantic_weight } => {
                    let part = |r: Option<(usize, f32)>| {
                        r.map_or(0.0, |(rank, _)| 1.0 / (k + rank as f32))
                    };
                    (1.0 - semantic_weight) * part(f.lexical) + semantic_weight * part(f.semantic)
                }
                Fusion::Normalized { semantic_weight } => {
                    let l = f.lexical.map_or(0.0, |(_, s)| lex_norm(s));
                    let s = f.semantic.map_or(0.0, |(_, s)| sem_norm(s));
                    (1.0 - semantic_weight) * l + semantic_weight * s
                }
            };
            f
        })
        .collect();
    out.sort_by(|a, b| {
        b.fused_score
            .total_cmp(&a.fused_score)
            .then_with(|| {
                a.lexical
                    .map_or(usize::MAX, |r| r.0)
                    .cmp(&b.lexical.map_or(usize::MAX, |r| r.0))
            })
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

fn blank(id: &str) -> Fused {
    Fused {
        id: id.to_string(),
        fused_score: 0.0,
        lexical: None,
        semantic: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, f32)]) -> Vec<(String, f32)> {
        items.iter().map(|(i, s)| (i.to_string(), *s)).collect()
    }

    #[test]
    fn rrf_rewards_agreement() {
        let lex = list(&[("a", 9.0), ("b", 5.0), ("c", 1.0)]);
        let sem = list(&[("b", 0.9), ("d", 0.8), ("a", 0.7)]);
        let fused = fuse(
            &lex,
            &sem,
            Fusion::Rrf {
                k: 60.0,
                semantic_weight: 0.5,
            },
        );
        let ids: Vec<&str> = fused.iter().map(|f| f.id.as_str()).collect();
        // b (ranks 2 and 1) edges out a (ranks 1 and 3): 1/62 + 1/61 > 1/61 + 1/63.
        assert_eq!(&ids[..2], &["b", "a"]);
        let a = &fused[1];
        assert_eq!((a.lexical, a.semantic), (Some((1, 9.0)), Some((3, 0.7))));
        assert!((a.fused_score - (0.5 / 61.0 + 0.5 / 63.0)).abs() < 1e-6);
        assert_eq!(fused.len(), 4);
    }

    #[test]
    fn normalized_combination_follows_the_weight() {
        let lex = list(&[("a", 10.0), ("b", 0.0)]);
        let sem = list(&[("b", 0.9), ("a", 0.5)]);
        let only_sem = fuse(
            &lex,
            &sem,
            Fusion::Normalized {
                semantic_weight: 1.0,
            },
        );
        assert_eq!(only_sem[0].id, "b");
        let only_lex = fuse(
            &lex,
            &sem,
            Fusion::Normalized {
                semantic_weight: 0.0,
            },
        );
        assert_eq!(only_lex[0].id, "a");
        let mid = fuse(
            &lex,
            &sem,
            Fusion::Normalized {
                semantic_weight: 0.5,
            },
        );
        assert!((mid[0].fused_score - 0.5).abs() < 1e-6);
    }

    #[test]
    fn empty_lists_fuse_to_nothing_and_one_side_passes_through() {
        assert!(fuse(
            &[],
            &[],
            Fusion::Rrf {
                k: 60.0,
                semantic_weight: 0.5
            }
        )
        .is_empty());
        let sem = list(&[("x", 0.3), ("y", 0.2)]);
        let fused = fuse(
            &[],
            &sem,
            Fusion::Normalized {
                semantic_weight: 0.7,
            },
        );
        assert_eq!(
            fused.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            vec!["x", "y"]
        );
    }
}
