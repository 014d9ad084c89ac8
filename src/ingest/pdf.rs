//! PDF loading: from a file's bytes to the text of each page.
//!
//! Owns opening the file with `lopdf` (refusing encrypted, damaged, oversized and
//! overlong files with a reason), interpreting each page's content stream (text state,
//! matrices, fonts, `ToUnicode` maps, widths) into positioned glyphs, and handing them to
//! `layout` for reading order and to `persian` for repair. Our own extraction rather than
//! a crate's text function: RTL text needs every glyph's position (docs/BENCHMARKS.md).

use std::collections::HashMap;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};

use super::layout::{page_text, Glyph};
use super::persian::strip_running_margins;
use super::{IngestError, IngestLimits};

/// The text of a PDF, page by page (page `i` is `pages[i]`, one line per entry).
#[derive(Debug, Clone, PartialEq)]
pub struct PdfText {
    pub pages: Vec<Vec<String>>,
    /// The document's title from its metadata, when it has one.
    pub title: Option<String>,
}

/// Most operators run on one page, so a hostile content stream cannot spin forever.
const MAX_OPS_PER_PAGE: usize = 2_000_000;
/// Most glyphs kept for one page.
const MAX_GLYPHS_PER_PAGE: usize = 200_000;
/// Form XObjects nest at most this deep (and never into themselves).
const MAX_FORM_DEPTH: usize = 8;

