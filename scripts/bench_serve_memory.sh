#!/usr/bin/env bash
# Resident memory and latency of `envkb serve` itself on the scale bench's index
# (issue 20): for each given envkb binary, a real server on loopback over the same
# N-chunk index, 200 hybrid questions over HTTP (curl), interleaved between the servers
# so both see the same machine load. Printed per binary: RSS (VmRSS) after open and after
# the queries, the peak (VmHWM), anonymous vs file-backed resident memory, where the
# resident memory sits (from /proc/PID/smaps: heap, model file, tantivy files, vector
# files, the binary), and p50/p99 of the request time as curl saw it. The hit lists
# (chunk ids and scores) of every binary are compared with the first one's.
#
# usage: scripts/bench_serve_memory.sh BIN [BIN...]   (e.g. the envkb of main, then this tree's)
# env:   N                 chunks of the generated index (default 100000)
#        ENVKB_BENCH_DATA  the persian-wiki-qa folder (default ../shared/bench/persian-wiki-qa)
#        QUERIES           questions sent to each server per pass (default 200)
#        PASSES            passes over the questions (default 2): memory is reported after
#                          the first, latency per pass (the first pass also pages in the
#                          parts of the index files the questions read; later ones find
#                          them mapped, as a server that has been up a while does)
#        ENVKB_MODEL_DIR   the model folder (default models)
# The index is target/bench-scale/index-N, built by scripts/bench_scale.sh when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 1 ] || { echo "usage: scripts/bench_serve_memory.sh BIN [BIN...]" >&2; exit 2; }
N="${N:-100000}"
QUERIES="${QUERIES:-200}"
PASSES="${PASSES:-2}"
DATA="${ENVKB_BENCH_DATA:-../shared/bench/persian-wiki-qa}"
MODELS="${ENVKB_MODEL_DIR:-models}"
IDX="target/bench-scale/index-$N"
[ -f "$IDX/meta.json" ] || scripts/bench_scale.sh "$N" >&2
for b in "$@"; do [ -x "$b" ] || { echo "bench_serve_memory.sh: $b is not an executable" >&2; exit 2; }; done

# Raw figures of the last run (times, hit lists, server logs) stay here for inspection.
WORK="target/bench-serve/last-run"
rm -rf "$WORK"
mkdir -p "$WORK"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# The questions: the scale bench's (dev first, then train), URL-encoded.
cat "$DATA/parsinlu-dev.queries.jsonl" "$DATA/parsinlu-train.queries.jsonl" \
    | jq -r '.text | @uri' > "$WORK/all-questions"
head -n "$QUERIES" "$WORK/all-questions" > "$WORK/questions"

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Resident kB by what is mapped: heap and anonymous memory, each kind of index file,
# the model, the binary, the rest.
breakdown() {
    awk '
        /^[0-9a-f]+-[0-9a-f]+ / {
            path = (NF >= 6) ? $6 : ""
            if (path == "" || path == "[heap]") kind = "heap+anon"
            else if (path ~ /vectors-[0-9]+\.bin$/) kind = "chunk vectors file"
            else if (path ~ /sentences-[0-9]+\.bin$/) kind = "sentence vectors file"
            else if (path ~ /\.store$/) kind = "tantivy .store"
            else if (path ~ /\.(idx|pos|term)$/) kind = "tantivy .idx/.pos/.term"
            else if (path ~ /\.(fast|fieldnorm)$/) kind = "tantivy .fast/.fieldnorm"
            else if (path ~ /e5-small|\.safetensors$/) kind = "model file"
            else if (path ~ /tokenizer/) kind = "tokenizer cache"
            else if (path ~ /envkb/) kind = "envkb binary"
            else kind = "other"
            next
        }
        $1 == "Rss:" { kb[kind] += $2 }
        END { for (k in kb) printf "    %-26s %7.1f MB\n", k, kb[k] / 1024 }
    ' "/proc/$1/smaps" | sort
}

start() { # name bin
    local name="$1" bin="$2"
    "$bin" --index "$IDX" --model-dir "$MODELS" serve --addr 127.0.0.1:0 --open-read \
        > "$WORK/$name.out" 2> "$WORK/$name.err" &
    PIDS+=("$!")
    echo "$!" > "$WORK/$name.pid"
    for _ in $(seq 600); do
        if grep -q '^envkb serving on http://' "$WORK/$name.out" 2>/dev/null; then
            sed -n 's|^envkb serving on http://||p' "$WORK/$name.out" > "$WORK/$name.addr"
            return
        fi
        kill -0 "$!" 2>/dev/null || { cat "$WORK/$name.err" >&2; exit 1; }
        sleep 0.1
    done
    echo "bench_serve_memory.sh: $bin did not start" >&2
    exit 1
}

ask() { # name question-number -> appends the time, keeps the hit list
    local name="$1" i="$2" q
    q="$(sed -n "${i}p" "$WORK/questions")"
    local t
    t="$(curl -s -o "$WORK/$name.body" -w '%{http_code} %{time_total}' \
        "http://$(cat "$WORK/$name.addr")/api/search?q=$q&k=10&mode=hybrid")"
    [ "${t%% *}" = 200 ] || { echo "$name: HTTP ${t%% *} for question $i" >&2; cat "$WORK/$name.body" >&2; exit 1; }
    jq -e '.mode == "hybrid" and (.hits | length) > 0' "$WORK/$name.body" > /dev/null \
        || { echo "$name: not a hybrid result for question $i" >&2; exit 1; }
    echo "${t#* }" >> "$WORK/$name.times$PASS"
    jq -c '[.hits[] | [.chunk_id, .score]]' "$WORK/$name.body" >> "$WORK/$name.hits$PASS"
}
PASS=0

