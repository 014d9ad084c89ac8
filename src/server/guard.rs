//! Refusing hostile requests before any handler runs: a request target, headers or a
//! declared body over the limits is answered at once (414, 431, 413, each with the JSON
//! error body), and a body that stops arriving is cut off after [`Limits::body_idle`]
//! (408) instead of holding a slot until the request's own timeout.
//!
//! Owns the limits on the request as it arrives; the limits on the work a request asks for
//! (query length, k, concurrency) stay with the handlers and the gate.

use std::future::Future as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Body as _, Frame, SizeHint};

use super::config::Limits;
use super::error::ApiError;
use super::state::AppState;

/// The words a stalled body's error carries.
const STALLED: &str = "the request body stopped arriving";

/// The limits on a request's target, headers and declared length, and the stall timer on
/// its body.
pub async fn request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limits = *state.limits();
    if let Err(refused) = check_head(&req, &limits) {
        return refused.into_response();
    }
    let (parts, body) = req.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let stalled = Arc::new(AtomicBool::new(false));
    let body = Body::new(IdleTimeoutBody::new(
        body,
        limits.body_idle,
        Arc::clone(&stalled),
    ));
    let response = next.run(Request::from_parts(parts, body)).await;
    // However the handler reported the failed read (a JSON or a multipart error), the
    // client is told what happened.
    if stalled.load(Ordering::Relaxed) {
        return ApiError::RequestTimeout(format!(
            "{STALLED} (nothing for {} s); send the whole body without pausing",
            limits.body_idle.as_secs()
        ))
        .into_response();
    }
    response
}

/// The largest body `req`'s route takes.
fn body_limit(req: &Request, limits: &Limits) -> usize {
    if req.method() == Method::POST && req.uri().path() == "/api/documents" {
        limits.upload_bytes + super::MULTIPART_OVERHEAD
    } else {
        limits.body_bytes
    }
}

fn check_head(req: &Request, limits: &Limits) -> Result<(), ApiError> {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > limits.uri_bytes {
        return Err(ApiError::UriTooLong(format!(
            "the request target is {target} bytes; the limit is {} (send long input in a POST body)",
            limits.uri_bytes
        )));
    }
    let headers = req.headers();
    let size: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if headers.len() > limits.headers || size > limits.header_bytes {
        return Err(ApiError::HeadersTooLarge(format!(
            "{} headers of {size} bytes; the limits are {} headers and {} bytes",
            headers.len(),
            limits.headers,
            limits.header_bytes
        )));
    }
    let limit = body_limit(req, limits);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge { limit });
    }
    Ok(())
}

/// A request body that fails when no bytes arrive for `idle`.
pub struct IdleTimeoutBody {
    inner: Body,
    idle: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
    /// The timer runs from the first read, not from when the request arrived.
    armed: bool,
    /// Set when the timer fired, for the middleware to answer 408.
    stalled: Arc<AtomicBool>,
}

impl IdleTimeoutBody {
    /// Wraps `inner`, setting `stalled` when no bytes come for `idle`.
    pub fn new(inner: Body, idle: Duration, stalled: Arc<AtomicBool>) -> IdleTimeoutBody {
        IdleTimeoutBody {
            inner,
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
            armed: false,
            stalled,
        }
    }
}

impl http_body::Body for IdleTimeoutBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if !this.armed {
            this.armed = true;
            let deadline = tokio::time::Instant::now() + this.idle;
            this.timer.as_mut().reset(deadline);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let next = tokio::time::Instant::now() + this.idle;
                this.timer.as_mut().reset(next);
                Poll::Ready(frame)
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.stalled.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(axum::Error::new(format!(
                        "{STALLED} (nothing for {} s)",
                        this.idle.as_secs()
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
