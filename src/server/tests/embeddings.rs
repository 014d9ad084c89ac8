//! Router tests: embeddings.

use super::*;

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
