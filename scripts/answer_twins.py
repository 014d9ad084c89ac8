#!/usr/bin/env python3
"""English questions against their Persian twins: answer hit of each side.

Usage: scripts/answer_twins.py DETAILS.jsonl QUESTIONS.jsonl [QUESTIONS.jsonl ...]

DETAILS is what `envkb eval-answers --details FILE` wrote for the same questions; a
question with a `twin` field names the id of the question it translates. Prints the hit
rate (abstentions count as misses) of the twinned questions on both sides.
"""
import json
import sys


def main() -> None:
    details = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                details[d["id"]] = d
    pairs = []
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    q = json.loads(line)
                    if q.get("twin") and q["id"] in details and q["twin"] in details:
                        pairs.append((q["id"], q["twin"]))
    if not pairs:
        sys.exit("no twinned questions found in both the details and the question files")

    def hit(i: str) -> bool:
        d = details[i]
        return bool(d["hit"]) and not d["abstained"]

    translated = sum(hit(a) for a, _ in pairs) / len(pairs)
    original = sum(hit(b) for _, b in pairs) / len(pairs)
    print(f"pairs {len(pairs)}  twin-question hit {translated:.3f}  original hit {original:.3f}  gap {translated - original:+.3f}")


if __name__ == "__main__":
    main()
