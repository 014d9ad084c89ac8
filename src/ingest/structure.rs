//! Recognizes the structural markers of laws, policies and standards in one line:
//! Markdown headings, Persian law markers (فصل، ماده N، بند «الف»، تبصره)، English
//! equivalents (Chapter, Article N, Clause (d), Note 1) and ISO-style clause numbers.
//!
//! Owns the patterns and the canonical forms of article/clause numbers; it does not
//! decide chunk boundaries (the chunker does).

use once_cell::sync::Lazy;
use regex::Regex;

use crate::text::normalize;

/// What a line starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// A Markdown heading of level 1..=6, with what its text names.
    Heading {
        level: usize,
        text: String,
        names: Named,
    },
    /// A chapter (فصل / Chapter) outside a heading.
    Chapter { label: String },
    /// An article (ماده N / Article N) outside a heading.
    Article { label: String, number: String },
    /// A lettered or numbered clause (بند «د» / Clause (d)) or an ISO clause number line.
    Clause { label: String, number: String },
    /// A note (تبصره N / Note N).
    Note { label: String, number: String },
}

/// Article/clause/note numbers named by a heading's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    pub article: Option<String>,
    pub clause: Option<String>,
    pub note: Option<String>,
}

/// Persian clause letters in the abjad order Iranian laws use, with the Latin letter
/// that English translations give the same clause.
const ABJAD: [(&str, &str); 14] = [
    ("الف", "a"),
    ("ب", "b"),
    ("ج", "c"),
    ("د", "d"),
    ("ه", "e"),
    ("و", "f"),
    ("ز", "g"),
    ("ح", "h"),
    ("ط", "i"),
    ("ی", "j"),
    ("ک", "k"),
    ("ل", "l"),
    ("م", "m"),
    ("ن", "n"),
];

/// The other spelling of a clause letter: «د» ↔ "d". Numbers have none.
pub fn clause_letter_twin(clause: &str) -> Option<&'static str> {
    ABJAD.iter().find_map(|&(fa, en)| {
        if fa == clause {
            Some(en)
        } else if en == clause {
            Some(fa)
        } else {
            None
        }
    })
}

/// Canonical form of an article/clause/note number: normalized digits and letters,
/// quotes and brackets removed, "6.1.2" kept whole.
pub fn canonical_number(raw: &str) -> String {
    let n = normalize(raw);
    n.trim_matches(|c: char| !c.is_alphanumeric())
        .chars()
        .filter(|c| !matches!(c, '«' | '»' | '"' | '\'' | '(' | ')' | '“' | '”'))
        .collect::<String>()
        .trim()
        .to_string()
}

const NUM: &str = r"[0-9۰-۹٠-٩]+";
const LETTER: &str = r"(?:الف|[بپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیكي])";

