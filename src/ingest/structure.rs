//! Recognizes the structural markers of laws, policies and standards in one line:
//! Markdown headings, Persian law markers (فصل، ماده N، بند «الف»، تبصره، numbered items)،
//! English equivalents (Chapter, Article N, Clause (d), Note 1) and ISO-style clause numbers.
//!
//! Real law pages write the same marker many ways: wrapped in emphasis (`**ماده ۱-**`,
//! `**ماده****۹-**`, `__ماده ۲__`), with a zero-width non-joiner after the emphasis, with
//! tatweel, dashes or a colon as separator («ماده ۳ ـ»، «ماده ۱۷۵ـ»، «دـ»), without a space
//! («ماده۸ -»), with an amendment note («(اصلاحی ۱۳۷۱/۰۸/۲۴)»، «اصلاحی»، «(الحاقی ...)») or as
//! a repeated article («ماده ۱۰ مکرر ۱»). Every loader (Markdown, text, HTML, PDF) feeds its
//! lines through [`classify`], so all of them get the same structure. Labels are built from
//! what was recognized («ماده ۱۲ (اصلاحی ۱۳۷۱)»), never cut from the raw line, so a
//! breadcrumb carries no emphasis marks and no sentence fragments.
//!
//! Owns the patterns, the labels and the canonical forms of article/clause numbers; it
//! does not decide chunk boundaries (the chunker does).

use once_cell::sync::Lazy;
use regex::Regex;

use crate::text::normalize;

/// What a line starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// A Markdown heading of level 1..=6, with what its text names.
    Heading {
        /// 1 for `#`.
        level: usize,
        /// The heading's text.
        text: String,
        /// The numbers it names.
        names: Named,
    },
    /// A chapter (فصل / Chapter) outside a heading.
    Chapter {
        /// The clean label for breadcrumbs.
        label: String,
    },
    /// An article (ماده N / Article N) outside a heading, with its amendment note
    /// («اصلاحی ۱۳۷۱/۰۸/۲۴») when the marker carries one.
    Article {
        /// The clean label («ماده ۱۲ (اصلاحی ۱۳۷۱)»).
        label: String,
        /// The canonical number («12», «10 مکرر»).
        number: String,
        /// The amendment note, when the marker carries one.
        amendment: Option<String>,
    },
    /// A lettered or numbered clause (بند «د» / Clause (d)) or an ISO clause number line.
    Clause {
        /// The clean label.
        label: String,
        /// The letter or number, canonical.
        number: String,
    },
    /// A note (تبصره N / Note N).
    Note {
        /// The clean label.
        label: String,
        /// The number; "" for an unnumbered note.
        number: String,
    },
    /// A numbered item («۱-»، «1)»): a بند when it sits inside an article, plain text
    /// elsewhere (the chunker decides, since only it knows the context).
    Item {
        /// The clean label.
        label: String,
        /// The number, canonical.
        number: String,
    },
}

/// Article/clause/note numbers named by a heading's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    /// The article number.
    pub article: Option<String>,
    pub(crate) amendment: Option<String>,
    /// The clause letter or number.
    pub clause: Option<String>,
    /// The note number.
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

/// Version of the structure reader, recorded with each indexed document: bumped when law
/// markers are read differently enough that a document's units change, so the next `index`
/// reads such documents again although their files are unchanged. 1: «ماده واحده» in
/// queries, markers stretched with tatweel, parenthesized numbers, articles and principles
/// («اصل») numbered in words.
pub const STRUCTURE_VERSION: u32 = 1;

const NUM: &str = r"[0-9۰-۹٠-٩]+";
const LETTER: &str = r"(?:الف|[بپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیكي])";
/// Space in a marker: blanks, the zero-width non-joiner and the stand-in for emphasis.
const S: &str = r"[\s\u{200C}\u{1F}]";
/// What ends a marker: punctuation, tatweel, the end of an emphasis run, or a full stop
/// followed by a space (a dot before a digit is part of "6.1.2", not an end).
const SEP: &str = r"(?:[:：\-–—ـ)\u{1F}]|\.(?:\s|$))";
/// Stands in for an emphasis run (`**`, `__`) so it separates like punctuation.
const EMPH: char = '\u{1F}';

