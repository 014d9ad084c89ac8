//! PDF and DOCX ingestion end to end: the committed fixtures (made by
//! scripts/make_pdf_fixtures.sh from tests/fixtures/pdf/src/*.md) are extracted and compared
//! with their Markdown source word by word, then indexed with Markdown files by the real
//! binary and found with their page numbers.

use std::path::Path;

use envkb::eval::word_order::{word_order_match, words};
use envkb::ingest::loader::{load, Format};

use super::util::*;

fn pdf_fixtures() -> std::path::PathBuf {
    fixtures().join("pdf")
}

/// The words a reader sees in a fixture's Markdown source: front matter, raw blocks
/// (page breaks), heading marks and table rules left out.
fn source_words(md: &str) -> Vec<String> {
    let body = md
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(_, body)| body)
        .unwrap_or(md);
    let mut text = String::new();
    let mut in_raw = false;
    for line in body.lines() {
        if line.starts_with("```") {
            in_raw = !in_raw;
            continue;
        }
        if in_raw || line.trim_start().starts_with("|--") || line.trim_start().starts_with("|-") {
            continue;
        }
        text.push_str(line.trim_start_matches('#'));
        text.push('\n');
    }
    words(&text)
}

fn load_fixture(name: &str) -> String {
    let path = pdf_fixtures().join(name);
    let format = Format::from_path(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    load(&path, format, bytes)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .text
}

/// The figure in docs/BENCHMARKS.md: share of source words recovered in order, ≥ 98%.
#[test]
fn fixtures_match_their_source_in_word_order() {
    let cases = [
        ("fa-simple.pdf", "fa-simple.md"),
        ("fa-simple.docx", "fa-simple.md"),
        ("mixed.pdf", "mixed.md"),
        ("mixed.docx", "mixed.md"),
        ("en-two-column.pdf", "en-two-column.md"),
    ];
    let mut failures = Vec::new();
    for (fixture, source) in cases {
        let src = source_words(
            &std::fs::read_to_string(pdf_fixtures().join("src").join(source)).unwrap(),
        );
        let text = load_fixture(fixture);
        let score = word_order_match(&src, &words(&text));
        println!(
            "word-order match {fixture:<20} {:>6.2}% of {} source words",
            score * 100.0,
            src.len()
        );
        if score < 0.98 {
            failures.push(format!("{fixture}: {:.2}%\n{text}", score * 100.0));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn running_headers_and_page_numbers_are_not_text() {
    let text = load_fixture("fa-simple.pdf");
    assert!(!text.contains("نسخه آموزشی"), "{text}");
    assert!(!text.contains("صفحه"), "{text}");
    assert!(
        text.contains("سلامت مردم"),
        "lam-alef ligature order: {text}"
    );
    let en = load_fixture("en-two-column.pdf");
    // Column by column: Article 3 ends in the left column before Article 4 starts.
    let (a3, a4) = (
        en.find("alternatives to be compared").unwrap(),
        en.find("Article 4").unwrap(),
    );
    assert!(a3 < a4, "{en}");
}

fn workspace_with_documents() -> Workspace {
    let ws = Workspace::new();
    let docs = ws.kb().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    let copy = |from: &str, to: &str| {
        std::fs::copy(pdf_fixtures().join(from), docs.join(to)).unwrap();
    };
    copy("fa-simple.pdf", "waste-regulation.pdf");
    copy("mixed.docx", "energy-guide.docx");
    copy("en-two-column.pdf", "eia-guide.pdf");
    ws
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn index_mixed_folder_then_find_a_persian_phrase_with_its_page() {
    let ws = workspace_with_documents();
    let bad = ws.kb().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::copy(pdf_fixtures().join("scanned.pdf"), bad.join("scanned.pdf")).unwrap();
    std::fs::copy(pdf_fixtures().join("encrypted.pdf"), bad.join("locked.pdf")).unwrap();
    let whole = std::fs::read(pdf_fixtures().join("mixed.pdf")).unwrap();
    write(&bad.join("truncated.pdf"), &whole[..whole.len() / 3]);
    write(
        &bad.join("garbage.pdf"),
        b"%PDF-1.7\n this is not a PDF body",
    );
    let docx = std::fs::read(pdf_fixtures().join("fa-simple.docx")).unwrap();
    write(&bad.join("cut.docx"), &docx[..docx.len() / 2]);

    // Without OCR the scan is refused for its missing text layer (OCR has its own tests).
    let report = json(
        &ws.index(),
        &[
            "--no-model",
            "index",
            ws.kb().to_str().unwrap(),
            "--json",
            "--ocr",
            "never",
        ],
    );
    // The four Markdown/text/HTML fixtures, two PDFs and a DOCX.
    assert_eq!(report["indexed"], 7, "{report}");
    let skipped: Vec<(String, String)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let path = s["path"].as_str().unwrap();
            let name = Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, s["reason"].as_str().unwrap().to_string())
        })
        .collect();
    let reason = |name: &str| {
        skipped
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{name} not skipped: {skipped:?}"))
    };
    assert_eq!(reason("scanned.pdf"), "no text layer (needs OCR)");
    assert!(reason("locked.pdf").contains("encrypted"), "{skipped:?}");
    assert!(
        reason("truncated.pdf").contains("damaged or truncated"),
        "{skipped:?}"
    );
    assert!(reason("garbage.pdf").contains("damaged"), "{skipped:?}");
    assert!(reason("cut.docx").contains("DOCX"), "{skipped:?}");
    assert_eq!(skipped.len(), 5, "{skipped:?}");

    // A phrase from the third page of the Persian PDF.
    let r = ws.search(&["\"بازرسان محیط زیست\""]);
    let hit = &r["hits"][0];
    assert_eq!(hit["doc_id"], "docs/waste-regulation", "{r}");
    assert_eq!(hit["page"], 3, "{hit}");
    assert_eq!(hit["article"], "6", "{hit}");
    // One from the second page.
    let r = ws.search(&["\"برگه همراه\""]);
    assert_eq!(r["hits"][0]["doc_id"], "docs/waste-regulation", "{r}");
    assert_eq!(r["hits"][0]["page"], 2, "{r}");
    // The DOCX and the two-column PDF are searchable too; DOCX hits have no page.
    let r = ws.search(&["شدت برق"]);
    assert_eq!(r["hits"][0]["doc_id"], "docs/energy-guide", "{r}");
    assert!(r["hits"][0].get("page").is_none(), "{r}");
    let r = ws.search(&["\"appeal within sixty days\""]);
    assert_eq!(r["hits"][0]["doc_id"], "docs/eia-guide", "{r}");
    assert_eq!(r["hits"][0]["page"], 1, "{r}");
    // Markdown documents are as before: no page key.
    let r = ws.search(&["پساب", "کارخانه"]);
    assert_eq!(r["hits"][0]["doc_id"], "fa/sample-law", "{r}");
    assert!(r["hits"][0].get("page").is_none(), "{r}");

    // The text output cites the page.
    let o = run(
        &ws.index(),
        &["search", "--mode", "lexical", "\"بازرسان محیط زیست\""],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("docs/waste-regulation#") && stdout(&o).contains(", p. 3"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn page_and_size_limits_skip_files_with_a_reason() {
    let ws = workspace_with_documents();
    let o = run(
        &ws.index(),
        &[
            "--no-model",
            "index",
            ws.kb().to_str().unwrap(),
            "--json",
            "--max-pages",
            "2",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let reasons: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 1, "{report}");
    assert!(reasons[0].starts_with("too many pages (3;"), "{report}");
    let o = run(
        &ws.index(),
        &[
            "--no-model",
            "index",
            ws.kb().to_str().unwrap(),
            "--max-pages",
            "0",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}
