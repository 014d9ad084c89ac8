//! `ApiError`: every way a request can fail, and the one place its HTTP status is chosen.
//!
//! User faults become 4xx with `{"error": code, "message": what to fix}`. Internal faults
//! become a 500 whose body names only the request id; the detail goes to the server log
//! under that id, never to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Role;
use crate::answer::{AnswerError, LlmError};
use crate::embed::EmbedError;
use crate::exercises::ExercisesError;
use crate::ingest::IngestError;
use crate::lexical::LexicalError;
use crate::search::SearchError;
use crate::ErrorKind;

/// Seconds a client is told to wait after a 429 or a 503.
pub const RETRY_AFTER_SECS: u64 = 1;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter or header is missing or malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The body is not well-formed JSON (or not UTF-8).
    #[error("{0}")]
    InvalidJson(String),
    /// Well-formed input with the wrong shape, types or values.
    #[error("{0}")]
    InvalidInput(String),
    /// The body is of a type this route does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    /// An uploaded file over a limit of its own (its size, or what it inflates to).
    #[error("{0}")]
    FileTooLarge(String),
    /// The client stopped sending the body (or the headers) it announced.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    UriTooLong(String),
    #[error("{0}")]
    HeadersTooLarge(String),
    /// No API key where one is needed, or a key that is not valid.
    #[error("{0}")]
    Unauthorized(String),
    #[error("this needs an API key with the {needed} role; yours has the {have} role")]
    Forbidden { needed: Role, have: Role },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    /// Too much work in flight: the client should retry shortly.
    #[error("the server is busy ({0}); retry in {RETRY_AFTER_SECS} s")]
    Busy(String),
    #[error("the request took longer than {secs} s and was stopped; retry later or ask for less")]
    Timeout { secs: u64 },
    /// A part of the service is not available (for example no embedding model).
    #[error("{0}")]
    Unavailable(String),
    /// Our fault; the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code for programs (`invalid_json`, `unauthorized`, `busy`, ...).
    pub error: String,
    /// What went wrong and what to do about it, for people.
    pub message: String,
}

impl ApiError {
    /// The status and the stable code: the only place either is decided.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            ApiError::InvalidInput(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::TooLarge { .. } | ApiError::FileTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
            }
            ApiError::RequestTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::UriTooLong(_) => (StatusCode::URI_TOO_LONG, "uri_too_long"),
            ApiError::HeadersTooLarge(_) => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
            ),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Busy(_) => (StatusCode::TOO_MANY_REQUESTS, "busy"),
            ApiError::Timeout { .. } => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The body sent to the client; internal details stay in the log.
    pub fn body(&self) -> ErrorBody {
        self.body_for(&super::middleware::current_request_id())
    }

    /// The body for the request `request_id`: for work that runs outside the request's task
    /// (a stream's blocking thread), where the task-local id is not visible.
    pub fn body_for(&self, request_id: &str) -> ErrorBody {
        let (_, code) = self.status_and_code();
        let message = match self {
            ApiError::Internal(_) => format!(
                "internal error (request id {request_id}); the details are in the server log"
            ),
            other => other.to_string(),
        };
        ErrorBody {
            error: code.to_string(),
            message,
        }
    }

    /// Logs an internal fault's detail under `request_id`; other errors are the caller's and
    /// are not logged.
    pub fn log_for(&self, request_id: &str) {
        if let ApiError::Internal(detail) = self {
            tracing::error!(request_id = %request_id, "internal error: {detail}");
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        self.log_for(&super::middleware::current_request_id());
        let mut response = (status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::Busy(_) | ApiError::Timeout { .. } | ApiError::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            }
            ApiError::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"envkb\""),
                );
            }
            _ => {}
        }
        response
    }
}

