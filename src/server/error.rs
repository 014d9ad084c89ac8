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

/// Library errors: a remote user sees query and input problems, never server paths.
impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::Lexical(e) => e.into(),
            crate::Error::Search(SearchError::Lexical(e)) => e.into(),
            crate::Error::Search(SearchError::Embed(e)) | crate::Error::Embed(e) => e.into(),
            crate::Error::Ingest(e) => e.into(),
            crate::Error::Usage(m) => ApiError::BadRequest(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<LexicalError> for ApiError {
    fn from(e: LexicalError) -> Self {
        match e {
            LexicalError::Query(q) => ApiError::BadRequest(q.to_string()),
            LexicalError::Filter(f) => ApiError::BadRequest(f.to_string()),
            LexicalError::Locked(_) => ApiError::Unavailable(
                "another envkb process is writing to the index; retry when it is done".into(),
            ),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        crate::Error::Search(e).into()
    }
}

impl From<EmbedError> for ApiError {
    fn from(e: EmbedError) -> Self {
        match e {
            EmbedError::EmptyInput { .. } => ApiError::InvalidInput(e.to_string()),
            EmbedError::Busy { .. } => ApiError::Busy(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// A question the asker must fix is a 422; everything else maps as its cause does.
impl From<AnswerError> for ApiError {
    fn from(e: AnswerError) -> Self {
        match e {
            AnswerError::EmptyQuestion
            | AnswerError::QuestionTooLong { .. }
            | AnswerError::NotAQuestion(_) => ApiError::InvalidInput(e.to_string()),
            AnswerError::Search(e) => e.into(),
            AnswerError::Embed(e) => e.into(),
            AnswerError::Lexical(e) => e.into(),
            AnswerError::InvalidCitations(_) => ApiError::Internal(e.to_string()),
            AnswerError::Llm(e) => e.into(),
        }
    }
}

/// The language model: a bad chat request is the caller's (422); an endpoint that fails
/// is a 503 whose detail (the endpoint's address) stays in the log.
impl From<LlmError> for ApiError {
    fn from(e: LlmError) -> Self {
        match e {
            LlmError::BadRequest(_) | LlmError::PromptTooLong { .. } => {
                ApiError::InvalidInput(e.to_string())
            }
            LlmError::Unreachable { .. } | LlmError::Remote { .. } => {
                tracing::warn!("language model endpoint failed: {e}");
                ApiError::Unavailable("the language model did not answer; retry later".into())
            }
            LlmError::Config(_) | LlmError::Model { .. } | LlmError::Generation(_) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

/// Exercise generation: a scope with nothing in it is the trainer's to fix; kinds that
/// need the model are unavailable without it.
impl From<ExercisesError> for ApiError {
    fn from(e: ExercisesError) -> Self {
        match e {
            ExercisesError::NoSemantic(_) => ApiError::Unavailable(e.to_string()),
            ExercisesError::EmptyScope { .. } => ApiError::InvalidInput(e.to_string()),
            ExercisesError::Search(e) => e.into(),
            ExercisesError::Answer(e) => e.into(),
            ExercisesError::Lexical(e) => e.into(),
            // The route checks scope and count first, in the API's own words.
            ExercisesError::NoScope | ExercisesError::BadCount(_) => {
                ApiError::InvalidInput(e.to_string())
            }
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Unsupported { .. } => ApiError::UnsupportedMediaType(e.to_string()),
            // The file's own limits, in the file's words (not the request body's).
            IngestError::TooLarge { .. } | IngestError::Inflates { .. } => {
                ApiError::FileTooLarge(format!("the file cannot be indexed: {e}"))
            }
            IngestError::Io(_) | IngestError::Missing(_) => ApiError::Internal(e.to_string()),
            other => ApiError::InvalidInput(format!("the file cannot be indexed: {other}")),
        }
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
        let e: ApiError = EmbedError::Busy { capacity: 4 }.into();
        assert_eq!(e.status_and_code().0, StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn busy_and_unauthorized_carry_their_headers() {
        let r = ApiError::Busy("4 searches running".into()).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let r = ApiError::Unauthorized("no key".into()).into_response();
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
