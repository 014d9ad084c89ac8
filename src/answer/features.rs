//! What the evidence scorer sees: the kind of answer a question asks for, what a candidate
//! sentence holds, and the feature vector that puts the two side by side.
//!
//! Owns the question types (who, when, how many, penalty, deadline, definition, list,
//! yes/no), the sentence traits that can answer them (numbers, durations, money, penalties,
//! responsible bodies, definitions, lists), the meta-sentence and heading tests, and the
//! order of [`FEATURE_NAMES`], which the fitted weights in `scorer.json` follow. It does not
//! weigh the features (`scorer` does) or choose sentences (`evidence` and `compose` do).

use std::sync::LazyLock;

use regex::Regex;

use crate::lexical::{LexicalHit, Lookup};
use crate::text::Lang;

/// The kinds of answer a question can ask for; a question may ask for several.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asks {
    /// Who is responsible or decides: an organisation, authority or person.
    pub who: bool,
    /// When, how long or how often: a date, deadline or period.
    pub time: bool,
    /// How much or how many.
    pub quantity: bool,
    /// The penalty or sanction for a breach.
    pub penalty: bool,
    /// What something is: a definition.
    pub definition: bool,
    /// Which items, steps or requirements: a list.
    pub list: bool,
    /// Whether something holds: a yes-or-no question, answered by a rule.
    pub yes_no: bool,
    /// Where.
    pub place: bool,
    /// Why, or what causes something: a reason.
    pub reason: bool,
}

/// What a sentence holds that could answer one of the [`Asks`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holds {
    /// A number, in digits or words.
    pub number: bool,
    /// A period or deadline (a time word together with a number).
    pub duration: bool,
    /// A sum of money (rials, tomans, dollars, euros).
    pub money: bool,
    /// A penalty: prison, a fine, closure and the like.
    pub penalty: bool,
    /// An organisation, authority or office that could be the "who".
    pub body: bool,
    /// Definition wording ("means", «عبارت است از»).
    pub definition: bool,
    /// Signs of an enumeration: a colon, several commas, "including".
    pub list: bool,
    /// Obligation or prohibition wording ("shall", «موظف», «ممنوع»).
    pub obligation: bool,
    /// Reason or cause wording («زیرا», «به دلیل», «باعث», "because", "due to").
    pub reason: bool,
    /// The sentence talks about the document itself ("this note does not quote ...").
    pub meta: bool,
}

/// A pattern compiled once; every pattern here is a literal of this file.
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("the patterns of this file are valid")
}

// Questions are matched after `crate::text::normalize` (Persian letter forms, ASCII digits,
// lowercase Latin), with ZWNJ read as a space.
static ASK_WHO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"چه کس|چه نهاد|کدام نهاد|کدام سازمان|کدام دستگاه|کدام مرجع|چه مرجع|چه سازمان|چه دستگاه|مسئول|متولی|بر عهده|عهده دار|\bwho\b|\bwhom\b|which (body|authority|organi[sz]ation|agency)|responsib",
    )
});
static ASK_TIME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"مهلت|چه مدت|چند روز|چند ماه|چند سال|چه زمان|تا کی|\bکی\b|چه تاریخ|کدام سال|چه سالی|\bwhen\b|how long|deadline|within how|what date|which year|how often|هر چند وقت",
    )
});
static ASK_QUANTITY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"چند|چقدر|چه میزان|چه مقدار|چه تعداد|چه درصد|how many|how much|what percentage|what share|what amount|number of",
    )
});
static ASK_PENALTY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"مجازات|جریمه|جزای نقدی|حبس|تنبیه|ضمانت اجرا|تخلف|\bpenalt|\bfine[sd]?\b|punish|sanction|imprison|offence|offense",
    )
});
static ASK_DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"چیست|چی است|یعنی چه|تعریف|منظور از|مقصود از|به چه معناست|چه معنایی|what is|what are|what does .* mean|\bdefin|\bmeaning\b|stands? for",
    )
});
static ASK_LIST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"چه موارد|چه چیزهای|کدام ها|کدامند|کدام اند|چه ورودی|چه اقدامات|چه الزامات|چه گام|مراحل|اجزای|انواع|فهرست|what (are|must|should)|which (are|items|inputs|steps)|\blist\b|include|steps|elements",
    )
});
static ASK_YES_NO: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(آیا|ایا)|^(is|are|does|do|can|must|should|may|will|has|have)\b"));
static ASK_PLACE: LazyLock<Regex> = LazyLock::new(|| re(r"کجا|در چه محل|\bwhere\b"));
static ASK_REASON: LazyLock<Regex> = LazyLock::new(|| {
    re(r"چرا|به چه دلیل|به چه علت|علت|دلیل|باعث|موجب|\bwhy\b|what causes|\bcauses?\b|reason")
});

