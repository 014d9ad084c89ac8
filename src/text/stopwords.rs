//! Word lists and the light Persian suffix rule, kept apart from the analyzer's mechanics.

/// English function words that carry no topic (the usual short list).
const ENGLISH: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "am", "an", "and", "any", "are", "as", "at",
    "be", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
    "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had",
    "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "no", "nor", "not",
    "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own",
    "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs",
    "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
    "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
    "whom", "why", "will", "with", "would", "you", "your", "yours",
];

/// Frequent Persian function words (normalized spelling).
const PERSIAN: &[&str] = &[
    "و", "در", "به", "از", "که", "این", "را", "با", "است", "برای", "آن", "یک", "تا", "بر", "هم",
    "نیز", "یا", "اما", "ها", "های", "شد", "شده", "می", "بود", "هر", "کرد", "کند", "دارد", "باید",
    "شود", "خود", "بین", "پس", "اگر", "همه", "چه", "کدام", "چیست", "چند", "آیا",
];

pub(crate) fn is_english_stopword(word: &str) -> bool {
    ENGLISH.binary_search(&word).is_ok()
}

/// Looked up once per Persian word, so a hash set rather than a scan of the list.
static PERSIAN_SET: once_cell::sync::Lazy<std::collections::HashSet<&'static str>> =
    once_cell::sync::Lazy::new(|| PERSIAN.iter().copied().collect());

pub(crate) fn is_persian_stopword(word: &str) -> bool {
    PERSIAN_SET.contains(word)
}

/// Strips one common plural or superlative suffix (ها، های، هایی، ان، ترین) when a stem of at
/// least three letters remains. Deliberately light: measured on the bench questions, adding
/// «تر» and «ات» lost more than it gained (docs/BENCHMARKS.md).
pub fn strip_persian_suffix(word: &str) -> &str {
    const SUFFIXES: [&str; 5] = ["هایی", "های", "ترین", "ها", "ان"];
    for suffix in SUFFIXES {
        if let Some(stem) = word.strip_suffix(suffix) {
            if stem.chars().count() >= 3 {
                return stem;
            }
        }
    }
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_list_is_sorted_for_binary_search() {
        assert!(ENGLISH.windows(2).all(|w| w[0] < w[1]));
        assert!(is_english_stopword("the"));
        assert!(!is_english_stopword("water"));
    }

    #[test]
    fn suffixes_keep_short_stems() {
        assert_eq!(strip_persian_suffix("شاخص\u{0647}ا"), "شاخص");
        assert_eq!(strip_persian_suffix("بزرگترین"), "بزرگ");
        assert_eq!(strip_persian_suffix("درختان"), "درخت");
        assert_eq!(strip_persian_suffix("نان"), "نان");
    }
}