NAMES=()
i=0
for bin in "$@"; do
    name="bin$i"
    NAMES+=("$name")
    echo "$bin" > "$WORK/$name.bin"
    start "$name" "$bin"
    pid="$(cat "$WORK/$name.pid")"
    echo "$(status_kb "$pid" VmRSS) $(status_kb "$pid" VmHWM)" > "$WORK/$name.open"
    breakdown "$pid" > "$WORK/$name.open.map"
    i=$((i + 1))
done

# Warm-up (page cache, allocator, the model's first pass), not timed.
for n in $(seq 1 "$(( QUERIES < 5 ? QUERIES : 5 ))"); do for name in "${NAMES[@]}"; do ask "$name" "$n"; done; done
total="$(wc -l < "$WORK/questions")"
for PASS in $(seq 1 "$PASSES"); do
    for n in $(seq 1 "$total"); do
        # Rotate which server goes first, so none always finds the machine idler.
        order=("${NAMES[@]:$((n % ${#NAMES[@]}))}" "${NAMES[@]:0:$((n % ${#NAMES[@]}))}")
        for name in "${order[@]}"; do ask "$name" "$n"; done
    done
    if [ "$PASS" = 1 ]; then
        for name in "${NAMES[@]}"; do
            pid="$(cat "$WORK/$name.pid")"
            echo $(for k in VmRSS VmHWM RssAnon RssFile; do status_kb "$pid" "$k"; done) > "$WORK/$name.after"
            breakdown "$pid" > "$WORK/$name.after.map"
        done
    fi
done

pct() { sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { i = int((NR - 1) * p + 0.5) + 1; printf "%.2f", v[i] * 1000 }'; }

echo "envkb serve on $IDX ($(du -sh "$IDX" | cut -f1) on disk), $total hybrid questions over HTTP x $PASSES passes, k=10"
for name in "${NAMES[@]}"; do
    pid="$(cat "$WORK/$name.pid")"
    read -r open_rss open_hwm < "$WORK/$name.open"
    read -r rss hwm anon file < "$WORK/$name.after"
    echo
    echo "$(cat "$WORK/$name.bin")"
    printf "  %-24s %6d MB (peak while opening %d MB)\n" "RSS after open:" $((open_rss / 1024)) $((open_hwm / 1024))
    printf "  %-24s %6d MB (peak %d MB; anonymous %d MB, file-backed %d MB)\n" \
        "RSS after $total queries:" $((rss / 1024)) $((hwm / 1024)) $((anon / 1024)) $((file / 1024))
    printf "  %-24s %6d MB (peak %d MB)\n" "RSS after $PASSES passes:" \
        $(($(status_kb "$pid" VmRSS) / 1024)) $(($(status_kb "$pid" VmHWM) / 1024))
    for p in $(seq 1 "$PASSES"); do
        line="  pass $p, hybrid request ms: p50 $(pct "$WORK/$name.times$p" 0.5)  p99 $(pct "$WORK/$name.times$p" 0.99)"
        if [ "$name" != "${NAMES[0]}" ]; then
            # Per question, this server's time minus the first one's (same moment, same load).
            paste "$WORK/$name.times$p" "$WORK/${NAMES[0]}.times$p" | awk '{ print $1 - $2 }' > "$WORK/$name.diff$p"
            line="$line  (paired difference to the first binary: median $(pct "$WORK/$name.diff$p" 0.5))"
        fi
        echo "$line"
    done
    echo "  resident after open:"
    cat "$WORK/$name.open.map"
    echo "  resident after $total queries:"
    cat "$WORK/$name.after.map"
    if [ "$name" != "${NAMES[0]}" ]; then
        differ=0
        for p in $(seq 1 "$PASSES"); do
            cmp -s "$WORK/${NAMES[0]}.hits$p" "$WORK/$name.hits$p" \
                || differ=$((differ + $(diff "$WORK/${NAMES[0]}.hits$p" "$WORK/$name.hits$p" | grep -c '^<')))
        done
        if [ "$differ" = 0 ]; then
            echo "  hit lists (chunk ids and scores): identical to the first binary's on all $total questions, every pass"
        else
            echo "  hit lists DIFFER from the first binary's on $differ questions"
        fi
    fi
done

# Where the anonymous memory goes, step by step, with this tree's code (one process doing
# what serve does to open the index, then the same queries).
echo
echo "where the memory goes (this tree, examples/serve_memory.rs):"
cargo build --release --quiet --example serve_memory
head -n "$QUERIES" "$DATA/parsinlu-dev.queries.jsonl" > "$WORK/q.jsonl"
[ "$(wc -l < "$WORK/q.jsonl")" -ge "$QUERIES" ] \
    || { cat "$DATA/parsinlu-dev.queries.jsonl" "$DATA/parsinlu-train.queries.jsonl" > "$WORK/both.jsonl"; head -n "$QUERIES" "$WORK/both.jsonl" > "$WORK/q.jsonl"; }
ENVKB_MODEL_DIR="$MODELS" target/release/examples/serve_memory "$IDX" "$WORK/q.jsonl"
