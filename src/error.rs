//! The crate-wide error type.
//!
//! Every module has its own `thiserror` enum with an exhaustive `kind()`; they fold into
//! [`Error`] here. [`Error::kind`] is the one answer to "whose fault, and what kind": the CLI
//! maps it to an exit code (`main.rs`) and the server to an HTTP status (`server::error`).

use thiserror::Error;

use crate::eval::EvalError;
use crate::ingest::IngestError;
use crate::lexical::{FilterError, LexicalError, QueryError};
use crate::vector::VectorError;

pub use crate::fault::{ErrorKind, Fault};

/// The error type of the library.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    /// The encoder or its files.
    Embed(#[from] crate::embed::EmbedError),
    #[error(transparent)]
    /// Reading or cutting a file.
    Ingest(#[from] IngestError),
    #[error(transparent)]
    /// The tantivy index or a query.
    Lexical(#[from] LexicalError),
    #[error(transparent)]
    /// The vector files.
    Vector(#[from] VectorError),
    #[error(transparent)]
    /// Question or corpus files of an evaluation.
    Eval(#[from] EvalError),
    #[error(transparent)]
    /// Retrieval.
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    /// Answering a question.
    Answer(#[from] crate::answer::AnswerError),
    #[error(transparent)]
    /// Making an exercise set.
    Exercises(#[from] crate::exercises::ExercisesError),
    /// A command-line value the user must fix (a path that does not exist, a bad keys file).
    #[error("{0}")]
    Usage(String),
    /// A failure of ours outside the modules above (the server could not start a thread).
    #[error("{0}")]
    Internal(String),
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
    /// What kind of failure this is, as the module that raised it decided.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Embed(e) => e.kind(),
            Error::Ingest(e) => e.kind(),
            Error::Lexical(e) => e.kind(),
            Error::Vector(e) => e.kind(),
            Error::Eval(e) => e.kind(),
            Error::Search(e) => e.kind(),
            Error::Answer(e) => e.kind(),
            Error::Exercises(e) => e.kind(),
            Error::Usage(_) => ErrorKind::BadRequest,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Whether this error is the user's to fix or ours.
    pub fn fault(&self) -> Fault {
        self.kind().fault()
    }

    /// The message for a remote caller: the error's own words, except where those name
    /// something of the server's (a path, an endpoint's address) that a caller must not see.
    /// Internal and set-up errors are never shown at all (see `server::error`).
    pub fn public_message(&self) -> String {
        use crate::answer::LlmError;
        if let Some(LlmError::Unreachable { .. } | LlmError::Remote { .. }) = self.llm_cause() {
            return "the language model did not answer; retry later".into();
        }
        if let Some(LexicalError::Locked(_)) = self.lexical_cause() {
            return "another envkb process is writing to the index; retry when it is done".into();
        }
        match self {
            Error::Ingest(IngestError::Missing(_)) => "the file does not exist".into(),
            Error::Eval(_) => "a question or corpus file cannot be read".into(),
            Error::Ingest(e) if matches!(e.kind(), ErrorKind::BadInput | ErrorKind::TooLarge) => {
                format!("the file cannot be indexed: {e}")
            }
            _ => self.to_string(),
        }
    }

    /// The index error under this one, however deep the modules wrapped it.
    fn lexical_cause(&self) -> Option<&LexicalError> {
        use crate::answer::AnswerError as A;
        use crate::exercises::ExercisesError as X;
        use crate::search::SearchError as S;
        match self {
            Error::Lexical(e)
            | Error::Search(S::Lexical(e))
            | Error::Answer(A::Lexical(e) | A::Search(S::Lexical(e)))
            | Error::Exercises(
                X::Lexical(e)
                | X::Search(S::Lexical(e))
                | X::Answer(A::Lexical(e) | A::Search(S::Lexical(e))),
            ) => Some(e),
            _ => None,
        }
    }

    /// The language-model error under this one.
    fn llm_cause(&self) -> Option<&crate::answer::LlmError> {
        use crate::answer::AnswerError as A;
        use crate::exercises::ExercisesError as X;
        match self {
            Error::Answer(A::Llm(e)) | Error::Exercises(X::Answer(A::Llm(e))) => Some(e),
            _ => None,
        }
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
