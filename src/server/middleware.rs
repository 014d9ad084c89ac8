//! What wraps every request: a request id (in the `x-request-id` header, the log line and
//! any 500's message), one log line and the metrics per request, security headers, and
//! the per-request timeouts.
//!
//! The log line names the route template and the status, never the query string or
//! headers, so questions and keys stay out of the logs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::state::AppState;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, or `-` outside one.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(String::clone)
        .unwrap_or_else(|_| "-".into())
}

fn next_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static BOOT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    // Unique across restarts too: the start time prefixes a counter.
    let boot = *BOOT.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            & 0xff_ffff
    });
    format!("{boot:06x}-{:06x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Request id, log line, metrics and security headers.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = next_request_id();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let api = is_api_path(req.uri().path());
    let started = Instant::now();
    let mut response = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics()
        .observe(&method, &route, status, elapsed.as_secs_f64());
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status,
        ms = elapsed.as_millis() as u64,
        "request"
    );
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert("x-request-id", v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // Answers depend on the key and on the index, which changes with every upload: no
    // cache (a shared proxy above all) may keep or replay them.
    if api {
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    // The page loads nothing from elsewhere, so nothing from elsewhere may run in it.
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    ));
    response
}

/// Every path but the page and its assets: the API, the OpenAI-style routes, health
/// checks, metrics and unknown paths.
fn is_api_path(path: &str) -> bool {
    !(path == "/" || path == "/docs" || path.starts_with("/assets/"))
}

async fn within(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::Timeout {
            secs: limit.as_secs(),
        }
        .into_response(),
    }
}

/// The timeout for reads: work still running on a blocking thread finishes and frees its
/// slot, but the client is answered.
pub async fn read_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    within(state.limits().timeout, req, next).await
}

/// The (longer) timeout for uploads and deletes; the write itself still completes or
/// fails as one commit.
pub async fn write_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    within(state.limits().write_timeout, req, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_unique_and_header_safe() {
        let a = next_request_id();
        let b = next_request_id();
        assert_ne!(a, b);
        assert!(HeaderValue::from_str(&a).is_ok());
        assert_eq!(current_request_id(), "-");
    }
}
