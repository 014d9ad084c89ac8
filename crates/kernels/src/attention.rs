//! One head of self-attention over a short sequence, shaped for the vectorizer.
//!
//! Owns only this arithmetic; gathering heads out of the fused Q/K/V rows and putting
//! the results back is the caller's job (`envkb::embed::plain`).

use crate::fastmath::{self, avx2, dispatch};

/// One head of attention: `out[i] = sum_j softmax_j(q_i . k_j) v_j` for `[len][hd]`
/// matrices `q` (already scaled) and `v` and the transposed keys `kt` (`[hd][len]`);
/// `scores` holds `len` values of scratch.
pub fn attend(q: &[f32], kt: &[f32], v: &[f32], hd: usize, scores: &mut [f32], out: &mut [f32]) {
    dispatch!(attend_impl(q: &[f32], kt: &[f32], v: &[f32], hd: usize, scores: &mut [f32], out: &mut [f32]) {
        // Loops are shaped for the vectorizer: fixed-size accumulators that stay in
        // registers, several independent ones so additions overlap, rather than
        // reductions or read-modify-write passes over memory.
        let len = scores.len();
        for (qi, oi) in q.chunks_exact(hd).zip(out.chunks_exact_mut(hd)) {
            let mut j = 0;
            while j + 32 <= len {
                key_block::<32>(qi, kt, len, j, scores);
                j += 32;
            }
            while j + 8 <= len {
                key_block::<8>(qi, kt, len, j, scores);
                j += 8;
            }
            for j in j..len {
                scores[j] = qi.iter().enumerate().map(|(d, &qd)| qd * kt[d * len + j]).sum();
            }
            let mut max8 = [f32::NEG_INFINITY; 8];
            for c in scores.chunks(8) {
                for (m, &x) in max8.iter_mut().zip(c) {
                    *m = if x > *m { x } else { *m };
                }
            }
            let max = max8.iter().fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m });
            let mut sum8 = [0f32; 8];
            for c in scores.chunks_mut(8) {
                for (acc, x) in sum8.iter_mut().zip(c.iter_mut()) {
                    *x = fastmath::exp(*x - max);
                    *acc += *x;
                }
            }
            let inv = 1.0 / sum8.iter().sum::<f32>();
            let mut c = 0;
            while c + 32 <= hd {
                value_block::<32>(scores, v, hd, c, inv, oi);
                c += 32;
            }
            while c < hd {
                value_block::<8>(scores, v, hd, c, inv, oi);
                c += 8;
            }
        }
    })
}

/// Scores of `q` against keys `j..j + N`: `scores[j + l] = sum_d q[d] kt[d][j + l]`.
#[inline(always)]
fn key_block<const N: usize>(q: &[f32], kt: &[f32], len: usize, j: usize, scores: &mut [f32]) {
    let mut acc = [0f32; N];
    for (d, &qd) in q.iter().enumerate() {
        let k: &[f32; N] = kt[d * len + j..][..N].try_into().expect("N keys");
        for l in 0..N {
            acc[l] += qd * k[l];
        }
    }
    scores[j..j + N].copy_from_slice(&acc);
}

/// Output dimensions `c..c + N`: `out[c + l] = inv * sum_j p[j] v[j][c + l]`.
#[inline(always)]
fn value_block<const N: usize>(
    p: &[f32],
    v: &[f32],
    hd: usize,
    c: usize,
    inv: f32,
    out: &mut [f32],
) {
    let mut acc = [0f32; N];
    for (pj, vj) in p.iter().zip(v.chunks_exact(hd)) {
        let x: &[f32; N] = vj[c..][..N].try_into().expect("N values");
        for l in 0..N {
            acc[l] += pj * x[l];
        }
    }
    for (o, a) in out[c..c + N].iter_mut().zip(acc) {
        *o = a * inv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_matches_the_textbook_formula() {
        // 11 keys: one full block of 8 and a remainder.
        let (len, hd) = (11, 16);
        let q: Vec<f32> = (0..len * hd).map(|i| (i as f32 * 0.37).sin()).collect();
        let k: Vec<f32> = (0..len * hd).map(|i| (i as f32 * 0.11).cos()).collect();
        let v: Vec<f32> = (0..len * hd).map(|i| i as f32 / 10.0).collect();
        let mut out = vec![0f32; len * hd];
        let mut scores = vec![0f32; len];
        let mut kt = vec![0f32; hd * len];
        for j in 0..len {
            for d in 0..hd {
                kt[d * len + j] = k[j * hd + d];
            }
        }
        let qs: Vec<f32> = q.iter().map(|x| x / 4.0).collect();
        attend(&qs, &kt, &v, hd, &mut scores, &mut out);
        for i in 0..len {
            let s: Vec<f64> = (0..len)
                .map(|j| {
                    (0..hd)
                        .map(|d| (q[i * hd + d] * k[j * hd + d]) as f64)
                        .sum::<f64>()
                        / 4.0
                })
                .collect();
            let m = s.iter().cloned().fold(f64::MIN, f64::max);
            let z: f64 = s.iter().map(|x| (x - m).exp()).sum();
            for d in 0..hd {
                let want: f64 = (0..len)
                    .map(|j| (s[j] - m).exp() / z * v[j * hd + d] as f64)
                    .sum();
                assert!((out[i * hd + d] as f64 - want).abs() < 1e-5);
            }
        }
    }
}
