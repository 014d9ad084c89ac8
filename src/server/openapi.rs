//! The OpenAPI document, generated from the handlers' annotations and the DTO types, so
//! the reference cannot drift from the code (a router test checks every route is in it).

use std::sync::OnceLock;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::dto;
use super::error::ErrorBody;
use super::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "envkb",
        description = "Search and cited answers over environmental law, policy and ISO guidance (Persian first, English second). Send an API key as `Authorization: Bearer KEY` (or `X-API-Key`); reading may be open to anonymous callers, writing needs the editor role."
    ),
    paths(
        routes::search::search,
        routes::ask::ask,
        routes::ask::ask_stream,
        routes::exercises::exercises,
        routes::documents::list,
        routes::documents::get,
        routes::documents::upload,
        routes::documents::delete,
        routes::documents::chunk,
        routes::embeddings::embeddings,
        routes::chat::completions,
        routes::ops::healthz,
        routes::ops::readyz,
        routes::ops::metrics,
        routes::ops::openapi,
    ),
    components(schemas(ErrorBody, dto::SearchResponse, routes::ask::AskRequest,
        routes::exercises::ExercisesRequest, routes::exercises::ExercisesResponse,
        crate::answer::Answer, crate::answer::Citation, crate::answer::SeeAlso, crate::search::json::HitJson, crate::search::Explain, crate::search::FusionChoice, crate::search::adaptive::Signals, crate::search::adaptive::Contribution, crate::ingest::ocr::OcrInfo,
        dto::DocumentList, dto::DocumentJson, dto::DocumentDetail, dto::ChunkJson,
        dto::UploadResponse, dto::DeleteResponse, dto::EmbeddingRequest, dto::EmbeddingInput,
        dto::EmbeddingResponse, dto::EmbeddingData, dto::EmbeddingUsage, dto::Health,
        dto::Readiness)),
    modifiers(&Security),
    tags(
        (name = "search", description = "Hybrid retrieval"),
        (name = "ask", description = "Short answers that cite their sources, or \"not found in the sources\""),
        (name = "documents", description = "Documents and passages; uploads and deletes need the editor role"),
        (name = "embeddings", description = "The encoder, OpenAI-compatible"),
        (name = "chat", description = "The local language model (serve --llm-gguf), OpenAI-compatible"),
        (name = "exercises", description = "Trainer exercise sets with answer keys; needs the editor role"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
/// The OpenAPI document of every route, served at `/api/openapi.json`.
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "x_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| {
            format!("{{\"error\": \"cannot build the OpenAPI document: {e}\"}}")
        })
    })
}
