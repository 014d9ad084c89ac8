//! `envkb index`: walks the given folders and files, indexes what changed (lexical and
//! vectors in one commit) with a progress bar, and reports every skipped file with its reason.

use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::ProgressBar;

use super::output::{bar, print_json};
use super::Cli;
use crate::indexer::{index_paths_with, Embedding, Progress};
use crate::ingest::ocr::{OcrMode, OcrOptions};
use crate::ingest::IngestLimits;
use crate::lexical::LexicalIndex;
use crate::text::AnalyzerOptions;
use crate::Error;

#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Folders or files to index (recursive).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// PDFs with more pages than this are skipped (a bound on time and memory per file).
    #[arg(long, env = "ENVKB_MAX_PAGES", default_value_t = IngestLimits::default().max_pages,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_pages: u32,
    /// Files of any type larger than this many MB (MiB) are skipped, with a reason that says
    /// how to raise it.
    #[arg(long, env = "ENVKB_MAX_FILE_MB", default_value_t = IngestLimits::default().max_bytes / (1024 * 1024),
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_file_mb: u64,
    /// Read scanned PDF pages by OCR (Tesseract, Persian + English): `auto` reads pages
    /// without a usable text layer, `always` every page, `never` none.
    #[arg(long, env = "ENVKB_OCR", default_value_t = OcrMode::Auto,
          value_parser = clap::value_parser!(OcrMode))]
    pub ocr: OcrMode,
    /// Seconds one page may take to render and read by OCR; a page over it is reported and
    /// left out, the rest of the file indexes.
    #[arg(long, env = "ENVKB_OCR_PAGE_SECS", default_value_t = OcrOptions::default().page_secs,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub ocr_page_secs: u32,
    /// Most pages of one file read by OCR; the pages past it are reported and left out.
    #[arg(long, env = "ENVKB_OCR_MAX_PAGES", default_value_t = OcrOptions::default().max_pages,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub ocr_max_pages: u32,
}

/// The files bar, the embedding bar, and a pages bar while a scan is read by OCR.
struct Bar(
    Option<ProgressBar>,
    Option<ProgressBar>,
    Option<ProgressBar>,
);

impl Progress for Bar {
    fn start(&mut self, total: usize) {
        self.0 = Some(bar(total as u64, "indexing"));
    }
    fn file_done(&mut self, _path: &Path) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
    fn ocr_page(&mut self, path: &Path, done: usize, total: usize) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let b = self.2.get_or_insert_with(|| {
            bar(
                total as u64,
                &format!("OCR pages of {}", name.unwrap_or_default()),
            )
        });
        b.set_position(done as u64);
        if done >= total {
            if let Some(b) = self.2.take() {
                b.finish_and_clear();
            }
        }
    }
    fn embedding(&mut self, total: usize) {
        if let Some(b) = self.0.take() {
            b.finish_and_clear();
        }
        self.1 = Some(bar(total as u64, "embedding chunks"));
    }
    fn embedding_sentences(&mut self, total: usize) {
        if let Some(b) = self.1.take() {
            b.finish_and_clear();
        }
        self.1 = Some(bar(total as u64, "embedding sentences"));
    }
    fn embedded(&mut self, n: usize) {
        if let Some(b) = &self.1 {
            b.inc(n as u64);
        }
    }
    fn finish(&mut self) {
        for b in [self.0.take(), self.1.take(), self.2.take()]
            .into_iter()
            .flatten()
        {
            b.finish_and_clear();
        }
    }
}

pub fn run(cli: &Cli, args: &IndexArgs) -> anyhow::Result<()> {
    for p in &args.paths {
        if !p.exists() {
            return Err(Error::Usage(format!("path does not exist: {}", p.display())).into());
        }
    }
    let mut index = LexicalIndex::open_or_create(&cli.index, AnalyzerOptions::default())
        .map_err(Error::from)?;
    let found = super::model::locate(&cli.model, Some(&cli.index));
    let embedding = match &found {
        Ok(f) => Some(Embedding {
            encoder: &f.model.encoder,
            model_id: f.model.model_id.clone(),
        }),
        Err(why) => {
            eprintln!("warning: no semantic index ({why}); indexing for lexical search only");
            None
        }
    };
    let limits = IngestLimits {
        max_bytes: args.max_file_mb * 1024 * 1024,
        max_pages: args.max_pages,
        ocr: OcrOptions {
            mode: args.ocr,
            page_secs: args.ocr_page_secs,
            max_pages: args.ocr_max_pages,
            ..OcrOptions::default()
        },
    };
    let report = index_paths_with(
        &mut index,
        &args.paths,
        &mut Bar(None, None, None),
        embedding.as_ref(),
        &limits,
    )?;
    if let Ok(f) = &found {
        super::model::record(&cli.index, &f.dir, &f.model.model_id);
    }
    if args.json {
        return print_json(&report);
    }
    println!(
        "indexed {} file(s), {} unchanged, {} removed; {} skipped; {} chunks written in {:.1}s",
        report.indexed,
        report.unchanged,
        report.removed,
        report.skipped.len(),
        report.chunks_written,
        report.elapsed.as_secs_f64()
    );
    println!(
        "the index at {} now holds {} documents, {} chunks",
        cli.index.display(),
        report.documents,
        report.chunks
    );
    if report.vectors > 0 {
        println!(
            "{} chunks embedded, {} reused from the cache; {} vectors in all",
            report.embedded, report.embeddings_reused, report.vectors
        );
        println!(
            "{} sentences embedded, {} reused; {} sentence vectors in all",
            report.sentences_embedded, report.sentence_vectors_reused, report.sentence_vectors
        );
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for s in &report.skipped {
        println!("skipped {}: {}", s.path.display(), s.reason);
    }
    for p in &report.pages_skipped {
        println!("indexed {} without {}", p.path.display(), p.reason);
    }
    Ok(())
}
