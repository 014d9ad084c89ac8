//! The language models behind generative answers: an OpenAI-compatible chat-completions
//! endpoint over HTTP ([`RemoteChat`]) and a local GGUF model run with candle
//! ([`LocalModel`], llama and qwen2 families), both behind [`Generator`]; plus serving a
//! chat completion from the local model in the OpenAI shape (the server mounts it as
//! `POST /v1/chat/completions`).
//!
//! Owns the settings ([`LlmConfig`]), model loading, the tokenizer built from the GGUF
//! metadata, the chat template, greedy decoding and the HTTP client. It does not build
//! prompts or check answers (`generate` does).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2};
use thiserror::Error;

use super::chat::{
    ChatChoice, ChatChunk, ChatMessage, ChatRequest, ChatResponse, SseLine, SseReader, Usage,
};
use crate::Fault;

/// Errors of the language models.
#[derive(Debug, Error)]
pub enum LlmError {
    #[error("language model setting: {0}")]
    Config(String),
    #[error("cannot use the GGUF model {path}: {detail}")]
    Model { path: PathBuf, detail: String },
    #[error("cannot reach the chat endpoint {url}: {detail}; is the server running, and is the URL its /v1 base?")]
    Unreachable { url: String, detail: String },
    #[error("the chat endpoint {url} failed: {detail}")]
    Remote { url: String, detail: String },
    #[error("the prompt is {tokens} tokens long; this model takes at most {limit}")]
    PromptTooLong { tokens: usize, limit: usize },
    #[error("bad chat request: {0}")]
    BadRequest(String),
    #[error("generation failed: {0}")]
    Generation(String),
}

impl LlmError {
    /// Settings, model files, requests and the endpoint the user pointed at are the
    /// user's to fix; a failure inside the local model is ours.
    pub fn fault(&self) -> Fault {
        match self {
            LlmError::Generation(_) => Fault::Internal,
            _ => Fault::User,
        }
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
        url: String,
        model: String,
        key: Option<String>,
    },
    /// A local GGUF file.
    Local { gguf: PathBuf },
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

/// A client of an OpenAI-compatible `/chat/completions` endpoint, streaming by SSE (and
/// reading a plain JSON reply from servers that do not stream).
pub struct RemoteChat {
    url: String,
    model: String,
    key: Option<String>,
    agent: ureq::Agent,
}

impl RemoteChat {
    /// A client of the endpoint at `url` (the `/v1` base). Connecting may take 10 s; the
    /// server may then think up to 5 minutes before a token and between tokens.
    pub fn new(url: &str, model: &str, key: &Option<String>) -> RemoteChat {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_per_read(Some(Duration::from_secs(300)))
            .build()
            .into();
        RemoteChat {
            url: url.to_string(),
            model: model.to_string(),
            key: key.clone(),
            agent,
        }
    }
}

impl Generator for RemoteChat {
    fn generate(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<String, LlmError> {
        let endpoint = format!("{}/chat/completions", self.url);
        let fail = |detail: String| LlmError::Remote {
            url: endpoint.clone(),
            detail,
        };
        let body = serde_json::to_string(&ChatRequest {
            model: self.model.clone(),
            messages: messages.to_vec(),
            max_tokens: Some(max_tokens),
            temperature: Some(0.0),
            stream: true,
        })
        .map_err(|e| fail(e.to_string()))?;
        let mut req = self
            .agent
            .post(&endpoint)
            .header("Content-Type", "application/json")
            .header("Accept", "text/event-stream");
        if let Some(k) = &self.key {
            req = req.header("Authorization", &format!("Bearer {k}"));
        }
        let mut resp = req.send(body.as_str()).map_err(|e| match e {
            ureq::Error::Io(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Timeout(_) => LlmError::Unreachable {
                url: endpoint.clone(),
                detail: e.to_string(),
            },
            other => fail(other.to_string()),
        })?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.body_mut().read_to_string().unwrap_or_default();
            let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            return Err(fail(format!(
                "status {}: {}",
                status.as_u16(),
                text.chars().take(300).collect::<String>()
            )));
        }
        let streamed = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let mut text = String::new();
        if streamed {
            let mut sse = SseReader::default();
            for line in BufReader::new(resp.body_mut().as_reader()).lines() {
                let line = line.map_err(|e| fail(e.to_string()))?;
                match sse.line(line.trim_end_matches('\r')) {
                    SseLine::Data(d) => {
                        let chunk: ChatChunk = serde_json::from_str(&d)
                            .map_err(|e| fail(format!("bad stream event: {e}")))?;
                        let piece = chunk.text();
                        if !piece.is_empty() {
                            on_text(piece);
                            text.push_str(piece);
                        }
                    }
                    SseLine::Done => break,
                    SseLine::Pending => {}
                }
            }
        } else {
            let raw = resp
                .body_mut()
                .read_to_string()
                .map_err(|e| fail(e.to_string()))?;
            let r: ChatResponse =
                serde_json::from_str(&raw).map_err(|e| fail(format!("bad response: {e}")))?;
            text = r.text().unwrap_or_default().to_string();
            on_text(&text);
        }
        Ok(text)
    }
}

/// The architectures whose quantized weights candle runs here.
enum Weights {
    Llama(quantized_llama::ModelWeights),
    Qwen2(quantized_qwen2::ModelWeights),
}

impl Weights {
    /// The weights of a checked architecture (`llama` or `qwen2`) from a GGUF file.
    fn load<R: std::io::Read + std::io::Seek>(
        arch: &str,
        content: gguf_file::Content,
        reader: &mut R,
    ) -> candle_core::Result<Weights> {
        let device = Device::Cpu;
        Ok(match arch {
            "qwen2" => Weights::Qwen2(quantized_qwen2::ModelWeights::from_gguf(
                content, reader, &device,
            )?),
            _ => Weights::Llama(quantized_llama::ModelWeights::from_gguf(
                content, reader, &device,
            )?),
        })
    }

