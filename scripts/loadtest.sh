#!/usr/bin/env bash
# Load test of `envkb serve` on loopback (docs/BENCHMARKS.md): mixed Persian/English search
# and ask traffic from wrk, first at the concurrency limit, then at twice it. Passes when no
# request got a 5xx or a socket error, and the excess at 2x got 429.
#
#   bash scripts/loadtest.sh            # limit 4, 30 s per run
#   LIMIT=2 DURATION=10s bash scripts/loadtest.sh
#   BIN=target/debug/envkb CORPUS=tests/fixtures/kb NO_MODEL=1 LIMIT=2 DURATION=5s bash scripts/loadtest.sh
#                                       # a quick smoke run: debug build, lexical only
#   BIN=OTHER/envkb INDEX=target/other-index bash scripts/loadtest.sh
#                                       # another binary with its own index (formats differ)
#
# Not part of `cargo test`: by default it builds the release binary and indexes corpus/ with
# the model.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT="${LIMIT:-4}"
DURATION="${DURATION:-30s}"

if ! command -v wrk >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk >/dev/null
fi
CORPUS="${CORPUS:-corpus}"
model=()
if [ -n "${NO_MODEL:-}" ]; then model=(--no-model); else bash models/fetch.sh; fi
if [ -z "${BIN:-}" ]; then cargo build --release --quiet; fi
bin="${BIN:-target/release/envkb}"
index="${INDEX:-target/loadtest-index${NO_MODEL:+-lexical}}"
"$bin" "${model[@]}" --index "$index" index "$CORPUS" >/dev/null

out="$(mktemp)"
"$bin" "${model[@]}" --index "$index" serve --addr 127.0.0.1:0 --open-read --max-concurrency "$LIMIT" >"$out" 2>/dev/null &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 600); do grep -q "serving on" "$out" && break; sleep 0.1; done
base="$(sed -n 's/^envkb serving on //p' "$out")"
[ -n "$base" ] || { echo "envkb serve did not start" >&2; exit 1; }
echo "envkb serve at $base, concurrency limit $LIMIT, $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# Latency per route from the server's own histograms (/metrics), as the difference between
# two snapshots: wrk's one histogram mixes fast searches with slow answers. Quantiles are
# bucket upper bounds; 429s are counted under their route too.
snapshot() { curl -s "$base/metrics" | grep '^envkb_http_request_duration_seconds' || true; }
per_route() { # before-file after-file
  python3 - "$1" "$2" <<'PY'
import re, sys
def load(path):
    out = {}
    for line in open(path):
        m = re.match(r'envkb_http_request_duration_seconds_(bucket|sum|count)\{route="([^"]+)"(?:,le="([^"]+)")?\} (\S+)', line)
        if m:
            kind, route, le, v = m.groups()
            out[(kind, route, le)] = float(v)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
d = {k: v - a.get(k, 0.0) for k, v in b.items()}
for route in sorted({k[1] for k in d if k[1].startswith("/api/")}):
    n = d.get(("count", route, None), 0)
    if n <= 0:
        continue
    buckets = sorted((float("inf") if k[2] == "+Inf" else float(k[2]), v) for k, v in d.items() if k[0] == "bucket" and k[1] == route)
    q = lambda p: next((f"{le * 1000:g} ms" if le != float("inf") else "> last bucket") for le, c in buckets if c >= p * n)
    print(f"  {route}: {int(n)} requests, mean {d[('sum', route, None)] / n * 1000:.0f} ms, p50 <= {q(0.5)}, p99 <= {q(0.99)}")
PY
}

status=0
for conns in "$LIMIT" "$((2 * LIMIT))"; do
  before="$(mktemp)"; after="$(mktemp)"
  snapshot >"$before"
  echo "== $conns connections for $DURATION"
  log="$(mktemp)"
  wrk -t2 -c "$conns" -d "$DURATION" --timeout 30s --latency -s scripts/loadtest.lua "$base" | tee "$log"
  result="$(grep '^RESULT' "$log")"
  rm -f "$log"
  snapshot >"$after"
  echo "per route (server side):"
  per_route "$before" "$after"
  rm -f "$before" "$after"
  eval "${result#RESULT }"
  if [ "$server_errors" -ne 0 ] || [ "$socket_errors" -ne 0 ]; then
    echo "FAIL: $server_errors 5xx, $socket_errors socket errors at $conns connections"; status=1
  fi
  if [ "$conns" -gt "$LIMIT" ] && [ "$busy" -eq 0 ]; then
    echo "FAIL: no 429 at twice the limit"; status=1
  fi
done
kill -TERM "$server"; wait "$server" || true
exit "$status"
