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
            loader::Loaded { text: text.clone(), body_start: 0, meta: DocMeta::default(), pages: Vec::new() },
            ChunkLimits { max_chars: 200, target_chars: 120, overlap_chars: 30 },
        );
        check_invariants(&d, 0);
    }
}
