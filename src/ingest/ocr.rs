//! OCR of scanned PDF pages: rendering a page to an image, running Tesseract on it with the
//! Persian and English models, and turning its word table into paragraphs with a mean word
//! confidence.
//!
//! Owns the OCR settings (`--ocr auto|always|never`, the per-page time limit, the page cap),
//! the two child processes per page (`pdftoppm` from poppler-utils renders, the `tesseract`
//! command reads), their time limit (a page that runs over is killed, not waited for), the
//! TSV parsing and the repair of Tesseract's Persian letter forms. It does not decide which
//! pages lack a text layer (`pdf` does) or where the text goes next (the same structure
//! recognition and chunking as every PDF). Child processes rather than a binding to
//! libtesseract: a crash or a runaway page costs one child, the time limit is a kill, and
//! nothing links against C libraries at build time (docs/BENCHMARKS.md, "Scanned PDFs: OCR").

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// When pages are read by OCR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OcrMode {
    /// Pages without a usable text layer.
    #[default]
    Auto,
    /// Every page, its text layer ignored (a scan with a bad hidden text layer).
    Always,
    /// None: a page without a text layer is left out, as before OCR existed.
    Never,
}

impl FromStr for OcrMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(OcrMode::Auto),
            "always" => Ok(OcrMode::Always),
            "never" => Ok(OcrMode::Never),
            other => Err(format!(
                "unknown OCR mode {other:?} (use auto, always or never)"
            )),
        }
    }
}

impl std::fmt::Display for OcrMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OcrMode::Auto => "auto",
            OcrMode::Always => "always",
            OcrMode::Never => "never",
        })
    }
}

/// How OCR runs: which pages, how long one page may take, how many pages of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcrOptions {
    /// Which pages to read: none, scanned ones, or all.
    pub mode: OcrMode,
    /// Seconds one page may take (rendering and reading); a page over it is killed and reported.
    pub page_secs: u32,
    /// Most pages of one file read by OCR; the rest are reported, the file still indexes.
    pub max_pages: u32,
    /// Resolution pages are rendered at: 200 dpi read the Persian fixtures best (fewer
    /// errors than 300 and faster; docs/BENCHMARKS.md, "Scanned PDFs: OCR").
    pub dpi: u32,
}

impl Default for OcrOptions {
    fn default() -> Self {
        OcrOptions {
            mode: OcrMode::Auto,
            page_secs: 60,
            max_pages: 200,
            dpi: 200,
        }
    }
}

/// The OCR provenance of a chunk, as search and answer JSON give it: `{"confidence": 0.91}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OcrInfo {
    /// Mean Tesseract word confidence (0–1) over the OCR'd words of the chunk's pages.
    pub confidence: f32,
}

impl Eq for OcrInfo {}

/// What OCR read from one page.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrPage {
    /// Paragraphs in reading order.
    pub paragraphs: Vec<String>,
    /// Words read, and the sum of their confidences (0–1 each), so that spans of pages can
    /// be averaged by word.
    pub words: u32,
    /// Sum of the words' confidences.
    pub confidence_sum: f64,
}

impl OcrPage {
    /// Mean word confidence (0–1); 0 for a page with no words.
    pub fn confidence(&self) -> f32 {
        if self.words == 0 {
            0.0
        } else {
            (self.confidence_sum / f64::from(self.words)) as f32
        }
    }
}

/// A page to read: its number (1-based) and its size in PDF points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageBox {
    /// 1-based page number.
    pub number: u32,
    pub(crate) width_pt: f32,
    pub(crate) height_pt: f32,
}

/// Largest page image rendered, in pixels (an A3 page at 400 dpi). A bigger page is rendered
/// at a lower resolution, down to [`MIN_DPI`]; below that it is refused, so one page with an
/// absurd media box cannot take gigabytes.
const MAX_PIXELS: f64 = 40_000_000.0;
/// Lowest resolution worth reading: smaller type is lost below it.
const MIN_DPI: f64 = 100.0;
/// Tesseract's languages: Persian first (the documents' main language), English for the
/// Latin runs of standards and units.
const LANGS: &str = "fas+eng";

