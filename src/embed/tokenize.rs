//! Text to token ids with the model's `tokenizer.json` (Hugging Face `tokenizers`).
//!
//! Owns loading and checking the tokenizer, the E5 `query: ` / `passage: ` prefixes,
//! and splitting a tokenized input into the prefix and the body that windows cut.
//! It applies no text normalization of its own beyond what `tokenizer.json` defines:
//! Persian normalization is the caller's job (the `text` module), done before embedding.

use std::path::Path;

use tokenizers::Tokenizer;

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

/// The tokenizer plus the special ids and prefix tokens the encoder needs.
pub struct TextTokenizer {
    tok: Tokenizer,
    pub bos: u32,
    pub eos: u32,
    query_prefix: Vec<u32>,
    passage_prefix: Vec<u32>,
}

/// A tokenized input: the prefix tokens (repeated in every window) and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokenized {
    pub prefix: Vec<u32>,
    pub body: Vec<u32>,
}

impl TextTokenizer {
    /// Load `tokenizer.json`; see also [`TextTokenizer::check_vocab`].
    pub fn open(path: &Path) -> Result<Self, EmbedError> {
        let bad = |detail: String| EmbedError::BadTokenizer {
            path: path.to_path_buf(),
            detail,
        };
        if !path.is_file() {
            return Err(bad("file not found".into()));
        }
        let mut tok = Tokenizer::from_file(path).map_err(|e| bad(format!("cannot parse: {e}")))?;
        tok.with_truncation(None)
            .map_err(|e| bad(format!("cannot disable truncation: {e}")))?;
        tok.with_padding(None);
        let id = |t: &str| {
            tok.token_to_id(t)
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
        let size = self.tok.get_vocab_size(true);
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

    fn raw(&self, text: &str, index: usize) -> Result<Vec<u32>, EmbedError> {
        let enc = self
            .tok
            .encode(text, false)
            .map_err(|e| EmbedError::Tokenize {
                index,
                detail: e.to_string(),
            })?;
        Ok(enc.get_ids().to_vec())
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
