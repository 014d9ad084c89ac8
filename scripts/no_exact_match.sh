#!/usr/bin/env bash
# Measures what `no_exact_match` (src/search/confidence.rs) rests on: the cosine similarity of
# the nearest passage for nonsense queries and for real questions, and how many real questions
# the rule flags. Indexes a bench corpus (JSONL: id, title, text) as Markdown files in a
# temporary folder, then runs one hybrid search per query.
#   usage: scripts/no_exact_match.sh CORPUS.jsonl QUESTIONS.jsonl [ENVKB_BINARY]
set -euo pipefail
corpus=${1:?corpus.jsonl}
questions=${2:?questions.jsonl}
envkb=${3:-target/debug/envkb}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$corpus" "$work/kb" <<'PY'
import json, os, sys
os.makedirs(sys.argv[2])
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    with open(os.path.join(sys.argv[2], r["id"] + ".md"), "w", encoding="utf-8") as f:
        f.write("# " + (r.get("title") or r["id"]) + "\n\n" + r["text"] + "\n")
PY
"$envkb" --index "$work/index" index "$work/kb" --json > /dev/null
nonsense=("zzzzqqq" "asdfgh qwerty" "xkcd blorp fnord" "qqq www eee" "ززززقققق" "ششش لللل" "کککککک" "blargle ففف" "lorem ipsum dolor" "1234567 ###")
{
  for q in "${nonsense[@]}"; do printf 'nonsense\t%s\n' "$q"; done
  python3 -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"): print("question\t" + json.loads(l)["text"])' "$questions"
} > "$work/queries.tsv"
while IFS=$'\t' read -r kind q; do
  "$envkb" --index "$work/index" search --json --explain -k 10 -- "$q" |
    python3 -c 'import json,sys
r = json.load(sys.stdin)
best = max([h["explain"]["semantic_score"] or 0 for h in r["hits"]] or [0])
lex = any(h["explain"]["lexical_rank"] for h in r["hits"])
print(sys.argv[1], "%.4f" % best, int(lex), int(r["no_exact_match"]), sep="\t")' "$kind"
done < "$work/queries.tsv" > "$work/scores.tsv"
python3 - "$work/scores.tsv" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
for kind in ("nonsense", "question"):
    s = sorted(float(r[1]) for r in rows if r[0] == kind)
    flagged = sum(int(r[3]) for r in rows if r[0] == kind)
    no_term = sum(1 for r in rows if r[0] == kind and r[2] == "0")
    pct = lambda p: s[min(len(s) - 1, int(p * len(s)))]
    print(f"{kind}: n={len(s)} similarity min={s[0]:.3f} p05={pct(0.05):.3f} median={pct(0.5):.3f} max={s[-1]:.3f}; "
          f"no term matched: {no_term}; flagged no_exact_match: {flagged}")
PY