static HOLD_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\d|\b(یک|دو|سه|چهار|پنج|شش|هفت|هشت|نه|ده|بیست|سی|صد|هزار|میلیون|میلیارد|one|two|three|four|five|six|seven|eight|nine|ten|twelve|hundred|thousand|million)\b",
    )
});
static HOLD_DURATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"روز|ماه|سال|هفته|ساعت|مهلت|ظرف|حداکثر|حداقل|پس از|قبل از|\bdays?\b|\bmonths?\b|\byears?\b|\bweeks?\b|\bhours?\b|within|annual|yearly|deadline|\bby\b \d",
    )
});
static HOLD_MONEY: LazyLock<Regex> = LazyLock::new(|| re(r"ریال|تومان|\brials?\b|دلار|\$|یورو|€"));
static HOLD_PENALTY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"حبس|جزای نقدی|مجازات|جریمه|محکوم|تعطیل|جلوگیری|پلمب|ضبط|penalt|\bfined?\b|imprison|punish|sanction|closure|suspend",
    )
});
static HOLD_BODY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"سازمان|وزارت|شورا|دولت|دادگاه|مرجع|هیئت|هیات|اداره|دستگاه|شهرداری|رئیس|مدیر|نهاد|کمیته|organi[sz]ation|ministry|council|department|court|authority|management|committee|government|agency",
    )
});
static HOLD_DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"عبارت است از|عبارتند از|عبارت اند از|یعنی|منظور از|مقصود از|به معنای|تعریف|اطلاق می|گفته می شود|\bmeans?\b|is defined|refers? to|is the|are the|definition",
    )
});
// On the training questions that ask why, the sentence holding the answer has one of these
// twice as often (30%) as the other sentences of its passage (15%).
static HOLD_REASON: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"زیرا|چون|چرا که|به دلیل|به علت|به سبب|به خاطر|بخاطر|ناشی از|باعث|موجب|سبب|از آنجا که|از این رو|در نتیجه|دلیل|علت|because|due to|caused by|as a result|result of|leads? to|reason",
    )
});
static HOLD_LIST: LazyLock<Regex> =
    LazyLock::new(|| re(r"[:：]|[،,].*[،,]|شامل|از جمله|عبارتند از|include|including|such as"));
static HOLD_OBLIGATION: LazyLock<Regex> = LazyLock::new(|| {
    re(r"موظف|مکلف|باید|الزامی|ملزم|ممنوع|\bshall\b|\bmust\b|required|prohibit|obliged")
});
static HOLD_META: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"این (یادداشت|جزوه|سند|نوشته|راهنما|درسنامه|درس نامه)|نقل نمی|به زبان خود ما|متن رسمی .*(کنترل|بررسی|مراجعه)|this (note|handout|document|course note|guide)|in our own words|does not quote|not quote|official text|check the exact",
    )
});

/// Clause numbers such as 6.1.2 and the numbers after «ماده»/«اصل»/article: the unit a
/// question names, compared with the passage's breadcrumb.
static UNIT_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(\d+(?:\.\d+)+)\b|(?:ماده|اصل|بند|تبصره|article|clause|section)\s*(\d+(?:\.\d+)*)")
});

/// Text as the patterns expect it: search normalization and ZWNJ as a space.
fn folded(text: &str) -> String {
    crate::text::normalize(text).replace('\u{200C}', " ")
}

/// What `question` asks for.
pub fn asks(question: &str) -> Asks {
    let q = folded(question);
    let q = q.trim();
    Asks {
        who: ASK_WHO.is_match(q),
        time: ASK_TIME.is_match(q),
        quantity: ASK_QUANTITY.is_match(q),
        penalty: ASK_PENALTY.is_match(q),
        definition: ASK_DEFINITION.is_match(q),
        list: ASK_LIST.is_match(q),
        yes_no: ASK_YES_NO.is_match(q),
        place: ASK_PLACE.is_match(q),
        reason: ASK_REASON.is_match(q),
    }
}

/// What `sentence` holds.
pub fn holds(sentence: &str) -> Holds {
    let s = folded(sentence);
    Holds {
        number: HOLD_NUMBER.is_match(&s),
        duration: HOLD_DURATION.is_match(&s) && HOLD_NUMBER.is_match(&s),
        money: HOLD_MONEY.is_match(&s),
        penalty: HOLD_PENALTY.is_match(&s),
        body: HOLD_BODY.is_match(&s),
        definition: HOLD_DEFINITION.is_match(&s),
        list: HOLD_LIST.is_match(&s),
        obligation: HOLD_OBLIGATION.is_match(&s),
        meta: HOLD_META.is_match(&s),
        reason: HOLD_REASON.is_match(&s),
    }
}

/// The unit numbers a question names (clause numbers such as "6.1.2", article numbers).
pub fn named_units(question: &str) -> Vec<String> {
    let q = folded(question);
    UNIT_NUMBER
        .captures_iter(&q)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().to_string())
        .collect()
}

