//! Analyzer throughput and search latency, each measured beside a peer in the same run:
//! tantivy's default analyzer (simple tokenizer + lowercaser), which knows no Persian.
//!
//! Needs the bench data: `../shared/bench/persian-wiki-qa/` beside the checkout, or
//! `ENVKB_BENCH_DIR` pointing at a folder with `persian-wiki-qa/` in it.
//! Run: `cargo bench --bench lexical`.
// A bench stops at the first failure; that is what its unwraps say.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use envkb::eval::{read_jsonl, record_to_document, CorpusRecord, QueryRecord};
use envkb::lexical::{Filters, LexicalIndex};
use envkb::search::{HybridConfig, Mode, Retriever};
use envkb::text::{Analyzer, AnalyzerOptions};
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{Schema, STORED, TEXT};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{doc, Index, TantivyDocument};

fn bench_dir() -> PathBuf {
    std::env::var_os("ENVKB_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench"))
        .join("persian-wiki-qa")
}

fn corpus() -> Vec<CorpusRecord> {
    read_jsonl(&bench_dir().join("corpus.jsonl"))
        .expect("bench corpus (see the header of benches/lexical.rs)")
}

fn analyzer(c: &mut Criterion) {
    let records = corpus();
    let text: String = records
        .iter()
        .take(200)
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let envkb = Analyzer::new(AnalyzerOptions::default());
    let envkb_tokens = envkb.analyze(&text).len();
    let mut peer = TextAnalyzer::from(tantivy::tokenizer::SimpleTokenizer::default());
    let peer_count = |peer: &mut TextAnalyzer| {
        let mut s = peer.token_stream(&text);
        let mut n = 0;
        while s.advance() {
            n += 1;
        }
        n
    };
    let peer_tokens = peer_count(&mut peer);
    assert!(
        envkb_tokens > 10_000 && peer_tokens > 10_000,
        "analyzers produced too few tokens"
    );
    let mut g = c.benchmark_group("analyzer");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("envkb", |b| b.iter(|| envkb.analyze(&text).len()));
    g.bench_function("tantivy-default", |b| b.iter(|| peer_count(&mut peer)));
    g.finish();
    eprintln!(
        "analyzer: {} bytes -> envkb {envkb_tokens} terms, tantivy default {peer_tokens} tokens",
        text.len()
    );
}