/// Library errors: the kind the module decided picks the response, in this one match. A
/// remote user sees what to fix in their request, never the server's paths or set-up: set-up
/// errors (no index, no model) are the operator's and are logged like internal ones.
impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> Self {
        let kind = e.kind();
        if kind == ErrorKind::Unavailable {
            tracing::warn!("unavailable: {e}");
        }
        match kind {
            ErrorKind::BadRequest => ApiError::BadRequest(e.public_message()),
            ErrorKind::BadInput => ApiError::InvalidInput(e.public_message()),
            ErrorKind::Unsupported => ApiError::UnsupportedMediaType(e.public_message()),
            ErrorKind::TooLarge => ApiError::FileTooLarge(e.public_message()),
            ErrorKind::NotFound => ApiError::NotFound(e.public_message()),
            ErrorKind::Conflict => ApiError::Conflict(e.public_message()),
            ErrorKind::Busy => ApiError::Busy(e.public_message()),
            ErrorKind::Unavailable => ApiError::Unavailable(e.public_message()),
            ErrorKind::Setup | ErrorKind::Internal => ApiError::Internal(e.to_string()),
        }
    }
}

/// Module errors go through [`crate::Error`], so their kind is read in one place.
macro_rules! via_crate_error {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                crate::Error::from(e).into()
            }
        }
    )*};
}
via_crate_error!(
    LexicalError,
    SearchError,
    EmbedError,
    AnswerError,
    ExercisesError,
    IngestError
);

