#!/usr/bin/env bash
# Makes the training dumps the evidence scorer is fitted on (examples/fit_evidence.rs), from
# training questions only: parsinlu-train (wiki corpus) and bench/domain/train.jsonl (the
# shipped corpus). See docs/BENCHMARKS.md, "Fitted evidence scorer".
#
#   scripts/answer_dumps.sh OUT_DIR [ENVKB]
#
# Answerable:   wiki-train.dump (first 300 parsinlu-train questions), domain-train.dump.
# Unanswerable: wiki-on-corpus.dump (the other 300 asked of the shipped corpus),
#               domain-on-wiki.dump (domain training questions asked of the wiki corpus),
#               holdout-g1.dump / holdout-g2.dump (each half of the domain training
#               questions, grouped by gold document, asked of the shipped corpus with that
#               half's gold documents removed in both languages: on topic, answer gone).
set -euo pipefail
out=${1:?usage: scripts/answer_dumps.sh OUT_DIR [ENVKB]}
envkb=${2:-target/release/envkb}
bench=../shared/bench/persian-wiki-qa
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

head -300 "$bench/parsinlu-train.queries.jsonl" > "$work/wiki-train.jsonl"
tail -n +301 "$bench/parsinlu-train.queries.jsonl" > "$work/wiki-rest.jsonl"

"$envkb" eval-answers --corpus "$bench/corpus.jsonl" --queries "$work/wiki-train.jsonl" --dump "$out/wiki-train.dump" --json > /dev/null
"$envkb" eval-answers --corpus "$bench/corpus.jsonl" --queries bench/domain/train.jsonl --dump "$out/domain-on-wiki.dump" --json > /dev/null
"$envkb" --index "$work/kb" index corpus > /dev/null
"$envkb" --index "$work/kb" eval-answers --queries bench/domain/train.jsonl --dump "$out/domain-train.dump" --json > /dev/null
"$envkb" --index "$work/kb" eval-answers --queries "$work/wiki-rest.jsonl" --dump "$out/wiki-on-corpus.dump" --json > /dev/null

# The two halves: gold documents (named without their language folder) sorted and dealt
# alternately; a question goes to the half of its first gold document.
python3 - "$work" <<'EOF'
import json, sys
work = sys.argv[1]
qs = [json.loads(l) for l in open('bench/domain/train.jsonl') if l.strip()]
base = lambda q: q['relevant_refs'][0]['doc'].split('/', 1)[-1]
docs = sorted({base(q) for q in qs if q.get('relevant_refs')})
half = {d: i % 2 for i, d in enumerate(docs)}
for g in (0, 1):
    with open(f'{work}/g{g + 1}.jsonl', 'w') as f:
        for q in qs:
            if q.get('relevant_refs') and half[base(q)] == g:
                q = {k: v for k, v in q.items() if k not in ('relevant_refs', 'relevant', 'answers', 'answers_written')}
                f.write(json.dumps(q, ensure_ascii=False) + '\n')
    with open(f'{work}/g{g + 1}.docs', 'w') as f:
        f.write('\n'.join(d for d in docs if half[d] == g) + '\n')
EOF
for g in 1 2; do
  rm -rf "$work/corpus-g$g" && cp -r corpus "$work/corpus-g$g"
  while read -r d; do
    [ -n "$d" ] && rm -f "$work/corpus-g$g"/*/"$d".*
  done < "$work/g$g.docs"
  "$envkb" --index "$work/kb-g$g" index "$work/corpus-g$g" > /dev/null
  "$envkb" --index "$work/kb-g$g" eval-answers --queries "$work/g$g.jsonl" --dump "$out/holdout-g$g.dump" --json > /dev/null
done
wc -l "$out"/*.dump
