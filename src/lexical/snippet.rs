//! Highlighted snippets and matched terms from one pass of the analyzer over a chunk.
//!
//! tantivy's snippet generator re-tokenizes the text and cannot report which query terms
//! matched; doing both here halves the per-hit work and gives explain mode its terms.

use std::collections::HashSet;

use serde::Serialize;

use crate::text::{Analyzer, TokenKind};

/// A highlighted excerpt of a chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The excerpt.
    pub text: String,
    /// Byte ranges of `text` that matched the query, sorted and not overlapping.
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// The snippet with matches wrapped in `open`/`close` markers.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 8 * self.highlights.len());
        let mut at = 0;
        for &(s, e) in &self.highlights {
            out.push_str(&self.text[at..s]);
            out.push_str(open);
            out.push_str(&self.text[s..e]);
            out.push_str(close);
            at = e;
        }
        out.push_str(&self.text[at..]);
        out
    }
}

fn floor_char(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Builds the snippet of at most about `max_bytes` around the densest run of matches,
/// and lists the distinct query terms found anywhere in `body`.
pub fn snippet_and_terms(
    analyzer: &Analyzer,
    body: &str,
    terms: &HashSet<String>,
    max_bytes: usize,
) -> (Snippet, Vec<String>) {
    let tokens = analyzer.analyze(body);
    let matches: Vec<_> = tokens.iter().filter(|t| terms.contains(&t.text)).collect();
    let mut matched: Vec<String> = matches.iter().map(|t| t.text.clone()).collect();
    matched.sort();
    matched.dedup();
    if matches.is_empty() {
        let end = floor_char(body, max_bytes);
        let end = body[..end]
            .rfind(char::is_whitespace)
            .filter(|&e| e > max_bytes / 2)
            .unwrap_or(end);
        return (
            Snippet {
                text: body[..end].trim_end().to_string(),
                highlights: Vec::new(),
            },
            matched,
        );
    }
    // The window start (a match) whose window holds the most distinct matched terms.
    let mut best = (0usize, 0usize);
    for (i, m) in matches.iter().enumerate() {
        let limit = m.from + max_bytes;
        let count = matches[i..]
            .iter()
            .take_while(|n| n.to <= limit)
            .map(|n| n.text.as_str())
            .collect::<HashSet<_>>()
            .len();
        if count > best.1 {
            best = (i, count);
        }
    }
    let first = matches[best.0];
    // The window's last match: when the text from its very beginning already reaches it,
    // the snippet starts there, so an article is shown from its marker («ماده ۳ـ ...»)
    // rather than from a word cut out of its first line.
    let last_to = matches[best.0..]
        .iter()
        .take_while(|n| n.to <= first.from + max_bytes)
        .map(|n| n.to)
        .max()
        .unwrap_or(first.to);
    // Else start a little before the first match, on a word edge.
    let lead = floor_char(body, first.from.saturating_sub(max_bytes / 6));
    let start = if lead == 0 || last_to <= max_bytes {
        0
    } else {
        body[lead..first.from]
            .find(char::is_whitespace)
            .map_or(first.from, |p| lead + p + 1)
    };
    let mut end = floor_char(body, start + max_bytes);
    if end < body.len() {
        end = body[start..end]
            .rfind(char::is_whitespace)
            .map_or(end, |p| start + p)
            .max(first.to);
    }
    let mut highlights: Vec<(usize, usize)> = Vec::new();
    for t in &matches {
        if t.kind == TokenKind::Pair || t.from < start || t.to > end {
            continue;
        }
        let (s, e) = (t.from - start, t.to - start);
        match highlights.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => highlights.push((s, e)),
        }
    }
    highlights.sort_unstable();
    (
        Snippet {
            text: body[start..end].to_string(),
            highlights,
        },
        matched,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(a: &Analyzer, q: &str) -> HashSet<String> {
        a.terms(q).into_iter().collect()
    }

    #[test]
    fn highlights_matches_in_the_original_spelling() {
        let a = Analyzer::default();
        let body = "مقدمه. سازمان حفاظت محیط زيست (با ي عربی) آموزش همگانی را برعهده دارد.";
        let (s, matched) = snippet_and_terms(&a, body, &terms(&a, "محیط زیست آموزش"), 240);
        let marked = s.marked("[", "]");
        assert!(
            marked.contains("[محیط]") && marked.contains("[زيست]") && marked.contains("[آموزش]"),
            "{marked}"
        );
        assert!(matched.contains(&"محیط".to_string()));
    }

    #[test]
    fn long_text_gets_a_window_around_the_matches() {
        let a = Analyzer::default();
        let body = format!(
            "{} the energy baseline is set here. {}",
            "filler words ".repeat(100),
            "tail text ".repeat(100)
        );
        let (s, _) = snippet_and_terms(&a, &body, &terms(&a, "energy baseline"), 120);
        assert!(s.text.len() <= 120 + 4);
        assert!(
            s.marked("[", "]").contains("[energy] [baseline]"),
            "{}",
            s.text
        );
        for &(x, y) in &s.highlights {
            assert!(s.text.is_char_boundary(x) && s.text.is_char_boundary(y) && x < y);
        }
    }

    #[test]
    fn no_match_gives_the_opening() {
        let a = Analyzer::default();
        let (s, matched) = snippet_and_terms(&a, "کوتاه و بی‌ربط", &terms(&a, "water"), 240);
        assert_eq!(s.text, "کوتاه و بی‌ربط");
        assert!(s.highlights.is_empty() && matched.is_empty());
    }

    #[test]
    fn an_article_whose_matches_fit_the_window_is_shown_from_its_marker() {
        let a = Analyzer::default();
        let body = "ماده٣ـ سازمان حفاظت محیط زیست فهرست چشمه‌های معدنی کشور را هر پنج سال یک بار به‌روز می‌کند و نتیجه را در پایگاه خود منتشر می‌سازد تا همه ببینند.";
        assert!(body.len() > 240);
        let (s, _) = snippet_and_terms(&a, body, &terms(&a, "چشمه معدنی"), 240);
        assert!(s.text.starts_with("ماده٣ـ سازمان"), "{}", s.text);
        assert!(s.marked("[", "]").contains("[معدنی]"), "{}", s.text);
        // Matches far from the opening still get a window around them.
        let long = format!("ماده ۹ـ {} آب چشمه معدنی", "واژه ".repeat(200));
        let (s, _) = snippet_and_terms(&a, &long, &terms(&a, "چشمه معدنی"), 240);
        assert!(!s.text.starts_with("ماده"), "{}", s.text);
        assert!(s.marked("[", "]").contains("[چشمه]"), "{}", s.text);
    }
}
