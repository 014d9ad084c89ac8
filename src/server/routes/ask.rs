//! `POST /api/ask` and `POST /api/ask/stream`: cited answers over HTTP, the whole answer
//! as JSON or its pieces as Server-Sent Events while it is composed.
//!
//! When the server was started with a language model (`--llm-gguf` or `--llm-url`), the
//! answer is generated from the same evidence and post-checked (`answer::generate`), and the
//! stream first carries the model's draft as `token` events.
//!
//! The question is checked before any work starts, so a bad question is a 4xx JSON error
//! in both routes (never an event inside a 200 stream); failures after the stream started
//! arrive as one `error` event with the same `{error, message}` body.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::Stream;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::answer::{self, Answer, AnswerError, AnswerEvent, AskOptions, GenerateOptions, Llm};
use crate::cancel::{self, StopToken};
use crate::engine::Engine;
use crate::lexical::Filters;
use crate::server::auth::Reader;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::JsonBody;
use crate::server::middleware::current_request_id;
use crate::server::state::AppState;

/// Most passages one question may read for evidence.
pub const MAX_PASSAGES: usize = 20;

/// The body of both ask routes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    /// The question, in Persian or English.
    pub question: String,
    /// Passages retrieved and read for evidence (1 to 20; default 5).
    #[serde(default)]
    pub passages: Option<usize>,
    /// Metadata filters KEY=VALUE (doc_type, lang, year, status).
    #[serde(default)]
    pub filter: Vec<String>,
}

/// Checks the request and turns it into answer options, before any model work.
fn prepare(state: &AppState, req: &AskRequest) -> Result<AskOptions, ApiError> {
    let question = answer::check_question(&req.question)?;
    let chars = super::normalized_chars(question);
    let limit = state.limits().query_chars;
    if chars > limit {
        return Err(ApiError::InvalidInput(format!(
            "question too long ({chars} characters; the limit is {limit}): ask one short question"
        )));
    }
    let passages = req.passages.unwrap_or(AskOptions::default().passages);
    if !(1..=MAX_PASSAGES).contains(&passages) {
        return Err(ApiError::InvalidInput(format!(
            "passages must be from 1 to {MAX_PASSAGES}, not {passages}"
        )));
    }
    let filters = Filters::parse(&req.filter).map_err(|e| ApiError::InvalidInput(e.to_string()))?;
    Ok(AskOptions {
        passages,
        filters,
        ..AskOptions::default()
    })
}

/// A short answer whose every sentence cites a passage, or "not found in the sources"
/// (in the question's language) with the closest passages as `see_also`.
#[utoipa::path(
    post,
    path = "/api/ask",
    tag = "ask",
    request_body = AskRequest,
    responses(
        (status = 200, description = "The cited answer (or the abstention)", body = Answer),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "A question over the model's token limit", body = ErrorBody),
        (status = 422, description = "Empty, garbage or too long question; bad passages or filter; unknown fields", body = ErrorBody),
        (status = 429, description = "Too much model work at once; retry after the Retry-After header", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn ask(
    _: Reader,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<AskRequest>,
) -> Result<Json<Answer>, ApiError> {
    let opts = prepare(&state, &req)?;
    let llm = state.llm().cloned();
    let answer = state
        .with_engine(move |engine| {
            answer_with(engine, llm.as_deref(), &req.question, &opts, &mut |_| {})
        })
        .await??;
    Ok(Json(answer))
}

/// The answer by the server's language model when it has one, else the extractive one.
fn answer_with(
    engine: &Engine,
    llm: Option<&Llm>,
    question: &str,
    opts: &AskOptions,
    on_event: &mut dyn FnMut(AnswerEvent),
) -> Result<Answer, AnswerError> {
    match llm {
        Some(llm) => answer::ask_generative(
            engine,
            question,
            opts,
            llm,
            &GenerateOptions::default(),
            on_event,
        ),
        None => answer::ask_streaming(engine, question, opts, on_event),
    }
}

/// The same answer as Server-Sent Events: with a language model, first `token` events with
/// its unchecked draft as it is written; then `delta` events with the answer text in pieces,
/// one `citation` event per citation, then `done` with the whole answer (as `/api/ask`
/// returns it). Each event's data is JSON with an `event` key naming its kind. A failure
/// after the stream started is an `error` event with `{error, message}`.
#[utoipa::path(
    post,
    path = "/api/ask/stream",
    tag = "ask",
    request_body = AskRequest,
    responses(
        (status = 200, description = "An event stream (text/event-stream) of token (with a language model), delta, citation and done events", content_type = "text/event-stream", body = String),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "A question over the model's token limit", body = ErrorBody),
        (status = 422, description = "Empty, garbage or too long question; bad passages or filter; unknown fields", body = ErrorBody),
        (status = 429, description = "Too much model work at once; retry after the Retry-After header", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn ask_stream(
    _: Reader,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<AskRequest>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let opts = prepare(&state, &req)?;
    // Taken here so that a full server answers 429 instead of opening a stream.
    let slot = state.gate().try_enter()?;
    let engine = state.engine();
    let llm = state.llm().cloned();
    let request_id = current_request_id();
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(32);
    // A client that went away drops the event stream, and with it the guard that stops
    // the work at its next check (`crate::cancel`); what it still sends is dropped.
    let token = StopToken::new();
    let stop_when_dropped = token.stop_on_drop();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let send = |event: Event| {
            let _ = tx.blocking_send(event);
        };
        let result = cancel::run_under(token, || {
            answer_with(&engine, llm.as_deref(), &req.question, &opts, &mut |e| {
                send(answer_event(&e))
            })
        });
        if let Err(e) = result {
            send(error_event(e.into(), &request_id));
        }
    });
    let events =
        futures_util::stream::unfold((rx, stop_when_dropped), |(mut rx, guard)| async move {
            rx.recv().await.map(|e| (Ok(e), (rx, guard)))
        });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// An answer event as SSE: the event name is its kind, the data its JSON.
fn answer_event(e: &AnswerEvent) -> Event {
    let name = match e {
        AnswerEvent::Token { .. } => "token",
        AnswerEvent::Delta { .. } => "delta",
        AnswerEvent::Citation { .. } => "citation",
        AnswerEvent::Done { .. } => "done",
    };
    Event::default()
        .event(name)
        .json_data(e)
        .unwrap_or_else(|_| Event::default().event(name).data("{}"))
}

/// A failure inside a running stream, with the same body an error response would carry.
/// The request-scoped id is passed in because the answer runs on a blocking thread.
fn error_event(e: ApiError, request_id: &str) -> Event {
    e.log_for(request_id);
    Event::default()
        .event("error")
        .json_data(e.body_for(request_id))
        .unwrap_or_else(|_| Event::default().event("error").data("{}"))
}
