//! `POST /api/exercises`: a trainer's exercise set and its key, made on the server from the
//! knowledge base as `envkb exercises` makes them, returned as text in the chosen format.
//!
//! Generation runs retrieval and the model many times (tens of seconds for a full set on
//! two cores), so the route needs the editor role, takes a model slot like any model work,
//! and runs under the long (write) timeout; the count per kind is capped lower than the
//! command line's.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::exercises::render::{render, Format};
use crate::exercises::{self, ExerciseOptions, Kind, KindReport};
use crate::server::auth::Editor;
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::JsonBody;
use crate::server::state::AppState;
use crate::text::Lang;

/// Most items of one kind a request may ask for.
pub const MAX_API_COUNT: usize = 10;

/// What set to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExercisesRequest {
    /// Draw the exercises from a search for this topic.
    #[serde(default)]
    pub topic: Option<String>,
    /// Draw them from the documents of this type (with a topic: limits the topic search).
    #[serde(default)]
    pub doc_type: Option<String>,
    /// Items of each kind (1 to 10; default 3).
    #[serde(default)]
    pub count: Option<usize>,
    /// Language of the handout and its passages: fa (default) or en.
    #[serde(default)]
    pub lang: Option<String>,
    /// Kinds to include (default all): find-the-source, retriever-disagreement, cite-check,
    /// normalization.
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
    /// Seed for every random choice (default 2025): the same index and request give the
    /// same set.
    #[serde(default)]
    pub seed: Option<u64>,
    /// html (default; self-contained and printable), md or jsonl.
    #[serde(default)]
    pub format: Option<String>,
}

/// The set, rendered, with how generation went.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExercisesResponse {
    /// Items written, over all kinds.
    pub items: usize,
    /// Candidate items dropped because they failed validation against the index.
    pub dropped: usize,
    /// The handout's language.
    pub lang: String,
    /// The seed the set was made with (the same seed gives the same set).
    pub seed: u64,
    /// The format the set was rendered in.
    pub format: String,
    /// Per kind: requested, written, dropped (with reasons), and a note when it fell short.
    #[schema(value_type = Vec<Object>)]
    pub kinds: Vec<KindReport>,
    /// The participants' handout.
    pub exercises: String,
    /// The trainer's key.
    pub key: String,
}

/// Checks the request and turns it into generation options and a format.
fn options(req: ExercisesRequest) -> Result<(ExerciseOptions, Format), ApiError> {
    let bad = |m: String| Err(ApiError::InvalidInput(m));
    let text = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (topic, doc_type) = (text(req.topic), text(req.doc_type));
    if topic.is_none() && doc_type.is_none() {
        return bad("choose the documents: give topic (words to search for) or doc_type (law, policy, standard-guidance, course, agreement, glossary)".into());
    }
    if topic.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return bad("topic is longer than 200 characters: give a few words".into());
    }
    let count = req.count.unwrap_or(exercises::DEFAULT_COUNT);
    if !(1..=MAX_API_COUNT).contains(&count) {
        return bad(format!(
            "count must be from 1 to {MAX_API_COUNT} per kind, not {count}"
        ));
    }
    let lang = match req.lang.as_deref() {
        None => Lang::Fa,
        Some(code) => match Lang::parse(code) {
            Some(l) => l,
            None => return bad(format!("lang must be fa or en, not {code:?}")),
        },
    };
    let kinds = match req.kinds {
        None => Kind::ALL.to_vec(),
        Some(names) if names.is_empty() => {
            return bad("kinds is empty: leave it out for all four".into())
        }
        Some(names) => {
            let mut kinds = Vec::new();
            for name in names {
                match Kind::ALL.iter().find(|k| k.name() == name) {
                    Some(k) if !kinds.contains(k) => kinds.push(*k),
                    Some(_) => {}
                    None => {
                        return bad(format!(
                            "unknown kind {name:?}: use find-the-source, retriever-disagreement, cite-check or normalization"
                        ))
                    }
                }
            }
            kinds
        }
    };
    let format = match req.format.as_deref() {
        None | Some("html") => Format::Html,
        Some("md") => Format::Md,
        Some("jsonl") => Format::Jsonl,
        Some(other) => return bad(format!("format must be html, md or jsonl, not {other:?}")),
    };
    let options = ExerciseOptions {
        topic,
        doc_type,
        count,
        lang,
        kinds,
        seed: req.seed.unwrap_or(exercises::DEFAULT_SEED),
    };
    Ok((options, format))
}

/// Generates an exercise set with its answer key from the knowledge base. Every item is
/// validated against the index before it is kept; the ones that fail are counted.
#[utoipa::path(
    post,
    path = "/api/exercises",
    tag = "exercises",
    request_body = ExercisesRequest,
    responses(
        (status = 200, description = "The handout and the key", body = ExercisesResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "An API key is needed or not valid", body = ErrorBody),
        (status = 403, description = "Needs the editor role", body = ErrorBody),
        (status = 422, description = "No scope, a bad count, kind, language or format, or nothing could be made", body = ErrorBody),
        (status = 429, description = "Too much model work at once", body = ErrorBody),
        (status = 503, description = "The kinds asked for need the model, which is not loaded", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn exercises(
    _: Editor,
    State(state): State<AppState>,
    JsonBody(req): JsonBody<ExercisesRequest>,
) -> Result<Json<ExercisesResponse>, ApiError> {
    let (options, format) = options(req)?;
    let set = state
        .with_engine({
            let options = options.clone();
            move |engine| exercises::generate(engine, &options)
        })
        .await??;
    if set.items.is_empty() {
        return Err(ApiError::InvalidInput(format!(
            "no exercise could be made from {}; try a broader topic or another doc type",
            options.scope()
        )));
    }
    let rendered = render(&set, format);
    Ok(Json(ExercisesResponse {
        items: set.items.len(),
        dropped: set.dropped(),
        lang: options.lang.code().to_string(),
        seed: options.seed,
        format: format.extension().to_string(),
        kinds: set.report,
        exercises: rendered.exercises,
        key: rendered.key,
    }))
}
