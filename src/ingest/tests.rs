//! Chunker invariants on Persian and English fixtures written for these tests.

use super::*;

const FA_LAW: &str = "---\ntitle: قانون نمونه حفاظت\ndoc_type: law\nlang: fa\n---\n# قانون نمونه حفاظت\n\nمقدمه‌ای کوتاه درباره این قانون.\n\n## فصل اول: کلیات\n\n### ماده ۱: هدف\n\nهدف این قانون حفاظت از محیط زیست است.\n\n### ماده ۶: وظایف سازمان\n\nسازمان وظایف زیر را دارد.\n\nبند «الف»: تهیه ضوابط و معیارها.\n\nبند «د»: آموزش همگانی و افزایش آگاهی زیست‌محیطی.\n\nتبصره ۱: آیین‌نامه اجرایی را دولت تصویب می‌کند.\n\n### ماده ۷: همکاری دستگاه‌ها\n\nدستگاه‌ها باید همکاری کنند.\n";

const EN_ISO: &str = "# ISO 14001 study notes\n\n## 6 Planning\n\n### 6.1 Actions to address risks\n\n#### 6.1.2 Environmental aspects\n\nThe organization identifies the aspects of its activities.\n\n#### 6.1.3 Compliance obligations\n\nIt determines its legal requirements.\n\n## 7 Support\n\nResources, competence and awareness.\n";

fn doc(text: &str, id: &str) -> Document {
    let loaded = loader::load(
        Path::new("x.md"),
        Format::Markdown,
        text.as_bytes().to_vec(),
    )
    .unwrap();
    build_document(
        id.into(),
        PathBuf::from("x.md"),
        "h".into(),
        loaded,
        ChunkLimits::default(),
    )
}

fn check_invariants(d: &Document, body_start: usize) {
    assert!(!d.chunks.is_empty());
    let mut covered_to = body_start;
    for (i, c) in d.chunks.iter().enumerate() {
        assert!(
            c.start < c.end && c.end <= d.text.len(),
            "chunk {i} span out of range"
        );
        assert!(d.text.is_char_boundary(c.start) && d.text.is_char_boundary(c.end));
        assert!(
            c.start >= body_start,
            "chunk {i} starts inside the front matter"
        );
        assert_eq!(c.text, &d.text[c.start..c.end]);
        assert!(
            c.start <= covered_to,
            "gap before chunk {i}: bytes {covered_to}..{} in no chunk",
            c.start
        );
        covered_to = covered_to.max(c.end);
        assert_eq!(c.id, chunk_id(&d.id, i as u32));
    }
    assert_eq!(
        covered_to,
        d.text.len(),
        "the end of the body is in no chunk"
    );
}

fn body_start_of(text: &str) -> usize {
    loader::load(
        Path::new("x.md"),
        Format::Markdown,
        text.as_bytes().to_vec(),
    )
    .unwrap()
    .body_start
}

#[test]
fn persian_law_chunks_follow_articles_clauses_and_notes() {
    let d = doc(FA_LAW, "fa/law");
    check_invariants(&d, body_start_of(FA_LAW));
    let find = |needle: &str| d.chunks.iter().find(|c| c.text.contains(needle)).unwrap();
    let clause_d = find("آموزش همگانی");
    assert_eq!(clause_d.article.as_deref(), Some("6"));
    assert_eq!(clause_d.clause.as_deref(), Some("د"));
    assert_eq!(
        clause_d.breadcrumb,
        vec![
            "قانون نمونه حفاظت",
            "فصل اول: کلیات",
            "ماده ۶: وظایف سازمان",
            "بند «د»"
        ]
    );
    let note = find("آیین‌نامه اجرایی");
    assert_eq!(
        (
            note.article.as_deref(),
            note.note.as_deref(),
            note.clause.as_deref()
        ),
        (Some("6"), Some("1"), None)
    );
    let art7 = find("همکاری کنند");
    assert_eq!(
        (art7.article.as_deref(), art7.clause.as_deref()),
        (Some("7"), None)
    );
    // A heading with no text of its own («فصل اول») joins the chunk that follows.
    assert!(find("هدف این قانون").text.contains("فصل اول"));
    assert_eq!(d.lang, Lang::Fa);
}

