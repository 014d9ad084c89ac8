//! Router tests: chat completions.

use super::*;

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