/// Reads a PDF's text, page by page, within `limits`.
pub fn extract(bytes: &[u8], limits: &IngestLimits) -> Result<PdfText, IngestError> {
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
    for (_, &page_id) in pages.iter() {
        let glyphs = page_glyphs(&doc, page_id, &mut fonts, &mut budget)?;
        let width = page_width(&doc, page_id);
        out.push(page_text(&glyphs, width));
    }
    strip_running_margins(&mut out);
    Ok(PdfText {
        pages: out,
        title: info_title(&doc),
    })
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

fn page_width(doc: &Document, page_id: ObjectId) -> f32 {
    let mut id = Some(page_id);
    for _ in 0..32 {
        let Some(cur) = id else { break };
        let Ok(dict) = doc.get_dictionary(cur) else {
            break;
        };
        if let Ok(Object::Array(b)) = dict.get(b"MediaBox").map(|o| deref(doc, o)) {
            if b.len() == 4 {
                let n: Vec<f32> = b.iter().map(|o| number(deref(doc, o))).collect();
                return (n[2] - n[0]).abs().max(1.0);
            }
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok();
    }
    612.0
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

/// How a font maps codes to text and widths.
#[derive(Debug, Clone)]
struct Font {
    /// Codes are two bytes (composite fonts) rather than one.
    two_byte: bool,
    to_unicode: HashMap<u32, String>,
    /// Fallback for simple fonts without a `ToUnicode` map.
    simple: Option<[Option<char>; 256]>,
    widths: HashMap<u32, f32>,
    default_width: f32,
    /// Glyph space to text space (1/1000 except for Type 3 fonts).
    scale: f32,
}

impl Font {
    fn text(&self, code: u32) -> String {
        if let Some(t) = self.to_unicode.get(&code) {
            return t.clone();
        }
        if let Some(map) = &self.simple {
            if let Some(Some(c)) = map.get(code as usize) {
                return c.to_string();
            }
        }
        if !self.two_byte && (32..127).contains(&code) {
            return char::from(code as u8).to_string();
        }
        String::new()
    }

    fn width(&self, code: u32) -> f32 {
        self.widths
            .get(&code)
            .copied()
            .unwrap_or(self.default_width)
            * self.scale
    }

    fn codes(&self, bytes: &[u8]) -> Vec<u32> {
        if self.two_byte {
            bytes
                .chunks(2)
                .map(|c| c.iter().fold(0u32, |a, &b| a << 8 | u32::from(b)))
                .collect()
        } else {
            bytes.iter().map(|&b| u32::from(b)).collect()
        }
    }
}

#[derive(Default)]
struct FontCache {
    by_id: HashMap<ObjectId, Font>,
}

impl FontCache {
    fn get(&mut self, doc: &Document, obj: &Object, budget: &mut u64) -> Font {
        if let Object::Reference(id) = obj {
            if let Some(f) = self.by_id.get(id) {
                return f.clone();
            }
            let f = match doc.get_dictionary(*id) {
                Ok(d) => read_font(doc, d, budget),
                Err(_) => fallback_font(),
            };
            self.by_id.insert(*id, f.clone());
            return f;
        }
        match obj {
            Object::Dictionary(d) => read_font(doc, d, budget),
            _ => fallback_font(),
        }
    }
}

fn fallback_font() -> Font {
    Font {
        two_byte: false,
        to_unicode: HashMap::new(),
        simple: None,
        widths: HashMap::new(),
        default_width: 500.0,
        scale: 0.001,
    }
}

fn read_font(doc: &Document, d: &Dictionary, budget: &mut u64) -> Font {
    let mut font = fallback_font();
    let subtype = dict_get(doc, d, b"Subtype")
        .and_then(|o| o.as_name().ok())
        .unwrap_or(b"");
    if subtype == b"Type0" {
        font.two_byte = true;
        font.default_width = 1000.0;
        let desc = dict_get(doc, d, b"DescendantFonts")
            .and_then(|o| o.as_array().ok())
            .and_then(|a| a.first())
            .map(|o| deref(doc, o))
            .and_then(|o| o.as_dict().ok());
        if let Some(desc) = desc {
            if let Some(dw) = dict_get(doc, desc, b"DW") {
                font.default_width = number(dw);
            }
            if let Some(Object::Array(w)) = dict_get(doc, desc, b"W") {
                read_cid_widths(doc, w, &mut font.widths);
            }
        }
    } else {
        if subtype == b"Type3" {
            if let Some(Object::Array(m)) = dict_get(doc, d, b"FontMatrix") {
                if let Some(a) = m.first() {
                    font.scale = number(deref(doc, a)).abs();
                }
            }
        }
        let first = dict_get(doc, d, b"FirstChar").map(number).unwrap_or(0.0) as u32;
        if let Some(Object::Array(w)) = dict_get(doc, d, b"Widths") {
            for (i, o) in w.iter().enumerate().take(256) {
                font.widths.insert(first + i as u32, number(deref(doc, o)));
            }
        }
        font.default_width = 500.0;
        font.simple = Some(simple_encoding(doc, d));
    }
    if let Some(Object::Stream(s)) = dict_get(doc, d, b"ToUnicode") {
        if let Ok(bytes) = stream_bytes(s, budget) {
            font.to_unicode = parse_to_unicode(&bytes);
        }
    }
    font
}

/// `/W` of a composite font: `c [w1 w2 …]` and `c_first c_last w` entries.
fn read_cid_widths(doc: &Document, w: &[Object], out: &mut HashMap<u32, f32>) {
    let mut i = 0;
    while i < w.len() && out.len() < 65_536 {
        let start = number(deref(doc, &w[i])) as u32;
        match w.get(i + 1).map(|o| deref(doc, o)) {
            Some(Object::Array(ws)) => {
                for (k, o) in ws.iter().enumerate().take(65_536) {
                    out.insert(start.saturating_add(k as u32), number(deref(doc, o)));
                }
                i += 2;
            }
            Some(end) => {
                let end = (number(end) as u32).min(start.saturating_add(65_535));
                let width = w.get(i + 2).map(|o| number(deref(doc, o))).unwrap_or(0.0);
                for c in start..=end {
                    out.insert(c, width);
                }
                i += 3;
            }
            None => break,
        }
    }
}

/// A simple font's byte-to-character table: its base encoding with `/Differences`.
fn simple_encoding(doc: &Document, d: &Dictionary) -> [Option<char>; 256] {
    let mut map: [Option<char>; 256] = [None; 256];
    for (b, slot) in map.iter_mut().enumerate() {
        *slot = win_ansi(b as u8);
    }
    if let Some(Object::Dictionary(enc)) = dict_get(doc, d, b"Encoding") {
        if let Some(Object::Array(diffs)) = dict_get(doc, enc, b"Differences") {
            let mut code = 0usize;
            for o in diffs {
                match deref(doc, o) {
                    Object::Integer(i) => code = (*i).clamp(0, 255) as usize,
                    Object::Name(n) => {
                        if code < 256 {
                            map[code] = glyph_name_char(n);
                        }
                        code += 1;
                    }
                    _ => {}
                }
            }
        }
    }
    map
}

/// WinAnsi (cp1252) for the printable range; enough for fonts without a `ToUnicode` map.
fn win_ansi(b: u8) -> Option<char> {
    match b {
        0x20..=0x7E => Some(b as char),
        0x91 => Some('‘'),
        0x92 => Some('’'),
        0x93 => Some('“'),
        0x94 => Some('”'),
        0x96 => Some('–'),
        0x97 => Some('—'),
        0xA0..=0xFF => Some(b as char),
        _ => None,
    }
}

/// Unicode of an Adobe glyph name, for the names PDF producers actually use.
fn glyph_name_char(name: &[u8]) -> Option<char> {
    let name = std::str::from_utf8(name).ok()?;
    let base = name.split('.').next().unwrap_or(name);
    if let Some(hex) = base.strip_prefix("uni").or_else(|| base.strip_prefix('u')) {
        if (4..=6).contains(&hex.len()) {
            if let Ok(v) = u32::from_str_radix(&hex[..hex.len().min(6)], 16) {
                return char::from_u32(v);
            }
        }
    }
    if base.len() == 1 {
        return base.chars().next();
    }
    let named = [
        ("space", ' '),
        ("period", '.'),
        ("comma", ','),
        ("colon", ':'),
        ("semicolon", ';'),
        ("hyphen", '-'),
        ("parenleft", '('),
        ("parenright", ')'),
        ("slash", '/'),
        ("quotesingle", '\''),
        ("quotedbl", '"'),
        ("zero", '0'),
        ("one", '1'),
        ("two", '2'),
        ("three", '3'),
        ("four", '4'),
        ("five", '5'),
        ("six", '6'),
        ("seven", '7'),
        ("eight", '8'),
        ("nine", '9'),
        ("percent", '%'),
        ("ampersand", '&'),
        ("question", '?'),
        ("exclam", '!'),
        ("endash", '–'),
        ("emdash", '—'),
        ("quoteleft", '‘'),
        ("quoteright", '’'),
        ("quotedblleft", '“'),
        ("quotedblright", '”'),
        ("bullet", '•'),
        ("fi", 'ﬁ'),
        ("fl", 'ﬂ'),
    ];
    named.iter().find(|(n, _)| *n == base).map(|&(_, c)| c)
}

/// Parses a `ToUnicode` CMap: `bfchar` and `bfrange` entries, hex codes, UTF-16BE text.
fn parse_to_unicode(data: &[u8]) -> HashMap<u32, String> {
    let tokens = cmap_tokens(data);
    let mut map = HashMap::new();
    let mut i = 0;
    let hex = |t: &CmapToken| match t {
        CmapToken::Hex(h) => Some(h.clone()),
        _ => None,
    };
    let code_of = |h: &[u8]| h.iter().take(4).fold(0u32, |a, &b| a << 8 | u32::from(b));
    let utf16 = |h: &[u8]| {
        let units: Vec<u16> = h
            .chunks(2)
            .map(|c| (u16::from(c[0]) << 8) | u16::from(*c.get(1).unwrap_or(&0)))
            .collect();
        String::from_utf16_lossy(&units)
    };
    const MAX_ENTRIES: usize = 1 << 17;
    while i < tokens.len() && map.len() < MAX_ENTRIES {
        match &tokens[i] {
            CmapToken::Word(w) if w == "beginbfchar" => {
                i += 1;
                while i + 1 < tokens.len() {
                    match (hex(&tokens[i]), hex(&tokens[i + 1])) {
                        (Some(src), Some(dst)) => {
                            map.insert(code_of(&src), utf16(&dst));
                            i += 2;
                        }
                        _ => break,
                    }
                }
            }
            CmapToken::Word(w) if w == "beginbfrange" => {
                i += 1;
                while i + 2 < tokens.len() {
                    let (Some(lo), Some(hi)) = (hex(&tokens[i]), hex(&tokens[i + 1])) else {
                        break;
                    };
                    let (lo, hi) = (code_of(&lo), code_of(&hi));
                    let hi = hi.min(lo.saturating_add(0xFFFF));
                    match &tokens[i + 2] {
                        CmapToken::Hex(dst) if !dst.is_empty() => {
                            let mut units: Vec<u16> = dst
                                .chunks(2)
                                .map(|c| {
                                    (u16::from(c[0]) << 8) | u16::from(*c.get(1).unwrap_or(&0))
                                })
                                .collect();
                            for code in lo..=hi {
                                map.insert(code, String::from_utf16_lossy(&units));
                                if let Some(last) = units.last_mut() {
                                    *last = last.wrapping_add(1);
                                }
                            }
                            i += 3;
                        }
                        CmapToken::Array(items) => {
                            for (k, dst) in items.iter().enumerate() {
                                let code = lo.saturating_add(k as u32);
                                if code > hi {
                                    break;
                                }
                                map.insert(code, utf16(dst));
                            }
                            i += 3;
                        }
                        _ => break,
                    }
                }
            }
            _ => i += 1,
        }
    }
    map
}

#[derive(Debug, Clone)]
enum CmapToken {
    Hex(Vec<u8>),
    Array(Vec<Vec<u8>>),
    Word(String),
}

fn cmap_tokens(data: &[u8]) -> Vec<CmapToken> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut array: Option<Vec<Vec<u8>>> = None;
    let read_hex = |i: &mut usize| {
        let mut digits = Vec::new();
        *i += 1;
        while *i < data.len() && data[*i] != b'>' {
            if data[*i].is_ascii_hexdigit() {
                digits.push(data[*i]);
            }
            *i += 1;
        }
        *i += 1;
        if digits.len() % 2 == 1 {
            digits.push(b'0');
        }
        digits
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("00"), 16).unwrap_or(0))
            .collect::<Vec<u8>>()
    };
    while i < data.len() {
        match data[i] {
            b'<' => {
                let h = read_hex(&mut i);
                match array.as_mut() {
                    Some(a) => a.push(h),
                    None => out.push(CmapToken::Hex(h)),
                }
            }
            b'[' => {
                array = Some(Vec::new());
                i += 1;
            }
            b']' => {
                if let Some(a) = array.take() {
                    out.push(CmapToken::Array(a));
                }
                i += 1;
            }
            b'%' => {
                while i < data.len() && data[i] != b'\n' && data[i] != b'\r' {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while i < data.len() && data[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                out.push(CmapToken::Word(
                    String::from_utf8_lossy(&data[start..i]).into_owned(),
                ));
            }
            _ => i += 1,
        }
    }
    out
}

/// An affine matrix `[a b c d e f]` as PDF writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn from_operands(ops: &[Object]) -> Option<Matrix> {
        if ops.len() < 6 {
            return None;
        }
        let mut m = [0.0; 6];
        for (slot, o) in m.iter_mut().zip(ops) {
            *slot = number(o);
        }
        Some(Matrix(m))
    }

    /// `self × other`: apply `self` first, then `other`.
    fn then(self, other: Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = other.0;
        Matrix([
            a * a2 + b * c2,
            a * b2 + b * d2,
            c * a2 + d * c2,
            c * b2 + d * d2,
            e * a2 + f * c2 + e2,
            e * b2 + f * d2 + f2,
        ])
    }

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }
}

