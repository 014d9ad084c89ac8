//! The lexical knowledge base end to end: index, search, re-index, bad input, eval.

use super::util::*;

#[test]
fn index_then_search_returns_the_json_contract() {
    let ws = Workspace::new();
    let report = ws.index_kb();
    assert_eq!(report["indexed"], 4, "{report}");
    assert_eq!(report["skipped"].as_array().unwrap().len(), 0, "{report}");
    let r = ws.search(&["پساب", "کارخانه"]);
    let hit = &r["hits"][0];
    for key in [
        "doc_id",
        "chunk_id",
        "title",
        "breadcrumb",
        "snippet",
        "score",
        "doc_type",
        "lang",
        "start",
        "end",
    ] {
        assert!(!hit[key].is_null(), "hit lacks {key}: {hit}");
    }
    assert_eq!(hit["doc_id"], "fa/sample-law");
    assert_eq!(hit["clause"], "الف");
    assert!(hit["snippet"].as_str().unwrap().contains("پساب"));
    // The byte span points at the chunk in the source file.
    let src = std::fs::read_to_string(ws.kb().join("fa/sample-law.md")).unwrap();
    let (s, e) = (
        hit["start"].as_u64().unwrap() as usize,
        hit["end"].as_u64().unwrap() as usize,
    );
    assert!(src[s..e].contains("پساب کارخانه"));
}

#[test]
fn article_and_clause_lookups_come_first() {
    let ws = Workspace::new();
    ws.index_kb();
    for q in ["ماده ۶ بند د", "ماده 6 بند «د»", "بند د ماده ۶"] {
        let r = ws.search(&[q]);
        assert_eq!(r["hits"][0]["article"], "6", "{q}: {r}");
        assert_eq!(r["hits"][0]["clause"], "د", "{q}: {r}");
    }
    let r = ws.search(&["article 6 clause d"]);
    let first = &r["hits"][0];
    assert_eq!(first["article"], "6", "{r}");
    assert!(first["clause"] == "d" || first["clause"] == "د", "{r}");
    let r = ws.search(&["6.1.2"]);
    assert_eq!(r["hits"][0]["clause"], "6.1.2", "{r}");
}

#[test]
fn every_zwnj_form_finds_the_document() {
    let ws = Workspace::new();
    ws.index_kb();
    for q in ["تفاهم\u{200C}نامه", "تفاهمنامه", "تفاهم نامه"] {
        let r = ws.search(&[q]);
        assert!(
            hit_ids(&r)
                .iter()
                .any(|id| id.starts_with("fa/sample-law#")),
            "{q} found nothing: {r}"
        );
    }
    // Arabic yeh/kaf and Persian digits in the query match Persian text.
    let r = ws.search(&["همكاري"]);
    assert!(!hit_ids(&r).is_empty());
}

#[test]
fn phrases_filters_and_exclusions() {
    let ws = Workspace::new();
    ws.index_kb();
    let r = ws.search(&["\"environmental aspects\""]);
    assert_eq!(r["hits"][0]["clause"], "6.1.2", "{r}");
    let r = ws.search(&["\"aspects environmental\""]);
    assert!(hit_ids(&r).iter().all(|id| !id.is_empty()));
    assert!(
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["clause"] != "6.1.2"),
        "reversed phrase matched: {r}"
    );
    let r = ws.search(&[
        "training",
        "--filter",
        "lang=en",
        "--filter",
        "doc_type=standard-guidance",
    ]);
    assert!(r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["lang"] == "en" && h["doc_type"] == "standard-guidance"));
    assert!(!hit_ids(&r).is_empty());
    let r = ws.search(&["organization -register"]);
    assert!(r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| !h["snippet"].as_str().unwrap().contains("register")));
    let r = ws.search(&["آموزش", "--filter", "year=1974"]);
    assert!(r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["year"] == 1974));
}

#[test]
fn html_and_text_files_are_indexed_without_scripts() {
    let ws = Workspace::new();
    ws.index_kb();
    let r = ws.search(&["groundwater"]);
    assert_eq!(r["hits"][0]["doc_id"], "en/law-explainer");
    assert_eq!(r["hits"][0]["title"], "Law explainer (HTML sample)");
    let r = ws.search(&["zebrafish"]);
    assert!(hit_ids(&r).is_empty(), "script text was indexed: {r}");
    let r = ws.search(&["فاضلاب"]);
    assert_eq!(r["hits"][0]["doc_id"], "fa/note");
}

#[test]
fn reindex_updates_changed_files_and_drops_deleted_ones() {
    let ws = Workspace::new();
    ws.index_kb();
    let stats0 = json(&ws.index(), &["stats", "--json"]);
    // Unchanged: nothing rewritten, nothing duplicated.
    let again = ws.index_kb();
    assert_eq!(
        (again["indexed"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(4)),
        "{again}"
    );
    assert_eq!(
        json(&ws.index(), &["stats", "--json"])["chunks"],
        stats0["chunks"]
    );
    // A document cut by an older structure reader (its manifest entry says so; indexes from
    // before the version was recorded have none) is read again although its file is the same.
    let manifest = std::fs::read_dir(ws.index())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("manifest-") && name.ends_with(".json")
        })
        .expect("a manifest file");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let entry = m["documents"]["fa/note"].as_object_mut().unwrap();
    assert_eq!(
        entry["structure"],
        envkb::ingest::structure::STRUCTURE_VERSION
    );
    entry.remove("structure");
    std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    let again = ws.index_kb();
    assert_eq!(
        (again["indexed"].as_u64(), again["unchanged"].as_u64()),
        (Some(1), Some(3)),
        "{again}"
    );
    let again = ws.index_kb();
    assert_eq!(again["unchanged"].as_u64(), Some(4), "{again}");
    // Edit one file, delete another.
    std::fs::write(
        ws.kb().join("fa/note.txt"),
        "یادداشت تازه درباره انرژی خورشیدی در بام کارخانه.\n",
    )
    .unwrap();
    std::fs::remove_file(ws.kb().join("en/law-explainer.html")).unwrap();
    let third = ws.index_kb();
    assert_eq!(
        (third["indexed"].as_u64(), third["removed"].as_u64()),
        (Some(1), Some(1)),
        "{third}"
    );
    assert!(
        hit_ids(&ws.search(&["groundwater"])).is_empty(),
        "deleted file still found"
    );
    assert!(
        hit_ids(&ws.search(&["فاضلاب"])).is_empty(),
        "old text still found"
    );
    let r = ws.search(&["خورشیدی"]);
    assert_eq!(hit_ids(&r), vec!["fa/note#0".to_string()], "{r}");
    let stats = json(&ws.index(), &["stats", "--json"]);
    assert_eq!(stats["documents"], 3);
}

