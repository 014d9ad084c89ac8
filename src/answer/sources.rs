//! Sources a question names by name: a law or regulation («قانون شکار و صید»,
//! «آیین‌نامه ...»), a convention or protocol, a standard ("ISO 14064", «ایزو ۱۴۰۶۴»).
//!
//! Owns one decision: whether the knowledge base holds what the question names. Passages
//! on the same topic read as answers to every score the evidence layer has (the right
//! field, the right kind of sentence), so a question about a law the index does not hold
//! would be answered from a neighbouring one. When every source the question names is
//! missing (no document titled after it, no retrieved passage mentioning it), the answer
//! abstains and says which. It does not read article or clause numbers (`search::lookup`
//! does) and errs toward "present": a mention in any retrieved passage is enough.

use std::sync::LazyLock;

use regex::Regex;

use crate::search::lookup::{title_match, MIN_TITLE_MATCH};
use crate::text::normalize;

/// A source the question names.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedSource {
    /// As the question wrote it, for the message («قانون شکار و صید», "ISO 14064").
    pub name: String,
    key: Key,
}

#[derive(Debug, Clone, PartialEq)]
enum Key {
    /// A law's name words (normalized, ZWNJ removed); matched against titles and text.
    Law { keyword: String, words: Vec<String> },
    /// A standard's number in ASCII digits.
    Standard(String),
}

/// A Persian law-like name starts after one of these words.
static FA_LAW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\p{L}])(قانون|آیین\s*\x{200C}?\s*نامه|آئین\s*\x{200C}?\s*نامه|کنوانسیون|پروتکل|معاهده|موافقت\s*\x{200C}?\s*نامه)\s+")
        .expect("a valid static pattern")
});
/// An English one ends with one of these, after capitalized words ("Clean Air Act").
static EN_LAW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:[A-Z][\p{L}'’-]*\s+(?:(?:of|and|for|on|the|de)\s+)?){1,7})(Act|Law|Convention|Protocol|Regulations?)\b")
        .expect("a valid static pattern")
});
static STANDARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\biso|ایزو)\s*[-:]?\s*([0-9۰-۹]{4,5})(?:[^0-9۰-۹.]|$)")
        .expect("a valid static pattern")
});

/// Words that end a Persian name: the question goes on after them.
const FA_NAME_END: &[&str] = &[
    "ماده",
    "تبصره",
    "بند",
    "چه",
    "چی",
    "چیست",
    "چیه",
    "کدام",
    "چگونه",
    "چطور",
    "آیا",
    "را",
    "برای",
    "درباره",
    "چند",
    "کی",
    "کجا",
    "چقدر",
    "در",
    "است",
    "هست",
    "دارد",
    "باید",
    "به",
    "می",
    "میگوید",
    "میگویند",
    "مصوب",
    "که",
    "تا",
    // What questions ask about right after a law's name («قانون X مجازات ... چیست»).
    "مجازات",
    "جریمه",
    "مهلت",
    "تکلیف",
    "تکالیف",
    "الزامات",
    "شرایط",
    "وظایف",
    "وظیفه",
    "حکم",
    "عوارض",
    "تعریف",
];
/// Words that refer to a law without naming it («این قانون», «قانون مربوط»).
const FA_GENERIC: &[&str] = &[
    "مربوط",
    "مربوطه",
    "جدید",
    "فعلی",
    "مذکور",
    "یادشده",
    "فوق",
    "این",
    "آن",
    "همین",
    "ها",
];
const EN_FILLER: &[&str] = &["of", "and", "for", "on", "the", "de", "iran", "s", "irans"];

/// The sources `question` names, in the order it names them.
pub fn named_sources(question: &str) -> Vec<NamedSource> {
    let text = normalize(question);
    let mut out = Vec::new();
    for c in FA_LAW.captures_iter(&text) {
        let (Some(kw), Some(all)) = (c.get(1), c.get(0)) else {
            continue;
        };
        let mut words = Vec::new();
        let mut shown = Vec::new();
        for raw in text[all.end()..].split_whitespace() {
            let word: String = raw
                .replace('\u{200C}', "")
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect();
            if word.is_empty() || FA_NAME_END.contains(&word.as_str()) || words.len() == 7 {
                break;
            }
            shown.push(raw.trim_end_matches(|c: char| !c.is_alphanumeric()));
            if word != "و" && word != "از" {
                words.push(word);
            }
            // Punctuation after a word ends the name.
            if raw.ends_with(|c: char| !c.is_alphanumeric() && c != '\u{200C}') {
                break;
            }
        }
        if words.is_empty() || words.iter().all(|w| FA_GENERIC.contains(&w.as_str())) {
            continue;
        }
        out.push(NamedSource {
            name: format!("{} {}", kw.as_str(), shown.join(" ")),
            key: Key::Law {
                keyword: kw.as_str().replace(['\u{200C}', ' '], ""),
                words,
            },
        });
    }
    for c in EN_LAW.captures_iter(question) {
        let (Some(name), Some(kw)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let words: Vec<String> = name
            .as_str()
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !EN_FILLER.contains(w))
            .map(str::to_string)
            .collect();
        if words.is_empty() {
            continue;
        }
        out.push(NamedSource {
            name: format!("{}{}", name.as_str(), kw.as_str()),
            key: Key::Law {
                keyword: kw.as_str().to_lowercase(),
                words,
            },
        });
    }
    for c in STANDARD.captures_iter(&text) {
        let Some(n) = c.get(1) else { continue };
        // Normalized: the digits are ASCII already.
        let digits = n.as_str().to_string();
        out.push(NamedSource {
            name: format!("ISO {digits}"),
            key: Key::Standard(digits),
        });
    }
    out
}

