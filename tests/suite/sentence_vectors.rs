//! Sentence vectors stored at index time (issue 15): an answer over an index built with the
//! model runs the encoder on the question only, with the same scores as embedding the
//! sentences at question time; a re-index embeds only new sentences and drops those of
//! removed files; an index without the model has none (answers embed their own), and so
//! does one whose sentence file is damaged until the next index run rebuilds it; an index
//! of the previous format is refused with the rebuild message.

use std::path::Path;

use envkb::answer::sentence_vectors::embedding_input;
use envkb::answer::{ask, gather, AskOptions};
use envkb::embed::pool::cosine;
use envkb::engine::{Engine, LoadedModel};
use envkb::text::normalize_for_embedding;
use envkb::vector::sentence_key;

use super::util::*;

fn engine(index: &Path) -> Engine {
    let model = LoadedModel::load(Path::new(&models_dir())).map_err(|e| e.to_string());
    Engine::open(index, model).unwrap()
}

/// The sentence-vector files in an index folder.
fn sentence_files(index: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(index)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("sentences-"))
        .collect();
    names.sort();
    names
}

fn count(report: &serde_json::Value, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {report}"))
}

#[test]
fn an_answer_embeds_only_the_question_and_scores_as_if_it_embedded_every_sentence() {
    let ws = Workspace::new();
    let r = ws.index_kb_with_model();
    let stored = count(&r, "sentence_vectors");
    assert!(stored > 10, "{r}");
    // A first run embeds each distinct sentence once.
    assert_eq!(count(&r, "sentences_embedded"), stored, "{r}");
    assert_eq!(sentence_files(&ws.index()), vec!["sentences-00000001.bin"]);

    let engine = engine(&ws.index());
    let store = engine
        .sentence_vectors()
        .expect("the index has sentence vectors");
    assert_eq!(store.len() as u64, stored);
    let question = "سازمان درباره آموزش مدیران صنایع چه وظیفه‌ای دارد؟";
    let ev = gather(&engine, question, &AskOptions::default()).unwrap();
    assert!(ev.scored_by_model);
    assert!(ev.candidates.len() >= 3, "{:?}", ev.candidates);
    assert_eq!(
        ev.sentences_embedded, 0,
        "every candidate had a stored vector"
    );

    // The stored vectors are what the encoder gives at question time, bit for bit (one
    // call for all candidates, as answers embedded them before), so scores are unchanged.
    let enc = engine.encoder().unwrap();
    let q = enc
        .embed_queries(&[normalize_for_embedding(question)])
        .unwrap();
    let inputs: Vec<String> = ev
        .candidates
        .iter()
        .map(|c| embedding_input(&c.display))
        .collect();
    let now = enc.embed_passages(&inputs).unwrap();
    for ((c, input), v) in ev.candidates.iter().zip(&inputs).zip(&now) {
        let kept = store.get(&sentence_key(input)).unwrap();
        assert_eq!(
            kept.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            "{}",
            c.display
        );
        assert_eq!(c.semantic, Some(cosine(&q[0], v)), "{}", c.display);
    }
    let a = ask(&engine, question, &AskOptions::default()).unwrap();
    assert!(!a.abstained, "{a:#?}");
    assert!(a.answer.contains("آموزش"), "{}", a.answer);
}

