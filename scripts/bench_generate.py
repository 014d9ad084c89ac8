#!/usr/bin/env python3
"""Generative answers measured (docs/BENCHMARKS.md, "Generative answers").

For N answerable questions of a bench question file, runs `envkb ask --json` (extractive)
and `envkb ask --generate --llm-gguf GGUF --json`, and counts generated answers that kept at
least one supported sentence, fallbacks to the extractive answer, abstentions, unsupported
sentences, and answers whose markers do not all name a citation (envkb refuses to print
those, so a failed command counts as invalid too). Then starts `envkb serve --llm-gguf` and
times chat completions of 64 tokens for the model's speed (SPEED_RUNS, side by side).

Usage: scripts/bench_generate.py --envkb target/debug/envkb --index INDEX \
         --queries bench/domain/queries-a.jsonl --gguf models/SmolLM2-135M-Instruct.Q4_1.gguf
"""

import argparse
import json
import os
import re
import subprocess
import time
import urllib.request


def ask(args, question, generate):
    cmd = [args.envkb, "--index", args.index, "ask", "--json"]
    if generate:
        cmd += ["--generate", "--llm-gguf", args.gguf, "--max-tokens", str(args.max_tokens)]
    started = time.time()
    out = subprocess.run(cmd + ["--", question], capture_output=True, text=True)
    return out, time.time() - started


def markers_valid(answer):
    ns = [int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])]
    return all(1 <= n <= len(answer["citations"]) for n in ns) and all(
        c["n"] == i + 1 for i, c in enumerate(answer["citations"])
    )


# Side by side in one run: SmolLM2's Q4_1 tensors as in the file or requantized to Q8_0 at
# load (envkb's default), with candle's worker threads or one thread.
SPEED_RUNS = [
    ("Q8_0 (requantized), 1 thread", {"ENVKB_LLM_REQUANTIZE": "1", "CANDLE_NUM_THREADS": "1"}),
    ("Q4_1 (as in the file), 1 thread", {"ENVKB_LLM_REQUANTIZE": "0", "CANDLE_NUM_THREADS": "1"}),
    ("Q8_0 (requantized), candle's threads", {"ENVKB_LLM_REQUANTIZE": "1"}),
    ("Q4_1 (as in the file), candle's threads", {"ENVKB_LLM_REQUANTIZE": "0"}),
]


def speed(args, env):
    """Tokens per second of three 64-token completions from `envkb serve --llm-gguf`."""
    full_env = {k: v for k, v in os.environ.items() if k != "CANDLE_NUM_THREADS"}
    full_env.update(env)
    serve = subprocess.Popen(
        [args.envkb, "--index", args.index, "--no-model", "serve", "--addr", "127.0.0.1:0",
         "--open-read", "--llm-gguf", args.gguf, "--timeout-secs", "600"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=full_env)
    try:
        base = serve.stdout.readline().strip().removeprefix("envkb serving on ")
        rates = []
        for _ in range(3):
            body = {"messages": [{"role": "user", "content": "Write a short paragraph about rivers."}],
                    "max_tokens": 64}
            req = urllib.request.Request(base + "/v1/chat/completions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            started = time.time()
            reply = json.load(urllib.request.urlopen(req, timeout=600))
            rates.append(reply["usage"]["completion_tokens"] / (time.time() - started))
        return rates
    finally:
        serve.terminate()
        serve.wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--envkb", required=True)
    p.add_argument("--index", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--gguf", required=True)
    p.add_argument("-n", type=int, default=20)
    p.add_argument("--max-tokens", type=int, default=120)
    p.add_argument("--speed-only", action="store_true", help="only the tokens/s runs")
    args = p.parse_args()
    if args.speed_only:
        args.n = 0

    questions = [json.loads(line) for line in open(args.queries, encoding="utf-8") if line.strip()]
    answerable = [q for q in questions if q.get("answers")]
    # Spread over the file (its kinds and languages come in runs), not the first N.
    step = max(1, len(answerable) // max(1, args.n))
    picked = answerable[::step][: args.n] if args.n else []

    counts = {"generated": 0, "fallback": 0, "abstained": 0, "invalid": 0}
    supported = unsupported = 0
    seconds = []
    for q in picked:
        ext, _ = ask(args, q["text"], False)
        gen, took = ask(args, q["text"], True)
        seconds.append(took)
        if gen.returncode != 0 or ext.returncode != 0:
            counts["invalid"] += 1
            print(f"{q['id']}: failed: {gen.stderr.strip()[-300:]}")
            continue
        e, g = json.loads(ext.stdout), json.loads(gen.stdout)
        if not markers_valid(g):
            counts["invalid"] += 1
        unsupported += len(g.get("unsupported", []))
        if g["abstained"]:
            kind = "abstained"
        elif g["answer"] == e["answer"]:
            kind = "fallback"
        else:
            kind = "generated"
            supported += len(re.findall(r"(?: \[\d+\])+", g["answer"]))
        counts[kind] += 1
        print(f"{q['id']} [{q.get('lang', '?')}] {kind} {took:.1f}s: {g['answer'][:120]}")

    n = len(picked)
    print(json.dumps({
        "questions": n,
        **counts,
        "supported_sentences": supported,
        "unsupported_sentences": unsupported,
        "seconds_per_generative_ask": round(sum(seconds) / max(1, n), 1),
    }, indent=2))
    for label, env in SPEED_RUNS:
        rates = speed(args, env)
        print(f"{label}: tokens/s {', '.join(f'{r:.1f}' for r in rates)}; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
