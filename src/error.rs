//! The crate-wide error type.
//!
//! Every module has its own `thiserror` enum; they fold into [`Error`] here. Each error
//! knows whether it is the user's fault (a bad query, a bad file, a missing model) or
//! ours, so the CLI can choose an exit code and the server a status from one place.

use thiserror::Error;

/// Who caused an error: decides exit codes and HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The input, configuration or environment given by the user is wrong; the message says what to fix.
    User,
    /// Something inside envkb failed; details are logged, not shown to remote users.
    Internal,
}

/// The error type of the library.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Embed(#[from] crate::embed::EmbedError),
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Whether this error is the user's to fix or ours.
    pub fn fault(&self) -> Fault {
        match self {
            Error::Embed(e) => e.fault(),
            Error::Other(_) => Fault::Internal,
        }
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
