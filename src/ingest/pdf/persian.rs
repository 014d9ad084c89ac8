//! Repair of Persian text as PDF extraction leaves it.
//!
//! Owns the fixes that need no page geometry: presentation forms (U+FB50–U+FDFF,
//! U+FE70–U+FEFF) folded to base letters, spaces that split a word where a joining form
//! shows the word goes on, visually ordered (reversed) lines detected and put back in
//! logical order, and running headers, footers and page numbers that repeat on every page.
//! Ordering glyphs by position and joining lines into paragraphs is `layout`'s job.

use unicode_normalization::UnicodeNormalization;

use crate::text::stopwords::is_persian_stopword;

/// Whether `c` is in one of the Arabic presentation-form blocks.
pub fn is_presentation_form(c: char) -> bool {
    matches!(c, '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFE}')
}

/// Presentation forms of dual-joining letters come in runs of four: isolated, final,
/// initial, medial. These are the first code points of those runs.
const FOUR_FORM_STARTS: &[u32] = &[
    0xFE89, 0xFE8F, 0xFE95, 0xFE99, 0xFE9D, 0xFEA1, 0xFEA5, 0xFEB1, 0xFEB5, 0xFEB9, 0xFEBD, 0xFEC1,
    0xFEC5, 0xFEC9, 0xFECD, 0xFED1, 0xFED5, 0xFED9, 0xFEDD, 0xFEE1, 0xFEE5, 0xFEE9, 0xFEF1, 0xFB56,
    0xFB7A, 0xFB8E, 0xFB92, 0xFBFC,
];

/// Position of `c` in its run of four forms (0 isolated, 1 final, 2 initial, 3 medial).
fn four_form_index(c: char) -> Option<u32> {
    let c = c as u32;
    FOUR_FORM_STARTS
        .iter()
        .find(|&&s| (s..s + 4).contains(&c))
        .map(|&s| c - s)
}

/// The form joins the letter after it (initial or medial): the word goes on.
pub fn joins_next(c: char) -> bool {
    matches!(four_form_index(c), Some(2 | 3))
}

/// The form joins the letter before it (final or medial).
pub fn joins_previous(c: char) -> bool {
    matches!(four_form_index(c), Some(1 | 3)) || (is_presentation_form(c) && two_form_final(c))
}

/// Final forms of right-joining letters (alef, dal, reh, waw, lam-alef…), which come in
/// pairs isolated/final.
fn two_form_final(c: char) -> bool {
    let c = c as u32;
    let pairs: &[u32] = &[
        0xFE81, 0xFE83, 0xFE85, 0xFE87, 0xFE8D, 0xFE93, 0xFEA9, 0xFEAB, 0xFEAD, 0xFEAF, 0xFEED,
        0xFEEF, 0xFEF5, 0xFEF7, 0xFEF9, 0xFEFB, 0xFB8A,
    ];
    pairs.iter().any(|&s| c == s + 1)
}

/// Arabic-script letter (base or presentation form).
pub fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{06FA}'..='\u{06FC}')
        || (is_presentation_form(c) && c.is_alphabetic())
}

/// Characters laid out left to right inside right-to-left text: Latin letters and every
/// kind of digit (numbers keep their order in Persian lines).
pub fn is_ltr_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '۰'..='۹' | '٠'..='٩')
        || (c.is_alphabetic() && !is_arabic_letter(c) && (c as u32) < 0x0590)
}

/// Characters that may sit inside a left-to-right run (`ISO 14001`, `6.1.2`, `kWh/t`)
/// without ending it, when a left-to-right character follows.
fn is_ltr_joiner(c: char) -> bool {
    matches!(
        c,
        ' ' | '.' | ',' | '/' | ':' | '-' | '_' | '%' | '+' | '٫' | '٬'
    )
}

/// Folds presentation forms to base letters (ﻻ → لا); every other character stays.
pub fn fold_presentation_forms(text: &str) -> String {
    if !text.chars().any(is_presentation_form) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_presentation_form(c) {
            out.extend(std::iter::once(c).nfkc());
        } else {
            out.push(c);
        }
    }
    out
}

/// Removes spaces that split a word: a letter in initial or medial form says the next
/// letter belongs to the same word, so a space after it is an extraction artifact.
/// Needs the presentation forms, so it runs before [`fold_presentation_forms`].
pub fn join_split_words(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        i += 1;
        if joins_next(c) {
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            if j > i && j < chars.len() && is_arabic_letter(chars[j]) {
                i = j;
            }
        }
    }
    out
}

