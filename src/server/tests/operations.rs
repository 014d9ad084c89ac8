//! Router tests: operations.

use super::*;

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
