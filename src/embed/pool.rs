//! Pooling, normalization and windowing arithmetic, free of any model or tokenizer.
//!
//! Owns: the mean of token vectors, L2 normalization, cosine, how a long token
//! sequence is cut into overlapping windows that each fit the model, and how the
//! windows' means are combined into one vector for the text. It does not run the model.

/// Mean of equal-length rows (the attention-masked mean: callers pass only real tokens).
pub fn mean_rows(rows: &[Vec<f32>]) -> Vec<f32> {
    let dim = rows.first().map_or(0, |r| r.len());
    let mut out = vec![0f32; dim];
    for r in rows {
        for (o, v) in out.iter_mut().zip(r) {
            *o += v;
        }
    }
    if !rows.is_empty() {
        let inv = 1.0 / rows.len() as f32;
        out.iter_mut().for_each(|o| *o *= inv);
    }
    out
}

/// Scale `v` to unit length in place (a zero vector stays zero).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-12 {
        let inv = 1.0 / norm;
        v.iter_mut().for_each(|x| *x *= inv);
    }
}

/// Cosine similarity of two vectors (0 when either is zero).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        ab += (*x as f64) * (*y as f64);
        aa += (*x as f64) * (*x as f64);
        bb += (*y as f64) * (*y as f64);
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    (ab / (aa.sqrt() * bb.sqrt())) as f32
}

/// A window of a text: `prefix` tokens, then `body[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First body token of the window.
    pub start: usize,
    /// One past the last body token of the window.
    pub end: usize,
}

/// Cut a body of `body_len` tokens into windows of at most `capacity` body tokens,
/// consecutive windows sharing `overlap` tokens. Every token is covered; the last
/// window ends at `body_len`. An empty body gives one empty window.
pub fn plan_windows(body_len: usize, capacity: usize, overlap: usize) -> Vec<Window> {
    let capacity = capacity.max(1);
    let overlap = overlap.min(capacity / 2);
    if body_len <= capacity {
        return vec![Window {
            start: 0,
            end: body_len,
        }];
    }
    let stride = capacity - overlap;
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + capacity).min(body_len);
        out.push(Window { start, end });
        if end == body_len {
            break;
        }
        start += stride;
    }
    out
}

/// Combine per-window mean vectors into one unit vector, each window weighted by the
/// number of tokens it covers.
pub fn combine_windows(means: &[(Vec<f32>, usize)]) -> Vec<f32> {
    let dim = means.first().map_or(0, |m| m.0.len());
    let mut out = vec![0f32; dim];
    for (m, w) in means {
        let w = (*w).max(1) as f32;
        for (o, v) in out.iter_mut().zip(m) {
            *o += w * v;
        }
    }
    l2_normalize(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_normalize() {
        let m = mean_rows(&[vec![1.0, 2.0], vec![3.0, 6.0]]);
        assert_eq!(m, vec![2.0, 4.0]);
        let mut v = vec![3.0, 4.0];
        l2_normalize(&mut v);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        let mut z = vec![0.0; 3];
        l2_normalize(&mut z);
        assert_eq!(z, vec![0.0; 3]);
        assert!((cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 0.0]), 0.0);
    }

    #[test]
    fn short_bodies_are_one_window() {
        assert_eq!(plan_windows(0, 10, 2), vec![Window { start: 0, end: 0 }]);
        assert_eq!(plan_windows(10, 10, 2), vec![Window { start: 0, end: 10 }]);
    }

    #[test]
    fn long_bodies_are_covered_by_overlapping_windows() {
        for (len, cap, ov) in [
            (11, 10, 2),
            (100, 10, 3),
            (1000, 505, 64),
            (37, 5, 0),
            (50, 4, 9),
        ] {
            let ws = plan_windows(len, cap, ov);
            assert_eq!(ws[0].start, 0);
            assert_eq!(ws.last().unwrap().end, len);
            for w in &ws {
                assert!(w.end > w.start && w.end - w.start <= cap, "{w:?}");
            }
            for pair in ws.windows(2) {
                // consecutive windows touch or overlap, and always advance
                assert!(pair[1].start <= pair[0].end && pair[1].start > pair[0].start);
                assert!(pair[0].end - pair[1].start <= ov.min(cap / 2));
            }
        }
        let ws = plan_windows(1000, 505, 64);
        assert_eq!(ws.len(), 3);
        assert_eq!(ws[1].start, 441);
    }

    #[test]
    fn windows_combine_by_token_weight() {
        let v = combine_windows(&[(vec![1.0, 0.0], 3), (vec![0.0, 1.0], 1)]);
        let expect = [3.0 / 10f32.sqrt(), 1.0 / 10f32.sqrt()];
        assert!((v[0] - expect[0]).abs() < 1e-6 && (v[1] - expect[1]).abs() < 1e-6);
    }
}
