//! Router tests: search.

use super::*;

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
