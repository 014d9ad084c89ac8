//! The encoder: texts in, L2-normalized E5 vectors out.
//!
//! Owns the E5 recipe around the network: prefixes, windows for inputs longer than the
//! model's 512 positions (overlapping, each window re-prefixed, token-weighted average
//! of the windows' masked means, then normalized), length-sorted batching under a
//! token budget, the bounds on one call's work ([`EmbedBudget`], counted in the model's
//! tokens and windows before any forward pass), stopping between forward passes when the
//! request the work is for has gone (`crate::cancel`), and the thread pool the math runs
//! on. It does not normalize text, and it runs on the caller's thread.

use super::bert::{Bert, LinearMode};
use super::packed::PackedFile;
use super::pool::{combine_windows, l2_normalize, plan_windows};
use super::tokenize::{TextKind, TextTokenizer, Tokenized};
use super::{EmbedError, ModelSource};
use crate::cancel::{self, StopToken, Stopped};

/// Bounds on the model work of one call, checked after tokenizing and before any forward
/// pass, so an over-long input costs a tokenization, not minutes of a model slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbedBudget {
    /// Most tokens in one text (its body: without the E5 prefix and `<s>`/`</s>`).
    pub tokens_per_text: usize,
    /// Most model input over all the texts, in windows of the model's positions (512):
    /// the tokens of every window (prefix and special tokens included) over 512, rounded
    /// up. Many short texts count as the few full windows they cost.
    pub windows: usize,
}

impl EmbedBudget {
    /// No bound (the indexer and the CLI, whose input is the operator's own).
    pub const UNBOUNDED: EmbedBudget = EmbedBudget {
        tokens_per_text: usize::MAX,
        windows: usize::MAX,
    };

    /// What a search query or question may cost: 1,024 tokens, three overlapping windows
    /// (a 1,000-character Persian query is 200 to 400 tokens).
    pub const QUERY: EmbedBudget = EmbedBudget {
        tokens_per_text: 1024,
        windows: 3,
    };
}

/// Tuning knobs; the defaults are the measured best on a 2-core AVX2 machine.
#[derive(Debug, Clone)]
pub struct EncoderOptions {
    /// Threads for the tensor math; `None` uses the global pool (`RAYON_NUM_THREADS`,
    /// else one per core).
    pub threads: Option<usize>,
    /// How the packed model's linear layers are computed.
    pub linear: LinearMode,
    /// At most this many windows per forward pass (small batches are fastest on CPU).
    pub max_batch: usize,
    /// At most this many padded tokens per forward pass.
    pub token_budget: usize,
    /// Tokens shared by consecutive windows of a long input.
    pub window_overlap: usize,
    /// The bounds of [`Encoder::embed_queries`] (search queries and questions).
    pub query_budget: EmbedBudget,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self {
            threads: None,
            linear: LinearMode::default(),
            max_batch: 4,
            token_budget: 2048,
            window_overlap: 64,
            query_budget: EmbedBudget::QUERY,
        }
    }
}

/// A loaded E5 encoder.
pub struct Encoder {
    bert: Bert,
    tok: TextTokenizer,
    opts: EncoderOptions,
    pool: Option<rayon::ThreadPool>,
}

impl Encoder {
    /// Load with default options.
    pub fn load(source: &ModelSource) -> Result<Self, EmbedError> {
        Self::load_with(source, EncoderOptions::default())
    }

