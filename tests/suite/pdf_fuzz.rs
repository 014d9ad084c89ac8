//! Robustness of the PDF and DOCX loaders against damaged input.
//!
//! `regression_inputs_never_panic` runs in every test run over the inputs that once
//! crashed or hung a loader (tests/fixtures/pdf/regressions/). `mutation_fuzz` is the
//! bounded fuzz loop used where libFuzzer cannot run (docs/BENCHMARKS.md):
//!   ENVKB_FUZZ_SECS=300 cargo test --release --test tests pdf_fuzz -- --ignored --nocapture
//! It mutates the committed fixtures (bit flips, truncation, spliced and repeated spans,
//! PDF tokens, in place or shifting) and fails on a panic or a slow input, saving it under
//! target/fuzz-found/. The `seed-*-qdf.pdf` inputs are uncompressed copies of fixtures
//! (`qpdf --qdf`), so mutations reach content streams and `ToUnicode` maps.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use envkb::ingest::loader::{load_with, Format};
use envkb::ingest::ocr::{OcrMode, OcrOptions};
use envkb::ingest::IngestLimits;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::util::{fixtures, FuzzRun};

/// One load must end within this (debug build) or it counts as a hang.
const SLOW: Duration = Duration::from_secs(20);

fn format_of(name: &str) -> Format {
    if name.ends_with(".docx") {
        Format::Docx
    } else {
        Format::Pdf
    }
}

/// Loads `bytes`; `Err` with a description on a panic or a slow load.
fn try_load(format: Format, bytes: &[u8]) -> Result<(), String> {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // The loaders' own parsing is under test; OCR of pages without text (child
        // processes with their own time limit) has its own tests in `ocr`.
        let limits = IngestLimits {
            ocr: OcrOptions {
                mode: OcrMode::Never,
                ..OcrOptions::default()
            },
            ..IngestLimits::default()
        };
        let _ = load_with(Path::new("input"), format, bytes.to_vec(), &limits);
    }));
    if let Err(panic) = outcome {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        return Err(format!("panic: {msg}"));
    }
    if started.elapsed() > SLOW {
        return Err(format!("slow: {:?}", started.elapsed()));
    }
    Ok(())
}

#[test]
fn regression_inputs_never_panic() {
    let dir = fixtures().join("pdf/regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.ends_with(".pdf") || name.ends_with(".docx")) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if let Err(why) = try_load(format_of(&name), &bytes) {
            panic!("{name}: {why}");
        }
        seen += 1;
    }
    assert!(seen > 0, "no regression inputs in {}", dir.display());
}

const TOKENS: &[&[u8]] = &[
    b" 0 0 obj ",
    b"endobj",
    b"stream\n",
    b"endstream",
    b"/Length 99999999",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"/Type /Page",
    b"/Kids [1 0 R]",
    b"/Contents 4 0 R",
    b"xref",
    b"trailer",
    b"/FlateDecode",
    b"BT /F1 12 Tf (x) Tj ET",
    b"-1e38",
    b"4294967296",
    b"R R R",
    b"/ToUnicode",
    b"beginbfrange <0000> <ffff> <d800> endbfrange",
    b"<w:p>",
    b"</w:t>",
];

fn mutate(rng: &mut ChaCha8Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        if data.is_empty() {
            data.extend_from_slice(TOKENS[rng.random_range(0..TOKENS.len())]);
            continue;
        }
        let at = rng.random_range(0..data.len());
        match rng.random_range(0..8) {
            // In place (offsets stay valid, so the damage reaches past the xref table).
            6 | 7 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                let end = (at + t.len()).min(data.len());
                data[at..end].copy_from_slice(&t[..end - at]);
            }
            0 => {
                for _ in 0..rng.random_range(1..16) {
                    let i = rng.random_range(0..data.len());
                    data[i] ^= 1 << rng.random_range(0..8);
                }
            }
            1 => data.truncate(at),
            2 => {
                let len = rng.random_range(1..=(data.len() - at).min(4096));
                let span = data[at..at + len].to_vec();
                let to = rng.random_range(0..data.len());
                for _ in 0..rng.random_range(1..4) {
                    data.splice(to..to, span.iter().copied());
                }
            }
            3 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                data.splice(at..at, t.iter().copied());
            }
            4 if !other.is_empty() => {
                let from = rng.random_range(0..other.len());
                let len = rng.random_range(1..=(other.len() - from).min(8192));
                data.splice(at..at, other[from..from + len].iter().copied());
            }
            _ => {
                let end = (at + rng.random_range(1..512)).min(data.len());
                data.drain(at..end);
            }
        }
    }
    data
}

#[test]
#[ignore = "bounded fuzz loop; run on demand (see the module docs)"]
fn mutation_fuzz() {
    let FuzzRun { secs, seed } = FuzzRun::from_env();
    let dir = fixtures().join("pdf");
    let seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("regressions")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("pdf" | "docx")))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    let found = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-found");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut runs, mut failures) = (0u64, Vec::new());
    // The panic hook would print every caught panic; failures are reported once below.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    while Instant::now() < deadline {
        let (name, bytes) = &seeds[rng.random_range(0..seeds.len())];
        let other = &seeds[rng.random_range(0..seeds.len())].1;
        let input = mutate(&mut rng, bytes, other);
        runs += 1;
        if let Err(why) = try_load(format_of(name), &input) {
            std::fs::create_dir_all(&found).unwrap();
            let ext = if name.ends_with(".docx") {
                "docx"
            } else {
                "pdf"
            };
            let out = found.join(format!("{seed}-{runs}.{ext}"));
            std::fs::write(&out, &input).unwrap();
            failures.push(format!("{}: {why}", out.display()));
        }
    }
    std::panic::set_hook(hook);
    println!(
        "mutation fuzz: {runs} inputs in {secs}s (seed {seed}), {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
