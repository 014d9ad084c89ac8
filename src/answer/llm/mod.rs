//! The language models behind generative answers: an OpenAI-compatible chat-completions
//! endpoint over HTTP ([`RemoteChat`], in `remote`) and a local GGUF model run with candle
//! ([`LocalModel`], llama and qwen2 families, in `local`, with its tokenizer from the GGUF
//! metadata in `gguf_tokenizer`), both behind [`Generator`].
//!
//! Owns the settings ([`LlmConfig`]) and the choice between the two. It does not build
//! prompts or check answers (`generate` does), nor serve the OpenAI API (`server::routes::chat`).

mod gguf_tokenizer;
mod local;
mod remote;

use std::path::PathBuf;

use thiserror::Error;

use super::chat::ChatMessage;
use crate::fault::{ErrorKind, Fault};

pub use local::{Completion, Finish, LocalModel, MAX_PROMPT_TOKENS};
pub use remote::RemoteChat;

/// Errors of the language models.
#[derive(Debug, Error)]
pub enum LlmError {
    /// A flag or `ENVKB_LLM_*` setting is missing, conflicting or malformed.
    #[error("language model setting: {0}")]
    Config(String),
    /// The local GGUF file cannot be read or loaded.
    #[error("cannot use the GGUF model {path}: {detail}")]
    Model {
        /// The GGUF file.
        path: PathBuf,
        /// What went wrong with it.
        detail: String,
    },
    /// The remote chat endpoint did not answer at all (connection refused, DNS, timeout).
    #[error("cannot reach the chat endpoint {url}: {detail}; is the server running, and is the URL its /v1 base?")]
    Unreachable {
        /// The endpoint that was tried.
        url: String,
        /// The transport's message.
        detail: String,
    },
    /// The remote chat endpoint answered with an error or a reply that is not a completion.
    #[error("the chat endpoint {url} failed: {detail}")]
    Remote {
        /// The endpoint that failed.
        url: String,
        /// Its status or the problem with its reply.
        detail: String,
    },
    /// The prompt leaves no room for the reply in the local model's context.
    #[error("the prompt is {tokens} tokens long; this model takes at most {limit}")]
    PromptTooLong {
        /// The prompt's length in the model's tokens.
        tokens: usize,
        /// The longest prompt that fits with the requested reply.
        limit: usize,
    },
    /// A chat request to the local endpoint cannot be served as sent (no messages, an
    /// unknown role, only empty text, bad limits).
    #[error("bad chat request: {0}")]
    BadRequest(String),
    /// The local model failed while tokenizing or generating.
    #[error("generation failed: {0}")]
    Generation(String),
}

impl LlmError {
    /// Settings, model files, requests and the endpoint the user pointed at are the
    /// user's to fix; a failure inside the local model is ours.
    pub fn kind(&self) -> ErrorKind {
        match self {
            LlmError::Config(_) | LlmError::Model { .. } => ErrorKind::Setup,
            LlmError::Unreachable { .. } | LlmError::Remote { .. } => ErrorKind::Unavailable,
            LlmError::PromptTooLong { .. } | LlmError::BadRequest(_) => ErrorKind::BadInput,
            LlmError::Generation(_) => ErrorKind::Internal,
        }
    }

    /// Whether this error is the user's to fix or ours.
    pub fn fault(&self) -> Fault {
        self.kind().fault()
    }
}

/// Something that continues a chat: a remote endpoint or a local model.
pub trait Generator {
    /// The assistant's reply to `messages`, at most `max_tokens` tokens, each piece of text
    /// passed to `on_text` as soon as it is known.
    fn generate(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<String, LlmError>;
}

/// Where generative answers come from, resolved from flags or `ENVKB_LLM_*`.
#[derive(Clone, PartialEq, Eq)]
pub enum LlmConfig {
    /// An OpenAI-compatible server: base URL (up to and including `/v1`), model, key.
    Remote {
        /// The server's base URL, up to and including `/v1`.
        url: String,
        /// The model name to send in each request.
        model: String,
        /// The API key, sent as a bearer token; `None` for servers that need none.
        key: Option<String>,
    },
    /// A local GGUF file.
    Local {
        /// The GGUF model file.
        gguf: PathBuf,
    },
}

/// Shows everything but the key, so a configuration can be logged.
impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LlmConfig::Remote { url, model, key } => f
                .debug_struct("Remote")
                .field("url", url)
                .field("model", model)
                .field("key", &key.as_ref().map(|_| "<hidden>"))
                .finish(),
            LlmConfig::Local { gguf } => f.debug_struct("Local").field("gguf", gguf).finish(),
        }
    }
}

