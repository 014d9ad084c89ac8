//! Router tests without a socket: every route, role and error path, through
//! `tower::ServiceExt::oneshot` on the real router over a real index on disk (the test
//! fixtures, indexed lexically; the model-backed route loads the real model once).

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
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--XBOUNDARYX--\r\n");
        let mut b = Request::post("/api/documents").header(
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

// ---- search -------------------------------------------------------------------------

#[tokio::test]
async fn search_finds_persian_passages_with_breadcrumbs_and_highlights() {
    let s = server(Options::default());
    let r = s
        .get(
            &format!(
                "/api/search?q={}&mode=lexical&explain=true",
                q("ماده ۶ بند د")
            ),
            Some(READER),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["mode"], "lexical");
    let hit = &v["hits"][0];
    assert_eq!(hit["doc_id"], "fa/sample-law");
    assert_eq!(hit["clause"], "د");
    assert!(hit["breadcrumb"].as_array().unwrap().len() >= 2);
    assert!(hit["explain"]["lexical_rank"].as_u64() == Some(1));
    assert!(hit.get("source").is_none(), "server paths are not sent");
    let snippet = hit["snippet"].as_str().unwrap();
    for h in hit["highlights"].as_array().unwrap() {
        let (a, b) = (
            h[0].as_u64().unwrap() as usize,
            h[1].as_u64().unwrap() as usize,
        );
        assert!(snippet.is_char_boundary(a) && snippet.is_char_boundary(b) && a < b);
    }
    // Without explain the key is absent.
    let r = s
        .get(&format!("/api/search?q={}", q("پساب")), Some(READER))
        .await;
    assert!(r.json()["hits"][0].get("explain").is_none());
}

#[tokio::test]
async fn search_falls_back_to_lexical_with_a_warning_when_there_is_no_model() {
    let s = server(Options::default());
    let r = s
        .get(
            &format!("/api/search?q={}&mode=semantic", q("پساب")),
            Some(READER),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["mode"], "lexical");
    assert!(v["warning"].as_str().unwrap().contains("semantic"));
}

#[tokio::test]
async fn search_filters_apply_and_bad_parameters_are_400() {
    let s = server(Options::default());
    let r = s
        .get(
            "/api/search?q=environmental&mode=lexical&filter=lang%3Den&filter=year=2015",
            Some(READER),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["filters"]["lang"], "en");
    for h in v["hits"].as_array().unwrap() {
        assert_eq!(h["lang"], "en");
        assert_eq!(h["year"], 2015);
    }
    let long = "آب ".repeat(600);
    for (uri, hint) in [
        ("/api/search".to_string(), "q is required"),
        ("/api/search?q=%20%20".to_string(), "q is required"),
        ("/api/search?q=air&k=0".to_string(), "k must be"),
        ("/api/search?q=air&k=abc".to_string(), "k must be"),
        ("/api/search?q=air&k=101".to_string(), "k must be"),
        ("/api/search?q=air&mode=fuzzy".to_string(), "mode must be"),
        (
            "/api/search?q=air&explain=maybe".to_string(),
            "explain must be",
        ),
        ("/api/search?q=air&filter=colour=red".to_string(), "colour"),
        ("/api/search?q=air&q=water".to_string(), "more than once"),
        ("/api/search?q=air&top=3".to_string(), "unknown parameter"),
        ("/api/search?q=%FF%FE".to_string(), "UTF-8"),
        ("/api/search?q=%zz".to_string(), "hex"),
        (format!("/api/search?q={}", q(&long)), "limit"),
    ] {
        let r = s.get(&uri, Some(READER)).await;
        let m = r.error(StatusCode::BAD_REQUEST, "bad_request");
        assert!(m.contains(hint), "{uri}: {m}");
    }
}

// ---- roles --------------------------------------------------------------------------

#[tokio::test]
async fn reading_needs_a_key_unless_opened_and_bad_keys_are_401() {
    let closed = server(Options::default());
    let r = closed.get("/api/search?q=air", None).await;
    r.error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(r.headers.contains_key(header::WWW_AUTHENTICATE));
    let r = closed
        .get("/api/search?q=air", Some("not-a-real-key-at-all"))
        .await;
    let m = r.error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(!m.contains("not-a-real-key"), "keys are never echoed");
    for uri in ["/api/documents", "/api/chunks/fa/note%230", "/metrics"] {
        closed
            .get(uri, None)
            .await
            .error(StatusCode::UNAUTHORIZED, "unauthorized");
        assert_eq!(
            closed.get(uri, Some(READER)).await.status,
            StatusCode::OK,
            "{uri}"
        );
    }
    let r = closed
        .send(
            Request::get("/api/documents")
                .header(header::AUTHORIZATION, "Basic dXNlcjpwYXNz")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    r.error(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = closed
        .send(
            Request::get("/api/documents")
                .header("x-api-key", EDITOR)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "X-API-Key works too");

    let open = server(Options {
        open_read: true,
        ..Options::default()
    });
    assert_eq!(
        open.get("/api/search?q=air", None).await.status,
        StatusCode::OK
    );
    // Writing never opens up.
    open.upload(None, "a.md", b"# A\n\ntext")
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    open.delete("fa/note", None)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn the_public_routes_need_no_key() {
    let s = server(Options::default());
    for uri in [
        "/healthz",
        "/readyz",
        "/api/openapi.json",
        "/",
        "/docs",
        "/assets/app.js",
    ] {
        assert_eq!(s.get(uri, None).await.status, StatusCode::OK, "{uri}");
    }
}

// ---- documents and passages ---------------------------------------------------------

#[tokio::test]
async fn documents_list_read_and_passages() {
    let s = server(Options::default());
    let v = s.get("/api/documents", Some(READER)).await.json();
    let ids: Vec<&str> = v["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["doc_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"fa/sample-law") && ids.contains(&"en/sample-iso"),
        "{ids:?}"
    );
    assert_eq!(v["documents"][0]["uploaded"], false);

    let d = s.get("/api/documents/fa/sample-law", Some(READER)).await;
    assert_eq!(d.status, StatusCode::OK);
    let d = d.json();
    assert_eq!(d["document"]["doc_type"], "law");
    let chunks = d["chunks"].as_array().unwrap();
    assert_eq!(
        chunks.len() as u64,
        d["document"]["chunks"].as_u64().unwrap()
    );
    assert_eq!(chunks[0]["chunk_id"], "fa/sample-law#0");

    let c = s.get("/api/chunks/fa/sample-law%231", Some(READER)).await;
    assert_eq!(c.status, StatusCode::OK);
    let c = c.json();
    assert_eq!(c["chunk_id"], "fa/sample-law#1");
    assert!(!c["text"].as_str().unwrap().is_empty());

    s.get("/api/documents/fa/missing", Some(READER))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    s.get("/api/chunks/fa/sample-law%23999", Some(READER))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    for uri in [
        "/api/documents/..%2F..%2Fetc%2Fpasswd",
        "/api/documents/fa/%2E%2E/%2E%2E/secret",
        "/api/documents/%2Fetc%2Fpasswd",
        "/api/documents/a%00b",
        "/api/chunks/fa/sample-law",
        "/api/chunks/..%2Fx%231",
        "/api/documents/%FF%FE",
    ] {
        s.get(uri, Some(READER))
            .await
            .error(StatusCode::BAD_REQUEST, "bad_request");
    }
}

#[tokio::test]
async fn an_editor_uploads_replaces_and_deletes_and_readers_see_it() {
    let s = server(Options::default());
    let doc = "---\ntitle: دستورالعمل پایش پسماند\ndoc_type: policy\nlang: fa\nyear: 2020\n---\n# دستورالعمل پایش پسماند\n\n## ماده ۱\n\nپسماند ویژه باید جداگانه جمع‌آوری و ثبت شود.\n";
    // Readers may not write.
    s.upload(Some(READER), "pasmand.md", doc.as_bytes())
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let r = s.upload(Some(EDITOR), "pasmand.md", doc.as_bytes()).await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    assert_eq!(v["doc_id"], "pasmand");
    assert_eq!(v["replaced"], false);
    assert!(v["chunks"].as_u64().unwrap() >= 1);
    assert!(s.dir.path().join("index/uploads/pasmand.md").is_file());
    // Readers see it at once (the engine was swapped).
    let hits = s
        .get(
            &format!("/api/search?q={}&mode=lexical", q("پسماند ویژه")),
            Some(READER),
        )
        .await
        .json();
    assert_eq!(hits["hits"][0]["doc_id"], "pasmand");
    let list = s.get("/api/documents", Some(READER)).await.json();
    let mine = list["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["doc_id"] == "pasmand")
        .unwrap()
        .clone();
    assert_eq!(mine["uploaded"], true);
    assert_eq!(mine["year"], 2020);

    // The same name again replaces it.
    let r = s
        .upload(
            Some(EDITOR),
            "pasmand.md",
            "# Waste\n\nHazardous waste is logged.\n".as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json()["replaced"], true);
    let hits = s
        .get(
            &format!("/api/search?q={}&mode=lexical", q("پسماند ویژه")),
            Some(READER),
        )
        .await
        .json();
    assert!(hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["doc_id"] != "pasmand"));

    // Editors delete uploads; the file goes too.
    s.delete("pasmand", Some(READER))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let r = s.delete("pasmand", Some(EDITOR)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["file_removed"], true);
    assert!(!s.dir.path().join("index/uploads/pasmand.md").exists());
    s.get("/api/documents/pasmand", Some(READER))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    s.delete("pasmand", Some(EDITOR))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn documents_from_indexed_folders_need_an_admin_to_delete() {
    let s = server(Options::default());
    let m = s
        .delete("fa/note", Some(EDITOR))
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    assert!(m.contains("admin"), "{m}");
    let r = s.delete("fa/note", Some(ADMIN)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["file_removed"], false);
    assert!(
        fixtures().join("fa/note.txt").exists(),
        "source files are left alone"
    );
    assert!(!s.committed().1.contains(&"fa/note".to_string()));
    s.delete("..%2F..%2Fetc", Some(ADMIN))
        .await
        .error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn bad_uploads_are_refused_and_leave_the_index_as_it_was() {
    let s = server(Options {
        limits: Limits {
            upload_bytes: 4096,
            ..Limits::default()
        },
        ..Options::default()
    });
    let before = s.committed();
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "tool.exe",
            b"MZ\x90\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "blob.md",
            b"abc\x00\x01\x02".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "latin1.txt",
            b"caf\xe9 \xe0 la carte".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "empty.txt",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "bad-front.md",
            b"---\ntitle: [unclosed\n---\nbody\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            "../../escape.md",
            b"# x\n\ntext".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            ".hidden.md",
            b"# x\n\ntext".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "glossary.md",
            b"# Glossary\n\nanother text".to_vec(),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (
            "huge.txt",
            vec![b'a'; 64 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
    ];
    for (name, bytes, status, code) in cases {
        let r = s.upload(Some(EDITOR), name, &bytes).await;
        let m = r.error(status, code);
        assert!(
            !m.contains(s.dir.path().to_str().unwrap()),
            "no server paths: {m}"
        );
    }
    // Not multipart at all, and multipart without a file part.
    s.post_json("/api/documents", Some(EDITOR), "{}")
        .await
        .error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let r = s
        .send(
            Request::post("/api/documents")
                .header(header::AUTHORIZATION, format!("Bearer {EDITOR}"))
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
                .body(Body::from(
                    "--B\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--B--\r\n",
                ))
                .unwrap(),
        )
        .await;
    r.error(StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(s.committed(), before, "the index is unchanged");
    let uploads: Vec<_> = std::fs::read_dir(s.dir.path().join("index/uploads"))
        .unwrap()
        .collect();
    assert!(uploads.is_empty(), "nothing left in uploads/: {uploads:?}");
    // And the server still answers.
    assert_eq!(s.get("/healthz", None).await.status, StatusCode::OK);
}

// ---- embeddings ---------------------------------------------------------------------

#[tokio::test]
async fn embeddings_input_errors_are_4xx_and_no_model_is_503() {
    let s = server(Options {
        limits: Limits {
            body_bytes: 1024,
            embed_inputs: 2,
            ..Limits::default()
        },
        ..Options::default()
    });
    let post = |body: &'static [u8]| s.post_json("/v1/embeddings", Some(READER), body);
    post(b"{\"input\": ")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_json");
    post(b"{\"input\": \"\xff\xfe\"}")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_json");
    post(b"{\"input\": 42}")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    post(b"{\"inputs\": [\"a\"]}")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    post(b"{\"input\": []}")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    post(b"{\"input\": [\"a\", \"b\", \"c\"]}")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    post(b"{\"input\": \"  \"}")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    post(b"{\"input\": \"a\", \"encoding_format\": \"base64\"}")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let huge = format!("{{\"input\": \"{}\"}}", "a".repeat(4096));
    s.post_json("/v1/embeddings", Some(READER), huge)
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    let r = s
        .send(
            Request::post("/v1/embeddings")
                .header(header::AUTHORIZATION, format!("Bearer {READER}"))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("{\"input\": \"a\"}"))
                .unwrap(),
        )
        .await;
    r.error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let r = post(b"{\"input\": \"air quality\"}").await;
    r.error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(r.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn embeddings_with_the_real_model_are_unit_vectors_in_order() {
    let model = real_model();
    let s = server(Options {
        model: Some(Arc::clone(&model)),
        require_model: true,
        ..Options::default()
    });
    let r = s
        .post_json(
            "/v1/embeddings",
            Some(READER),
            r#"{"input": ["کیفیت هوا", "air quality"], "model": "text-embedding-3-small", "input_type": "query"}"#,
        )
        .await;
    let v = r.ok();
    assert_eq!(v["object"], "list");
    assert_eq!(v["model"], "multilingual-e5-small");
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let direct = model
        .encoder
        .embed_queries(&[crate::text::normalize_for_embedding("کیفیت هوا")])
        .unwrap();
    for (i, d) in data.iter().enumerate() {
        assert_eq!(d["index"], i);
        let e: Vec<f32> = serde_json::from_value(d["embedding"].clone()).unwrap();
        assert_eq!(e.len(), 384);
        let norm: f32 = e.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "{norm}");
        if i == 0 {
            let cos: f32 = e.iter().zip(&direct[0]).map(|(a, b)| a * b).sum();
            assert!(cos > 0.999, "the same vector as the encoder's: {cos}");
        }
    }
    assert!(v["usage"]["prompt_tokens"].as_u64().unwrap() > 4);
    // The model is loaded: ready.
    let r = s.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["model"], true);
}

// ---- chat completions ---------------------------------------------------------------

#[tokio::test]
async fn chat_requests_are_checked_and_no_chat_model_is_503() {
    let s = server(Options::default());
    let post = |body: &'static str| s.post_json("/v1/chat/completions", Some(READER), body);
    post("{\"messages\": [")
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_json");
    post("{\"messages\": \"hi\"}")
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    for (body, hint) in [
        (r#"{"messages": []}"#, "messages is empty"),
        (
            r#"{"messages": [{"role": "tool", "content": "x"}]}"#,
            "unknown role",
        ),
        (
            r#"{"messages": [{"role": "user", "content": " "}]}"#,
            "empty",
        ),
        (
            r#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}"#,
            "max_tokens",
        ),
    ] {
        let m = post(body)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert!(m.contains(hint), "{body}: {m}");
    }
    let r = post(r#"{"messages": [{"role": "user", "content": "hi"}], "stream": true}"#).await;
    let m = r.error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(m.contains("--llm-gguf"), "{m}");
    s.post_json(
        "/v1/chat/completions",
        None,
        r#"{"messages": [{"role": "user", "content": "hi"}]}"#,
    )
    .await
    .error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn chat_completions_from_the_local_model_whole_streamed_and_gated() {
    let gguf = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        gguf.is_file(),
        "model file missing: run models/fetch.sh first"
    );
    let s = server(Options {
        llm: Some(crate::answer::LlmConfig::Local { gguf }),
        limits: Limits {
            model_concurrency: 1,
            ..Limits::default()
        },
        ..Options::default()
    });
    let ask = r#"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}], "max_tokens": 6"#;
    let r = s
        .post_json("/v1/chat/completions", Some(READER), format!("{ask}}}"))
        .await;
    let v = r.ok();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "SmolLM2-135M-Instruct.Q4_1");
    let whole = v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!whole.is_empty());
    let reason = v["choices"][0]["finish_reason"].as_str().unwrap();
    assert!(reason == "stop" || reason == "length", "{reason}");
    assert!(v["usage"]["completion_tokens"].as_u64().unwrap() <= 6);

    let r = s
        .post_json(
            "/v1/chat/completions",
            Some(READER),
            format!("{ask}, \"stream\": true}}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/event-stream");
    let text = String::from_utf8(r.body).unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let pieces: String = text
        .split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .filter(|e| *e != "[DONE]")
        .map(|e| serde_json::from_str::<Value>(e).unwrap())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(String::from)
        })
        .collect();
    assert_eq!(pieces, whole, "the stream carries the same reply");
    // The slot of the streamed reply is given back when its thread ends.
    gate_freed(&s).await;

    // A prompt longer than the model takes is the caller's to shorten, streamed or not.
    let long = "word ".repeat(4000);
    for stream in [false, true] {
        let body =
            serde_json::json!({"messages": [{"role": "user", "content": long}], "stream": stream});
        let m = s
            .post_json("/v1/chat/completions", Some(READER), body.to_string())
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
        assert!(m.contains("tokens"), "{m}");
    }

    // Generation shares the model gate: full means 429, for both kinds of reply.
    gate_freed(&s).await;
    let held = s.state.gate().try_enter().unwrap();
    for tail in ["}", ", \"stream\": true}"] {
        s.post_json("/v1/chat/completions", Some(READER), format!("{ask}{tail}"))
            .await
            .error(StatusCode::TOO_MANY_REQUESTS, "busy");
    }
    drop(held);
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

// ---- ask ----------------------------------------------------------------------------

/// The SSE events of a stream body as (event name, JSON data), in order.
fn sse_events(body: &[u8]) -> Vec<(String, Value)> {
    let text = String::from_utf8(body.to_vec()).unwrap();
    let mut events = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut name = String::from("message");
        let mut data = String::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.trim_start());
            }
        }
        if !data.is_empty() {
            events.push((name, serde_json::from_str(&data).unwrap()));
        }
    }
    events
}

/// Every citation's quote is the stored passage's bytes `[start, end)` and every marker
/// in the answer has its citation.
async fn assert_citations_valid(s: &Server, answer: &Value) {
    let text = answer["answer"].as_str().unwrap();
    let citations = answer["citations"].as_array().unwrap();
    for (i, c) in citations.iter().enumerate() {
        assert_eq!(c["n"], i + 1, "{answer}");
        assert!(text.contains(&format!("[{}]", i + 1)), "{answer}");
        let chunk = s
            .get(
                &format!(
                    "/api/chunks/{}",
                    c["chunk_id"].as_str().unwrap().replace('#', "%23")
                ),
                Some(READER),
            )
            .await
            .json();
        let stored = chunk["text"].as_str().unwrap();
        let (a, b) = (
            c["start"].as_u64().unwrap() as usize,
            c["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&stored[a..b], c["quote"].as_str().unwrap());
    }
}

#[tokio::test]
async fn ask_answers_with_valid_citations_or_says_not_found_in_the_question_language() {
    let s = server(Options {
        model: Some(real_model()),
        ..Options::default()
    });
    let ask = |question: &str| serde_json::json!({ "question": question }).to_string();
    let r = s
        .post_json(
            "/api/ask",
            Some(READER),
            ask("What does the organization keep a register of?"),
        )
        .await;
    let v = r.ok();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["abstained", "answer", "citations", "lang", "see_also"],
        "the contract's keys: {v}"
    );
    assert_eq!(v["abstained"], false, "{v}");
    assert_eq!(v["lang"], "en");
    assert!(
        v["answer"].as_str().unwrap().contains("legal requirements"),
        "{v}"
    );
    assert_citations_valid(&s, &v).await;

    let r = s
        .post_json(
            "/api/ask",
            Some(READER),
            ask("بهترین دستور پخت قورمه‌سبزی چیست؟"),
        )
        .await;
    let v = r.json();
    assert_eq!(v["abstained"], true, "{v}");
    assert_eq!(v["lang"], "fa");
    assert_eq!(v["answer"], "پاسخی در منابع یافت نشد.");
    assert!(v["citations"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn ask_bad_input_is_4xx_with_what_to_fix() {
    let s = server(Options::default());
    let post = |body: String| s.post_json("/api/ask", Some(READER), body);
    let m = post(r#"{"question": "   "}"#.into())
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(m.contains("empty question"), "{m}");
    post(r#"{"question": "%%%% $$$$ ^^^^ ####"}"#.into())
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let long = serde_json::json!({ "question": "آب ".repeat(600) }).to_string();
    let m = post(long)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(m.contains("too long"), "{m}");
    post(r#"{"question": "air quality", "colour": "red"}"#.into())
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    post(r#"{"question": 7}"#.into())
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    post(r#"{"question": "air quality", "passages": 0}"#.into())
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    let m = post(r#"{"question": "air quality", "filter": ["colour=red"]}"#.into())
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(m.contains("colour"), "{m}");
    post(r#"{"question": "air"#.into())
        .await
        .error(StatusCode::BAD_REQUEST, "invalid_json");
    s.post_json("/api/ask", None, r#"{"question": "air quality"}"#)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    s.post_json("/api/ask/stream", Some(READER), r#"{"question": ""}"#)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
}

#[tokio::test]
async fn ask_stream_sends_the_answer_in_pieces_then_citations_then_done() {
    let s = server(Options {
        open_read: true,
        ..Options::default()
    });
    let body =
        r#"{"question": "What does the organization keep a register of?", "filter": ["lang=en"]}"#;
    let whole = s.post_json("/api/ask", None, body).await.json();
    assert_eq!(whole["abstained"], false, "{whole}");
    let r = s.post_json("/api/ask/stream", None, body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let events = sse_events(&r.body);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let first_citation = names.iter().position(|n| *n == "citation").unwrap();
    assert!(
        names[..first_citation].iter().all(|n| *n == "delta"),
        "{names:?}"
    );
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    let done = &events.last().unwrap().1;
    assert_eq!(done["event"], "done");
    assert_eq!(text, done["answer"]["answer"].as_str().unwrap());
    assert_eq!(
        done["answer"], whole,
        "the stream ends with the same answer"
    );
    assert_citations_valid(&s, &done["answer"]).await;
}

#[tokio::test]
async fn ask_with_a_language_model_streams_its_draft_then_a_checked_answer() {
    let gguf = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        gguf.is_file(),
        "model file missing: run models/fetch.sh first"
    );
    let s = server(Options {
        llm: Some(crate::answer::LlmConfig::Local { gguf }),
        ..Options::default()
    });
    let body =
        r#"{"question": "What does the organization keep a register of?", "filter": ["lang=en"]}"#;
    let r = s.post_json("/api/ask/stream", Some(READER), body).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let events = sse_events(&r.body);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names.first(),
        Some(&"token"),
        "the draft comes first: {names:?}"
    );
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let draft: String = events
        .iter()
        .filter(|(n, _)| n == "token")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert!(!draft.trim().is_empty());
    let answer = &events.last().unwrap().1["answer"];
    assert_eq!(answer["abstained"], false, "{answer}");
    // Generated (whatever the small model wrote) or the extractive fallback: valid either way.
    assert_citations_valid(&s, answer).await;
    let keys: HashSet<&str> = answer
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let contract: HashSet<&str> = ["answer", "abstained", "lang", "citations", "see_also"].into();
    assert!(
        keys == contract || keys == &contract | &["unsupported"].into(),
        "{keys:?}"
    );
}

#[tokio::test]
async fn ask_stream_with_a_full_gate_is_429_before_any_event() {
    let s = server(Options {
        limits: Limits {
            model_concurrency: 1,
            ..Limits::default()
        },
        ..Options::default()
    });
    let held = s.state.gate().try_enter().unwrap();
    let r = s
        .post_json(
            "/api/ask/stream",
            Some(READER),
            r#"{"question": "air quality"}"#,
        )
        .await;
    r.error(StatusCode::TOO_MANY_REQUESTS, "busy");
    drop(held);
}

// ---- exercises ----------------------------------------------------------------------

#[tokio::test]
async fn exercises_need_an_editor_and_a_scope_and_come_back_rendered() {
    let s = server(Options {
        open_read: true,
        ..Options::default()
    });
    let post =
        |key: Option<&'static str>, body: &'static str| s.post_json("/api/exercises", key, body);
    let find = r#"{"doc_type": "law", "kinds": ["find-the-source", "normalization"], "count": 2}"#;
    post(None, find)
        .await
        .error(StatusCode::UNAUTHORIZED, "unauthorized");
    post(Some(READER), find)
        .await
        .error(StatusCode::FORBIDDEN, "forbidden");
    let m = post(Some(EDITOR), r#"{"count": 2}"#)
        .await
        .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    assert!(m.contains("topic") && m.contains("doc_type"), "{m}");
    for bad in [
        r#"{"doc_type": "law", "count": 11}"#,
        r#"{"doc_type": "law", "kinds": ["quiz"]}"#,
        r#"{"doc_type": "law", "kinds": []}"#,
        r#"{"doc_type": "law", "lang": "de"}"#,
        r#"{"doc_type": "law", "format": "pdf"}"#,
        r#"{"doc_type": "law", "colour": "red"}"#,
    ] {
        post(Some(EDITOR), bad)
            .await
            .error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input");
    }
    // Disagreement alone needs the model, which this server does not have.
    let m = post(
        Some(EDITOR),
        r#"{"doc_type": "law", "kinds": ["retriever-disagreement"]}"#,
    )
    .await
    .error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(m.contains("model"), "{m}");

    let r = post(Some(EDITOR), find).await;
    let v = r.ok();
    assert!(v["items"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(v["lang"], "fa");
    assert_eq!(v["format"], "html");
    assert_eq!(v["seed"], 2025);
    let kinds: Vec<&str> = v["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["find-the-source", "normalization"]);
    let handout = v["exercises"].as_str().unwrap();
    assert!(
        handout.contains("dir=\"rtl\""),
        "a Persian handout is right to left"
    );
    assert_ne!(handout, v["key"].as_str().unwrap());
    // The same request gives the same set; another format renders the same items.
    let again = post(Some(EDITOR), find).await.json();
    assert_eq!(again["exercises"], v["exercises"]);
    let jsonl = post(
        Some(EDITOR),
        r#"{"doc_type": "law", "kinds": ["find-the-source", "normalization"], "count": 2, "format": "jsonl"}"#,
    )
    .await
    .json();
    let lines = jsonl["key"].as_str().unwrap().lines().count();
    assert_eq!(lines as u64, v["items"].as_u64().unwrap());
}

// ---- limits -------------------------------------------------------------------------

#[tokio::test]
async fn a_full_gate_answers_429_with_retry_after() {
    let s = server(Options {
        limits: Limits {
            model_concurrency: 1,
            ..Limits::default()
        },
        ..Options::default()
    });
    let held = s.state.gate().try_enter().unwrap();
    let r = s.get("/api/search?q=air", Some(READER)).await;
    r.error(StatusCode::TOO_MANY_REQUESTS, "busy");
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
    drop(held);
    assert_eq!(
        s.get("/api/search?q=air", Some(READER)).await.status,
        StatusCode::OK
    );
    let metrics = String::from_utf8(s.get("/metrics", Some(READER)).await.body).unwrap();
    assert!(
        metrics.contains("route=\"/api/search\",status=\"429\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_request_over_its_time_is_answered_503() {
    // Embedding a long text takes far longer than the timer's 1 ms resolution, so the
    // deadline always passes first.
    let s = server(Options {
        limits: Limits {
            timeout: Duration::from_nanos(1),
            ..Limits::default()
        },
        model: Some(real_model()),
        ..Options::default()
    });
    let long = "حفاظت از محیط زیست و کیفیت هوا ".repeat(200);
    let r = s
        .post_json(
            "/v1/embeddings",
            Some(READER),
            serde_json::json!({ "input": long }).to_string(),
        )
        .await;
    r.error(StatusCode::SERVICE_UNAVAILABLE, "timeout");
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    // The work that was cut off still frees its slot once it is done.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while s.state.gate().in_flight() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the slot was never freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---- operations ---------------------------------------------------------------------

#[tokio::test]
async fn health_readiness_and_metrics() {
    let s = server(Options {
        require_model: true,
        ..Options::default()
    });
    assert_eq!(s.get("/healthz", None).await.json()["status"], "ok");
    let r = s.get("/readyz", None).await;
    assert_eq!(
        r.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the model is required here"
    );
    let v = r.json();
    assert_eq!(v["index"], true);
    assert_eq!(v["model"], false);
    assert!(v["reason"].as_str().unwrap().contains("model"));

    let lexical_only = server(Options::default());
    let v = lexical_only.get("/readyz", None).await.json();
    assert_eq!(v["ready"], true);
    assert!(v["documents"].as_u64().unwrap() >= 4);

    s.get("/api/search?q=air", Some(READER)).await;
    let r = s.get("/metrics", Some(READER)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = String::from_utf8(r.body).unwrap();
    for needle in [
        "envkb_http_requests_total{method=\"GET\",route=\"/api/search\",status=\"200\"} 1",
        "envkb_http_request_duration_seconds_count{route=\"/api/search\"} 1",
        "envkb_index_documents ",
        "envkb_index_bytes ",
        "envkb_model_queue_depth 0",
    ] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
}

/// Every route the router serves, as (method, OpenAPI path).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/search"),
    ("post", "/api/ask"),
    ("post", "/api/ask/stream"),
    ("post", "/api/exercises"),
    ("get", "/api/documents"),
    ("post", "/api/documents"),
    ("get", "/api/documents/{id}"),
    ("delete", "/api/documents/{id}"),
    ("get", "/api/chunks/{id}"),
    ("post", "/v1/embeddings"),
    ("post", "/v1/chat/completions"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/api/openapi.json"),
];

#[tokio::test]
async fn the_openapi_document_covers_every_route() {
    let s = server(Options::default());
    let r = s.get("/api/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(
        documented,
        ROUTES.len(),
        "documented routes: {:?}",
        paths.keys()
    );
    for (method, path) in ROUTES {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} undocumented"
        );
        // And the router really serves it (anything but 404/405 for the route itself).
        let uri = path.replace("{id}", "fa/note");
        let req = Request::builder()
            .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
            .uri(&uri)
            .body(Body::empty())
            .unwrap();
        let st = s.send(req).await.status;
        assert!(
            st != StatusCode::NOT_FOUND && st != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}: {st}"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("SearchResponse") && schemas.contains_key("ErrorBody"));
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let s = server(Options::default());
    s.get("/api/nothing-here", Some(READER))
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
    let r = s
        .send(Request::put("/api/search").body(Body::empty()).unwrap())
        .await;
    r.error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    s.get("/assets/../../Cargo.toml", None)
        .await
        .error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_page_is_served_with_a_strict_content_policy() {
    let s = server(Options::default());
    let r = s.get("/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"));
    assert!(r.headers.contains_key("x-request-id"));
    assert!(String::from_utf8(r.body).unwrap().contains("dir=\"rtl\""));
    let font = s.get("/assets/fonts/Vazirmatn-NL-wght.woff2", None).await;
    assert_eq!(font.headers[header::CONTENT_TYPE], "font/woff2");
}
