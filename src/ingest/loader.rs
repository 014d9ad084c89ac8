//! File loaders: Markdown (with optional YAML front matter), plain text and HTML here;
//! PDF and DOCX through `pdf` and `docx`.
//!
//! Owns turning bytes into a document's text and metadata, and the reasons a file is
//! refused. It does not chunk (see `chunker`) or walk folders (see `mod.rs`).

use std::path::Path;

use scraper::{Html, Node};
use serde::Deserialize;

use super::{DocMeta, IngestError, IngestLimits};
use crate::text::Lang;

/// The kinds of file envkb reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Text,
    Html,
    Pdf,
    Docx,
}

impl Format {
    pub fn from_path(path: &Path) -> Result<Format, IngestError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "txt" | "text" => Ok(Format::Text),
            "html" | "htm" => Ok(Format::Html),
            "pdf" => Ok(Format::Pdf),
            "docx" => Ok(Format::Docx),
            other => Err(IngestError::Unsupported {
                extension: if other.is_empty() {
                    "(none)".into()
                } else {
                    format!(".{other}")
                },
            }),
        }
    }
}

/// A loaded file: the text that chunk spans point into, where its body starts, metadata.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub text: String,
    pub body_start: usize,
    pub meta: DocMeta,
    /// For paged formats (PDF): the byte offset in `text` where each page starts, in page
    /// order (page 1 first). Empty for formats without pages.
    pub pages: Vec<usize>,
    /// Per page (same order as `pages`): what OCR read there, `None` for text from a text
    /// layer. Empty for formats without pages.
    pub ocr: Vec<Option<super::ocr::OcrPage>>,
    /// Pages left out of `text`, each with its reason.
    pub page_problems: Vec<String>,
}

/// Front matter as written; validated into [`DocMeta`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: Option<String>,
    doc_type: Option<String>,
    lang: Option<String>,
    jurisdiction: Option<String>,
    year: Option<i64>,
    status: Option<String>,
    source: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Checks size and binary content, then decodes UTF-8, or UTF-16 when the file starts with
/// a UTF-16 byte-order mark (as Windows editors save "Unicode" text).
pub fn read_text(bytes: Vec<u8>, max_bytes: u64) -> Result<String, IngestError> {
    if bytes.len() as u64 > max_bytes {
        return Err(IngestError::TooLarge {
            bytes: bytes.len() as u64,
            limit: max_bytes,
        });
    }
    let text = match utf16_with_bom(&bytes) {
        Some(decoded) => decoded?,
        None => {
            if bytes.iter().take(8192).any(|&b| b == 0) {
                return Err(IngestError::Binary);
            }
            String::from_utf8(bytes).map_err(|e| IngestError::InvalidUtf8 {
                offset: e.utf8_error().valid_up_to(),
            })?
        }
    };
    let text = text
        .strip_prefix('\u{FEFF}')
        .map(str::to_string)
        .unwrap_or(text);
    if text.trim().is_empty() {
        return Err(IngestError::Empty);
    }
    Ok(text)
}

/// The text of a file that starts with a UTF-16 byte-order mark (little or big endian),
/// or `None` when it does not start with one.
fn utf16_with_bom(bytes: &[u8]) -> Option<Result<String, IngestError>> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    if body.len() % 2 != 0 {
        return Some(Err(IngestError::Corrupt(
            "UTF-16 text (it starts with a UTF-16 byte-order mark) with an odd number of bytes; save it as UTF-8".into(),
        )));
    }
    let units = body.chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    Some(
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|e| {
                IngestError::Corrupt(format!(
                    "UTF-16 text with a broken character ({:#06x}); save it as UTF-8",
                    e.unpaired_surrogate()
                ))
            }),
    )
}

/// Loads one file's bytes in the given format, with the default limits.
pub fn load(path: &Path, format: Format, bytes: Vec<u8>) -> Result<Loaded, IngestError> {
    load_with(path, format, bytes, &IngestLimits::default())
}

/// Loads one file's bytes in the given format within `limits`.
pub fn load_with(
    path: &Path,
    format: Format,
    bytes: Vec<u8>,
    limits: &IngestLimits,
) -> Result<Loaded, IngestError> {
    load_with_progress(path, format, bytes, limits, &mut |_, _| {})
}

