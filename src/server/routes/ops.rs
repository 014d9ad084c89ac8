//! Operations: liveness, readiness, Prometheus metrics and the OpenAPI document.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use crate::server::auth::Reader;
use crate::server::dto::{Health, Readiness};
use crate::server::error::ErrorBody;
use crate::server::metrics::Gauges;
use crate::server::state::AppState;

/// The process is up and answering.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Ready for traffic: the index is open and (unless started without one on purpose) the
/// embedding model is loaded.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready; `reason` says why", body = Readiness),
    ))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let engine = state.engine();
    let model = engine.model.is_some();
    let semantic = model && engine.vectors.is_some();
    let reason = (state.require_model() && !model).then(|| {
        format!(
            "the embedding model is not loaded: {}",
            engine
                .semantic_unavailable
                .as_deref()
                .unwrap_or("no model files")
        )
    });
    let ready = reason.is_none();
    let m = engine.index.manifest();
    let body = Readiness {
        ready,
        index: true,
        model,
        semantic,
        documents: m.documents.len(),
        chunks: m.chunk_count(),
        reason,
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Prometheus metrics: requests and latencies per route, index size, model queue depth.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"),
        (status = 401, description = "An API key is needed or not valid", body = ErrorBody),
    ),
    security((), ("api_key" = [])))]
pub async fn metrics(_: Reader, State(state): State<AppState>) -> impl IntoResponse {
    let engine = state.engine();
    let m = engine.index.manifest();
    let gauges = Gauges {
        documents: m.documents.len(),
        chunks: m.chunk_count(),
        vectors: engine.vectors.as_ref().map_or(0, |v| v.len()),
        index_bytes: engine.index.size_on_disk(),
        model_in_flight: state.gate().in_flight(),
        model_limit: state.gate().limit(),
        writes_queued: state.writer().queued(),
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(&gauges),
    )
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document")))]
pub async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::server::openapi::document_json(),
    )
}
