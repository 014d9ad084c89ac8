//! `GET /api/search`: the hybrid retriever over HTTP.

use axum::extract::State;
use axum::Json;

use super::{check_text, parse_bool};
use crate::lexical::{parse_query, Filters};
use crate::search::json::{HitJson, Source};
use crate::search::Mode;
use crate::server::auth::Reader;
use crate::server::dto::{SearchParams, SearchResponse};
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::QueryPairs;
use crate::server::state::AppState;

const PARAMS: &[&str] = &["q", "k", "mode", "filter", "explain"];

/// Ranked passages with breadcrumbs, highlighted snippets, scores and explain data.
#[utoipa::path(
    get,
    path = "/api/search",
    tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "Hits, best first", body = SearchResponse),
        (status = 400, description = "A bad query, filter or parameter", body = ErrorBody),
        (status = 401, description = "An API key is needed or not valid", body = ErrorBody),
        (status = 413, description = "A semantic or hybrid query over the model's token limit", body = ErrorBody),
        (status = 429, description = "Too many searches at once; retry after the Retry-After header", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn search(
    _: Reader,
    State(state): State<AppState>,
    params: QueryPairs,
) -> Result<Json<SearchResponse>, ApiError> {
    params.only(PARAMS)?;
    let limits = *state.limits();
    let raw = params.one("q")?.unwrap_or("").trim().to_string();
    if raw.is_empty() {
        return Err(ApiError::BadRequest(
            "the parameter q is required: what to search for".into(),
        ));
    }
    check_text("q", &raw, limits.query_chars)?;
    let k = match params.one("k")? {
        None => 10,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|k| (1..=limits.max_k).contains(k))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "k must be a number from 1 to {}, not {v:?}",
                    limits.max_k
                ))
            })?,
    };
    let mode = match params.one("mode")? {
        None | Some("hybrid") => Mode::Hybrid,
        Some("lexical") => Mode::Lexical,
        Some("semantic") => Mode::Semantic,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "mode must be lexical, semantic or hybrid, not {other:?}"
            )))
        }
    };
    let filter_items: Vec<&str> = params
        .all("filter")
        .flat_map(|f| f.split(';'))
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let filters = Filters::parse(&filter_items).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let explain = parse_bool("explain", params.one("explain")?)?;
    let query = parse_query(&raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let described = filters
        .describe()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let results = state
        .with_engine(move |engine| engine.retriever().search(&query, &filters, k, mode))
        .await??;
    Ok(Json(SearchResponse {
        query: raw,
        mode: results.mode,
        warning: results.warning,
        note: results.note,
        filters: described,
        no_exact_match: results.no_exact_match,
        fusion: results.fusion.clone().filter(|_| explain),
        hits: results
            .hits
            .iter()
            .enumerate()
            .map(|(i, h)| HitJson::new(i + 1, &h.hit, explain.then_some(&h.explain), Source::Hide))
            .collect(),
    }))
}
