//! `envkb ask`: one question, a short cited answer (or "not found") on stdout; with
//! `--generate`, written by a language model from the same evidence and post-checked (the
//! model's draft streams to stderr as it comes).

use std::io::Write;

use clap::Args;

use super::llm::LlmArgs;
use super::output::print_json;
use super::Cli;
use crate::answer::{ask, ask_generative, AnswerError, AskOptions, GenerateOptions};
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
    /// Let a language model write the answer from the same evidence (--llm-gguf or
    /// --llm-url); its sentences are checked against the passages they cite, unsupported
    /// ones are listed apart, and nothing supported falls back to the extractive answer.
    #[arg(long)]
    pub generate: bool,
    /// Longest generated answer, in tokens.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=2048))]
    pub max_tokens: u32,
    /// Evidence sentences numbered in the model's prompt (fewer make a shorter prompt, which
    /// a model on a CPU reads faster).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub evidence: u16,
    #[command(flatten)]
    pub llm: LlmArgs,
}

pub fn run(cli: &Cli, args: &AskArgs) -> anyhow::Result<()> {
    let question = args.question.join(" ");
    let filters = Filters::parse(&args.filters).map_err(Error::from)?;
    // Check the question before loading anything, so a typo costs no model load.
    crate::answer::check_question(&question).map_err(Error::from)?;
    // So do the language-model settings: a bad URL or GGUF path fails before any work.
    let llm = if args.generate {
        let Some(config) = args.llm.resolve()? else {
            return Err(Error::Usage(
                "--generate needs a language model: give --llm-gguf PATH (models/fetch.sh fetches a small one) or --llm-url URL".into(),
            )
            .into());
        };
        Some(
            config
                .open()
                .map_err(|e| Error::from(AnswerError::Llm(e)))?,
        )
    } else {
        None
    };
    let engine = Engine::open(&cli.index, super::model::load_for(&cli.model, &cli.index))
        .map_err(Error::from)?;
    let opts = AskOptions {
        passages: usize::from(args.k),
        filters,
        ..AskOptions::default()
    };
    let answer = match &llm {
        None => ask(&engine, &question, &opts),
        Some(llm) => {
            let gopts = GenerateOptions {
                max_tokens: args.max_tokens,
                passages: usize::from(args.evidence),
                ..GenerateOptions::default()
            };
            let stream = !args.json;
            let mut drafted = false;
            let mut on_event = |e: crate::answer::AnswerEvent| {
                if let crate::answer::AnswerEvent::Token { text } = e {
                    if stream {
                        let mut err = std::io::stderr().lock();
                        let _ = write!(err, "{text}");
                        let _ = err.flush();
                        drafted = true;
                    }
                }
            };
            let a = ask_generative(&engine, &question, &opts, llm, &gopts, &mut on_event);
            if drafted {
                eprintln!();
            }
            a
        }
    }
    .map_err(Error::from)?;
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
    if !answer.unsupported.is_empty() {
        println!();
        println!(
            "{}",
            match answer.lang {
                crate::text::Lang::Fa => "جمله‌های بی‌پشتوانه (در پاسخ نیامده‌اند):",
                crate::text::Lang::En => "Unsupported sentences (left out of the answer):",
            }
        );
        for s in &answer.unsupported {
            println!("  - {s}");
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
