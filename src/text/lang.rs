//! Script-based language detection for chunks and queries.

use serde::{Deserialize, Serialize};

/// The languages envkb distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Persian.
    Fa,
    /// English.
    En,
}

impl Lang {
    /// The ISO 639-1 code used in JSON, filters and front matter.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fa => "fa",
            Lang::En => "en",
        }
    }

    /// Reads a code (`fa`, `en`, any case); `None` for any other.
    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fa" | "fas" | "per" | "persian" | "farsi" => Some(Lang::Fa),
            "en" | "eng" | "english" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Persian when at least a third of the letters are Arabic-script: Persian text quotes
/// English names and standards often, and English text rarely quotes Persian.
pub fn detect_lang(text: &str) -> Lang {
    let (mut arabic, mut latin) = (0usize, 0usize);
    for c in text.chars() {
        if ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{FB50}'..='\u{FEFF}').contains(&c) {
            if c.is_alphabetic() {
                arabic += 1;
            }
        } else if c.is_alphabetic() {
            latin += 1;
        }
    }
    // No letters at all (digits, symbols) counts as Persian: Persian comes first.
    let persian = (arabic == 0 && latin == 0) || (arabic > 0 && arabic * 3 >= arabic + latin);
    if persian {
        Lang::Fa
    } else {
        Lang::En
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_script() {
        assert_eq!(detect_lang("ماده ۶ قانون حفاظت"), Lang::Fa);
        assert_eq!(detect_lang("What does clause 6.1.2 require?"), Lang::En);
        assert_eq!(
            detect_lang("الزامات بند 6.1.2 استاندارد ISO 14001 چیست"),
            Lang::Fa
        );
        assert_eq!(detect_lang("ISO 14001 and the word محیط"), Lang::En);
    }
}
