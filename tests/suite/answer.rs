//! Cited answers end to end: every marker maps to a citation and every quote is the stored
//! chunk text at its offsets (over all shipped bench questions and random ones), answers
//! and "not found" messages in the question's language, and clear errors for bad questions.

use std::collections::HashSet;
use std::path::Path;

use envkb::answer::features::{heading_like, holds};
use envkb::answer::{ask, ask_streaming, citation, Answer, AnswerEvent, AskOptions};
use envkb::engine::Engine;
use envkb::eval::{read_jsonl, QueryRecord};
use envkb::Fault;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::util::*;

/// What precedes byte `at` on its line of `text`.
fn line_start(text: &str, at: usize) -> &str {
    &text[text[..at].rfind('\n').map_or(0, |i| i + 1)..at]
}

/// Verifies `a` against the index itself (not the hits the answer was built from).
fn assert_valid(engine: &Engine, question: &str, a: &Answer) {
    let problems = citation::check(&a.answer, &a.citations, |id| {
        engine.index.chunk(id).unwrap().map(|h| h.text)
    });
    assert!(problems.is_empty(), "{question:?}: {problems:?}\n{a:#?}");
    if a.abstained {
        assert!(a.citations.is_empty() && citation::markers(&a.answer).is_empty());
    } else {
        let most = envkb::answer::evidence::EvidenceConfig::default().max_sentences;
        assert!((1..=most).contains(&a.citations.len()), "{question:?}: {a:#?}");
    }
    // Never a heading, a title or a sentence about the document; never one span twice.
    for (i, c) in a.citations.iter().enumerate() {
        let hit = engine.index.chunk(&c.chunk_id).unwrap().unwrap();
        assert!(
            !heading_like(&c.quote, line_start(&hit.text, c.start), &hit) && !holds(&c.quote).meta,
            "{question:?} quotes a heading or a meta sentence: {:?}",
            c.quote
        );
        for d in &a.citations[..i] {
            assert!(
                d.chunk_id != c.chunk_id || d.end <= c.start || c.end <= d.start,
                "{question:?} cites one span twice: {:?} and {:?}",
                d.quote,
                c.quote
            );
        }
    }
    let cited: HashSet<&str> = a.citations.iter().map(|c| c.chunk_id.as_str()).collect();
    assert!(a
        .see_also
        .iter()
        .all(|s| !cited.contains(s.chunk_id.as_str())));
}

/// The shipped corpus indexed without the model (fast in a debug build); the answer layer
/// then scores evidence by word overlap, and the citation rules are the same.
fn lexical_corpus_engine(dir: &Path) -> Engine {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    json(
        dir,
        &["--no-model", "index", corpus.to_str().unwrap(), "--json"],
    );
    Engine::open(dir, Err("--no-model".into())).unwrap()
}

fn domain_questions() -> Vec<QueryRecord> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/domain");
    let mut qs = read_jsonl::<QueryRecord>(&root.join("queries-a.jsonl")).unwrap();
    qs.extend(read_jsonl::<QueryRecord>(&root.join("queries-b.jsonl")).unwrap());
    qs
}

