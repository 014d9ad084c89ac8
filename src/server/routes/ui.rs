//! The web page and the API docs page, served from assets compiled into the binary.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::server::error::ApiError;
use crate::ui::{self, Asset};

fn serve(asset: Asset, cache: &'static str) -> Response {
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, asset.content_type)],
        asset.body,
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

/// The search and ask page.
pub async fn index() -> Response {
    serve(ui::index(), "no-cache")
}

/// The API docs page (reads `/api/openapi.json`).
pub async fn docs() -> Response {
    serve(ui::docs(), "no-cache")
}

/// Scripts, styles and the font.
pub async fn asset(Path(path): Path<String>) -> Response {
    match ui::asset(&path) {
        Some(a) => serve(a, "public, max-age=3600"),
        None => ApiError::NotFound(format!("no asset {path:?}")).into_response(),
    }
}
