//! Trainer exercises end to end with the real model on documents of the shipped corpus:
//! every kind in Persian and in English, every item valid against the index (and tampered
//! items rejected), deterministic output per seed, well-formed right-to-left HTML, and one-line
//! errors for a trainer's mistakes.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use envkb::engine::{Engine, LoadedModel};
use envkb::exercises::render::{render, Format};
use envkb::exercises::{generate, validate, Body, ExerciseOptions, ExerciseSet, Item, Kind};
use envkb::text::Lang;

use super::util::*;

/// Documents of `corpus/` the tests index: a law (articles, clauses, numbers) and the course
/// handout on Persian normalization (ZWNJ compounds), each in Persian and English. The whole
/// corpus would take minutes to embed in a debug build.
const DOCS: [&str; 4] = [
    "fa/law-environmental-protection-1.md",
    "en/law-environmental-protection-1.md",
    "fa/course-ai-persian-normalization.md",
    "en/course-ai-persian-normalization.md",
];

/// The index of [`DOCS`], built once per test run with the model.
fn corpus_index() -> &'static Path {
    static INDEX: OnceLock<PathBuf> = OnceLock::new();
    INDEX.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("exercises-corpus");
        let _ = std::fs::remove_dir_all(&root);
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        for d in DOCS {
            let to = root.join("kb").join(d);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(corpus.join(d), to).unwrap();
        }
        let index = root.join("index");
        let kb = root.join("kb");
        let r = json(
            &index,
            &[
                "--model-dir",
                &models_dir(),
                "index",
                kb.to_str().unwrap(),
                "--json",
            ],
        );
        assert_eq!(r["vectors"], r["chunks"], "{r}");
        index
    })
}

fn engine() -> Engine {
    let model = LoadedModel::load(Path::new(&models_dir())).map_err(|e| e.to_string());
    let engine = Engine::open(corpus_index(), model).unwrap();
    assert!(
        engine.vectors.is_some(),
        "{:?}",
        engine.semantic_unavailable
    );
    engine
}

/// The set both the library test and the command test look at: English, seed 7, one item
/// of each kind (generated once; generation is the slow part).
fn english_set() -> &'static ExerciseSet {
    static SET: OnceLock<ExerciseSet> = OnceLock::new();
    SET.get_or_init(|| generate(&engine(), &options(Lang::En)).unwrap())
}

fn options(lang: Lang) -> ExerciseOptions {
    ExerciseOptions {
        topic: None,
        doc_type: Some("law".into()),
        count: 1,
        lang,
        kinds: Kind::ALL.to_vec(),
        seed: 7,
    }
}

fn kinds_of(set: &ExerciseSet) -> Vec<Kind> {
    let mut k: Vec<Kind> = set.items.iter().map(|i| i.body.kind()).collect();
    k.dedup();
    k
}

/// A copy of `item` with its key made wrong in a way validation must notice.
fn tampered(item: &Item) -> Item {
    let mut bad = item.clone();
    match &mut bad.body {
        Body::FindTheSource(x) => x.key.source.chunk_id = "fa/no-such-doc#0".into(),
        Body::RetrieverDisagreement(x) => x.task.semantic.reverse(),
        Body::CiteCheck(x) => {
            let n = x.task.sources.len();
            x.key.swapped = x.key.swapped % n + 1;
        }
        Body::Normalization(x) => x.key.matches = !x.key.matches,
    }
    bad
}

#[test]
fn sets_in_persian_and_english_have_every_kind_and_only_valid_items() {
    let engine = engine();
    let persian = generate(&engine, &options(Lang::Fa)).unwrap();
    for (lang, set) in [(Lang::Fa, &persian), (Lang::En, english_set())] {
        assert_eq!(
            kinds_of(set),
            Kind::ALL.to_vec(),
            "{lang:?}: {:#?}",
            set.report
        );
        for r in &set.report {
            assert_eq!(r.written, 1, "{lang:?}: {r:?}");
        }
        for item in &set.items {
            assert_eq!(validate(&engine, item).unwrap(), Ok(()), "{}", item.id);
            assert!(
                validate(&engine, &tampered(item)).unwrap().is_err(),
                "tampered {} passed validation",
                item.id
            );
            // The passages an item names are in the handout's language.
            if let Body::FindTheSource(x) = &item.body {
                assert_eq!(x.key.source.lang, lang.code());
                assert!(x
                    .key
                    .source
                    .doc_id
                    .starts_with(&format!("{}/law", lang.code())));
            }
        }
        // The key in JSONL holds whole items that come back as they were.
        let r = render(set, Format::Jsonl);
        let back: Vec<Item> = r
            .key
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(back, set.items);
        for line in r.exercises.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(v["task"].is_object() && v.get("key").is_none(), "{v}");
        }
        check_html(set, lang);
    }
}

