//! PDF loading: from a file's bytes to the text of each page.
//!
//! This file owns opening the file with `lopdf` (refusing encrypted, damaged, oversized and
//! overlong files with a reason), interpreting each page's content stream (text state,
//! matrices, fonts, `ToUnicode` maps, widths) into positioned glyphs, and handing them to
//! `layout` for reading order and to `persian` for repair. Our own extraction rather than
//! a crate's text function: RTL text needs every glyph's position (docs/BENCHMARKS.md).
//! The steps have their own files: `fonts` (encodings, `ToUnicode` maps, widths), `content`
//! (the content-stream interpreter), `layout` (reading order), `persian` (repair).

use lopdf::{Dictionary, Document, Object, ObjectId};

pub mod content;
pub mod fonts;
pub mod layout;
pub mod persian;

use content::page_glyphs;
use fonts::FontCache;
use layout::page_text;
use persian::strip_running_margins;

use super::{IngestError, IngestLimits};

/// The text of a PDF, page by page (page `i` is `pages[i]`, one line per entry).
#[derive(Debug, Clone, PartialEq)]
pub struct PdfText {
    /// Lines of each page, in reading order.
    pub pages: Vec<Vec<String>>,
    /// The document's title from its metadata, when it has one.
    pub title: Option<String>,
    /// Per page: what OCR read there (words and their summed confidence), `None` for a
    /// page whose text came from its text layer.
    pub ocr: Vec<Option<super::ocr::OcrPage>>,
    /// Pages left without text, each with its reason («page 3: OCR found no text on it»).
    pub page_problems: Vec<String>,
}

/// Most operators run on one page, so a hostile content stream cannot spin forever.
const MAX_OPS_PER_PAGE: usize = 2_000_000;
/// Most glyphs kept for one page.
const MAX_GLYPHS_PER_PAGE: usize = 200_000;
/// Form XObjects nest at most this deep (and never into themselves).
const MAX_FORM_DEPTH: usize = 8;

/// Reads a PDF's text, page by page, within `limits`.
pub fn extract(bytes: &[u8], limits: &IngestLimits) -> Result<PdfText, IngestError> {
    extract_with_progress(bytes, limits, &mut |_, _| {})
}

/// [`extract`], calling `progress(done, total)` after each page read by OCR.
pub fn extract_with_progress(
    bytes: &[u8],
    limits: &IngestLimits,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<PdfText, IngestError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(IngestError::TooLarge {
            bytes: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    if !bytes.starts_with(b"%PDF")
        && !bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
    {
        return Err(IngestError::Corrupt("not a PDF (no %PDF header)".into()));
    }
    // lopdf's parser recurses without a limit and inflates object streams without one.
    let mut budget = super::limits::inflate_budget(bytes.len(), limits);
    super::limits::check_pdf(bytes, budget)?;
    let doc = Document::load_mem(bytes).map_err(load_error)?;
    if doc.is_encrypted() {
        return Err(IngestError::Encrypted);
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(IngestError::Corrupt("the PDF has no pages".into()));
    }
    if pages.len() > limits.max_pages as usize {
        return Err(IngestError::TooManyPages {
            pages: pages.len(),
            limit: limits.max_pages,
        });
    }
    let mut fonts = FontCache::default();
    let mut out = Vec::with_capacity(pages.len());
    let mut boxes = Vec::with_capacity(pages.len());
    for (&number, &page_id) in pages.iter() {
        let glyphs = page_glyphs(&doc, page_id, &mut fonts, &mut budget)?;
        let (width, height) = page_size(&doc, page_id);
        out.push(page_text(&glyphs, width));
        boxes.push(super::ocr::PageBox {
            number,
            width_pt: width,
            height_pt: height,
        });
    }
    let (ocr, page_problems) = ocr_pages(bytes, &mut out, &boxes, limits, progress);
    strip_running_margins(&mut out);
    Ok(PdfText {
        pages: out,
        title: info_title(&doc),
        ocr,
        page_problems,
    })
}

/// Fewest letters and digits that make a page's text layer usable; a page with fewer (none,
/// or a stamp's date over a scanned image) is read by OCR in `auto` mode.
const MIN_TEXT_LAYER_CHARS: usize = 12;

/// Reads by OCR the pages `limits.ocr` asks for and puts their text in `pages`; returns what
/// OCR read per page and the reason for every page left without text.
fn ocr_pages(
    bytes: &[u8],
    pages: &mut [Vec<String>],
    boxes: &[super::ocr::PageBox],
    limits: &IngestLimits,
    progress: &mut dyn FnMut(usize, usize),
) -> (Vec<Option<super::ocr::OcrPage>>, Vec<String>) {
    use super::ocr::OcrMode;
    let options = &limits.ocr;
    let mut read = vec![None; pages.len()];
    let mut problems = Vec::new();
    let usable = |p: &Vec<String>| {
        p.iter()
            .flat_map(|l| l.chars())
            .filter(|c| c.is_alphanumeric())
            .count()
            >= MIN_TEXT_LAYER_CHARS
    };
    let wanted: Vec<usize> = match options.mode {
        OcrMode::Never => Vec::new(),
        OcrMode::Always => (0..pages.len()).collect(),
        OcrMode::Auto => (0..pages.len()).filter(|&i| !usable(&pages[i])).collect(),
    };
    let cap = options.max_pages as usize;
    if wanted.len() > cap {
        let over = &wanted[cap..];
        problems.push(format!(
            "{}: not read by OCR, over the limit of {cap} OCR page(s) per file (set with --ocr-max-pages)",
            page_list(over.iter().map(|&i| boxes[i].number))
        ));
    }
    let chosen: Vec<super::ocr::PageBox> = wanted.iter().take(cap).map(|&i| boxes[i]).collect();
    if chosen.is_empty() {
        return (read, problems);
    }
    let index_of = |n: u32| boxes.iter().position(|b| b.number == n);
    let mut failed: Vec<(u32, String)> = Vec::new();
    for (number, outcome) in super::ocr::read_pages(bytes, &chosen, options, progress) {
        let Some(i) = index_of(number) else { continue };
        match outcome {
            Ok(page) => {
                pages[i] = page.paragraphs.clone();
                read[i] = Some(page);
            }
            // A page with a usable text layer keeps it when OCR fails (`always`).
            Err(_) if usable(&pages[i]) => {}
            Err(why) => failed.push((number, why)),
        }
    }
    // Pages that failed for the same reason (the tool is missing) are reported together.
    let mut reasons: Vec<&str> = Vec::new();
    for (_, why) in &failed {
        if !reasons.contains(&why.as_str()) {
            reasons.push(why);
        }
    }
    for why in reasons {
        let numbers = failed.iter().filter(|(_, w)| w == why).map(|(n, _)| *n);
        problems.push(format!("{}: {why}", page_list(numbers)));
    }
    (read, problems)
}

/// «page 3», «pages 3–5, 9».
fn page_list(numbers: impl Iterator<Item = u32>) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for n in numbers {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == n => *last = n,
            _ => runs.push((n, n)),
        }
    }
    let one = runs.len() == 1 && runs[0].0 == runs[0].1;
    let list = runs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!("{} {list}", if one { "page" } else { "pages" })
}