    /// Logits of the last position; `pos` 0 starts a new sequence (the KV cache restarts).
    fn forward(&mut self, input: &Tensor, pos: usize) -> candle_core::Result<Tensor> {
        match self {
            Weights::Llama(m) => m.forward(input, pos),
            Weights::Qwen2(m) => m.forward(input, pos),
        }
    }
}

/// Quantized types whose dot product candle computes without SIMD on x86 (several times
/// slower than Q8_0's, measured in docs/BENCHMARKS.md).
const WITHOUT_SIMD: [GgmlDType; 3] = [GgmlDType::Q4_1, GgmlDType::Q5_0, GgmlDType::Q5_1];

/// When the file holds tensors of a type in [`WITHOUT_SIMD`] (SmolLM2's Q4_1 file does),
/// a copy of the model in memory with those tensors requantized to Q8_0: about twice their
/// memory, a few seconds at load, much faster generation, and 8-bit steps cannot add much
/// error to 4- or 5-bit values. `None` when the file can be used as it is (or
/// `ENVKB_LLM_REQUANTIZE=0` asks for the file's own types, for comparison).
fn requantize(
    content: &gguf_file::Content,
    file: &mut std::fs::File,
) -> candle_core::Result<Option<(gguf_file::Content, Vec<u8>)>> {
    if std::env::var("ENVKB_LLM_REQUANTIZE").is_ok_and(|v| v == "0")
        || !content
            .tensor_infos
            .values()
            .any(|t| WITHOUT_SIMD.contains(&t.ggml_dtype))
    {
        return Ok(None);
    }
    let device = Device::Cpu;
    let mut data = Vec::new();
    let mut infos = std::collections::HashMap::new();
    for (name, info) in &content.tensor_infos {
        let mut t = info.read(file, content.tensor_data_offset, &device)?;
        if WITHOUT_SIMD.contains(&info.ggml_dtype) {
            t = QTensor::quantize(&t.dequantize(&device)?, GgmlDType::Q8_0)?;
        }
        let offset = data.len() as u64;
        data.extend_from_slice(&t.data()?);
        infos.insert(
            name.clone(),
            gguf_file::TensorInfo {
                ggml_dtype: t.dtype(),
                shape: t.shape().clone(),
                offset,
            },
        );
    }
    let content = gguf_file::Content {
        magic: content.magic,
        metadata: content.metadata.clone(),
        tensor_infos: infos,
        tensor_data_offset: 0,
    };
    Ok(Some((content, data)))
}

/// Why a completion ended, as OpenAI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The model ended its reply (or the caller stopped reading).
    Stop,
    /// `max_tokens` was reached.
    Length,
}

impl Finish {
    pub fn as_str(self) -> &'static str {
        match self {
            Finish::Stop => "stop",
            Finish::Length => "length",
        }
    }
}