fn search(c: &mut Criterion) {
    let records = corpus();
    let queries: Vec<QueryRecord> =
        read_jsonl(&bench_dir().join("parsinlu-dev.queries.jsonl")).expect("bench queries");
    // envkb index.
    let dir = tempfile::tempdir().unwrap();
    let mut index = LexicalIndex::open_or_create(dir.path(), AnalyzerOptions::default()).unwrap();
    let mut session = index.begin().unwrap();
    for r in &records {
        session.add(&record_to_document(r)).unwrap();
    }
    session.commit().unwrap();
    // Peer: tantivy with its default analyzer over title and text.
    let mut sb = Schema::builder();
    let id = sb.add_text_field("id", STORED);
    let title = sb.add_text_field("title", TEXT | STORED);
    let body = sb.add_text_field("text", TEXT | STORED);
    let peer = Index::create_in_ram(sb.build());
    let mut w = peer.writer::<TantivyDocument>(50_000_000).unwrap();
    for r in &records {
        w.add_document(doc!(id => r.id.clone(), title => r.title.clone(), body => r.text.clone()))
            .unwrap();
    }
    w.commit().unwrap();
    let peer_reader = peer.reader().unwrap();
    let peer_searcher = peer_reader.searcher();
    let parser = QueryParser::for_index(&peer, vec![title, body]);

    // The benches check their answers: envkb must rank the gold passage in its top 10 for most questions.
    let filters = Filters::default();
    let parsed: Vec<_> = queries
        .iter()
        .map(|q| envkb::cli::question_query(&q.text))
        .collect();
    let found = queries
        .iter()
        .zip(&parsed)
        .filter(|(q, p)| {
            index
                .search(p, &filters, 10)
                .unwrap()
                .iter()
                .any(|h| q.relevant.contains(&h.doc_id))
        })
        .count();
    assert!(
        found * 10 >= queries.len() * 8,
        "envkb found gold for only {found}/{} questions",
        queries.len()
    );
    let peer_queries: Vec<_> = queries
        .iter()
        .map(|q| {
            let cleaned: String = q
                .text
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { ' ' })
                .collect();
            parser.parse_query(&cleaned).unwrap()
        })
        .collect();

    let mut g = c.benchmark_group("search-125-questions");
    g.throughput(Throughput::Elements(queries.len() as u64));
    g.bench_with_input(BenchmarkId::new("envkb", "k10"), &parsed, |b, parsed| {
        b.iter(|| {
            parsed
                .iter()
                .map(|p| index.search(p, &filters, 10).unwrap().len())
                .sum::<usize>()
        })
    });
    // The same work as envkb's search returns: hits with their stored fields and a snippet.
    g.bench_with_input(
        BenchmarkId::new("tantivy-default", "k10-docs-snippets"),
        &peer_queries,
        |b, qs| {
            b.iter(|| {
                qs.iter()
                    .map(|q| {
                        let top = peer_searcher
                            .search(q, &TopDocs::with_limit(10).order_by_score())
                            .unwrap();
                        let gen = SnippetGenerator::create(&peer_searcher, &**q, body).unwrap();
                        top.iter()
                            .map(|(_, addr)| {
                                let d: TantivyDocument = peer_searcher.doc(*addr).unwrap();
                                gen.snippet_from_doc(&d).fragment().len()
                            })
                            .sum::<usize>()
                    })
                    .sum::<usize>()
            })
        },
    );
    g.bench_with_input(
        BenchmarkId::new("tantivy-default", "k10-ids-only"),
        &peer_queries,
        |b, qs| {
            b.iter(|| {
                qs.iter()
                    .map(|q| {
                        peer_searcher
                            .search(q, &TopDocs::with_limit(10).order_by_score())
                            .unwrap()
                            .len()
                    })
                    .sum::<usize>()
            })
        },
    );
    g.finish();

    // The retriever's read path, side by side with the one it replaced, in one run: before,
    // the ranked side built full hits with snippets for every hit at fusion depth, then each
    // shown hit was looked up by id and snippeted again; now the ranked side reads ids and
    // scores only and the k shown hits are built once. The old path is rebuilt here from the
    // index's public calls, so both run on the same index and build.
    let retriever = Retriever {
        lexical: &index,
        semantic: None,
        config: HybridConfig::default(),
        semantic_unavailable: None,
    };
    let depth = HybridConfig::default().depth;
    let new_ids: Vec<Vec<String>> = parsed
        .iter()
        .map(|p| {
            retriever
                .search(p, &filters, 10, Mode::Lexical)
                .unwrap()
                .hits
                .into_iter()
                .map(|h| h.hit.passage.chunk_id)
                .collect()
        })
        .collect();
    let old_path = |p: &envkb::lexical::ParsedQuery| -> Vec<String> {
        let ranked = index.search(p, &filters, depth).unwrap();
        let terms = index.query_terms(p);
        ranked
            .iter()
            .take(10)
            .filter_map(|h| index.chunk_with_terms(&h.chunk_id, &terms).unwrap())
            .map(|h| h.passage.chunk_id)
            .collect()
    };
    // The same hits (ties at the tenth place aside): the bench compares equal work.
    let same = parsed
        .iter()
        .zip(&new_ids)
        .filter(|(p, ids)| {
            let mut a = old_path(p);
            let mut b = (*ids).clone();
            a.sort();
            b.sort();
            a == b
        })
        .count();
    assert!(
        same * 100 >= parsed.len() * 95,
        "old and new read paths agree on only {same}/{} questions",
        parsed.len()
    );
    let mut g = c.benchmark_group("retrieve-lexical-125-questions");
    g.throughput(Throughput::Elements(queries.len() as u64));
    g.bench_function("before: full hits at depth, refetch shown", |b| {
        b.iter(|| parsed.iter().map(|p| old_path(p).len()).sum::<usize>())
    });
    g.bench_function("after: ids at depth, hits for shown only", |b| {
        b.iter(|| {
            parsed
                .iter()
                .map(|p| {
                    retriever
                        .search(p, &filters, 10, Mode::Lexical)
                        .unwrap()
                        .hits
                        .len()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(8));
    targets = analyzer, search
}
criterion_main!(benches);
