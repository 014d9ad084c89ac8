//! Compares PDF text extraction candidates on the fixtures by word-order match
//! (docs/BENCHMARKS.md, "PDF and DOCX ingestion"):
//!   cargo run --release --features pdf-compare --example pdf_compare
//! Candidates: envkb's own extraction over lopdf (positions, layout, repair), the
//! `pdf-extract` crate, and lopdf's built-in `extract_text`; the two crates' text is
//! scored as they give it and after envkb's line repair (`persian::repair_line`).

use std::path::Path;

use envkb::eval::word_order::{word_order_match, words};
use envkb::ingest::persian::repair_line;
use envkb::ingest::IngestLimits;

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
        if in_raw || line.trim_start().starts_with("|-") {
            continue;
        }
        text.push_str(line.trim_start_matches('#'));
        text.push('\n');
    }
    words(&text)
}

fn repaired(text: &str) -> String {
    text.lines().map(repair_line).collect::<Vec<_>>().join("\n")
}

fn lopdf_builtin(bytes: &[u8]) -> Result<String, String> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| e.to_string())?;
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).map_err(|e| e.to_string())
}

fn pdf_extract_crate(bytes: &[u8]) -> Result<String, String> {
    std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes))
        .map_err(|_| "panicked".to_string())?
        .map(|pages| pages.join("\n"))
        .map_err(|e| e.to_string())
}

fn envkb_own(bytes: &[u8]) -> Result<String, String> {
    envkb::ingest::pdf::extract(bytes, &IngestLimits::default())
        .map(|t| {
            t.pages
                .iter()
                .map(|p| p.join("\n"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .map_err(|e| e.to_string())
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pdf");
    type Candidate = (&'static str, fn(&[u8]) -> Result<String, String>, bool);
    let candidates: [Candidate; 5] = [
        ("envkb (lopdf + own layout)", envkb_own, false),
        ("pdf-extract", pdf_extract_crate, false),
        ("pdf-extract + repair", pdf_extract_crate, true),
        ("lopdf extract_text", lopdf_builtin, false),
        ("lopdf extract_text + repair", lopdf_builtin, true),
    ];
    let fixtures = ["fa-simple", "mixed", "en-two-column"];
    print!("| candidate |");
    for f in fixtures {
        print!(" {f}.pdf |");
    }
    println!("\n|---|{}", "---:|".repeat(fixtures.len()));
    for (name, run, repair) in candidates {
        print!("| {name} |");
        for f in fixtures {
            let bytes = std::fs::read(dir.join(format!("{f}.pdf"))).unwrap();
            let src =
                source_words(&std::fs::read_to_string(dir.join(format!("src/{f}.md"))).unwrap());
            match run(&bytes) {
                Ok(text) => {
                    let text = if repair { repaired(&text) } else { text };
                    print!(" {:.1}% |", 100.0 * word_order_match(&src, &words(&text)));
                }
                Err(e) => print!(" error: {} |", e.chars().take(40).collect::<String>()),
            }
        }
        println!();
    }
}
