//! Text analysis: normalization, the tantivy analyzer, language detection, sentences.
//!
//! Everything here is pure functions over strings; no I/O, no index. Index time and
//! query time both go through [`Analyzer`], which is what makes the two agree.

pub mod analyzer;
pub mod lang;
pub mod normalize;
pub mod sentence;
pub mod stopwords;

pub use analyzer::{
    AnalyzedToken, Analyzer, AnalyzerOptions, EnvkbTokenizer, TokenKind, ANALYZER_NAME,
};
pub use lang::{detect_lang, Lang};
pub use normalize::{normalize, normalize_for_embedding, ZWNJ};
