//! Budgets that keep one hostile file from costing the process its stack or its memory.
//!
//! Owns three things the format loaders call before (or instead of) trusting a parser:
//! the PDF pre-scan ([`check_pdf`]), which refuses objects nested deeper than
//! [`MAX_PDF_NESTING`] before `lopdf` sees them (its parser recurses once per `[` or `<<`
//! with no limit, and a stack overflow cannot be caught: it aborts the whole server) and
//! inflates object and cross-reference streams within the file's budget before `lopdf`
//! inflates them without one; the bounded stream decoder ([`decode_stream`]) for content
//! streams; and the per-file budgets themselves ([`inflate_budget`], [`xml_nodes_limit`]),
//! tied to the file's own size and limit so a 2 KB file cannot claim a gigabyte.
//!
//! It does not extract text (`pdf`, `docx` do) and knows only as much PDF syntax as it
//! needs to find where `lopdf` would start parsing and how deep it could go from there.

use std::io::Read;

use super::{IngestError, IngestLimits};

/// Deepest nesting of arrays and dictionaries accepted in a PDF. Real files stay under
/// ten; this leaves room and keeps the parser's recursion to a few hundred KB of stack.
pub const MAX_PDF_NESTING: usize = 64;

/// The most bytes all decompression of one file may produce: 64 times the file's size
/// (content streams rarely compress better than 10:1), at least 16 MiB so small real
/// files are never refused, and never more than 8 times the file limit.
pub fn inflate_budget(file_len: usize, limits: &IngestLimits) -> u64 {
    let cap = limits.max_bytes.saturating_mul(8);
    (file_len as u64)
        .saturating_mul(64)
        .max(16 * 1024 * 1024)
        .min(cap)
}

/// The most XML nodes a DOCX of `file_len` bytes may produce: 1 million per MB of the
/// file (real documents have a few hundred thousand per MB of zip), at least 200,000.
/// A node costs tens of bytes in the parsed tree, so this bounds the tree's memory by the
/// file's size rather than by the XML's.
pub fn xml_nodes_limit(file_len: usize) -> u32 {
    let per_mb = (file_len as u64).saturating_mul(1_000_000) / (1024 * 1024);
    per_mb.clamp(200_000, 20_000_000) as u32
}

/// Refuses a PDF that could overflow `lopdf`'s recursive parser or make it inflate
/// past `budget`: every place `lopdf` parses an object from (after each `obj` keyword,
/// after `trailer`, at each offset inside an object stream) is scanned for nesting, and
/// object and cross-reference streams are inflated here, within the budget, first.
pub fn check_pdf(bytes: &[u8], budget: u64) -> Result<(), IngestError> {
    let mut scan = Scanner::new(bytes.len());
    let mut budget = budget;
    let mut at = 0;
    while let Some(found) = find_keyword(bytes, at, b"obj") {
        at = found + 3;
        let end = scan.object(bytes, at)?;
        if let Some(stream) = stream_after(bytes, at, end) {
            check_special_stream(bytes, &stream, &mut scan, &mut budget)?;
        }
    }
    let mut at = 0;
    while let Some(found) = find_keyword(bytes, at, b"trailer") {
        at = found + 7;
        scan.object(bytes, at)?;
    }
    Ok(())
}

/// Refuses a content stream (page or form) nested deeper than [`MAX_PDF_NESTING`], before
/// `lopdf::content::Content::decode` parses it recursively.
pub fn check_content(content: &[u8]) -> Result<(), IngestError> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < content.len() {
        match token(content, i) {
            Token::Open(next) => {
                depth += 1;
                if depth > MAX_PDF_NESTING {
                    return Err(too_deep());
                }
                i = next;
            }
            Token::Close(next) => {
                depth = depth.saturating_sub(1);
                i = next;
            }
            Token::Keyword(start, next) => {
                // A keyword inside an array makes the parse fail there; the next operation
                // starts afresh.
                depth = 0;
                if &content[start..next] == b"ID" {
                    // Inline image data is binary: skip to its `EI`.
                    i = find_keyword(content, next, b"EI").map_or(content.len(), |p| p + 2);
                } else {
                    i = next;
                }
            }
            Token::Scalar(next) | Token::Space(next) => i = next,
            Token::End => break,
        }
    }
    Ok(())
}

