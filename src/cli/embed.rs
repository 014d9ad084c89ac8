//! `envkb embed`: print the E5 embeddings of texts as JSON.
//!
//! Owns the subcommand's arguments and output format only; loading and embedding
//! are the `embed` module's. Texts get the index's Persian normalization first.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::embed::{Encoder, EncoderOptions, ModelSource, TextKind};

/// Print one L2-normalized embedding per text: `{"dim": 384, "embeddings": [[...], ...]}`.
#[derive(Debug, Clone, clap::Args)]
pub struct EmbedArgs {
    /// Embed as search queries ("query: " prefix); default is passages ("passage: ").
    #[arg(long)]
    pub query: bool,
    /// Model directory: e5-small-q4.bin + tokenizer.json (from models/fetch.sh), or a
    /// Hugging Face directory with config.json, model.safetensors and tokenizer.json.
    #[arg(long, env = "ENVKB_MODEL_DIR", default_value = crate::embed::DEFAULT_MODEL_DIR)]
    pub model_dir: PathBuf,
    /// Threads for the model math (default: RAYON_NUM_THREADS, else one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Texts to embed.
    #[arg(required = true)]
    pub texts: Vec<String>,
}

/// Run `envkb embed`.
pub fn run(args: &EmbedArgs) -> anyhow::Result<()> {
    let source = ModelSource::discover(&args.model_dir)?;
    let opts = EncoderOptions {
        threads: args.threads,
        ..EncoderOptions::default()
    };
    let encoder = Encoder::load_with(&source, opts)?;
    let kind = if args.query {
        TextKind::Query
    } else {
        TextKind::Passage
    };
    // The same Persian normalization as the index, so vectors match what search uses.
    let texts: Vec<String> = args
        .texts
        .iter()
        .map(|t| crate::text::normalize_for_embedding(t))
        .collect();
    let embeddings = encoder.embed(&texts, kind)?;
    let out = serde_json::json!({ "dim": encoder.dim(), "embeddings": embeddings });
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &out).context("writing embeddings")?;
    writeln!(stdout).context("writing embeddings")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmbedArgs,
    }

    #[test]
    fn arguments_parse() {
        let cli = Cli::try_parse_from([
            "x",
            "--query",
            "--threads",
            "2",
            "--model-dir",
            "m",
            "آب",
            "air",
        ])
        .unwrap();
        assert!(cli.args.query);
        assert_eq!(cli.args.threads, Some(2));
        assert_eq!(cli.args.model_dir, PathBuf::from("m"));
        assert_eq!(cli.args.texts, vec!["آب", "air"]);
        assert!(Cli::try_parse_from(["x"]).is_err(), "texts are required");
    }

    #[test]
    fn a_bad_model_dir_is_a_clear_error() {
        let cli = Cli::try_parse_from(["x", "--model-dir", "/nonexistent/envkb", "a"]).unwrap();
        let e = run(&cli.args).unwrap_err();
        assert!(e.to_string().contains("models/fetch.sh"), "{e}");
    }
}
