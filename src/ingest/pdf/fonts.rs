//! Fonts of a PDF page: simple encodings, glyph names, `ToUnicode` CMaps and widths, so
//! each shown code becomes Unicode text with an advance.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object, ObjectId};

use super::{deref, dict_get, number, stream_bytes};

/// How a font maps codes to text and widths.
#[derive(Debug, Clone)]
pub(super) struct Font {
    /// Codes are two bytes (composite fonts) rather than one.
    pub(super) two_byte: bool,
    pub(super) to_unicode: HashMap<u32, String>,
    /// Fallback for simple fonts without a `ToUnicode` map.
    pub(super) simple: Option<[Option<char>; 256]>,
    pub(super) widths: HashMap<u32, f32>,
    pub(super) default_width: f32,
    /// Glyph space to text space (1/1000 except for Type 3 fonts).
    pub(super) scale: f32,
}

impl Font {
    pub(super) fn text(&self, code: u32) -> String {
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

    pub(super) fn width(&self, code: u32) -> f32 {
        self.widths
            .get(&code)
            .copied()
            .unwrap_or(self.default_width)
            * self.scale
    }

    pub(super) fn codes(&self, bytes: &[u8]) -> Vec<u32> {
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
pub(super) struct FontCache {
    pub(super) by_id: HashMap<ObjectId, Font>,
}

impl FontCache {
    pub(super) fn get(&mut self, doc: &Document, obj: &Object, budget: &mut u64) -> Font {
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

pub(super) fn fallback_font() -> Font {
    Font {
        two_byte: false,
        to_unicode: HashMap::new(),
        simple: None,
        widths: HashMap::new(),
        default_width: 500.0,
        scale: 0.001,
    }
}

pub(super) fn read_font(doc: &Document, d: &Dictionary, budget: &mut u64) -> Font {
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
pub(super) fn read_cid_widths(doc: &Document, w: &[Object], out: &mut HashMap<u32, f32>) {
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
pub(super) fn simple_encoding(doc: &Document, d: &Dictionary) -> [Option<char>; 256] {
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
pub(super) fn win_ansi(b: u8) -> Option<char> {
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
pub(super) fn glyph_name_char(name: &[u8]) -> Option<char> {
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
pub(super) fn parse_to_unicode(data: &[u8]) -> HashMap<u32, String> {
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
pub(super) enum CmapToken {
    Hex(Vec<u8>),
    Array(Vec<Vec<u8>>),
    Word(String),
}

pub(super) fn cmap_tokens(data: &[u8]) -> Vec<CmapToken> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn to_unicode_maps_chars_ranges_and_ligatures() {
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
    pub(super) fn glyph_names_map_to_unicode() {
        assert_eq!(glyph_name_char(b"uni0628"), Some('ب'));
        assert_eq!(glyph_name_char(b"a"), Some('a'));
        assert_eq!(glyph_name_char(b"seven"), Some('7'));
        assert_eq!(glyph_name_char(b"g123"), None);
    }
}