/// Whether `hit` is the unit the question names: the structural look-up when it names an
/// article, else a named clause number (6.1.2) as a word of the breadcrumb below the title.
/// `None` when the question names no unit.
pub fn in_named_unit(lookup: &Lookup, units: &[String], hit: &LexicalHit) -> Option<bool> {
    if let Some(unit) = crate::lexical::UnitRef::named_by(lookup) {
        return Some(unit.contains(hit));
    }
    let dotted: Vec<&String> = units.iter().filter(|u| u.contains('.')).collect();
    if dotted.is_empty() {
        return None;
    }
    let crumbs = hit
        .breadcrumb
        .iter()
        .skip(1)
        .map(|c| folded(c))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = crumbs
        .split(|c: char| !(c.is_alphanumeric() || c == '.'))
        .map(|w| w.trim_end_matches('.'))
        .collect();
    Some(dotted.iter().any(|u| words.contains(&u.as_str())))
}

/// Whether a sentence reads as a heading or a label rather than a statement: a Markdown
/// heading line, the same words as a breadcrumb element or the title, or few words without
/// closing punctuation that are not a list item. `line_start` is what precedes the sentence
/// on its line in the stored text (a bullet, heading marks, or nothing).
pub fn heading_like(sentence: &str, line_start: &str, hit: &LexicalHit) -> bool {
    let marks = line_start.trim();
    if marks.starts_with('#') {
        return true;
    }
    let listed = marks.starts_with(['-', '*', '•', '+']) || marks.ends_with(['(', ')', '-']);
    let s = folded(sentence);
    let s = s.trim().trim_end_matches([':', '：']);
    let words = s.split_whitespace().count();
    let closed = s.ends_with(['.', '؟', '?', '!', '؛', ';', '»', ')']);
    if !closed && words <= 8 && !listed {
        return true;
    }
    let bare = |t: &str| {
        folded(t)
            .chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace())
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let this = bare(s);
    std::iter::once(&hit.title)
        .chain(hit.breadcrumb.iter())
        .any(|t| bare(t) == this)
}

/// The order of the feature vector; `scorer.json` names its weights in this order.
pub const FEATURE_NAMES: [&str; 28] = [
    "cosine",
    "cosine_gap",
    "passage_similarity",
    "passage_rank",
    "overlap",
    "overlap_gap",
    "breadcrumb_overlap",
    "cross_lingual",
    "cosine_cross_lingual",
    "in_named_unit",
    "outside_named_unit",
    "asks_penalty_holds_penalty",
    "asks_time_holds_duration",
    "asks_quantity_holds_number",
    "asks_who_holds_body",
    "asks_definition_holds_definition",
    "asks_list_holds_list",
    "asks_yes_no_holds_obligation",
    "holds_money_or_number",
    "meta",
    "heading",
    "first_in_passage",
    "length",
    "no_overlap",
    "weighted_overlap",
    "weighted_overlap_gap",
    "previous_overlap",
    "asks_reason_holds_reason",
];

/// Number of features.
pub const N_FEATURES: usize = FEATURE_NAMES.len();

/// The facts about one candidate the features are built from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// Cosine of the sentence with the question (0 without the model).
    pub cosine: f32,
    /// The best cosine among all candidates, so a sentence is also judged against its rivals.
    pub best_cosine: f32,
    /// The retrieval similarity of the sentence's passage with the question (0 when unknown).
    pub passage_similarity: f32,
    /// Rank of the passage in the retrieved list, from 0.
    pub passage_rank: usize,
    /// Share of the question terms that the sentence holds.
    pub overlap: f32,
    /// The best overlap among all candidates.
    pub best_overlap: f32,
    /// Overlap with each question term weighted by how rare it is among the candidates
    /// (a term every candidate shares, such as the law's name, tells them apart least).
    pub weighted_overlap: f32,
    /// The best weighted overlap among all candidates.
    pub best_weighted_overlap: f32,
    /// Overlap of the sentence before it in the same passage: an answer often follows the
    /// sentence that restates the question's terms.
    pub previous_overlap: f32,
    /// Overlap of the question terms with the passage's breadcrumb (title, headings, unit).
    pub breadcrumb_overlap: f32,
    /// The question's language, if known.
    pub question_lang: Option<Lang>,
    /// The sentence's language, if known: a sentence in the other language than the
    /// question's gets its own features.
    pub sentence_lang: Option<Lang>,
    /// Whether the passage is the unit the question names; `None` when it names none.
    pub in_named_unit: Option<bool>,
    /// What the question asks for.
    pub asks: Asks,
    /// What the sentence holds that could answer it.
    pub holds: Holds,
    /// The sentence reads as a heading or title rather than a statement.
    pub heading: bool,
    /// The sentence is the first candidate taken from its passage.
    pub first_in_passage: bool,
    /// The sentence's length in characters (long sentences carry more, and more noise).
    pub chars: usize,
}

