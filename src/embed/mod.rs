//! The local embedding engine: multilingual-e5-small on the CPU with candle.
//!
//! Owns turning (already normalized) text into L2-normalized 384-dimensional vectors:
//! model files and where they come from (`source`, `packed`), the network (`bert`,
//! with the candle-free layers in `plain`, built on the `envkb-kernels` crate),
//! tokenization with the E5 prefixes (`tokenize`, with the fast E5 Unigram path in
//! `unigram`), pooling and windowing (`pool`), and the encoder that ties them together
//! (`encoder`). It does not normalize Persian text, store vectors or search them, nor
//! queue work: the server bounds model work with its own gate (`server::state`).
//!
//! ```no_run
//! use envkb::embed::{Encoder, ModelSource};
//! let enc = Encoder::load(&ModelSource::from_env()?)?;
//! let v = enc.embed_queries(&["قانون حفاظت از محیط زیست"])?;
//! assert_eq!(v[0].len(), enc.dim());
//! # Ok::<(), envkb::embed::EmbedError>(())
//! ```

mod bert;
mod encoder;
mod error;
pub mod location;
pub mod packed;
mod plain;
pub mod pool;
mod source;
mod tokenize;
pub mod unigram;

pub use bert::{LinearMode, SMALL_ROWS};
pub use encoder::{EmbedBudget, Encoder, EncoderOptions};
pub use error::EmbedError;
pub use source::{ModelSource, DEFAULT_MODEL_DIR, MODEL_DIR_ENV, PACKED_FILE, TOKENIZER_FILE};
pub use tokenize::{TextKind, TextTokenizer, Tokenized};
