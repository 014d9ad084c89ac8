//! Shared terminal output: progress bars, JSON printing, and whether to colour.

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on stderr; invisible when stderr is not a terminal.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Prints one JSON value on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Whether text written to `stream` may carry colour or bold codes: only when it is a
/// terminal, never with `NO_COLOR` set (anstream's detection, which also honours
/// `CLICOLOR=0` and `CLICOLOR_FORCE`). Output redirected to a file or a pipe stays plain.
pub fn color_on<S: anstream::stream::RawStream>(stream: &S) -> bool {
    anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
}

/// The progress bar of embedding a bench corpus (shown only when the cache misses).
pub struct CorpusBar(pub Option<ProgressBar>);

impl crate::indexer::Progress for CorpusBar {
    fn embedding(&mut self, total: usize) {
        self.0 = Some(bar(total as u64, "embedding corpus (cached for next time)"));
    }
    fn embedded(&mut self, n: usize) {
        if let Some(b) = &self.0 {
            b.inc(n as u64);
        }
    }
}
