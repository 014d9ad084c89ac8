//! The state every handler shares: the current engine (swapped after each index write),
//! the gate that bounds model and index work, the writer's queue, access rules, limits
//! and metrics.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::auth::Access;
use super::config::{Limits, ServeConfig};
use super::error::ApiError;
use super::metrics::Metrics;
use super::writer::{WriterHandle, WriterThread};
use crate::answer::Llm;
use crate::cancel::{self, StopToken};
use crate::engine::Engine;

/// The engine readers use now. A write builds a new engine and swaps it in; requests
/// already running keep the one they started with.
pub struct EngineCell(RwLock<Arc<Engine>>);

impl EngineCell {
    pub fn new(engine: Engine) -> EngineCell {
        EngineCell(RwLock::new(Arc::new(engine)))
    }

    pub fn get(&self) -> Arc<Engine> {
        Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn set(&self, engine: Engine) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(engine);
    }
}

/// Bounds the requests doing model or index work at once. A request that finds no free
/// slot is answered 429 at once instead of queueing without limit.
pub struct ModelGate {
    slots: Arc<Semaphore>,
    limit: usize,
}

impl ModelGate {
    pub fn new(limit: usize) -> ModelGate {
        let limit = limit.max(1);
        ModelGate {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// A slot, or 429.
    pub fn try_enter(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        Arc::clone(&self.slots).try_acquire_owned().map_err(|_| {
            ApiError::Busy(format!(
                "{} requests are already searching, asking or embedding",
                self.limit
            ))
        })
    }

    /// Slots in use.
    pub fn in_flight(&self) -> usize {
        self.limit - self.slots.available_permits()
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

struct Inner {
    engine: Arc<EngineCell>,
    access: Access,
    limits: Limits,
    gate: ModelGate,
    writer: WriterHandle,
    metrics: Arc<Metrics>,
    index_dir: PathBuf,
    require_model: bool,
    llm: Option<Arc<Llm>>,
}

/// Cheap to clone; one per router.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl AppState {
    /// Builds the state and starts the writer thread (join it with [`WriterThread::join`]
    /// after the last state clone is gone).
    pub fn start(config: &ServeConfig, engine: Engine) -> crate::Result<(AppState, WriterThread)> {
        // The language model first: a bad GGUF file fails before any thread starts.
        let llm = match &config.llm {
            Some(c) => Some(Arc::new(
                c.open().map_err(|e| crate::Error::Answer(e.into()))?,
            )),
            None => None,
        };
        let model = engine.model.clone();
        let cell = Arc::new(EngineCell::new(engine));
        let metrics = Arc::new(Metrics::default());
        let (writer, thread) = super::writer::start(
            &config.index_dir,
            Arc::clone(&cell),
            model,
            Arc::clone(&metrics),
            config.limits.write_queue,
            crate::ingest::IngestLimits {
                max_bytes: config.limits.upload_bytes as u64,
                ..crate::ingest::IngestLimits::default()
            },
        )?;
        let state = AppState {
            inner: Arc::new(Inner {
                engine: cell,
                access: config.access.clone(),
                limits: config.limits,
                gate: ModelGate::new(config.limits.model_concurrency),
                writer,
                metrics,
                index_dir: config.index_dir.clone(),
                require_model: config.require_model,
                llm,
            }),
        };
        Ok((state, thread))
    }

    /// The engine to use for this request.
    pub fn engine(&self) -> Arc<Engine> {
        self.inner.engine.get()
    }

    pub fn access(&self) -> &Access {
        &self.inner.access
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn gate(&self) -> &ModelGate {
        &self.inner.gate
    }

    pub fn writer(&self) -> &WriterHandle {
        &self.inner.writer
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub fn index_dir(&self) -> &Path {
        &self.inner.index_dir
    }

    pub fn require_model(&self) -> bool {
        self.inner.require_model
    }

    /// The language model, when the server was started with one.
    pub fn llm(&self) -> Option<&Arc<Llm>> {
        self.inner.llm.as_ref()
    }

    /// Runs `work` on a blocking thread with the current engine, holding a gate slot until
    /// it finishes, so the async runtime never waits on the model or the index. When the
    /// request is dropped meanwhile (its time limit passed, or the client went away) the
    /// work's stop token is stopped, and the library's long loops give up at their next
    /// check (`crate::cancel`), so the slot frees within one unit of work.
    pub async fn with_engine<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> T + Send + 'static,
    {
        let slot = self.inner.gate.try_enter()?;
        let engine = self.engine();
        let token = StopToken::new();
        let _stop_when_dropped = token.stop_on_drop();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            cancel::run_under(token, || work(&engine))
        })
        .await
        .map_err(|e| ApiError::Internal(format!("a search task failed: {e}")))
    }
}