#[test]
fn iso_headings_give_clause_numbers() {
    let d = doc(EN_ISO, "en/iso");
    check_invariants(&d, 0);
    let aspects = d
        .chunks
        .iter()
        .find(|c| c.text.contains("aspects of its"))
        .unwrap();
    assert_eq!(aspects.clause.as_deref(), Some("6.1.2"));
    assert_eq!(
        aspects.breadcrumb.last().map(String::as_str),
        Some("6.1.2 Environmental aspects")
    );
    assert_eq!(aspects.breadcrumb[0], "ISO 14001 study notes");
    let support = d
        .chunks
        .iter()
        .find(|c| c.text.contains("Resources"))
        .unwrap();
    assert_eq!(support.clause.as_deref(), Some("7"));
    assert_eq!(d.lang, Lang::En);
}

#[test]
fn long_unstructured_text_is_split_with_overlap_and_full_coverage() {
    let sentence = "این یک جمله نمونه درباره مدیریت پسماند صنعتی است. ";
    let text = sentence.repeat(200);
    let d = doc(&text, "fa/long");
    check_invariants(&d, 0);
    assert!(d.chunks.len() > 5);
    for c in &d.chunks {
        assert!(c.text.chars().count() <= ChunkLimits::default().max_chars);
    }
    for pair in d.chunks.windows(2) {
        assert!(
            pair[1].start < pair[0].end,
            "consecutive pieces should overlap"
        );
    }
}

#[test]
fn a_huge_line_without_sentence_ends_is_still_bounded() {
    let text = "واژه ".repeat(5000);
    let d = doc(&text, "fa/line");
    check_invariants(&d, 0);
    assert!(d
        .chunks
        .iter()
        .all(|c| c.text.chars().count() <= ChunkLimits::default().max_chars));
}

proptest::proptest! {
    #[test]
    fn invariants_hold_on_generated_documents(
        parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("## فصل دوم\n".to_string()),
                proptest::strategy::Just("### ماده ۱۲: عنوان\n".to_string()),
                proptest::strategy::Just("بند «ب»: متن بند.\n".to_string()),
                proptest::strategy::Just("تبصره: یادداشت\n".to_string()),
                proptest::strategy::Just("4.4.1 General\n".to_string()),
                proptest::strategy::Just("\n".to_string()),
                "[a-zآ-ی \u{200C}.؟]{0,300}\n",
            ],
            1..40,
        )
    ) {
        let text: String = parts.concat();
        proptest::prop_assume!(!text.trim().is_empty());
        let d = build_document(
            "p".into(),
            PathBuf::from("p.txt"),
            "h".into(),
            loader::Loaded::plain(text.clone(), 0, DocMeta::default()),
            ChunkLimits { max_chars: 200, target_chars: 120, overlap_chars: 30 },
        );
        check_invariants(&d, 0);
    }
}

/// The units (article, تبصره, بند) of one fixture law, as "ماده/تبصره/بند" keys.
fn units_of(file: &str) -> (Document, std::collections::BTreeSet<String>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/laws");
    let path = root.join(file);
    let found = FoundFile {
        doc_id: doc_id_for(&root, &path),
        path: path.clone(),
    };
    let d = load_document(
        &found,
        std::fs::read(&path).unwrap(),
        ChunkLimits::default(),
    )
    .unwrap_or_else(|e| panic!("{file}: {e}"));
    check_invariants(&d, 0);
    let units = d
        .chunks
        .iter()
        .filter_map(|c| {
            let a = c.article.as_deref()?;
            Some(match (&c.note, &c.clause) {
                (Some(n), _) => format!("{a}/تبصره {n}"),
                (None, Some(b)) => format!("{a}/بند {b}"),
                (None, None) => a.to_string(),
            })
        })
        .collect();
    (d, units)
}