#[derive(Debug, Clone)]
struct TextState {
    ctm: Matrix,
    char_spacing: f32,
    word_spacing: f32,
    horizontal_scale: f32,
    leading: f32,
    rise: f32,
    font: Option<std::rc::Rc<Font>>,
    size: f32,
}

impl Default for TextState {
    fn default() -> Self {
        TextState {
            ctm: Matrix::IDENTITY,
            char_spacing: 0.0,
            word_spacing: 0.0,
            horizontal_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
            font: None,
            size: 0.0,
        }
    }
}

/// Everything that changes while one page's content runs.
struct Interpreter<'a> {
    doc: &'a Document,
    fonts: &'a mut FontCache,
    budget: &'a mut u64,
    glyphs: Vec<Glyph>,
    ops: usize,
}

fn page_glyphs(
    doc: &Document,
    page_id: ObjectId,
    fonts: &mut FontCache,
    budget: &mut u64,
) -> Result<Vec<Glyph>, IngestError> {
    let mut content = Vec::new();
    for id in doc.get_page_contents(page_id) {
        if let Ok(Object::Stream(s)) = doc.get_object(id) {
            content.extend(stream_bytes(s, budget)?);
            content.push(b'\n');
        }
    }
    let resources = page_resources(doc, page_id);
    let mut it = Interpreter {
        doc,
        fonts,
        budget,
        glyphs: Vec::new(),
        ops: 0,
    };
    it.run(&content, resources, TextState::default(), &mut Vec::new())?;
    Ok(it.glyphs)
}

