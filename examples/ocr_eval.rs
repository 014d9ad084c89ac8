//! Scores OCR of the scanned fixtures (docs/BENCHMARKS.md, "Scanned PDFs: OCR"): for each
//! PDF in tests/fixtures/scans/ and its source text in tests/fixtures/scans/src/, the
//! character error rate (raw, and after the search normalization), the word-order match of
//! the PDF benchmarks, the mean word confidence and the time per page.
//!   cargo run --release --example ocr_eval [-- DPI]
//! Threads: Tesseract takes OMP_THREAD_LIMIT from the environment.
// A bench stops at the first failure; that is what its unwraps say.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Instant;

use envkb::eval::cer::{char_error_rate, char_error_rate_normalized};
use envkb::eval::word_order::{word_order_match, words};
use envkb::ingest::loader::{load_with, Format};
use envkb::ingest::ocr::{OcrMode, OcrOptions};
use envkb::ingest::IngestLimits;

fn main() {
    let dpi: u32 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("DPI is a number"))
        .unwrap_or(OcrOptions::default().dpi);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scans");
    let mut pdfs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    pdfs.sort();
    let limits = IngestLimits {
        ocr: OcrOptions {
            mode: OcrMode::Always,
            dpi,
            ..OcrOptions::default()
        },
        ..IngestLimits::default()
    };
    println!(
        "render {dpi} dpi, OMP_THREAD_LIMIT={}",
        std::env::var("OMP_THREAD_LIMIT").unwrap_or_else(|_| "(unset)".into())
    );
    println!("| fixture | pages | CER | CER (normalized) | word-order match | mean confidence | s/page |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for pdf in pdfs {
        let name = pdf.file_name().unwrap().to_string_lossy().into_owned();
        let stem = name
            .trim_end_matches(".pdf")
            .trim_end_matches("-150-noisy")
            .trim_end_matches("-300");
        let source = std::fs::read_to_string(dir.join("src").join(format!("{stem}.txt")))
            .unwrap()
            .replace("<<<page>>>", "");
        let bytes = std::fs::read(&pdf).unwrap();
        let started = Instant::now();
        let loaded = load_with(&pdf, Format::Pdf, bytes, &limits).unwrap();
        let secs = started.elapsed().as_secs_f64();
        let pages = loaded.pages.len();
        let (n, sum) = loaded
            .ocr
            .iter()
            .flatten()
            .fold((0u32, 0.0), |(n, s), p| (n + p.words, s + p.confidence_sum));
        for p in &loaded.page_problems {
            println!("  {name}: {p}");
        }
        println!(
            "| {name} | {pages} | {:.2}% | {:.2}% | {:.2}% | {:.2} | {:.2} |",
            100.0 * char_error_rate(&source, &loaded.text),
            100.0 * char_error_rate_normalized(&source, &loaded.text),
            100.0 * word_order_match(&words(&source), &words(&loaded.text)),
            sum / f64::from(n.max(1)),
            secs / pages as f64
        );
    }
}
