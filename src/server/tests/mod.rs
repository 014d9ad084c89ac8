//! Router tests without a socket: every route, role and error path, through
//! `tower::ServiceExt::oneshot` on the real router over a real index on disk (the test
//! fixtures, indexed lexically; the model-backed route loads the real model once).
//! This module is the harness (a server over the fixtures, requests, replies); each route
//! group has its own file.

mod ask;
mod chat;
mod documents;
mod embeddings;
mod exercises;
mod limits;
mod operations;
mod roles;
mod search;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;

use super::*;
use crate::engine::{Engine, LoadedModel};
use crate::indexer::{index_paths, Silent};
use crate::lexical::LexicalIndex;
use crate::text::AnalyzerOptions;

const READER: &str = "reader-key-for-router-tests";
const EDITOR: &str = "editor-key-for-router-tests";
const ADMIN: &str = "admin-key-for-router-tests";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kb")
}

/// A router over a fresh copy of the fixture index.
struct Server {
    dir: tempfile::TempDir,
    state: AppState,
    router: Router,
}

#[derive(Default)]
struct Options {
    open_read: bool,
    limits: Limits,
    model: Option<Arc<LoadedModel>>,
    require_model: bool,
    llm: Option<crate::answer::LlmConfig>,
}

fn server(opts: Options) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let index_dir = dir.path().join("index");
    // One document indexed from a folder root of its own, so its id has no folder part
    // and an upload can collide with it.
    let extra = dir.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(
        extra.join("glossary.md"),
        "# Glossary\n\nEnvironmental impact assessment: a study made before a project starts.\n",
    )
    .unwrap();
    let mut index = LexicalIndex::open_or_create(&index_dir, AnalyzerOptions::default()).unwrap();
    index_paths(&mut index, &[fixtures(), extra], &mut Silent, None).unwrap();
    drop(index);
    let model = opts
        .model
        .clone()
        .ok_or_else(|| "no model in this test".to_string());
    let engine = Engine::with_shared_model(LexicalIndex::open(&index_dir).unwrap(), model);
    let mut keys = ApiKeys::default();
    keys.add_from(
        &format!("reader:{READER}\neditor:{EDITOR}\nadmin:{ADMIN}"),
        "test",
    )
    .unwrap();
    let config = ServeConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        index_dir,
        access: Access {
            keys,
            open_read: opts.open_read,
        },
        limits: opts.limits,
        require_model: opts.require_model,
        llm: opts.llm.clone(),
    };
    // The writer thread ends when the state's last clone is dropped with the test.
    let (state, _writer) = AppState::start(&config, engine).unwrap();
    let router = router(state.clone());
    Server { dir, state, router }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    /// A 200 reply's JSON (the body is shown when it is not a 200).
    fn ok(&self) -> Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
    /// An error reply: the status, `{error, message}` and nothing else.
    fn error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        let v = self.json();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 2, "exactly error and message: {v}");
        assert_eq!(v["error"], code, "{v}");
        v["message"].as_str().unwrap().to_string()
    }
}

impl Server {
    async fn send(&self, req: Request<Body>) -> Reply {
        let r = self.router.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str, key: Option<&str>) -> Reply {
        let mut b = Request::get(uri);
        if let Some(k) = key {
            b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    async fn post_json(&self, uri: &str, key: Option<&str>, body: impl Into<Body>) -> Reply {
        let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        self.send(b.body(body.into()).unwrap()).await
    }

    async fn upload(&self, key: Option<&str>, name: &str, bytes: &[u8]) -> Reply {
        self.upload_to("/api/documents", key, name, bytes).await
    }

    /// An upload to `target` (the route with a query string).
    async fn upload_to(&self, target: &str, key: Option<&str>, name: &str, bytes: &[u8]) -> Reply {
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--XBOUNDARYX--\r\n");
        let mut b = Request::post(target).header(
            header::CONTENT_TYPE,
            "multipart/form-data; boundary=XBOUNDARYX",
        );
        if let Some(k) = key {
            b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    async fn delete(&self, id: &str, key: Option<&str>) -> Reply {
        let mut b = Request::delete(format!("/api/documents/{id}"));
        if let Some(k) = key {
            b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// What the index holds on disk now: (generation, document ids).
    fn committed(&self) -> (u64, Vec<String>) {
        let index = LexicalIndex::open(self.state.index_dir()).unwrap();
        let m = index.manifest();
        (m.generation, m.documents.keys().cloned().collect())
    }
}

fn q(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Waits until no request holds a slot of the model gate (a blocking thread gives its
/// slot back when it ends, a moment after its answer is sent).
async fn gate_freed(s: &Server) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while s.state.gate().in_flight() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the slot was never freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The real model, loaded once for the tests that need it.
fn real_model() -> Arc<LoadedModel> {
    static MODEL: std::sync::OnceLock<Arc<LoadedModel>> = std::sync::OnceLock::new();
    Arc::clone(MODEL.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        assert!(
            dir.join("e5-small-q4.bin").is_file(),
            "model files missing: run models/fetch.sh first"
        );
        Arc::new(LoadedModel::load(&dir).unwrap())
    }))
}