/// What to install when a tool is missing; part of every page's reason.
const INSTALL_TESSERACT: &str = "install tesseract-ocr tesseract-ocr-fas";
const INSTALL_POPPLER: &str = "install poppler-utils";

/// The command names, overridable for a non-standard install (and for testing a missing one).
fn tesseract_cmd() -> std::ffi::OsString {
    std::env::var_os("ENVKB_TESSERACT").unwrap_or_else(|| "tesseract".into())
}

fn pdftoppm_cmd() -> std::ffi::OsString {
    std::env::var_os("ENVKB_PDFTOPPM").unwrap_or_else(|| "pdftoppm".into())
}

/// Why OCR cannot run at all here (a tool or the Persian model missing), checked once per
/// process; `None` when it can.
pub fn unavailable() -> Option<String> {
    static CHECK: OnceLock<Option<String>> = OnceLock::new();
    CHECK
        .get_or_init(|| {
            let langs = match Command::new(tesseract_cmd())
                .arg("--list-langs")
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
            {
                Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
                Err(_) => {
                    return Some(format!(
                        "OCR needs the tesseract command, which is not installed ({INSTALL_TESSERACT})"
                    ))
                }
            };
            let has = |l: &str| langs.lines().any(|x| x.trim() == l);
            if !has("fas") || !has("eng") {
                return Some(format!(
                    "OCR needs Tesseract's Persian and English models ({INSTALL_TESSERACT} tesseract-ocr-eng)"
                ));
            }
            if Command::new(pdftoppm_cmd())
                .arg("-v")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_err()
            {
                return Some(format!(
                    "OCR needs the pdftoppm command to render pages ({INSTALL_POPPLER})"
                ));
            }
            None
        })
        .clone()
}

/// Reads `pages` of the PDF in `pdf` by OCR, one page at a time, calling `progress(done,
/// total)` after each. Each page gives its text or the reason it has none; no page's
/// failure stops the others.
pub fn read_pages(
    pdf: &[u8],
    pages: &[PageBox],
    options: &OcrOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Vec<(u32, Result<OcrPage, String>)> {
    if let Some(why) = unavailable() {
        return pages.iter().map(|p| (p.number, Err(why.clone()))).collect();
    }
    let key = (*blake3::hash(pdf).as_bytes(), *options);
    if let Some(done) = recent(&key, pages) {
        progress(pages.len(), pages.len());
        return done;
    }
    let dir = match tempfile::Builder::new().prefix("envkb-ocr").tempdir() {
        Ok(d) => d,
        Err(e) => {
            let why = format!("no room for page images ({e})");
            return pages.iter().map(|p| (p.number, Err(why.clone()))).collect();
        }
    };
    let pdf_path = dir.path().join("doc.pdf");
    if let Err(e) = std::fs::File::create(&pdf_path).and_then(|mut f| f.write_all(pdf)) {
        let why = format!("no room for page images ({e})");
        return pages.iter().map(|p| (p.number, Err(why.clone()))).collect();
    }
    let mut out = Vec::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        out.push((page.number, read_page(&pdf_path, dir.path(), page, options)));
        progress(i + 1, pages.len());
    }
    remember(key, &out);
    out
}

/// The last file read: its hash and options, and what each page gave.
type Recent = ([u8; 32], OcrOptions);
type PageResults = Vec<(u32, Result<OcrPage, String>)>;
static RECENT: std::sync::Mutex<Option<(Recent, PageResults)>> = std::sync::Mutex::new(None);

/// The pages of the file read last, when `key` names it and it covered `pages`. The server
/// checks an upload fully before indexing it, which loads the file twice; a scan is read
/// once.
fn recent(key: &Recent, pages: &[PageBox]) -> Option<PageResults> {
    let guard = RECENT.lock().ok()?;
    let (k, results) = guard.as_ref()?;
    (k == key
        && results
            .iter()
            .map(|r| r.0)
            .eq(pages.iter().map(|p| p.number)))
    .then(|| results.clone())
}

