//! Vector search at scale: 100,000 embedding-like vectors of 384 dimensions (the size
//! of multilingual-e5-small output), searched exactly (f32), by int8 with f32
//! rescoring, and through the inverted file, with and without filters.
//!
//! The data: 300 random unit "topic" directions and one shared direction (real encoder
//! outputs are all somewhat alike: e5 cosines between unrelated texts sit well above
//! zero). Each vector is 0.5 x shared + one to three topics with weights in 0.3..1 +
//! Gaussian noise (0.6 / sqrt(dim) per coordinate), normalized. Queries are fresh draws
//! from the same mixture. Seeded (ChaCha8), so every run sees the same vectors.
//!
//! Before criterion runs, a timed loop over 200 queries prints p50/p99 latency and
//! recall@10 against exact search for every method, a small sweep of nprobe and int8
//! candidate counts (where the defaults come from), load/write times and store memory;
//! it asserts recall floors and result sizes, so a fast wrong answer fails the bench.
//!
//! Run: `cargo bench --bench vector` (ENVKB_BENCH_ROWS changes the row count).
// A bench stops at the first failure; that is what its unwraps say.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use envkb::lexical::Filters;
use envkb::text::Lang;
use envkb::vector::{ChunkMeta, Method, SearchOptions, VectorStore};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DIM: usize = 384;
const TOPICS: usize = 300;
const QUERIES: usize = 200;
const K: usize = 10;

