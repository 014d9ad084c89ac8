//! Router tests: roles.

use super::*;

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
