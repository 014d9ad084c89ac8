//! The content-stream interpreter: text state, matrices, form XObjects and shown strings
//! of one page, turned into positioned glyphs within the per-page budgets.

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};

use super::fonts::{fallback_font, Font, FontCache};
use super::layout::Glyph;
use super::{
    deref, dict_get, number, stream_bytes, MAX_FORM_DEPTH, MAX_GLYPHS_PER_PAGE, MAX_OPS_PER_PAGE,
};
use crate::ingest::IngestError;

/// An affine matrix `[a b c d e f]` as PDF writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Matrix([f32; 6]);

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
pub(super) struct TextState {
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
pub(super) struct Interpreter<'a> {
    doc: &'a Document,
    fonts: &'a mut FontCache,
    budget: &'a mut u64,
    glyphs: Vec<Glyph>,
    ops: usize,
}

pub(super) fn page_glyphs(
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
pub(super) fn page_resources(doc: &Document, page_id: ObjectId) -> Option<&Dictionary> {
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
        crate::ingest::limits::check_content(content)?;
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
    fn matrices_compose_in_pdf_order() {
        let scale = Matrix([2.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
        let shift = Matrix::translate(10.0, 5.0);
        // Scale first, then shift: the origin lands on (10, 5).
        assert_eq!(scale.then(shift).0[4..], [10.0, 5.0]);
        assert_eq!(shift.then(scale).0[4..], [20.0, 10.0]);
    }
}
