//! Robustness of the HTML and Markdown loaders and of the law-structure recognizer
//! (`ingest::structure`) against hostile text, the way `pdf_fuzz` does it for PDF and DOCX.
//!
//! Three targets, each a real file path through the library: `html` and `markdown` load a
//! file (`loader`) and cut it into chunks (`chunker`, which runs `structure::classify` on
//! every line); `structure` loads plain text the same way and also classifies every line on
//! its own and reads back each label it built. After each input the invariants are checked:
//! no panic; the load ends within [`SLOW`]; in the fuzz loop, peak memory grows by no more
//! than [`memory_bound`]; every chunk's span lies on char boundaries inside the text, its
//! text is that span, not blank and at most `max_chars` long; every byte of the body is in a
//! chunk but for blank runs; breadcrumbs carry no emphasis marks and stay short; every label the recognizer builds classifies
//! again to the same number.
//!
//! `regression_inputs_hold_the_invariants` runs in every test run over the inputs in
//! tests/fixtures/fuzz/ (one folder per target): hostile shapes that once failed, or that
//! the fuzz loop is meant to keep reaching. `mutation_fuzz_*` are the bounded fuzz loops,
//! run on demand (figures in docs/BENCHMARKS.md):
//!   ENVKB_FUZZ_SECS=180 cargo test --test tests text_fuzz -- --ignored --nocapture --test-threads 1
//! They mutate real-layout seeds (the law fixtures and the sample knowledge base) with
//! law markers, emphasis, tatweel, ZWNJ, bidi controls, deep nesting and huge lines, and
//! save a failing input under target/fuzz-found/ with the reason.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use envkb::ingest::structure::{classify, display_text, Marker};
use envkb::ingest::{load_document_with, ChunkLimits, Document, FoundFile, IngestLimits};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::util::{fixtures, FuzzRun};

/// One input must be loaded and checked within this (debug build) or it counts as a hang.
const SLOW: Duration = Duration::from_secs(10);

/// The most an input may add to the process's peak memory: a small multiple of its size
/// (the text, its normalized copy, the chunk copies) plus room for the parser's tables.
fn memory_bound(input: usize) -> u64 {
    32 * input as u64 + (48 << 20)
}

/// Longest breadcrumb label (a title is at most 300 characters and "…", a marker's
/// label 120): every chunk carries its breadcrumb.
const MAX_BREADCRUMB_CHARS: usize = 302;

/// The three targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Html,
    Markdown,
    Structure,
}

impl Target {
    fn dir(self) -> &'static str {
        match self {
            Target::Html => "html",
            Target::Markdown => "markdown",
            Target::Structure => "structure",
        }
    }

    /// The file name the loader sees (its extension picks the format).
    fn file_name(self) -> &'static str {
        match self {
            Target::Html => "input.html",
            Target::Markdown => "input.md",
            Target::Structure => "input.txt",
        }
    }
}

/// Runs one input through `target`; `Err` says which invariant broke (or the panic).
fn run(target: Target, bytes: &[u8]) -> Result<(), String> {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| check(target, bytes)));
    let outcome = match outcome {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panic: {msg}"))
        }
    };
    outcome?;
    if started.elapsed() > SLOW {
        return Err(format!("slow: {:?}", started.elapsed()));
    }
    Ok(())
}

fn check(target: Target, bytes: &[u8]) -> Result<(), String> {
    let file = FoundFile {
        path: PathBuf::from(target.file_name()),
        doc_id: "fuzz/input".into(),
    };
    let limits = ChunkLimits::default();
    // A refusal with a reason (empty, binary, not UTF-8, bad front matter) is a fine
    // answer to a damaged file; only a document that is loaded must be sound.
    let Ok(doc) = load_document_with(&file, bytes.to_vec(), limits, &IngestLimits::default())
    else {
        return Ok(());
    };
    check_document(&doc, limits)?;
    if target == Target::Structure {
        for line in doc.text.lines() {
            check_line(line)?;
        }
    }
    Ok(())
}