fn remember(key: Recent, results: &PageResults) {
    if let Ok(mut guard) = RECENT.lock() {
        *guard = Some((key, results.clone()));
    }
}

/// Renders and reads one page within the time limit.
fn read_page(
    pdf: &Path,
    dir: &Path,
    page: &PageBox,
    options: &OcrOptions,
) -> Result<OcrPage, String> {
    let deadline = Instant::now() + Duration::from_secs(u64::from(options.page_secs.max(1)));
    let dpi = render_dpi(page, options.dpi)?;
    let base = dir.join(format!("p{}", page.number));
    let n = page.number.to_string();
    let render = Command::new(pdftoppm_cmd())
        .args([
            "-f",
            &n,
            "-l",
            &n,
            "-r",
            &dpi.to_string(),
            "-gray",
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&base)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start pdftoppm ({e})"))?;
    let stderr = finish(render, deadline, options.page_secs, "rendering")?;
    let image = base.with_extension("pgm");
    if !image.exists() {
        return Err(format!(
            "the page could not be rendered{}",
            tool_says("pdftoppm", &stderr)
        ));
    }
    let first = tesseract(
        &image,
        dir,
        page.number,
        LANGS,
        dpi,
        deadline,
        options.page_secs,
    );
    // Tesseract's combined model reads some short Persian words as Latin gibberish («برای»
    // as "sly"); on a Persian page those words are read again with the Persian model alone.
    let merged = first.and_then(|tsv| {
        let words = parse_words(&tsv);
        if !needs_persian_pass(&words) {
            return Ok(words);
        }
        let persian = tesseract(
            &image,
            dir,
            page.number,
            "fas",
            dpi,
            deadline,
            options.page_secs,
        )?;
        Ok(merge_persian(words, &parse_words(&persian)))
    });
    let _ = std::fs::remove_file(&image);
    let read = words_to_page(&merged?);
    if read.words == 0 {
        // A blank page, or an image poppler could not decode (it says so on stderr).
        return Err(format!(
            "OCR found no text on it{}",
            tool_says("pdftoppm", &stderr)
        ));
    }
    Ok(read)
}

/// Runs Tesseract on `image` with `langs`, returning its TSV.
fn tesseract(
    image: &Path,
    dir: &Path,
    number: u32,
    langs: &str,
    dpi: u32,
    deadline: Instant,
    secs: u32,
) -> Result<String, String> {
    let tsv_base = dir.join(format!("t{number}"));
    let mut command = Command::new(tesseract_cmd());
    // One OpenMP thread unless the operator says otherwise: on a busy 2-core machine two
    // threads spin-waited a page to 4–9 times as long (docs/BENCHMARKS.md).
    if std::env::var_os("OMP_THREAD_LIMIT").is_none() {
        command.env("OMP_THREAD_LIMIT", "1");
    }
    let read = command
        .arg(image)
        .arg(&tsv_base)
        .args(["-l", langs, "--dpi", &dpi.to_string()])
        // Tesseract's noise filter drops whole lines of Persian text (short strokes and
        // dots read as specks): the «الف -» and «ب -» items of a clean 300 dpi scan went
        // missing with it (docs/BENCHMARKS.md).
        .args([
            "-c",
            "textord_noise_rejwords=0",
            "-c",
            "textord_noise_rejrows=0",
            "tsv",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start tesseract ({e})"))?;
    let stderr = finish(read, deadline, secs, "reading")?;
    let tsv_path = tsv_base.with_extension("tsv");
    let tsv = std::fs::read_to_string(&tsv_path).map_err(|_| {
        format!(
            "Tesseract gave no result{}",
            tool_says("tesseract", &stderr)
        )
    })?;
    let _ = std::fs::remove_file(&tsv_path);
    Ok(tsv)
}

/// The resolution a page is rendered at: `dpi`, lowered for a page so large that the image
/// would pass [`MAX_PIXELS`]; an error when even [`MIN_DPI`] would.
fn render_dpi(page: &PageBox, dpi: u32) -> Result<u32, String> {
    let inches = |pt: f32| f64::from(pt.abs().max(1.0)) / 72.0;
    let (w, h) = (inches(page.width_pt), inches(page.height_pt));
    let fit = (MAX_PIXELS / (w * h)).sqrt();
    let dpi = f64::from(dpi).min(fit);
    if dpi < MIN_DPI || !dpi.is_finite() {
        return Err(format!(
            "the page is {:.0} × {:.0} mm, too large to render for OCR (over {:.0} megapixels at {MIN_DPI:.0} dpi)",
            w * 25.4,
            h * 25.4,
            MAX_PIXELS / 1e6
        ));
    }
    Ok(dpi.floor() as u32)
}

/// Waits for `child` until `deadline`, killing it when the time is up; its stderr on success.
fn finish(mut child: Child, deadline: Instant, secs: u32, step: &str) -> Result<String, String> {
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{step} the page took longer than {secs} s (the per-page limit; set with --ocr-page-secs)"
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(15)),
            Err(e) => return Err(format!("{step} the page failed ({e})")),
        }
    };
    let mut stderr = String::new();
    if let Some(mut s) = child.stderr.take() {
        use std::io::Read;
        let mut buf = Vec::new();
        let _ = s.by_ref().take(4096).read_to_end(&mut buf);
        stderr = String::from_utf8_lossy(&buf).into_owned();
    }
    if !status.success() {
        return Err(format!(
            "{step} the page failed ({status}){}",
            tool_says(step_tool(step), &stderr)
        ));
    }
    Ok(stderr)
}