#[test]
fn a_reindex_embeds_only_new_sentences_and_drops_those_of_removed_files() {
    let ws = Workspace::new();
    let first = ws.index_kb_with_model();
    let before = count(&first, "sentence_vectors");

    // One sentence already in the ISO notes, two new ones.
    let extra = ws.kb().join("en/extra-note.txt");
    let shared = "The organization keeps a register of the legal requirements that apply to it.";
    let fresh = "Spill kits are checked every month by the site supervisor.";
    std::fs::write(
        &extra,
        format!("{shared} {fresh} Waste oil drums stand on a sealed floor with a kerb.\n"),
    )
    .unwrap();
    let second = ws.index_kb_with_model();
    assert_eq!(count(&second, "indexed"), 1, "{second}");
    assert_eq!(count(&second, "sentences_embedded"), 2, "{second}");
    assert_eq!(count(&second, "sentence_vectors_reused"), 1, "{second}");
    assert_eq!(count(&second, "sentence_vectors"), before + 2, "{second}");
    assert_eq!(sentence_files(&ws.index()), vec!["sentences-00000002.bin"]);

    let unchanged = ws.index_kb_with_model();
    assert_eq!(count(&unchanged, "sentences_embedded"), 0, "{unchanged}");
    assert_eq!(count(&unchanged, "sentence_vectors"), before + 2);

    std::fs::remove_file(&extra).unwrap();
    let third = ws.index_kb_with_model();
    assert_eq!(count(&third, "removed"), 1, "{third}");
    assert_eq!(count(&third, "sentences_embedded"), 0, "{third}");
    assert_eq!(count(&third, "sentence_vectors"), before, "{third}");
    assert_eq!(sentence_files(&ws.index()), vec!["sentences-00000004.bin"]);
    let engine = engine(&ws.index());
    let store = engine.sentence_vectors().unwrap();
    assert!(
        store.get(&sentence_key(&embedding_input(shared))).is_some(),
        "the ISO notes still use it"
    );
    assert!(store.get(&sentence_key(&embedding_input(fresh))).is_none());
}

#[test]
fn an_index_built_without_the_model_has_no_sentence_vectors_and_answers_embed_theirs() {
    let ws = Workspace::new();
    let r = ws.index_kb();
    assert_eq!(count(&r, "sentence_vectors"), 0, "{r}");
    assert!(sentence_files(&ws.index()).is_empty());

    let engine = engine(&ws.index());
    assert!(engine.sentence_vectors().is_none());
    let ev = gather(
        &engine,
        "سازمان درباره آموزش مدیران صنایع چه وظیفه‌ای دارد؟",
        &AskOptions::default(),
    )
    .unwrap();
    assert!(ev.scored_by_model && !ev.candidates.is_empty());
    assert_eq!(ev.sentences_embedded, ev.candidates.len());
    assert!(ev.candidates.iter().all(|c| c.semantic.is_some()));
}

#[test]
fn an_index_of_the_previous_format_is_refused_with_the_rebuild_message() {
    let ws = Workspace::new();
    ws.index_kb();
    let current = envkb::lexical::manifest::FORMAT_VERSION;
    // What an index written before sentence vectors says in its commit payload.
    let meta = ws.index().join("meta.json");
    let text = std::fs::read_to_string(&meta).unwrap();
    let now = format!("\\\"format\\\":{current}");
    assert!(text.contains(&now), "{text}");
    let old = text.replace(&now, &format!("\\\"format\\\":{}", current - 1));
    std::fs::write(&meta, old).unwrap();

    let out = run(&ws.index(), &["--no-model", "ask", "ماده ۶ چه می‌گوید؟"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("format {}, expected {current}", current - 1)),
        "{err}"
    );
    assert!(err.contains("rebuild"), "{err}");
}

#[test]
fn a_damaged_sentence_file_costs_speed_not_answers_and_the_next_index_run_rebuilds_it() {
    let ws = Workspace::new();
    let first = ws.index_kb_with_model();
    let name = sentence_files(&ws.index()).pop().unwrap();
    let path = ws.index().join(&name);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x5a;
    std::fs::write(&path, bytes).unwrap();

    let question = "سازمان درباره آموزش مدیران صنایع چه وظیفه‌ای دارد؟";
    let damaged = engine(&ws.index());
    assert!(damaged.sentence_vectors().is_none());
    let ev = gather(&damaged, question, &AskOptions::default()).unwrap();
    assert_eq!(ev.sentences_embedded, ev.candidates.len());
    assert!(!ev.candidates.is_empty());
    drop(damaged);

    // Nothing changed but the damage: the run embeds every sentence again and says why.
    let again = ws.index_kb_with_model();
    let warnings = again["warnings"].to_string();
    assert!(warnings.contains("checksum mismatch"), "{again}");
    assert_eq!(again["sentences_embedded"], first["sentence_vectors"]);
    let engine = engine(&ws.index());
    assert!(engine.sentence_vectors().is_some());
    let ev = gather(&engine, question, &AskOptions::default()).unwrap();
    assert_eq!(ev.sentences_embedded, 0);
}