/// A Persian ordinal number in words, as a constitution numbers its principles («اصل
/// پنجاهم»، «اصل صد و پنجاه و ششم») and older laws their articles («ماده اول»): cardinal
/// parts joined by «و», then an ordinal. Longer words come first where one starts another.
pub const ORDINAL_WORDS: &str = r"(?:(?:صد|دویست|سیصد|بیست|سی|چهل|پنجاه|شصت|هفتاد|هشتاد|نود|یازده|دوازده|سیزده|چهارده|پانزده|شانزده|هفده|هجده|هیجده|نوزده|ده|یک|دو|سه|چهار|پنج|شش|هفت|هشت|نه)[\s\u{200C}]+و[\s\u{200C}]+)*(?:یکم|اول|دوم|سوم|چهارم|پنجم|ششم|هفتم|هشتم|نهم|یازدهم|دوازدهم|سیزدهم|چهاردهم|پانزدهم|شانزدهم|هفدهم|هجدهم|هیجدهم|نوزدهم|دهم|بیستم|سی[\s\u{200C}]?ام|سیم|چهلم|پنجاهم|شصتم|هفتادم|هشتادم|نودم|صدم|دویستم)";

/// The value of a number written in Persian words, ordinal ([`ORDINAL_WORDS`]: «چهل و نهم»
/// is 49) or cardinal («تبصره دو»). `None` when a part is not a number word. The one
/// reader of number words, for articles, principles and notes alike.
pub fn number_words(words: &str) -> Option<u32> {
    const CARDINALS: [(&str, u32); 31] = [
        ("یک", 1),
        ("دو", 2),
        ("سه", 3),
        ("چهار", 4),
        ("پنج", 5),
        ("شش", 6),
        ("هفت", 7),
        ("هشت", 8),
        ("نه", 9),
        ("ده", 10),
        ("یازده", 11),
        ("دوازده", 12),
        ("سیزده", 13),
        ("چهارده", 14),
        ("پانزده", 15),
        ("شانزده", 16),
        ("هفده", 17),
        ("هجده", 18),
        ("هیجده", 18),
        ("نوزده", 19),
        ("بیست", 20),
        ("سی", 30),
        ("چهل", 40),
        ("پنجاه", 50),
        ("شصت", 60),
        ("هفتاد", 70),
        ("هشتاد", 80),
        ("نود", 90),
        ("صد", 100),
        ("دویست", 200),
        ("سیصد", 300),
    ];
    let cardinal = |w: &str| CARDINALS.iter().find(|(c, _)| *c == w).map(|(_, v)| *v);
    let words = words.replace('\u{200C}', " ").replace("سی ام", "سیام");
    let parts: Vec<&str> = words.split_whitespace().filter(|w| *w != "و").collect();
    let (last, rest) = parts.split_last()?;
    let mut total = 0;
    for w in rest {
        total += cardinal(w)?;
    }
    let ordinal = match *last {
        "اول" => 1,
        "سوم" => 3,
        "سیم" | "سیام" => 30,
        w => cardinal(w).or_else(|| cardinal(w.strip_suffix('م')?))?,
    };
    Some(total + ordinal)
}

static HEADING: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$").expect("a valid static pattern"));