/// A page's `/Resources`, inherited from its ancestors when it has none.
fn page_resources(doc: &Document, page_id: ObjectId) -> Option<&Dictionary> {
    let mut id = Some(page_id);
    for _ in 0..32 {
        let dict = doc.get_dictionary(id?).ok()?;
        if let Some(Object::Dictionary(r)) = dict_get(doc, dict, b"Resources") {
            return Some(r);
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok();
    }
    None
}

impl Interpreter<'_> {
    fn run(
        &mut self,
        content: &[u8],
        resources: Option<&Dictionary>,
        start: TextState,
        forms: &mut Vec<ObjectId>,
    ) -> Result<(), IngestError> {
        super::limits::check_content(content)?;
        // Content that does not parse yields no text for this stream, not a failed file.
        let Ok(content) = Content::decode(content) else {
            return Ok(());
        };
        let doc = self.doc;
        let mut state = start;
        let mut stack: Vec<TextState> = Vec::new();
        let mut tm = Matrix::IDENTITY;
        let mut tlm = Matrix::IDENTITY;
        for op in &content.operations {
            self.ops += 1;
            if self.ops > MAX_OPS_PER_PAGE || self.glyphs.len() > MAX_GLYPHS_PER_PAGE {
                return Ok(());
            }
            let args = &op.operands;
            let num = |i: usize| args.get(i).map(number).unwrap_or(0.0);
            match op.operator.as_str() {
                "q" if stack.len() < 64 => stack.push(state.clone()),
                "Q" => {
                    if let Some(s) = stack.pop() {
                        state = s;
                    }
                }
                "cm" => {
                    if let Some(m) = Matrix::from_operands(args) {
                        state.ctm = m.then(state.ctm);
                    }
                }
                "BT" => {
                    tm = Matrix::IDENTITY;
                    tlm = Matrix::IDENTITY;
                }
                "Tf" => {
                    state.size = num(1);
                    let font = args
                        .first()
                        .and_then(|n| n.as_name().ok())
                        .and_then(|name| {
                            let fonts = resources.and_then(|r| dict_get(doc, r, b"Font"))?;
                            fonts.as_dict().ok()?.get(name).ok()
                        })
                        .map(|o| self.fonts.get(doc, o, self.budget))
                        .unwrap_or_else(fallback_font);
                    state.font = Some(std::rc::Rc::new(font));
                }
                "Tc" => state.char_spacing = num(0),
                "Tw" => state.word_spacing = num(0),
                "Tz" => state.horizontal_scale = num(0) / 100.0,
                "TL" => state.leading = num(0),
                "Ts" => state.rise = num(0),
                "Td" | "TD" => {
                    if op.operator == "TD" {
                        state.leading = -num(1);
                    }
                    tlm = Matrix::translate(num(0), num(1)).then(tlm);
                    tm = tlm;
                }
                "Tm" => {
                    if let Some(m) = Matrix::from_operands(args) {
                        tlm = m;
                        tm = m;
                    }
                }
                "T*" => {
                    tlm = Matrix::translate(0.0, -state.leading).then(tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" | "TJ" => {
                    if op.operator == "'" || op.operator == "\"" {
                        if op.operator == "\"" {
                            state.word_spacing = num(0);
                            state.char_spacing = num(1);
                        }
                        tlm = Matrix::translate(0.0, -state.leading).then(tlm);
                        tm = tlm;
                    }
                    let items: Vec<&Object> = match op.operator.as_str() {
                        "TJ" => match args.first() {
                            Some(Object::Array(a)) => a.iter().collect(),
                            _ => Vec::new(),
                        },
                        _ => args.last().into_iter().collect(),
                    };
                    for item in items {
                        match item {
                            Object::String(bytes, _) => self.show(bytes, &state, &mut tm),
                            other => {
                                let adjust =
                                    -number(other) / 1000.0 * state.size * state.horizontal_scale;
                                tm = Matrix::translate(adjust, 0.0).then(tm);
                            }
                        }
                    }
                }
                "Do" => {
                    let Some(name) = args.first().and_then(|n| n.as_name().ok()) else {
                        continue;
                    };
                    let Some(xobjects) = resources
                        .and_then(|r| dict_get(doc, r, b"XObject"))
                        .and_then(|o| o.as_dict().ok())
                    else {
                        continue;
                    };
                    let Ok(Object::Reference(id)) = xobjects.get(name) else {
                        continue;
                    };
                    if forms.contains(id) || forms.len() >= MAX_FORM_DEPTH {
                        continue;
                    }
                    let Ok(Object::Stream(s)) = doc.get_object(*id) else {
                        continue;
                    };
                    if s.dict.get(b"Subtype").and_then(Object::as_name).ok()
                        != Some(b"Form".as_slice())
                    {
                        continue;
                    }
                    let bytes = stream_bytes(s, self.budget)?;
                    let matrix = match dict_get(doc, &s.dict, b"Matrix") {
                        Some(Object::Array(a)) => {
                            let a: Vec<Object> = a.iter().map(|o| deref(doc, o).clone()).collect();
                            Matrix::from_operands(&a).unwrap_or(Matrix::IDENTITY)
                        }
                        _ => Matrix::IDENTITY,
                    };
                    let form_resources = match dict_get(doc, &s.dict, b"Resources") {
                        Some(Object::Dictionary(r)) => Some(r),
                        _ => resources,
                    };
                    let mut inner = state.clone();
                    inner.ctm = matrix.then(state.ctm);
                    forms.push(*id);
                    self.run(&bytes, form_resources, inner, forms)?;
                    forms.pop();
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Shows one string: a glyph per code at the current text position, then advances.
    fn show(&mut self, bytes: &[u8], state: &TextState, tm: &mut Matrix) {
        let Some(font) = state.font.clone() else {
            return;
        };
        let th = state.horizontal_scale;
        for code in font.codes(bytes) {
            let w0 = font.width(code);
            let trm = Matrix([state.size * th, 0.0, 0.0, state.size, 0.0, state.rise])
                .then(*tm)
                .then(state.ctm);
            let [a, b, c, d, x, y] = trm.0;
            let size = (c * c + d * d).sqrt();
            let width = w0 * (a * a + b * b).sqrt();
            let text = font.text(code);
            if !text.is_empty() && x.is_finite() && y.is_finite() && size.is_finite() {
                self.glyphs.push(Glyph {
                    x,
                    y,
                    width: if width.is_finite() { width } else { 0.0 },
                    size,
                    text,
                });
            }
            let space = if !font.two_byte && code == 32 {
                state.word_spacing
            } else {
                0.0
            };
            let tx = (w0 * state.size + state.char_spacing + space) * th;
            *tm = Matrix::translate(tx, 0.0).then(*tm);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_unicode_maps_chars_ranges_and_ligatures() {
        let cmap = b"/CIDInit /ProcSet findresource begin\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            2 beginbfchar <0003> <0020> <0010> <06440627> endbfchar\n\
            1 beginbfrange <0020> <0022> <0628> endbfrange\n\
            1 beginbfrange <0030> <0031> [<0041> <0042>] endbfrange\nend";
        let m = parse_to_unicode(cmap);
        assert_eq!(m[&3], " ");
        assert_eq!(m[&0x10], "لا");
        assert_eq!(m[&0x21], "\u{0629}");
        assert_eq!(m[&0x31], "B");
        // Garbage gives an empty or partial map, never a panic.
        let _ = parse_to_unicode(b"beginbfrange <FFFFFFFF> <00> <D800> [<> <0> endbfchar <");
    }

    #[test]
    fn matrices_compose_in_pdf_order() {
        let scale = Matrix([2.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
        let shift = Matrix::translate(10.0, 5.0);
        // Scale first, then shift: the origin lands on (10, 5).
        assert_eq!(scale.then(shift).0[4..], [10.0, 5.0]);
        assert_eq!(shift.then(scale).0[4..], [20.0, 10.0]);
    }

    #[test]
    fn glyph_names_map_to_unicode() {
        assert_eq!(glyph_name_char(b"uni0628"), Some('ب'));
        assert_eq!(glyph_name_char(b"a"), Some('a'));
        assert_eq!(glyph_name_char(b"seven"), Some('7'));
        assert_eq!(glyph_name_char(b"g123"), None);
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
