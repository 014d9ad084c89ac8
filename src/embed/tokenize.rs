//! Text to token ids with the model's `tokenizer.json`.
//!
//! Owns loading and checking the tokenizer, the E5 `query: ` / `passage: ` prefixes,
//! and splitting a tokenized input into the prefix and the body that windows cut.
//! The E5 Unigram tokenizer goes through `unigram` (a memory-mapped cache, same ids);
//! any other `tokenizer.json` loads through Hugging Face `tokenizers`.
//! It applies no text normalization of its own beyond what `tokenizer.json` defines:
//! Persian normalization is the caller's job (the `text` module), done before embedding.

use std::path::Path;

use tokenizers::Tokenizer;

use super::unigram::{Opened, UnigramTokenizer};
use super::EmbedError;

/// Which E5 prefix an input gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextKind {
    /// A search query: `query: ` prefix.
    Query,
    /// A document chunk: `passage: ` prefix.
    Passage,
}

impl TextKind {
    /// The prefix E5 was trained with.
    pub fn prefix(self) -> &'static str {
        match self {
            TextKind::Query => "query: ",
            TextKind::Passage => "passage: ",
        }
    }
}

/// Which implementation turns text into ids.
enum Backend {
    /// The E5 Unigram tokenizer from its cache (see `unigram`).
    Unigram(Box<UnigramTokenizer>),
    /// Any other tokenizer, through Hugging Face `tokenizers`.
    Hf(Box<Tokenizer>),
}

/// The tokenizer plus the special ids and prefix tokens the encoder needs.
pub struct TextTokenizer {
    tok: Backend,
    /// The id of the start-of-sequence token, put at the front of every window.
    pub bos: u32,
    /// The id of the end-of-sequence token, put at the end of every window.
    pub eos: u32,
    query_prefix: Vec<u32>,
    passage_prefix: Vec<u32>,
}

/// A tokenized input: the prefix tokens (repeated in every window) and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokenized {
    /// Tokens repeated at the start of every window: the model's query or passage prefix.
    pub prefix: Vec<u32>,
    /// The text's own tokens, cut into windows when too long.
    pub body: Vec<u32>,
}

impl TextTokenizer {
    /// Load `tokenizer.json` (the fast E5 path when it applies); see also
    /// [`TextTokenizer::check_vocab`].
    pub fn open(path: &Path) -> Result<Self, EmbedError> {
        let bad = |detail: String| EmbedError::BadTokenizer {
            path: path.to_path_buf(),
            detail,
        };
        if !path.is_file() {
            return Err(bad("file not found".into()));
        }
        // A measurement knob, not a setting: the reference path for every load, to time
        // what the fast path saves (docs/BENCHMARKS.md, debug-build test suite).
        if std::env::var_os("ENVKB_REFERENCE_TOKENIZER").is_some_and(|v| v == "1") {
            return Self::open_reference(path);
        }
        let tok = match UnigramTokenizer::open(path)? {
            Opened::Fast(t, state) => {
                tracing::debug!(path = %path.display(), ?state, "E5 Unigram tokenizer");
                Backend::Unigram(t)
            }
            Opened::Unsupported(reason) => {
                tracing::debug!(path = %path.display(), "tokenizers crate: {reason}");
                Self::open_hf(path)?
            }
        };
        Self::with_backend(path, tok)
    }

    /// Load `tokenizer.json` through Hugging Face `tokenizers` even when the fast path
    /// would apply: the reference the fast path is tested against.
    pub fn open_reference(path: &Path) -> Result<Self, EmbedError> {
        if !path.is_file() {
            return Err(EmbedError::BadTokenizer {
                path: path.to_path_buf(),
                detail: "file not found".into(),
            });
        }
        Self::with_backend(path, Self::open_hf(path)?)
    }

    /// Whether this tokenizer runs on the fast E5 path rather than `tokenizers`.
    pub fn is_fast(&self) -> bool {
        matches!(self.tok, Backend::Unigram(_))
    }

    fn open_hf(path: &Path) -> Result<Backend, EmbedError> {
        let bad = |detail: String| EmbedError::BadTokenizer {
            path: path.to_path_buf(),
            detail,
        };
        let mut tok = Tokenizer::from_file(path).map_err(|e| bad(format!("cannot parse: {e}")))?;
        tok.with_truncation(None)
            .map_err(|e| bad(format!("cannot disable truncation: {e}")))?;
        tok.with_padding(None);
        Ok(Backend::Hf(Box::new(tok)))
    }

    fn with_backend(path: &Path, tok: Backend) -> Result<Self, EmbedError> {
        let bad = |detail: String| EmbedError::BadTokenizer {
            path: path.to_path_buf(),
            detail,
        };
        let id = |t: &str| {
            match &tok {
                Backend::Unigram(u) => u.token_to_id(t),
                Backend::Hf(h) => h.token_to_id(t),
            }
            .ok_or_else(|| bad(format!("special token {t} is missing")))
        };
        let bos = id("<s>")?;
        let eos = id("</s>")?;
        let mut me = Self {
            tok,
            bos,
            eos,
            query_prefix: Vec::new(),
            passage_prefix: Vec::new(),
        };
        me.query_prefix = me.raw(TextKind::Query.prefix().trim_end(), 0)?;
        me.passage_prefix = me.raw(TextKind::Passage.prefix().trim_end(), 0)?;
        if me.query_prefix.is_empty() || me.passage_prefix.is_empty() {
            return Err(bad("the E5 prefixes tokenize to nothing".into()));
        }
        Ok(me)
    }

    /// Check that every id this tokenizer can produce has an embedding in a model with
    /// `vocab` rows (`path` is for the message).
    pub fn check_vocab(&self, path: &Path, vocab: usize) -> Result<(), EmbedError> {
        let size = match &self.tok {
            Backend::Unigram(u) => u.vocab_size(),
            Backend::Hf(h) => h.get_vocab_size(true),
        };
        if size > vocab {
            return Err(EmbedError::BadTokenizer {
                path: path.to_path_buf(),
                detail: format!(
                    "vocabulary of {size} tokens is larger than the model's {vocab}: wrong tokenizer for this model"
                ),
            });
        }
        Ok(())
    }

    /// Ids of `text` without `<s>`/`</s>`. `index` is only used in error messages.
    pub fn raw(&self, text: &str, index: usize) -> Result<Vec<u32>, EmbedError> {
        match &self.tok {
            Backend::Unigram(u) => Ok(u.encode(text)),
            Backend::Hf(h) => {
                let enc = h.encode(text, false).map_err(|e| EmbedError::Tokenize {
                    index,
                    detail: e.to_string(),
                })?;
                Ok(enc.get_ids().to_vec())
            }
        }
    }

    /// Tokenize `prefix + text` (no special tokens) and split off the prefix tokens.
    /// `index` is only used in error messages.
    pub fn tokenize(
        &self,
        text: &str,
        kind: TextKind,
        index: usize,
    ) -> Result<Tokenized, EmbedError> {
        let ids = self.raw(&format!("{}{text}", kind.prefix()), index)?;
        let p = match kind {
            TextKind::Query => &self.query_prefix,
            TextKind::Passage => &self.passage_prefix,
        };
        // The prefix ends in ':' then a space, so its tokens normally stand alone; if
        // some text merges with it, keep everything in the body (still correct, the
        // prefix is then just not repeated in later windows).
        Ok(if ids.starts_with(p) {
            Tokenized {
                prefix: p.clone(),
                body: ids[p.len()..].to_vec(),
            }
        } else {
            Tokenized {
                prefix: Vec::new(),
                body: ids,
            }
        })
    }
}
