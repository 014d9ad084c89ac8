//! `envkb stats`: what the index holds (documents, chunks, by type and language, bytes on
//! disk), as text or as the stable JSON other tools read.

use std::collections::BTreeMap;

use clap::Args;
use serde::Serialize;

use super::output::print_json;
use super::Cli;
use crate::lexical::LexicalIndex;
use crate::Error;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print JSON: {"documents": N, "chunks": M, ...}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Stats {
    documents: usize,
    chunks: u64,
    by_doc_type: BTreeMap<String, usize>,
    by_lang: BTreeMap<String, usize>,
    by_status: BTreeMap<String, usize>,
    index_bytes: u64,
    source_bytes: u64,
    /// Chunks with an embedding (0 when the index has no semantic side).
    vectors: usize,
    model: Option<String>,
}

pub fn run(cli: &Cli, args: &StatsArgs) -> anyhow::Result<()> {
    let index = LexicalIndex::open(&cli.index).map_err(Error::from)?;
    let m = index.manifest();
    let mut stats = Stats {
        documents: m.documents.len(),
        chunks: m.chunk_count(),
        by_doc_type: BTreeMap::new(),
        by_lang: BTreeMap::new(),
        by_status: BTreeMap::new(),
        index_bytes: index.size_on_disk(),
        source_bytes: m.documents.values().map(|d| d.bytes).sum(),
        vectors: match &m.vectors {
            Some(name) => crate::vector::VectorStore::read(index.dir(), name)
                .map_err(Error::from)?
                .len(),
            None => 0,
        },
        model: m.model.clone(),
    };
    for d in m.documents.values() {
        *stats.by_doc_type.entry(d.doc_type.clone()).or_default() += 1;
        *stats.by_lang.entry(d.lang.code().to_string()).or_default() += 1;
        *stats
            .by_status
            .entry(d.status.clone().unwrap_or_else(|| "-".into()))
            .or_default() += 1;
    }
    if args.json {
        return print_json(&stats);
    }
    println!("index:      {}", cli.index.display());
    println!("documents:  {}", stats.documents);
    println!("chunks:     {}", stats.chunks);
    println!("vectors:    {}", stats.vectors);
    println!(
        "on disk:    {:.1} MiB",
        stats.index_bytes as f64 / (1024.0 * 1024.0)
    );
    for (name, map) in [
        ("doc_type", &stats.by_doc_type),
        ("lang", &stats.by_lang),
        ("status", &stats.by_status),
    ] {
        let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("{name:<11} {}", parts.join(", "));
    }
    Ok(())
}