/// An article marker; `end` says what may follow the number (a separator on a plain
/// line, where «ماده ۶ وظایف ...» is prose; also a space in a heading).
fn article_re(end: &str) -> Regex {
    Regex::new(&format!(
        r"^(?P<kw>ماده|مادّه|مادۀ|مادهٔ|اصل){S}*\(?{S}*(?P<num>{NUM}|واحده|{ORDINAL_WORDS}){S}*\)?(?P<rep>{S}*مکرر(?:{S}*(?P<repn>{NUM}))?)?(?:{S}*(?:\((?P<am1>[^()]{{1,60}})\)|(?P<am2>اصلاحی|الحاقی|منسوخ|منسوخه)))?{S}*(?P<end>{end})"
    ))
    .expect("a valid static pattern")
}
static FA_ARTICLE_LINE: Lazy<Regex> = Lazy::new(|| article_re(&format!("$|{SEP}")));
static FA_ARTICLE: Lazy<Regex> = Lazy::new(|| article_re(&format!(r"$|{SEP}|\s")));
static EN_ARTICLE_LINE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r"^(?i:article){S}+(?P<num>[0-9]+)(?P<rep>{S}*(?i:bis))?{S}*(?:$|{SEP})"
    ))
    .expect("a valid static pattern")
});
static EN_ARTICLE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r"^(?i:article){S}+(?P<num>[0-9]+)(?P<rep>{S}*(?i:bis))?(?:$|{SEP}|\s)"
    ))
    .expect("a valid static pattern")
});
fn note_re(end: &str) -> Regex {
    Regex::new(&format!(
        r"^تبصره(?:{S}*\({S}*(?P<pnum>{NUM}){S}*\)|{S}*(?P<num>{NUM})|{S}+(?P<ord>یک|اول|دوم|دو|سوم|سه|چهارم|چهار|پنجم|پنج)\b)?(?:{S}*\((?P<am1>[^()]{{1,60}})\))?{S}*(?:{end})"
    ))
    .expect("a valid static pattern")
}
static FA_NOTE_LINE: Lazy<Regex> = Lazy::new(|| note_re(&format!("$|{SEP}")));
static FA_NOTE: Lazy<Regex> = Lazy::new(|| note_re(&format!(r"$|{SEP}|\s")));
static EN_NOTE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r"^(?i:note)(?:{S}+(?P<num>[0-9]+))?{S}*(?:$|{SEP})"
    ))
    .expect("a valid static pattern")
});
/// «بند الف -»، «بند «د»:»، «بند ۱۲:» on a plain line: the separator is required, so a
/// paragraph that starts «بند ۸ توسعه ...» or «بند 6.1.2 قلب ...» stays a paragraph.
static FA_CLAUSE_LINE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r#"^بند{S}*[«"'(]?{S}*(?P<num>{LETTER}|{NUM})(?:{S}*[»"'])?(?:{S}*(?:$|{SEP}))"#
    ))
    .expect("a valid static pattern")
});
/// A bare clause letter: «الف-»، «ب ـ»، «ج)»، «(د)»، «دـ»، «ه:».
static FA_LETTER_LINE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r#"^[«"(]?(?P<num>{LETTER})[»"]?{S}*[)\-–—ـ:](?:$|[^\-])"#
    ))
    .expect("a valid static pattern")
});
/// A numbered item: «۱-»، «1)»، «۲ ـ» (not «۱-۲» or a date).
static ITEM_LINE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r"^\(?(?P<num>{NUM}){S}*[)\-–—ـ](?:$|[^0-9۰-۹٠-٩/\-])"
    ))
    .expect("a valid static pattern")
});
static POLICY_CLAUSE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(r"^بند{S}+[«]?(?P<num>{NUM}|{LETTER})")).expect("a valid static pattern")
});
fn en_clause_re(end: &str) -> Regex {
    Regex::new(&format!(
        r"^(?i:clause|paragraph|item){S}+\(?(?P<num>[a-zA-Z]|[0-9]+(?:\.[0-9]+)*)\)?{S}*(?:{end})"
    ))
    .expect("a valid static pattern")
}
static EN_CLAUSE_LINE: Lazy<Regex> = Lazy::new(|| en_clause_re(&format!("$|{SEP}")));
static EN_CLAUSE: Lazy<Regex> = Lazy::new(|| en_clause_re(&format!(r"$|{SEP}|\s")));
static FA_CHAPTER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(r"^فصل{S}+(?:{NUM}|اول|نخست|\S+م)(?:$|{S}|{SEP})"))
        .expect("a valid static pattern")
});
static EN_CHAPTER: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(
        r"^(?i:chapter){S}+(?:[0-9]+|[ivxlc]+|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    ))
    .expect("a valid static pattern")
});
static ISO: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^([0-9]{1,2}(?:\.[0-9]{1,2}){0,4})\.?[ \t]+\S").expect("a valid static pattern")
});
static ISO_DOTTED: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r"^([0-9]{1,2}(?:\.[0-9]{1,2}){1,4})[ \t]+\S").expect("a valid static pattern")
});
static YEAR: Lazy<Regex> =
    Lazy::new(|| Regex::new(r"[0-9۰-۹٠-٩]{4}").expect("a valid static pattern"));

