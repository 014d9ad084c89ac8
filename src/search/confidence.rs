//! Whether a result list is a match or only the nearest passages to a query that matches
//! nothing (`zzzzqqq`): the semantic side always returns its k nearest chunks, however far
//! they are, so without this check a nonsense query reads as ten confident results.
//!
//! Owns the rule and its threshold. It does not run either retriever: `Retriever::search`
//! passes in what the two sides found.

/// Cosine similarity (multilingual-e5-small, E5 query/passage prefixes) at and above which the
/// nearest passage counts as a semantic match whatever else holds. E5 similarities are
/// compressed into a high band: nonsense reaches 0.78-0.85 (higher in a larger corpus), real
/// bench questions 0.88-0.93, so the similarity alone cannot tell them apart; see
/// [`FLAT_MARGIN`]. Figures and the commands behind them: docs/BENCHMARKS.md, "No exact match".
pub const LOW_SIMILARITY: f32 = 0.87;

/// Below this the nearest passage is far whatever the margin.
pub const FAR_SIMILARITY: f32 = 0.80;

/// How far the nearest passage must stand out from the fifth nearest for a query whose words
/// match nothing to count as a semantic match: for nonsense every passage is about as
/// (dis)similar (margins 0.002-0.028 in the fixtures and the 1,393-passage bench corpus), while
/// the real questions without a matching word that were tried (cross-lingual ones) had one
/// passage clearly closest (0.031 and 0.057).
pub const FLAT_MARGIN: f32 = 0.03;

/// What the two retrievers found for one query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// Some query term matched some chunk (within the filters).
    pub term_matched: bool,
    /// The best cosine similarity of the semantic side, when it ran and found anything.
    pub best_similarity: Option<f32>,
    /// The best similarity minus the fifth best (or the last, when fewer).
    pub margin: Option<f32>,
    /// The number of hits shown.
    pub hits: usize,
}

impl Evidence {
    /// The similarity figures of a semantic ranked list (best first).
    pub fn similarities(ranked: &[(String, f32)]) -> (Option<f32>, Option<f32>) {
        let best = ranked.first().map(|&(_, s)| s);
        let fifth = ranked.get(4).or(ranked.last()).map(|&(_, s)| s);
        (best, best.zip(fifth).map(|(b, f)| b - f))
    }
}

/// True when hits are shown although no query term matches anywhere and the semantic side
/// found nothing close that stands out: the page and CLI then say «نتیجهٔ دقیقی یافت نشد؛
/// نزدیک‌ترین بخش‌ها:» ("no exact match; the closest passages:") above them.
pub fn no_exact_match(e: Evidence) -> bool {
    if e.hits == 0 || e.term_matched {
        return false;
    }
    match (e.best_similarity, e.margin) {
        (Some(best), Some(margin)) => {
            best < LOW_SIMILARITY && (margin < FLAT_MARGIN || best < FAR_SIMILARITY)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(term_matched: bool, sim: Option<(f32, f32)>, hits: usize) -> Evidence {
        Evidence {
            term_matched,
            best_similarity: sim.map(|s| s.0),
            margin: sim.map(|s| s.1),
            hits,
        }
    }

    #[test]
    fn nonsense_is_flagged_and_matches_are_not() {
        // `zzzzqqq`: no term anywhere, every passage about as far.
        assert!(no_exact_match(ev(false, Some((0.807, 0.003)), 10)));
        // In a larger corpus nonsense gets closer, but nothing stands out.
        assert!(no_exact_match(ev(false, Some((0.849, 0.022)), 10)));
        // Far, even if one passage is a little less far than the rest.
        assert!(no_exact_match(ev(false, Some((0.798, 0.033)), 10)));
        // Cross-lingual questions whose words are absent: one passage stands out.
        assert!(!no_exact_match(ev(false, Some((0.823, 0.056)), 10)));
        assert!(!no_exact_match(ev(false, Some((0.847, 0.031)), 10)));
        // Close in meaning, whatever the margin.
        assert!(!no_exact_match(ev(false, Some((0.88, 0.01)), 10)));
        // Any matching term is an exact match, whatever the similarity.
        assert!(!no_exact_match(ev(true, Some((0.5, 0.0)), 10)));
        assert!(!no_exact_match(ev(true, None, 3)));
        // No semantic side and no term: what is shown is not a match.
        assert!(no_exact_match(ev(false, None, 3)));
    }

    #[test]
    fn no_hits_is_no_results_not_a_weak_match() {
        assert!(!no_exact_match(ev(false, None, 0)));
        assert!(!no_exact_match(ev(false, Some((0.2, 0.0)), 0)));
    }

    #[test]
    fn similarities_take_the_fifth_or_the_last() {
        let list = |xs: &[f32]| xs.iter().map(|&s| (String::new(), s)).collect::<Vec<_>>();
        let (b, m) = Evidence::similarities(&list(&[0.9, 0.85, 0.84, 0.83, 0.8, 0.7]));
        assert_eq!(b, Some(0.9));
        assert!((m.unwrap() - 0.1).abs() < 1e-6);
        let (b, m) = Evidence::similarities(&list(&[0.9, 0.88]));
        assert_eq!(b, Some(0.9));
        assert!((m.unwrap() - 0.02).abs() < 1e-6);
        assert_eq!(Evidence::similarities(&[]), (None, None));
    }
}
