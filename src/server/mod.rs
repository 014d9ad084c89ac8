//! The HTTP service: `envkb serve` over axum and tokio.
//!
//! [`router`] builds every route on an [`AppState`] (used as is by the router tests, with
//! no socket); [`serve`] binds, serves until SIGINT or SIGTERM, lets in-flight requests
//! finish and waits for the writer to finish its queued commits. Handlers never touch
//! tensors: model and index work runs on blocking threads behind a bounded gate (429 when
//! full), and index writes go to the single writer thread. Errors become JSON with a
//! status chosen in one place ([`ApiError`]).

pub mod auth;
pub mod config;
pub mod dto;
pub mod error;
pub mod extract;
pub mod guard;
pub mod listen;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod recover;
pub mod routes;
pub mod state;
pub mod stream;
pub mod writer;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

pub use auth::{Access, ApiKeys, Role};
pub use config::{Limits, ServeConfig};
pub use error::ApiError;
pub use state::AppState;

use crate::engine::Engine;

/// Room for the multipart framing around an uploaded file.
pub(crate) const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// Every route of the service on `state`.
pub fn router(state: AppState) -> Router {
    let limits = *state.limits();
    let reads = Router::new()
        .route("/api/search", get(routes::search::search))
        .route("/api/ask", axum::routing::post(routes::ask::ask))
        .route(
            "/api/ask/stream",
            axum::routing::post(routes::ask::ask_stream),
        )
        .route("/api/documents", get(routes::documents::list))
        .route("/api/documents/{*id}", get(routes::documents::get))
        .route("/api/chunks/{*id}", get(routes::documents::chunk))
        .route(
            "/v1/embeddings",
            axum::routing::post(routes::embeddings::embeddings),
        )
        .route(
            "/v1/chat/completions",
            axum::routing::post(routes::chat::completions),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::read_timeout,
        ));
    let writes = Router::new()
        .route(
            "/api/documents",
            axum::routing::post(routes::documents::upload).layer(DefaultBodyLimit::max(
                limits.upload_bytes + MULTIPART_OVERHEAD,
            )),
        )
        .route(
            "/api/documents/{*id}",
            axum::routing::delete(routes::documents::delete),
        )
        .route(
            "/api/exercises",
            axum::routing::post(routes::exercises::exercises),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::write_timeout,
        ));
    let ops = Router::new()
        .route("/healthz", get(routes::ops::healthz))
        .route("/readyz", get(routes::ops::readyz))
        .route("/metrics", get(routes::ops::metrics))
        .route("/api/openapi.json", get(routes::ops::openapi))
        .route("/", get(routes::ui::index))
        .route("/docs", get(routes::ui::docs))
        .route("/assets/{*path}", get(routes::ui::asset));
    Router::new()
        .merge(reads)
        .merge(writes)
        .merge(ops)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::request,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route; the API is described at /api/openapi.json".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("this route does not take that method; see /api/openapi.json".into())
}

/// Serves `engine` on `config.addr` until SIGINT or SIGTERM. Prints the bound address as
/// the first line on stdout (`envkb serving on http://ADDR`), so a port of 0 can be used.
pub async fn serve(config: ServeConfig, engine: Engine) -> crate::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| crate::Error::Usage(format!("cannot listen on {}: {e}", config.addr)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| crate::Error::Internal(format!("cannot read the bound address: {e}")))?;
    let (state, writer) = AppState::start(&config, engine)?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "envkb serving on http://{addr}");
        let _ = out.flush();
    }
    tracing::info!(%addr, "listening");
    let connections = listen::ConnectionLimits::from(state.limits());
    let served = listen::serve(listener, router(state), connections, shutdown_signal()).await;
    // Every router clone is gone: the writer finishes what is queued, then stops.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    tracing::info!("stopped");
    served.map_err(|e| crate::Error::Internal(format!("the server failed: {e}")))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(test)]
mod tests;