/// The chunker's promises, on a loaded document.
fn check_document(doc: &Document, limits: ChunkLimits) -> Result<(), String> {
    let text = &doc.text;
    if doc.chunks.is_empty() {
        return Err("a loaded document has no chunks".into());
    }
    let mut covered_to = None::<usize>;
    let mut body_start = usize::MAX;
    for c in &doc.chunks {
        let at = format!("chunk {} [{}..{}]", c.ordinal, c.start, c.end);
        if c.start >= c.end || c.end > text.len() {
            return Err(format!(
                "{at}: span outside the text ({} bytes)",
                text.len()
            ));
        }
        if !text.is_char_boundary(c.start) || !text.is_char_boundary(c.end) {
            return Err(format!("{at}: span not on char boundaries"));
        }
        if c.text != text[c.start..c.end] {
            return Err(format!("{at}: text is not its span"));
        }
        if c.text.trim().is_empty() {
            return Err(format!("{at}: blank text"));
        }
        let chars = c.text.chars().count();
        if chars > limits.max_chars {
            return Err(format!(
                "{at}: {chars} characters, over the limit of {}",
                limits.max_chars
            ));
        }
        if let Some(to) = covered_to {
            if c.start > to && !text[to..c.start].trim().is_empty() {
                return Err(format!("{at}: bytes {to}..{} are in no chunk", c.start));
            }
        }
        covered_to = Some(covered_to.map_or(c.end, |t| t.max(c.end)));
        body_start = body_start.min(c.start);
        for label in &c.breadcrumb {
            if label.chars().nth(MAX_BREADCRUMB_CHARS).is_some() {
                return Err(format!(
                    "{at}: a breadcrumb label of {} characters",
                    label.chars().count()
                ));
            }
            if label.contains(['\u{1F}', '\n']) || label.trim() != label {
                return Err(format!("{at}: breadcrumb label {label:?} is not clean"));
            }
        }
        for n in [&c.article, &c.clause, &c.note].into_iter().flatten() {
            if n.contains('\u{1F}') || n.trim() != n {
                return Err(format!("{at}: number {n:?} is not canonical"));
            }
        }
    }
    let covered_to = covered_to.unwrap_or(0);
    if !text[covered_to..].trim().is_empty() {
        return Err(format!(
            "the chunks end at {covered_to}, the text at {}",
            text.len()
        ));
    }
    Ok(())
}

/// The number a marker carries, if any.
fn number(m: &Marker) -> Option<&str> {
    match m {
        Marker::Article { number, .. }
        | Marker::Clause { number, .. }
        | Marker::Note { number, .. }
        | Marker::Item { number, .. } => Some(number),
        Marker::Heading { .. } | Marker::Chapter { .. } => None,
    }
}

