//! `envkb ask`: one question, a short cited answer (or "not found") on stdout.

use clap::Args;

use super::output::print_json;
use super::Cli;
use crate::answer::{ask, AskOptions};
use crate::engine::Engine;
use crate::lexical::Filters;
use crate::Error;

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question, in Persian or English (several words are joined with spaces). A
    /// question that starts with `-` goes after `--`.
    #[arg(required = true, num_args = 1..)]
    pub question: Vec<String>,
    /// Passages retrieved and read for evidence.
    #[arg(short, long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=50))]
    pub k: u16,
    /// Metadata filter KEY=VALUE (doc_type, lang, year, status); repeatable.
    #[arg(long = "filter", short = 'f')]
    pub filters: Vec<String>,
    /// Print JSON: {"answer", "abstained", "lang", "citations": [{"n", "doc_id", "chunk_id",
    /// "title", "breadcrumb", "quote", "start", "end"}], "see_also": [...]}.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cli: &Cli, args: &AskArgs) -> anyhow::Result<()> {
    let question = args.question.join(" ");
    let filters = Filters::parse(&args.filters).map_err(Error::from)?;
    // Check the question before loading anything, so a typo costs no model load.
    crate::answer::check_question(&question).map_err(Error::from)?;
    let engine = Engine::open(&cli.index, super::model::load(&cli.model)).map_err(Error::from)?;
    let opts = AskOptions {
        passages: usize::from(args.k),
        filters,
        ..AskOptions::default()
    };
    let answer = ask(&engine, &question, &opts).map_err(Error::from)?;
    if let Some(w) = &answer.warning {
        eprintln!("warning: {w}");
    }
    if args.json {
        return print_json(&answer);
    }
    println!("{}", answer.answer);
    if !answer.citations.is_empty() {
        println!();
        for c in &answer.citations {
            let page = c
                .pages
                .map(|p| format!(", {}", p.label()))
                .unwrap_or_default();
            println!(
                "[{}] {}  ({}{page})",
                c.n,
                c.breadcrumb.join(" › "),
                c.chunk_id
            );
            println!(
                "    «{}»",
                c.quote.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
    if !answer.see_also.is_empty() {
        println!();
        println!(
            "{}",
            match answer.lang {
                crate::text::Lang::Fa => "همچنین ببینید:",
                crate::text::Lang::En => "See also:",
            }
        );
        for s in &answer.see_also {
            println!("  - {}  ({})", s.breadcrumb.join(" › "), s.chunk_id);
        }
    }
    Ok(())
}
