//! Hybrid retrieval end to end with the real model: cross-lingual search, explain data,
//! the embedding cache on re-index, and the lexical fallback without model files.

use super::util::*;

fn run_m(index: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--model-dir", &*Box::leak(models_dir().into_boxed_str())];
    all.extend_from_slice(args);
    json(index, &all)
}

#[test]
fn cross_lingual_questions_find_passages_in_the_other_language() {
    let ws = Workspace::new();
    let report = run_m(&ws.index(), &["index", ws.kb().to_str().unwrap(), "--json"]);
    assert_eq!(report["vectors"], report["chunks"], "{report}");
    // English question, Persian passage (fa/note says this in Persian only).
    let r = run_m(
        &ws.index(),
        &[
            "search",
            "--json",
            "--mode",
            "semantic",
            "industrial wastewater treatment and water reuse in a tile factory",
        ],
    );
    assert_eq!(r["hits"][0]["doc_id"], "fa/note", "{r}");
    // Persian question, English passage (only the English ISO notes explain how aspects are
    // identified). A small model prefers its own language when topics are close, so the English
    // side is selected with a filter, which also shows filters apply before ranking.
    let r = run_m(
        &ws.index(),
        &[
            "search",
            "--json",
            "--mode",
            "semantic",
            "--filter",
            "lang=en",
            "سازمان چگونه جنبه‌های زیست‌محیطی فعالیت‌های خود را شناسایی می‌کند؟",
        ],
    );
    assert_eq!(r["hits"][0]["chunk_id"], "en/sample-iso#0", "{r}");
    assert!(r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["lang"] == "en"));
    // Hybrid keeps the cross-lingual hit although BM25 cannot see it.
    let r = run_m(
        &ws.index(),
        &[
            "search",
            "--json",
            "--explain",
            "industrial wastewater treatment and water reuse in a tile factory",
        ],
    );
    assert_eq!(r["mode"], "hybrid");
    let hit = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["doc_id"] == "fa/note")
        .expect("fa/note in hybrid hits");
    assert!(hit["explain"]["semantic_rank"].is_number(), "{hit}");
    assert!(hit["explain"]["lexical_rank"].is_null(), "{hit}");
    assert!(hit["explain"]["fused_score"].is_number());
}

#[test]
fn explain_shows_both_sides_and_matched_terms() {
    let ws = Workspace::new();
    run_m(&ws.index(), &["index", ws.kb().to_str().unwrap(), "--json"]);
    let r = run_m(
        &ws.index(),
        &[
            "search",
            "--json",
            "--explain",
            "groundwater protection education",
        ],
    );
    let e = &r["hits"][0]["explain"];
    assert_eq!(r["hits"][0]["doc_id"], "en/law-explainer", "{r}");
    assert_eq!(e["lexical_rank"], 1, "{e}");
    assert_eq!(e["semantic_rank"], 1, "{e}");
    let terms: Vec<&str> = e["matched_terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(terms.contains(&"groundwat"), "{terms:?}");
    // Exclusions hold on the semantic side too.
    let r = run_m(&ws.index(), &["search", "--json", "organization -register"]);
    assert!(!r["hits"].as_array().unwrap().is_empty());
    assert!(
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["chunk_id"] != "en/sample-iso#1"),
        "{r}"
    );
}

#[test]
fn reindex_embeds_only_what_changed() {
    let ws = Workspace::new();
    let first = run_m(&ws.index(), &["index", ws.kb().to_str().unwrap(), "--json"]);
    assert_eq!(first["embedded"], first["chunks"]);
    std::fs::write(
        ws.kb().join("fa/note.txt"),
        "یادداشت تازه درباره انرژی خورشیدی در بام کارخانه.\n",
    )
    .unwrap();
    std::fs::remove_file(ws.kb().join("en/law-explainer.html")).unwrap();
    let second = run_m(&ws.index(), &["index", ws.kb().to_str().unwrap(), "--json"]);
    assert_eq!(second["embedded"], 1, "{second}");
    assert_eq!(second["vectors"], second["chunks"], "{second}");
    let r = run_m(
        &ws.index(),
        &[
            "search",
            "--json",
            "--mode",
            "semantic",
            "solar panels on a factory roof",
        ],
    );
    assert_eq!(r["hits"][0]["doc_id"], "fa/note", "{r}");
    assert!(
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["doc_id"] != "en/law-explainer"),
        "deleted document still has vectors: {r}"
    );
}

#[test]
fn without_model_files_search_falls_back_to_lexical_with_a_warning() {
    let ws = Workspace::new();
    run_m(&ws.index(), &["index", ws.kb().to_str().unwrap(), "--json"]);
    let empty = tempfile::tempdir().unwrap();
    let o = run(
        &ws.index(),
        &[
            "--model-dir",
            empty.path().to_str().unwrap(),
            "search",
            "groundwater",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: semantic search unavailable"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("en/law-explainer#0"));
    let r = json(
        &ws.index(),
        &[
            "--model-dir",
            empty.path().to_str().unwrap(),
            "search",
            "--json",
            "groundwater",
        ],
    );
    assert_eq!(r["mode"], "lexical");
    assert!(
        r["warning"].as_str().unwrap().contains("models/fetch.sh"),
        "{r}"
    );
}

#[test]
fn eval_report_scores_a_class_set_in_every_mode() {
    let ws = Workspace::new();
    run_m(&ws.index(), &["index", ws.kb().to_str().unwrap(), "--json"]);
    let class = ws.kb().join("../class.jsonl");
    std::fs::write(
        &class,
        concat!(
            r#"{"id":"c1","participant":"مریم","text":"industrial wastewater treatment and water reuse","relevant":["fa/note#0"]}"#,
            "\n",
            r#"{"id":"c2","participant":"مریم","text":"ماده ۶ وظایف سازمان","relevant":["fa/sample-law#2"]}"#,
            "\n",
            r#"{"id":"c3","participant":"Ali","text":"how are environmental aspects identified?","relevant":["en/sample-iso#0"]}"#,
            "\n"
        ),
    )
    .unwrap();
    let report = ws.kb().join("../class.html");
    let m = run_m(
        &ws.index(),
        &[
            "eval",
            "--queries",
            class.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(m["queries"], 3, "{m}");
    let html = std::fs::read_to_string(&report).unwrap();
    for needle in [
        "<th>lexical</th>",
        "<th>semantic</th>",
        "<th>hybrid</th>",
        "<h2>Per participant</h2>",
        ">مریم</th>",
        ">Ali</th>",
        "dir=\"auto\">ماده ۶ وظایف سازمان</td>",
    ] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    assert_eq!(html.matches("<svg").count(), 3);
    // Text output names each participant.
    let o = run(
        &ws.index(),
        &[
            "--model-dir",
            &models_dir(),
            "eval",
            "--queries",
            class.to_str().unwrap(),
        ],
    );
    assert!(
        stdout(&o).contains("مریم") && stdout(&o).contains("Ali"),
        "{}",
        stdout(&o)
    );
    // An unwritable report path is the user's fault, not a crash.
    let o = run(
        &ws.index(),
        &[
            "--model-dir",
            &models_dir(),
            "eval",
            "--queries",
            class.to_str().unwrap(),
            "--report",
            ws.kb().join("no/such/dir/r.html").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
