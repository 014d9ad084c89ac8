//! Reading order for one PDF page: from positioned glyphs to paragraphs of text.
//!
//! Owns grouping glyphs into lines by baseline, finding a column gutter (two-column
//! pages are read column by column, full-width lines in place), putting right-to-left
//! lines from drawn (visual) order into logical order with numbers and Latin kept left to
//! right, inserting word spaces from gaps, joining lines into paragraphs and marking
//! larger type as headings. It knows nothing of PDF syntax (`pdf` makes the glyphs).

use crate::text::ZWNJ;

use super::persian::{
    fold_presentation_forms, is_arabic_letter, join_split_words, visual_to_logical_ltr,
    visual_to_logical_rtl,
};

/// One drawn glyph: its origin on the page (PDF points, y upwards), advance width, font
/// size and the text it stands for (several characters for a ligature).
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    /// Left of the glyph.
    pub x: f32,
    /// Baseline.
    pub y: f32,
    /// Advance width.
    pub width: f32,
    /// Font size, for telling headings from text.
    pub size: f32,
    /// What it stands for.
    pub text: String,
}

/// A gap wider than this many ems between two glyphs of a line separates table cells
/// (or text blocks), never words of one sentence.
const WIDE_GAP_EM: f32 = 1.5;
/// The unit standing for such a gap: a separator no text run crosses.
const CELL_BREAK: &str = "\t";

/// A run of glyphs on one baseline.
#[derive(Debug, Clone)]
struct Line {
    y: f32,
    size: f32,
    glyphs: Vec<Glyph>,
}

impl Line {
    fn left(&self) -> f32 {
        self.glyphs.iter().map(|g| g.x).fold(f32::MAX, f32::min)
    }
    fn right(&self) -> f32 {
        self.glyphs
            .iter()
            .map(|g| g.x + g.width)
            .fold(f32::MIN, f32::max)
    }
    /// Whether some glyph covers `x`, or the line runs across `x` with no wide gap there.
    fn crosses(&self, x: f32) -> bool {
        let mut left_edge = f32::MIN;
        let mut right_start = f32::MAX;
        for g in &self.glyphs {
            if g.x <= x && g.x + g.width >= x {
                return true;
            }
            if g.x + g.width < x {
                left_edge = left_edge.max(g.x + g.width);
            } else {
                right_start = right_start.min(g.x);
            }
        }
        left_edge > f32::MIN && right_start < f32::MAX && right_start - left_edge < self.size * 1.2
    }
}

/// Page text as paragraphs, in reading order. `page_width` is the media box width.
pub fn page_text(glyphs: &[Glyph], page_width: f32) -> Vec<String> {
    let glyphs: Vec<Glyph> = glyphs
        .iter()
        .filter(|g| g.size > 0.5 && !g.text.chars().all(char::is_control))
        .cloned()
        .collect();
    if glyphs.is_empty() {
        return Vec::new();
    }
    let rtl_page = glyphs
        .iter()
        .filter(|g| g.text.chars().any(is_arabic_letter))
        .count()
        * 2
        > glyphs
            .iter()
            .filter(|g| g.text.chars().any(char::is_alphabetic))
            .count();
    let lines = group_lines(glyphs);
    let body_size = body_size(&lines);
    let ordered = column_order(lines, page_width, rtl_page);
    paragraphs(&ordered, body_size)
}

