//! Router tests: limits.

use super::*;

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
