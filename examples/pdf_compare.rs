//! Compares PDF text extraction candidates on the fixtures by word-order match
//! (docs/BENCHMARKS.md, "PDF and DOCX ingestion"): `scripts/pdf_compare.sh`, which first
//! dumps `pdf-extract`'s text with `tools/pdf-dump` (its own workspace) and then runs
//!   cargo run --example pdf_compare -- DUMP_DIR
//! Candidates: envkb's own extraction over lopdf (positions, layout, repair), the
//! `pdf-extract` crate (read from DUMP_DIR), and lopdf's built-in `extract_text`; the two
//! crates' text is scored as they give it and after envkb's line repair
//! (`persian::repair_line`).
// A bench stops at the first failure; that is what its unwraps say.
#![allow(clippy::unwrap_used)]

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

/// What `tools/pdf-dump` wrote for a fixture: its text, or the error it got.
fn pdf_extract_dump(dump: &Path, stem: &str) -> Result<String, String> {
    match std::fs::read_to_string(dump.join(format!("{stem}.pdf-extract.txt"))) {
        Ok(text) => Ok(text),
        Err(_) => Err(
            std::fs::read_to_string(dump.join(format!("{stem}.pdf-extract.err")))
                .unwrap_or_else(|_| "no dump: run scripts/pdf_compare.sh".into()),
        ),
    }
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
    let Some(dump) = std::env::args().nth(1).map(std::path::PathBuf::from) else {
        eprintln!(
            "usage: pdf_compare DUMP_DIR (made by tools/pdf-dump; see scripts/pdf_compare.sh)"
        );
        std::process::exit(2);
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pdf");
    let fixtures = ["fa-simple", "mixed", "en-two-column"];
    let own = |bytes: &[u8], _: &str| envkb_own(bytes);
    let lopdf = |bytes: &[u8], _: &str| lopdf_builtin(bytes);
    let extract = |_: &[u8], stem: &str| pdf_extract_dump(&dump, stem);
    type Candidate<'a> = (
        &'static str,
        &'a dyn Fn(&[u8], &str) -> Result<String, String>,
        bool,
    );
    let candidates: [Candidate; 5] = [
        ("envkb (lopdf + own layout)", &own, false),
        ("pdf-extract 0.12", &extract, false),
        ("pdf-extract 0.12 + repair", &extract, true),
        ("lopdf 0.40 extract_text", &lopdf, false),
        ("lopdf 0.40 extract_text + repair", &lopdf, true),
    ];
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
            match run(&bytes, f) {
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
