//! Where a served index's memory goes, part by part: the resident set (VmRSS) of this
//! process after each step `envkb serve` takes to open an index, and the vector store's
//! own account of its bytes (f32 rows, int8 codes, metadata and maps).
//!
//! Steps, in serve's order: open the lexical index (tantivy readers, the manifest), verify
//! the segment files, load the model (tokenizer cache, weights), open the chunk vectors
//! for searching (int8 codes resident, f32 rows left in the file), run the queries of the
//! scale bench; then, for comparison, read the same vectors whole into memory as the
//! indexer does (and as serve did before issue 20). Deltas of VmRSS include allocator
//! slack, so they are measurements, not exact sizes.
//!
//! Run: `cargo run --release --example serve_memory -- INDEX_DIR [QUESTIONS.jsonl]`
//! (scripts/bench_serve_memory.sh runs it on the scale bench's index).
// A measurement stops at the first failure; that is what its unwraps say.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use envkb::cli::question_query;
use envkb::engine::{Engine, LoadedModel};
use envkb::eval::{read_jsonl, QueryRecord};
use envkb::lexical::{Filters, LexicalIndex};
use envkb::search::Mode;
use envkb::vector::VectorStore;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        args.get(1)
            .map_or("target/bench-scale/index-100000", String::as_str),
    );
    let questions: Vec<QueryRecord> = match args.get(2) {
        Some(q) => read_jsonl(Path::new(q))?,
        None => Vec::new(),
    };
    let model_dir = std::env::var("ENVKB_MODEL_DIR").unwrap_or_else(|_| "models".into());
    let mb = |kb: u64| kb as f64 / 1024.0;
    let mut steps = Vec::new();
    let mut last = rss_kb();
    let mut step = |name: &str, steps: &mut Vec<serde_json::Value>| {
        let now = rss_kb();
        steps.push(serde_json::json!({
            "step": name,
            "rss_mb": mb(now),
            "delta_mb": mb(now) - mb(last),
        }));
        last = now;
    };
    step("process start", &mut steps);
    let index = LexicalIndex::open(&dir)?;
    step(
        "lexical index opened (tantivy readers, manifest)",
        &mut steps,
    );
    index.verify()?;
    step("segment files verified", &mut steps);
    let model = LoadedModel::load(Path::new(&model_dir))?;
    step("model loaded (tokenizer cache, weights)", &mut steps);
    let engine = Engine::with_index(index, Ok(model));
    let store = engine
        .vectors
        .as_ref()
        .expect("the index has vectors for this model");
    step("chunk vectors opened for searching", &mut steps);
    let retriever = engine.retriever();
    for q in &questions {
        retriever.search(
            &question_query(&q.text),
            &Filters::default(),
            10,
            Mode::Hybrid,
        )?;
    }
    step(&format!("{} hybrid searches", questions.len()), &mut steps);
    let name = engine.index.manifest().vectors.clone().expect("vectors");
    let whole = VectorStore::read(&dir, &name)?;
    step(
        "the same vectors read whole (the indexer's copy)",
        &mut steps,
    );

    // The one thing that got slower in principle: rescoring reads its candidates' f32 rows
    // from the file. Top-10 on both stores with the questions' real vectors, interleaved.
    let encoder = engine.encoder().expect("model loaded");
    let mut opened_ms = Vec::new();
    let mut whole_ms = Vec::new();
    let mut same = 0;
    for (i, q) in questions.iter().enumerate() {
        let v = encoder.embed_queries(&[envkb::text::normalize_for_embedding(&q.text)])?;
        let mut got = Vec::new();
        for first in [i % 2 == 0, i % 2 == 1] {
            let (s, times) = if first {
                (store, &mut opened_ms)
            } else {
                (&whole, &mut whole_ms)
            };
            let t = std::time::Instant::now();
            got.push(s.search(&v[0], 10, &Filters::default()));
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        same += usize::from(got[0] == got[1]);
    }

    // The whole hybrid search on the two stores (same lexical index, same model),
    // interleaved: what leaving the rows in the file costs a query end to end.
    let mut in_memory = engine.reopen(&dir)?;
    in_memory.vectors = Some(whole.clone());
    let (a, b) = (engine.retriever(), in_memory.retriever());
    let mut hybrid = [Vec::new(), Vec::new()];
    let mut paired = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let parsed = question_query(&q.text);
        let mut took = [0.0; 2];
        for side in [i % 2, 1 - i % 2] {
            let r = if side == 0 { &a } else { &b };
            let t = std::time::Instant::now();
            r.search(&parsed, &Filters::default(), 10, Mode::Hybrid)?;
            took[side] = t.elapsed().as_secs_f64() * 1e3;
            hybrid[side].push(took[side]);
        }
        paired.push(took[0] - took[1]);
    }

    let (rows, dim) = (store.len(), store.dim());
    let f32_bytes = rows * dim * 4;
    let codes_bytes = rows * dim + rows * 4;
    let report = serde_json::json!({
        "index": dir,
        "rows": rows,
        "dim": dim,
        "steps": steps,
        "vector_top10_ms": {
            "opened_for_searching": summary(&mut opened_ms),
            "read_whole": summary(&mut whole_ms),
            "identical_results": format!("{same} of {}", questions.len()),
        },
        "hybrid_search_ms": {
            "opened_for_searching": summary(&mut hybrid[0]),
            "read_whole": summary(&mut hybrid[1]),
            "paired_difference": summary(&mut paired),
        },
        "vector_store_mb": {
            "opened_for_searching": store.memory_bytes() as f64 / 1048576.0,
            "read_whole": whole.memory_bytes() as f64 / 1048576.0,
            "f32_rows": f32_bytes as f64 / 1048576.0,
            "int8_codes_and_scales": codes_bytes as f64 / 1048576.0,
            "metadata_and_maps": (store.memory_bytes() - codes_bytes) as f64 / 1048576.0,
        },
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

fn summary(xs: &mut [f64]) -> serde_json::Value {
    if xs.is_empty() {
        return serde_json::Value::Null;
    }
    xs.sort_by(f64::total_cmp);
    let q = |p: f64| xs[((xs.len() as f64 - 1.0) * p).round() as usize];
    serde_json::json!({ "p50": q(0.5), "p99": q(0.99) })
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
