//! Router tests: ask.

use super::*;

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
