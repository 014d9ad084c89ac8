//! DOCX loading: the text of a Word document from its XML.
//!
//! Owns opening the zip (within size limits), reading `word/document.xml` and turning
//! its body into text the chunker understands: headings (Title, Heading 1–6) as Markdown
//! headings, list paragraphs as `- ` items, table rows as cells joined by ` | `, tracked
//! deletions and field codes left out. Headers, footers and comments are not body text.

use std::io::Read;

use roxmltree::{Document, Node};

use super::{IngestError, IngestLimits};

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
/// Most entries a DOCX zip may have (a real one has a few dozen).
const MAX_ENTRIES: usize = 10_000;

/// The document's text (paragraphs separated by blank lines) and its title, if styled.
#[derive(Debug, Clone, PartialEq)]
pub struct DocxText {
    /// Paragraphs separated by blank lines; table rows as ` | ` lines.
    pub text: String,
    /// The paragraph styled as the title, when there is one.
    pub title: Option<String>,
}

/// Reads a DOCX file's body text within `limits`.
pub fn extract(bytes: &[u8], limits: &IngestLimits) -> Result<DocxText, IngestError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(IngestError::TooLarge {
            bytes: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| IngestError::Corrupt(format!("not a readable DOCX (zip: {e})")))?;
    if zip.len() > MAX_ENTRIES {
        return Err(IngestError::Corrupt(format!(
            "not a DOCX: {} zip entries",
            zip.len()
        )));
    }
    let mut entry = zip.by_name("word/document.xml").map_err(|e| match e {
        zip::result::ZipError::UnsupportedArchive(m)
            if m.contains("assword") || m.contains("ncrypt") =>
        {
            IngestError::Encrypted
        }
        _ => IngestError::Corrupt("not a DOCX: no word/document.xml".into()),
    })?;
    if entry.encrypted() {
        return Err(IngestError::Encrypted);
    }
    // The XML may be far larger than the zip; read no more than the limit allows.
    let xml_limit =
        super::limits::inflate_budget(bytes.len(), limits).min(limits.max_bytes.saturating_mul(4));
    let mut xml = Vec::new();
    entry
        .by_ref()
        .take(xml_limit + 1)
        .read_to_end(&mut xml)
        .map_err(|e| IngestError::Corrupt(format!("damaged DOCX ({e})")))?;
    if xml.len() as u64 > xml_limit {
        return Err(IngestError::Inflates { limit: xml_limit });
    }
    let xml = String::from_utf8(xml)
        .map_err(|_| IngestError::Corrupt("document.xml is not UTF-8".into()))?;
    let doc = Document::parse_with_options(
        &xml,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: super::limits::xml_nodes_limit(bytes.len()),
        },
    )
    .map_err(|e| IngestError::Corrupt(format!("damaged DOCX XML ({e})")))?;
    let body = doc
        .root_element()
        .children()
        .find(|n| is_w(n, "body"))
        .ok_or_else(|| IngestError::Corrupt("document.xml has no body".into()))?;
    let mut blocks = Vec::new();
    let mut title = None;
    collect_blocks(body, &mut blocks, &mut title, 0);
    Ok(DocxText {
        text: blocks.join("\n\n"),
        title,
    })
}

fn is_w(n: &Node, name: &str) -> bool {
    n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(W)
}

fn w_attr<'a>(n: &Node<'a, '_>, name: &str) -> Option<&'a str> {
    n.attribute((W, name))
}

/// Walks block-level content: paragraphs, tables, and containers (content controls,
/// text boxes) that hold more of them.
fn collect_blocks(node: Node, out: &mut Vec<String>, title: &mut Option<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    for child in node.children().filter(Node::is_element) {
        if is_w(&child, "p") {
            if let Some(p) = paragraph(child, title) {
                out.push(p);
            }
        } else if is_w(&child, "tbl") {
            for row in child.children().filter(|n| is_w(n, "tr")) {
                let cells: Vec<String> = row
                    .children()
                    .filter(|n| is_w(n, "tc"))
                    .map(|cell| {
                        let mut inner = Vec::new();
                        let mut no_title = None;
                        collect_blocks(cell, &mut inner, &mut no_title, depth + 1);
                        inner.join(" ")
                    })
                    .collect();
                if cells.iter().any(|c| !c.trim().is_empty()) {
                    out.push(cells.join(" | "));
                }
            }
        } else if !is_w(&child, "sectPr") {
            collect_blocks(child, out, title, depth + 1);
        }
    }
}