fn step_tool(step: &str) -> &'static str {
    if step == "rendering" {
        "pdftoppm"
    } else {
        "tesseract"
    }
}

/// `: pdftoppm says "…"` with the first meaningful line of a tool's stderr, or nothing.
fn tool_says(tool: &str, stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .find(|l| {
            !l.is_empty()
                && !l.starts_with("Estimating resolution")
                && !l.starts_with("Warning: Invalid resolution")
        })
        .map(|l| {
            let l: String = l.chars().take(160).collect();
            format!("; {tool} says: {l}")
        })
        .unwrap_or_default()
}

/// A word of Tesseract's TSV: where it sits in the page's block/paragraph/line tree, its
/// box and its confidence (0–100).
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    key: (u32, u32, u32),
    left: u32,
    top: u32,
    width: u32,
    height: u32,
    conf: f64,
    text: String,
}

impl Word {
    fn area(&self) -> u64 {
        u64::from(self.width.max(1)) * u64::from(self.height.max(1))
    }

    /// Share of this word's box covered by `other`'s.
    fn covered_by(&self, other: &Word) -> f64 {
        let ix = (self.left + self.width).min(other.left + other.width) as i64
            - self.left.max(other.left) as i64;
        let iy = (self.top + self.height).min(other.top + other.height) as i64
            - self.top.max(other.top) as i64;
        if ix <= 0 || iy <= 0 {
            return 0.0;
        }
        (ix * iy) as f64 / self.area() as f64
    }

    /// A word with no Persian in it and no digits: Latin letters or symbols (¥ for ۳).
    fn latin_gibberish_candidate(&self) -> bool {
        self.text.chars().any(|c| !c.is_ascii_punctuation())
            && !self
                .text
                .chars()
                .any(|c| c.is_numeric() || is_persian_script(c))
    }
}

/// The words of Tesseract's TSV (one row per word, in reading order), without empty or
/// unread ones. Bidi marks Tesseract puts around Latin words are dropped.
pub fn parse_words(tsv: &str) -> Vec<Word> {
    let mut words = Vec::new();
    for row in tsv.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let num = |i: usize| cols[i].parse::<u32>().unwrap_or(0);
        let conf = cols[10].parse::<f64>().unwrap_or(-1.0);
        let text: String = cols[11]
            .chars()
            .filter(|c| !crate::ingest::limits::is_bidi_control(*c))
            .collect();
        let text = text.trim();
        if text.is_empty() || conf < 0.0 {
            continue;
        }
        words.push(Word {
            key: (num(2), num(3), num(4)),
            left: num(6),
            top: num(7),
            width: num(8),
            height: num(9),
            conf,
            text: text.to_string(),
        });
    }
    words
}