/// Turns one line from visual order (left to right as drawn) into logical order for a
/// right-to-left line: the order of the units is reversed, then runs of left-to-right
/// text are turned back. A stretch of Latin words, numbers and the spaces and punctuation
/// between them (`ISO 14001`, `energy review`, `kWh/t`) is one run; a stretch of numbers
/// alone (`1402`, `6.1.2`, `10 20`) is one run per number, as the Unicode bidi algorithm
/// lays numbers out in right-to-left text. Units are glyph texts: a ligature's text stays
/// in the order the font mapped it. A tab unit marks a table cell edge, which no run
/// crosses.
pub fn visual_to_logical_rtl<S: AsRef<str>>(units: &[S]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..units.len()).rev().collect();
    let text = |i: usize| units[i].as_ref();
    let latin = |i: usize| text(i).chars().any(|c| is_ltr_char(c) && !is_digit(c));
    let digit = |i: usize| {
        let s = text(i);
        !s.is_empty() && s.chars().all(is_digit)
    };
    let joiner = |i: usize| {
        let s = text(i);
        !s.is_empty() && s.chars().all(is_ltr_joiner)
    };
    let number_separator = |i: usize| matches!(text(i), "." | "," | "/" | ":" | "٫" | "٬");
    let mut k = 0;
    while k < order.len() {
        if !(latin(order[k]) || digit(order[k])) {
            k += 1;
            continue;
        }
        // The stretch: left-to-right units, joiners only between two of them.
        let start = k;
        let mut end = k + 1;
        let mut probe = end;
        while probe < order.len() {
            let p = order[probe];
            if latin(p) || digit(p) {
                probe += 1;
                end = probe;
            } else if joiner(p) {
                probe += 1;
            } else {
                break;
            }
        }
        if (start..end).any(|i| latin(order[i])) {
            order[start..end].reverse();
        } else {
            // Numbers only: each number (digits and the separators inside it) on its own.
            let mut i = start;
            while i < end {
                let mut j = i + 1;
                while j < end
                    && (digit(order[j])
                        || (number_separator(order[j]) && j + 1 < end && digit(order[j + 1])))
                {
                    j += 1;
                }
                order[i..j].reverse();
                i = j;
                while i < end && !digit(order[i]) {
                    i += 1;
                }
            }
        }
        k = end;
    }
    order
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '۰'..='۹' | '٠'..='٩')
}

/// The same for a left-to-right line with right-to-left runs inside: each run of Arabic
/// letters (with the spaces between its words) is reversed.
pub fn visual_to_logical_ltr<S: AsRef<str>>(units: &[S]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..units.len()).collect();
    let rtl = |i: usize| units[i].as_ref().chars().any(is_arabic_letter);
    let neutral = |i: usize| {
        let s = units[i].as_ref();
        !s.chars().any(is_ltr_char) && !s.chars().any(is_arabic_letter)
    };
    let mut k = 0;
    while k < order.len() {
        if !rtl(order[k]) {
            k += 1;
            continue;
        }
        let start = k;
        let mut end = k + 1;
        let mut probe = end;
        while probe < order.len() {
            if rtl(order[probe]) {
                probe += 1;
                end = probe;
            } else if neutral(order[probe]) {
                probe += 1;
            } else {
                break;
            }
        }
        order[start..end].reverse();
        k = end;
    }
    order
}

/// Whether a line of text (no positions known) reads as visually ordered Persian: its
/// joining forms run backwards (final before medial before initial), or more of its words
/// are common Persian words when read backwards than forwards.
pub fn looks_reversed(line: &str) -> bool {
    let chars: Vec<char> = line.chars().collect();
    let (mut forward, mut backward) = (0usize, 0usize);
    for w in chars.windows(2) {
        if joins_next(w[0]) && joins_previous(w[1]) {
            forward += 1;
        }
        if joins_previous(w[0]) && joins_next(w[1]) {
            backward += 1;
        }
    }
    if forward + backward >= 1 {
        return backward > forward;
    }
    let words: Vec<String> = line
        .split_whitespace()
        .filter(|w| w.chars().any(is_arabic_letter))
        .map(crate::text::normalize)
        .collect();
    let as_is = words.iter().filter(|w| is_persian_stopword(w)).count();
    let reversed = words
        .iter()
        .filter(|w| is_persian_stopword(&w.chars().rev().collect::<String>()))
        .count();
    reversed >= 2 && reversed > as_is
}

