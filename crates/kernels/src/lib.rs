//! envkb's CPU kernels for the embedding model, in their own crate so that they are
//! compiled with optimizations even in debug builds (the root `Cargo.toml` gives this
//! crate `opt-level = 3` in the dev profile, as it does for dependencies). Unoptimized,
//! the same loops made the model tests of a debug build run for many minutes.
//!
//! Owns only arithmetic on slices, no model or file format: the Q4 x Q8 quantized matmul
//! (`q4q8`), one head of attention (`attention`) and the element-wise math
//! (`fastmath`: exp, erf, GELU, residual + LayerNorm). `envkb::embed::plain` builds the
//! encoder layers from them.

pub mod attention;
pub mod fastmath;
pub mod q4q8;