/// A finished local completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: String,
    pub usage: Usage,
    pub finish: Finish,
}

/// A local GGUF chat model: weights, the tokenizer from the file's metadata, and the
/// ChatML template. One generation at a time (the KV cache is the model's state); other
/// callers wait for the lock.
pub struct LocalModel {
    weights: Mutex<Weights>,
    tokenizer: tokenizers::Tokenizer,
    /// Token ids that end a reply.
    stop: Vec<u32>,
    /// The file's name, reported as the model id.
    name: String,
    /// Longest prompt plus reply, in tokens.
    context: usize,
}

/// Longest prompt in tokens, to bound memory and time on a CPU whatever the model's
/// context length.
pub const MAX_PROMPT_TOKENS: usize = 3072;

impl LocalModel {
    /// Loads a GGUF file of the llama (also SmolLM, Mistral) or qwen2 family whose
    /// tokenizer is byte-level BPE.
    pub fn load(path: &Path) -> Result<LocalModel, LlmError> {
        let bad = |detail: String| LlmError::Model {
            path: path.to_path_buf(),
            detail,
        };
        if path.is_dir() {
            return Err(bad("this is a folder; give the .gguf file".into()));
        }
        let mut file = std::fs::File::open(path).map_err(|e| {
            bad(format!(
                "{e}; run models/fetch.sh or point --llm-gguf (ENVKB_LLM_GGUF) at a .gguf file"
            ))
        })?;
        let content = gguf_file::Content::read(&mut file)
            .map_err(|e| bad(format!("not a readable GGUF file ({e})")))?;
        let meta = |key: &str| content.metadata.get(key);
        let arch = meta("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        let declared = meta(&format!("{arch}.context_length"))
            .and_then(|v| v.to_u32().ok())
            .map_or(2048, |c| c as usize);
        let tokenizer = tokenizer_from_gguf(&content).map_err(&bad)?;
        let mut stop = Vec::new();
        if let Some(eos) = meta("tokenizer.ggml.eos_token_id").and_then(|v| v.to_u32().ok()) {
            stop.push(eos);
        }
        for t in ["<|im_end|>", "<|endoftext|>"] {
            if let Some(id) = tokenizer.token_to_id(t) {
                stop.push(id);
            }
        }
        let context = match arch.as_str() {
            // candle's llama precomputes rotary embeddings this far.
            "llama" => declared.min(quantized_llama::MAX_SEQ_LEN),
            "qwen2" => declared,
            other => {
                return Err(bad(format!(
                    "architecture {other:?} is not supported (llama and qwen2 are)"
                )))
            }
        };
        let weights = match requantize(&content, &mut file).map_err(|e| bad(e.to_string()))? {
            None => Weights::load(&arch, content, &mut file),
            Some((content, data)) => Weights::load(&arch, content, &mut std::io::Cursor::new(data)),
        }
        .map_err(|e| bad(e.to_string()))?;
        Ok(LocalModel {
            weights: Mutex::new(weights),
            tokenizer,
            stop,
            name: path
                .file_stem()
                .map_or("local".into(), |s| s.to_string_lossy().into_owned()),
            context,
        })
    }

    /// The model id reported in responses (the file name without `.gguf`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The conversation in the ChatML template that SmolLM and Qwen chat models use.
    pub fn chat_template(messages: &[ChatMessage]) -> String {
        let mut out = String::new();
        for m in messages {
            out.push_str(&format!(
                "<|im_start|>{}\n{}<|im_end|>\n",
                m.role, m.content
            ));
        }
        out.push_str("<|im_start|>assistant\n");
        out
    }

    /// The prompt's token ids, or [`LlmError::PromptTooLong`] when it and a reply of
    /// `max_tokens` do not fit the model's context (or [`MAX_PROMPT_TOKENS`]).
    pub fn encode_prompt(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
    ) -> Result<Vec<u32>, LlmError> {
        let ids = self
            .tokenizer
            .encode(Self::chat_template(messages), false)
            .map_err(|e| LlmError::Generation(e.to_string()))?
            .get_ids()
            .to_vec();
        let limit = MAX_PROMPT_TOKENS.min(self.context.saturating_sub(max_tokens.max(1) as usize));
        if ids.len() > limit {
            return Err(LlmError::PromptTooLong {
                tokens: ids.len(),
                limit,
            });
        }
        Ok(ids)
    }

    /// Greedy decoding of the reply to `messages`. Each new piece of text goes to
    /// `on_text` as soon as it is whole (a byte-level token can end inside a character);
    /// `on_text` returning false stops generation (a client went away).
    pub fn complete(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Completion, LlmError> {
        let gen = |e: candle_core::Error| LlmError::Generation(e.to_string());
        let tok = |e: tokenizers::Error| LlmError::Generation(e.to_string());
        let prompt = self.encode_prompt(messages, max_tokens)?;
        let max_tokens = (max_tokens as usize).max(1);
        let mut weights = self.weights.lock().unwrap_or_else(|e| e.into_inner());
        let device = Device::Cpu;
        let mut reply: Vec<u32> = Vec::new();
        let mut shown = String::new();
        let mut input = prompt.clone();
        let mut pos = 0;
        let mut finish = Finish::Length;
        while reply.len() < max_tokens {
            let x = Tensor::new(input.as_slice(), &device)
                .and_then(|t| t.unsqueeze(0))
                .map_err(gen)?;
            let logits = weights.forward(&x, pos).map_err(gen)?;
            pos += input.len();
            let next = logits
                .flatten_all()
                .and_then(|l| l.argmax(0))
                .and_then(|t| t.to_scalar::<u32>())
                .map_err(gen)?;
            if self.stop.contains(&next) {
                finish = Finish::Stop;
                break;
            }
            reply.push(next);
            input = vec![next];
            let text = self.tokenizer.decode(&reply, true).map_err(tok)?;
            if !text.ends_with('\u{FFFD}') && text.len() > shown.len() && text.starts_with(&shown) {
                let more = on_text(&text[shown.len()..]);
                shown = text;
                if !more {
                    finish = Finish::Stop;
                    break;
                }
            }
        }
        let text = self.tokenizer.decode(&reply, true).map_err(tok)?;
        if text.len() > shown.len() && text.starts_with(&shown) {
            on_text(&text[shown.len()..]);
        }
        Ok(Completion {
            text,
            usage: Usage {
                prompt_tokens: prompt.len() as u32,
                completion_tokens: reply.len() as u32,
                total_tokens: (prompt.len() + reply.len()) as u32,
            },
            finish,
        })
    }
}

impl Generator for LocalModel {
    fn generate(
        &self,
        messages: &[ChatMessage],
        max_tokens: u32,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<String, LlmError> {
        let mut go_on = |t: &str| {
            on_text(t);
            true
        };
        self.complete(messages, max_tokens, &mut go_on)
            .map(|c| c.text)
    }
}

/// The most tokens the chat endpoint generates for one request (also when a request
/// names no `max_tokens` or more).
pub const SERVE_MAX_TOKENS: u32 = 512;

/// The checked `max_tokens` of a chat request served from the local model.
pub fn checked_request(req: &ChatRequest) -> Result<u32, LlmError> {
    if req.messages.is_empty() {
        return Err(LlmError::BadRequest(
            "messages is empty: send at least one user message".into(),
        ));
    }
    if let Some(m) = req
        .messages
        .iter()
        .find(|m| !matches!(m.role.as_str(), "system" | "user" | "assistant"))
    {
        return Err(LlmError::BadRequest(format!(
            "unknown role {:?}: use system, user or assistant",
            m.role
        )));
    }
    if !req.messages.iter().any(|m| !m.content.trim().is_empty()) {
        return Err(LlmError::BadRequest(
            "every message is empty: say something".into(),
        ));
    }
    match req.max_tokens {
        Some(0) => Err(LlmError::BadRequest("max_tokens must be at least 1".into())),
        Some(n) => Ok(n.min(SERVE_MAX_TOKENS)),
        None => Ok(SERVE_MAX_TOKENS),
    }
}

/// A completion id, unique within this process.
fn completion_id() -> (String, u64) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    (format!("chatcmpl-{created:x}-{n}"), created)
}

/// Serves a (non-streamed) chat completion from the local model. Decoding is greedy:
/// `temperature` and other sampling fields are accepted and ignored.
pub fn serve_chat(model: &LocalModel, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
    let max = checked_request(req)?;
    let done = model.complete(&req.messages, max, &mut |_| true)?;
    let (id, created) = completion_id();
    Ok(ChatResponse {
        id,
        object: "chat.completion".into(),
        created,
        model: model.name.clone(),
        choices: vec![ChatChoice {
            index: 0,
            message: ChatMessage::new("assistant", done.text),
            finish_reason: Some(done.finish.as_str().into()),
        }],
        usage: Some(done.usage),
    })
}

/// Serves a streamed chat completion: `on_chunk` gets a chunk with the role, one chunk per
/// piece of text, then one with the finish reason (the caller writes each as an SSE event
/// and `data: [DONE]` after the last). `on_chunk` returning false stops generation.
pub fn serve_chat_stream(
    model: &LocalModel,
    req: &ChatRequest,
    on_chunk: &mut dyn FnMut(ChatChunk) -> bool,
) -> Result<(), LlmError> {
    let max = checked_request(req)?;
    let (id, created) = completion_id();
    let mut first = ChatChunk::content(&id, &model.name, created, Some(String::new()));
    first.choices[0].delta.role = Some("assistant".into());
    if !on_chunk(first) {
        return Ok(());
    }
    let done = model.complete(&req.messages, max, &mut |piece| {
        on_chunk(ChatChunk::content(
            &id,
            &model.name,
            created,
            Some(piece.to_string()),
        ))
    })?;
    let mut last = ChatChunk::content(&id, &model.name, created, None);
    last.choices[0].finish_reason = Some(done.finish.as_str().into());
    on_chunk(last);
    Ok(())
}

/// A byte-level BPE tokenizer from the `tokenizer.ggml.*` metadata of a GGUF file (the
/// `gpt2` tokenizer model that SmolLM, Qwen and Llama 3 files carry).
fn tokenizer_from_gguf(content: &gguf_file::Content) -> Result<tokenizers::Tokenizer, String> {
    use tokenizers::models::bpe::{Vocab, BPE};
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    use tokenizers::pre_tokenizers::digits::Digits;
    use tokenizers::pre_tokenizers::sequence::Sequence;
    use tokenizers::AddedToken;

    let meta = |key: &str| {
        content
            .metadata
            .get(key)
            .ok_or_else(|| format!("no {key} in the file"))
    };
    let kind = meta("tokenizer.ggml.model")?
        .to_string()
        .map_err(|e| e.to_string())?;
    if kind != "gpt2" {
        return Err(format!(
            "tokenizer {kind:?} is not supported (byte-level BPE, \"gpt2\", is)"
        ));
    }
    let strings = |key: &str| -> Result<Vec<String>, String> {
        meta(key)?
            .to_vec()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|v| v.to_string().cloned().map_err(|e| e.to_string()))
            .collect()
    };
    let tokens = strings("tokenizer.ggml.tokens")?;
    let merges: Vec<(String, String)> = strings("tokenizer.ggml.merges")?
        .into_iter()
        .filter_map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let types: Vec<i32> = match meta("tokenizer.ggml.token_type") {
        Ok(v) => v
            .to_vec()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|t| t.to_i32().unwrap_or(1))
            .collect(),
        Err(_) => Vec::new(),
    };
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| e.to_string())?;
    let mut tok = tokenizers::Tokenizer::new(bpe);
    let byte_level = ByteLevel::new(false, true, true);
    // SmolLM and Qwen2 split numbers into single digits before byte-level BPE.
    let pre = meta("tokenizer.ggml.pre")
        .ok()
        .and_then(|v| v.to_string().ok().cloned())
        .unwrap_or_default();
    if matches!(pre.as_str(), "smollm" | "qwen2") {
        tok.with_pre_tokenizer(Some(Sequence::new(vec![
            Digits::new(true).into(),
            byte_level.into(),
        ])));
    } else {
        tok.with_pre_tokenizer(Some(byte_level));
    }
    tok.with_decoder(Some(ByteLevel::default()));
    // Control tokens (type 3: <|im_start|>, <|im_end|>, ...) must match whole, never be
    // split into bytes, and are dropped when decoding a reply.
    let specials: Vec<AddedToken> = types
        .iter()
        .enumerate()
        .filter(|(_, t)| **t == 3)
        .filter_map(|(i, _)| tokens.get(i))
        .map(|t| AddedToken::from(t.clone(), true))
        .collect();
    tok.add_special_tokens(specials)
        .map_err(|e| e.to_string())?;
    Ok(tok)
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

    #[test]
    fn a_missing_or_wrong_model_file_is_a_user_fault_that_says_what_to_do() {
        let missing = LocalModel::load(Path::new("no/such/model.gguf"))
            .err()
            .unwrap();
        assert!(missing.to_string().contains("models/fetch.sh"), "{missing}");
        assert_eq!(missing.fault(), Fault::User);
        let dir = tempfile::tempdir().unwrap();
        let not_gguf = dir.path().join("x.gguf");
        std::fs::write(&not_gguf, "# not a model\n").unwrap();
        let e = LocalModel::load(&not_gguf).err().unwrap();
        assert!(e.to_string().contains("not a readable GGUF"), "{e}");
        let e = LocalModel::load(dir.path()).err().unwrap();
        assert!(e.to_string().contains("folder"), "{e}");
    }

    #[test]
    fn an_endpoint_that_is_not_listening_is_unreachable() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let chat = RemoteChat::new(&format!("http://127.0.0.1:{port}/v1"), "", &None);
        let e = chat
            .generate(&[ChatMessage::new("user", "hi")], 4, &mut |_| {})
            .unwrap_err();
        assert!(matches!(e, LlmError::Unreachable { .. }), "{e}");
        assert_eq!(e.fault(), Fault::User);
    }

    #[test]
    fn the_tokenizer_from_smollm2_metadata_keeps_control_tokens_whole_and_round_trips() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
        assert!(
            path.is_file(),
            "model file missing: run models/fetch.sh first"
        );
        let mut file = std::fs::File::open(&path).unwrap();
        let content = gguf_file::Content::read(&mut file).unwrap();
        let tok = tokenizer_from_gguf(&content).unwrap();
        let start = tok.token_to_id("<|im_start|>").unwrap();
        let end = tok.token_to_id("<|im_end|>").unwrap();
        let text = "<|im_start|>user\nسلام، ISO 14001 clause 6.1.2?<|im_end|>";
        let ids = tok.encode(text, false).unwrap().get_ids().to_vec();
        assert_eq!(ids.first(), Some(&start));
        assert_eq!(ids.last(), Some(&end));
        assert_eq!(
            tok.decode(&ids, true).unwrap(),
            "user\nسلام، ISO 14001 clause 6.1.2?",
            "control tokens dropped, the rest (Persian bytes included) exact"
        );
        // Numbers go digit by digit, as SmolLM2 was trained.
        let digits = tok.encode("14001", false).unwrap();
        assert_eq!(digits.get_ids().len(), 5);
    }

    #[test]
    fn chat_template_is_chatml_ending_with_the_assistant_turn() {
        let t = LocalModel::chat_template(&[
            ChatMessage::new("system", "S"),
            ChatMessage::new("user", "U"),
        ]);
        assert_eq!(
            t,
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn bad_chat_requests_are_refused() {
        let mut req = ChatRequest {
            model: String::new(),
            messages: Vec::new(),
            max_tokens: Some(100_000),
            temperature: None,
            stream: false,
        };
        assert!(matches!(
            checked_request(&req),
            Err(LlmError::BadRequest(_))
        ));
        req.messages.push(ChatMessage::new("tool", "x"));
        assert!(checked_request(&req).is_err());
        req.messages[0].role = "user".into();
        assert_eq!(checked_request(&req).unwrap(), SERVE_MAX_TOKENS);
        req.max_tokens = Some(0);
        assert!(checked_request(&req).is_err());
        req.max_tokens = Some(7);
        assert_eq!(checked_request(&req).unwrap(), 7);
        req.messages[0].content = "  ".into();
        assert!(checked_request(&req).is_err());
    }
}
