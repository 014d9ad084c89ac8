//! The bench data over the shipped corpus (`bench/domain/*.jsonl`, `bench/ood/*.jsonl`):
//! the real binary indexes `corpus/` (lexical only), every gold reference resolves to at
//! least one chunk, and every gold answer string is found, by the same normalized test that
//! `envkb eval-answers` scores with, in at least one chunk its question names as gold. Also
//! the labels the reports split by: `style`, `twin` and the train/report separation.
//!
//! An answer that is not in its gold passage makes `eval-answers` count a correct answer as
//! a miss; a reference that matches no chunk silently drops the question from `eval`. Both
//! happen when the corpus is edited or re-chunked, so this runs with the suite.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use envkb::answer::evaluate::contains_answer;
use envkb::eval::{read_jsonl, resolve_refs, QueryRecord};
use envkb::lexical::LexicalIndex;

use super::util::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The question files of `bench/domain`, sorted so messages are stable.
fn domain_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("bench/domain"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
}

/// Each line once as the eval type and once as JSON (for the labels eval does not read).
fn read_both(path: &Path) -> Vec<(QueryRecord, serde_json::Value)> {
    let typed: Vec<QueryRecord> = read_jsonl(path).unwrap();
    let raw: Vec<serde_json::Value> = read_jsonl(path).unwrap();
    typed.into_iter().zip(raw).collect()
}

/// Indexes the shipped corpus with the binary, as a user would, and opens the result.
fn corpus_index(dir: &Path) -> LexicalIndex {
    let index = dir.join("index");
    let corpus = root().join("corpus");
    let out = json(
        &index,
        &["--no-model", "index", corpus.to_str().unwrap(), "--json"],
    );
    assert!(out.is_object(), "index --json: {out}");
    LexicalIndex::open(&index).unwrap()
}

/// What is wrong with one question's gold against the index: references that match no
/// chunk and answer strings found in none of the chunks the references name.
fn gold_problems(index: &LexicalIndex, q: &QueryRecord) -> Vec<String> {
    let mut problems = Vec::new();
    let mut texts = Vec::new();
    for r in &q.relevant_refs {
        let one = QueryRecord {
            relevant_refs: vec![r.clone()],
            ..q.clone()
        };
        let ids = resolve_refs(index, &one);
        if ids.is_empty() {
            problems.push(format!(
                "{}: reference {} / {:?} matches no chunk",
                q.id, r.doc, r.section
            ));
        }
        for id in ids {
            texts.push(index.chunk(&id).unwrap().unwrap().text);
        }
    }
    for a in &q.answers {
        if !texts
            .iter()
            .any(|t| contains_answer(t, std::slice::from_ref(a)))
        {
            problems.push(format!("{}: answer «{a}» is in no gold chunk", q.id));
        }
    }
    problems
}

#[test]
fn every_domain_answer_is_in_a_gold_chunk_and_every_label_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let index = corpus_index(tmp.path());

    // The check itself can fail: a phrase written for the question rather than copied from
    // the passage, and a section the document does not have, are both reported.
    let probe: QueryRecord = serde_json::from_str(
        r#"{"id": "probe", "text": "?", "relevant_refs": [
             {"doc": "fa/law-environmental-protection-2", "section": "ماده ۱۲"},
             {"doc": "fa/law-environmental-protection-2", "section": "ماده ۹۹"}],
           "answers": ["جزای نقدی", "پنج میلیون ریال جریمه"]}"#,
    )
    .unwrap();
    let found = gold_problems(&index, &probe);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].contains("ماده ۹۹") && found[1].contains("پنج میلیون"));

    let mut problems = Vec::new();
    let mut by_id: HashMap<String, serde_json::Value> = HashMap::new();
    let mut texts_by_file: HashMap<String, HashSet<String>> = HashMap::new();
    let mut answerable = 0;
    for file in domain_files() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for (q, raw) in read_both(&file) {
            let where_ = format!("{name} {}", q.id);
            texts_by_file
                .entry(name.clone())
                .or_default()
                .insert(q.text.clone());
            if by_id.insert(q.id.clone(), raw.clone()).is_some() {
                problems.push(format!("{where_}: id used twice"));
            }
            if q.is_unanswerable() {
                if !q.answers.is_empty() {
                    problems.push(format!("{where_}: unanswerable but has answers"));
                }
                continue;
            }
            answerable += 1;
            if q.answers.is_empty() {
                problems.push(format!("{where_}: no answer string"));
            }
            problems.extend(gold_problems(&index, &q));
            let style = raw["style"].as_str().unwrap_or("");
            if !matches!(style, "passage" | "paraphrase") {
                problems.push(format!("{where_}: style {style:?}"));
            }
        }
    }

    // Twins: an English question names the Persian question it translates.
    let mut en_to_fa_source = 0;
    for (id, q) in &by_id {
        let Some(twin) = q.get("twin").and_then(|t| t.as_str()) else {
            continue;
        };
        match by_id.get(twin) {
            Some(t) if t["lang"] == "fa" && q["lang"] == "en" => {
                let doc = q["relevant_refs"][0]["doc"].as_str().unwrap_or("");
                if doc.starts_with("fa/") {
                    en_to_fa_source += 1;
                    // The twin report splits these pairs by whether the corpus also states
                    // the answer in English; the label must say what the gold says.
                    let has_en = q["relevant_refs"].as_array().is_some_and(|refs| {
                        refs.iter()
                            .any(|r| r["doc"].as_str().is_some_and(|d| d.starts_with("en/")))
                    });
                    match q.get("en_source").and_then(|e| e.as_bool()) {
                        Some(e) if e == has_en => {}
                        other => problems.push(format!(
                            "{id}: en_source {other:?} but an English gold passage {}",
                            if has_en { "is named" } else { "is not named" }
                        )),
                    }
                }
            }
            _ => problems.push(format!(
                "{id}: twin {twin} is not a Persian question of the set"
            )),
        }
    }

    // Questions used to fit (train.jsonl) are never reported on.
    let train = texts_by_file.remove("train.jsonl").unwrap_or_default();
    for (file, texts) in &texts_by_file {
        for t in texts.intersection(&train) {
            problems.push(format!("{file} repeats a training question: {t}"));
        }
    }

    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(answerable >= 350, "only {answerable} answerable questions");
    assert!(
        train.len() >= 80,
        "train.jsonl has {} questions",
        train.len()
    );
    assert!(
        en_to_fa_source >= 30,
        "{en_to_fa_source} English questions over Persian passages with a Persian twin"
    );
}

#[test]
fn on_topic_unanswerable_questions_have_no_gold() {
    let path = root().join("bench/ood/unanswerable-domain.jsonl");
    let qs = read_both(&path);
    assert!(qs.len() >= 30, "{} questions", qs.len());
    for (q, raw) in qs {
        assert!(q.is_unanswerable() && q.answers.is_empty(), "{}", q.id);
        assert_eq!(raw["kind"], "unanswerable", "{}", q.id);
        assert!(
            raw["missing"].as_str().is_some_and(|m| !m.is_empty()),
            "{}: say what the corpus lacks",
            q.id
        );
    }
}