/// [`load_with`], calling `progress(done, total)` after each PDF page read by OCR.
pub fn load_with_progress(
    path: &Path,
    format: Format,
    bytes: Vec<u8>,
    limits: &IngestLimits,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Loaded, IngestError> {
    let loaded = match format {
        Format::Pdf => load_pdf(&bytes, limits, progress)?,
        Format::Docx => load_docx(&bytes, limits)?,
        _ => {
            let _ = path;
            let text = read_text(bytes, limits.max_bytes)?;
            match format {
                Format::Markdown => load_markdown(text)?,
                Format::Html => load_html(&text)?,
                _ => Loaded::plain(text, 0, DocMeta::default()),
            }
        }
    };
    if loaded.text[loaded.body_start..].trim().is_empty() {
        return Err(IngestError::Empty);
    }
    Ok(loaded)
}

impl Loaded {
    /// A loaded file without pages.
    pub fn plain(text: String, body_start: usize, meta: DocMeta) -> Loaded {
        Loaded {
            text,
            body_start,
            meta,
            pages: Vec::new(),
            ocr: Vec::new(),
            page_problems: Vec::new(),
        }
    }
}

/// A PDF's pages, one after the other, with paragraphs separated by blank lines and the
/// offset of each page's start kept for page citations.
fn load_pdf(
    bytes: &[u8],
    limits: &IngestLimits,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Loaded, IngestError> {
    let pdf = super::pdf::extract_with_progress(bytes, limits, progress)?;
    if pdf
        .pages
        .iter()
        .all(|p| p.iter().all(|l| l.trim().is_empty()))
    {
        if limits.ocr.mode == super::ocr::OcrMode::Never || pdf.page_problems.is_empty() {
            return Err(IngestError::NoTextLayer);
        }
        let why = pdf.page_problems.join("; ");
        return Err(match super::ocr::unavailable() {
            Some(_) => IngestError::OcrUnavailable(why),
            None => IngestError::NoTextRead(why),
        });
    }
    let mut text = String::new();
    let mut pages = Vec::with_capacity(pdf.pages.len());
    for page in &pdf.pages {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        pages.push(text.len());
        text.push_str(&page.join("\n\n"));
    }
    text.push('\n');
    Ok(Loaded {
        text,
        body_start: 0,
        meta: DocMeta {
            title: pdf.title,
            ..DocMeta::default()
        },
        pages,
        ocr: pdf.ocr,
        page_problems: pdf.page_problems,
    })
}

fn load_docx(bytes: &[u8], limits: &IngestLimits) -> Result<Loaded, IngestError> {
    let docx = super::docx::extract(bytes, limits)?;
    Ok(Loaded::plain(
        docx.text + "\n",
        0,
        DocMeta {
            title: docx.title,
            ..DocMeta::default()
        },
    ))
}

/// Splits YAML front matter (between `---` lines at the very top) from the body.
fn load_markdown(text: String) -> Result<Loaded, IngestError> {
    let Some(after_open) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok(Loaded::plain(text, 0, DocMeta::default()));
    };
    let open_len = text.len() - after_open.len();
    let mut offset = open_len;
    let mut close: Option<(usize, usize)> = None;
    for line in after_open.split_inclusive('\n') {
        if line.trim_end() == "---" || line.trim_end() == "..." {
            close = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((yaml_end, body_start)) = close else {
        return Err(IngestError::FrontMatter(
            "the front matter opened with --- is never closed".into(),
        ));
    };
    let yaml = &text[open_len..yaml_end];
    let fm: FrontMatter = if yaml.trim().is_empty() {
        FrontMatter::default()
    } else {
        serde_yaml::from_str(yaml).map_err(|e| IngestError::FrontMatter(e.to_string()))?
    };
    let meta = validate(fm)?;
    Ok(Loaded::plain(text, body_start, meta))
}

fn validate(fm: FrontMatter) -> Result<DocMeta, IngestError> {
    let lang = match fm.lang.as_deref() {
        None => None,
        Some(code) => Some(Lang::parse(code).ok_or_else(|| {
            IngestError::FrontMatter(format!("lang must be fa or en, not {code:?}"))
        })?),
    };
    let year = match fm.year {
        None => None,
        Some(y) if (1000..=9999).contains(&y) => Some(y as u32),
        Some(y) => {
            return Err(IngestError::FrontMatter(format!(
                "year must be a four-digit year, not {y}"
            )))
        }
    };
    let clean = |s: Option<String>| s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    Ok(DocMeta {
        title: clean(fm.title),
        doc_type: clean(fm.doc_type).map(|t| t.to_lowercase()),
        lang,
        jurisdiction: clean(fm.jurisdiction),
        year,
        status: clean(fm.status).map(|t| t.to_lowercase()),
        source: clean(fm.source),
        tags: fm.tags,
    })
}

/// HTML to text with headings kept as Markdown headings, so the chunker sees structure.
fn load_html(html: &str) -> Result<Loaded, IngestError> {
    // The parser's work grows with the square of the nesting depth.
    super::html_depth::check_html(html)?;
    let doc = Html::parse_document(html);
    let mut out = String::new();
    let mut title = None;
    for node in doc.tree.root().descendants() {
        if let Node::Element(el) = node.value() {
            if el.name() == "title" {
                let t: String = node
                    .children()
                    .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                    .collect();
                if !t.trim().is_empty() {
                    title = Some(t.trim().to_string());
                }
                break;
            }
        }
    }
    html_text(doc.tree.root(), &mut out);
    let text = collapse_blank_lines(&out);
    Ok(Loaded::plain(
        text,
        0,
        DocMeta {
            title,
            ..DocMeta::default()
        },
    ))
}

/// What is left to do for a node: visit it, or close the element it opened.
enum Step<'a> {
    Enter(ego_tree::NodeRef<'a, Node>),
    Leave { block: bool, cell: bool },
}

/// The text of `root`'s subtree. Walks with an explicit stack, not recursion: a page of
/// 20,000 nested `<div>`s would otherwise overflow the thread's stack and abort the process.
fn html_text(root: ego_tree::NodeRef<'_, Node>, out: &mut String) {
    let mut stack = vec![Step::Enter(root)];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Enter(node) => node,
            Step::Leave { block, cell } => {
                if cell {
                    out.push_str(" | ");
                }
                if block {
                    out.push_str("\n\n");
                }
                continue;
            }
        };
        match node.value() {
            Node::Text(t) => {
                let collapsed = t.split_whitespace().collect::<Vec<_>>().join(" ");
                if !collapsed.is_empty() {
                    if !out.is_empty()
                        && !out.ends_with(['\n', ' '])
                        && t.starts_with(char::is_whitespace)
                    {
                        out.push(' ');
                    }
                    out.push_str(&collapsed);
                    if t.ends_with(char::is_whitespace) {
                        out.push(' ');
                    }
                }
            }
            Node::Element(el) => {
                let name = el.name();
                if matches!(
                    name,
                    "script" | "style" | "noscript" | "template" | "head" | "svg"
                ) {
                    continue;
                }
                let heading = match name {
                    "h1" => Some(1),
                    "h2" => Some(2),
                    "h3" => Some(3),
                    "h4" => Some(4),
                    "h5" => Some(5),
                    "h6" => Some(6),
                    _ => None,
                };
                let block = heading.is_some()
                    || matches!(
                        name,
                        "p" | "div"
                            | "li"
                            | "tr"
                            | "br"
                            | "section"
                            | "article"
                            | "table"
                            | "ul"
                            | "ol"
                            | "blockquote"
                            | "pre"
                            | "dd"
                            | "dt"
                    );
                if block {
                    out.push_str("\n\n");
                }
                if let Some(level) = heading {
                    out.push_str(&"#".repeat(level));
                    out.push(' ');
                }
                if name == "li" {
                    out.push_str("- ");
                }
                stack.push(Step::Leave {
                    block,
                    cell: matches!(name, "td" | "th"),
                });
                // Children go on the stack last first, so the first is visited first.
                let at = stack.len();
                stack.extend(node.children().map(Step::Enter));
                stack[at..].reverse();
            }
            _ => {
                let at = stack.len();
                stack.extend(node.children().map(Step::Enter));
                stack[at..].reverse();
            }
        }
    }
}

fn collapse_blank_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.lines() {
        let line = line.trim();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_front_matter_is_parsed_and_validated() {
        let md = "---\ntitle: قانون\ndoc_type: Law\nlang: fa\nyear: 1974\nstatus: course-note\n---\n# قانون\nمتن\n";
        let loaded = load(Path::new("a.md"), Format::Markdown, md.as_bytes().to_vec()).unwrap();
        assert_eq!(loaded.meta.title.as_deref(), Some("قانون"));
        assert_eq!(loaded.meta.doc_type.as_deref(), Some("law"));
        assert_eq!(loaded.meta.lang, Some(Lang::Fa));
        assert_eq!(&loaded.text[loaded.body_start..], "# قانون\nمتن\n");
    }

    #[test]
    fn bad_front_matter_is_a_clear_error() {
        for md in [
            "---\ntitle: [unclosed\n---\nbody",
            "---\ntitle: x\nbody without close",
            "---\nlang: de\n---\nbody",
            "---\nyear: 74\n---\nbody",
            "---\ncolour: blue\n---\nbody",
        ] {
            let err =
                load(Path::new("a.md"), Format::Markdown, md.as_bytes().to_vec()).unwrap_err();
            assert!(
                matches!(err, IngestError::FrontMatter(_)),
                "{md:?} gave {err:?}"
            );
        }
    }

    #[test]
    fn binary_empty_and_invalid_utf8_are_refused() {
        let p = Path::new("x.txt");
        assert!(matches!(
            load(p, Format::Text, b"ab\0cd".to_vec()),
            Err(IngestError::Binary)
        ));
        assert!(matches!(
            load(p, Format::Text, b"  \n ".to_vec()),
            Err(IngestError::Empty)
        ));
        assert!(matches!(
            load(p, Format::Text, vec![b'a', 0xff, b'b']),
            Err(IngestError::InvalidUtf8 { offset: 1 })
        ));
        assert!(matches!(
            load(
                Path::new("a.md"),
                Format::Markdown,
                b"---\ntitle: x\n---\n\n".to_vec()
            ),
            Err(IngestError::Empty)
        ));
    }

    fn utf16(text: &str, little: bool) -> Vec<u8> {
        let mut out = if little {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for u in text.encode_utf16() {
            out.extend(if little {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_text_with_a_byte_order_mark_is_read_not_called_binary() {
        let text = "ماده ۱ - پایش پساب\nISO 14001 clause 6.1\n";
        for little in [true, false] {
            let loaded = load(Path::new("u.txt"), Format::Text, utf16(text, little)).unwrap();
            assert_eq!(loaded.text, text);
        }
        let md = load(
            Path::new("u.md"),
            Format::Markdown,
            utf16("---\ntitle: عنوان\n---\n# سرفصل\nمتن\n", true),
        )
        .unwrap();
        assert_eq!(md.meta.title.as_deref(), Some("عنوان"));
        // A lone surrogate or an odd byte count is named as broken UTF-16.
        let mut odd = utf16("ab", true);
        odd.push(b'c');
        let err = load(Path::new("u.txt"), Format::Text, odd).unwrap_err();
        assert!(err.to_string().contains("UTF-16"), "{err}");
        let broken = vec![0xFF, 0xFE, 0x00, 0xD8, b'a', 0];
        let err = load(Path::new("u.txt"), Format::Text, broken).unwrap_err();
        assert!(err.to_string().contains("UTF-16"), "{err}");
    }

    #[test]
    fn one_size_limit_for_text_too_and_the_message_says_how_to_raise_it() {
        let small = IngestLimits {
            max_bytes: 1024 * 1024,
            ..IngestLimits::default()
        };
        let big = "واژه ".repeat(200_000).into_bytes();
        let err = load_with(Path::new("big.txt"), Format::Text, big.clone(), &small).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("1.7 MB") && msg.contains("the limit is 1 MB"),
            "{msg}"
        );
        assert!(msg.contains("--max-file-mb"), "{msg}");
        let larger = IngestLimits {
            max_bytes: 2 * 1024 * 1024,
            ..IngestLimits::default()
        };
        assert!(load_with(Path::new("big.txt"), Format::Text, big, &larger).is_ok());
    }

    #[test]
    fn html_keeps_headings_and_drops_scripts() {
        let html = "<html><head><title>راهنما</title><script>var x=1;</script></head><body><h2>ماده ۶</h2><p>متن <b>مهم</b> اینجا</p><ul><li>یک</li></ul></body></html>";
        let loaded = load(Path::new("a.html"), Format::Html, html.as_bytes().to_vec()).unwrap();
        assert_eq!(loaded.meta.title.as_deref(), Some("راهنما"));
        assert!(loaded.text.contains("## ماده ۶"));
        assert!(loaded.text.contains("متن مهم اینجا"));
        assert!(loaded.text.contains("- یک"));
        assert!(!loaded.text.contains("var x"));
    }

    #[test]
    fn deeply_nested_html_is_read_without_recursion() {
        let page = |depth: usize| {
            format!(
                "<html><body>{}<p>متن ژرف</p>{}</body></html>",
                "<div>".repeat(depth),
                "</div>".repeat(depth)
            )
        };
        // Past the nesting limit: refused before the parser runs.
        let err = load(Path::new("a.html"), Format::Html, page(20_000).into_bytes()).unwrap_err();
        assert!(matches!(err, IngestError::HtmlTooDeep { .. }), "{err}");
        // The deepest page accepted, on a stack a recursive walk of it would overflow.
        let html = page(crate::ingest::html_depth::MAX_HTML_NESTING - 2);
        let loaded = std::thread::Builder::new()
            .stack_size(128 * 1024)
            .spawn(move || load(Path::new("a.html"), Format::Html, html.into_bytes()))
            .unwrap()
            .join()
            .expect("no stack overflow")
            .unwrap();
        assert!(loaded.text.contains("متن ژرف"));
    }

    #[test]
    fn html_cells_and_lists_keep_their_order() {
        let html =
            "<table><tr><td>یک</td><td>دو</td></tr></table><ol><li>اول</li><li>دوم</li></ol>";
        let loaded = load(Path::new("a.html"), Format::Html, html.as_bytes().to_vec()).unwrap();
        assert!(loaded.text.contains("یک | دو |"), "{}", loaded.text);
        let first = loaded.text.find("- اول").unwrap();
        assert!(loaded.text[first..].contains("- دوم"));
    }

    #[test]
    fn unsupported_extensions_name_themselves() {
        let err = Format::from_path(Path::new("a.xlsx")).unwrap_err();
        assert!(err.to_string().contains(".xlsx"));
    }
}
