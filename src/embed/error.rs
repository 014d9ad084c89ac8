//! Errors of the embedding engine, each classified as the user's fault or ours.

use std::path::PathBuf;

use crate::fault::{ErrorKind, Fault};

/// What can go wrong while loading the model or embedding text.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model directory does not exist or holds no usable model files.
    #[error(
        "no embedding model in {dir}: {reason} (run models/fetch.sh first, or set ENVKB_MODEL_DIR)"
    )]
    ModelDirInvalid {
        /// The directory that was looked in.
        dir: PathBuf,
        /// What is missing or wrong there.
        reason: String,
    },

    /// A model file could not be read.
    #[error("cannot read model file {path}: {source}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The I/O error, kept as the source for the error chain.
        #[source]
        source: std::io::Error,
    },

    /// The packed weights file ends before the data its header promises.
    #[error("weights file {path} is truncated: {detail} (re-run models/fetch.sh)")]
    TruncatedWeights {
        /// The weights file.
        path: PathBuf,
        /// What was cut short.
        detail: String,
    },

    /// The weights file is not in a format this engine understands, or is corrupt.
    #[error("weights file {path} is invalid: {detail}")]
    InvalidWeights {
        /// The weights file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },

    /// The tokenizer file is not valid JSON for a tokenizer, or does not match the model.
    #[error("tokenizer {path} is invalid: {detail}")]
    BadTokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },

    /// An input text is empty or only whitespace (or invisible joiners such as ZWNJ).
    #[error("text #{index} is empty or only whitespace; nothing to embed")]
    EmptyInput {
        /// The position of the empty text in the call's input, to tell the caller which.
        index: usize,
    },

    /// Tokenizing an input failed.
    #[error("cannot tokenize text #{index}: {detail}")]
    Tokenize {
        /// The position of the failing text in the call's input, to tell the caller which.
        index: usize,
        /// The tokenizer's message.
        detail: String,
    },

    /// An invalid option (for example zero threads).
    #[error("invalid embedding option: {0}")]
    InvalidOption(String),

    /// A text is longer, in the model's tokens, than the caller allows.
    #[error("text #{index} is {tokens} tokens long for the model; the limit is {limit} tokens: send shorter text")]
    TooManyTokens {
        /// The position of the long text in the call's input.
        index: usize,
        /// The text's length in the model's tokens.
        tokens: usize,
        /// The most tokens the caller allows per text.
        limit: usize,
    },

    /// The texts of one call need more model work than the caller allows, counted in
    /// windows of the model's 512 positions.
    #[error("the input needs {windows} model windows of {window} tokens; the limit is {limit}: send fewer or shorter texts")]
    TooManyWindows {
        /// Model windows the call's texts need.
        windows: usize,
        /// Tokens per model window.
        window: usize,
        /// The most windows the caller allows per call.
        limit: usize,
    },

    /// The request the work was for timed out or went away (see `crate::cancel`).
    #[error(transparent)]
    Stopped(#[from] crate::cancel::Stopped),

    /// The tensor library failed during a forward pass.
    #[error("model computation failed: {0}")]
    Compute(#[from] candle_core::Error),
}

impl EmbedError {
    /// What kind of failure this is: model files are the operator's set-up, inputs the caller's.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EmbedError::ModelDirInvalid { .. }
            | EmbedError::Io { .. }
            | EmbedError::TruncatedWeights { .. }
            | EmbedError::InvalidWeights { .. }
            | EmbedError::BadTokenizer { .. }
            | EmbedError::InvalidOption(_) => ErrorKind::Setup,
            EmbedError::EmptyInput { .. } => ErrorKind::BadInput,
            EmbedError::TooManyTokens { .. } | EmbedError::TooManyWindows { .. } => {
                ErrorKind::TooLarge
            }
            EmbedError::Stopped(_) => ErrorKind::Unavailable,
            EmbedError::Tokenize { .. } | EmbedError::Compute(_) => ErrorKind::Internal,
        }
    }

    /// Whether this error is the user's to fix or ours.
    pub fn fault(&self) -> Fault {
        self.kind().fault()
    }
}
