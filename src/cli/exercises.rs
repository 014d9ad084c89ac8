//! `envkb exercises`: generate a trainer's exercise set and its key from the index and write
//! both files atomically into one folder.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::output::print_json;
use super::Cli;
use crate::engine::Engine;
use crate::exercises::render::{render, Format};
use crate::exercises::{self, ExerciseOptions, Kind, KindReport, DEFAULT_COUNT, DEFAULT_SEED};
use crate::text::Lang;
use crate::Error;

#[derive(Debug, Args)]
pub struct ExercisesArgs {
    /// Draw the exercises from a search for this topic.
    #[arg(long, value_name = "TEXT")]
    pub topic: Option<String>,
    /// Draw the exercises from the documents of this type (law, policy, standard-guidance,
    /// course, agreement, glossary); with --topic, limits the topic search to it.
    #[arg(long, value_name = "T")]
    pub doc_type: Option<String>,
    /// Exercises of each kind.
    #[arg(long, default_value_t = DEFAULT_COUNT)]
    pub count: usize,
    /// Language of the handout and of the passages it uses: fa or en.
    #[arg(long, default_value = "fa", value_parser = parse_lang)]
    pub lang: Lang,
    /// Kinds to include, comma-separated (default: all four).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub kinds: Vec<Kind>,
    /// Folder for the two files: exercises.FORMAT (for participants) and key.FORMAT.
    #[arg(long, default_value = "exercises")]
    pub out: PathBuf,
    /// md for editing, html for printing (self-contained, right-to-left for Persian), jsonl
    /// for other tools.
    #[arg(long, value_enum, default_value_t = Format::Html)]
    pub format: Format,
    /// Seed for every random choice: the same index, options and seed give the same set.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Print a JSON summary: {"items", "dropped", "kinds": [...], "files": [...]}.
    #[arg(long)]
    pub json: bool,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("{s:?} is not a language: use fa or en"))
}

#[derive(Serialize)]
struct Summary<'a> {
    items: usize,
    dropped: usize,
    lang: &'static str,
    seed: u64,
    kinds: &'a [KindReport],
    files: Vec<String>,
}

pub fn run(cli: &Cli, args: &ExercisesArgs) -> anyhow::Result<()> {
    let options = ExerciseOptions {
        topic: args.topic.clone(),
        doc_type: args.doc_type.clone(),
        count: args.count,
        lang: args.lang,
        kinds: if args.kinds.is_empty() {
            Kind::ALL.to_vec()
        } else {
            args.kinds.clone()
        },
        seed: args.seed,
    };
    let engine = Engine::open(&cli.index, super::model::load_for(&cli.model, &cli.index))
        .map_err(Error::from)?;
    let set = exercises::generate(&engine, &options).map_err(Error::from)?;
    if set.items.is_empty() {
        return Err(Error::Usage(format!(
            "no exercise could be made from {}; try a broader topic or another doc type",
            options.scope()
        ))
        .into());
    }
    let rendered = render(&set, args.format);
    let ext = args.format.extension();
    let exercises_path = args.out.join(format!("exercises.{ext}"));
    let key_path = args.out.join(format!("key.{ext}"));
    write_pair(
        &args.out,
        [
            (&exercises_path, rendered.exercises.as_bytes()),
            (&key_path, rendered.key.as_bytes()),
        ],
    )?;
    let files = vec![
        exercises_path.display().to_string(),
        key_path.display().to_string(),
    ];
    for r in &set.report {
        if let Some(note) = &r.note {
            eprintln!("warning: {}: {note}", r.kind.name());
        }
    }
    if args.json {
        return print_json(&Summary {
            items: set.items.len(),
            dropped: set.dropped(),
            lang: options.lang.code(),
            seed: options.seed,
            kinds: &set.report,
            files,
        });
    }
    for r in &set.report {
        let reasons: Vec<String> = r
            .dropped_by_reason
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!(
            "{:<24} {} of {} written, {} dropped by validation{}",
            r.kind.name(),
            r.written,
            r.requested,
            r.dropped,
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join(", "))
            }
        );
    }
    println!("exercises: {}", files[0]);
    println!("key:       {}", files[1]);
    Ok(())
}

/// Writes both files through temporary files in `dir`, renaming only when both are complete,
/// so a crash never leaves half a handout or a key that belongs to another set.
fn write_pair(dir: &Path, files: [(&Path, &[u8]); 2]) -> anyhow::Result<()> {
    use std::io::Write;
    let fail = |what: &Path, e: std::io::Error| {
        Error::Usage(format!("cannot write {}: {e}", what.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
    let mut staged = Vec::new();
    for (path, bytes) in files {
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(dir, e))?;
        // Temporary files are private; a handout is for sharing.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(|e| fail(path, e))?;
        }
        tmp.write_all(bytes).map_err(|e| fail(path, e))?;
        tmp.as_file().sync_all().map_err(|e| fail(path, e))?;
        staged.push((tmp, path));
    }
    for (tmp, path) in staged {
        tmp.persist(path).map_err(|e| fail(path, e.error))?;
    }
    Ok(())
}
