//! Element-wise math of the plain forward pass: exp, erf, GELU, softmax, LayerNorm.
//!
//! Owns only these row operations on `f32` slices, written branch-free so the compiler
//! vectorizes them; each public function runs an AVX2+FMA build of the same loop when
//! the CPU has it (checked once at run time) and the portable build otherwise. It does
//! not know about layers or weights.
//!
//! Why not libm: the erf GELU of one short query costs ~300k `erf` calls, and the
//! scalar library versions took milliseconds of a ~20 ms query. The approximations here
//! are accurate to a few units in the 7th decimal, far below the 4-bit weights' noise.

/// Whether the CPU has AVX2 and FMA (detected once).
pub fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *HAS.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Run `$body` (an expression over the function's arguments) through an AVX2+FMA
/// compiled copy when available, else the portable copy. The body must be safe code;
/// the only `unsafe` is calling the feature-enabled copy after detection.
macro_rules! dispatch {
    ($name:ident ( $($arg:ident : $ty:ty),* ) $(-> $ret:ty)? $body:block) => {{
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $name($($arg: $ty),*) $(-> $ret)? $body

        #[cfg(target_arch = "x86_64")]
        if avx2() {
            // SAFETY: avx2 and fma were detected at run time.
            return unsafe { $name($($arg),*) };
        }
        $body
    }};
}
pub(crate) use dispatch;

const LOG2E: f32 = std::f32::consts::LOG2_E;
// ln 2 split into 355/512 (9 significant bits, so `n * LN2_HI` is exact for |n| < 2^15)
// and the rest, so `x - n ln2` loses no precision.
const LN2_HI: f32 = 355.0 / 512.0;
const LN2_LO: f32 = -2.121_944_4e-4;
// 1.5 * 2^23: adding and subtracting it rounds an f32 of magnitude < 2^22 to the
// nearest integer, and the sum's low mantissa bits hold that integer.
pub const ROUND_MAGIC: f32 = 12_582_912.0;

/// e^x for x in [-87, 88] (clamped outside, so e^-1000 is about 1.6e-38, not 0),
/// relative error below 2e-7.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let k = x * LOG2E + ROUND_MAGIC;
    let n = k - ROUND_MAGIC;
    let r = x - n * LN2_HI - n * LN2_LO; // |r| <= ln2 / 2
                                         // Taylor series of e^r to degree 7 (truncation error < 3e-9 for |r| <= 0.347).
    let p = 1.0 / 5040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // 2^n from the integer in k's low bits (n in [-126, 127] after the clamp).
    let ni = k.to_bits().wrapping_sub(ROUND_MAGIC.to_bits()) as i32;
    let scale = f32::from_bits(((ni + 127) as u32) << 23);
    p * scale
}

/// erf(x), absolute error below 4e-7: its Maclaurin series for |x| < 0.5, where the
/// tail form below loses digits to cancellation, and Abramowitz & Stegun 7.1.26
/// (with [`exp`]) elsewhere. Both are computed and one selected, so it stays
/// branch-free.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    // 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), n = 0..=6.
    let z = x * x;
    let series = x
        * (std::f32::consts::FRAC_2_SQRT_PI
            + z * (-0.376_126_4
                + z * (0.112_837_92
                    + z * (-0.026_866_17
                        + z * (0.005_223_977 + z * (-0.000_854_832_3 + z * 0.000_120_553_3))))));
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152 + t * 1.061_405_4))));
    let tail = (1.0 - poly * exp(-z)).copysign(x);
    if a < 0.5 {
        series
    } else {
        tail
    }
}

/// GELU with the exact (erf) form, `x * Phi(x)`, as BERT uses.
#[inline(always)]
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// `x[i] = gelu(x[i])` in place.
pub fn gelu_in_place(x: &mut [f32]) {
    dispatch!(gelu_impl(x: &mut [f32]) {
        // A plain element-wise loop: the form the loop vectorizer handles best.
        for v in x.iter_mut() {
            *v = gelu(*v);
        }
    })
}

/// Each row of `x` (rows of `w.len()` values) becomes `LayerNorm(x + add)` with gain
/// `w` and bias `b`; `add` is the residual branch (same shape as `x`) or `None`.
pub fn add_layer_norm(x: &mut [f32], add: Option<&[f32]>, w: &[f32], b: &[f32], eps: f32) {
    dispatch!(add_layer_norm_impl(x: &mut [f32], add: Option<&[f32]>, w: &[f32], b: &[f32], eps: f32) {
        let h = w.len();
        for (r, row) in x.chunks_exact_mut(h).enumerate() {
            if let Some(add) = add {
                for (v, a) in row.iter_mut().zip(&add[r * h..(r + 1) * h]) {
                    *v += a;
                }
            }
            let mean = row.iter().sum::<f32>() / h as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
            let inv = 1.0 / (var + eps).sqrt();
            for ((v, g), c) in row.iter_mut().zip(w).zip(b) {
                *v = (*v - mean) * inv * g + c;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf by its Maclaurin series in f64 (converges well for |x| <= 3).
    fn erf_series(x: f64) -> f64 {
        let mut term = x;
        let mut sum = x;
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_is_accurate_over_its_range() {
        for i in -8700..=8800 {
            let x = i as f32 / 100.0;
            let want = (x as f64).exp();
            let got = exp(x) as f64;
            assert!(
                ((got - want) / want).abs() < 2e-7,
                "exp({x}) = {got}, want {want}"
            );
        }
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(1000.0).is_finite());
    }

    #[test]
    fn erf_is_accurate_and_odd() {
        for i in -3000..=3000 {
            let x = i as f32 / 1000.0;
            let want = erf_series(x as f64);
            let got = erf(x) as f64;
            assert!((got - want).abs() < 4e-7, "erf({x}) = {got}, want {want}");
        }
        assert_eq!(erf(6.0), 1.0);
        assert_eq!(erf(-6.0), -1.0);
        assert_eq!(erf(0.0), 0.0);
    }

    #[test]
    fn gelu_matches_the_erf_definition() {
        // 37 values: not a multiple of 8, so the tails are exercised.
        let a: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) / 7.0).collect();
        let mut g = a.clone();
        gelu_in_place(&mut g);
        for (v, x) in g.iter().zip(&a) {
            let x = *x as f64;
            let want = 0.5 * x * (1.0 + erf_series(x / 2f64.sqrt()));
            assert!((*v as f64 - want).abs() < 1e-6, "{v} vs {want}");
        }
    }

    #[test]
    fn layer_norm_with_residual() {
        let mut x = vec![1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 8.0];
        let add = vec![1.0; 8];
        let (w, b) = ([2.0; 4], [0.5; 4]);
        add_layer_norm(&mut x, Some(&add), &w, &b, 1e-12);
        // row 0: 2,3,4,5 -> mean 3.5, var 1.25
        let inv = 1.0 / 1.25f32.sqrt();
        assert!((x[0] - (-1.5 * inv * 2.0 + 0.5)).abs() < 1e-5);
        assert!((x[3] - (1.5 * inv * 2.0 + 0.5)).abs() < 1e-5);
        for row in x.chunks(4) {
            let mean: f32 = row.iter().map(|v| (v - 0.5) / 2.0).sum::<f32>() / 4.0;
            assert!(mean.abs() < 1e-5);
        }
    }
}