static HEADING: Lazy<Regex> = Lazy::new(|| Regex::new(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$").unwrap());
static LEAD: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)?[ \t]*").unwrap());
static FA_CHAPTER: Lazy<Regex> = Lazy::new(|| Regex::new(r"^فصل[ \t\u{200C}]+\S+").unwrap());
/// On a plain line the number must end the line or be followed by punctuation, so prose
/// that happens to begin with «ماده ۶ ...» is not taken for the article itself. (In a
/// heading, «ماده ۶ وظایف» is fine: see [`FA_ARTICLE`].)
static FA_ARTICLE_LINE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r"^ماده[ \t\u{{200C}}]+({NUM}|واحده)(?:[ \t]*مکرر)?[ \t]*(?:$|[:\-–—.)]|\*)"
    ))
    .unwrap()
});
static EN_ARTICLE_LINE: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^(?i:article)[ \t]+([0-9]+)[ \t]*(?:$|[:\-–—.)])").unwrap());
static FA_ARTICLE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r"^ماده[ \t\u{{200C}}]+({NUM}|واحده)(?:[ \t]*مکرر)?(?:$|[ \t:\-–—.)]|\*)"
    ))
    .unwrap()
});
static FA_CLAUSE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r#"^(?:بند[ \t\u{{200C}}]+[«"']?({LETTER}|{NUM})[»"']?(?:$|[ \t:\-–—.)]|\*)|[«"]?({LETTER})[»"]?[ \t]*[)\-–—][ \t])"#
    ))
    .unwrap()
});
static FA_NOTE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r"^تبصره(?:[ \t\u{{200C}}]+({NUM}))?(?:$|[ \t:\-–—.)]|\*)"
    ))
    .unwrap()
});
static EN_CHAPTER: Lazy<Regex> = Lazy::new(|| Regex::new(r"^(?i:chapter)[ \t]+\S+").unwrap());
static EN_ARTICLE: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^(?i:article)[ \t]+([0-9]+)(?:$|[ \t:\-–—.)])").unwrap());
static EN_CLAUSE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^(?i:clause|paragraph|item)[ \t]+\(?([a-z]|[0-9]+)\)?(?:$|[ \t:\-–—.)])").unwrap()
});
static EN_NOTE: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^(?i:note)(?:[ \t]+([0-9]+))?[ \t]*[:.\-–—]").unwrap());
static ISO: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^([0-9]{1,2}(?:\.[0-9]{1,2}){0,4})\.?[ \t]+\S").unwrap());
static ISO_DOTTED: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^([0-9]{1,2}(?:\.[0-9]{1,2}){1,4})[ \t]+\S").unwrap());
static POLICY_CLAUSE: Lazy<Regex> =
    Lazy::new(|| Regex::new(&format!(r"^بند[ \t\u{{200C}}]+({NUM}|{LETTER})")).unwrap());

/// Short label for a marker line: the text up to its first colon, at most 60 chars.
fn label_of(line: &str) -> String {
    let cut = line.find([':', '：']).unwrap_or(line.len());
    let label: String = line[..cut]
        .trim()
        .trim_end_matches(['*', '_'])
        .trim()
        .chars()
        .take(60)
        .collect();
    label
}

/// What a heading's text names (article, clause, note), for headings such as
/// «ماده ۶: وظایف», "6.1.2 Environmental aspects", «بند ۱۲: ...», "Article 6".
fn names_in_heading(text: &str) -> Named {
    let mut named = Named::default();
    let t = text.trim();
    if let Some(c) = FA_ARTICLE.captures(t).or_else(|| EN_ARTICLE.captures(t)) {
        named.article = Some(canonical_number(&c[1]));
    } else if let Some(c) = FA_NOTE.captures(t) {
        named.note = Some(
            c.get(1)
                .map(|m| canonical_number(m.as_str()))
                .unwrap_or_default(),
        );
    } else if let Some(c) = POLICY_CLAUSE.captures(t) {
        named.clause = Some(canonical_number(&c[1]));
    } else if let Some(c) = EN_CLAUSE.captures(t) {
        named.clause = Some(canonical_number(&c[1]).to_lowercase());
    } else if let Some(c) = ISO.captures(&normalize(t)) {
        named.clause = Some(c[1].to_string());
    }
    named
}

