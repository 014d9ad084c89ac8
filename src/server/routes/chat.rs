//! `POST /v1/chat/completions`: the local GGUF model of `envkb serve --llm-gguf` behind
//! OpenAI's chat-completions API, as one JSON reply or, with `"stream": true`, as
//! Server-Sent Events ending with `data: [DONE]`. Any OpenAI client can use it, including
//! `envkb ask --generate --llm-url`.
//!
//! Generation runs on a blocking thread holding a slot of the model gate (429 when full);
//! a streamed reply's thread stops when the client goes away.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::answer::chat::{
    sse_event, ChatChoice, ChatChunk, ChatMessage, ChatRequest, ChatResponse,
};
use crate::answer::llm::{LlmError, LocalModel};
use crate::answer::Llm;
use crate::server::auth::Reader;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::JsonBody;
use crate::server::state::AppState;

/// A chat completion from the local model (greedy decoding; sampling fields are ignored).
#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    tag = "chat",
    request_body(content = Object, description = "An OpenAI chat-completions request: `messages` ([{role: system|user|assistant, content}], required), `max_tokens` (at most 512), `stream`; `model`, `temperature` and other fields are accepted and ignored."),
    responses(
        (status = 200, description = "A `chat.completion` object, or with `stream: true` an event stream of `chat.completion.chunk` objects ending with `data: [DONE]`", body = Object),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 422, description = "No messages, an unknown role, max_tokens 0, or a prompt too long for the model", body = ErrorBody),
        (status = 429, description = "Too much model work at once", body = ErrorBody),
        (status = 503, description = "This server has no local chat model (start it with --llm-gguf)", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn completions(
    _: Reader,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<ChatRequest>,
) -> Result<Response, ApiError> {
    let max_tokens = checked_request(&req).map_err(ApiError::from)?;
    let llm = local_model(&state)?;
    if !req.stream {
        let reply = state
            .with_engine(move |_| serve_chat(local(&llm)?, &req))
            .await?
            .map_err(ApiError::from)?;
        return Ok(Json(reply).into_response());
    }
    // The first piece decides the status: a model or prompt the request cannot use is a
    // 4xx, so it is checked on the generating thread before the 200 goes out.
    let mut pieces = state.stream_engine(64, move |_, tx| {
        let model = match local(&llm) {
            Ok(m) => m,
            Err(e) => {
                tx.send(Err(e));
                return;
            }
        };
        if let Err(e) = model.encode_prompt(&req.messages, max_tokens) {
            tx.send(Err(e));
            return;
        }
        let send = |text: String| tx.send(Ok(Bytes::from(text)));
        let result = serve_chat_stream(model, &req, &mut |chunk| {
            serde_json::to_string(&chunk).is_ok_and(|json| send(sse_event(&json)))
        });
        if let Err(e) = result {
            // The status is sent already: the failure becomes an OpenAI-style error event.
            tracing::error!("chat generation failed: {e}");
            let body = serde_json::json!({"error": {"message": "generation failed; the details are in the server log", "type": "server_error"}});
            send(sse_event(&body.to_string()));
        }
        send("data: [DONE]\n\n".into());
    })?;
    let first = pieces
        .next_piece()
        .await
        .ok_or_else(|| ApiError::Internal("the generating thread ended early".into()))?
        .map_err(ApiError::from)?;
    // Only the first piece can be a refusal; the rest are bytes of the stream.
    let rest = pieces.filter_map(|piece| std::future::ready(piece.ok()));
    let body = futures_util::stream::once(std::future::ready(first))
        .chain(rest)
        .map(Ok::<_, std::convert::Infallible>);
    let mut response = Body::from_stream(body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The local model, or 503 saying how to get one.
fn local_model(state: &AppState) -> Result<Arc<Llm>, ApiError> {
    match state.llm() {
        Some(llm) if llm.local().is_some() => Ok(Arc::clone(llm)),
        Some(_) => Err(ApiError::Unavailable(
            "this server answers with a remote language model (--llm-url) and serves no chat model of its own; start it with --llm-gguf PATH to serve one".into(),
        )),
        None => Err(ApiError::Unavailable(
            "this server has no chat model; start it with --llm-gguf PATH (models/fetch.sh fetches a small one)".into(),
        )),
    }
}

/// The local model of an [`Llm`] that [`local_model`] let through.
fn local(llm: &Llm) -> Result<&LocalModel, LlmError> {
    llm.local()
        .ok_or_else(|| LlmError::Generation("the chat model is not a local one".into()))
}

/// The most tokens the chat endpoint generates for one request (also when a request
/// names no `max_tokens` or more).
const SERVE_MAX_TOKENS: u32 = 512;

/// The checked `max_tokens` of a chat request served from the local model.
fn checked_request(req: &ChatRequest) -> Result<u32, LlmError> {
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
fn serve_chat(model: &LocalModel, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
    let max = checked_request(req)?;
    let done = model.complete(&req.messages, max, &mut |_| true)?;
    let (id, created) = completion_id();
    Ok(ChatResponse {
        id,
        object: "chat.completion".into(),
        created,
        model: model.name().to_string(),
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
fn serve_chat_stream(
    model: &LocalModel,
    req: &ChatRequest,
    on_chunk: &mut dyn FnMut(ChatChunk) -> bool,
) -> Result<(), LlmError> {
    let max = checked_request(req)?;
    let (id, created) = completion_id();
    let mut first = ChatChunk::content(&id, model.name(), created, Some(String::new()));
    first.choices[0].delta.role = Some("assistant".into());
    if !on_chunk(first) {
        return Ok(());
    }
    let done = model.complete(&req.messages, max, &mut |piece| {
        on_chunk(ChatChunk::content(
            &id,
            model.name(),
            created,
            Some(piece.to_string()),
        ))
    })?;
    let mut last = ChatChunk::content(&id, model.name(), created, None);
    last.choices[0].finish_reason = Some(done.finish.as_str().into());
    on_chunk(last);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
