//! The connection loop: accepting TCP connections and serving HTTP/1.1 on each with the
//! limits `axum::serve` does not expose.
//!
//! Owns what happens before a request reaches the router: a cap on open connections (the
//! one over it gets a JSON 503 and is closed), a header-read timeout that also closes
//! connections left idle between requests (a client sending headers a byte at a time, or
//! nothing at all, no longer holds a connection for minutes), generous parser limits so
//! that oversized targets and headers reach `guard` and get a JSON answer, and a JSON body
//! on the few answers hyper writes itself (400 for unparseable requests, 414, 431), which
//! would otherwise be empty. Graceful shutdown: stop accepting, let in-flight requests
//! finish, close idle connections.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::config::Limits;
use super::error::ApiError;

/// hyper's own limit on headers: above `Limits::headers`, so that `guard` (with its JSON
/// answer) is what refuses too many.
const PARSER_MAX_HEADERS: usize = 512;
/// hyper's read buffer per connection, which bounds a request head.
const PARSER_MAX_BUF: usize = 256 * 1024;

/// The limits the connection loop applies.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a connection may take to send its headers.
    pub header_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

impl From<&Limits> for ConnectionLimits {
    fn from(l: &Limits) -> Self {
        ConnectionLimits {
            header_timeout: l.header_timeout,
            max_connections: l.max_connections.max(1),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for in-flight
/// requests to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tokio::spawn(refuse_busy(stream, limits.max_connections));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(JsonErrors::new(stream));
        let service = TowerToHyperService::new(app.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_headers(PARSER_MAX_HEADERS)
            .max_buf_size(PARSER_MAX_BUF)
            .serve_connection(io, service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = conn.await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A whole HTTP/1.1 response carrying `error`'s JSON body, closing the connection.
fn json_response(error: &ApiError, extra_headers: &str) -> Vec<u8> {
    let (status, _) = error.status_and_code();
    let body = serde_json::to_string(&error.body_for("-")).unwrap_or_default();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n{extra_headers}connection: close\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes()
}

/// Answers a connection over the cap with a 503 and closes it.
async fn refuse_busy(mut stream: TcpStream, cap: usize) {
    let error = ApiError::Unavailable(format!(
        "the server has {cap} connections open, its limit; retry shortly"
    ));
    let response = json_response(&error, "retry-after: 1\r\n");
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(&response).await;
        let _ = stream.shutdown().await;
        // Read what the client sent, briefly, so closing does not reset the connection
        // before it reads the answer.
        let mut sink = [0u8; 4096];
        let mut left: usize = 64 * 1024;
        while left > 0 {
            match tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    })
    .await;
}

/// The JSON answer that replaces hyper's empty one, when `head` is such an answer.
fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    if !text.ends_with("\r\n\r\n") {
        return None;
    }
    let status: u16 = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    if !text
        .to_ascii_lowercase()
        .contains("\r\ncontent-length: 0\r\n")
    {
        return None;
    }
    let error = match status {
        400 => ApiError::BadRequest("the request is not valid HTTP/1.1".into()),
        414 => ApiError::UriTooLong(
            "the request target is over 64 KB; send long input in a POST body".into(),
        ),
        431 => ApiError::HeadersTooLarge(format!(
            "the request head is over {PARSER_MAX_BUF} bytes or {PARSER_MAX_HEADERS} headers"
        )),
        _ => return None,
    };
    Some(json_response(&error, ""))
}

/// A TCP stream whose writes pass through, except hyper's own bodiless error answers,
/// which become the JSON error body every other error has.
struct JsonErrors {
    inner: TcpStream,
    /// A replacement still being written, and how many bytes of hyper's buffer it stands
    /// for.
    pending: Vec<u8>,
    claimed: usize,
}

impl JsonErrors {
    fn new(inner: TcpStream) -> JsonErrors {
        JsonErrors {
            inner,
            pending: Vec::new(),
            claimed: 0,
        }
    }

    /// Writes what is pending; `Ready(Ok(()))` once nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.pending.drain(..n);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for JsonErrors {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for JsonErrors {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_empty() {
            match rewrite(buf) {
                Some(replacement) => {
                    this.pending = replacement;
                    this.claimed = buf.len();
                }
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(this.claimed)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.inner).poll_shutdown(cx),
            other => other,
        }
    }

    fn is_write_vectored(&self) -> bool {
        // hyper then hands over each response head as one buffer, which `rewrite` needs.
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_bodiless_errors_get_a_json_body_and_others_pass() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite(head).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 "));
        let body = out.split_once("\r\n\r\n").unwrap().1;
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"], "headers_too_large");
        assert!(out.contains(&format!("content-length: {}\r\n", body.len())));
        let ours = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 52\r\n\r\n";
        assert!(rewrite(ours).is_none());
        let ok = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
        assert!(rewrite(ok).is_none());
    }
}