/// A structural line is short: a chapter or ISO clause line with more words than this is
/// a paragraph that happens to start with the keyword.
const MAX_TITLE_WORDS: usize = 14;
/// Longest label kept whole; longer heading texts are shortened at a word edge.
const MAX_LABEL_CHARS: usize = 120;

/// The line with emphasis runs (`**`, `__`, `*`) replaced by [`EMPH`], no-break spaces as
/// spaces, and the lead (blanks, bidi marks, ZWNJ, a list bullet, emphasis) removed.
/// Returns the cleaned text and whether a list bullet was removed.
fn clean(line: &str) -> (String, bool) {
    let mut s = line.trim_start();
    let mut bulleted = false;
    for bullet in ["- ", "+ ", "* ", "• "] {
        if let Some(rest) = s.strip_prefix(bullet) {
            s = rest;
            bulleted = true;
            break;
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                out.push(EMPH);
            }
            '_' if chars.peek() == Some(&'_') => {
                while chars.peek() == Some(&'_') {
                    chars.next();
                }
                out.push(EMPH);
            }
            '\u{A0}' | '\u{202F}' | '\u{2007}' => out.push(' '),
            _ => out.push(c),
        }
    }
    let lead = |c: char| {
        c.is_whitespace()
            || c == EMPH
            || matches!(
                c,
                '\u{200C}' | '\u{200D}' | '\u{200E}' | '\u{200F}' | '\u{202A}'
                    ..='\u{202E}' | '\u{FEFF}'
            )
    };
    let out = out.trim_start_matches(lead);
    (unstretch_keyword(out), bulleted)
}

/// Marker words a page may stretch with tatweel for display («مـــاده ۳»، «تبـصره»).
const KEYWORDS: [&str; 7] = ["ماده", "مادّه", "اصل", "تبصره", "بند", "فصل", "بخش"];

/// The line with tatweel dropped from its first word when that word is a marker keyword
/// stretched for display. Only there: elsewhere a tatweel is often the separator after a
/// number or a clause letter («ماده ۱۷۵ـ»، «دـ») and must stay.
fn unstretch_keyword(line: &str) -> String {
    let end = line
        .find(|c: char| !(c == 'ـ' || c.is_alphabetic() || c == '\u{651}'))
        .unwrap_or(line.len());
    let (word, rest) = line.split_at(end);
    let bare: String = word.chars().filter(|&c| c != 'ـ').collect();
    // A trailing tatweel right after the keyword («مادهـ ۳») is a separator, not a stretch.
    if bare.len() != word.len() && KEYWORDS.contains(&bare.as_str()) && !word.ends_with('ـ') {
        format!("{bare}{rest}")
    } else {
        line.to_string()
    }
}

