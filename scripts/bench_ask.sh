#!/usr/bin/env bash
# Answer speed of two envkb binaries side by side, in one run (docs/BENCHMARKS.md,
# "Sentence vectors at index time"): indexing time, peak memory and index size of corpus/
# with the model; `envkb ask` wall time (hyperfine); `/api/ask` latency at concurrency 1
# (wrk, answers only, against `envkb serve`); and the answers themselves (`eval-answers` on
# bench/domain/queries-a), which must not differ. Each binary gets its own index under
# target/bench-ask/ (index formats differ between versions); scripts/loadtest.sh can reuse
# them with INDEX=target/bench-ask/NAME-index.
#
#   bash scripts/bench_ask.sh BEFORE_BIN AFTER_BIN
#   RUNS=10 DURATION=20s MODELS=models bash scripts/bench_ask.sh A B
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 2; }
RUNS="${RUNS:-10}"
DURATION="${DURATION:-20s}"
MODELS="${MODELS:-models}"
out=target/bench-ask
rm -rf "$out"
mkdir -p "$out"
names=(before after)
bins=("$1" "$2")
question="ماده ۶ قانون حفاظت درباره آموزش چه می‌گوید؟"
echo "$(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$MODELS"/* >/dev/null # the model files in the page cache for both sides

for i in 0 1; do
  n="${names[$i]}"; bin="${bins[$i]}"; idx="$out/$n-index"
  /usr/bin/time -f "$n: index corpus/ %e s wall, %M KB peak RSS" \
    "$bin" --model-dir "$MODELS" --index "$idx" index corpus >/dev/null
  echo "$n: index size $(du -sk "$idx" | cut -f1) KB; $(cd "$idx" && ls -l vectors-*.bin sentences-*.bin 2>/dev/null | awk '{printf "%s %d KB; ", $NF, $5 / 1024}')"
done

cmd() { echo "${bins[$1]} --model-dir $MODELS --index $out/${names[$1]}-index ask \"$question\""; }
hyperfine -w 2 -r "$RUNS" -N -n before "$(cmd 0)" -n after "$(cmd 1)"
for i in 0 1; do
  /usr/bin/time -f "${names[$i]}: ask peak RSS %M KB" bash -c "$(cmd "$i") >/dev/null"
done

for i in 0 1; do
  n="${names[$i]}"; log="$out/$n-serve.log"
  "${bins[$i]}" --model-dir "$MODELS" --index "$out/$n-index" serve --addr 127.0.0.1:0 \
    --open-read --max-concurrency 4 >"$log" 2>/dev/null &
  server=$!
  for _ in $(seq 1 600); do grep -q "serving on" "$log" && break; sleep 0.1; done
  base="$(sed -n 's/^envkb serving on //p' "$log")"
  [ -n "$base" ] || { echo "$n: envkb serve did not start" >&2; kill "$server"; exit 1; }
  # One warm-up answer (the first maps the sentence vectors), then answers only, one at a time.
  curl -s -X POST -H 'Content-Type: application/json' -d "{\"question\": \"$question\"}" "$base/api/ask" >/dev/null
  echo "== $n: /api/ask only, 1 connection, $DURATION"
  ASK_EVERY=1 wrk -t1 -c1 -d "$DURATION" --timeout 30s --latency -s scripts/loadtest.lua "$base" \
    | grep -E "^ +(50|90|99)%|Requests/sec|answered|status"
  kill -TERM "$server"; wait "$server" || true
done

for i in 0 1; do
  n="${names[$i]}"
  /usr/bin/time -f "$n: eval-answers %e s wall" "${bins[$i]}" --model-dir "$MODELS" \
    --index "$out/$n-index" eval-answers --queries bench/domain/queries-a.jsonl --json \
    >"$out/$n-eval.json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2] + ":", {k: v for k, v in d.items() if not isinstance(v, (list, dict))})' "$out/$n-eval.json" "$n"
done
