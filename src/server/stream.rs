//! Work on the engine that answers while it runs: the one way a route starts model or
//! index work off the async runtime. [`AppState::with_engine`] waits for the result;
//! [`AppState::stream_engine`] hands back a stream of the pieces the work sends (answer
//! events, chat chunks) so the response can start before the work ends.
//!
//! Both take a gate slot before anything starts (a full server answers 429 at once, never
//! a stream that fails later) and hold it on the blocking thread until the work finishes,
//! even when the client has gone away. It does not know what the pieces are or how they
//! are written on the wire; the routes do.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::error::ApiError;
use super::state::AppState;
use crate::cancel::{self, StopOnDrop, StopToken};
use crate::engine::Engine;

impl AppState {
    /// Starts `work` on a blocking thread with the current engine, holding a gate slot
    /// until it returns, under a stop token (`crate::cancel`) that the returned guard stops
    /// when dropped: whoever holds the guard (the waiting request, the response stream)
    /// going away makes the library's long loops give up at their next check.
    pub(super) fn spawn_gated<T, F>(&self, work: F) -> Result<(JoinHandle<T>, StopOnDrop), ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> T + Send + 'static,
    {
        let slot = self.gate().try_enter()?;
        let engine = self.engine();
        let token = StopToken::new();
        let stop = token.stop_on_drop();
        let handle = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            cancel::run_under(token, || work(&engine))
        });
        Ok((handle, stop))
    }

    /// Runs `work` as [`AppState::with_engine`] does, but returns at once with the stream
    /// of what it sends; at most `capacity` pieces wait unread.
    pub fn stream_engine<M, F>(&self, capacity: usize, work: F) -> Result<Pieces<M>, ApiError>
    where
        M: Send + 'static,
        F: FnOnce(&Engine, &PieceSender<M>) + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(capacity);
        // Detached: the stream ends when the work returns and drops the sender; dropping
        // the stream stops the work.
        let (_, stop) = self.spawn_gated(move |engine| work(engine, &PieceSender(tx)))?;
        Ok(Pieces { rx, _stop: stop })
    }
}

/// The sending end given to streaming work.
pub struct PieceSender<M>(mpsc::Sender<M>);

impl<M> PieceSender<M> {
    /// Sends one piece, waiting while the stream is full; false when the client has gone
    /// away (the work may stop, or finish and have its pieces dropped).
    pub fn send(&self, piece: M) -> bool {
        self.0.blocking_send(piece).is_ok()
    }
}

/// The pieces streaming work sends, in order; ends when the work returns. Dropping it
/// (the client went away) stops the work at its next check.
pub struct Pieces<M> {
    rx: mpsc::Receiver<M>,
    _stop: StopOnDrop,
}

impl<M> Pieces<M> {
    /// The next piece (`None` once the work has returned), for a route that decides its
    /// status from the first.
    pub async fn next_piece(&mut self) -> Option<M> {
        self.rx.recv().await
    }
}

impl<M> futures_util::Stream for Pieces<M> {
    type Item = M;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<M>> {
        self.rx.poll_recv(cx)
    }
}