/// A Persian letter or digit.
fn is_persian_script(c: char) -> bool {
    crate::ingest::persian::is_arabic_letter(c) || ('\u{0660}'..='\u{06F9}').contains(&c)
}

/// Share of Arabic-script letters above which a page is Persian and its Latin words are
/// checked against the Persian model.
const PERSIAN_PAGE: f64 = 0.6;

fn needs_persian_pass(words: &[Word]) -> bool {
    let (mut arabic, mut latin) = (0usize, 0usize);
    for c in words.iter().flat_map(|w| w.text.chars()) {
        if crate::ingest::persian::is_arabic_letter(c) {
            arabic += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    latin > 0 && arabic as f64 >= PERSIAN_PAGE * (arabic + latin) as f64
}

/// Replaces the Latin words of the combined model's reading of a Persian page by what the
/// Persian model read in the same place, when that is Arabic script and the Latin word is
/// the less likely: a short lowercase token (a misread «برای», «آن») or one read with less
/// confidence. Acronyms, long words and anything with digits read confidently (ISO, SEU,
/// `energy review`, `kWh`) stay.
pub fn merge_persian(words: Vec<Word>, persian: &[Word]) -> Vec<Word> {
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        if !w.latin_gibberish_candidate() {
            out.push(w);
            continue;
        }
        // The Persian words read in the same place (a dash or dot beside them is not one).
        let same: Vec<&Word> = persian
            .iter()
            .filter(|p| p.covered_by(&w) > 0.3 || w.covered_by(p) > 0.3)
            .filter(|p| p.text.chars().any(is_persian_script))
            .collect();
        if same.is_empty() {
            out.push(w);
            continue;
        }
        let conf = same.iter().map(|p| p.conf).sum::<f64>() / same.len() as f64;
        let letters = w.text.chars().filter(char::is_ascii_alphabetic).count();
        let short_lowercase = letters <= 3 && !w.text.chars().any(|c| c.is_ascii_uppercase());
        if short_lowercase || conf > w.conf {
            out.extend(same.into_iter().map(|p| Word {
                key: w.key,
                ..p.clone()
            }));
        } else {
            out.push(w);
        }
    }
    out
}

/// Turns Tesseract's TSV into paragraphs (see [`words_to_page`]).
pub fn parse_tsv(tsv: &str) -> OcrPage {
    words_to_page(&parse_words(tsv))
}

/// Turns words into paragraphs, starting a new one where Tesseract does and at a line that
/// opens a law unit or a part (ماده، تبصره، بند، فصل), as the PDF layout does.
pub fn words_to_page(words: &[Word]) -> OcrPage {
    let mut lines: Vec<((u32, u32), Vec<&Word>)> = Vec::new();
    for w in words {
        match lines.last_mut() {
            Some((_, ws)) if ws[0].key == w.key => ws.push(w),
            _ => lines.push(((w.key.0, w.key.1), vec![w])),
        }
    }
    let confidence_sum: f64 = words.iter().map(|w| w.conf / 100.0).sum();
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut current_par = None;
    for (par, ws) in &lines {
        let text = repair_ocr_line(
            &ws.iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
        // Word heights vary too much in Persian (a lone «و» is half a word's height) to
        // tell headings by type size; a «فصل» line is a heading by its marker.
        let opens_unit = crate::ingest::structure::classify(&text).is_some();
        if (current_par != Some(*par) || opens_unit) && !current.is_empty() {
            paragraphs.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&text);
        current_par = Some(*par);
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    OcrPage {
        paragraphs,
        words: words.len() as u32,
        confidence_sum,
    }
}

/// Tesseract's Persian model sometimes answers with the Arabic letter forms (ي ك, and ة
/// for a final ه); in a line of Persian they are the Persian letters. Presentation forms
/// are folded as for any PDF text.
pub fn repair_ocr_line(line: &str) -> String {
    let arabic = line
        .chars()
        .filter(|c| crate::ingest::persian::is_arabic_letter(*c))
        .count();
    let latin = line.chars().filter(char::is_ascii_alphabetic).count();
    let line = crate::ingest::persian::fold_presentation_forms(line);
    if arabic <= latin {
        return line;
    }
    line.chars()
        .map(|c| match c {
            'ي' => 'ی',
            'ك' => 'ک',
            'ة' => 'ه',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n";

    fn row(block: u32, par: u32, line: u32, height: u32, conf: f64, text: &str) -> String {
        format!("5\t1\t{block}\t{par}\t{line}\t1\t0\t0\t10\t{height}\t{conf}\t{text}\n")
    }

    #[test]
    fn words_become_lines_and_paragraphs_with_a_mean_confidence() {
        let mut tsv = HEADER.to_string();
        tsv.push_str("4\t1\t1\t1\t1\t0\t0\t0\t10\t30\t-1\t\n");
        for (line, text) in [(1, "ماده"), (1, "۱"), (1, "-"), (1, "این"), (2, "قانون")]
        {
            tsv.push_str(&row(1, 1, line, 30, 90.0, text));
        }
        tsv.push_str(&row(1, 2, 1, 30, 70.0, "ماده"));
        tsv.push_str(&row(1, 2, 1, 30, 70.0, "۲"));
        tsv.push_str(&row(1, 2, 1, 30, 70.0, "-"));
        tsv.push_str(&row(1, 2, 1, 30, 70.0, "اين"));
        let page = parse_tsv(&tsv);
        assert_eq!(page.paragraphs, vec!["ماده ۱ - این قانون", "ماده ۲ - این"]);
        assert_eq!(page.words, 9);
        assert!((page.confidence() - (5.0 * 0.9 + 4.0 * 0.7) / 9.0).abs() < 1e-4);
    }

    #[test]
    fn a_line_that_opens_an_article_starts_a_paragraph_inside_one_tesseract_paragraph() {
        let mut tsv = HEADER.to_string();
        tsv.push_str(&row(1, 1, 1, 30, 90.0, "Article"));
        tsv.push_str(&row(1, 1, 1, 30, 90.0, "1."));
        tsv.push_str(&row(1, 1, 1, 30, 90.0, "Scope"));
        tsv.push_str(&row(1, 1, 2, 30, 90.0, "Article"));
        tsv.push_str(&row(1, 1, 2, 30, 90.0, "2."));
        tsv.push_str(&row(1, 1, 2, 30, 90.0, "Limits"));
        assert_eq!(
            parse_tsv(&tsv).paragraphs,
            vec!["Article 1. Scope", "Article 2. Limits"]
        );
    }

    #[test]
    fn blocks_split_paragraphs_and_empty_or_unread_words_are_left_out() {
        let mut tsv = HEADER.to_string();
        tsv.push_str(&row(1, 1, 1, 60, 95.0, "قانون"));
        tsv.push_str(&row(1, 1, 1, 60, 95.0, "نمونه"));
        tsv.push_str(&row(1, 1, 2, 30, 95.0, "فصل"));
        tsv.push_str(&row(1, 1, 2, 30, 95.0, "اول"));
        for t in ["متن", "عادی", "صفحه", "است"] {
            tsv.push_str(&row(2, 1, 1, 30, 80.0, t));
        }
        tsv.push_str(&row(2, 1, 1, 30, -1.0, "x"));
        tsv.push_str(&row(2, 1, 1, 30, 80.0, " "));
        let page = parse_tsv(&tsv);
        assert_eq!(
            page.paragraphs,
            vec!["قانون نمونه", "فصل اول", "متن عادی صفحه است"]
        );
        assert_eq!(page.words, 8);
    }

    fn word(left: u32, conf: f64, text: &str) -> Word {
        Word {
            key: (1, 1, 1),
            left,
            top: 0,
            width: 40,
            height: 30,
            conf,
            text: text.into(),
        }
    }

    #[test]
    fn latin_misreads_on_a_persian_page_take_the_persian_reading() {
        let combined = vec![
            word(
                400,
                90.0,
                "بهره‌برداران معادن شن و ماسه و کارگاه‌های دانه‌بندی",
            ),
            word(300, 90.0, "ماده"),
            word(250, 68.0, "sly"),
            word(200, 95.0, "ISO"),
            word(150, 73.0, "Jo!"),
            word(100, 97.0, "review"),
            word(50, 90.0, "14001"),
            word(10, 60.0, "¥"),
        ];
        let persian = vec![
            word(300, 90.0, "ماده"),
            word(252, 88.0, "برای"),
            word(198, 52.0, "۱50"),
            word(150, 91.0, "اول"),
            word(101, 0.0, "رعتعجه"),
            word(50, 90.0, "۱۴۰۰۱"),
            word(10, 90.0, "۳"),
            word(150, 99.0, "-"),
        ];
        assert!(needs_persian_pass(&combined));
        let merged: Vec<String> = merge_persian(combined, &persian)
            .into_iter()
            .map(|w| w.text)
            .collect();
        assert_eq!(
            merged,
            [
                "بهره‌برداران معادن شن و ماسه و کارگاه‌های دانه‌بندی",
                "ماده",
                "برای",
                "ISO",
                "اول",
                "review",
                "14001",
                "۳"
            ]
        );
    }

    #[test]
    fn an_english_page_gets_no_persian_pass() {
        let words = vec![
            word(0, 90.0, "Article"),
            word(50, 90.0, "one"),
            word(90, 90.0, "آن"),
        ];
        assert!(!needs_persian_pass(&words));
        assert!(!needs_persian_pass(&[word(0, 90.0, "ماده")]));
    }

    #[test]
    fn bidi_marks_around_latin_words_are_dropped() {
        let tsv = format!("{HEADER}{}", row(1, 1, 1, 30, 80.0, "\u{200e}ISO\u{200f}"));
        assert_eq!(parse_words(&tsv)[0].text, "ISO");
    }

    #[test]
    fn no_words_is_an_empty_page() {
        let page = parse_tsv(HEADER);
        assert!(page.paragraphs.is_empty());
        assert_eq!(page.words, 0);
        assert_eq!(page.confidence(), 0.0);
    }

    #[test]
    fn arabic_letter_forms_become_persian_in_persian_lines_only() {
        assert_eq!(repair_ocr_line("اين معادن ماسة زير"), "این معادن ماسه زیر");
        assert_eq!(repair_ocr_line("ISO 14001 كتاب"), "ISO 14001 کتاب");
        assert_eq!(repair_ocr_line("Article ة and more"), "Article ة and more");
    }

    #[test]
    fn huge_pages_are_rendered_smaller_or_refused() {
        let a4 = PageBox {
            number: 1,
            width_pt: 595.0,
            height_pt: 842.0,
        };
        assert_eq!(render_dpi(&a4, 300), Ok(300));
        let poster = PageBox {
            width_pt: 595.0 * 4.0,
            height_pt: 842.0 * 4.0,
            ..a4
        };
        let dpi = render_dpi(&poster, 300).unwrap_or(0);
        assert!((100..300).contains(&dpi), "{dpi}");
        let absurd = PageBox {
            width_pt: 14_400.0,
            height_pt: 14_400.0,
            ..a4
        };
        let why = render_dpi(&absurd, 300).unwrap_err();
        assert!(why.contains("too large"), "{why}");
    }

    #[test]
    fn modes_parse_and_print() {
        for m in [OcrMode::Auto, OcrMode::Always, OcrMode::Never] {
            assert_eq!(m.to_string().parse::<OcrMode>(), Ok(m));
        }
        assert!("sometimes".parse::<OcrMode>().is_err());
        assert_eq!(" Always ".parse::<OcrMode>(), Ok(OcrMode::Always));
    }
}
