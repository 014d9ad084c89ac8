//! `POST /v1/chat/completions`: the local GGUF model of `envkb serve --llm-gguf` behind
//! OpenAI's chat-completions API, as one JSON reply or, with `"stream": true`, as
//! Server-Sent Events ending with `data: [DONE]`. Any OpenAI client can use it, including
//! `envkb ask --generate --llm-url`.
//!
//! Generation runs on a blocking thread holding a slot of the model gate (429 when full);
//! a streamed reply's thread stops when the client goes away.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tokio::sync::{mpsc, oneshot};

use crate::answer::chat::{sse_event, ChatRequest};
use crate::answer::llm::{checked_request, serve_chat, serve_chat_stream, LlmError, LocalModel};
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
    // Same gate as `with_engine`, but the response starts before the work ends.
    let slot = state.gate().try_enter()?;
    let (started_tx, started) = oneshot::channel();
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        // A prompt the model cannot take is a 4xx, so it is checked before the 200.
        let model = match local(&llm) {
            Ok(m) => m,
            Err(e) => {
                let _ = started_tx.send(Err(e));
                return;
            }
        };
        let fits = model.encode_prompt(&req.messages, max_tokens).map(|_| ());
        let ok = fits.is_ok();
        if started_tx.send(fits).is_err() || !ok {
            return;
        }
        let send = |text: String| tx.blocking_send(Bytes::from(text)).is_ok();
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
    });
    started
        .await
        .map_err(|_| ApiError::Internal("the generating thread ended early".into()))?
        .map_err(ApiError::from)?;
    let mut response = Body::from_stream(ChunkStream(rx)).into_response();
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

/// The pieces the generating thread sends, as a response body stream.
struct ChunkStream(mpsc::Receiver<Bytes>);

impl futures_util::Stream for ChunkStream {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|b| b.map(Ok))
    }
}
