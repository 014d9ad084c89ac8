//! The resolved configuration of a server: where it listens, who may do what, and the
//! limits that keep one client from exhausting it. The CLI parses flags and `ENVKB_*`
//! variables into this; tests build it directly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::auth::Access;

/// Limits on requests and work.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest JSON (or other non-upload) request body.
    pub body_bytes: usize,
    /// Largest uploaded file (the multipart body may be a little larger).
    pub upload_bytes: usize,
    /// Longest search query or question, in characters.
    pub query_chars: usize,
    /// Most hits one search returns.
    pub max_k: usize,
    /// Most texts in one `/v1/embeddings` request.
    pub embed_inputs: usize,
    /// Longest text in one `/v1/embeddings` request, in characters (a cheap first check,
    /// before the text is tokenized).
    pub embed_chars: usize,
    /// Longest text in one `/v1/embeddings` request, in the model's tokens.
    pub embed_tokens: usize,
    /// Most model work one `/v1/embeddings` request may ask for, in windows of the model's
    /// 512 positions (see `embed::EmbedBudget`).
    pub embed_windows: usize,
    /// How long a read request may run before it is answered 503.
    pub timeout: Duration,
    /// How long an upload or delete may wait for the writer and run.
    pub write_timeout: Duration,
    /// Requests doing model or index work at once; more are answered 429.
    pub model_concurrency: usize,
    /// Writes waiting for the single writer; more are answered 429.
    pub write_queue: usize,
    /// How long a client may take to send a request's headers, and how long an open
    /// connection may sit idle between requests, before it is closed.
    pub header_timeout: Duration,
    /// How long a request body may stall (no bytes arriving) before the request is
    /// answered 408; a slow but moving upload is not cut off.
    pub body_idle: Duration,
    /// Open connections at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Longest request target (path and query), in bytes; longer is 414.
    pub uri_bytes: usize,
    /// Most request headers, and their total size in bytes; more is 431.
    pub headers: usize,
    pub header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 64 * 1024,
            upload_bytes: 8 * 1024 * 1024,
            query_chars: 1000,
            max_k: 100,
            embed_inputs: 64,
            embed_chars: 8192,
            embed_tokens: 2048,
            embed_windows: 32,
            timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(600),
            model_concurrency: 4,
            write_queue: 8,
            header_timeout: Duration::from_secs(10),
            body_idle: Duration::from_secs(10),
            max_connections: 256,
            uri_bytes: 16 * 1024,
            headers: 64,
            header_bytes: 16 * 1024,
        }
    }
}

/// Everything `server::serve` needs besides the opened engine.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    /// The index directory (uploads are kept in its `uploads/` folder).
    pub index_dir: PathBuf,
    pub access: Access,
    pub limits: Limits,
    /// `/readyz` fails while the embedding model is not loaded (false when the server
    /// was started without a model on purpose).
    pub require_model: bool,
    /// The language model for generative answers; a local GGUF one is also served at
    /// `/v1/chat/completions`. `None`: no generation, and that route answers 503.
    pub llm: Option<crate::answer::LlmConfig>,
}
