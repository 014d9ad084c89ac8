//! Sentence boundaries for Persian and English text, as byte spans.
//!
//! Used to pick evidence sentences and to keep chunk overlaps on sentence edges. A
//! sentence ends at `.`, `!`, `?`, `؟`, `؛`-free line breaks between paragraphs, or a
//! list item start; a dot between digits (6.1.2, 3.5) or after a single Latin letter
//! (an initial, "e.g.") does not end one.

/// Byte spans `[start, end)` of the sentences of `text`, trimmed of surrounding whitespace.
/// Spans never overlap and stay on char boundaries; whitespace-only text has none.
pub fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut spans = Vec::new();
    let mut start = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let next = chars.get(i + 1).map(|&(_, n)| n);
        let prev = if i > 0 { Some(chars[i - 1].1) } else { None };
        let boundary_after = match c {
            '!' | '?' | '؟' => true,
            '.' => {
                let between_digits =
                    prev.is_some_and(|p| p.is_numeric()) && next.is_some_and(|n| n.is_numeric());
                let initial = i >= 2
                    && prev.is_some_and(|p| p.is_ascii_alphabetic())
                    && !chars[i - 2].1.is_alphanumeric();
                !between_digits
                    && !initial
                    && next.is_none_or(|n| n.is_whitespace() || n == '"' || n == '»' || n == ')')
            }
            '\n' => next.is_none_or(|n| n == '\n' || n == '-' || n == '*' || n == '#'),
            _ => false,
        };
        if boundary_after {
            push_trimmed(text, start, at + c.len_utf8(), &mut spans);
            start = at + c.len_utf8();
        }
        i += 1;
    }
    push_trimmed(text, start, text.len(), &mut spans);
    spans
}

fn push_trimmed(text: &str, start: usize, end: usize, spans: &mut Vec<(usize, usize)>) {
    let piece = &text[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead + trail < piece.len() {
        spans.push((start + lead, end - trail));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        sentence_spans(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    }

    #[test]
    fn splits_persian_and_english() {
        assert_eq!(
            sentences("سازمان موظف است. آیا این کافی است؟ بله!"),
            vec!["سازمان موظف است.", "آیا این کافی است؟", "بله!"]
        );
        assert_eq!(
            sentences("Clause 6.1.2 covers aspects. See e.g. the annex. Done"),
            vec![
                "Clause 6.1.2 covers aspects.",
                "See e.g. the annex.",
                "Done"
            ]
        );
    }

    #[test]
    fn paragraphs_and_list_items_end_sentences() {
        assert_eq!(
            sentences("عنوان\n\nمتن اول\n- مورد"),
            vec!["عنوان", "متن اول", "- مورد"]
        );
        assert!(sentences("   \n ").is_empty());
    }
}
