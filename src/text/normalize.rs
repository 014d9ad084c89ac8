//! Character-level Persian/English normalization.
//!
//! Owns the rules that make two spellings of the same word compare equal: Arabic letter
//! forms folded to Persian, diacritics and tatweel dropped, Persian and Arabic-Indic
//! digits mapped to ASCII, Latin lowercased, compatibility forms (presentation forms,
//! full-width Latin) through NFKC. It does not split words; the analyzer does that.
//!
//! Every rule works one character at a time so the analyzer can keep byte offsets into
//! the original text (for highlights and citations) while comparing normalized forms.

use unicode_normalization::UnicodeNormalization;

/// Zero-width non-joiner (نیم‌فاصله): joins the parts of a Persian compound.
pub const ZWNJ: char = '\u{200C}';

/// Whether `c` is a mark that carries no letter identity for search: Arabic tashkeel,
/// Quranic annotation marks, the superscript alef and tatweel.
pub fn is_ignorable_mark(c: char) -> bool {
    matches!(c,
        '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}'
        | '\u{0640}' // tatweel
    )
}

/// Invisible formatting characters that never change meaning for search (ZWNJ is not
/// one of them: it separates compound parts and is handled by the analyzer).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200D}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Folds one already-compatibility-normalized character to its search form and pushes
/// it to `out`. Marks and invisible characters push nothing.
fn push_folded(c: char, out: &mut String) {
    let folded = match c {
        'ي' | 'ى' => 'ی',
        'ك' => 'ک',
        'ة' | 'ۀ' | 'ە' | 'ھ' => 'ه',
        'أ' | 'إ' | 'ٱ' => 'ا',
        '٫' => '.',
        '٬' => ',',
        '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
        '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
        c if is_ignorable_mark(c) || is_invisible(c) => return,
        // Fast paths: ASCII, and the Arabic block (no case), skip the Unicode case tables.
        c if c.is_ascii() => c.to_ascii_lowercase(),
        '\u{0600}'..='\u{06FF}' => c,
        c if c.is_uppercase() => {
            out.extend(c.to_lowercase());
            return;
        }
        c => c,
    };
    out.push(folded);
}

/// Whether NFKC may change `c`; ASCII and the main Arabic block never need it, which
/// keeps the common path free of the normalizer.
fn needs_compat(c: char) -> bool {
    !(c.is_ascii() || ('\u{0600}'..='\u{06FF}').contains(&c))
}

/// Appends the search form of `c` to `out`.
pub fn push_normalized_char(c: char, out: &mut String) {
    if needs_compat(c) {
        for d in std::iter::once(c).nfkc() {
            push_folded(d, out);
        }
    } else {
        push_folded(c, out);
    }
}

/// The search form of `text`: every rule above applied, ZWNJ kept as it is (callers
/// decide whether it joins or separates). Idempotent: `normalize(normalize(x)) == normalize(x)`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_normalized_char(c, &mut out);
    }
    out
}

/// Text prepared for the embedding model: the same folding as the index, with ZWNJ
/// kept (the model's tokenizer treats it as a word boundary on its own).
pub fn normalize_for_embedding(text: &str) -> String {
    normalize(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_arabic_yeh_and_kaf_to_persian() {
        assert_eq!(normalize("علي"), "علی");
        assert_eq!(normalize("مصطفى"), "مصطفی");
        assert_eq!(normalize("كتاب"), "کتاب");
    }

    #[test]
    fn folds_teh_marbuta_heh_goal_and_heh_with_yeh() {
        assert_eq!(normalize("مدرسة"), "مدرسه");
        assert_eq!(normalize("خانۀ"), "خانه");
        assert_eq!(normalize("ھوا"), "هوا");
    }

    #[test]
    fn folds_alef_variants_but_keeps_madda() {
        assert_eq!(normalize("أحمد"), "احمد");
        assert_eq!(normalize("إسلام"), "اسلام");
        assert_eq!(normalize("ٱلله"), "الله");
        assert_eq!(normalize("آب"), "آب");
    }

    #[test]
    fn drops_diacritics_and_tatweel() {
        assert_eq!(normalize("مُحِیطِ زیستْ"), "محیط زیست");
        assert_eq!(normalize("قانوناً"), "قانونا");
        assert_eq!(normalize("محـــیط"), "محیط");
        assert_eq!(normalize("هذٰا"), "هذا");
    }

    #[test]
    fn maps_persian_and_arabic_indic_digits() {
        assert_eq!(normalize("ماده ۶"), "ماده 6");
        assert_eq!(normalize("ISO ۱۴۰۰۱"), "iso 14001");
        assert_eq!(normalize("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(normalize("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        assert_eq!(normalize("۳٫۵"), "3.5");
    }

    #[test]
    fn lowercases_latin_and_applies_nfkc() {
        assert_eq!(normalize("ISO Clause"), "iso clause");
        assert_eq!(normalize("ＩＳＯ"), "iso");
        // Arabic presentation forms (as PDFs emit them) become base letters.
        assert_eq!(normalize("\u{FEE3}\u{FEA4}\u{FEF4}\u{FEC1}"), "محیط");
        assert_eq!(normalize("\u{FEFB}"), "لا");
    }

    #[test]
    fn keeps_zwnj_and_drops_other_invisibles() {
        assert_eq!(normalize("می\u{200C}شود"), "می\u{200C}شود");
        assert_eq!(normalize("می\u{200D}شود\u{200F}"), "میشود");
        assert_eq!(normalize("\u{FEFF}سلام"), "سلام");
    }

    #[test]
    fn idempotent_on_examples() {
        for s in [
            "كتابي",
            "ISO ۱۴۰۰۱:۲۰۱۵",
            "مُحیطِ",
            "\u{FEFB}",
            "Ａｂｃ",
            "خانۀ ما",
            "ǅ",
        ] {
            let once = normalize(s);
            assert_eq!(normalize(&once), once, "not idempotent on {s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn idempotent(s in "\\PC{0,40}") {
            let once = normalize(&s);
            proptest::prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn idempotent_on_arabic_script(s in "[\u{0600}-\u{06FF}\u{FB50}-\u{FDFF}\u{FE70}-\u{FEFF}\u{200C} a-zA-Z0-9]{0,40}") {
            let once = normalize(&s);
            proptest::prop_assert_eq!(normalize(&once), once);
        }
    }
}