/// Groups glyphs into lines: same baseline within a fraction of the font size.
fn group_lines(mut glyphs: Vec<Glyph>) -> Vec<Line> {
    glyphs.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Line> = Vec::new();
    for g in glyphs {
        match lines.last_mut() {
            Some(l) if (l.y - g.y).abs() <= 0.35 * l.size.max(g.size) => {
                l.size = l.size.max(g.size);
                l.glyphs.push(g);
            }
            _ => lines.push(Line {
                y: g.y,
                size: g.size,
                glyphs: vec![g],
            }),
        }
    }
    for l in &mut lines {
        l.glyphs.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    lines
}

/// The most common font size, weighted by glyphs: the body text's size.
fn body_size(lines: &[Line]) -> f32 {
    let mut counts: Vec<(i32, usize)> = Vec::new();
    for l in lines {
        for g in &l.glyphs {
            let k = (g.size * 2.0).round() as i32;
            match counts.iter_mut().find(|(s, _)| *s == k) {
                Some((_, n)) => *n += 1,
                None => counts.push((k, 1)),
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(s, n)| (n, -s))
        .map(|(s, _)| s as f32 / 2.0)
        .unwrap_or(10.0)
}

/// Finds a gutter between two columns: an x in the middle of the page that few lines
/// cross while enough lines sit wholly on each side. Returns lines in reading order,
/// splitting the lines of a two-column band into their left and right halves.
fn column_order(lines: Vec<Line>, page_width: f32, rtl: bool) -> Vec<Line> {
    let Some(gutter) = find_gutter(&lines, page_width) else {
        return lines;
    };
    let mut out = Vec::with_capacity(lines.len());
    let (mut first, mut second): (Vec<Line>, Vec<Line>) = (Vec::new(), Vec::new());
    let flush = |out: &mut Vec<Line>, a: &mut Vec<Line>, b: &mut Vec<Line>| {
        out.append(a);
        out.append(b);
    };
    for line in lines {
        if line.crosses(gutter) {
            flush(&mut out, &mut first, &mut second);
            out.push(line);
            continue;
        }
        let (left, right): (Vec<Glyph>, Vec<Glyph>) =
            line.glyphs.into_iter().partition(|g| g.x < gutter);
        let part = |glyphs: Vec<Glyph>| Line {
            y: line.y,
            size: glyphs.iter().map(|g| g.size).fold(0.0, f32::max),
            glyphs,
        };
        let (l, r) = (part(left), part(right));
        let (lead, trail) = if rtl { (r, l) } else { (l, r) };
        if !lead.glyphs.is_empty() {
            first.push(lead);
        }
        if !trail.glyphs.is_empty() {
            second.push(trail);
        }
    }
    flush(&mut out, &mut first, &mut second);
    out
}

fn find_gutter(lines: &[Line], page_width: f32) -> Option<f32> {
    if lines.len() < 6 {
        return None;
    }
    let mut best: Option<(usize, f32)> = None;
    let steps = 80;
    for i in 0..=steps {
        let x = page_width * (0.3 + 0.4 * i as f32 / steps as f32);
        let crossing = lines.iter().filter(|l| l.crosses(x)).count();
        let left = lines.iter().filter(|l| l.right() < x).count();
        let right = lines.iter().filter(|l| l.left() > x).count();
        let both = lines
            .iter()
            .filter(|l| !l.crosses(x) && l.left() < x && l.right() > x)
            .count();
        // Two columns: many lines have text on both sides of x without crossing it.
        let columns = both + left.min(right);
        if crossing * 5 > lines.len() || columns * 3 < lines.len() || both < 3 {
            continue;
        }
        if best.is_none_or(|(c, _)| crossing < c) {
            best = Some((crossing, x));
        }
    }
    best.map(|(_, x)| x)
}

/// The text of one line in logical order, with spaces where the glyphs leave a gap.
fn line_text(line: &Line) -> String {
    let arabic = line
        .glyphs
        .iter()
        .filter(|g| g.text.chars().any(is_arabic_letter))
        .count();
    let latin = line
        .glyphs
        .iter()
        .filter(|g| g.text.chars().any(|c| c.is_ascii_alphabetic()))
        .count();
    // Units in drawn order, left to right: the glyph texts, with a space where two
    // glyphs leave a gap wider than a fraction of the font size. A space glyph with no
    // room of its own (the next glyph starts where it does) is how some producers draw a
    // zero-width non-joiner: between Persian letters it becomes one («آیین‌نامه»).
    let ink: Vec<&Glyph> = line
        .glyphs
        .iter()
        .filter(|g| !g.text.trim().is_empty())
        .collect();
    let blanks: Vec<&Glyph> = line
        .glyphs
        .iter()
        .filter(|g| g.text.trim().is_empty())
        .collect();
    let mut used = vec![false; blanks.len()];
    let mut units: Vec<String> = Vec::with_capacity(ink.len() * 2);
    for (i, g) in ink.iter().enumerate() {
        if i > 0 {
            let prev = ink[i - 1];
            let end = prev.x + prev.width;
            let em = g.size.max(prev.size).max(1.0);
            let gap = g.x - end;
            let blank = blanks
                .iter()
                .enumerate()
                .position(|(k, b)| !used[k] && b.x >= end - 0.1 * em && b.x <= g.x + 0.1 * em);
            if gap > WIDE_GAP_EM * em {
                // A table cell or a column edge: a hard break between text runs.
                units.push(CELL_BREAK.into());
            } else if gap > 0.18 * em {
                units.push(" ".into());
            } else if let Some(k) = blank {
                used[k] = true;
                if prev.text.chars().any(is_arabic_letter) && g.text.chars().any(is_arabic_letter) {
                    units.push(ZWNJ.to_string());
                } else {
                    units.push(" ".into());
                }
            }
        }
        units.push(g.text.clone());
    }
    let order = if arabic > latin {
        visual_to_logical_rtl(&units)
    } else {
        visual_to_logical_ltr(&units)
    };
    let text: String = order.into_iter().map(|i| units[i].as_str()).collect();
    let text = fold_presentation_forms(&join_split_words(&text));
    let text = text
        .replace(CELL_BREAK, " ")
        .replace(" \u{200C}", " ")
        .replace("\u{200C} ", " ");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Joins lines into paragraphs: a new paragraph where the vertical gap is larger than
/// usual or the type size changes; lines in larger type become Markdown headings so the
/// chunker sees the structure.
fn paragraphs(lines: &[Line], body_size: f32) -> Vec<String> {
    let texts: Vec<String> = lines.iter().map(line_text).collect();
    let mut gaps: Vec<f32> = lines
        .windows(2)
        .map(|w| w[0].y - w[1].y)
        .filter(|g| *g > 0.0)
        .collect();
    gaps.sort_by(f32::total_cmp);
    let usual = gaps
        .get(gaps.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(body_size * 1.2);
    let heading = |l: &Line| l.size >= body_size * 1.15;
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_heading = false;
    for (i, (line, text)) in lines.iter().zip(&texts).enumerate() {
        if text.is_empty() {
            continue;
        }
        let is_heading = heading(line);
        // A line that opens a law unit (ماده، تبصره، بند) starts a paragraph even when
        // the document spaces its paragraphs no wider than its lines.
        let opens_unit = crate::ingest::structure::classify(text)
            .is_some_and(|m| !matches!(m, crate::ingest::structure::Marker::Heading { .. }));
        let new_paragraph =
            i == 0 || current.is_empty() || is_heading != current_heading || opens_unit || {
                let prev = &lines[i - 1];
                let gap = prev.y - line.y;
                gap <= 0.0 || gap > usual * 1.35 || (prev.size - line.size).abs() > 0.6
            };
        if new_paragraph && !current.is_empty() {
            out.push(finish(&current, current_heading));
            current.clear();
        }
        if current.is_empty() {
            current_heading = is_heading;
            current.push_str(text);
        } else if current.ends_with('-')
            && !current.ends_with(" -")
            && text.starts_with(|c: char| c.is_lowercase())
        {
            current.pop();
            current.push_str(text);
        } else {
            current.push(' ');
            current.push_str(text);
        }
    }
    if !current.is_empty() {
        out.push(finish(&current, current_heading));
    }
    out
}

fn finish(text: &str, heading: bool) -> String {
    if heading && text.split_whitespace().count() <= 16 {
        format!("## {text}")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyphs for `text` drawn from `x` rightwards, one per char, 5 points wide.
    fn run(text: &str, x: f32, y: f32, size: f32) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .filter(|(_, c)| *c != ' ')
            .map(|(i, c)| Glyph {
                x: x + i as f32 * 5.0,
                y,
                width: 5.0,
                size,
                text: c.to_string(),
            })
            .collect()
    }

    #[test]
    fn words_get_spaces_from_gaps() {
        let p = page_text(&run("Article 6 applies", 50.0, 700.0, 10.0), 600.0);
        assert_eq!(p, vec!["Article 6 applies"]);
    }

    #[test]
    fn rtl_lines_come_out_in_logical_order() {
        // «ماده 12 قانون» drawn as it appears: «نوناق 12 هدام» left to right.
        let p = page_text(&run("نوناق 12 هدام", 300.0, 700.0, 10.0), 600.0);
        assert_eq!(p, vec!["ماده 12 قانون"]);
    }

    #[test]
    fn two_columns_are_read_one_after_the_other() {
        let mut g = run("Title across the whole page width here", 60.0, 780.0, 16.0);
        for (i, (l, r)) in [
            ("left one", "right one"),
            ("left two", "right two"),
            ("left three", "right three"),
        ]
        .iter()
        .enumerate()
        {
            let y = 740.0 - i as f32 * 12.0;
            g.extend(run(l, 50.0, y, 10.0));
            g.extend(run(r, 320.0, y, 10.0));
        }
        for i in 3..6 {
            let y = 740.0 - i as f32 * 12.0;
            g.extend(run("more left", 50.0, y, 10.0));
            g.extend(run("more right", 320.0, y, 10.0));
        }
        let p = page_text(&g, 600.0);
        let all = p.join(" | ");
        let pos = |s: &str| {
            all.find(s)
                .unwrap_or_else(|| panic!("{s} missing in {all}"))
        };
        assert!(pos("Title") < pos("left one"));
        assert!(pos("left three") < pos("right one"), "{all}");
        assert!(all.starts_with("## Title"), "{all}");
    }

    #[test]
    fn a_space_glyph_without_room_is_a_zero_width_non_joiner() {
        // «آیین‌نامه» drawn right to left: «همان» then «نییآ», with a space glyph that
        // starts where the next letter does.
        let mut g = run("همان", 100.0, 700.0, 10.0);
        g.push(Glyph {
            x: 120.0,
            y: 700.0,
            width: 3.0,
            size: 10.0,
            text: " ".into(),
        });
        g.extend(run("نییآ", 120.0, 700.0, 10.0));
        assert_eq!(page_text(&g, 600.0), vec!["آیین\u{200C}نامه"]);
    }

    #[test]
    fn lines_join_into_paragraphs_and_gaps_split_them() {
        let mut g = run("first line of", 50.0, 700.0, 10.0);
        g.extend(run("the paragraph", 50.0, 688.0, 10.0));
        g.extend(run("second para", 50.0, 650.0, 10.0));
        assert_eq!(
            page_text(&g, 600.0),
            vec!["first line of the paragraph", "second para"]
        );
    }
}
