#!/usr/bin/env python3
"""English questions against their Persian twins: answer hit of each side.

Usage: scripts/answer_twins.py DETAILS.jsonl QUESTIONS.jsonl [QUESTIONS.jsonl ...]

DETAILS is what `envkb eval-answers --details FILE` wrote for the same questions; a
question with a `twin` field names the id of the question it translates. Prints the hit
rate (abstentions count as misses) of the twinned questions on both sides, three ways:
all pairs; pairs whose English question has an English gold passage (the corpus states the
answer in English too, so quoting it is a correct answer); and pairs whose only gold is
Persian, the figure that measures English questions over Persian sources.

A question has an English source when one of its `relevant_refs` is an `en/` document; the
`en_source` label of the crosslingual questions must agree with that, and a disagreement
stops the script rather than splitting the pairs wrongly.
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
                        has_en = any(r["doc"].startswith("en/") for r in q["relevant_refs"])
                        if "en_source" in q and q["en_source"] != has_en:
                            sys.exit(f"{q['id']}: en_source is {q['en_source']} but its gold says {has_en}")
                        pairs.append((q["id"], q["twin"], has_en))
    if not pairs:
        sys.exit("no twinned questions found in both the details and the question files")

    def hit(i: str) -> bool:
        d = details[i]
        return bool(d["hit"]) and not d["abstained"]

    def line(label: str, some: list) -> None:
        if not some:
            print(f"pairs 0  {label}")
            return
        translated = sum(hit(a) for a, _, _ in some) / len(some)
        original = sum(hit(b) for _, b, _ in some) / len(some)
        print(
            f"pairs {len(some)}  {label}  twin-question hit {translated:.3f}  "
            f"original hit {original:.3f}  gap {translated - original:+.3f}"
        )

    line("all", pairs)
    line("English source exists", [p for p in pairs if p[2]])
    line("Persian source only", [p for p in pairs if not p[2]])


if __name__ == "__main__":
    main()
