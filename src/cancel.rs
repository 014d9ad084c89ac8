//! Stopping blocking work nobody waits for any more.
//!
//! The server answers a request 503 when its time limit passes (and drops it when the
//! client goes away), but the model work it started runs on a blocking thread, holding a
//! slot of the model gate. A [`StopToken`] is that work's stop signal: the server makes
//! one per request, stops it when the request is dropped, and runs the work under it
//! ([`run_under`]). Long loops in the library (the encoder between forward passes, so
//! embedding many windows, a search and an answer's sentences) call [`check`] between
//! units of work and give up with [`Stopped`], so the slot frees within one unit.
//!
//! The token is ambient (a thread-local of the thread doing the work) rather than a
//! parameter, so code between the server and the encoder need not carry it; code that
//! moves work to another thread takes [`current`] along. Outside a request (the CLI,
//! the indexer) there is no token and [`check`] never stops anything.
//!
//! This module imports nothing from the crate, like `fault`.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The stop signal of one request's work; clones share it.
#[derive(Debug, Clone, Default)]
pub struct StopToken(Arc<AtomicBool>);

impl StopToken {
    pub fn new() -> StopToken {
        StopToken::default()
    }

    /// Asks the work to stop at its next check.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// A guard that stops the token when dropped: held by the future that waits for the
    /// work, so a timed-out or abandoned request stops it.
    pub fn stop_on_drop(&self) -> StopOnDrop {
        StopOnDrop(self.clone())
    }
}

/// Stops its token when dropped (see [`StopToken::stop_on_drop`]).
#[derive(Debug)]
pub struct StopOnDrop(StopToken);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// The work was stopped because its request was answered (time limit) or abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request's time ran out or it was abandoned, so its work was stopped; retry, or ask for less")]
pub struct Stopped;

thread_local! {
    static CURRENT: RefCell<Option<StopToken>> = const { RefCell::new(None) };
}

/// Runs `work` on this thread with `token` as its stop signal (the previous one is put
/// back afterwards, also when `work` panics).
pub fn run_under<T>(token: StopToken, work: impl FnOnce() -> T) -> T {
    struct Restore(Option<StopToken>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|c| c.borrow_mut().replace(token));
    let _restore = Restore(previous);
    work()
}

/// The stop signal of the work running on this thread, to take along to another thread.
pub fn current() -> Option<StopToken> {
    CURRENT.with(|c| c.borrow().clone())
}

/// `Err(Stopped)` when the work running on this thread has been asked to stop.
pub fn check() -> Result<(), Stopped> {
    match current() {
        Some(t) if t.is_stopped() => Err(Stopped),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_stop_only_under_a_stopped_token_and_the_old_one_comes_back() {
        assert_eq!(check(), Ok(()));
        let outer = StopToken::new();
        let inner = StopToken::new();
        run_under(outer.clone(), || {
            assert_eq!(check(), Ok(()));
            run_under(inner.clone(), || {
                inner.stop();
                assert_eq!(check(), Err(Stopped));
            });
            assert_eq!(check(), Ok(()), "the outer token is back");
            {
                let _guard = outer.stop_on_drop();
            }
            assert_eq!(check(), Err(Stopped));
        });
        assert_eq!(check(), Ok(()), "no token outside");
        assert!(current().is_none());
    }

    #[test]
    fn a_panic_inside_puts_the_previous_token_back() {
        let t = StopToken::new();
        let r = std::panic::catch_unwind(|| run_under(t.clone(), || panic!("inside")));
        assert!(r.is_err());
        assert!(current().is_none());
    }
}
