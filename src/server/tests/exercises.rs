//! Router tests: exercises.

use super::*;

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