fn load_error(e: lopdf::Error) -> IngestError {
    let msg = e.to_string();
    match e {
        lopdf::Error::Decryption(_)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::AlreadyEncrypted => IngestError::Encrypted,
        _ if msg.to_ascii_lowercase().contains("encrypt") || msg.contains("password") => {
            IngestError::Encrypted
        }
        _ => IngestError::Corrupt(format!("damaged or truncated PDF ({msg})")),
    }
}

/// `/Title` of the document information dictionary.
fn info_title(doc: &Document) -> Option<String> {
    let info = doc.trailer.get(b"Info").ok()?;
    let info = match info {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let raw = info.get(b"Title").ok()?.as_str().ok()?;
    let title = if raw.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> = raw[2..]
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        raw.iter().map(|&b| b as char).collect()
    };
    let title = title.trim().to_string();
    (!title.is_empty()).then_some(title)
}

/// Width and height of a page's media box, in points (US Letter when it has none).
fn page_size(doc: &Document, page_id: ObjectId) -> (f32, f32) {
    let mut id = Some(page_id);
    for _ in 0..32 {
        let Some(cur) = id else { break };
        let Ok(dict) = doc.get_dictionary(cur) else {
            break;
        };
        if let Ok(Object::Array(b)) = dict.get(b"MediaBox").map(|o| deref(doc, o)) {
            if b.len() == 4 {
                let n: Vec<f32> = b.iter().map(|o| number(deref(doc, o))).collect();
                return ((n[2] - n[0]).abs().max(1.0), (n[3] - n[1]).abs().max(1.0));
            }
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok();
    }
    (612.0, 792.0)
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    let mut cur = o;
    for _ in 0..16 {
        match cur {
            Object::Reference(id) => match doc.get_object(*id) {
                Ok(next) => cur = next,
                Err(_) => return &Object::Null,
            },
            _ => return cur,
        }
    }
    &Object::Null
}

fn number(o: &Object) -> f32 {
    match o {
        Object::Integer(i) => *i as f32,
        Object::Real(r) if r.is_finite() => *r,
        _ => 0.0,
    }
}

fn dict_get<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    d.get(key).ok().map(|o| deref(doc, o))
}

/// A stream's decoded bytes, refusing to inflate past `budget` (a zip bomb in a
/// content stream cannot exhaust memory).
fn stream_bytes(stream: &lopdf::Stream, budget: &mut u64) -> Result<Vec<u8>, IngestError> {
    super::limits::decode_stream(stream, budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_lists_join_runs() {
        assert_eq!(page_list([3].into_iter()), "page 3");
        assert_eq!(page_list([3, 4, 5, 9].into_iter()), "pages 3–5, 9");
        assert_eq!(page_list([2, 7].into_iter()), "pages 2, 7");
    }

    #[test]
    fn non_pdf_bytes_are_refused_as_damaged() {
        let limits = IngestLimits::default();
        assert!(matches!(
            extract(b"hello", &limits),
            Err(IngestError::Corrupt(_))
        ));
        assert!(matches!(
            extract(b"%PDF-1.4\n1 0 obj <<", &limits),
            Err(IngestError::Corrupt(_))
        ));
    }
}
