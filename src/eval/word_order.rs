//! Word-order match: how much of a source text an extraction recovered, in order.
//!
//! Owns the measure used for the PDF and DOCX fixtures (docs/BENCHMARKS.md): both texts
//! go through the search normalization and are split into words; the score is the length
//! of their longest common subsequence over the number of source words, so a word that is
//! missing, garbled or out of place costs, and extra text (a running header) does not.

use crate::text::{normalize, ZWNJ};

/// Words of `text` after the search normalization. ZWNJ is dropped rather than split on,
/// so «آیین‌نامه» and «آییننامه» count as the same single word on both sides.
pub fn words(text: &str) -> Vec<String> {
    normalize(text)
        .replace(ZWNJ, "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Share of `source` words found in `extracted` in the same order (0.0–1.0).
pub fn word_order_match(source: &[String], extracted: &[String]) -> f64 {
    if source.is_empty() {
        return 1.0;
    }
    // Longest common subsequence, one row at a time.
    let mut prev = vec![0u32; extracted.len() + 1];
    let mut cur = vec![0u32; extracted.len() + 1];
    for s in source {
        for (j, e) in extracted.iter().enumerate() {
            cur[j + 1] = if s == e {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    f64::from(prev[extracted.len()]) / source.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_missing_and_extra_words_count_as_they_should() {
        let src = words("ماده ۶ قانون حفاظت محیط زیست");
        assert_eq!(src[1], "6");
        assert_eq!(word_order_match(&src, &src), 1.0);
        let extra = words("سربرگ ماده 6 قانون حفاظت و محیط زیست صفحه 1");
        assert_eq!(word_order_match(&src, &extra), 1.0);
        let swapped = words("ماده 6 حفاظت قانون محیط زیست");
        assert!((word_order_match(&src, &swapped) - 5.0 / 6.0).abs() < 1e-9);
        let reversed: Vec<String> = src.iter().rev().cloned().collect();
        assert!(word_order_match(&src, &reversed) < 0.2);
        assert_eq!(words("تفاهم\u{200C}نامه"), words("تفاهمنامه"));
    }
}
