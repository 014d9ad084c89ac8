//! Whether a result list is a match or only the nearest passages to a query that matches
//! nothing (`zzzzqqq`): the semantic side always returns its k nearest chunks, however far
//! they are, so without this check a nonsense query reads as ten confident results.
//!
//! Owns the rule and its threshold. It does not run either retriever: `Retriever::search`
//! passes in what the two sides found.

/// Cosine similarity (multilingual-e5-small, E5 query/passage prefixes) below which the
/// nearest passage is not taken as a real semantic match. E5 similarities are compressed
/// into a high band; measured on the test fixtures and the Persian bench (docs/BENCHMARKS.md,
/// "No exact match"): nonsense strings reach at most about 0.80 while real questions whose
/// words are absent from the text (paraphrases) start near 0.82.
pub const LOW_SIMILARITY: f32 = 0.81;

/// What the two retrievers found for one query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// Some query term matched some chunk (within the filters).
    pub term_matched: bool,
    /// The best cosine similarity of the semantic side, when it ran and found anything.
    pub best_similarity: Option<f32>,
    /// The number of hits shown.
    pub hits: usize,
}

/// True when hits are shown although no query term matches anywhere and the semantic side
/// is not close either: the page and CLI then say «نتیجهٔ دقیقی یافت نشد؛ نزدیک‌ترین بخش‌ها:»
/// ("no exact match; the closest passages:") above them.
pub fn no_exact_match(e: Evidence) -> bool {
    e.hits > 0 && !e.term_matched && e.best_similarity.is_none_or(|s| s < LOW_SIMILARITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(term_matched: bool, best_similarity: Option<f32>, hits: usize) -> Evidence {
        Evidence {
            term_matched,
            best_similarity,
            hits,
        }
    }

    #[test]
    fn nonsense_is_flagged_and_matches_are_not() {
        // `zzzzqqq`: no term anywhere, the nearest passage is far.
        assert!(no_exact_match(ev(false, Some(0.74), 10)));
        // A paraphrase whose words are absent but whose meaning is close.
        assert!(!no_exact_match(ev(false, Some(0.86), 10)));
        // Any matching term is an exact match, whatever the similarity.
        assert!(!no_exact_match(ev(true, Some(0.5), 10)));
        assert!(!no_exact_match(ev(true, None, 3)));
    }

    #[test]
    fn no_hits_is_no_results_not_a_weak_match() {
        assert!(!no_exact_match(ev(false, None, 0)));
        assert!(!no_exact_match(ev(false, Some(0.2), 0)));
    }
}