/// One paragraph's text, prefixed by its heading level or list marker.
fn paragraph(p: Node, title: &mut Option<String>) -> Option<String> {
    let props = p.children().find(|n| is_w(n, "pPr"));
    let style = props
        .and_then(|pp| pp.children().find(|n| is_w(n, "pStyle")))
        .and_then(|s| w_attr(&s, "val"))
        .unwrap_or("");
    let listed = props.is_some_and(|pp| pp.children().any(|n| is_w(&n, "numPr")));
    let mut text = String::new();
    runs_text(p, &mut text);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    let level = heading_level(style);
    if level == Some(1) && title.is_none() {
        *title = Some(text.clone());
    }
    Some(match level {
        Some(n) => format!("{} {text}", "#".repeat(n)),
        None if listed => format!("- {text}"),
        None => text,
    })
}

/// Markdown level of a paragraph style: the title is `#`, Heading N is `#` × (N + 1)
/// up to six, so a document's first heading below the title is a section.
fn heading_level(style: &str) -> Option<usize> {
    let s = style.to_ascii_lowercase().replace(' ', "");
    if s == "title" {
        return Some(1);
    }
    let n: usize = s.strip_prefix("heading")?.parse().ok()?;
    (1..=9).contains(&n).then_some((n + 1).min(6))
}

/// Text of the runs under `node`: `w:t`, tabs and breaks as spaces, deleted text and
/// field instructions skipped.
fn runs_text(node: Node, out: &mut String) {
    for child in node.children() {
        if !child.is_element() {
            continue;
        }
        let name = child.tag_name().name();
        if child.tag_name().namespace() != Some(W) {
            runs_text(child, out);
            continue;
        }
        match name {
            "t" => out.push_str(child.text().unwrap_or("")),
            "tab" | "br" | "cr" => out.push(' '),
            "noBreakHyphen" => out.push('-'),
            "del" | "delText" | "instrText" | "pPr" | "rPr" | "fldData" => {}
            // A nested paragraph (in a text box) keeps its own words apart.
            "p" => {
                out.push(' ');
                runs_text(child, out);
                out.push(' ');
            }
            _ => runs_text(child, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A minimal DOCX with `body` as the inside of `w:body`.
    fn docx(body: &str) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("word/document.xml", opts).unwrap();
        write!(
            z,
            r#"<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>"#
        )
        .unwrap();
        z.finish().unwrap();
        buf.into_inner()
    }

    fn p(style: &str, text: &str) -> String {
        let ppr = if style.is_empty() {
            String::new()
        } else {
            format!(r#"<w:pPr><w:pStyle w:val="{style}"/></w:pPr>"#)
        };
        format!(r#"<w:p>{ppr}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#)
    }

    #[test]
    fn headings_lists_and_tables_become_text() {
        let body = format!(
            "{}{}{}<w:p><w:pPr><w:numPr><w:ilvl w:val=\"0\"/></w:numPr></w:pPr><w:r><w:t>بند الف</w:t></w:r></w:p>\
             <w:tbl><w:tr><w:tc>{}</w:tc><w:tc>{}</w:tc></w:tr></w:tbl>\
             <w:p><w:r><w:t>متن</w:t></w:r><w:del><w:r><w:delText>حذف</w:delText></w:r></w:del><w:r><w:tab/><w:t>ادامه</w:t></w:r></w:p>",
            p("Title", "راهنما"),
            p("Heading1", "فصل اول"),
            p("", "ماده ۱ - متن ماده"),
            p("", "شاخص"),
            p("", "62"),
        );
        let out = extract(&docx(&body), &IngestLimits::default()).unwrap();
        assert_eq!(out.title.as_deref(), Some("راهنما"));
        assert_eq!(
            out.text,
            "# راهنما\n\n## فصل اول\n\nماده ۱ - متن ماده\n\n- بند الف\n\nشاخص | 62\n\nمتن ادامه"
        );
    }

    #[test]
    fn broken_files_are_refused_with_a_reason() {
        let limits = IngestLimits::default();
        assert!(matches!(
            extract(b"PK\x03\x04junk", &limits),
            Err(IngestError::Corrupt(_))
        ));
        let whole = docx(&p("", "text"));
        assert!(extract(&whole[..whole.len() / 2], &limits).is_err());
        let dtd = docx("<!DOCTYPE x [<!ENTITY a \"aaaa\">]>");
        assert!(extract(&dtd, &limits).is_err());
        let small = IngestLimits {
            max_bytes: 10,
            ..IngestLimits::default()
        };
        assert!(matches!(
            extract(&whole, &small),
            Err(IngestError::TooLarge { .. })
        ));
    }
}