fn set(items: &[&str]) -> std::collections::BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_unit_of_the_markdown_law_is_recognized() {
    let (d, units) = units_of("hava-pak.md");
    assert_eq!(
        units,
        set(&[
            "1",
            "1/بند الف",
            "1/بند ب",
            "1/بند ج",
            "2",
            "2/تبصره 1",
            "2/تبصره 2",
            "3",
            "4",
            "5",
            "5/تبصره ",
            "6",
            "6/بند 1",
            "6/بند 2",
            "7"
        ])
    );
    let five = d
        .chunks
        .iter()
        .find(|c| c.article.as_deref() == Some("5"))
        .unwrap();
    assert_eq!(five.amendment.as_deref(), Some("اصلاحی ۱۳۹۸/۰۳/۱۲"));
    assert_eq!(
        five.breadcrumb,
        vec![
            "قانون هوای پاک شهرهای نمونه",
            "فصل دوم – منابع ثابت",
            "ماده ۵ (اصلاحی ۱۳۹۸)"
        ]
    );
    // «بند ۷ این قانون ...» is a paragraph of ماده ۷, not a clause heading.
    let seven = d
        .chunks
        .iter()
        .find(|c| c.text.contains("پاراگراف توضیحی"))
        .unwrap();
    assert_eq!(
        (seven.article.as_deref(), seven.clause.as_deref()),
        (Some("7"), None)
    );
}

#[test]
fn every_unit_of_the_text_law_is_recognized() {
    let (d, units) = units_of("pasmand.txt");
    assert_eq!(
        units,
        set(&[
            "1",
            "2",
            "2/تبصره 1",
            "2/تبصره 2",
            "3",
            "3/بند الف",
            "3/بند ب",
            "3/بند ج",
            "3/بند د",
            "4",
            "4/تبصره ",
            "5",
            "6",
            "6 مکرر",
            "6 مکرر 1",
            "7",
            "8",
            "8/بند 1",
            "8/بند 2",
            "8/بند 3",
            "8/تبصره 1",
            "9",
            "10",
            "11"
        ])
    );
    let crumbs: Vec<String> = d
        .chunks
        .iter()
        .filter_map(|c| c.breadcrumb.last().cloned())
        .collect();
    for label in [
        "ماده ۵ (الحاقی ۱۴۰۲)",
        "ماده ۷ (اصلاحی)",
        "ماده ۶ مکرر ۱",
        "بند «د»",
        "بند 2",
    ] {
        assert!(
            crumbs.iter().any(|c| c == label),
            "{label} not in {crumbs:?}"
        );
    }
    // No chunk holds two articles.
    for c in &d.chunks {
        let articles = c.text.lines().filter(|l| l.starts_with("ماده")).count();
        assert!(articles <= 1, "{}: {:?}", c.id, c.text);
    }
}

#[test]
fn every_unit_of_the_html_laws_is_recognized() {
    let (_, units) = units_of("jangal.html");
    assert_eq!(
        units,
        set(&[
            "1",
            "1/تبصره ",
            "2",
            "2/بند الف",
            "2/بند ب",
            "2/بند ج",
            "2/تبصره 1",
            "2/تبصره 2",
            "3",
            "3 مکرر",
            "4",
            "5"
        ])
    );
    let (_, units) = units_of("talab-kohestan.html");
    assert_eq!(
        units,
        set(&["1", "2", "2/بند 1", "2/بند 2", "2/تبصره ", "3"])
    );
}

#[test]
fn every_unit_of_the_pdf_law_is_recognized() {
    let (d, units) = units_of("talab.pdf");
    assert_eq!(
        units,
        set(&[
            "1",
            "2",
            "2/تبصره 1",
            "2/تبصره 2",
            "3",
            "3/بند الف",
            "3/بند ب",
            "3/بند ج",
            "4"
        ])
    );
    assert!(d.chunks.iter().any(|c| c
        .breadcrumb
        .last()
        .is_some_and(|l| l == "ماده ۴ (اصلاحی ۱۴۰۰)")));
}