impl LlmConfig {
    /// The configuration given by a URL or a GGUF path (the URL wins when both are set);
    /// `None` when neither is. A URL must be a plain `http://` URL with a host.
    pub fn resolve(
        url: Option<String>,
        model: Option<String>,
        key: Option<String>,
        gguf: Option<PathBuf>,
    ) -> Result<Option<LlmConfig>, LlmError> {
        let url = url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        let gguf = gguf.filter(|g| !g.as_os_str().is_empty());
        match (url, gguf) {
            (Some(url), _) => {
                let bad = |why: &str| {
                    LlmError::Config(format!(
                        "the LLM URL {url:?} {why}; give an http:// base URL such as http://127.0.0.1:8080/v1"
                    ))
                };
                if url.starts_with("https://") {
                    return Err(bad(
                        "uses https, which this build does not speak (put a TLS-terminating proxy in front)",
                    ));
                }
                if !url.starts_with("http://") {
                    return Err(bad("is not an http:// URL"));
                }
                let uri: ureq::http::Uri = url.parse().map_err(|_| bad("is not a valid URL"))?;
                if uri.host().is_none_or(str::is_empty) || uri.query().is_some() {
                    return Err(bad("has no host or has a query"));
                }
                Ok(Some(LlmConfig::Remote {
                    url: url.trim_end_matches('/').to_string(),
                    model: model.unwrap_or_default(),
                    key: key.filter(|k| !k.is_empty()),
                }))
            }
            (None, Some(gguf)) => Ok(Some(LlmConfig::Local { gguf })),
            (None, None) => Ok(None),
        }
    }

    /// Opens the configured model (loads the GGUF file; a remote endpoint is not contacted
    /// until the first question).
    pub fn open(&self) -> Result<Llm, LlmError> {
        Ok(match self {
            LlmConfig::Remote { url, model, key } => Llm::Remote(RemoteChat::new(url, model, key)),
            LlmConfig::Local { gguf } => Llm::Local(Box::new(LocalModel::load(gguf)?)),
        })
    }
}

/// An opened model.
pub enum Llm {
    /// Boxed: the loaded model is large next to a client.
    Local(Box<LocalModel>),
    /// A client of an OpenAI-compatible server.
    Remote(RemoteChat),
}

impl Llm {
    /// The local model, which the server can also serve as a chat endpoint.
    pub fn local(&self) -> Option<&LocalModel> {
        match self {
            Llm::Local(m) => Some(m),
            Llm::Remote(_) => None,
        }
    }
}

impl Generator for Llm {
    fn generate(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<String, LlmError> {
        match self {
            Llm::Local(m) => m.generate(messages, max_tokens, on_text),
            Llm::Remote(r) => r.generate(messages, max_tokens, on_text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_pick_remote_or_local_and_refuse_bad_urls() {
        assert_eq!(LlmConfig::resolve(None, None, None, None).unwrap(), None);
        let r = LlmConfig::resolve(
            Some("http://127.0.0.1:8080/v1/".into()),
            Some("m".into()),
            Some(String::new()),
            Some("x.gguf".into()),
        )
        .unwrap();
        assert_eq!(
            r,
            Some(LlmConfig::Remote {
                url: "http://127.0.0.1:8080/v1".into(),
                model: "m".into(),
                key: None
            })
        );
        for bad in [
            "ftp://x",
            "https://api.example.org/v1",
            "http://",
            "http://exa mple/v1",
            "127.0.0.1:8080/v1",
        ] {
            let e = LlmConfig::resolve(Some(bad.into()), None, None, None).unwrap_err();
            assert_eq!(e.fault(), Fault::User, "{bad}");
            assert!(e.to_string().contains("http://"), "{bad}: {e}");
        }
        let l = LlmConfig::resolve(Some(" ".into()), None, None, Some("a.gguf".into())).unwrap();
        assert_eq!(
            l,
            Some(LlmConfig::Local {
                gguf: "a.gguf".into()
            })
        );
    }
}
