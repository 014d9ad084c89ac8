//! The HTML nesting pre-scan: refuses a page whose elements nest deeper than
//! [`MAX_HTML_NESTING`] before the HTML parser sees it.
//!
//! Why: the HTML parser (html5ever, under `scraper`) checks "is there a `<p>` in button
//! scope" at every start tag by walking its stack of open elements, so a page of `n`
//! nested elements costs `n²` steps. The mutation fuzz (`tests/suite/text_fuzz.rs`) found
//! it: 27,000 nested `<div>` (140 KB) took 9 s, and an 8 MiB upload of them would hold the
//! writer for the better part of an hour. Real pages nest a few dozen levels.
//!
//! The scan is one pass over the bytes and knows just enough HTML to count like the parser:
//! elements that hold nothing (`<br>`) or whose end the parser implies when the next one
//! starts (`<p>`, `<li>`, `<td>`, ...) do not deepen the tree; comments, doctype and the
//! raw text of `<script>`, `<style>`, `<title>` and `<textarea>` are skipped; `<x/>` opens
//! an element in HTML (the parser ignores the slash) but not inside `<svg>` or `<math>`.
//! It owns nothing else: the text walk is `loader::html_text`.

use super::IngestError;

/// Deepest element nesting accepted in an HTML file. Real pages stay under 50; this
/// bounds the parser's scope checks to a thousand steps a tag.
pub const MAX_HTML_NESTING: usize = 1000;

/// Elements that never deepen the tree: void elements, and those whose end tag the parser
/// implies when a sibling starts (so repeating them unclosed does not nest them). The
/// document's own `html`, `head` and `body` appear once however often they are written.
const FLAT: &[&[u8]] = &[
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"source",
    b"track",
    b"wbr",
    b"param",
    b"keygen",
    b"frame",
    b"basefont",
    b"bgsound",
    b"command",
    b"image",
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"option",
    b"optgroup",
    b"tr",
    b"td",
    b"th",
    b"rb",
    b"rt",
    b"rtc",
    b"rp",
    b"tbody",
    b"thead",
    b"tfoot",
    b"colgroup",
    b"caption",
    b"html",
    b"head",
    b"body",
];

/// Elements whose content is raw text up to their end tag (no tags inside).
const RAW: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
];

/// Elements that start foreign content, where `<x/>` closes itself.
const FOREIGN: &[&[u8]] = &[b"svg", b"math"];

/// `Err(HtmlTooDeep)` when elements in `html` nest deeper than [`MAX_HTML_NESTING`].
pub fn check_html(html: &str) -> Result<(), IngestError> {
    check_html_within(html, MAX_HTML_NESTING)
}

fn check_html_within(html: &str, limit: usize) -> Result<(), IngestError> {
    let b = html.as_bytes();
    let mut depth = 0usize;
    // The depth at which the outermost open `<svg>` or `<math>` started.
    let mut foreign_from: Option<usize> = None;
    let mut i = 0;
    while let Some(off) = find(&b[i..], b"<") {
        i += off + 1;
        let rest = &b[i..];
        if rest.starts_with(b"!--") {
            i += 3 + find(&rest[3..], b"-->").map_or(rest.len() - 3, |e| e + 3);
            continue;
        }
        if rest.starts_with(b"!") || rest.starts_with(b"?") {
            i += find(rest, b">").map_or(rest.len(), |e| e + 1);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_at = usize::from(closing);
        let name_len = rest[name_at..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-' || **c == b':')
            .count();
        if name_len == 0 || !rest[name_at].is_ascii_alphabetic() {
            continue; // a '<' in text
        }
        let name = rest[name_at..name_at + name_len].to_ascii_lowercase();
        let Some(gt) = find(&rest[name_at + name_len..], b">") else {
            break; // an unfinished last tag opens nothing the parser would keep
        };
        let tag_end = name_at + name_len + gt;
        let self_closing = tag_end > 0 && rest[tag_end - 1] == b'/';
        i += tag_end + 1;
        if FLAT.contains(&name.as_slice()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
            if foreign_from.is_some_and(|f| depth <= f) {
                foreign_from = None;
            }
            continue;
        }
        if self_closing && foreign_from.is_some() {
            continue;
        }
        if RAW.contains(&name.as_slice()) {
            // Skip to the end tag; the element itself does not outlive it.
            let mut close = b"</".to_vec();
            close.extend_from_slice(&name);
            let lower = &b[i..];
            i += find_ascii_ci(lower, &close).unwrap_or(lower.len());
            continue;
        }
        if FOREIGN.contains(&name.as_slice()) && foreign_from.is_none() && !self_closing {
            foreign_from = Some(depth);
        }
        depth += 1;
        if depth > limit {
            return Err(IngestError::HtmlTooDeep { limit });
        }
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// [`find`] ignoring ASCII case (end tags may be written `</SCRIPT>`).
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deep(html: &str) -> bool {
        matches!(
            check_html_within(html, 10),
            Err(IngestError::HtmlTooDeep { limit: 10 })
        )
    }

    #[test]
    fn nested_elements_are_counted_and_flat_ones_are_not() {
        assert!(deep(&"<div>".repeat(11)));
        assert!(!deep(&"<div>".repeat(10)));
        assert!(
            deep(&"<DIV><b>".repeat(6)),
            "case and formatting elements count"
        );
        assert!(
            deep(&"<div/>".repeat(11)),
            "the slash does not close an HTML element"
        );
        // Closed, void, implied-end and comment tags do not deepen the tree.
        assert!(!deep(&"<div></div>".repeat(100)));
        assert!(!deep(&"<p>ماده ۱<br><li>الف<td>x<img src=a>".repeat(100)));
        assert!(!deep(&"<!-- <div><div><div> -->".repeat(100)));
        assert!(!deep(&format!("<script>{}</SCRIPT>", "<div>".repeat(100))));
        assert!(!deep(&format!(
            "<svg>{}</svg>",
            "<path d='M0 0'/>".repeat(100)
        )));
        assert!(deep(&format!("<svg></svg>{}", "<div/>".repeat(11))));
        assert!(!deep("a < b and <3 <"));
    }

    #[test]
    fn the_law_page_fixtures_pass() {
        for name in ["jangal.html", "talab-kohestan.html"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/laws")
                .join(name);
            let html = std::fs::read_to_string(path).unwrap();
            assert!(check_html(&html).is_ok(), "{name}");
        }
    }
}
