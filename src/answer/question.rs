//! What counts as a question: the checks that turn empty, garbage or oversized input into
//! a user-fault error before any search runs, and the search query built from a question.
//!
//! It does not judge whether the knowledge base can answer; that is abstention's job.

pub use crate::lexical::query::question_query;

use super::AnswerError;

/// Longest question accepted, in characters: a few sentences. Longer input is a pasted
/// document, not a question, and would be cut by the encoder's 512-token window anyway.
pub const MAX_QUESTION_CHARS: usize = 1000;

/// A question needs this share of letters and digits among its non-space characters;
/// below it the input is symbols, markup or binary noise.
const MIN_WORD_CHAR_SHARE: f32 = 0.5;

/// Longer runs of letters are not words (hashes, base64, a key held down).
const MAX_WORD_CHARS: usize = 40;

/// Checks `raw` and returns it trimmed, or says why it is not a question.
pub fn check_question(raw: &str) -> Result<&str, AnswerError> {
    let q = raw.trim();
    if q.chars()
        .all(|c| c.is_whitespace() || is_invisible_joiner(c))
    {
        return Err(AnswerError::EmptyQuestion);
    }
    let chars = q.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(AnswerError::QuestionTooLong {
            chars,
            limit: MAX_QUESTION_CHARS,
        });
    }
    if q.chars()
        .any(|c| (c.is_control() && !c.is_whitespace()) || c == '\u{FFFD}')
    {
        return Err(AnswerError::NotAQuestion(
            "it contains control characters or undecodable bytes",
        ));
    }
    let visible: Vec<char> = q
        .chars()
        .filter(|c| !c.is_whitespace() && !is_invisible_joiner(*c))
        .collect();
    let word_chars = visible.iter().filter(|c| c.is_alphanumeric()).count();
    let letters = visible.iter().filter(|c| c.is_alphabetic()).count();
    if letters < 2 {
        return Err(AnswerError::NotAQuestion("it has no words"));
    }
    if (word_chars as f32) < MIN_WORD_CHAR_SHARE * visible.len() as f32 {
        return Err(AnswerError::NotAQuestion("it is mostly symbols"));
    }
    let has_real_word = q
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w.chars().any(char::is_alphabetic) && w.chars().count() <= MAX_WORD_CHARS);
    if !has_real_word {
        return Err(AnswerError::NotAQuestion(
            "its only words are long runs of letters",
        ));
    }
    Ok(q)
}

fn is_invisible_joiner(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexical::Occurrence;

    #[test]
    fn accepts_real_questions_in_both_languages() {
        for q in [
            "ماده ۶ بند د قانون حفاظت و بهسازی محیط زیست چه می‌گوید؟",
            "  What does ISO 14001 clause 6.1.2 require?  ",
            "ISO 14001?",
            "آب",
        ] {
            assert_eq!(check_question(q).unwrap(), q.trim(), "{q}");
        }
    }

    #[test]
    fn empty_garbage_and_long_input_are_user_errors() {
        for q in ["", "   \n\t", "\u{200c}\u{200c} "] {
            assert!(matches!(check_question(q), Err(AnswerError::EmptyQuestion)));
        }
        for q in [
            "?!?!?!",
            "12345",
            "@@@@ #### $$$$ a",
            "ab\u{0007}cd",
            "x\u{FFFD}\u{FFFD}y",
            &"q".repeat(60),
            "<<<>>>{{}}[[]]((ok))",
        ] {
            let e = check_question(q).unwrap_err();
            assert!(matches!(e, AnswerError::NotAQuestion(_)), "{q}: {e:?}");
            assert!(e.to_string().starts_with("not a question"), "{e}");
        }
        let long = "آیا ".repeat(MAX_QUESTION_CHARS);
        assert!(matches!(
            check_question(&long),
            Err(AnswerError::QuestionTooLong { .. })
        ));
        // Exactly at the limit is still a question.
        let at_limit = "a".repeat(20) + &" b".repeat((MAX_QUESTION_CHARS - 20) / 2);
        assert_eq!(at_limit.chars().count(), MAX_QUESTION_CHARS);
        assert!(check_question(&at_limit).is_ok());
    }

    #[test]
    fn questions_become_plain_word_queries_with_lookups() {
        let q = question_query("ماده ۶ بند «د» -- چیست?");
        assert_eq!(q.clauses.len(), 1);
        assert_eq!(q.clauses[0].occurrence, Occurrence::Should);
        assert_eq!(q.lookup.article.as_deref(), Some("6"));
    }
}