/// A stream's decoded bytes with its filters applied in order, refusing to produce more
/// than `budget` bytes (which is reduced by what it produces). Flate is inflated here
/// with a cap; LZW (whose worst case is thousands of times its input) only when that
/// worst case fits; predictors (`DecodeParms`) are left to `lopdf` once the inflated size
/// is known to fit, since a predictor never adds bytes.
pub fn decode_stream(stream: &lopdf::Stream, budget: &mut u64) -> Result<Vec<u8>, IngestError> {
    let filters: Vec<Vec<u8>> = stream
        .filters()
        .unwrap_or_default()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let has_params = stream.dict.get(b"DecodeParms").is_ok();
    let out = if filters.is_empty() {
        stream.content.clone()
    } else {
        let measured = decode_chain(&stream.content, &filters, *budget)?;
        if has_params {
            stream
                .decompressed_content()
                .map_err(|e| IngestError::Corrupt(format!("undecodable stream ({e})")))?
        } else {
            measured
        }
    };
    if out.len() as u64 > *budget {
        return Err(inflates_past(*budget));
    }
    *budget -= out.len() as u64;
    Ok(out)
}

/// Applies `filters` to `data` with every stage capped at `budget` bytes.
fn decode_chain(data: &[u8], filters: &[Vec<u8>], budget: u64) -> Result<Vec<u8>, IngestError> {
    let mut cur = data.to_vec();
    for f in filters {
        cur = match f.as_slice() {
            b"FlateDecode" => inflate(&cur, budget)?,
            b"ASCII85Decode" => {
                // At most 4 bytes out per byte in (`z`).
                if (cur.len() as u64).saturating_mul(4) > budget {
                    return Err(inflates_past(budget));
                }
                lopdf::Stream::new(
                    lopdf::dictionary! { "Filter" => "ASCII85Decode" },
                    std::mem::take(&mut cur),
                )
                .decompressed_content()
                .map_err(|e| IngestError::Corrupt(format!("undecodable stream ({e})")))?
            }
            b"LZWDecode" => {
                if (cur.len() as u64).saturating_mul(4096) > budget {
                    return Err(IngestError::Corrupt(
                        "an LZW stream too large to decode within the size limit".into(),
                    ));
                }
                lopdf::Stream::new(
                    lopdf::dictionary! { "Filter" => "LZWDecode" },
                    std::mem::take(&mut cur),
                )
                .decompressed_content()
                .map_err(|e| IngestError::Corrupt(format!("undecodable stream ({e})")))?
            }
            other => {
                return Err(IngestError::Corrupt(format!(
                    "a stream with an unsupported filter ({})",
                    String::from_utf8_lossy(other)
                )))
            }
        };
    }
    Ok(cur)
}

/// Inflates a zlib stream as `lopdf` does (raw deflate when the zlib header is bad), but
/// never past `budget` bytes. A damaged stream yields what decoded before the damage.
fn inflate(data: &[u8], budget: u64) -> Result<Vec<u8>, IngestError> {
    let mut out = Vec::new();
    let zlib = flate2::read::ZlibDecoder::new(data)
        .take(budget + 1)
        .read_to_end(&mut out);
    if zlib.is_err() && out.is_empty() && data.len() > 2 {
        let _ = flate2::read::DeflateDecoder::new(&data[2..])
            .take(budget + 1)
            .read_to_end(&mut out);
    }
    if out.len() as u64 > budget {
        return Err(inflates_past(budget));
    }
    Ok(out)
}

/// Characters that reorder the text around them (U+202A–U+202E, U+2066–U+2069, the marks
/// U+200E, U+200F, U+061C): in a file name or document id they make `gpj.exe` read as
/// `exe.jpg`, so ids and upload names carrying them are refused rather than shown.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

fn too_deep() -> IngestError {
    IngestError::TooDeep {
        limit: MAX_PDF_NESTING,
    }
}

fn inflates_past(limit: u64) -> IngestError {
    IngestError::Inflates { limit }
}

/// PDF white-space characters.
fn is_space(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_space(b) && !is_delimiter(b)
}