/// Classifies one line (without its line break); `None` for ordinary text.
pub fn classify(line: &str) -> Option<Marker> {
    if let Some(c) = HEADING.captures(line) {
        let text = c[2].trim().to_string();
        return Some(Marker::Heading {
            level: c[1].len(),
            names: names_in_heading(&text),
            text,
        });
    }
    let lead = LEAD.find(line).map_or(0, |m| m.end());
    let rest = &line[lead..];
    if rest.is_empty() {
        return None;
    }
    if FA_CHAPTER.is_match(rest) || EN_CHAPTER.is_match(rest) {
        return Some(Marker::Chapter {
            label: label_of(rest),
        });
    }
    if let Some(c) = FA_ARTICLE_LINE
        .captures(rest)
        .or_else(|| EN_ARTICLE_LINE.captures(rest))
    {
        return Some(Marker::Article {
            label: label_of(rest),
            number: canonical_number(&c[1]),
        });
    }
    if let Some(c) = FA_NOTE.captures(rest).or_else(|| EN_NOTE.captures(rest)) {
        return Some(Marker::Note {
            label: label_of(rest),
            number: c
                .get(1)
                .map(|m| canonical_number(m.as_str()))
                .unwrap_or_default(),
        });
    }
    if let Some(c) = FA_CLAUSE.captures(rest) {
        let raw = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        return Some(Marker::Clause {
            label: label_of(rest),
            number: canonical_number(raw),
        });
    }
    if let Some(c) = EN_CLAUSE.captures(rest) {
        return Some(Marker::Clause {
            label: label_of(rest),
            number: canonical_number(&c[1]).to_lowercase(),
        });
    }
    // A bare clause number line in plain text needs a dot (4.4.1) so that numbered
    // lists ("1 item") are not mistaken for structure.
    if lead == 0 {
        if let Some(c) = ISO_DOTTED.captures(rest) {
            return Some(Marker::Clause {
                label: label_of(rest),
                number: c[1].to_string(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number_of(line: &str) -> Option<String> {
        match classify(line)? {
            Marker::Article { number, .. }
            | Marker::Clause { number, .. }
            | Marker::Note { number, .. } => Some(number),
            _ => None,
        }
    }

    #[test]
    fn persian_law_markers() {
        assert_eq!(number_of("ماده ۶: وظایف سازمان"), Some("6".into()));
        assert_eq!(number_of("ماده 12 - ممنوعیت"), Some("12".into()));
        assert_eq!(number_of("بند «د»: آموزش"), Some("د".into()));
        assert_eq!(number_of("- بند «الف»: برنامه‌ریزی"), Some("الف".into()));
        assert_eq!(number_of("الف) تهیه ضوابط"), Some("الف".into()));
        assert_eq!(number_of("تبصره ۲: مهلت"), Some("2".into()));
        assert_eq!(number_of("تبصره: مهلت"), Some("".into()));
        assert!(matches!(
            classify("فصل دوم: تخلفات"),
            Some(Marker::Chapter { .. })
        ));
        assert_eq!(classify("مادهٔ اولیه برای تولید"), None);
        assert_eq!(classify("بندر عباس شهری ساحلی است"), None);
        assert_eq!(classify("مواد ۶ و ۷"), None);
        // Prose that starts with the article's name is not the article marker.
        assert_eq!(classify("ماده ۶ وظایف سازمان را در چند بند می‌شمارد."), None);
        assert_eq!(
            classify("Article 6 lists the duties of the Department."),
            None
        );
    }

    #[test]
    fn english_and_iso_markers() {
        assert_eq!(number_of("Article 6: Duties"), Some("6".into()));
        assert_eq!(number_of("Clause (d): training"), Some("d".into()));
        assert_eq!(number_of("Note 1: deadlines"), Some("1".into()));
        assert_eq!(
            number_of("6.1.2 Environmental aspects"),
            Some("6.1.2".into())
        );
        assert_eq!(classify("1 apple"), None);
        assert_eq!(classify("The article says"), None);
    }

    #[test]
    fn headings_name_their_article_or_clause() {
        let Some(Marker::Heading { level, names, .. }) = classify("### ماده ۶: وظایف")
        else {
            panic!()
        };
        assert_eq!((level, names.article.as_deref()), (3, Some("6")));
        let Some(Marker::Heading { names, .. }) = classify("## 6.1.2 جنبه‌های زیست‌محیطی")
        else {
            panic!()
        };
        assert_eq!(names.clause.as_deref(), Some("6.1.2"));
        let Some(Marker::Heading { names, .. }) = classify("### بند ۱۲: مدیریت") else {
            panic!()
        };
        assert_eq!(names.clause.as_deref(), Some("12"));
        let Some(Marker::Heading { names, .. }) = classify("## 4 Context of the organization")
        else {
            panic!()
        };
        assert_eq!(names.clause.as_deref(), Some("4"));
    }

    #[test]
    fn clause_letters_have_twins() {
        assert_eq!(clause_letter_twin("د"), Some("d"));
        assert_eq!(clause_letter_twin("a"), Some("الف"));
        assert_eq!(clause_letter_twin("12"), None);
    }
}
