//! Character error rate: how far an OCR reading is from its source text.
//!
//! Owns the measure for the scanned-PDF fixtures (docs/BENCHMARKS.md, "Scanned PDFs: OCR"):
//! the edit distance (insertions, deletions, substitutions of characters) between the two
//! texts over the source's length. Both texts have their whitespace collapsed to single
//! spaces first (line and paragraph breaks are layout, not reading), and, for the searchable
//! variant, go through the search normalization (Arabic letter forms folded to Persian, digits
//! to ASCII), which is what a query sees.

use crate::text::normalize;

/// Whitespace runs to one space, ends trimmed, Markdown heading marks dropped.
fn collapse(text: &str) -> Vec<char> {
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|w| !w.chars().all(|c| c == '#'))
        .collect();
    words.join(" ").chars().collect()
}

/// Edit distance over the source length (0.0 = identical; can pass 1.0 for a reading much
/// longer than its source).
pub fn char_error_rate(source: &str, read: &str) -> f64 {
    rate(&collapse(source), &collapse(read))
}

/// [`char_error_rate`] after the search normalization of both texts.
pub fn char_error_rate_normalized(source: &str, read: &str) -> f64 {
    char_error_rate(&normalize(source), &normalize(read))
}

fn rate(source: &[char], read: &[char]) -> f64 {
    if source.is_empty() {
        return if read.is_empty() { 0.0 } else { 1.0 };
    }
    let mut prev: Vec<usize> = (0..=read.len()).collect();
    let mut cur = vec![0usize; read.len() + 1];
    for (i, s) in source.iter().enumerate() {
        cur[0] = i + 1;
        for (j, r) in read.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(s != r))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[read.len()] as f64 / source.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_score_zero_whatever_the_line_breaks() {
        assert_eq!(
            char_error_rate("ماده ۱ - این\nقانون", "ماده ۱ -  این قانون"),
            0.0
        );
        assert_eq!(char_error_rate("## Title\n\nBody", "Title Body"), 0.0);
    }

    #[test]
    fn each_wrong_character_costs_one() {
        // One substitution (ة for ه) in 14 characters.
        assert!((char_error_rate("معادن شن ماسه", "معادن شن ماسة") - 1.0 / 13.0).abs() < 1e-9);
        assert!((char_error_rate("abcd", "abd") - 0.25).abs() < 1e-9);
        assert_eq!(char_error_rate("", ""), 0.0);
        assert_eq!(char_error_rate("", "x"), 1.0);
    }

    #[test]
    fn the_normalized_rate_forgives_letter_forms_and_digit_scripts() {
        assert!(char_error_rate("ماده ۱ زیر", "ماده 1 زير") > 0.0);
        assert_eq!(char_error_rate_normalized("ماده ۱ زیر", "ماده 1 زير"), 0.0);
    }
}