/// Puts a visually ordered line back in logical order (see [`looks_reversed`]).
pub fn reverse_line(line: &str) -> String {
    let units: Vec<String> = line.chars().map(String::from).collect();
    visual_to_logical_rtl(&units)
        .into_iter()
        .map(|i| units[i].as_str())
        .collect()
}

/// Repairs one line of extracted text: reversed lines turned, split words joined,
/// presentation forms folded.
pub fn repair_line(line: &str) -> String {
    let line = if looks_reversed(line) {
        reverse_line(line)
    } else {
        line.to_string()
    };
    fold_presentation_forms(&join_split_words(&line))
}

/// A line's identity for spotting running headers and footers: digits masked (page
/// numbers change), spaces collapsed, letters normalized.
fn margin_key(line: &str) -> String {
    let masked: String = crate::text::normalize(line)
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    masked.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A line that is only a page number: `12`, `- 12 -`, `Page 3 of 9`, `صفحه ۳`.
fn is_page_number(line: &str) -> bool {
    let key = margin_key(line);
    let rest = key
        .replace("page", "")
        .replace("صفحه", "")
        .replace("of", "")
        .replace("از", "");
    rest.contains('#')
        && rest
            .chars()
            .all(|c| matches!(c, '#' | ' ' | '-' | '|' | '/' | '.'))
}

/// Header or footer blocks of up to this many lines are removed (one line per round).
const MARGIN_ROUNDS: usize = 2;

/// Removes running headers and footers: the first or last line of a page whose text
/// (digits masked) recurs at the same end of at least half the pages (and on at least
/// two), and lone page numbers at either end. Each page is its lines in order. Runs again
/// after a removal, for headers of two lines.
pub fn strip_running_margins(pages: &mut [Vec<String>]) {
    for _ in 0..MARGIN_ROUNDS {
        if !strip_margin_round(pages) {
            break;
        }
    }
}

const MARGIN_LINES: usize = 1;

/// One round of [`strip_running_margins`]; whether it removed anything.
fn strip_margin_round(pages: &mut [Vec<String>]) -> bool {
    use std::collections::HashMap;
    let n = pages.len();
    let mut top: HashMap<String, usize> = HashMap::new();
    let mut bottom: HashMap<String, usize> = HashMap::new();
    for page in pages.iter() {
        let mut seen_top = std::collections::HashSet::new();
        for l in page.iter().take(MARGIN_LINES) {
            let k = margin_key(l);
            if !k.is_empty() && seen_top.insert(k.clone()) {
                *top.entry(k).or_default() += 1;
            }
        }
        let mut seen_bottom = std::collections::HashSet::new();
        for l in page.iter().rev().take(MARGIN_LINES) {
            let k = margin_key(l);
            if !k.is_empty() && seen_bottom.insert(k.clone()) {
                *bottom.entry(k).or_default() += 1;
            }
        }
    }
    let repeats = |count: usize| n >= 2 && count >= 2 && count * 2 >= n;
    let mut removed = false;
    for page in pages.iter_mut() {
        let len = page.len();
        let mut keep = vec![true; len];
        for (i, l) in page.iter().enumerate() {
            let at_top = i < MARGIN_LINES;
            let at_bottom = i + MARGIN_LINES >= len;
            if !(at_top || at_bottom) {
                continue;
            }
            let k = margin_key(l);
            let running = (at_top && top.get(&k).is_some_and(|&c| repeats(c)))
                || (at_bottom && bottom.get(&k).is_some_and(|&c| repeats(c)));
            if running || is_page_number(l) {
                keep[i] = false;
                removed = true;
            }
        }
        let mut i = 0;
        page.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presentation_forms_fold_to_base_letters() {
        // «سلام» drawn with contextual forms, and the lam-alef ligature.
        assert_eq!(fold_presentation_forms("ﺳﻼﻡ"), "سلام");
        assert_eq!(fold_presentation_forms("ﻣﺤﻴﻂ ﺯﻳﺴﺖ"), "محيط زيست");
        assert_eq!(fold_presentation_forms("ISO 14001"), "ISO 14001");
    }

    #[test]
    fn spaces_inside_a_joined_word_are_removed() {
        // ﻣﺤ (initial, medial) then a space then ﻴﻂ: one word «محیط».
        assert_eq!(
            fold_presentation_forms(&join_split_words("ﻣﺤ ﻴﻂ ﺯﻳﺴﺖ")),
            "محيط زيست"
        );
        // A final form before the space: a real word boundary stays.
        assert_eq!(join_split_words("ﺖ ﺯ"), "ﺖ ﺯ");
    }

    #[test]
    fn reversed_lines_are_detected_and_turned() {
        let logical = "قانون حفاظت از محیط زیست در سال 1353 و ISO 14001";
        // As drawn, read left to right: Latin and numbers keep their own direction.
        let visual = "ISO 14001 و 1353 لاس رد تسیز طیحم زا تظافح نوناق";
        assert!(looks_reversed(visual), "{visual}");
        assert!(!looks_reversed(logical));
        assert_eq!(reverse_line(visual), logical);
        // Presentation forms in visual order: final form first.
        assert!(looks_reversed("ﻡﻼﺳ"));
        assert!(!looks_reversed("ﺳﻼﻡ"));
        assert_eq!(repair_line("ﻡﻼﺳ"), "سلام");
    }

    #[test]
    fn numbers_and_latin_keep_their_order_in_rtl_lines() {
        // «بند 6.1.2 از ISO» as drawn, read left to right.
        let drawn: Vec<String> = "ISO زا 6.1.2 دنب".chars().map(String::from).collect();
        let order = visual_to_logical_rtl(&drawn);
        let text: String = order.iter().map(|&i| drawn[i].as_str()).collect();
        assert_eq!(text, "بند 6.1.2 از ISO");
    }

    #[test]
    fn numbers_alone_are_separate_runs_and_cells_are_walls() {
        // «بین 10 20 و kWh/t» drawn: «kWh/t و 20 10 نیب».
        let drawn: Vec<String> = "kWh/t و 20 10 نیب".chars().map(String::from).collect();
        let order = visual_to_logical_rtl(&drawn);
        let text: String = order.iter().map(|&i| drawn[i].as_str()).collect();
        assert_eq!(text, "بین 10 20 و kWh/t");
        // A table row «شدت برق | kWh/t | 62 | 55» drawn with cell edges as tabs.
        let drawn = [
            "5", "5", "\t", "6", "2", "\t", "k", "W", "h", "/", "t", "\t", "ق", "ر", "ب",
        ];
        let order = visual_to_logical_rtl(&drawn);
        let text: String = order.iter().map(|&i| drawn[i]).collect();
        assert_eq!(text, "برق\tkWh/t\t62\t55");
    }

    #[test]
    fn persian_runs_inside_english_lines_are_turned() {
        let drawn: Vec<String> = "see ﺖﺴﻳﺯ here".chars().map(String::from).collect();
        let order = visual_to_logical_ltr(&drawn);
        let text: String = order.iter().map(|&i| drawn[i].as_str()).collect();
        assert_eq!(fold_presentation_forms(&text), "see زيست here");
    }

    #[test]
    fn running_headers_footers_and_page_numbers_go() {
        let page = |n: u32, body: &str| {
            vec![
                "نسخه آموزشی".to_string(),
                body.to_string(),
                format!("صفحه {n}"),
            ]
        };
        let mut pages = vec![page(1, "متن اول"), page(2, "متن دوم"), page(3, "متن سوم")];
        strip_running_margins(&mut pages);
        assert_eq!(
            pages,
            vec![vec!["متن اول"], vec!["متن دوم"], vec!["متن سوم"]]
        );
        // A lone page number goes even in a one-page document; a body line stays.
        let mut one = vec![vec![
            "Title".to_string(),
            "Body text".to_string(),
            "- 1 -".to_string(),
        ]];
        strip_running_margins(&mut one);
        assert_eq!(one, vec![vec!["Title", "Body text"]]);
        // Lines that differ from page to page are body text.
        let words = ["alpha", "beta", "gamma", "delta"];
        let mut four: Vec<Vec<String>> = words
            .iter()
            .map(|w| vec![format!("Section {w}"), "body".into(), format!("end {w}")])
            .collect();
        strip_running_margins(&mut four);
        assert!(four.iter().all(|p| p.len() == 3), "{four:?}");
    }
}