impl From<LlmError> for ApiError {
    fn from(e: LlmError) -> Self {
        crate::Error::Answer(AnswerError::Llm(e)).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_faults_are_4xx_and_internal_faults_hide_their_detail() {
        let bad = ApiError::BadRequest("k must be between 1 and 100".into());
        assert_eq!(bad.status_and_code().0, StatusCode::BAD_REQUEST);
        assert_eq!(bad.body().message, "k must be between 1 and 100");
        let internal = ApiError::Internal("disk on /secret/path failed".into());
        assert_eq!(
            internal.status_and_code().0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert!(!internal.body().message.contains("/secret/path"));
    }

    #[test]
    fn library_errors_keep_server_paths_out_of_responses() {
        let e: ApiError =
            crate::Error::Lexical(LexicalError::NoIndex("/srv/envkb-data".into())).into();
        assert!(matches!(e, ApiError::Internal(_)));
        let e: ApiError = IngestError::Binary.into();
        assert_eq!(e.status_and_code().0, StatusCode::UNPROCESSABLE_ENTITY);
        let e: ApiError = IngestError::Unsupported {
            extension: ".exe".into(),
        }
        .into();
        assert_eq!(e.status_and_code().0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let e: ApiError = EmbedError::EmptyInput { index: 0 }.into();
        assert_eq!(e.status_and_code().0, StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn busy_and_unauthorized_carry_their_headers() {
        let r = ApiError::Busy("4 searches running".into()).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let r = ApiError::Unauthorized("no key".into()).into_response();
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
    }

    /// Every variant of every module error, with the HTTP status and the exit code it must
    /// get. The `kind()` matches are exhaustive, so a new variant cannot compile without a
    /// kind; this table makes sure each kind lands where the front ends expect.
    #[test]
    fn every_error_variant_has_one_status_and_one_exit_code() {
        use crate::answer::{AnswerError, LlmError};
        use crate::eval::EvalError;
        use crate::exercises::ExercisesError;
        use crate::lexical::{FilterError, QueryError};
        use crate::vector::VectorError;
        use std::path::PathBuf;

        let io = || std::io::Error::other("disk failed");
        let p = || PathBuf::from("/srv/x");
        let cases: Vec<(crate::Error, u16, i32)> = vec![
            // Embedding model and inputs.
            (
                EmbedError::ModelDirInvalid {
                    dir: p(),
                    reason: "r".into(),
                }
                .into(),
                500,
                2,
            ),
            (
                EmbedError::Io {
                    path: p(),
                    source: io(),
                }
                .into(),
                500,
                2,
            ),
            (
                EmbedError::TruncatedWeights {
                    path: p(),
                    detail: "d".into(),
                }
                .into(),
                500,
                2,
            ),
            (
                EmbedError::InvalidWeights {
                    path: p(),
                    detail: "d".into(),
                }
                .into(),
                500,
                2,
            ),
            (
                EmbedError::BadTokenizer {
                    path: p(),
                    detail: "d".into(),
                }
                .into(),
                500,
                2,
            ),
            (EmbedError::EmptyInput { index: 0 }.into(), 422, 2),
            (
                EmbedError::Tokenize {
                    index: 0,
                    detail: "d".into(),
                }
                .into(),
                500,
                1,
            ),
            (EmbedError::InvalidOption("threads".into()).into(), 500, 2),
            (
                EmbedError::TooManyTokens {
                    index: 0,
                    tokens: 5000,
                    limit: 2048,
                }
                .into(),
                413,
                2,
            ),
            (
                EmbedError::TooManyWindows {
                    windows: 40,
                    window: 512,
                    limit: 32,
                }
                .into(),
                413,
                2,
            ),
            (EmbedError::Stopped(crate::cancel::Stopped).into(), 503, 2),
            // Files.
            (
                IngestError::Unsupported {
                    extension: ".exe".into(),
                }
                .into(),
                415,
                2,
            ),
            (IngestError::Io(io()).into(), 500, 1),
            (IngestError::Binary.into(), 422, 2),
            (IngestError::InvalidUtf8 { offset: 3 }.into(), 422, 2),
            (IngestError::Empty.into(), 422, 2),
            (IngestError::TooLarge { bytes: 9, limit: 8 }.into(), 413, 2),
            (IngestError::FrontMatter("bad".into()).into(), 422, 2),
            (IngestError::Missing(p()).into(), 404, 2),
            (IngestError::NoTextLayer.into(), 422, 2),
            (
                IngestError::NoTextRead("page 1: blank".into()).into(),
                422,
                2,
            ),
            (
                IngestError::OcrUnavailable("install tesseract-ocr".into()).into(),
                500,
                2,
            ),
            (IngestError::Encrypted.into(), 422, 2),
            (IngestError::Corrupt("xref".into()).into(), 422, 2),
            (
                IngestError::TooManyPages { pages: 9, limit: 8 }.into(),
                422,
                2,
            ),
            // The index.
            (LexicalError::NoIndex(p()).into(), 500, 2),
            (LexicalError::Locked(p()).into(), 503, 2),
            (
                LexicalError::Format {
                    dir: p(),
                    found: 1,
                    expected: 2,
                }
                .into(),
                500,
                2,
            ),
            (
                LexicalError::Corrupt {
                    dir: p(),
                    detail: "d".into(),
                }
                .into(),
                500,
                1,
            ),
            (QueryError::Empty.into(), 400, 2),
            (FilterError::UnknownKey("k".into()).into(), 400, 2),
            (LexicalError::Io(io()).into(), 500, 1),
            (
                LexicalError::Tantivy(tantivy::TantivyError::InvalidArgument("a".into())).into(),
                500,
                1,
            ),
            // Vectors.
            (
                VectorError::Dim {
                    expected: 2,
                    found: 3,
                }
                .into(),
                500,
                1,
            ),
            (VectorError::NonFinite("c".into()).into(), 500, 1),
            (VectorError::Zero("c".into()).into(), 500, 1),
            (VectorError::Duplicate("c".into()).into(), 500, 1),
            (
                VectorError::Format {
                    file: p(),
                    found: 1,
                    expected: 2,
                }
                .into(),
                500,
                2,
            ),
            (
                VectorError::Corrupt {
                    file: p(),
                    detail: "d".into(),
                }
                .into(),
                500,
                1,
            ),
            (VectorError::Io(io()).into(), 500, 1),
            (VectorError::Missing.into(), 500, 2),
            (VectorError::OtherModel.into(), 500, 2),
            // Bench files.
            (
                EvalError::Read {
                    path: p(),
                    source: io(),
                }
                .into(),
                422,
                2,
            ),
            (
                EvalError::Parse {
                    path: p(),
                    line: 1,
                    message: "m".into(),
                }
                .into(),
                422,
                2,
            ),
            (EvalError::EmptyFile(p()).into(), 422, 2),
            // Retrieval wraps its causes and keeps their kind.
            (
                SearchError::Lexical(QueryError::Empty.into()).into(),
                400,
                2,
            ),
            (
                SearchError::Embed(EmbedError::EmptyInput { index: 0 }).into(),
                422,
                2,
            ),
            // Answers.
            (AnswerError::EmptyQuestion.into(), 422, 2),
            (
                AnswerError::QuestionTooLong { chars: 9, limit: 8 }.into(),
                422,
                2,
            ),
            (AnswerError::NotAQuestion("digits").into(), 422, 2),
            (
                AnswerError::Search(SearchError::Lexical(LexicalError::Locked(p()))).into(),
                503,
                2,
            ),
            (
                AnswerError::Embed(EmbedError::Compute(candle_core::Error::Msg("m".into()))).into(),
                500,
                1,
            ),
            (
                AnswerError::Lexical(LexicalError::NoIndex(p())).into(),
                500,
                2,
            ),
            (AnswerError::InvalidCitations("c".into()).into(), 500, 1),
            (
                AnswerError::Llm(LlmError::Config("c".into())).into(),
                500,
                2,
            ),
            (
                AnswerError::Llm(LlmError::Model {
                    path: p(),
                    detail: "d".into(),
                })
                .into(),
                500,
                2,
            ),
            (
                AnswerError::Llm(LlmError::Unreachable {
                    url: "u".into(),
                    detail: "d".into(),
                })
                .into(),
                503,
                2,
            ),
            (
                AnswerError::Llm(LlmError::Remote {
                    url: "u".into(),
                    detail: "d".into(),
                })
                .into(),
                503,
                2,
            ),
            (
                AnswerError::Llm(LlmError::PromptTooLong {
                    tokens: 9,
                    limit: 8,
                })
                .into(),
                422,
                2,
            ),
            (
                AnswerError::Llm(LlmError::BadRequest("b".into())).into(),
                422,
                2,
            ),
            (
                AnswerError::Llm(LlmError::Generation("g".into())).into(),
                500,
                1,
            ),
            // Exercises.
            (ExercisesError::NoScope.into(), 422, 2),
            (ExercisesError::BadCount(99).into(), 422, 2),
            (
                ExercisesError::EmptyScope {
                    lang: "fa",
                    scope: "s".into(),
                    other: "en",
                }
                .into(),
                422,
                2,
            ),
            (ExercisesError::NoSemantic("no model".into()).into(), 503, 2),
            (
                ExercisesError::Search(SearchError::Lexical(QueryError::Empty.into())).into(),
                400,
                2,
            ),
            (
                ExercisesError::Answer(AnswerError::EmptyQuestion).into(),
                422,
                2,
            ),
            (
                ExercisesError::Lexical(LexicalError::Io(io())).into(),
                500,
                1,
            ),
            // The crate's own.
            (crate::Error::Usage("no such path".into()), 400, 2),
            (crate::Error::Internal("thread".into()), 500, 1),
        ];
        for (error, status, exit) in cases {
            let shown = format!("{error:?}");
            let kind = error.kind();
            assert_eq!(kind.exit_code(), exit, "exit code of {shown}");
            let api = ApiError::from(error);
            assert_eq!(
                api.status_and_code().0.as_u16(),
                status,
                "status of {shown}"
            );
            // Whatever the status, no server path reaches a remote caller.
            assert!(!api.body_for("r").message.contains("/srv/x"), "{shown}");
        }
    }
}
