//! `POST /v1/embeddings`: envkb's encoder behind OpenAI's embeddings API, so other tools
//! can embed text the way envkb's index does (same normalization, same model).

use axum::extract::State;
use axum::Json;

use crate::embed::{EmbedBudget, TextKind};
use crate::server::auth::Reader;
use crate::server::dto::{
    EmbeddingData, EmbeddingInput, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage,
};
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::JsonBody;
use crate::server::state::AppState;
use crate::text::normalize_for_embedding;

/// The model name reported in responses.
pub const MODEL_NAME: &str = "multilingual-e5-small";

/// L2-normalized 384-dimensional E5 embeddings of one or more texts.
#[utoipa::path(
    post,
    path = "/v1/embeddings",
    tag = "embeddings",
    request_body = EmbeddingRequest,
    responses(
        (status = 200, description = "One embedding per input, in order", body = EmbeddingResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "An input over the token limit, or more model work than one request may ask for", body = ErrorBody),
        (status = 422, description = "Empty, too many or too long inputs; unknown fields", body = ErrorBody),
        (status = 429, description = "Too much model work at once", body = ErrorBody),
        (status = 503, description = "No embedding model loaded", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn embeddings(
    _: Reader,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<EmbeddingRequest>,
) -> Result<Json<EmbeddingResponse>, ApiError> {
    let limits = *state.limits();
    let texts = match req.input {
        EmbeddingInput::One(t) => vec![t],
        EmbeddingInput::Many(ts) => ts,
    };
    if texts.is_empty() || texts.len() > limits.embed_inputs {
        return Err(ApiError::InvalidInput(format!(
            "input must hold 1 to {} texts, not {}",
            limits.embed_inputs,
            texts.len()
        )));
    }
    let mut total = 0;
    for (i, t) in texts.iter().enumerate() {
        let n = super::normalized_chars(t);
        if t.trim().is_empty() || n > limits.embed_chars {
            return Err(ApiError::InvalidInput(format!(
                "input #{i} must be non-empty text of at most {} characters once normalized (it has {n})",
                limits.embed_chars
            )));
        }
        total += n;
    }
    // The encoder's work grows with the total; one request may not take more than a few
    // long inputs' worth of model time.
    let total_limit = limits.embed_chars * 4;
    if total > total_limit {
        return Err(ApiError::InvalidInput(format!(
            "the inputs hold {total} characters once normalized; one request may hold at most {total_limit}"
        )));
    }
    if let Some(f) = req.encoding_format.as_deref().filter(|f| *f != "float") {
        return Err(ApiError::InvalidInput(format!(
            "encoding_format {f:?} is not supported; use \"float\""
        )));
    }
    let kind = match req.input_type.as_deref() {
        None | Some("passage") => TextKind::Passage,
        Some("query") => TextKind::Query,
        Some(other) => {
            return Err(ApiError::InvalidInput(format!(
                "input_type must be \"query\" or \"passage\", not {other:?}"
            )))
        }
    };
    if state.engine().encoder().is_none() {
        return Err(ApiError::Unavailable(
            "this server runs without the embedding model; start it with the model files (models/fetch.sh)".into(),
        ));
    }
    // Counted in the model's own tokens and windows once the texts are tokenized, before
    // any forward pass: characters do not say what the model will have to do.
    let budget = EmbedBudget {
        tokens_per_text: limits.embed_tokens,
        windows: limits.embed_windows,
    };
    let (vectors, tokens) = state
        .with_engine(move |engine| {
            let Some(encoder) = engine.encoder() else {
                return Err(ApiError::Unavailable(
                    "the embedding model is not loaded".into(),
                ));
            };
            // The index's normalization, so these vectors compare with envkb's own.
            let texts: Vec<String> = texts.iter().map(|t| normalize_for_embedding(t)).collect();
            let vectors = encoder
                .embed_within(&texts, kind, budget)
                .map_err(ApiError::from)?;
            let mut tokens = 0;
            for t in &texts {
                tokens += encoder.tokenize(t, kind).map_err(ApiError::from)?.len();
            }
            Ok((vectors, tokens))
        })
        .await??;
    Ok(Json(EmbeddingResponse {
        object: "list",
        data: vectors
            .into_iter()
            .enumerate()
            .map(|(index, embedding)| EmbeddingData {
                object: "embedding",
                index,
                embedding,
            })
            .collect(),
        model: MODEL_NAME.to_string(),
        usage: EmbeddingUsage {
            prompt_tokens: tokens,
            total_tokens: tokens,
        },
    }))
}
