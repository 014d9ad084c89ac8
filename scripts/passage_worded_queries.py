#!/usr/bin/env python3
"""Passage-worded questions for TRAINING the adaptive fusion rule only (issue 21).

The bench's ParsiNLU questions are natural search queries written in other words than the
passage. Questions written while reading the passage (as in reading-comprehension sets) reuse
its words, and on those the lexical side is strong. No such set may be copied into the
repository, so this script makes one at run time from a JSONL corpus: for a deterministic
sample of passages it takes one sentence of moderate length and turns it into a question by
replacing a short span (the "answer") with a question word, or by asking about a window of the
sentence. The gold passage is the one the sentence came from.

These questions are machine-made and crude; they are a training signal for which side to
trust, never a benchmark to report as quality.

usage: scripts/passage_worded_queries.py CORPUS.jsonl [--part train|check] [--n N] > out.jsonl
  --part train takes passages whose id hash is even, check those whose hash is odd, so the two
  parts never share a passage.
"""

import argparse
import hashlib
import json
import re
import sys

SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\n+")
DIGIT = re.compile(r"[0-9۰-۹٠-٩]")
# Words that make a poor answer span to cut (function words); the span cut is content.
FUNCTION = set("و در به از که را با این آن است بود شد می برای تا یا هم نیز یک اما اگر".split())


def h(text: str) -> int:
    return int(hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest(), 16)


def sentences(text: str):
    for s in SENTENCE_END.split(text):
        words = s.strip().rstrip(".!?؟").split()
        if 7 <= len(words) <= 28:
            yield words


def question(words, seed: int) -> str:
    """One question from a sentence's words; which form is chosen by `seed`."""
    form = seed % 3
    n = len(words)
    if form == 2:
        # Ask about a window of the sentence: «... چیست؟»
        size = min(n, 5 + seed % 5)
        start = (seed // 3) % (n - size + 1)
        return " ".join(words[start : start + size]) + " چیست؟"
    # Cut a short content span (1-2 words, never the verb at the end) and ask for it.
    candidates = [
        i for i in range(n - 2) if words[i] not in FUNCTION and len(words[i]) > 1
    ]
    if not candidates:
        return " ".join(words) + "؟"
    i = candidates[(seed // 3) % len(candidates)]
    span = words[i : i + (1 + (seed // 7) % 2)]
    if any(DIGIT.search(w) for w in span):
        asked = "در چه سالی" if form == 0 else "چند"
    else:
        asked = "چه کسی" if form == 0 else "چه چیزی"
    rest = words[:i] + [asked] + words[i + len(span) :]
    return " ".join(rest) + "؟"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--part", choices=["train", "check"], default="train")
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    want = 0 if args.part == "train" else 1
    rows = []
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    rows.sort(key=lambda r: h(r["id"]))
    out = 0
    for r in rows:
        if out >= args.n:
            break
        key = h(r["id"])
        if key % 2 != want:
            continue
        cands = list(sentences(r["text"]))
        if not cands:
            continue
        words = cands[(key >> 8) % len(cands)]
        q = question(words, key >> 16)
        rec = {
            "id": f"pw-{args.part}-{out:04d}",
            "text": q,
            "relevant": [r["id"]],
            "kind": "passage-worded",
        }
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        out += 1


if __name__ == "__main__":
    main()
