//! Law pages as law sites and gazettes publish them (tests/fixtures/laws: made-up laws in
//! real layouts, as Markdown, text, HTML and PDF; a single-article law and markers stretched
//! with tatweel among them): the real binary indexes the folder,
//! structural look-ups land on the exact article, تبصره or بند in lexical and hybrid mode,
//! a missing article gives the not-found note, and every breadcrumb over the fixtures and
//! the shipped corpus is clean (no emphasis or heading marks, no word cut in half).

use std::path::Path;

use envkb::ingest::{find_files, load_document, ChunkLimits, Document};

use super::util::*;

fn laws() -> std::path::PathBuf {
    fixtures().join("laws")
}

fn load_all(root: &Path) -> Vec<Document> {
    let (files, skipped) = find_files(root).unwrap();
    assert!(skipped.is_empty(), "{skipped:?}");
    files
        .iter()
        .map(|f| {
            load_document(f, std::fs::read(&f.path).unwrap(), ChunkLimits::default())
                .unwrap_or_else(|e| panic!("{}: {e}", f.path.display()))
        })
        .collect()
}

/// Letters (with ZWNJ and diacritics) and digits are separate word classes, so «ماده۶»
/// holds the words «ماده» and «6».
#[derive(PartialEq, Clone, Copy)]
enum Class {
    Letter,
    Digit,
}

fn class(c: char) -> Option<Class> {
    if c.is_numeric() {
        Some(Class::Digit)
    } else if c.is_alphabetic() || matches!(c, '\u{200C}' | '\u{064B}'..='\u{065F}' | '\u{0670}') {
        Some(Class::Letter)
    } else {
        None
    }
}

/// The words of `text`: runs of one class.
fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<(usize, Class)> = None;
    for (i, c) in text.char_indices() {
        let k = class(c);
        if let Some((s, sk)) = start {
            if k != Some(sk) {
                out.push(&text[s..i]);
                start = None;
            }
        }
        if start.is_none() {
            start = k.map(|k| (i, k));
        }
    }
    if let Some((s, _)) = start {
        out.push(&text[s..]);
    }
    out
}

/// Whether `word` occurs in `text` as a whole word (not as the start of a longer one).
fn has_whole_word(text: &str, word: &str) -> bool {
    let k = word.chars().next().and_then(class);
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back().and_then(class);
        let after = text[i + word.len()..].chars().next().and_then(class);
        before != k && after != k
    })
}

const LABEL_WORDS: [&str; 7] = ["ماده", "تبصره", "بند", "مکرر", "article", "clause", "note"];

