#!/usr/bin/env bash
# Hybrid retrieval at scale (issue 4's scale bench): a generated knowledge base of N chunks
# from the persian-wiki-qa passages, 200 real questions, latency p50/p99 of hybrid search
# (query embedding included, and each part alone), index size on disk, RSS while serving,
# exact vs int8 vs inverted-file vector search with recall@10. See examples/bench_scale.rs.
#
# usage: scripts/bench_scale.sh [N_CHUNKS (100000)]
# env:   ENVKB_BENCH_DATA  the persian-wiki-qa folder (default ../shared/bench/persian-wiki-qa)
#        RAYON_NUM_THREADS threads for the model and the vector scan (default: all cores)
# The generated index is kept in target/bench-scale/ and reused by later runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N="${1:-100000}"
DATA="${ENVKB_BENCH_DATA:-../shared/bench/persian-wiki-qa}"
[ -f "$DATA/corpus.jsonl" ] || { echo "bench_scale.sh: no corpus.jsonl in $DATA (set ENVKB_BENCH_DATA)" >&2; exit 1; }
bash models/fetch.sh >&2
cargo build --release --quiet --example bench_scale
mkdir -p target/bench-scale
target/release/examples/bench_scale "$DATA" "$N" target/bench-scale | tee "target/bench-scale/result-$N.json"
