//! Hybrid retrieval at scale: a generated knowledge base of N chunks (default 100,000)
//! built from the persian-wiki-qa passages, served the way `envkb search` serves it, and
//! queried with 200 real questions.
//!
//! The generator (deterministic, seeded): chunk i takes the sentences of passage
//! `i mod P`, rotated by a seeded offset, plus one sentence of a second passage, so every
//! chunk is real Persian prose and the vocabulary statistics are those of the bench data.
//! Embedding 100k texts with the real model would take hours on two cores, so only the P
//! real passages are embedded (once, cached under `target/bench-scale/`); each generated
//! chunk's vector is the normalized mix 0.85 x its main passage's vector + 0.15 x the
//! second passage's + small Gaussian noise. Questions are embedded by the real model at
//! query time, and that time is part of the measured latency.
//!
//! Printed (JSON on stdout): index size on disk, RSS after opening and after the queries
//! (before the vector-only part, which loads its own copies of the store),
//! p50/p99 of hybrid search (query embedding included) and of the parts (query embedding
//! alone, lexical alone, vector top-k exact/int8/inverted-file on the real query vectors),
//! recall@10 of the int8 scan and the inverted file against exact f32 search.
//!
//! Run: `scripts/bench_scale.sh` (release build; ENVKB_BENCH_DATA names the bench folder).
// A bench stops at the first failure; that is what its unwraps say.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use envkb::cli::question_query;
use envkb::engine::{Engine, LoadedModel};
use envkb::eval::{read_jsonl, record_to_document, CorpusRecord, QueryRecord};
use envkb::indexer::embedding_text;
use envkb::lexical::{Filters, LexicalIndex};
use envkb::search::Mode;
use envkb::text::sentence::sentence_spans;
use envkb::text::AnalyzerOptions;
use envkb::vector::{ChunkMeta, Method, SearchOptions, VectorStore};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const QUERIES: usize = 200;
const K: usize = 10;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let data = PathBuf::from(args.get(1).map_or("bench", String::as_str));
    let rows: usize = args.get(2).map_or(Ok(100_000), |s| s.parse())?;
    let out = PathBuf::from(args.get(3).map_or("target/bench-scale", String::as_str));
    let model_dir = std::env::var("ENVKB_MODEL_DIR").unwrap_or_else(|_| "models".into());
    std::fs::create_dir_all(&out)?;

    let passages: Vec<CorpusRecord> = read_jsonl(&data.join("corpus.jsonl"))?;
    let mut questions: Vec<QueryRecord> = read_jsonl(&data.join("parsinlu-dev.queries.jsonl"))?;
    let train: Vec<QueryRecord> = read_jsonl(&data.join("parsinlu-train.queries.jsonl"))?;
    questions.extend(train);
    questions.truncate(QUERIES);

    let model = LoadedModel::load(Path::new(&model_dir))?;
    let base = passage_vectors(&out, &passages, &model)?;

    let dir = out.join(format!("index-{rows}"));
    let build_s = if LexicalIndex::open(&dir).is_ok_and(|i| i.manifest().vectors.is_some()) {
        eprintln!("reusing {}", dir.display());
        None
    } else {
        let t = Instant::now();
        build(&dir, rows, &passages, &base, &model.model_id)?;
        Some(t.elapsed().as_secs_f64())
    };
    let disk = dir_size(&dir);

    let rss_before_open = rss_kb();
    let t = Instant::now();
    let engine = Engine::open(&dir, Ok(model)).map_err(anyhow::Error::msg)?;
    let open_s = t.elapsed().as_secs_f64();
    let rss_open = rss_kb();
    if engine.vectors.is_none() {
        anyhow::bail!("the bench index has no vectors");
    }
    let encoder = engine.encoder().expect("model loaded");
    let retriever = engine.retriever();
    // The same search with the fixed semantic weight (before issue 21), timed in the same
    // loop so the two see the same machine load.
    let mut fixed = engine.retriever();
    fixed.config.adaptive = false;
    let none = Filters::default();

    // Warm up caches (page cache, allocator, the model's first pass).
    for q in questions.iter().take(5) {
        retriever.search(&question_query(&q.text), &none, K, Mode::Hybrid)?;
    }

    let mut hybrid = Vec::new();
    let mut hybrid_fixed = Vec::new();
    let mut embed = Vec::new();
    let mut lexical = Vec::new();
    let mut qvecs = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let parsed = question_query(&q.text);
        // Alternate which of the two goes first, so neither always finds the caches warm.
        for adaptive in [i % 2 == 0, i % 2 == 1] {
            let (r, times) = if adaptive {
                (&retriever, &mut hybrid)
            } else {
                (&fixed, &mut hybrid_fixed)
            };
            let t = Instant::now();
            let r = r.search(&parsed, &none, K, Mode::Hybrid)?;
            times.push(ms(t));
            anyhow::ensure!(
                r.mode == Mode::Hybrid && !r.hits.is_empty(),
                "no hybrid hits"
            );
        }

        let t = Instant::now();
        let v = encoder.embed_queries(&[envkb::text::normalize_for_embedding(&q.text)])?;
        embed.push(ms(t));
        qvecs.push(v.into_iter().next().expect("one vector"));

        let t = Instant::now();
        retriever.search(&parsed, &none, K, Mode::Lexical)?;
        lexical.push(ms(t));
    }

    // Memory as served: before the vector-only part below loads copies of the store.
    let rss_queries = rss_kb();
    let peak_queries = peak_kb();

    // Vector top-k on the real query vectors: exact f32, int8 + rescoring (the default
    // below 200k rows) and the inverted file (built here, as it would be above 200k). On
    // the store read whole into memory, so exact search is not timed reading the file
    // (the engine's store leaves its f32 rows there and gives the same results).
    let store = &VectorStore::read(
        &dir,
        engine
            .index
            .manifest()
            .vectors
            .as_deref()
            .expect("the bench index has vectors"),
    )?;
    let mut ivf_store = store.clone();
    let t = Instant::now();
    ivf_store.set_options(SearchOptions {
        ann_threshold: 1,
        ..SearchOptions::default()
    });
    ivf_store.prepare();
    let ivf_build_s = t.elapsed().as_secs_f64();
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    let mut recall = [0.0f64; 2];
    for v in &qvecs {
        let t = Instant::now();
        let exact = store.search_with(v, K, &none, Method::Exact);
        times[0].push(ms(t));
        let t = Instant::now();
        let int8 = store.search_with(v, K, &none, Method::Int8);
        times[1].push(ms(t));
        let t = Instant::now();
        let approx = ivf_store.search_with(v, K, &none, Method::Approx);
        times[2].push(ms(t));
        let truth: std::collections::HashSet<usize> = exact.iter().map(|(r, _)| *r).collect();
        for (i, got) in [int8, approx].iter().enumerate() {
            recall[i] += got.iter().filter(|(r, _)| truth.contains(r)).count() as f64
                / truth.len().max(1) as f64;
        }
    }
    let n = qvecs.len() as f64;
    let report = serde_json::json!({
        "chunks": store.len(),
        "queries": questions.len(),
        "threads": rayon::current_num_threads(),
        "build_s": build_s,
        "open_s": open_s,
        "index_bytes_on_disk": disk,
        "rss_mb": {
            "before_open": rss_before_open / 1024,
            "after_open": rss_open / 1024,
            "after_queries": rss_queries / 1024,
            "peak": peak_queries / 1024,
        },
        "hybrid_ms": summary(&mut hybrid),
        "hybrid_fixed_weight_ms": summary(&mut hybrid_fixed),
        "query_embedding_ms": summary(&mut embed),
        "lexical_ms": summary(&mut lexical),
        "vector_exact_ms": summary(&mut times[0]),
        "vector_int8_ms": summary(&mut times[1]),
        "vector_ivf_ms": summary(&mut times[2]),
        "ivf_build_s": ivf_build_s,
        "recall10_vs_exact": { "int8": recall[0] / n, "ivf": recall[1] / n },
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// Real embeddings of the bench passages, cached between runs.
fn passage_vectors(
    out: &Path,
    passages: &[CorpusRecord],
    model: &LoadedModel,
) -> anyhow::Result<Vec<Vec<f32>>> {
    let dim = model.encoder.dim();
    let cache = out.join(format!("passages-{}.f32", passages.len()));
    if let Ok(bytes) = std::fs::read(&cache) {
        if bytes.len() == passages.len() * dim * 4 {
            return Ok(bytes
                .chunks_exact(dim * 4)
                .map(|row| {
                    row.chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect()
                })
                .collect());
        }
    }
    eprintln!("embedding {} passages once (cached)", passages.len());
    let mut vectors = Vec::with_capacity(passages.len());
    for (i, batch) in passages.chunks(16).enumerate() {
        let texts: Vec<String> = batch
            .iter()
            .map(|p| embedding_text(std::slice::from_ref(&p.title), &p.text))
            .collect();
        vectors.extend(model.encoder.embed_passages(&texts)?);
        eprint!("\r{}/{}", (i + 1) * 16, passages.len());
    }
    eprintln!();
    let bytes: Vec<u8> = vectors
        .iter()
        .flat_map(|v| v.iter().flat_map(|x| x.to_le_bytes()))
        .collect();
    std::fs::write(&cache, bytes)?;
    Ok(vectors)
}

/// Writes the generated knowledge base: tantivy and vectors in one commit, like `index`.
fn build(
    dir: &Path,
    rows: usize,
    passages: &[CorpusRecord],
    base: &[Vec<f32>],
    model_id: &str,
) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let sentences: Vec<Vec<&str>> = passages
        .iter()
        .map(|p| {
            sentence_spans(&p.text)
                .into_iter()
                .map(|(s, e)| p.text[s..e].trim())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .collect();
    let dim = base[0].len();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5ca1e);
    let mut index = LexicalIndex::open_or_create(dir, AnalyzerOptions::default())?;
    let mut session = index.begin()?;
    session.set_model(Some(model_id.to_string()));
    let mut store = VectorStore::new(dim);
    let t = Instant::now();
    for i in 0..rows {
        let a = i % passages.len();
        let b = rng.random_range(0..passages.len());
        let sa = &sentences[a];
        let rot = rng.random_range(0..sa.len().max(1));
        let mut text = String::new();
        for s in sa.iter().cycle().skip(rot).take(sa.len()) {
            if text.len() + s.len() > 1200 {
                if text.is_empty() {
                    // One overlong sentence: keep its first 1200 bytes so no chunk is empty.
                    let mut end = 1200;
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.push_str(&s[..end]);
                }
                break;
            }
            text.push_str(s);
            text.push(' ');
        }
        if let Some(s) = sentences[b].get(rng.random_range(0..sentences[b].len().max(1))) {
            if s.len() < 300 {
                text.push_str(s);
            }
        }
        let record = CorpusRecord {
            id: format!("gen/{i:06}"),
            title: passages[a].title.clone(),
            text,
            lang: Some("fa".into()),
            doc_type: Some("passage".into()),
        };
        let doc = record_to_document(&record);
        session.add(&doc)?;
        for c in &doc.chunks {
            let mut v: Vec<f32> = base[a]
                .iter()
                .zip(&base[b])
                .map(|(x, y)| 0.85 * x + 0.15 * y + 0.01 * gauss(&mut rng))
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            store.push(
                ChunkMeta {
                    chunk_id: c.id.clone(),
                    doc_id: doc.id.clone(),
                    content_hash: *blake3::hash(c.text.as_bytes()).as_bytes(),
                    doc_type: doc.doc_type.clone(),
                    lang: c.lang,
                    year: None,
                    status: None,
                },
                &v,
            )?;
        }
        if (i + 1) % 10_000 == 0 {
            eprintln!(
                "{} chunks generated ({:.0} s)",
                i + 1,
                t.elapsed().as_secs_f64()
            );
        }
    }
    // Search only: no sentence vectors (an answer on this index embeds its sentences).
    session.commit_with(|dir, generation| {
        Ok(envkb::lexical::Companions {
            vectors: Some(store.write(dir, generation)?),
            sentences: None,
        })
    })?;
    Ok(())
}

fn gauss(rng: &mut ChaCha8Rng) -> f32 {
    let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn summary(xs: &mut [f64]) -> serde_json::Value {
    xs.sort_by(f64::total_cmp);
    let q = |p: f64| xs[((xs.len() as f64 - 1.0) * p).round() as usize];
    serde_json::json!({ "p50": q(0.5), "p99": q(0.99), "mean": xs.iter().sum::<f64>() / xs.len() as f64 })
}

fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn rss_kb() -> u64 {
    status_kb("VmRSS:")
}

fn peak_kb() -> u64 {
    status_kb("VmHWM:")
}

fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