/// The recognizer's promises on one line: clean labels that read back to the same number.
fn check_line(line: &str) -> Result<(), String> {
    let _ = display_text(line);
    let Some(marker) = classify(line) else {
        return Ok(());
    };
    let label = match &marker {
        Marker::Heading { text, .. } => text,
        Marker::Chapter { label }
        | Marker::Article { label, .. }
        | Marker::Clause { label, .. }
        | Marker::Note { label, .. }
        | Marker::Item { label, .. } => label,
    };
    let short: String = line.chars().take(80).collect();
    if label.is_empty() || label.contains(['\u{1F}', '\n']) || label.trim() != label {
        return Err(format!("{short:?}: label {label:?} is not clean"));
    }
    match &marker {
        Marker::Article { number: n, .. } | Marker::Note { number: n, .. } => {
            let again = classify(label);
            if again.as_ref().and_then(number) != Some(n.as_str()) {
                return Err(format!(
                    "{short:?}: label {label:?} of number {n:?} reads back as {again:?}"
                ));
            }
        }
        Marker::Heading { names, level, .. } if names.article.is_some() => {
            let again = classify(&format!("{} {label}", "#".repeat(*level)));
            let article = match &again {
                Some(Marker::Heading { names, .. }) => names.article.as_deref(),
                _ => None,
            };
            if article != names.article.as_deref() {
                return Err(format!(
                    "{short:?}: heading label {label:?} of article {:?} reads back as {again:?}",
                    names.article
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The committed hostile inputs of one target.
fn regression_inputs(target: Target) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fixtures().join("fuzz").join(target.dir());
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    inputs.sort();
    inputs
}

#[test]
fn regression_inputs_hold_the_invariants() {
    for target in [Target::Html, Target::Markdown, Target::Structure] {
        let inputs = regression_inputs(target);
        assert!(!inputs.is_empty(), "no regression inputs for {target:?}");
        for (path, bytes) in inputs {
            // The committed inputs are small; the generated shapes are built here.
            if let Err(why) = run(target, &bytes) {
                panic!("{}: {why}", path.display());
            }
        }
    }
    for (target, input) in generated_hostile_inputs() {
        if let Err(why) = run(target, &input) {
            let head = String::from_utf8_lossy(&input[..input.len().min(60)]).into_owned();
            panic!("{target:?} {head:?}…: {why}");
        }
    }
}

/// Shapes too large to commit, made by the test itself: deep nesting, a huge line.
fn generated_hostile_inputs() -> Vec<(Target, Vec<u8>)> {
    let article = "**ماده ۱۲ (اصلاحی ۱۳۷۱/۰۸/۲۴)-** متن ساختگی ماده";
    vec![
        (
            Target::Html,
            format!(
                "<html><body>{}<p><b>ماده ۱</b> - متن</p>{}</body></html>",
                "<div><b>".repeat(20_000),
                "</b></div>".repeat(20_000)
            )
            .into_bytes(),
        ),
        (
            Target::Markdown,
            format!("# عنوان\n\n{}ماده ۲ - متن\n", "> ".repeat(50_000)).into_bytes(),
        ),
        (
            Target::Markdown,
            format!("{}\n", "ـ\u{200C}**".repeat(200_000)).into_bytes(),
        ),
        (
            Target::Structure,
            format!("{article}\n{}\n", "و ".repeat(400_000)).into_bytes(),
        ),
        (
            Target::Structure,
            format!("{}\n", "ماده ۱ - ".repeat(60_000)).into_bytes(),
        ),
    ]
}

/// Spans the mutations insert: markup of each format, law markers in the forms law sites
/// publish, and characters that change width, direction or joining.
const TOKENS: &[&str] = &[
    "<div>",
    "</div>",
    "<b>",
    "</b>",
    "<strong>",
    "</strong>",
    "<p>",
    "</p>",
    "<br>",
    "<h2>",
    "</h2>",
    "<table><tr><td>",
    "</td></tr></table>",
    "<script>",
    "<!--",
    "-->",
    "&amp;",
    "&#x200c;",
    "&#8238;",
    "<p dir=\"rtl\">",
    "<title>",
    "**",
    "__",
    "*",
    "# ",
    "###### ",
    "\n## ",
    "---\n",
    "---\ntitle: x\n---\n",
    "> ",
    "- ",
    "1. ",
    "```\n",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "ماده ۱۲ -",
    "ماده۸ -",
    "**ماده****۹-**",
    "ماده ۱۰ مکرر ۱ ـ",
    "ماده واحده:",
    "(اصلاحی ۱۳۷۱/۰۸/۲۴)",
    "(الحاقی",
    "تبصره ۲:",
    "تبصره یک -",
    "بند «الف»:",
    "الف)",
    "«د»ـ",
    "۱-",
    "٣)",
    "فصل دوم",
    "Article 5 bis:",
    "Clause (d)",
    "Note 3 -",
    "6.1.2 ",
    "ـ",
    "ـــــــ",
    "\u{200C}",
    "\u{200D}",
    "\u{200B}",
    "\u{200E}",
    "\u{200F}",
    "\u{202B}",
    "\u{202E}",
    "\u{2067}",
    "\u{061C}",
    "\u{FEFF}",
    "\u{A0}",
    "\u{1F}",
    "\u{FDFA}",
    "\u{0651}\u{064E}",
    "ك",
    "ي",
    "٤",
    "۴",
    "\u{FB50}",
];

fn random_token(rng: &mut ChaCha8Rng) -> &'static str {
    TOKENS[rng.random_range(0..TOKENS.len())]
}

/// A char boundary of `s` at or before a random byte.
fn boundary(rng: &mut ChaCha8Rng, s: &str) -> usize {
    if s.is_empty() {
        return 0;
    }
    let mut at = rng.random_range(0..=s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A random span of `s` of at most `max` bytes, on char boundaries.
fn span<'a>(rng: &mut ChaCha8Rng, s: &'a str, max: usize) -> &'a str {
    let a = boundary(rng, s);
    let mut b = (a + rng.random_range(0..=max)).min(s.len());
    while !s.is_char_boundary(b) {
        b -= 1;
    }
    &s[a..b]
}

/// One mutant of `seed`: a few text-level edits (so most mutants stay UTF-8 and reach the
/// structure code), now and then a byte-level one.
fn mutate(rng: &mut ChaCha8Rng, seed: &str, other: &str) -> Vec<u8> {
    let mut text = seed.to_string();
    for _ in 0..rng.random_range(1..=5) {
        let at = boundary(rng, &text);
        match rng.random_range(0..12) {
            0..=3 => {
                let t = random_token(rng);
                text.insert_str(at, t);
            }
            4 => {
                // Nesting: one opening token repeated, its span, the closing one.
                let (open, close) = match rng.random_range(0..4) {
                    0 => ("<div>", "</div>"),
                    1 => ("<b>", "</b>"),
                    2 => ("**", "**"),
                    _ => ("> ", ""),
                };
                let depth = rng.random_range(1..=5_000);
                let inner = span(rng, &text, 200).to_string();
                let nested = format!("{}{inner}{}", open.repeat(depth), close.repeat(depth));
                text.insert_str(at, &nested);
            }
            5 => {
                // A huge line: a span (or a marker) repeated without a line break.
                let piece = match span(rng, &text, 64).replace('\n', " ") {
                    p if p.trim().is_empty() => random_token(rng).replace('\n', " "),
                    p => p,
                };
                let times = rng.random_range(1_000..=20_000) / piece.len().max(1) * 8;
                text.insert_str(at, &piece.repeat(times.max(1)));
            }
            6 => {
                let piece = span(rng, &text, 2048).to_string();
                for _ in 0..rng.random_range(1..4) {
                    let to = boundary(rng, &text);
                    text.insert_str(to, &piece);
                }
            }
            7 => {
                let from = span(rng, other, 4096).to_string();
                text.insert_str(at, &from);
            }
            8 => {
                let end = {
                    let mut e = (at + rng.random_range(1..512)).min(text.len());
                    while !text.is_char_boundary(e) {
                        e -= 1;
                    }
                    e
                };
                text.replace_range(at..end, "");
            }
            9 => {
                // Swap the order of two lines.
                let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
                if lines.len() > 1 {
                    let a = rng.random_range(0..lines.len());
                    let b = rng.random_range(0..lines.len());
                    lines.swap(a, b);
                }
                text = lines.concat();
            }
            10 => {
                // Every occurrence of one separator written another way.
                let (from, to) = match rng.random_range(0..4) {
                    0 => (" - ", " ـ "),
                    1 => (" ", "\u{200C}"),
                    2 => ("-", "ـــ"),
                    _ => ("ماده", "مادّه"),
                };
                text = text.replace(from, to);
            }
            _ => {
                let mut bytes = text.into_bytes();
                if !bytes.is_empty() {
                    for _ in 0..rng.random_range(1..8) {
                        let i = rng.random_range(0..bytes.len());
                        bytes[i] ^= 1 << rng.random_range(0..8);
                    }
                }
                // Mostly keep going as text; a broken one is a test of the refusal.
                match String::from_utf8(bytes) {
                    Ok(t) => text = t,
                    Err(e) => return e.into_bytes(),
                }
            }
        }
    }
    text.into_bytes()
}

/// The seeds of a target: the fixtures of its format (and, for the recognizer, every
/// text fixture), plus its regression inputs.
fn seeds(target: Target) -> Vec<String> {
    let exts: &[&str] = match target {
        Target::Html => &["html"],
        Target::Markdown => &["md"],
        Target::Structure => &["md", "txt", "html"],
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["laws", "kb/fa", "kb/en"] {
        for e in std::fs::read_dir(fixtures().join(dir)).unwrap() {
            let p = e.unwrap().path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if exts.contains(&ext) {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut seeds: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    seeds.extend(
        regression_inputs(target)
            .into_iter()
            .filter_map(|(_, b)| String::from_utf8(b).ok()),
    );
    assert!(!seeds.is_empty(), "no seeds for {target:?}");
    seeds
}

/// The process's peak and current resident memory, in bytes (from /proc).
fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Resets the peak (`VmHWM`) to the current resident size, so each input's peak can be
/// read on its own (Linux 4.0 and later).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn fuzz(target: Target) {
    let FuzzRun { secs, seed } = FuzzRun::from_env();
    let seeds = seeds(target);
    let found: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-found");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let (mut runs, mut bytes_run, mut failures) = (0u64, 0u64, Vec::new());
    let mut worst_memory = 0u64;
    let measure_memory = reset_peak();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    while Instant::now() < deadline {
        let base = &seeds[rng.random_range(0..seeds.len())];
        let other = &seeds[rng.random_range(0..seeds.len())];
        let input = mutate(&mut rng, base, other);
        runs += 1;
        bytes_run += input.len() as u64;
        let before = if measure_memory && reset_peak() {
            Some(rss().1)
        } else {
            None
        };
        let mut outcome = run(target, &input);
        if let (Some(before), Ok(())) = (before, &outcome) {
            let grown = rss().0.saturating_sub(before);
            worst_memory = worst_memory.max(grown);
            if grown > memory_bound(input.len()) {
                outcome = Err(format!(
                    "memory: peak grew by {} MiB for a {} KiB input",
                    grown >> 20,
                    input.len() >> 10
                ));
            }
        }
        if let Err(why) = outcome {
            std::fs::create_dir_all(&found).unwrap();
            let out = found.join(format!("{}-{seed}-{runs}.in", target.dir()));
            std::fs::write(&out, &input).unwrap();
            failures.push(format!("{}: {why}", out.display()));
        }
    }
    std::panic::set_hook(hook);
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "text fuzz {}: {runs} inputs ({:.1} MiB) in {elapsed:.0} s = {:.1} execs/s (seed {seed}), {} failures, worst peak memory growth {} MiB{}",
        target.dir(),
        bytes_run as f64 / (1 << 20) as f64,
        runs as f64 / elapsed,
        failures.len(),
        worst_memory >> 20,
        if measure_memory { "" } else { " (not measured: no /proc/self/clear_refs)" },
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "bounded fuzz loop; run on demand (see the module docs)"]
fn mutation_fuzz_html() {
    fuzz(Target::Html);
}

#[test]
#[ignore = "bounded fuzz loop; run on demand (see the module docs)"]
fn mutation_fuzz_markdown() {
    fuzz(Target::Markdown);
}

#[test]
#[ignore = "bounded fuzz loop; run on demand (see the module docs)"]
fn mutation_fuzz_structure() {
    fuzz(Target::Structure);
}

/// Replays one saved input with the time of each step, to see where a slow one spends it:
///   ENVKB_FUZZ_INPUT=target/fuzz-found/html-1-7.in cargo test --test tests text_fuzz::replay -- --ignored --nocapture
#[test]
#[ignore = "replays the input named by ENVKB_FUZZ_INPUT"]
fn replay() {
    use envkb::ingest::loader::{load_with, Format};
    let path = PathBuf::from(std::env::var("ENVKB_FUZZ_INPUT").expect("ENVKB_FUZZ_INPUT"));
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let (target, format) = match name.split('-').next() {
        Some("html") => (Target::Html, Format::Html),
        Some("markdown") => (Target::Markdown, Format::Markdown),
        _ => (Target::Structure, Format::Text),
    };
    let bytes = std::fs::read(&path).unwrap();
    let t = Instant::now();
    let loaded = load_with(&path, format, bytes.clone(), &IngestLimits::default());
    println!("load: {:?}", t.elapsed());
    if let Ok(loaded) = loaded {
        let t = Instant::now();
        let doc = envkb::ingest::build_document(
            "fuzz/input".into(),
            path.clone(),
            String::new(),
            loaded,
            ChunkLimits::default(),
        );
        println!("chunk: {:?} ({} chunks)", t.elapsed(), doc.chunks.len());
    }
    let t = Instant::now();
    println!("{:?} in {:?}", run(target, &bytes), t.elapsed());
}
