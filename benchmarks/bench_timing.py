"""Benchmark 4: timing accuracy of ``ttft_s``, multimodel vs a hand-timed raw openai SDK stream.

One simulator (openai dialect, gpt-4.1-mini profile: TTFT 0.35 s, ~110 tokens/s, ``--timing-scale`` 1.0)
serves 1,000 streams at concurrency 64 to each client in turn (fresh processes, same server, interleaved
over ``--timing-rounds`` rounds). Client and simulator run on the same host and stamp ``time.time()``, so:

  true TTFT      = sim ``first_token_at`` (when it wrote the first token) − client send time
  measured TTFT  = ``Result.ttft_s`` (multimodel) / perf_counter at the first text chunk (SDK)
  error          = measured − true = client's first-token stamp − sim ``first_token_at``

The goal is on p95 |error|. The client's send time is ``Result.created_at`` (stamped microseconds before
``t0``). Also reported: client ttft − server ttft (``first_token_at − received_at``), which in addition
contains the request's way in (client write → sim handler start, including the sim's own loop lag), and
that way-in alone.

Records are matched to requests by (prompt_tokens, completion_tokens): request i has a prompt of
``4·(i // 40)`` extra characters and ``max_tokens = 20 + i % 40``. (``Result.request_id`` holds the
dialect's ``x-request-id``, which the sim's records do not keep; they key on ``x-sim-request-id``.)
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from _common import Sim, median, quantile, run_worker

GOAL_MS = 2.0


def add_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("timing (benchmark 4)")
    g.add_argument("--timing-streams", type=int, default=1000)
    g.add_argument("--timing-concurrency", type=int, default=64)
    g.add_argument("--timing-scale", type=float, default=1.0)
    g.add_argument("--timing-rounds", type=int, default=2)


def _dist(xs: list[float]) -> dict[str, float]:
    a = [abs(x) for x in xs]
    return {"n": len(xs), "p05_ms": quantile(xs, 0.05), "p50_ms": quantile(xs, 0.5), "p95_ms": quantile(xs, 0.95),
            "p99_ms": quantile(xs, 0.99), "max_ms": max(xs) if xs else float("nan"),
            "min_ms": min(xs) if xs else float("nan"), "p95_abs_ms": quantile(a, 0.95),
            "p50_abs_ms": quantile(a, 0.5)}


def match(rows: list[list[Any]], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Per matched request: stamp error, client − server ttft, way in (ms)."""
    index: dict[tuple[int, int], dict[str, Any]] = {}
    clashes = 0
    for x in records:
        if not x.get("stream") or x.get("first_token_at") is None or (x.get("completion_tokens") or 0) < 20:
            continue
        k = (x["prompt_tokens"], x["completion_tokens"])
        clashes += k in index
        index[k] = x
    err: list[float] = []
    diff: list[float] = []
    way_in: list[float] = []
    unmatched = failed = 0
    for send_wall, ttft, pt, ct, error in rows:
        if error or ttft is None or send_wall is None:
            failed += 1
            continue
        x = index.get((pt, ct))
        if x is None:
            unmatched += 1
            continue
        err.append(1000 * (send_wall + ttft - x["first_token_at"]))
        diff.append(1000 * (ttft - (x["first_token_at"] - x["received_at"])))
        way_in.append(1000 * (x["received_at"] - send_wall))
    return {"error": err, "diff": diff, "way_in": way_in, "unmatched": unmatched, "failed": failed,
            "key_clashes": clashes}


def run(a: argparse.Namespace) -> dict[str, Any]:
    n = 200 if a.quick else a.timing_streams
    rounds = 1 if a.quick else a.timing_rounds
    per = n // rounds
    out: dict[str, Any] = {"streams_per_client": per * rounds, "concurrency": a.timing_concurrency,
                           "latency_scale": a.timing_scale, "rounds": rounds, "clients": {}}
    collected: dict[str, list[tuple[list[Any], list[dict[str, Any]]]]] = {"mm": [], "sdk": []}
    cpu: dict[str, list[float]] = {"mm": [], "sdk": []}
    wall: dict[str, list[float]] = {"mm": [], "sdk": []}
    sim_cpu: dict[str, list[float]] = {"mm": [], "sdk": []}
    t0 = time.perf_counter()
    with Sim(a.timing_scale, "--answer-tokens", "80") as sim:
        for r in range(rounds):
            for c in (("mm", "sdk") if r % 2 == 0 else ("sdk", "mm")):
                sim.reset()
                s0, w0 = sim.cpu(), time.perf_counter()
                res = run_worker(["timing", "--client", c, "--url", sim.url, "--round", str(r), "--n", str(per),
                                  "--concurrency", str(a.timing_concurrency)], timeout=600)
                sim_cpu[c].append((sim.cpu() - s0) / (time.perf_counter() - w0))
                collected[c].append((res["rows"], sim.records()))
                cpu[c].append(res["cpu_s"])
                wall[c].append(res["wall_s"])
    figures = []
    for c, label in (("mm", "multimodel"), ("sdk", "raw openai SDK, hand-timed")):
        ms = [match(rs, recs) for rs, recs in collected[c]]
        pooled = {k: [v for m in ms for v in m[k]] for k in ("error", "diff", "way_in")}
        s = {"requests": sum(len(rs) for rs, _ in collected[c]), "matched": len(pooled["error"]),
             "unmatched": sum(m["unmatched"] for m in ms), "failed": sum(m["failed"] for m in ms),
             "key_clashes": sum(m["key_clashes"] for m in ms),
             "error": _dist(pooled["error"]), "client_minus_server_ttft": _dist(pooled["diff"]),
             "way_in": _dist(pooled["way_in"]),
             "error_p95_abs_by_round": [quantile([abs(v) for v in m["error"]], 0.95) for m in ms],
             "client_cpu_s": cpu[c], "wall_s": wall[c],
             "client_cpu_share_of_core": median(cc / w for cc, w in zip(cpu[c], wall[c], strict=True)),
             "sim_cpu_share_of_core": median(sim_cpu[c])}
        out["clients"][c] = s
        print(f"  timing {c:4s}: |error| p50 {s['error']['p50_abs_ms']:.2f} ms p95 {s['error']['p95_abs_ms']:.2f} ms;"
              f" client−server ttft p95 {s['client_minus_server_ttft']['p95_abs_ms']:.2f} ms;"
              f" client CPU {100 * s['client_cpu_share_of_core']:.0f}% of a core,"
              f" sim {100 * s['sim_cpu_share_of_core']:.0f}%", flush=True)
        figures.append({"benchmark": "4 timing", "figure": f"ttft error p95 |stamp − sim first_token_at|, {label}",
                        "value": s["error"]["p95_abs_ms"], "unit": "ms", "goal": f"<= {GOAL_MS:g}",
                        "met": s["error"]["p95_abs_ms"] <= GOAL_MS if c == "mm" else None})
        figures.append({"benchmark": "4 timing", "figure": f"p95 |client ttft − sim ttft| (incl. way in), {label}",
                        "value": s["client_minus_server_ttft"]["p95_abs_ms"], "unit": "ms", "goal": "", "met": None})
    out["elapsed_s"] = time.perf_counter() - t0
    out["figures"] = figures
    return out

