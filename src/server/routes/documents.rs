//! Documents and passages: list, read with chunks, upload, delete, and one passage by id.

use std::path::Path;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::Json;

use crate::engine::Engine;
use crate::server::auth::{Editor, Reader};
use crate::server::dto::{
    ChunkJson, DeleteResponse, DocumentDetail, DocumentJson, DocumentList, UploadForm,
    UploadResponse,
};
use crate::server::error::{ApiError, ErrorBody};
use crate::server::extract::{body_error, IdPath};
use crate::server::state::AppState;
use crate::server::writer::UPLOADS_DIR;

/// Whether a document's source file is in the index's uploads folder.
fn is_upload(engine: &Engine, source: &str) -> bool {
    let uploads = engine.index.dir().join(UPLOADS_DIR);
    let uploads = std::fs::canonicalize(&uploads).unwrap_or(uploads);
    Path::new(source).starts_with(uploads)
}

/// Every indexed document, by id.
#[utoipa::path(
    get,
    path = "/api/documents",
    tag = "documents",
    responses(
        (status = 200, description = "The documents, sorted by id", body = DocumentList),
        (status = 401, description = "An API key is needed or not valid", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn list(_: Reader, State(state): State<AppState>) -> Json<DocumentList> {
    let engine = state.engine();
    let documents = engine
        .index
        .manifest()
        .documents
        .iter()
        .map(|(id, e)| DocumentJson::new(id, e, is_upload(&engine, &e.path)))
        .collect();
    Json(DocumentList { documents })
}

/// One document with all its passages, in order.
#[utoipa::path(
    get,
    path = "/api/documents/{id}",
    tag = "documents",
    params(("id" = String, Path, description = "Document id, e.g. fa/law-environmental-protection-1")),
    responses(
        (status = 200, description = "The document and its passages", body = DocumentDetail),
        (status = 400, description = "Not a valid document id", body = ErrorBody),
        (status = 404, description = "No such document", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn get(
    _: Reader,
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<DocumentDetail>, ApiError> {
    state
        .with_engine(move |engine| {
            let Some(entry) = engine.index.manifest().documents.get(&id) else {
                return Err(not_found("document", &id));
            };
            let chunks = engine.index.document_chunks(&id).map_err(ApiError::from)?;
            Ok(Json(DocumentDetail {
                document: DocumentJson::new(&id, entry, is_upload(engine, &entry.path)),
                chunks: chunks.into_iter().map(|hit| hit.passage).collect(),
            }))
        })
        .await?
}

/// The full passage a citation or hit points at.
#[utoipa::path(
    get,
    path = "/api/chunks/{id}",
    tag = "documents",
    params(("id" = String, Path, description = "Chunk id, `doc_id#n` (send `#` as `%23`)")),
    responses(
        (status = 200, description = "The passage", body = ChunkJson),
        (status = 400, description = "Not a valid chunk id", body = ErrorBody),
        (status = 404, description = "No such passage", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn chunk(
    _: Reader,
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<ChunkJson>, ApiError> {
    state
        .with_engine(move |engine| match engine.index.chunk(&id) {
            Ok(Some(hit)) => Ok(Json(hit.passage)),
            Ok(None) => Err(not_found("passage", &id)),
            Err(e) => Err(ApiError::from(e)),
        })
        .await?
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no {what} with the id {id:?}; GET /api/documents lists the documents"
    ))
}

/// Adds a document (or replaces an earlier upload of the same name): the file is stored
/// in the index folder and indexed, lexical and semantic, in one commit.
#[utoipa::path(
    post,
    path = "/api/documents",
    tag = "documents",
    params(("ocr" = Option<String>, Query, description = "Scanned PDF pages: `auto` (default) reads pages without a text layer by OCR, `always` every page, `never` none")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Indexed", body = UploadResponse),
        (status = 400, description = "No file part, or a file name with folders", body = ErrorBody),
        (status = 403, description = "Needs the editor role", body = ErrorBody),
        (status = 409, description = "The id is taken by a document from the indexed folders", body = ErrorBody),
        (status = 413, description = "The file is over the upload limit", body = ErrorBody),
        (status = 415, description = "Not a supported file type", body = ErrorBody),
        (status = 422, description = "The file cannot be indexed (binary, not UTF-8, empty, bad front matter)", body = ErrorBody),
        (status = 429, description = "Too many index changes waiting", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn upload(
    _: Editor,
    State(state): State<AppState>,
    params: crate::server::extract::QueryPairs,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    params.only(&["ocr"])?;
    // `?ocr=auto|always|never`: whether scanned PDF pages are read by OCR (auto by default).
    let ocr = params
        .one("ocr")?
        .map(|v| v.parse::<crate::ingest::ocr::OcrMode>())
        .transpose()
        .map_err(ApiError::BadRequest)?;
    let mut multipart = multipart.map_err(|_| {
        ApiError::UnsupportedMediaType(
            "send the file as multipart/form-data with a part named \"file\"".into(),
        )
    })?;
    let limit = state.limits().upload_bytes;
    let read_error =
        |e: axum::extract::multipart::MultipartError| body_error(e.status(), limit, &e.body_text());
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(read_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .ok_or_else(|| ApiError::BadRequest("the \"file\" part has no file name".into()))?
            .to_string();
        let bytes = field.bytes().await.map_err(read_error)?;
        if bytes.len() > limit {
            return Err(ApiError::TooLarge { limit });
        }
        file = Some((name, bytes.to_vec()));
        break;
    }
    let Some((name, bytes)) = file else {
        return Err(ApiError::BadRequest(
            "no part named \"file\": send the document as multipart/form-data field \"file\""
                .into(),
        ));
    };
    let done = state.writer().upload(name, bytes, ocr).await?;
    Ok((
        StatusCode::CREATED,
        Json(UploadResponse {
            doc_id: done.doc_id,
            title: done.title,
            chunks: done.chunks,
            replaced: done.replaced,
            embedded: done.embedded,
            pages_skipped: done.pages_skipped,
        }),
    ))
}

/// Removes a document and its passages. Editors remove uploads; removing a document that
/// came from an indexed folder needs an admin (it returns if that folder is indexed again).
#[utoipa::path(
    delete,
    path = "/api/documents/{id}",
    tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "Removed", body = DeleteResponse),
        (status = 400, description = "Not a valid document id", body = ErrorBody),
        (status = 403, description = "Needs the editor role (admin for documents from indexed folders)", body = ErrorBody),
        (status = 404, description = "No such document", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn delete(
    Editor(role): Editor,
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<DeleteResponse>, ApiError> {
    let done = state.writer().delete(id, role).await?;
    Ok(Json(DeleteResponse {
        doc_id: done.doc_id,
        deleted: true,
        file_removed: done.file_removed,
    }))
}