    /// Load with the given options.
    pub fn load_with(source: &ModelSource, opts: EncoderOptions) -> Result<Self, EmbedError> {
        if opts.max_batch == 0 || opts.token_budget == 0 {
            return Err(EmbedError::InvalidOption(
                "max_batch and token_budget must be at least 1".into(),
            ));
        }
        let pool = match opts.threads {
            Some(0) => {
                return Err(EmbedError::InvalidOption(
                    "threads must be at least 1".into(),
                ))
            }
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("envkb-embed-{i}"))
                    .build()
                    .map_err(|e| {
                        EmbedError::InvalidOption(format!("cannot start {n} threads: {e}"))
                    })?,
            ),
            None => None,
        };
        // The tokenizer first: a bad one fails before the slower weight loading.
        let tok_path = source.tokenizer_path();
        let tok = TextTokenizer::open(&tok_path)?;
        let bert = match source {
            ModelSource::Packed { bin, .. } => {
                let file = PackedFile::open(bin)?;
                Bert::from_packed(&file, opts.linear)?
            }
            ModelSource::HfDir(dir) => Bert::from_hf_dir(dir)?,
        };
        tok.check_vocab(&tok_path, bert.config.vocab)?;
        Ok(Self {
            bert,
            tok,
            opts,
            pool,
        })
    }

    /// Embedding dimension (384 for e5-small).
    pub fn dim(&self) -> usize {
        self.bert.config.hidden
    }

    /// Tokens per model input, including `<s>` and `</s>` (512 for e5-small).
    pub fn max_tokens(&self) -> usize {
        self.bert.config.max_positions
    }

    /// The options in use.
    pub fn options(&self) -> &EncoderOptions {
        &self.opts
    }

    /// Token ids of `prefix + text` with `<s>` and `</s>`, before any windowing.
    pub fn tokenize(&self, text: &str, kind: TextKind) -> Result<Vec<u32>, EmbedError> {
        let t = self.tok.tokenize(text, kind, 0)?;
        let mut ids = Vec::with_capacity(t.prefix.len() + t.body.len() + 2);
        ids.push(self.tok.bos);
        ids.extend_from_slice(&t.prefix);
        ids.extend_from_slice(&t.body);
        ids.push(self.tok.eos);
        Ok(ids)
    }

    /// Embed document chunks (`passage: ` prefix). One unit vector per text.
    pub fn embed_passages<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed(texts, TextKind::Passage)
    }

    /// Embed search queries (`query: ` prefix) within the options' query budget (a query
    /// over it is refused with [`EmbedError::TooManyTokens`]). One unit vector per text.
    pub fn embed_queries<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_within(texts, TextKind::Query, self.opts.query_budget)
    }

    /// Embed texts with the given prefix, without bounds. Fails without computing anything
    /// if any text is empty or only whitespace.
    pub fn embed<S: AsRef<str>>(
        &self,
        texts: &[S],
        kind: TextKind,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_within(texts, kind, EmbedBudget::UNBOUNDED)
    }

    /// [`Encoder::embed`] within `budget`: refused before any forward pass when a text or
    /// the whole call is over it. Under a request's stop token (`crate::cancel`) the work
    /// stops between forward passes once the request is gone, with [`EmbedError::Stopped`].
    pub fn embed_within<S: AsRef<str>>(
        &self,
        texts: &[S],
        kind: TextKind,
        budget: EmbedBudget,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        check_texts(texts)?;
        let texts: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
        // The pool's threads do not see this thread's token: it is taken along.
        let stop = cancel::current();
        match &self.pool {
            Some(pool) => pool.install(|| self.embed_inner(&texts, kind, budget, stop.as_ref())),
            None => self.embed_inner(&texts, kind, budget, stop.as_ref()),
        }
    }

    fn embed_inner(
        &self,
        texts: &[&str],
        kind: TextKind,
        budget: EmbedBudget,
        stop: Option<&StopToken>,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let check_stop = || match stop {
            Some(t) if t.is_stopped() => Err(EmbedError::Stopped(Stopped)),
            _ => Ok(()),
        };
        // Every window of every text becomes one model input.
        struct Item {
            text: usize,
            weight: usize,
            ids: Vec<u32>,
        }
        let mut items = Vec::new();
        let mut input_tokens = 0usize;
        for (i, t) in texts.iter().enumerate() {
            check_stop()?;
            let Tokenized { prefix, body } = self.tok.tokenize(t, kind, i)?;
            if body.len() > budget.tokens_per_text {
                return Err(EmbedError::TooManyTokens {
                    index: i,
                    tokens: body.len(),
                    limit: budget.tokens_per_text,
                });
            }
            let capacity = self.max_tokens().saturating_sub(2 + prefix.len()).max(1);
            for w in plan_windows(body.len(), capacity, self.opts.window_overlap) {
                let mut ids = Vec::with_capacity(w.end - w.start + prefix.len() + 2);
                ids.push(self.tok.bos);
                ids.extend_from_slice(&prefix);
                ids.extend_from_slice(&body[w.start..w.end]);
                ids.push(self.tok.eos);
                input_tokens += ids.len();
                items.push(Item {
                    text: i,
                    weight: w.end - w.start,
                    ids,
                });
            }
        }
        let windows = input_tokens.div_ceil(self.max_tokens().max(1));
        if windows > budget.windows {
            return Err(EmbedError::TooManyWindows {
                windows,
                window: self.max_tokens(),
                limit: budget.windows,
            });
        }
        // Length-sorted batches keep padding small.
        items.sort_by_key(|it| it.ids.len());
        let mut per_text: Vec<Vec<(Vec<f32>, usize)>> = vec![Vec::new(); texts.len()];
        let mut start = 0;
        while start < items.len() {
            let mut end = start + 1;
            while end < items.len()
                && end - start < self.opts.max_batch
                && (end - start + 1) * items[end].ids.len() <= self.opts.token_budget
            {
                end += 1;
            }
            let seqs: Vec<Vec<u32>> = items[start..end]
                .iter_mut()
                .map(|it| std::mem::take(&mut it.ids))
                .collect();
            // One forward pass is the unit of work a stopped request waits for.
            check_stop()?;
            let means = self.bert.forward_mean(&seqs)?;
            for (it, m) in items[start..end].iter().zip(means) {
                per_text[it.text].push((m, it.weight));
            }
            start = end;
        }
        Ok(per_text
            .into_iter()
            .map(|ws| {
                if ws.len() == 1 {
                    let mut v = ws.into_iter().next().map(|w| w.0).unwrap_or_default();
                    l2_normalize(&mut v);
                    v
                } else {
                    combine_windows(&ws)
                }
            })
            .collect())
    }
}

/// Whether a text has nothing to embed: only whitespace and invisible joiners
/// (ZWNJ, ZWJ, zero-width space, word joiner, BOM), which the tokenizer drops.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
            )
    })
}

/// Reject empty or blank texts (see [`is_blank`]), naming the first one.
pub fn check_texts<S: AsRef<str>>(texts: &[S]) -> Result<(), EmbedError> {
    match texts.iter().position(|t| is_blank(t.as_ref())) {
        Some(index) => Err(EmbedError::EmptyInput { index }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_texts_are_rejected_with_their_index() {
        assert!(check_texts(&["a", "b"]).is_ok());
        let e = check_texts(&["a", " \t\n\u{3000}\u{200c}\u{feff}"]).unwrap_err();
        assert!(matches!(e, EmbedError::EmptyInput { index: 1 }), "{e:?}");
        assert!(check_texts(&["\u{200c}آب"]).is_ok());
        assert!(matches!(
            check_texts(&[""]),
            Err(EmbedError::EmptyInput { index: 0 })
        ));
    }
}