/// The feature vector of one candidate, in [`FEATURE_NAMES`] order.
pub fn vector(f: &Facts) -> [f32; N_FEATURES] {
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    let cross = b(f.question_lang.is_some() && f.question_lang != f.sentence_lang);
    let (a, h) = (f.asks, f.holds);
    [
        f.cosine,
        f.cosine - f.best_cosine,
        f.passage_similarity,
        1.0 / (1.0 + f.passage_rank as f32),
        f.overlap,
        f.overlap - f.best_overlap,
        f.breadcrumb_overlap,
        cross,
        f.cosine * cross,
        b(f.in_named_unit == Some(true)),
        b(f.in_named_unit == Some(false)),
        b(a.penalty && h.penalty),
        b(a.time && h.duration),
        b(a.quantity && h.number),
        b(a.who && h.body),
        b(a.definition && h.definition),
        b(a.list && h.list),
        b(a.yes_no && h.obligation),
        b(h.money || h.number),
        b(h.meta),
        b(f.heading),
        b(f.first_in_passage),
        (f.chars as f32 / 200.0).min(3.0),
        b(f.overlap == 0.0),
        f.weighted_overlap,
        f.weighted_overlap - f.best_weighted_overlap,
        f.previous_overlap,
        b(a.reason && h.reason),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_types_in_both_languages() {
        let a = asks("مجازات تخلیه پساب بدون مجوز چیست؟");
        assert!(a.penalty && a.definition && !a.who);
        let a = asks("چه نهادی مسئول صدور مجوز است؟");
        assert!(a.who);
        let a = asks("مهلت رفع آلودگی چند روز است؟");
        assert!(a.time && a.quantity);
        let a = asks("آیا واحد صنعتی باید گزارش سالانه بدهد؟");
        assert!(a.yes_no);
        let a = asks("Who approves the energy baseline?");
        assert!(a.who && !a.yes_no);
        let a = asks("Does ISO 14004 add requirements?");
        assert!(a.yes_no);
        let a = asks("چرا واحد صنعتی پلمب شد؟");
        assert!(a.reason && !a.who);
        assert!(asks("What causes acid rain?").reason);
        assert!(holds("این واحد تعطیل شد زیرا پساب را بدون تصفیه تخلیه می‌کرد.").reason);
        assert!(holds("The permit lapsed due to missing reports.").reason);
        assert!(!holds("گزارش سالانه تا پایان خرداد ارسال می‌شود.").reason);
        let a = asks("What must an energy review include?");
        assert!(a.list);
        assert_eq!(asks("ماده ۶ قانون"), Asks::default());
    }

    #[test]
    fn sentence_traits() {
        let h = holds("متخلف به حبس از ۹۱ روز تا یک سال یا جزای نقدی محکوم می‌شود.");
        assert!(h.penalty && h.number && h.duration && !h.meta);
        let h = holds("آلودگی محیط زیست عبارت است از پخش مواد خارجی در آب یا هوا.");
        assert!(h.definition);
        let h = holds("این جزوه متن استاندارد را نقل نمی‌کند.");
        assert!(h.meta);
        let h = holds("The explanation is in our own words and does not quote the law.");
        assert!(h.meta);
        let h = holds("The organization shall retain documented information.");
        assert!(h.obligation && h.body && !h.number);
    }

    #[test]
    fn named_units_are_clause_and_article_numbers() {
        assert_eq!(
            named_units("ISO 14001 بند 6.1.2 از سازمان چه می‌خواهد؟"),
            vec!["6.1.2"]
        );
        assert_eq!(named_units("ماده ۱۱ قانون حفاظت"), vec!["11"]);
        assert!(named_units("مجازات آلودگی هوا چیست؟").is_empty());
    }

    #[test]
    fn the_vector_follows_the_names() {
        let f = Facts {
            cosine: 0.9,
            best_cosine: 0.95,
            overlap: 0.0,
            asks: asks("مجازات چیست؟"),
            holds: holds("به جزای نقدی محکوم می‌شود."),
            question_lang: Some(Lang::En),
            sentence_lang: Some(Lang::Fa),
            ..Facts::default()
        };
        let v = vector(&f);
        let at = |name: &str| v[FEATURE_NAMES.iter().position(|n| *n == name).unwrap()];
        assert_eq!(at("cosine"), 0.9);
        assert!((at("cosine_gap") + 0.05).abs() < 1e-6);
        assert_eq!(at("cross_lingual"), 1.0);
        assert_eq!(at("asks_penalty_holds_penalty"), 1.0);
        assert_eq!(at("no_overlap"), 1.0);
        assert_eq!(at("in_named_unit"), 0.0);
    }
}