/// Breadcrumbs carry no Markdown marks, and every word of every crumb below the title is
/// a whole word of the document (a label cut mid-word, «زیست‌م», is not).
fn check_breadcrumbs(docs: &[Document]) {
    let mut checked = 0;
    for d in docs {
        let text = envkb::text::normalize(&d.text);
        for c in &d.chunks {
            for crumb in &c.breadcrumb {
                assert!(
                    !crumb.contains(['*', '_', '#']),
                    "{}: breadcrumb {:?} carries formatting",
                    c.id,
                    c.breadcrumb
                );
            }
            for crumb in c.breadcrumb.iter().skip(1) {
                if crumb.ends_with('…') {
                    continue;
                }
                let crumb = envkb::text::normalize(crumb);
                // The unit names a label adds («بند «الف»» for «الف-») are not cut words.
                for word in words(&crumb)
                    .into_iter()
                    .filter(|w| !LABEL_WORDS.contains(w))
                {
                    assert!(
                        has_whole_word(&text, word),
                        "{}: breadcrumb {:?} has {word:?}, not a whole word of the text",
                        c.id,
                        c.breadcrumb
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} breadcrumb words checked");
}

#[test]
fn breadcrumbs_over_the_fixtures_and_the_corpus_are_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    check_breadcrumbs(&load_all(&laws()));
    check_breadcrumbs(&load_all(&root.join("corpus")));
}

#[test]
fn titles_come_from_the_content() {
    let docs = load_all(&laws());
    let title = |id: &str| docs.iter().find(|d| d.id == id).unwrap().title.clone();
    assert_eq!(
        title("pasmand"),
        "قانون مدیریت پسماندهای شهری و صنعتی نمونه"
    );
    assert_eq!(title("jangal"), "قانون حفاظت از جنگل‌ها و مراتع نمونه");
    assert_eq!(
        title("talab-kohestan"),
        "قانون حفظ چشمه‌ها و قنات‌های کوهستانی نمونه"
    );
    assert_eq!(title("hava-pak"), "قانون هوای پاک شهرهای نمونه");
    assert_eq!(title("talab"), "قانون حفاظت از تالاب‌های نمونه");
    assert_eq!(
        title("ab-zirzamini"),
        "قانون حفاظت از منابع آب زیرزمینی نمونه"
    );
    assert_eq!(
        title("payesh-dudkesh"),
        "قانون نمونه الزام کارگاه‌ها به پایش برخط دودکش"
    );
    assert_eq!(
        title("pasmand-azmayeshgah"),
        "آیین‌نامه نمونه پسماند آزمایشگاه‌ها"
    );
}

fn hit_units(r: &serde_json::Value) -> (String, String, Option<String>) {
    let h = &r["hits"][0];
    (
        h["doc_id"].as_str().unwrap_or_default().to_string(),
        h["article"].as_str().unwrap_or_default().to_string(),
        h["breadcrumb"]
            .as_array()
            .and_then(|b| b.last())
            .and_then(|l| l.as_str())
            .map(str::to_string),
    )
}

#[test]
fn lookups_land_on_the_exact_unit_and_missing_articles_get_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let models = models_dir();
    let m = |args: &[&str]| {
        let mut all = vec!["--model-dir", models.as_str()];
        all.extend_from_slice(args);
        json(&index, &all)
    };
    let report = m(&["index", laws().to_str().unwrap(), "--json"]);
    assert_eq!(report["documents"], 10, "{report}");
    let cases = [
        ("تبصره ۲ ماده ۲ قانون هوای پاک", "hava-pak", "2", "تبصره ۲"),
        ("بند ب ماده ۱ قانون هوای پاک", "hava-pak", "1", "بند «ب»"),
        (
            "ماده ۵ قانون هوای پاک",
            "hava-pak",
            "5",
            "ماده ۵ (اصلاحی ۱۳۹۸)",
        ),
        (
            "ماده 6 مکرر 1 قانون مدیریت پسماند",
            "pasmand",
            "6 مکرر 1",
            "ماده ۶ مکرر ۱",
        ),
        (
            "قانون مدیریت پسماند ماده ۳ بند د",
            "pasmand",
            "3",
            "بند «د»",
        ),
        ("تبصره ماده ۱ قانون جنگل‌ها", "jangal", "1", "تبصره"),
        ("ماده ۲ تبصره ۱ قانون تالاب‌ها", "talab", "2", "تبصره ۱"),
    ];
    for mode in ["lexical", "hybrid"] {
        for (q, doc, article, label) in cases {
            let r = m(&["search", "--json", "--mode", mode, q]);
            assert_eq!(
                hit_units(&r),
                (
                    doc.to_string(),
                    article.to_string(),
                    Some(label.to_string())
                ),
                "{mode} {q}: {r}"
            );
            assert!(r.get("note").is_none(), "{r}");
        }
    }
    // A missing article: a note naming the law, and the closest articles first.
    let r = m(&[
        "search",
        "--json",
        "--mode",
        "hybrid",
        "ماده ۹۹ قانون مدیریت پسماند",
    ]);
    let note = r["note"].as_str().unwrap_or_default();
    assert!(
        note.starts_with("قانون مدیریت پسماندهای شهری و صنعتی نمونه ماده ۹۹ ندارد"),
        "{r}"
    );
    assert_eq!(r["hits"][0]["article"], "11", "{r}");
    assert!(r["hits"].as_array().unwrap().len() >= 3, "{r}");
    // The same note as one line of the plain CLI output.
    let o = run(
        &index,
        &[
            "--model-dir",
            &models,
            "search",
            "--mode",
            "lexical",
            "ماده ۹۹ قانون مدیریت پسماند",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o)
            .lines()
            .next()
            .unwrap_or_default()
            .contains("ماده ۹۹ ندارد"),
        "{}",
        stdout(&o)
    );
    // A تبصره the article does not have: the note says so and the article comes first.
    let r = m(&[
        "search",
        "--json",
        "--mode",
        "lexical",
        "تبصره ۵ ماده ۲ قانون هوای پاک",
    ]);
    assert!(
        r["note"]
            .as_str()
            .unwrap_or_default()
            .contains("تبصره ۵ ندارد"),
        "{r}"
    );
    assert_eq!(r["hits"][0]["article"], "2", "{r}");
    // The look-up set over the fixtures, scored by `envkb eval`.
    let queries = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/laws/lookups.jsonl");
    for mode in ["lexical", "hybrid"] {
        let e = m(&[
            "eval",
            "--json",
            "--mode",
            mode,
            "--queries",
            queries.to_str().unwrap(),
        ]);
        assert_eq!(e["queries"], 66, "{e}");
        assert!(e["recall@1"].as_f64().unwrap() >= 0.98, "{mode}: {e}");
    }
}

/// A general policy numbers its «بند»s at the top, with no article (made-up text in the
/// layout such documents are published in).
const POLICY: &str = "---\ntitle: \"سیاست‌های کلی آبخیزداری (نمونه آموزشی)\"\nlang: fa\n---\n\n# سیاست‌های کلی آبخیزداری (نمونه آموزشی)\n\nاین سند نمونه برای آزمون نوشته شده و متن رسمی نیست. این راهنما می‌گوید سیاست‌های کلی آبخیزداری چه می‌خواهند: بند ۳ سیاست‌های کلی آبخیزداری بر بند ۱ و بند ۲ سیاست‌های کلی آبخیزداری تکیه دارد، و هر بند ۳ و بند ۲ را باید با هم خواند.\n\n### بند ۱: نگهداشت آب باران\n\nدستگاه‌ها باید آب باران را در حوضه‌های بالادست نگه دارند و از هدررفت آن جلوگیری کنند. گزارش سالانه حجم آب نگه‌داشته‌شده را نشان می‌دهد و سدهای کوچک خاکی بازبینی می‌شوند.\n\n### بند ۲: مهار فرسایش خاک\n\nکاشت گونه‌های بومی در شیب‌های تند برای مهار فرسایش خاک در اولویت است. بذرپاشی پس از نخستین باران پاییزی انجام می‌شود و چرای دام در سال‌های نخست محدود می‌ماند.\n\n### بند ۳: مشارکت روستاییان\n\nطرح‌های آبخیزداری با مشارکت روستاییان هر حوضه اجرا می‌شوند. شوراهای محلی برنامه نگهداری سازه‌ها را تصویب می‌کنند و سهم کار داوطلبانه ثبت می‌شود.\n";

#[test]
fn a_clause_at_the_top_of_a_policy_is_found_by_its_number_and_the_document_name() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    std::fs::create_dir_all(&kb).unwrap();
    std::fs::write(kb.join("policy-watershed.md"), POLICY).unwrap();
    let index = dir.path().join("index");
    json(
        &index,
        &["--no-model", "index", kb.to_str().unwrap(), "--json"],
    );
    let top = |q: &str| -> (String, serde_json::Value) {
        let r = json(
            &index,
            &["search", "--json", "--mode", "lexical", "-k", "3", q],
        );
        (r["hits"][0]["breadcrumb"].to_string(), r)
    };
    // «بند ۳» holds none of the question's other words, yet comes first.
    let (crumb, r) = top("بند ۳ سیاست‌های کلی آبخیزداری چه می‌گوید؟");
    assert!(crumb.contains("بند ۳"), "{r}");
    let (crumb, r) = top("بند 2 سیاست های کلی آبخیزداری");
    assert!(crumb.contains("بند ۲"), "{r}");
}

#[test]
fn a_single_article_law_and_stretched_markers_are_looked_up_by_unit() {
    // The fixtures payesh-dudkesh.txt («ماده واحده» and its notes) and
    // pasmand-azmayeshgah.html (markers stretched with tatweel, in bold and in a span).
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    json(
        &index,
        &["--no-model", "index", laws().to_str().unwrap(), "--json"],
    );
    let first = |q: &str| -> serde_json::Value {
        let r = json(
            &index,
            &["search", "--json", "--mode", "lexical", "-k", "3", q],
        );
        r["hits"][0].clone()
    };
    let h = first("تبصره ۲ ماده واحده قانون الزام کارگاه‌ها به پایش برخط");
    assert_eq!(h["article"], "واحده", "{h}");
    assert!(h["snippet"].as_str().unwrap().contains("عوارض"), "{h}");
    let h = first("ماده واحده قانون الزام کارگاه‌ها به پایش برخط دودکش");
    assert!(h["snippet"].as_str().unwrap().contains("ظرف یک سال"), "{h}");
    // «مـــاده ۳» is article 3, not a clause «م» of article 2.
    let h = first("ماده ۳ آیین‌نامه پسماند آزمایشگاه");
    assert_eq!(h["article"], "3", "{h}");
    assert!(h["clause"].is_null(), "{h}");
    assert!(
        h["snippet"].as_str().unwrap().contains("خودروی دارای مجوز"),
        "{h}"
    );
    let h = first("ماده ۲ آیین‌نامه پسماند آزمایشگاه");
    assert!(h["snippet"].as_str().unwrap().contains("بی‌اثرسازی"), "{h}");
}