/// The form text is searched in: normalized, ZWNJ removed, lower case, spaces collapsed.
fn searchable(text: &str) -> String {
    normalize(text)
        .replace('\u{200C}', "")
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl NamedSource {
    /// Whether a document title or a retrieved passage (`passages`: each one's title,
    /// breadcrumb and text) holds this source.
    fn present<'a>(&self, mut titles: impl Iterator<Item = &'a str>, passages: &[String]) -> bool {
        match &self.key {
            Key::Standard(n) => {
                titles.any(|t| searchable(t).contains(n.as_str()))
                    || passages.iter().any(|t| searchable(t).contains(n.as_str()))
            }
            Key::Law { keyword, words } => {
                if titles.any(|t| title_match(words, t) >= MIN_TITLE_MATCH) {
                    return true;
                }
                // The name as a phrase: the keyword with the name's first two words,
                // in the language's order («قانون هوای پاک», "clean air act").
                let head: Vec<&str> = words.iter().take(2).map(String::as_str).collect();
                let phrase = if keyword.is_ascii() {
                    let tail: Vec<&str> = words
                        .iter()
                        .rev()
                        .take(2)
                        .rev()
                        .map(String::as_str)
                        .collect();
                    format!("{} {keyword}", tail.join(" "))
                } else {
                    format!("{keyword} {}", head.join(" "))
                };
                passages.iter().any(|t| searchable(t).contains(&phrase))
            }
        }
    }
}

/// The `named` sources (from [`named_sources`]) when every one of them is missing from
/// the knowledge base (`titles`: every indexed document's title; `passages`: what
/// retrieval found, each as its title, breadcrumb and text); `None` when none is named or
/// any of them is there.
pub fn missing<'a>(
    named: Vec<NamedSource>,
    titles: impl Iterator<Item = &'a str> + Clone,
    passages: &[String],
) -> Option<Vec<NamedSource>> {
    if named.is_empty() || named.iter().any(|s| s.present(titles.clone(), passages)) {
        return None;
    }
    Some(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing_sources(q: &str, titles: &[&str], passages: &[String]) -> Option<Vec<NamedSource>> {
        missing(named_sources(q), titles.iter().copied(), passages)
    }

    fn names(q: &str) -> Vec<String> {
        named_sources(q).into_iter().map(|s| s.name).collect()
    }

    #[test]
    fn laws_conventions_and_standards_are_read_from_questions() {
        assert_eq!(
            names("مجازات شکار غیرمجاز طبق قانون شکار و صید چیست؟"),
            ["قانون شکار و صید"]
        );
        assert_eq!(
            names("طبق قانون هوای پاک، خودروهای فرسوده تا چه سالی باید از رده خارج شوند؟"),
            ["قانون هوای پاک"]
        );
        assert_eq!(
            names("ماده ۶ قانون حفاظت و بهسازی محیط زیست چه می‌گوید؟"),
            ["قانون حفاظت و بهسازی محیط زیست"]
        );
        assert_eq!(
            names("استاندارد ISO 14064 چه الزاماتی دارد؟"),
            ["ISO 14064"]
        );
        assert_eq!(names("ایزو ۵۰۰۰۱ چیست؟"), ["ISO 50001"]);
        assert_eq!(
            names("What does the Clean Air Act require of old cars?"),
            ["Clean Air Act"]
        );
        assert_eq!(
            names("What obligations does the Ramsar Convention create?"),
            ["Ramsar Convention"]
        );
        // A clause number is not a standard; a law referred to without its name is none.
        assert!(names("بند 6.1.2 از سازمان چه می‌خواهد؟").is_empty());
        assert!(names("طبق قانون، چه کسی مسئول است؟").is_empty());
        assert!(names("این قانون مربوط به چیست؟").is_empty());
        assert!(names("الزامات قانونی سازمان کدام‌اند؟").is_empty());
    }

    #[test]
    fn a_source_is_missing_only_when_no_title_and_no_passage_holds_it() {
        let titles = ["قانون حفاظت و بهسازی محیط زیست", "ISO 14001: الزامات"];
        let passages = ["یادداشت این جزوه به قانون مدیریت پسماندها هم اشاره می‌کند.".to_string()];
        let q = "طبق قانون شکار و صید مجازات چیست؟";
        let missing = missing_sources(q, &titles, &passages).expect("missing");
        assert_eq!(missing[0].name, "قانون شکار و صید");
        // A partial name of an indexed law is that law.
        assert!(missing_sources("قانون حفاظت محیط زیست چه می‌گوید؟", &titles, &passages).is_none());
        // A passage mentioning the law is enough.
        assert!(
            missing_sources("قانون مدیریت پسماند چه تکالیفی دارد؟", &titles, &passages).is_none()
        );
        assert!(missing_sources("ISO 14001 چند بند دارد؟", &titles, &passages).is_none());
        assert!(missing_sources("ISO 14064 چه می‌خواهد؟", &titles, &passages).is_some());
        // Naming one present source among missing ones answers from the present one.
        assert!(
            missing_sources("ISO 14001 و ISO 14064 چه فرقی دارند؟", &titles, &passages).is_none()
        );
        assert!(missing_sources("آلودگی هوا چیست؟", &titles, &passages).is_none());
    }
}