#[test]
fn every_citation_of_every_bench_question_is_a_real_quote() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = lexical_corpus_engine(tmp.path());
    let questions = domain_questions();
    assert!(questions.len() >= 200);
    let opts = AskOptions::default();
    let mut answered = 0;
    for q in &questions {
        let a = ask(&engine, &q.text, &opts).unwrap_or_else(|e| panic!("{}: {e}", q.id));
        assert_valid(&engine, &q.text, &a);
        assert_eq!(a.lang.code(), envkb::text::detect_lang(&q.text).code());
        assert!(a.warning.as_deref().unwrap().contains("word overlap"));
        if !a.abstained {
            answered += 1;
        }
    }
    // The check above only means something if most answerable questions get an answer.
    let answerable = questions.iter().filter(|q| !q.is_unanswerable()).count();
    assert!(
        answered * 2 > answerable,
        "only {answered} of {answerable} answered"
    );

    // Random questions from the corpus vocabulary: never a bug, always valid citations.
    let vocab: Vec<String> = questions
        .iter()
        .flat_map(|q| q.text.split_whitespace().map(str::to_string))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        proptest::collection::vec(proptest::sample::select(vocab), 1..10),
        proptest::sample::select(vec!["", "?", "؟", " «ماده ۶»", " [1]"]),
    );
    runner
        .run(&strategy, |(words, tail)| {
            let q = words.join(" ") + tail;
            match ask(&engine, &q, &opts) {
                Ok(a) => assert_valid(&engine, &q, &a),
                Err(e) => prop_assert_eq!(e.fault(), Fault::User, "{}: {}", q, e),
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_question_that_names_an_article_quotes_that_article() {
    let tmp = tempfile::tempdir().unwrap();
    let laws = fixtures().join("laws");
    json(
        tmp.path(),
        &["--no-model", "index", laws.to_str().unwrap(), "--json"],
    );
    let engine = Engine::open(tmp.path(), Err("--no-model".into())).unwrap();
    let opts = AskOptions::default();
    for (q, article) in [
        ("ماده ۷ قانون هوای پاک درباره متخلفان چه می‌گوید؟", "7"),
        ("طبق ماده ۳ قانون هوای پاک شهرداری‌ها چه تکلیفی دارند؟", "3"),
        (
            "ماده ۴ قانون هوای پاک درباره استاندارد مصرف سوخت چه می‌گوید؟",
            "4",
        ),
    ] {
        let a = ask(&engine, q, &opts).unwrap();
        assert!(!a.abstained, "{q}: {a:#?}");
        assert_valid(&engine, q, &a);
        let hit = engine
            .index
            .chunk(&a.citations[0].chunk_id)
            .unwrap()
            .unwrap();
        assert_eq!(hit.article.as_deref(), Some(article), "{q}: {a:#?}");
    }
}

#[test]
fn streaming_reports_the_same_answer_in_pieces() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = lexical_corpus_engine(tmp.path());
    let mut events = Vec::new();
    let a = ask_streaming(
        &engine,
        "What does ISO 14001 require for environmental aspects?",
        &AskOptions::default(),
        &mut |e| events.push(e),
    )
    .unwrap();
    assert!(!a.abstained, "{a:#?}");
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            AnswerEvent::Delta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, a.answer);
    let cited = events
        .iter()
        .filter(|e| matches!(e, AnswerEvent::Citation { .. }))
        .count();
    assert_eq!(cited, a.citations.len());
    assert!(
        matches!(events.last(), Some(AnswerEvent::Done { answer }) if answer.answer == a.answer)
    );
    let first = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(first["event"], "delta");
}

fn ask_cli(index: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--model-dir", &*Box::leak(models_dir().into_boxed_str())];
    all.push("ask");
    all.extend_from_slice(args);
    run(index, &all)
}

#[test]
fn answers_cite_passages_and_abstain_in_the_question_language() {
    let ws = Workspace::new();
    json(
        &ws.index(),
        &[
            "--model-dir",
            &models_dir(),
            "index",
            ws.kb().to_str().unwrap(),
            "--json",
        ],
    );
    let answer = |q: &str| -> serde_json::Value {
        let o = ask_cli(&ws.index(), &["--json", q]);
        assert!(o.status.success(), "{q}: {}", stderr(&o));
        assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let a = answer("How does an organization identify its environmental aspects?");
    // serde_json's map is sorted, so the contract's keys are compared sorted.
    let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec!["abstained", "answer", "citations", "lang", "see_also"],
        "{a}"
    );
    assert_eq!(a["abstained"], false, "{a}");
    assert_eq!(a["lang"], "en");
    let c = &a["citations"][0];
    let ckeys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        ckeys,
        vec![
            "breadcrumb",
            "chunk_id",
            "doc_id",
            "end",
            "n",
            "quote",
            "start",
            "title"
        ]
    );
    assert_eq!(c["doc_id"], "en/sample-iso", "{a}");
    assert!(
        c["quote"]
            .as_str()
            .unwrap()
            .contains("environmental aspects"),
        "{a}"
    );
    assert!(a["answer"].as_str().unwrap().contains("[1]"));

    let a = answer("وظایف سازمان در ماده ۶ درباره آموزش مدیران صنایع چیست؟");
    assert_eq!(a["abstained"], false, "{a}");
    assert_eq!(a["lang"], "fa");
    assert_eq!(a["citations"][0]["doc_id"], "fa/sample-law", "{a}");

    // Questions the knowledge base cannot answer: "not found" in the question's language,
    // the closest passages still listed.
    let a = answer("بهترین دستور پخت قورمه‌سبزی با لوبیا قرمز چیست؟");
    assert_eq!(a["abstained"], true, "{a}");
    assert_eq!(a["lang"], "fa");
    assert_eq!(a["answer"], "پاسخی در منابع یافت نشد.");
    assert!(a["citations"].as_array().unwrap().is_empty());
    assert!(!a["see_also"].as_array().unwrap().is_empty());
    let a = answer("Who won the football world cup final in 1986?");
    assert_eq!(a["abstained"], true, "{a}");
    assert_eq!(a["answer"], "Not found in the sources.");
    assert!(a.get("missing_sources").is_none(), "{a}");

    // A law or standard the knowledge base does not hold: "not found", and which one,
    // even though passages of a neighbouring law are on the same topic.
    let a = answer("مجازات شکار غیرمجاز طبق قانون شکار و صید چیست؟");
    assert_eq!(a["abstained"], true, "{a}");
    assert_eq!(a["missing_sources"][0], "قانون شکار و صید", "{a}");
    assert!(a["answer"].as_str().unwrap().contains("«قانون شکار و صید»"), "{a}");
    assert!(a["citations"].as_array().unwrap().is_empty());
    let a = answer("What does ISO 14064 require for greenhouse gas reports?");
    assert_eq!(a["abstained"], true, "{a}");
    assert_eq!(a["missing_sources"][0], "ISO 14064", "{a}");

    // The readable form numbers the citations under the answer.
    let o = ask_cli(
        &ws.index(),
        &["organization environmental aspects boiler emissions"],
    );
    let out = stdout(&o);
    assert!(out.contains("[1] "), "{out}");
    assert!(out.contains("en/sample-iso#"), "{out}");
}

#[test]
fn without_the_model_answers_warn_and_use_word_overlap() {
    let ws = Workspace::new();
    ws.index_kb();
    let o = run(
        &ws.index(),
        &[
            "--no-model",
            "ask",
            "--json",
            "register of legal requirements",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("word overlap"), "{}", stderr(&o));
    let a: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(a["abstained"], false, "{a}");
    assert_eq!(a["citations"][0]["chunk_id"], "en/sample-iso#1", "{a}");
}

#[test]
fn bad_questions_are_user_errors_with_one_clear_line() {
    let ws = Workspace::new();
    ws.index_kb();
    let long = "why ".repeat(400);
    for (q, says) in [
        ("   ", "empty question"),
        ("?!?! ### ***", "not a question"),
        ("\u{200c}", "empty question"),
        (long.as_str(), "question too long"),
    ] {
        let o = run(&ws.index(), &["--no-model", "ask", "--", q]);
        assert_eq!(o.status.code(), Some(2), "{q:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{q:?}: {err}");
    }
    // Library callers get the same user fault.
    let engine = Engine::open(&ws.index(), Err("--no-model".into())).unwrap();
    let e = ask(&engine, "", &AskOptions::default()).unwrap_err();
    assert_eq!(e.fault(), Fault::User);
}