fn gauss(rng: &mut ChaCha8Rng) -> f32 {
    let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

fn unit(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
}

struct Mixture {
    basis: Vec<Vec<f32>>,
}

impl Mixture {
    fn new(rng: &mut ChaCha8Rng) -> Mixture {
        let mut basis: Vec<Vec<f32>> = (0..=TOPICS)
            .map(|_| (0..DIM).map(|_| gauss(rng)).collect())
            .collect();
        basis.iter_mut().for_each(|b| unit(b));
        Mixture { basis }
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> Vec<f32> {
        let mut v: Vec<f32> = self.basis[TOPICS].iter().map(|x| 0.5 * x).collect();
        for _ in 0..rng.random_range(1..=3) {
            let t = &self.basis[rng.random_range(0..TOPICS)];
            let w: f32 = rng.random_range(0.3..1.0);
            v.iter_mut().zip(t).for_each(|(a, b)| *a += w * b);
        }
        let noise = 0.6 / (DIM as f32).sqrt();
        v.iter_mut().for_each(|a| *a += noise * gauss(rng));
        unit(&mut v);
        v
    }
}

fn meta(i: usize) -> ChunkMeta {
    ChunkMeta {
        chunk_id: format!("doc{:05}#{:02}", i / 20, i % 20),
        doc_id: format!("doc{:05}", i / 20),
        content_hash: *blake3::hash(&(i as u64).to_le_bytes()).as_bytes(),
        // Whole documents share type, language, year and status, like the corpus.
        doc_type: ["law", "regulation", "standard", "guideline", "course-note"][(i / 20) % 5]
            .to_string(),
        lang: if (i / 20) % 4 == 0 {
            Lang::En
        } else {
            Lang::Fa
        },
        year: Some(1990 + ((i / 20) % 35) as u32),
        status: ((i / 20) % 2 == 0).then(|| "in-force".to_string()),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

struct Run {
    p50: f64,
    p99: f64,
    recall: f64,
}

fn run(
    store: &VectorStore,
    queries: &[Vec<f32>],
    truth: &[Vec<(usize, f32)>],
    filter: &Filters,
    method: Method,
) -> Run {
    let mut times = Vec::with_capacity(queries.len());
    let mut recall = 0.0;
    for (q, want) in queries.iter().zip(truth) {
        let t = Instant::now();
        let got = black_box(store.search_with(q, K, filter, method));
        times.push(t.elapsed());
        assert_eq!(got.len(), want.len(), "{method:?} returned a short list");
        assert!(
            got.windows(2).all(|w| w[0].1 >= w[1].1),
            "{method:?} unsorted"
        );
        let want: HashSet<usize> = want.iter().map(|w| w.0).collect();
        recall += got.iter().filter(|g| want.contains(&g.0)).count() as f64 / want.len() as f64;
    }
    times.sort();
    Run {
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
        recall: recall / queries.len() as f64,
    }
}

fn main() {
    // `cargo test --all-targets` runs benches once as a check, in a debug build: a small set
    // keeps that check (recall floors, sorted results) quick; `cargo bench` uses 100k.
    let benching = std::env::args().any(|a| a == "--bench");
    let rows: usize = std::env::var("ENVKB_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 100_000 } else { 20_000 });
    let mut rng = ChaCha8Rng::seed_from_u64(0x00E5_5A11);
    let mix = Mixture::new(&mut rng);
    let t = Instant::now();
    let mut store = VectorStore::new(DIM);
    store.set_options(SearchOptions {
        ann_threshold: usize::MAX,
        ..SearchOptions::default()
    });
    for i in 0..rows {
        store.push(meta(i), &mix.draw(&mut rng)).unwrap();
    }
    let queries: Vec<Vec<f32>> = (0..QUERIES).map(|_| mix.draw(&mut rng)).collect();
    println!("generated {rows} x {DIM} in {:.1?}", t.elapsed());

    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let name = store.write(dir.path(), 1).unwrap();
    let write = t.elapsed();
    let size = std::fs::metadata(dir.path().join(&name)).unwrap().len();
    let t = Instant::now();
    let mut store = VectorStore::read(dir.path(), &name).unwrap();
    let read = t.elapsed();
    let built_on_read = store.has_ann();
    // Time the inverted file alone (the comparisons below need it at any size).
    store.set_options(SearchOptions {
        ann_threshold: usize::MAX,
        ..SearchOptions::default()
    });
    let t = Instant::now();
    store.set_options(SearchOptions {
        ann_threshold: 1,
        ..SearchOptions::default()
    });
    let build = t.elapsed();
    println!(
        "file {:.1} MB: write {write:.1?}, read+verify {read:.1?} (default threshold {}: inverted file built on read: {built_on_read}); inverted file build alone {build:.1?}",
        size as f64 / 1e6,
        SearchOptions::default().ann_threshold,
    );
    let with_ann = |o: SearchOptions| SearchOptions {
        ann_threshold: 1,
        ..o
    };
    println!(
        "memory: {:.1} MB ({} bytes; f32 vectors alone {:.1} MB)",
        store.memory_bytes() as f64 / 1e6,
        store.memory_bytes(),
        (rows * DIM * 4) as f64 / 1e6
    );

    let filters = [
        ("none", Filters::default()),
        (
            "doc_type=law (20%)",
            Filters::parse(&["doc_type=law"]).unwrap(),
        ),
        (
            "status=in-force (50%)",
            Filters::parse(&["status=in-force"]).unwrap(),
        ),
        (
            "lang=en,year=2000..2009 (~7%)",
            Filters::parse(&["lang=en", "year=2000..2009"]).unwrap(),
        ),
    ];
    println!(
        "\n{:<32} {:<7} {:>8} {:>8} {:>9}",
        "filter", "method", "p50 ms", "p99 ms", "recall@10"
    );
    for (label, f) in &filters {
        let truth: Vec<_> = queries
            .iter()
            .map(|q| store.search_with(q, K, f, Method::Exact))
            .collect();
        for method in [Method::Exact, Method::Int8, Method::Approx] {
            let r = run(&store, &queries, &truth, f, method);
            println!(
                "{label:<32} {:<7} {:>8.3} {:>8.3} {:>9.4}",
                format!("{method:?}"),
                r.p50,
                r.p99,
                r.recall
            );
            let floor = if method == Method::Exact { 1.0 } else { 0.95 };
            assert!(
                r.recall >= floor,
                "{method:?} recall@10 {} below {floor} ({label})",
                r.recall
            );
        }
    }

    let truth: Vec<_> = queries
        .iter()
        .map(|q| store.search_with(q, K, &Filters::default(), Method::Exact))
        .collect();
    println!("\nsweep (no filter):");
    for nprobe in [4, 8, 16, 24, 32, 48] {
        store.set_options(with_ann(SearchOptions {
            nprobe,
            ..SearchOptions::default()
        }));
        let r = run(
            &store,
            &queries,
            &truth,
            &Filters::default(),
            Method::Approx,
        );
        println!(
            "  approx nprobe {nprobe:>3}: p50 {:.3} ms p99 {:.3} ms recall@10 {:.4}",
            r.p50, r.p99, r.recall
        );
    }
    for factor in [1, 2, 4, 8] {
        // Candidates apply to both int8 scans (all rows, and the inverted file's lists).
        store.set_options(with_ann(SearchOptions {
            int8_candidates: factor,
            ..SearchOptions::default()
        }));
        let r = run(&store, &queries, &truth, &Filters::default(), Method::Int8);
        println!(
            "  int8 candidates {:>3}: p50 {:.3} ms p99 {:.3} ms recall@10 {:.4}",
            factor * K,
            r.p50,
            r.p99,
            r.recall
        );
        let r = run(
            &store,
            &queries,
            &truth,
            &Filters::default(),
            Method::Approx,
        );
        println!(
            "  approx candidates {:>3}: p50 {:.3} ms p99 {:.3} ms recall@10 {:.4}",
            factor * K,
            r.p50,
            r.p99,
            r.recall
        );
    }
    // What a store of this size does by default (Auto: int8 below the threshold).
    store.set_options(SearchOptions::default());
    let r = run(&store, &queries, &truth, &Filters::default(), Method::Auto);
    println!(
        "default (Auto, threshold {}, inverted file {}): p50 {:.3} ms p99 {:.3} ms recall@10 {:.4}",
        store.options().ann_threshold,
        if store.has_ann() { "used" } else { "not built" },
        r.p50,
        r.p99,
        r.recall
    );
    assert!(r.recall >= 0.95);
    store.set_options(with_ann(SearchOptions::default()));

    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = c.benchmark_group(format!("vector_top10_{rows}x{DIM}"));
    for method in [Method::Exact, Method::Int8, Method::Approx] {
        let mut i = 0;
        group.bench_function(format!("{method:?}"), |b| {
            b.iter(|| {
                i = (i + 1) % queries.len();
                black_box(store.search_with(&queries[i], K, &Filters::default(), method))
            })
        });
    }
    group.finish();
    c.final_summary();
}
