//! The handlers, one file per area: search, cited answers, documents and passages, embeddings, exercises,
//! chat completions from the local language model, operations (health, readiness, metrics,
//! OpenAPI) and the web page's assets.
//!
//! Handlers parse and check input, call the library on a blocking thread through
//! [`AppState::with_engine`](super::state::AppState::with_engine) or hand writes to the
//! writer, and shape the JSON; they hold no logic of their own beyond that.

pub mod ask;
pub mod chat;
pub mod documents;
pub mod embeddings;
pub mod exercises;
pub mod ops;
pub mod search;
pub mod ui;

use super::error::ApiError;

/// Parses an optional `true`/`false`/`1`/`0` parameter.
pub fn parse_bool(name: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(other) => Err(ApiError::BadRequest(format!(
            "{name} must be true or false, not {other:?}"
        ))),
    }
}

/// Checks the length of a query or question.
pub fn check_text(name: &str, text: &str, max_chars: usize) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::BadRequest(format!(
            "{name} is empty: say what to look for"
        )));
    }
    let n = normalized_chars(text);
    if n > max_chars {
        return Err(ApiError::BadRequest(format!(
            "{name} is {n} characters long once normalized; the limit is {max_chars}"
        )));
    }
    Ok(())
}

/// The length of `text` as the index and the model see it: after normalization, where
/// one character can become many (U+FDFA is 18 under NFKC), so a limit counted on the raw
/// text would let a short request cost eighteen times the work.
pub fn normalized_chars(text: &str) -> usize {
    crate::text::normalize(text).chars().count()
}
