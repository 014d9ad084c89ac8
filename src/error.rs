//! The crate-wide error type.
//!
//! Every module has its own `thiserror` enum; they fold into [`Error`] here. Each error
//! knows whether it is the user's fault (a bad query, a bad file, a missing model) or
//! ours, so the CLI can choose an exit code and the server a status from one place.

use thiserror::Error;

use crate::eval::EvalError;
use crate::ingest::IngestError;
use crate::lexical::{FilterError, LexicalError, QueryError};
use crate::vector::VectorError;

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
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Lexical(#[from] LexicalError),
    #[error(transparent)]
    Vector(#[from] VectorError),
    #[error(transparent)]
    Eval(#[from] EvalError),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    Answer(#[from] crate::answer::AnswerError),
    #[error(transparent)]
    Exercises(#[from] crate::exercises::ExercisesError),
    #[error("{0}")]
    Usage(String),
}

impl From<QueryError> for Error {
    fn from(e: QueryError) -> Self {
        Error::Lexical(e.into())
    }
}

impl From<FilterError> for Error {
    fn from(e: FilterError) -> Self {
        Error::Lexical(e.into())
    }
}

impl Error {
    /// Whether this error is the user's to fix or ours.
    pub fn fault(&self) -> Fault {
        let user = match self {
            Error::Embed(e) => return e.fault(),
            Error::Search(crate::search::SearchError::Embed(e)) => return e.fault(),
            Error::Search(crate::search::SearchError::Lexical(e)) => e.is_user_fault(),
            Error::Ingest(e) => !matches!(e, IngestError::Io(_)),
            Error::Lexical(e) => e.is_user_fault(),
            Error::Vector(e) => e.is_user_fault(),
            Error::Eval(_) => true,
            Error::Answer(e) => return e.fault(),
            Error::Exercises(e) => return e.fault(),
            Error::Usage(_) => true,
        };
        if user {
            Fault::User
        } else {
            Fault::Internal
        }
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
