//! The embedding thread: a dedicated `std::thread` that owns the [`Encoder`] and
//! serves requests sent through a bounded channel.
//!
//! Owns queueing (a full queue answers [`EmbedError::Busy`] at once, for a 429),
//! merging waiting requests of the same kind into one encoder call so they batch
//! together, and replying. Async callers pass a reply closure (for example one that
//! sends on a `tokio::sync::oneshot`) so the runtime never blocks on the model.

use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

use super::encoder::check_texts;
use super::{EmbedError, Encoder, TextKind};

/// Vectors for a request, or why not.
pub type EmbedResult = Result<Vec<Vec<f32>>, EmbedError>;
/// Called once, on the embedding thread, with the result of a request.
pub type Reply = Box<dyn FnOnce(EmbedResult) + Send + 'static>;

struct Job {
    texts: Vec<String>,
    kind: TextKind,
    reply: Reply,
}

/// Owns the embedding thread (see [`EmbedService::shutdown`]).
pub struct EmbedService {
    handle: Option<EmbedHandle>,
    thread: Option<JoinHandle<()>>,
    dim: usize,
}

/// A cheap, cloneable sender of requests to the embedding thread.
#[derive(Clone)]
pub struct EmbedHandle {
    tx: SyncSender<Job>,
    capacity: usize,
}

/// Most texts merged into one encoder call.
const MERGE_TEXTS: usize = 64;

impl EmbedService {
    /// Start the thread; at most `queue_capacity` requests wait before `Busy`.
    pub fn start(encoder: Encoder, queue_capacity: usize) -> Result<Self, EmbedError> {
        let capacity = queue_capacity.max(1);
        let (tx, rx) = mpsc::sync_channel::<Job>(capacity);
        let dim = encoder.dim();
        let thread = std::thread::Builder::new()
            .name("envkb-embed".into())
            .spawn(move || serve(encoder, rx))
            .map_err(|e| {
                EmbedError::InvalidOption(format!("cannot start embedding thread: {e}"))
            })?;
        Ok(Self {
            handle: Some(EmbedHandle { tx, capacity }),
            thread: Some(thread),
            dim,
        })
    }

    /// A handle to send requests with.
    pub fn handle(&self) -> EmbedHandle {
        self.handle.clone().expect("handle lives until drop")
    }

    /// Embedding dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }
}

impl EmbedService {
    /// Stop accepting work through this service and wait for the thread to finish.
    /// The thread ends once every [`EmbedHandle`] clone is dropped too, after
    /// answering what is already queued; so drop the handles first.
    pub fn shutdown(mut self) {
        self.handle = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for EmbedService {
    /// Dropping does not wait: the thread finishes on its own when the last handle
    /// goes (use [`EmbedService::shutdown`] to wait).
    fn drop(&mut self) {
        self.handle = None;
    }
}

impl EmbedHandle {
    /// Queue a request without blocking; `reply` runs on the embedding thread.
    /// Empty texts are rejected here, before queueing.
    pub fn submit(
        &self,
        texts: Vec<String>,
        kind: TextKind,
        reply: Reply,
    ) -> Result<(), EmbedError> {
        check_texts(&texts)?;
        match self.tx.try_send(Job { texts, kind, reply }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(EmbedError::Busy {
                capacity: self.capacity,
            }),
            Err(TrySendError::Disconnected(_)) => Err(EmbedError::ServiceStopped),
        }
    }

    /// Queue a request and wait for it (for synchronous callers; not on an async runtime).
    pub fn embed(&self, texts: Vec<String>, kind: TextKind) -> EmbedResult {
        let (tx, rx) = mpsc::channel();
        self.submit(
            texts,
            kind,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )?;
        rx.recv().map_err(|_| EmbedError::ServiceStopped)?
    }
}

fn serve(encoder: Encoder, rx: Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        // Take whatever else is waiting, up to a bound, and merge by kind.
        let mut jobs = vec![first];
        let mut n = jobs[0].texts.len();
        while n < MERGE_TEXTS {
            match rx.try_recv() {
                Ok(j) => {
                    n += j.texts.len();
                    jobs.push(j);
                }
                Err(_) => break,
            }
        }
        let (queries, passages): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| j.kind == TextKind::Query);
        if !queries.is_empty() {
            run_group(&encoder, queries, TextKind::Query);
        }
        if !passages.is_empty() {
            run_group(&encoder, passages, TextKind::Passage);
        }
    }
}

fn run_group(encoder: &Encoder, group: Vec<Job>, kind: TextKind) {
    let all: Vec<&str> = group
        .iter()
        .flat_map(|j| j.texts.iter().map(String::as_str))
        .collect();
    let merged =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| encoder.embed(&all, kind)));
    match merged {
        Ok(Ok(vecs)) => {
            // Hand each job its slice, in order.
            let mut it = vecs.into_iter();
            for job in group {
                let part: Vec<Vec<f32>> = it.by_ref().take(job.texts.len()).collect();
                (job.reply)(Ok(part));
            }
        }
        _ => {
            // Attribute errors to the job that caused them.
            for job in group {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    encoder.embed(&job.texts, kind)
                }))
                .unwrap_or_else(|_| Err(EmbedError::ServiceStopped));
                (job.reply)(r);
            }
        }
    }
}
