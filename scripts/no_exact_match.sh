#!/usr/bin/env bash
# Measures what `no_exact_match` (src/search/confidence.rs) rests on: the cosine similarity of
# the nearest passage for nonsense queries and for real questions, and how many real questions
# the rule flags. Indexes a bench corpus (JSONL: id, title, text) as Markdown files in a
# temporary folder (or reuses the index at $INDEX), then runs one hybrid search per query
# (the first $LIMIT questions, default all).
#   usage: [INDEX=dir] [LIMIT=n] scripts/no_exact_match.sh CORPUS.jsonl QUESTIONS.jsonl [ENVKB_BINARY]
set -euo pipefail
corpus=${1:?corpus.jsonl}
questions=${2:?questions.jsonl}
envkb=${3:-target/debug/envkb}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
index=${INDEX:-$work/index}
if [ ! -e "$index/meta.json" ]; then
python3 - "$corpus" "$work/kb" <<'PY'
import json, os, sys
os.makedirs(sys.argv[2])
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    with open(os.path.join(sys.argv[2], r["id"] + ".md"), "w", encoding="utf-8") as f:
        f.write("# " + (r.get("title") or r["id"]) + "\n\n" + r["text"] + "\n")
PY
"$envkb" --index "$index" index "$work/kb" --json > /dev/null
fi
nonsense=("zzzzqqq" "asdfgh qwerty" "xkcd blorp fnord" "qqq www eee" "ززززقققق" "ششش لللل" "کککککک" "blargle ففف" "lorem ipsum dolor" "1234567 ###")
{
  for q in "${nonsense[@]}"; do printf 'nonsense\t%s\n' "$q"; done
  python3 -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"): print("question\t" + json.loads(l)["text"].replace("\t", " "))' "$questions" |
    head -n "${LIMIT:-1000000}"
} > "$work/queries.tsv"
while IFS=$'\t' read -r kind q; do
  # The semantic list alone gives the best similarity and the margin to the fifth; the
  # hybrid run gives whether a term matched and the flag.
  "$envkb" --index "$index" search --json --explain -k 5 --mode semantic -- "$q" > "$work/sem.json" 2> /dev/null || continue
  "$envkb" --index "$index" search --json --explain -k 10 -- "$q" > "$work/hyb.json" 2> /dev/null || continue
  python3 - "$kind" "$work/sem.json" "$work/hyb.json" <<'PY'
import json, sys
sem = [h["explain"]["semantic_score"] for h in json.load(open(sys.argv[2]))["hits"]]
r = json.load(open(sys.argv[3]))
lex = any(h["explain"]["lexical_rank"] for h in r["hits"])
print(sys.argv[1], "%.4f" % sem[0], "%.4f" % (sem[0] - sem[-1]), int(lex), int(r["no_exact_match"]), sep="\t")
PY
done < "$work/queries.tsv" > "$work/scores.tsv"
python3 - "$work/scores.tsv" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
for kind in ("nonsense", "question"):
    s = sorted(float(r[1]) for r in rows if r[0] == kind)
    m = sorted(float(r[2]) for r in rows if r[0] == kind)
    flagged = sum(int(r[4]) for r in rows if r[0] == kind)
    no_term = sum(1 for r in rows if r[0] == kind and r[3] == "0")
    pct = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]
    print(f"{kind}: n={len(s)} best similarity min={s[0]:.3f} median={pct(s, 0.5):.3f} max={s[-1]:.3f}; "
          f"margin to 5th min={m[0]:.3f} median={pct(m, 0.5):.3f} max={m[-1]:.3f}; "
          f"no term matched: {no_term}; flagged no_exact_match: {flagged}")
PY
