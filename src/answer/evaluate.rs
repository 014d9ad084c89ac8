//! Answer evaluation arithmetic: whether an answer contains a gold answer string, whether
//! its citations point at relevant passages, how often it abstains, and whether any
//! citation failed its check.
//!
//! Owns the metric definitions and the JSON keys of `envkb eval-answers` (a contract). The
//! questions, the index and the answers come from the caller.

use serde::Serialize;

use super::Answer;

/// One question's answer as judged, with its confidence so that any abstention threshold
/// can be applied afterwards (see [`summarize`]).
#[derive(Debug, Clone, Serialize)]
pub struct Judged {
    /// The question's id in the question set, to find it in a report.
    pub id: String,
    /// The question has gold passages (else the corpus cannot answer it).
    pub answerable: bool,
    /// The question has gold answer strings.
    pub has_gold_answers: bool,
    /// The best evidence score; `None` when there was no evidence at all.
    pub confidence: Option<f32>,
    /// Some gold answer appears in the answer text or the first citation's quote (as if
    /// the question were answered).
    pub hit: bool,
    /// Citations the answer gave (0 when it abstained).
    pub citations: usize,
    /// Of those, the ones citing one of the question's gold passages: the citation precision
    /// numerator.
    pub relevant_citations: usize,
    /// Citation problems found by [`super::citation::check`] against the index.
    pub invalid: usize,
}

/// The figures of `envkb eval-answers --json`; the keys are a contract.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct AnswerMetrics {
    /// Share of questions with gold answers whose answer contains one (abstaining misses);
    /// `null` when no question has gold answers.
    pub answer_hit: Option<f64>,
    /// Share of citations (of answered questions with gold passages) that cite a gold
    /// passage; `null` when there are none.
    pub citation_precision: Option<f64>,
    /// Share of all questions answered with "not found".
    pub abstained: f64,
    /// Citations that failed their check (a bug when not 0).
    pub invalid_citations: usize,
    /// Questions judged, so the shares can be read as counts.
    pub queries: usize,
}