/// The handout and key in HTML parse without errors, declare language and direction, are
/// self-contained, and show every item.
fn check_html(set: &ExerciseSet, lang: Lang) {
    use scraper::{Html, Selector};
    let r = render(set, Format::Html);
    for (name, page) in [("exercises", &r.exercises), ("key", &r.key)] {
        let doc = Html::parse_document(page);
        assert!(doc.errors.is_empty(), "{name} ({lang:?}): {:?}", doc.errors);
        let root = doc
            .select(&Selector::parse("html").unwrap())
            .next()
            .unwrap();
        let (want_lang, want_dir) = match lang {
            Lang::Fa => ("fa", "rtl"),
            Lang::En => ("en", "ltr"),
        };
        assert_eq!(root.value().attr("lang"), Some(want_lang));
        assert_eq!(root.value().attr("dir"), Some(want_dir));
        assert!(
            !page.contains("<script") && !page.contains("http://") && !page.contains("https://")
        );
        assert!(page.contains("@media print"));
        let h2 = Selector::parse("h2").unwrap();
        assert!(doc.select(&h2).count() >= 4, "{name}: one section per kind");
        for item in &set.items {
            assert!(
                page.contains(&format!("{}<", item.id)),
                "{name} lacks {}",
                item.id
            );
        }
        for tag in ["table", "tr", "td", "section", "div", "svg", "ol", "li"] {
            assert_eq!(
                page.matches(&format!("<{tag}>")).count()
                    + page.matches(&format!("<{tag} ")).count(),
                page.matches(&format!("</{tag}>")).count(),
                "{name}: unbalanced <{tag}>"
            );
        }
    }
    // The key holds the answers and a chart; the handout holds neither.
    let cloze_answer = set.items.iter().find_map(|i| match &i.body {
        Body::FindTheSource(x) => Some(x.key.answer.clone()),
        _ => None,
    });
    assert!(r.key.contains("<svg") && !r.exercises.contains("<svg"));
    if let Some(a) = cloze_answer {
        assert!(r
            .key
            .contains(&format!("<span class=\"answer\">{a}</span>")));
        assert!(!r.exercises.contains("class=\"answer\""));
    }
}

fn generate_cli(out: &Path, seed: &str, kinds: &str) -> serde_json::Value {
    json(
        corpus_index(),
        &[
            "--model-dir",
            &models_dir(),
            "exercises",
            "--doc-type",
            "law",
            "--lang",
            "en",
            "--count",
            "1",
            "--seed",
            seed,
            "--kinds",
            kinds,
            "--format",
            "jsonl",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
    )
}

#[test]
fn the_command_is_deterministic_per_seed_and_writes_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, c) = (dir.path().join("a"), dir.path().join("c"));
    // The same options and seed as `english_set`, in another process: the same set, byte for byte.
    let all = "find-the-source,retriever-disagreement,cite-check,normalization";
    let summary = generate_cli(&a, "7", all);
    assert_eq!(summary["items"], 4, "{summary}");
    assert!(summary["dropped"].is_number());
    assert_eq!(summary["kinds"].as_array().unwrap().len(), 4);
    let read = |d: &Path, f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    let expected = render(english_set(), Format::Jsonl);
    assert_eq!(
        read(&a, "key.jsonl"),
        expected.key,
        "another run gave another set"
    );
    assert_eq!(read(&a, "exercises.jsonl"), expected.exercises);
    // Kinds draw from separate streams, so the cheap kinds alone show what another seed does.
    generate_cli(&c, "8", "find-the-source,normalization");
    let cheap = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| {
                l.contains("\"kind\":\"find-the-source\"")
                    || l.contains("\"kind\":\"normalization\"")
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(cheap(&expected.key).len(), 2);
    assert_ne!(
        cheap(&expected.key),
        cheap(&read(&c, "key.jsonl")),
        "seeds 7 and 8 gave the same items"
    );
    // No temporary files are left beside the two outputs.
    let mut names: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["exercises.jsonl", "key.jsonl"]);
}

#[test]
fn a_trainers_mistakes_get_one_line_and_exit_2() {
    let index = corpus_index();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let base = ["--no-model", "exercises", "--out", out.to_str().unwrap()];
    let cases: [(&[&str], &str); 4] = [
        (&[], "--topic"),
        (&["--doc-type", "law", "--lang", "de"], "fa or en"),
        (&["--doc-type", "no-such-type"], "no fa chunks match"),
        (&["--doc-type", "law", "--count", "0"], "--count"),
    ];
    for (extra, needle) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let o = run(index, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
    // The disagreement kind alone cannot run without the model: said, not skipped silently.
    let o = run(
        index,
        &[
            "--no-model",
            "exercises",
            "--doc-type",
            "law",
            "--kinds",
            "retriever-disagreement",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("need the model"), "{}", stderr(&o));
    // An output folder that cannot be made (a file is in the way).
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let o = run(
        index,
        &[
            "--no-model",
            "exercises",
            "--doc-type",
            "law",
            "--kinds",
            "normalization",
            "--out",
            file.join("sub").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
    // Without the model the other kinds still work, lexically, and the skip is reported.
    let o = run(
        index,
        &[
            "--no-model",
            "exercises",
            "--doc-type",
            "law",
            "--count",
            "1",
            "--format",
            "md",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("retriever-disagreement: skipped"),
        "{}",
        stderr(&o)
    );
    let md = std::fs::read_to_string(out.join("exercises.md")).unwrap();
    assert!(
        md.starts_with("# تمرین") && md.contains("fs-1") && md.contains("nz-1"),
        "{md}"
    );
}
