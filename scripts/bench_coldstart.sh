#!/usr/bin/env bash
# Cold start (issue 20): a fresh `envkb` process per command, two binaries side by side in
# one run. Wall time by hyperfine (median of RUNS runs after 2 warm-ups, file cache warm),
# peak RSS by /usr/bin/time. Both binaries search the same index of the shipped corpus.
#
# usage: scripts/bench_coldstart.sh BEFORE_BIN AFTER_BIN
# env:   RUNS (10), ENVKB_MODEL_DIR (models), INDEX (target/bench-coldstart/index; built
#        by BEFORE_BIN when missing)
# The after binary writes models/tokenizer.unigram.bin on its first load; its one-time
# cost is shown separately ("first load").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BEFORE="$1"
AFTER="$2"
RUNS="${RUNS:-10}"
MODELS="${ENVKB_MODEL_DIR:-models}"
INDEX="${INDEX:-target/bench-coldstart/index}"
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
if [ ! -d "$INDEX" ]; then
  mkdir -p "$(dirname "$INDEX")"
  "$BEFORE" --index "$INDEX" --model-dir "$MODELS" index corpus >/dev/null
fi

rm -f "$MODELS/tokenizer.unigram.bin"
echo "## first load of the after binary (builds the tokenizer cache)"
/usr/bin/time -f "wall %e s, peak RSS %M KB" "$AFTER" --index "$INDEX" --model-dir "$MODELS" \
  search "تصفیه پساب صنعتی" -k 3 >/dev/null

JSON="$(dirname "$INDEX")/hyperfine.json"
cmd() { printf '%s --index %s --model-dir %s %s' "$1" "$INDEX" "$MODELS" "$2"; }
for args in \
  "search 'ماده ۶' -k 3" \
  "search 'تصفیه پساب صنعتی' -k 3" \
  "search 'ماده ۶' -k 3 --no-model" \
  "ask 'وظایف سازمان حفاظت محیط زیست چیست؟'"; do
  echo "## envkb $args"
  hyperfine -N --warmup 2 --runs "$RUNS" --style none --export-json "$JSON" \
    -n before "$(cmd "$BEFORE" "$args")" -n after "$(cmd "$AFTER" "$args")"
  python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%s wall median %.0f ms (min %.0f, max %.0f)" % (r["command"], r["median"]*1e3, r["min"]*1e3, r["max"]*1e3))' "$JSON"
  for who in before after; do
    bin="$BEFORE"; [ "$who" = after ] && bin="$AFTER"
    # shellcheck disable=SC2086
    eval /usr/bin/time -f "'$who peak RSS %M KB, wall %e s'" "$(cmd "$bin" "$args")" >/dev/null
  done
done
