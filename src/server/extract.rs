//! Reading requests strictly: JSON bodies, query strings and ids in paths, each refused
//! with an [`ApiError`] that says what to fix (axum's own rejections are plain text).
//!
//! Owns the difference between malformed input (400), well-formed input of the wrong
//! shape (422), the wrong content type (415) and a body over the limit (413).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::state::AppState;

/// A JSON body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON with the header `Content-Type: application/json`".into(),
            ));
        }
        let limit = state.limits().body_bytes;
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| body_error(e.status(), limit, &e.body_text()))?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A body read failure: over the limit, or a broken transfer.
pub fn body_error(status: StatusCode, limit: usize, detail: &str) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge { limit }
    } else {
        ApiError::BadRequest(format!("cannot read the request body: {detail}"))
    }
}

/// Parses JSON, telling malformed text (400) from a wrong shape (422).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(ApiError::InvalidJson(format!(
            "the body is not valid UTF-8 (first bad byte at offset {})",
            e.valid_up_to()
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::InvalidInput(format!("the JSON body does not fit: {e}")),
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::InvalidJson(format!("the body is not valid JSON: {e}"))
            }
        }
    })
}

/// The query string as (key, value) pairs, percent-decoded and checked to be UTF-8.
/// Keys may repeat (`filter=lang=fa&filter=year=2015`).
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse_query_string(parts.uri.query().unwrap_or("")).map(QueryPairs)
    }
}

impl QueryPairs {
    /// The single value of `key`, if given; an error if given twice.
    pub fn one<'a>(&'a self, key: &'a str) -> Result<Option<&'a str>, ApiError> {
        let mut values = self.all(key);
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::BadRequest(format!(
                "the parameter {key:?} is given more than once"
            )));
        }
        Ok(first)
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Refuses parameters the route does not know, so a typo is not silently ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            Some((k, _)) => Err(ApiError::BadRequest(format!(
                "unknown parameter {k:?} (known: {})",
                known.join(", ")
            ))),
            None => Ok(()),
        }
    }
}

/// Decodes `application/x-www-form-urlencoded` pairs strictly.
pub fn parse_query_string(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(s: &str) -> Result<String, ApiError> {
    let bad = |why: &str| ApiError::BadRequest(format!("the query string {why}"));
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad("has a % that is not followed by two hex digits"))?;
                out.push(hex);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad("is not valid UTF-8 once percent-decoded"))
}

/// Checks an id taken from a path: a document id (`fa/law-1`) or, with `chunk`, a chunk
/// id (`fa/law-1#3`). Ids never become file paths, but `..`, absolute paths and control
/// characters are refused outright rather than looked up.
pub fn check_id(id: &str, chunk: bool) -> Result<(), ApiError> {
    let what = if chunk { "chunk" } else { "document" };
    let doc = if chunk {
        match id.rsplit_once('#') {
            Some((doc, n)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => doc,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "{id:?} is not a chunk id; chunk ids look like fa/law-1#3 (send # as %23)"
                )))
            }
        }
    } else {
        id
    };
    let ok = !doc.is_empty()
        && id.len() <= 1024
        && !doc.starts_with('/')
        && !doc.contains('\\')
        && !id.chars().any(char::is_control)
        && doc
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
    if ok {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "{id:?} is not a valid {what} id (ids are relative paths such as fa/law-1, without . or .. segments)"
        )))
    }
}

/// The id in a `/{*id}` route, decoded and checked by [`check_id`] as the route's kind.
pub struct IdPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|e| {
                    ApiError::BadRequest(format!("bad id in the path: {}", e.body_text()))
                })?;
        let chunk = parts.uri.path().starts_with("/api/chunks/");
        check_id(&id, chunk)?;
        Ok(IdPath(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_persian_and_repeat_keys() {
        let q = parse_query_string(
            "q=%D9%85%D8%A7%D8%AF%D9%87+%DB%B6&filter=lang%3Dfa&filter=year=2015&k=5",
        )
        .unwrap();
        let q = QueryPairs(q);
        assert_eq!(q.one("q").unwrap(), Some("ماده ۶"));
        assert_eq!(
            q.all("filter").collect::<Vec<_>>(),
            ["lang=fa", "year=2015"]
        );
        assert!(q.one("filter").is_err(), "repeated where one is expected");
        assert!(q.only(&["q", "filter"]).is_err(), "k is unknown here");
        assert!(q.only(&["q", "filter", "k"]).is_ok());
    }

    #[test]
    fn bad_query_strings_are_refused() {
        assert!(parse_query_string("q=%FF%FE").is_err(), "not UTF-8");
        assert!(parse_query_string("q=%G1").is_err());
        assert!(parse_query_string("q=%2").is_err());
        assert!(parse_query_string("").unwrap().is_empty());
    }

    #[test]
    fn json_errors_tell_syntax_from_shape() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Q {
            question: String,
        }
        assert!(matches!(
            parse_json::<Q>(b"{\"question\": "),
            Err(ApiError::InvalidJson(_))
        ));
        assert!(matches!(
            parse_json::<Q>(b"{\"question\": 5}"),
            Err(ApiError::InvalidInput(_))
        ));
        assert!(matches!(
            parse_json::<Q>(b"{\"questio\": \"x\"}"),
            Err(ApiError::InvalidInput(_))
        ));
        assert!(matches!(
            parse_json::<Q>(b"{\"question\": \"\xff\"}"),
            Err(ApiError::InvalidJson(_))
        ));
        assert!(parse_json::<Q>("{\"question\": \"قانون\"}".as_bytes()).is_ok());
    }

    #[test]
    fn ids_with_traversal_or_control_characters_are_refused() {
        assert!(check_id("fa/sample-law", false).is_ok());
        assert!(check_id("fa/sample-law#3", true).is_ok());
        for bad in [
            "../etc/passwd",
            "fa/../../x",
            "/etc/passwd",
            "a\\b",
            "a\u{0}b",
            "",
            "a//b",
        ] {
            assert!(check_id(bad, false).is_err(), "{bad:?}");
        }
        assert!(check_id("fa/sample-law", true).is_err(), "no ordinal");
        assert!(check_id("fa/sample-law#x", true).is_err());
        assert!(check_id("../x#1", true).is_err());
    }
}