#[test]
fn bad_files_are_skipped_with_reasons_and_the_rest_is_indexed() {
    let ws = Workspace::new();
    let bad = ws.kb().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("empty.md"), "").unwrap();
    std::fs::write(bad.join("binary.txt"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    std::fs::write(bad.join("latin1.txt"), [b'c', b'a', b'f', 0xe9, b'\n']).unwrap();
    std::fs::write(
        bad.join("frontmatter.md"),
        "---\ntitle: [oops\n---\nbody text\n",
    )
    .unwrap();
    std::fs::write(bad.join("sheet.xlsx"), "not really").unwrap();
    let huge_line = format!("{} پایان\n", "واژه ".repeat(200_000));
    std::fs::write(bad.join("huge-line.txt"), &huge_line).unwrap();
    let report = ws.index_kb();
    let skipped = report["skipped"].as_array().unwrap();
    let reason = |name: &str| {
        skipped
            .iter()
            .find(|s| s["path"].as_str().unwrap().ends_with(name))
            .map(|s| s["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{name} not reported: {report}"))
    };
    assert!(reason("empty.md").contains("empty"));
    assert!(reason("binary.txt").contains("binary"));
    assert!(reason("latin1.txt").contains("UTF-8"));
    assert!(reason("frontmatter.md").contains("front matter"));
    assert!(reason("sheet.xlsx").contains("unsupported"));
    assert_eq!(skipped.len(), 5, "{report}");
    // The good files and the huge line are indexed.
    assert_eq!(report["indexed"], 5, "{report}");
    let r = ws.search(&["پایان"]);
    assert_eq!(r["hits"][0]["doc_id"], "bad/huge-line");
}

#[test]
fn bad_queries_exit_nonzero_with_a_message() {
    let ws = Workspace::new();
    ws.index_kb();
    for (q, needle) in [
        ("\"ماده ۶", "unbalanced quote"),
        ("water +", "stray operator"),
        ("   ", "empty query"),
        ("-draft", "only excludes"),
        ("?!", "nothing to search"),
    ] {
        let o = run(&ws.index(), &["search", "--", q]);
        assert_eq!(o.status.code(), Some(2), "{q:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{q:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
    let o = run(&ws.index(), &["search", "water", "--filter", "colour=red"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown filter key"));
}

#[test]
fn missing_index_and_missing_paths_are_user_errors() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&dir.path().join("none"), &["search", "water"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("envkb index"), "{}", stderr(&o));
    let o = run(&dir.path().join("idx"), &["index", "/no/such/folder"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not exist"));
}

#[test]
fn eval_scores_a_jsonl_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let queries = dir.path().join("queries.jsonl");
    std::fs::write(
        &corpus,
        concat!(
            r#"{"id":"p1","title":"تهران","text":"تهران پایتخت ایران است و جمعیت زیادی دارد.","lang":"fa"}"#,
            "\n",
            r#"{"id":"p2","title":"دریاچه ارومیه","text":"دریاچه ارومیه در شمال غرب ایران قرار دارد و شور است.","lang":"fa"}"#,
            "\n",
            r#"{"id":"p3","title":"Boilers","text":"Boiler efficiency depends on excess air and stack temperature.","lang":"en"}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &queries,
        concat!(
            r#"{"id":"q1","text":"پایتخت ایران کجاست؟","relevant":["p1"]}"#,
            "\n",
            r#"{"id":"q2","text":"دریاچه شور ایران","relevant":["p2"]}"#,
            "\n",
            r#"{"id":"q3","text":"boiler stack temperature","relevant":["p3"]}"#,
            "\n"
        ),
    )
    .unwrap();
    let m = json(
        &dir.path().join("unused"),
        &[
            "eval",
            "--corpus",
            corpus.to_str().unwrap(),
            "--queries",
            queries.to_str().unwrap(),
            "--json",
        ],
    );
    for key in [
        "ndcg@10",
        "mrr@10",
        "recall@1",
        "recall@5",
        "recall@20",
        "queries",
    ] {
        assert!(m[key].is_number(), "missing {key}: {m}");
    }
    assert_eq!(m["queries"], 3);
    assert_eq!(m["recall@1"], 1.0, "{m}");
    // A malformed line is reported with its line number.
    std::fs::write(&queries, "{\"id\":\"q1\"}\nnot json\n").unwrap();
    let o = run(
        &dir.path().join("unused"),
        &[
            "eval",
            "--corpus",
            corpus.to_str().unwrap(),
            "--queries",
            queries.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 1"), "{}", stderr(&o));
}