/// The normalized form answers are compared in: the search normalization, ZWNJ and
/// punctuation as spaces, whitespace collapsed.
pub fn normalize_answer(text: &str) -> String {
    crate::text::normalize(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether some gold answer (normalized, not empty) appears in `text` (normalized), on
/// word edges.
pub fn contains_answer(text: &str, gold: &[String]) -> bool {
    let hay = format!(" {} ", normalize_answer(text));
    gold.iter()
        .map(|g| normalize_answer(g))
        .filter(|g| !g.is_empty())
        .any(|g| hay.contains(&format!(" {g} ")))
}

/// Judges one answer composed without abstention (so that [`summarize`] can apply any
/// threshold): `is_relevant` says whether a cited chunk is a gold passage.
pub fn judge(
    id: &str,
    answer: &Answer,
    answerable: bool,
    gold_answers: &[String],
    is_relevant: impl Fn(&str) -> bool,
    invalid: usize,
) -> Judged {
    let first_quote = answer.citations.first().map_or("", |c| c.quote.as_str());
    let hit = !answer.citations.is_empty()
        && (contains_answer(&answer.answer, gold_answers)
            || contains_answer(first_quote, gold_answers));
    Judged {
        id: id.to_string(),
        answerable,
        has_gold_answers: !gold_answers.is_empty(),
        confidence: (!answer.citations.is_empty()).then_some(answer.confidence),
        hit,
        citations: answer.citations.len(),
        relevant_citations: answer
            .citations
            .iter()
            .filter(|c| is_relevant(&c.chunk_id))
            .count(),
        invalid,
    }
}

/// Whether a judged question abstains at `threshold`.
pub fn abstains(j: &Judged, threshold: f32) -> bool {
    j.confidence.is_none_or(|c| c < threshold)
}

/// The metrics with abstention below `threshold`.
pub fn summarize(judged: &[Judged], threshold: f32) -> AnswerMetrics {
    let ratio = |num: usize, den: usize| (den > 0).then(|| num as f64 / den as f64);
    let with_gold: Vec<&Judged> = judged.iter().filter(|j| j.has_gold_answers).collect();
    let hits = with_gold
        .iter()
        .filter(|j| j.hit && !abstains(j, threshold))
        .count();
    let answered_gold: Vec<&Judged> = judged
        .iter()
        .filter(|j| j.answerable && !abstains(j, threshold))
        .collect();
    let cited: usize = answered_gold.iter().map(|j| j.citations).sum();
    let relevant: usize = answered_gold.iter().map(|j| j.relevant_citations).sum();
    let abstained = judged.iter().filter(|j| abstains(j, threshold)).count();
    AnswerMetrics {
        answer_hit: ratio(hits, with_gold.len()),
        citation_precision: ratio(relevant, cited),
        abstained: ratio(abstained, judged.len()).unwrap_or(0.0),
        invalid_citations: judged.iter().map(|j| j.invalid).sum(),
        queries: judged.len(),
    }
}

/// Abstention among answerable questions and false answers (not abstaining) among
/// unanswerable ones, at `threshold`; `None` where a group is empty.
pub fn split_rates(judged: &[Judged], threshold: f32) -> (Option<f64>, Option<f64>) {
    let rate = |answerable: bool, count_abstained: bool| {
        let group: Vec<&Judged> = judged
            .iter()
            .filter(|j| j.answerable == answerable)
            .collect();
        let n = group
            .iter()
            .filter(|j| abstains(j, threshold) == count_abstained)
            .count();
        (!group.is_empty()).then(|| n as f64 / group.len() as f64)
    };
    (rate(true, true), rate(false, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_match_after_normalization_on_word_edges() {
        let gold = vec!["نقش آموزشی و آگاهی‌بخشی".to_string()];
        assert!(contains_answer(
            "د) نقش آموزشي و آگاهی بخشی سازمان [1]",
            &gold
        ));
        assert!(!contains_answer("نقش آموزشی [1]", &gold));
        assert!(contains_answer("It was in 1986.", &["1986".to_string()]));
        assert!(!contains_answer("It was in 19861.", &["1986".to_string()]));
        assert!(!contains_answer("anything", &["  ".to_string()]));
    }

    fn j(answerable: bool, gold: bool, conf: Option<f32>, hit: bool, rel: usize) -> Judged {
        Judged {
            id: String::new(),
            answerable,
            has_gold_answers: gold,
            confidence: conf,
            hit,
            citations: conf.map_or(0, |_| 2),
            relevant_citations: rel,
            invalid: 0,
        }
    }

    #[test]
    fn thresholds_move_questions_to_abstention() {
        let all = vec![
            j(true, true, Some(0.9), true, 2),
            j(true, true, Some(0.5), true, 1),
            j(true, true, None, false, 0),
            j(false, false, Some(0.6), false, 0),
        ];
        let m = summarize(&all, 0.0);
        assert_eq!(m.answer_hit, Some(2.0 / 3.0));
        assert_eq!(m.citation_precision, Some(3.0 / 4.0));
        assert_eq!(m.abstained, 0.25);
        assert_eq!(m.queries, 4);
        let m = summarize(&all, 0.7);
        assert_eq!(m.answer_hit, Some(1.0 / 3.0));
        assert_eq!(m.citation_precision, Some(1.0));
        assert_eq!(m.abstained, 0.75);
        assert_eq!(split_rates(&all, 0.7), (Some(2.0 / 3.0), Some(0.0)));
        assert_eq!(split_rates(&all, 0.55), (Some(2.0 / 3.0), Some(1.0)));
        let ood = vec![j(false, false, Some(0.1), false, 0)];
        let m = summarize(&ood, 0.5);
        assert_eq!((m.answer_hit, m.citation_precision), (None, None));
        assert_eq!(m.abstained, 1.0);
    }
}