/// The next occurrence, at or after `from`, of `word` standing as a token of its own
/// (not part of a longer run of regular characters such as `endobj`).
fn find_keyword(bytes: &[u8], from: usize, word: &[u8]) -> Option<usize> {
    let mut i = from;
    while i + word.len() <= bytes.len() {
        let rest = &bytes[i..];
        let p = rest.windows(word.len()).position(|w| w == word)? + i;
        let before_ok = p == 0 || !is_regular(bytes[p - 1]);
        let after_ok = p + word.len() == bytes.len() || !is_regular(bytes[p + word.len()]);
        if before_ok && after_ok {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

enum Token {
    /// `[` or `<<`; the index after it.
    Open(usize),
    /// `]` or `>>`.
    Close(usize),
    /// A number, name, string, `R`, `true`, `false` or `null`.
    Scalar(usize),
    /// Any other run of regular characters (an operator or keyword): start and end.
    Keyword(usize, usize),
    /// White space or a comment.
    Space(usize),
    End,
}

/// The token starting at `i` (which must not be in the middle of one).
fn token(b: &[u8], i: usize) -> Token {
    let Some(&c) = b.get(i) else {
        return Token::End;
    };
    match c {
        c if is_space(c) => {
            let mut j = i + 1;
            while j < b.len() && is_space(b[j]) {
                j += 1;
            }
            Token::Space(j)
        }
        b'%' => {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'\n' && b[j] != b'\r' {
                j += 1;
            }
            Token::Space(j)
        }
        b'[' => Token::Open(i + 1),
        b']' => Token::Close(i + 1),
        b'<' if b.get(i + 1) == Some(&b'<') => Token::Open(i + 2),
        b'>' if b.get(i + 1) == Some(&b'>') => Token::Close(i + 2),
        b'<' => {
            let j = b[i..]
                .iter()
                .position(|&x| x == b'>')
                .map_or(b.len(), |p| i + p + 1);
            Token::Scalar(j)
        }
        b'(' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'\\' => j += 1,
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            return Token::Scalar(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Token::Scalar(b.len())
        }
        b'/' => {
            let mut j = i + 1;
            while j < b.len() && is_regular(b[j]) {
                j += 1;
            }
            Token::Scalar(j)
        }
        b')' | b'>' | b'{' | b'}' => Token::Keyword(i, i + 1),
        _ => {
            let mut j = i;
            while j < b.len() && is_regular(b[j]) {
                j += 1;
            }
            let word = &b[i..j];
            let scalar = matches!(word, b"R" | b"true" | b"false" | b"null")
                || word
                    .iter()
                    .all(|&x| x.is_ascii_digit() || matches!(x, b'+' | b'-' | b'.'));
            if scalar {
                Token::Scalar(j)
            } else {
                Token::Keyword(i, j)
            }
        }
    }
}

/// Scans single objects, counting the work so that overlapping scans (crafted strings
/// that swallow the rest of the file from many starts) cannot take quadratic time.
struct Scanner {
    work: u64,
    max_work: u64,
}

impl Scanner {
    fn new(len: usize) -> Scanner {
        Scanner {
            work: 0,
            max_work: (len as u64).saturating_mul(32) + 1024 * 1024,
        }
    }

    /// Scans the one direct object that starts at `at` (after white space), as `lopdf`
    /// would parse it there; returns where it ends.
    fn object(&mut self, b: &[u8], at: usize) -> Result<usize, IngestError> {
        let mut depth = 0usize;
        let mut i = at;
        loop {
            let t = token(b, i);
            let next = match t {
                Token::End => return Ok(b.len()),
                Token::Space(n) => n,
                Token::Open(n) => {
                    depth += 1;
                    if depth > MAX_PDF_NESTING {
                        return Err(too_deep());
                    }
                    n
                }
                Token::Close(n) => {
                    if depth <= 1 {
                        self.charge(n - i)?;
                        return Ok(n);
                    }
                    depth -= 1;
                    n
                }
                Token::Scalar(n) if depth == 0 => {
                    self.charge(n - i)?;
                    return Ok(n);
                }
                Token::Scalar(n) => n,
                // The parser fails at a keyword inside an object: nothing deeper is read.
                Token::Keyword(..) => return Ok(i),
            };
            self.charge(next - i)?;
            i = next;
        }
    }

    fn charge(&mut self, bytes: usize) -> Result<(), IngestError> {
        self.work += bytes as u64;
        if self.work > self.max_work {
            return Err(IngestError::Corrupt(
                "the PDF's objects overlap in ways no real file does; not indexed".into(),
            ));
        }
        Ok(())
    }
}

/// A stream found after an object's dictionary.
struct StreamAt {
    dict: std::ops::Range<usize>,
    data_start: usize,
}

/// When the object scanned from `start` to `end` is a dictionary followed by `stream`,
/// where its dictionary is and where its data starts.
fn stream_after(b: &[u8], start: usize, end: usize) -> Option<StreamAt> {
    let mut i = end;
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    if !b[i..].starts_with(b"stream") {
        return None;
    }
    let mut data_start = i + 6;
    if b[data_start..].starts_with(b"\r\n") {
        data_start += 2;
    } else if data_start < b.len() && (b[data_start] == b'\n' || b[data_start] == b'\r') {
        data_start += 1;
    }
    Some(StreamAt {
        dict: start..end,
        data_start,
    })
}

/// Object streams hold objects `lopdf` parses after inflating them; cross-reference
/// streams are inflated while the file is read. Both are inflated here first, within the
/// budget, and an object stream's objects are scanned for nesting.
fn check_special_stream(
    b: &[u8],
    stream: &StreamAt,
    scan: &mut Scanner,
    budget: &mut u64,
) -> Result<(), IngestError> {
    let dict = &b[stream.dict.clone()];
    let object_stream = contains(dict, b"/ObjStm");
    if !object_stream && !contains(dict, b"/XRef") {
        return Ok(());
    }
    let data = stream_data(b, dict, stream.data_start);
    let filters = filters_of(dict);
    let decoded = if filters.is_empty() {
        data.to_vec()
    } else {
        decode_chain(data, &filters, *budget)?
    };
    *budget = budget.saturating_sub(decoded.len() as u64);
    if !object_stream {
        return Ok(());
    }
    if contains(dict, b"/Predictor") {
        return Err(IngestError::Corrupt(
            "an object stream with a predictor (not produced by PDF writers); not indexed".into(),
        ));
    }
    let first = int_after(dict, b"/First").unwrap_or(0) as usize;
    let Some(header) = decoded.get(..first) else {
        return Ok(());
    };
    let numbers: Vec<usize> = std::str::from_utf8(header)
        .unwrap_or("")
        .split_ascii_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    for pair in numbers.chunks_exact(2) {
        let at = first.saturating_add(pair[1]);
        if at < decoded.len() {
            scan.object(&decoded, at)?;
        }
    }
    Ok(())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The integer after `key` in a dictionary's bytes, when it is a direct one (`5 0 R`
/// is a reference, not a number).
fn int_after(dict: &[u8], key: &[u8]) -> Option<u64> {
    let p = dict
        .windows(key.len())
        .enumerate()
        .find(|(p, w)| *w == key && dict.get(p + key.len()).is_none_or(|&c| !is_regular(c)))?
        .0;
    let words = next_words(dict, p + key.len(), 3);
    let n: u64 = std::str::from_utf8(words.first()?).ok()?.parse().ok()?;
    let is_reference =
        words.len() == 3 && words[1].iter().all(u8::is_ascii_digit) && words[2] == b"R".as_slice();
    (!is_reference).then_some(n)
}

/// Up to `n` tokens after `from`, white space skipped.
fn next_words(b: &[u8], from: usize, n: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = from;
    while out.len() < n {
        match token(b, i) {
            Token::Space(next) => i = next,
            Token::Scalar(next) | Token::Open(next) | Token::Close(next) => {
                out.push(&b[i..next]);
                i = next;
            }
            Token::Keyword(start, next) => {
                out.push(&b[start..next]);
                i = next;
            }
            Token::End => break,
        }
    }
    out
}

/// A stream's raw data: `/Length` bytes when the length is a direct number that fits,
/// otherwise up to the next `endstream`.
fn stream_data<'a>(b: &'a [u8], dict: &[u8], start: usize) -> &'a [u8] {
    let rest = &b[start.min(b.len())..];
    if let Some(len) = int_after(dict, b"/Length") {
        if let Ok(len) = usize::try_from(len) {
            if len <= rest.len() {
                return &rest[..len];
            }
        }
    }
    let end = find_keyword(rest, 0, b"endstream").unwrap_or(rest.len());
    &rest[..end]
}

/// The filter names of a dictionary, in decoding order.
fn filters_of(dict: &[u8]) -> Vec<Vec<u8>> {
    let Some(p) = dict.windows(7).position(|w| w == b"/Filter") else {
        return Vec::new();
    };
    let mut i = p + 7;
    let mut names = Vec::new();
    let mut in_array = false;
    while i < dict.len() {
        match token(dict, i) {
            Token::Space(n) => i = n,
            Token::Open(n) if dict[i] == b'[' => {
                in_array = true;
                i = n;
            }
            Token::Scalar(n) if dict[i] == b'/' => {
                names.push(dict[i + 1..n].to_vec());
                if !in_array {
                    break;
                }
                i = n;
            }
            _ => break,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn deep_arrays_in_an_object_are_refused_and_shallow_ones_pass() {
        let deep = format!(
            "1 0 obj\n{}{}\nendobj\n",
            "[".repeat(1000),
            "]".repeat(1000)
        );
        assert!(matches!(
            check_pdf(deep.as_bytes(), 1 << 20),
            Err(IngestError::TooDeep { .. })
        ));
        let dicts = format!(
            "1 0 obj\n{}{}\nendobj\n",
            "<</A ".repeat(200),
            ">>".repeat(200)
        );
        assert!(check_pdf(dicts.as_bytes(), 1 << 20).is_err());
        let fine = "1 0 obj\n<< /Type /Page /MediaBox [0 0 612 792] /Kids [2 0 R] /T (a ] ] [ b) >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n";
        assert!(check_pdf(fine.as_bytes(), 1 << 20).is_ok());
    }

    #[test]
    fn strings_cannot_hide_nesting_from_the_scan() {
        // Each `(]])` would cancel the `[` in a naive count; the parser sees none of it.
        let sneaky = format!("1 0 obj\n{}\nendobj\n", "[(]])".repeat(200));
        assert!(check_pdf(sneaky.as_bytes(), 1 << 20).is_err());
    }

    #[test]
    fn nesting_inside_a_compressed_object_stream_is_found() {
        let inner = format!("{}{}", "[".repeat(500), "]".repeat(500));
        let header = "7 0 ";
        let body = format!("{header}{inner}");
        let packed = deflate(body.as_bytes());
        let mut pdf = format!(
            "%PDF-1.5\n3 0 obj\n<< /Type /ObjStm /N 1 /First {} /Filter /FlateDecode /Length {} >>\nstream\n",
            header.len(),
            packed.len()
        )
        .into_bytes();
        pdf.extend_from_slice(&packed);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        assert!(matches!(
            check_pdf(&pdf, 1 << 20),
            Err(IngestError::TooDeep { .. })
        ));
    }

    #[test]
    fn an_object_stream_that_inflates_past_the_budget_is_refused() {
        let packed = deflate(&vec![b' '; 4 << 20]);
        let mut pdf = format!(
            "%PDF-1.5\n3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
            packed.len()
        )
        .into_bytes();
        pdf.extend_from_slice(&packed);
        pdf.extend_from_slice(b"\nendstream\nendobj\n");
        assert!(matches!(
            check_pdf(&pdf, 1 << 20),
            Err(IngestError::Inflates { .. })
        ));
        assert!(check_pdf(&pdf, 8 << 20).is_ok());
    }

    #[test]
    fn twice_deflated_streams_are_capped_at_every_stage() {
        let once = deflate(&vec![0u8; 8 << 20]);
        let twice = deflate(&once);
        let stream = lopdf::Stream::new(
            lopdf::dictionary! { "Filter" => vec![lopdf::Object::from("FlateDecode"), lopdf::Object::from("FlateDecode")] },
            twice,
        );
        let mut budget = 1 << 20;
        assert!(matches!(
            decode_stream(&stream, &mut budget),
            Err(IngestError::Inflates { .. })
        ));
        let mut budget = 16 << 20;
        assert_eq!(decode_stream(&stream, &mut budget).unwrap().len(), 8 << 20);
        assert_eq!(budget, 8 << 20);
    }

    #[test]
    fn content_streams_are_checked_and_inline_images_skipped() {
        assert!(check_content(b"BT [(a) 10 (b)] TJ ET").is_ok());
        let deep = format!("BT {} TJ ET", "[".repeat(100));
        assert!(check_content(deep.as_bytes()).is_err());
        let mut image = b"BI /W 4 /H 4 ID ".to_vec();
        image.extend(std::iter::repeat_n(b'[', 300));
        image.extend_from_slice(b" EI Q");
        assert!(check_content(&image).is_ok());
    }

    #[test]
    fn budgets_follow_the_file() {
        let limits = IngestLimits {
            max_bytes: 8 << 20,
            max_pages: 10,
            ..IngestLimits::default()
        };
        assert_eq!(inflate_budget(2_000, &limits), 16 << 20);
        assert_eq!(inflate_budget(1 << 20, &limits), 64 << 20);
        assert_eq!(inflate_budget(8 << 20, &limits), 64 << 20);
        assert_eq!(xml_nodes_limit(350 * 1024), 341_796);
        assert_eq!(xml_nodes_limit(1_000), 200_000);
    }
}
