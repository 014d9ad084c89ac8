#!/usr/bin/env bash
# How long a model slot stays busy after its request timed out (docs/BENCHMARKS.md,
# "Hostile input: fuzz targets, token limits, stopping timed-out work").
#
# One `envkb serve` with one model slot and no practical time limit measures how long the
# heavy /v1/embeddings request's work takes to its end (what a timed-out request held the
# slot for before its work could be stopped); a second one with a 1 s limit answers it 503
# and then measures how soon a search gets the slot.
#
#   bash scripts/bench_stop.sh [path/to/envkb]   (default target/debug/envkb)
# Needs models/ (models/fetch.sh), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ENVKB=${1:-target/debug/envkb}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export CANDLE_NUM_THREADS=${CANDLE_NUM_THREADS:-1}

# 64 short inputs of one-digit words: many forward passes of four inputs each.
python3 - "$work/body.json" <<'EOF'
import json, sys
text = " ".join(str(1 + i % 9) for i in range(60))
json.dump({"input": [text] * 64}, open(sys.argv[1], "w"))
EOF

serve() { # timeout-secs → prints the base URL
  local log="$work/serve-$1.out"
  "$ENVKB" --index "$work/index-$1" --model-dir models serve --addr 127.0.0.1:0 \
    --open-read --max-concurrency 1 --timeout-secs "$1" >"$log" 2>/dev/null &
  for _ in $(seq 1 200); do
    grep -q "serving on" "$log" 2>/dev/null && break
    sleep 0.1
  done
  sed -n 's/.*serving on //p' "$log" | head -1
}
now() { python3 -c 'import time; print(time.time())'; }
post() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data @"$work/body.json" "$1/v1/embeddings"; }

full=$(serve 600)
t0=$(now); code=$(post "$full"); t1=$(now)
echo "work to its end: $(python3 -c "print(f'{$t1-$t0:.1f}')") s (HTTP $code)"

short=$(serve 1)
code=$(post "$short"); t503=$(now)
while :; do
  s=$(curl -s -o /dev/null -w '%{http_code}' "$short/api/search?q=air&mode=lexical")
  [ "$s" = 200 ] && break
  sleep 0.05
done
t200=$(now)
echo "timed-out request: HTTP $code; slot free again $(python3 -c "print(f'{$t200-$t503:.2f}')") s after it"