/// Readable text of a cleaned line: emphasis stand-ins dropped, blanks collapsed.
fn plain(text: &str) -> String {
    text.replace(EMPH, " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A line as readers see it: emphasis marks, heading marks and bullets dropped, blanks
/// collapsed (for titles and labels).
pub fn display_text(line: &str) -> String {
    let t = line.trim_start();
    let t = t.trim_start_matches('#');
    plain(&clean(t).0)
}

/// `text` whole when short, else cut at the last word edge before the limit with "…", so
/// a label never ends inside a word.
fn short_label(text: &str) -> String {
    shorten(text, MAX_LABEL_CHARS)
}

/// Longest document title kept whole. A title is copied into every chunk's breadcrumb,
/// so an unbounded one (a `<title>` left open over a whole page) would cost its length
/// times the number of chunks.
const MAX_TITLE_CHARS: usize = 300;

/// A document title as shown and stored: [`display_text`], cut at a word edge past
/// [`MAX_TITLE_CHARS`].
pub fn title_text(line: &str) -> String {
    let cut: String = line.chars().take(MAX_TITLE_CHARS * 4).collect();
    shorten(&display_text(&cut), MAX_TITLE_CHARS)
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().nth(max_chars).is_none() {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let at = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

/// What follows a marker match: the title of a heading such as «ماده ۹: ممنوعیت».
fn after(text: &str, end: usize) -> String {
    plain(
        text[end..].trim_start_matches(|c: char| {
            c.is_whitespace() || c == EMPH || ":：-–—ـ.)".contains(c)
        }),
    )
}

/// An article recognized in a line: canonical number, label and amendment note.
struct ArticleMatch {
    number: String,
    label: String,
    amendment: Option<String>,
    end: usize,
}

fn article_match(re: &Regex, text: &str) -> Option<ArticleMatch> {
    let c = re.captures(text)?;
    let num_raw = c["num"].to_string();
    let mut number = match number_words(&num_raw) {
        Some(n) => n.to_string(),
        None => canonical_number(&num_raw),
    };
    let keyword = if &c["kw"] == "اصل" {
        "اصل"
    } else {
        "ماده"
    };
    let mut label = format!("{keyword} {num_raw}");
    if c.name("rep").is_some() {
        number.push_str(" مکرر");
        label.push_str(" مکرر");
        if let Some(n) = c.name("repn") {
            number.push(' ');
            number.push_str(&canonical_number(n.as_str()));
            label.push(' ');
            label.push_str(n.as_str());
        }
    }
    let amendment = c
        .name("am1")
        .or_else(|| c.name("am2"))
        .map(|m| plain(m.as_str()))
        .filter(|a| !a.is_empty());
    if let Some(a) = &amendment {
        label.push_str(&format!(" ({})", amendment_short(a)));
    }
    let end = c
        .name("end")
        .map_or(c.get(0).expect("group 0 is the whole match").end(), |m| {
            m.start()
        });
    Some(ArticleMatch {
        number,
        label,
        amendment,
        end,
    })
}

/// «اصلاحی ۱۳۷۱/۰۸/۲۴» → «اصلاحی ۱۳۷۱»: the kind of change and its year, for breadcrumbs.
pub fn amendment_short(note: &str) -> String {
    let kind = note.split_whitespace().next().unwrap_or("");
    match YEAR.find(note) {
        Some(y) if kind != y.as_str() => format!("{kind} {}", y.as_str()),
        Some(y) => y.as_str().to_string(),
        None => kind.to_string(),
    }
}

fn en_article_match(re: &Regex, text: &str) -> Option<ArticleMatch> {
    let c = re.captures(text)?;
    let mut number = canonical_number(&c["num"]);
    let mut label = format!("Article {}", &c["num"]);
    if c.name("rep").is_some() {
        number.push_str(" bis");
        label.push_str(" bis");
    }
    Some(ArticleMatch {
        number,
        label,
        amendment: None,
        end: c.get(0).expect("group 0 is the whole match").end(),
    })
}

/// The note number of a «تبصره» match: digits, an ordinal word, or "" when unnumbered.
fn note_number(c: &regex::Captures<'_>) -> (String, String) {
    if let Some(n) = c.name("num").or_else(|| c.name("pnum")) {
        return (canonical_number(n.as_str()), n.as_str().to_string());
    }
    if let Some(o) = c.name("ord") {
        let n = number_words(o.as_str()).map_or(String::new(), |n| n.to_string());
        return (n, o.as_str().to_string());
    }
    (String::new(), String::new())
}

fn note_label(raw: &str) -> String {
    if raw.is_empty() {
        "تبصره".to_string()
    } else {
        format!("تبصره {raw}")
    }
}

/// «بند «الف»» for a letter, «بند ۱۲» for a number.
fn fa_clause_label(raw: &str) -> String {
    if raw
        .chars()
        .any(|c| c.is_ascii_digit() || ('۰'..='۹').contains(&c) || ('٠'..='٩').contains(&c))
    {
        format!("بند {raw}")
    } else {
        format!("بند «{}»", normalize(raw))
    }
}

fn en_clause_label(number: &str) -> String {
    if number.chars().all(|c| c.is_ascii_alphabetic()) {
        format!("Clause ({number})")
    } else {
        format!("Clause {number}")
    }
}

/// What a heading's text names (article, clause, note), for headings such as
/// «ماده ۶: وظایف», "6.1.2 Environmental aspects", «بند ۱۲: ...», "Article 6".
fn names_in_heading(t: &str) -> Named {
    let mut named = Named::default();
    if let Some(a) = article_match(&FA_ARTICLE, t).or_else(|| en_article_match(&EN_ARTICLE, t)) {
        named.article = Some(a.number);
        named.amendment = a.amendment;
    } else if let Some(c) = FA_NOTE.captures(t) {
        named.note = Some(note_number(&c).0);
    } else if let Some(c) = POLICY_CLAUSE.captures(t) {
        named.clause = Some(canonical_number(&c["num"]));
    } else if let Some(c) = EN_CLAUSE.captures(t) {
        named.clause = Some(canonical_number(&c["num"]).to_lowercase());
    } else if let Some(c) = ISO.captures(&normalize(t)) {
        named.clause = Some(c[1].to_string());
    }
    named
}

/// The label of a heading: an article heading gets the article's own label (with its
/// amendment note) and its title; any other heading its text without emphasis marks.
fn heading_label(text: &str) -> String {
    if let Some(a) =
        article_match(&FA_ARTICLE, text).or_else(|| en_article_match(&EN_ARTICLE, text))
    {
        let title = after(text, a.end);
        return if title.is_empty() {
            a.label
        } else {
            short_label(&format!("{}: {title}", a.label))
        };
    }
    short_label(&plain(text))
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Classifies one line (without its line break); `None` for ordinary text.
pub fn classify(line: &str) -> Option<Marker> {
    if let Some(c) = HEADING.captures(line) {
        let (text, _) = clean(c[2].trim());
        let label = heading_label(&text);
        if label.is_empty() {
            return None;
        }
        return Some(Marker::Heading {
            level: c[1].len(),
            names: names_in_heading(&text),
            text: label,
        });
    }
    let (rest, bulleted) = clean(line);
    if rest.is_empty() {
        return None;
    }
    let short = word_count(&plain(&rest)) <= MAX_TITLE_WORDS
        && !plain(&rest).ends_with(['.', '؛', ';', '!', '?', '؟']);
    if short && (FA_CHAPTER.is_match(&rest) || EN_CHAPTER.is_match(&rest)) {
        return Some(Marker::Chapter {
            label: short_label(&plain(&rest)),
        });
    }
    if let Some(a) =
        article_match(&FA_ARTICLE_LINE, &rest).or_else(|| en_article_match(&EN_ARTICLE_LINE, &rest))
    {
        return Some(Marker::Article {
            label: a.label,
            number: a.number,
            amendment: a.amendment,
        });
    }
    if let Some(c) = FA_NOTE_LINE.captures(&rest) {
        let (number, raw) = note_number(&c);
        return Some(Marker::Note {
            label: note_label(&raw),
            number,
        });
    }
    if let Some(c) = EN_NOTE.captures(&rest) {
        let number = c
            .name("num")
            .map_or(String::new(), |m| m.as_str().to_string());
        return Some(Marker::Note {
            label: if number.is_empty() {
                "Note".into()
            } else {
                format!("Note {number}")
            },
            number,
        });
    }
    if let Some(c) = FA_CLAUSE_LINE
        .captures(&rest)
        .or_else(|| FA_LETTER_LINE.captures(&rest))
    {
        let raw = &c["num"];
        return Some(Marker::Clause {
            label: fa_clause_label(raw),
            number: canonical_number(raw),
        });
    }
    if let Some(c) = EN_CLAUSE_LINE.captures(&rest) {
        let number = canonical_number(&c["num"]).to_lowercase();
        return Some(Marker::Clause {
            label: en_clause_label(&number),
            number,
        });
    }
    if let Some(c) = ITEM_LINE.captures(&rest) {
        let raw = &c["num"];
        return Some(Marker::Item {
            label: format!("بند {raw}"),
            number: canonical_number(raw),
        });
    }
    // A bare clause number line in plain text needs a dot (4.4.1) so that numbered
    // lists ("1 item") are not mistaken for structure, and must be short.
    if !bulleted && short {
        if let Some(c) = ISO_DOTTED.captures(&rest) {
            return Some(Marker::Clause {
                label: short_label(&plain(&rest)),
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

    fn article_of(line: &str) -> Option<(String, String, Option<String>)> {
        match classify(line)? {
            Marker::Article {
                label,
                number,
                amendment,
            } => Some((label, number, amendment)),
            _ => None,
        }
    }

    #[test]
    fn number_words_are_numbers() {
        assert_eq!(number_words("پنجاهم"), Some(50));
        assert_eq!(number_words("چهل و نهم"), Some(49));
        assert_eq!(number_words("صد و هفتاد و هفتم"), Some(177));
        assert_eq!(number_words("اول"), Some(1));
        assert_eq!(number_words("سوم"), Some(3));
        assert_eq!(number_words("دوازدهم"), Some(12));
        assert_eq!(number_words("سی\u{200C}ام"), Some(30));
        assert_eq!(number_words("بیست و یکم"), Some(21));
        assert_eq!(number_words("سه"), Some(3));
        assert_eq!(number_words("سبز"), None);
        assert_eq!(number_words("۱۲"), None);
    }

    #[test]
    fn law_site_formatting_of_article_markers() {
        let n = |l: &str| article_of(l).map(|a| a.1);
        assert_eq!(n("**ماده ۱-** متن ماده"), Some("1".into()));
        assert_eq!(n("**ماده****۹-** متن ماده"), Some("9".into()));
        assert_eq!(n("**\u{200C}ماده ۵ –** متن"), Some("5".into()));
        assert_eq!(n("__ماده ۲__ متن ماده"), Some("2".into()));
        assert_eq!(n("ماده ۳ ـ متن"), Some("3".into()));
        assert_eq!(n("ماده ۱۷۵ـ متن"), Some("175".into()));
        // Stretched for display on a web page, with or without emphasis around it.
        assert_eq!(n("مـــاده ۳ـ متن"), Some("3".into()));
        assert_eq!(n("**مـاده ۱۲** - متن"), Some("12".into()));
        assert_eq!(n("ماده واحده ـ متن"), Some("واحده".into()));
        // Parenthesized numbers, and ordinal words as a constitution numbers its principles.
        assert_eq!(n("ماده (۱) ـ متن"), Some("1".into()));
        assert_eq!(n("ماده ( 12 ): متن"), Some("12".into()));
        assert_eq!(n("اصل پنجاهم ـ متن"), Some("50".into()));
        assert_eq!(n("اصل چهل و نهم ـ متن"), Some("49".into()));
        assert_eq!(n("اصل صد و پنجاه و ششم ـ متن"), Some("156".into()));
        assert_eq!(n("اصـــل پنجاهم ـ متن"), Some("50".into()));
        assert_eq!(n("ماده اول ـ متن"), Some("1".into()));
        assert_eq!(n("ماده دوم مکرر ـ متن"), Some("2 مکرر".into()));
        // Prose that starts with the word is not a marker.
        assert_eq!(n("اصل آلوده‌کننده می‌پردازد در این قانون آمده است."), None);
        assert_eq!(n("ماده دوم این قانون را ببینید."), None);
        assert_eq!(n("ماده ۴ – متن"), Some("4".into()));
        assert_eq!(n("ماده ۴: متن"), Some("4".into()));
        assert_eq!(n("ماده۸ - متن"), Some("8".into()));
        assert_eq!(n("ماده\u{A0}۸\u{A0}– متن"), Some("8".into()));
        // «مادۀ» / «مادهٔ» (the ezafe written on the word) with a parenthesis separator.
        assert_eq!(n("مادۀ ۲) متن"), Some("2".into()));
        assert_eq!(n("مادهٔ ۶ - متن"), Some("6".into()));
        assert_eq!(n("ماده ۱۰ مکرر - متن"), Some("10 مکرر".into()));
        assert_eq!(n("ماده ۱۰ مکرر ۱ - متن"), Some("10 مکرر 1".into()));
        assert_eq!(
            article_of("ماده ۱۲ (اصلاحی ۱۳۷۱/۰۸/۲۴) - متن"),
            Some((
                "ماده ۱۲ (اصلاحی ۱۳۷۱)".into(),
                "12".into(),
                Some("اصلاحی ۱۳۷۱/۰۸/۲۴".into())
            ))
        );
        assert_eq!(
            article_of("ماده ۴۲ اصلاحی – متن").map(|a| a.0),
            Some("ماده ۴۲ (اصلاحی)".into())
        );
        assert_eq!(
            article_of("ماده ۷ (الحاقی ۱۳۸۰/۰۱/۰۱)- متن").map(|a| a.0),
            Some("ماده ۷ (الحاقی ۱۳۸۰)".into())
        );
        // The heading form keeps its title and loses its marks.
        let Some(Marker::Heading { text, names, .. }) =
            classify("## **ماده ۱۲۱۰**(اصلاحی ۱۳۷۰/۰۸/۱۴)–**")
        else {
            panic!()
        };
        assert_eq!(text, "ماده ۱۲۱۰ (اصلاحی ۱۳۷۰)");
        assert_eq!(names.article.as_deref(), Some("1210"));
    }

    #[test]
    fn law_site_formatting_of_clauses_notes_and_items() {
        assert_eq!(number_of("الف- متن بند"), Some("الف".into()));
        assert_eq!(number_of("ب ـ متن بند"), Some("ب".into()));
        assert_eq!(number_of("ج) متن بند"), Some("ج".into()));
        assert_eq!(number_of("دـ متن بند"), Some("د".into()));
        assert_eq!(number_of("تبصره - متن"), Some("".into()));
        assert_eq!(number_of("تبصره ۱ - متن"), Some("1".into()));
        assert_eq!(number_of("**تبصره ۲**- متن"), Some("2".into()));
        assert_eq!(number_of("تبصره دوم - متن"), Some("2".into()));
        assert!(matches!(classify("۱- متن"), Some(Marker::Item { .. })));
        assert!(matches!(classify("1) متن"), Some(Marker::Item { .. })));
        assert_eq!(classify("۱۴۰۰/۰۵/۲۰ تصویب شد"), None);
        // Paragraphs that begin with a keyword are paragraphs.
        assert_eq!(classify("بند ۸ توسعه اقتصاد سبز را هدف می‌گیرد."), None);
        assert_eq!(classify("بند 6.1.2 قلب فنی ISO 14001 است."), None);
        assert_eq!(
            classify("Clause 6.1.2 is the technical heart of ISO 14001."),
            None
        );
        assert_eq!(
            classify("تبصره ذیل بند «الف» به آیین‌نامه ارجاع می‌دهد."),
            None
        );
        assert_eq!(
            classify("فصل بهار زمان کاشت است و کشاورزان آماده می‌شوند."),
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
