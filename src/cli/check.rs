//! `envkb check`: verifies an index without serving it: every segment file's checksum, the
//! manifest, the chunk vectors and the sentence vectors (their own checksums, and that the
//! vectors cover the chunks the manifest lists). Exit 0 when all is well; a damaged index
//! is an error that names the damaged file, with the usual exit code for a damaged index.
//!
//! `envkb serve` runs the same checks at start; this command is for backups, cron jobs and
//! after copying an index between machines.

use clap::Args;
use serde::Serialize;

use super::output::print_json;
use super::Cli;
use crate::lexical::LexicalIndex;
use crate::vector::sentences::SentenceStore;
use crate::vector::VectorStore;
use crate::Error;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print JSON: {"ok": true, "checks": [{"name", "detail"}]} (only when every check passes;
    /// a failure is an error on stderr with a non-zero exit).
    #[arg(long)]
    pub json: bool,
}

/// One check that passed, and what it covered.
#[derive(Serialize)]
struct Passed {
    name: &'static str,
    detail: String,
}

#[derive(Serialize)]
struct Report {
    ok: bool,
    checks: Vec<Passed>,
}

pub fn run(cli: &Cli, args: &CheckArgs) -> anyhow::Result<()> {
    let index = LexicalIndex::open(&cli.index).map_err(Error::from)?;
    let mut checks = Vec::new();
    let m = index.manifest();
    checks.push(Passed {
        name: "manifest",
        detail: format!(
            "{} documents, {} chunks",
            m.documents.len(),
            m.chunk_count()
        ),
    });
    index.verify().map_err(Error::from)?;
    checks.push(Passed {
        name: "segments",
        detail: format!(
            "every segment file's checksum matches ({} bytes on disk)",
            index.size_on_disk()
        ),
    });
    if let Some(name) = &m.vectors {
        let store = VectorStore::read(index.dir(), name).map_err(Error::from)?;
        let chunks = m.chunk_count() as usize;
        if store.len() != chunks {
            let err = crate::vector::VectorError::Corrupt {
                file: index.dir().join(name),
                detail: format!(
                    "{} vectors for {chunks} chunks; rebuild the index with `envkb index`",
                    store.len()
                ),
            };
            return Err(Error::from(err).into());
        }
        checks.push(Passed {
            name: "vectors",
            detail: format!(
                "{name}: checksum matches, {} vectors, one per chunk",
                store.len()
            ),
        });
    }
    if let Some(name) = &m.sentences {
        let store = SentenceStore::open(index.dir(), name).map_err(Error::from)?;
        let listed = store.documents().map_err(Error::from)?;
        checks.push(Passed {
            name: "sentences",
            detail: format!(
                "{name}: checksum matches, {} sentence vectors of {} documents",
                store.len(),
                listed.len()
            ),
        });
    }
    let report = Report { ok: true, checks };
    if args.json {
        return print_json(&report);
    }
    for c in &report.checks {
        println!("ok  {:10}{}", c.name, c.detail);
    }
    Ok(())
}
