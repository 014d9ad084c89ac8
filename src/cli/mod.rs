//! The `envkb` command line: argument parsing and the subcommands.
//!
//! Parses with clap, resolves options (flags, then `ENVKB_*` environment variables,
//! then defaults), calls the library, prints text or JSON. The only place besides
//! `main.rs` that uses `anyhow`.

mod ask;
mod check;
mod embed;
mod eval;
mod eval_answers;
mod eval_fusion;
mod exercises;
mod index;
mod llm;
mod model;
mod output;
mod search;
mod serve;
mod stats;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use eval::question_query;

/// envkb: search and cited answers over environmental law, policy and ISO guidance
/// (Persian first, English second).
#[derive(Debug, Parser)]
#[command(name = "envkb", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Index directory.
    #[arg(long, global = true, env = "ENVKB_INDEX", default_value = "envkb-data")]
    pub index: PathBuf,

    #[command(flatten)]
    pub(crate) model: model::ModelArgs,

    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands; `main` looks at which one runs before dispatching it.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Index folders or files (Markdown, text, HTML, PDF, DOCX); re-running updates only what
    /// changed.
    Index(index::IndexArgs),
    /// Search the index.
    Search(search::SearchArgs),
    /// Score retrieval on a question set (bench format).
    Eval(eval::EvalArgs),
    /// Score cited answers on a question set: answer hits, citation precision, abstention.
    EvalAnswers(eval_answers::EvalAnswersArgs),
    /// Show what the index holds.
    Stats(stats::StatsArgs),
    /// Verify the index: segment checksums, the manifest, chunk and sentence vectors.
    Check(check::CheckArgs),
    /// Answer a question from the index, with numbered citations (or "not found").
    Ask(ask::AskArgs),
    /// Generate an exercise set with its answer key for trainers (find the source, retriever
    /// disagreement, cite check, normalization), validated against the index.
    Exercises(exercises::ExercisesArgs),
    /// Print E5 embeddings of texts as JSON (for debugging, scripts and course exercises).
    Embed(embed::EmbedArgs),
    /// Serve the web page and the JSON API (search, documents, embeddings) over HTTP.
    Serve(serve::ServeArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Index(args) => index::run(&cli, args),
        Command::Search(args) => search::run(&cli, args),
        Command::Eval(args) => eval::run(&cli, args),
        Command::Stats(args) => stats::run(&cli, args),
        Command::Check(args) => check::run(&cli, args),
        Command::Embed(args) => embed::run(args),
        Command::Ask(args) => ask::run(&cli, args),
        Command::Exercises(args) => exercises::run(&cli, args),
        Command::EvalAnswers(args) => eval_answers::run(&cli, args),
        Command::Serve(args) => serve::run(&cli, args),
    }
}
