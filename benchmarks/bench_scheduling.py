"""Benchmark 3: scheduling efficiency of ``client.evaluate`` against the physical bound.

Five providers in one simulator, each a different dialect and model (so a different latency profile),
with its own client concurrency limit and its own rpm limit, set both in the simulator (``/_sim/faults``
``limits``, a 60-s sliding window per provider) and on the client's provider entry (``"rpm": R``). 2,000
prompts × 5 models = 10,000 requests in one ``client.evaluate(prompts, models, progress=False)`` call
(default retries, non-streaming, latency_scale 0.5, 40-token answers).

Bound: max over providers of max(N·L/C, N/R·60), N = requests per provider, L = its mean request latency
measured without contention (a calibration pass at 4 in flight per provider, in a separate process before
the limits are set), C = its concurrency limit, R = its rpm. Goal: wall ≤ 1.10 × bound, and at most one 429
per provider per 60-s window (counted from the simulator's records, windows from the first request).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CpuTimer, Sim, run_worker

# dialect, model, client concurrency, rpm (client and simulator): each provider's bound is 60-71 s, some
# concurrency-bound (openai, gemini), some rpm-bound (anthropic, deepseek), xai close to both.
PLAN = [
    ("openai", "gpt-4.1-mini", 11, 2400),
    ("anthropic", "claude-haiku-4-5", 24, 1820),
    ("gemini", "gemini-3-flash", 18, 3000),
    ("xai", "grok-3-mini", 24, 1700),
    ("deepseek", "deepseek-chat", 40, 1850),
]
GOAL_RATIO = 1.10
GOAL_429_PER_WINDOW = 1
WINDOW_S = 60.0


def add_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("scheduling (benchmark 3)")
    g.add_argument("--sched-prompts", type=int, default=2000, help="prompts (each goes to all 5 models)")
    g.add_argument("--sched-scale", type=float, default=0.5)
    g.add_argument("--sched-answer-tokens", type=int, default=40)


def _client(url: str, *, rpm: bool, conc: int | None = None) -> Any:
    import multimodel as mm

    providers = {}
    for d, _m, c, r in PLAN:
        entry: dict[str, Any] = {"base_url": f"{url}/{d}/v1", "api_key": "sim-key", "dialect": d,
                                 "concurrency": conc or c}
        if rpm:
            entry["rpm"] = r
        providers[d] = entry
    return mm.Client(providers=providers, cache=False)


def _prompts(n: int, tag: str) -> list[str]:
    return [f"[{tag} {i}] Explain why the sky is blue in two sentences." for i in range(n)]


def child_calibrate(url: str, n: int) -> dict[str, Any]:
    client = _client(url, rpm=False, conc=4)
    models = [f"{d}/{m}" for d, m, _c, _r in PLAN]
    ev = client.evaluate(_prompts(n, "cal"), models, progress=False, cache=False, retries=0)
    lat: dict[str, list[float]] = defaultdict(list)
    errors = Counter()
    for r in ev.results:
        if r.error is None and r.e2e_s is not None:
            lat[r.provider].append(r.e2e_s)
        else:
            errors[r.provider] += 1
    return {"L_s": {p: sum(v) / len(v) for p, v in lat.items()}, "n": {p: len(v) for p, v in lat.items()},
            "errors": dict(errors)}


def child_run(url: str, n: int) -> dict[str, Any]:
    client = _client(url, rpm=True)
    models = [f"{d}/{m}" for d, m, _c, _r in PLAN]
    prompts = _prompts(n, "run")
    called = time.time()
    with CpuTimer() as t:
        ev = client.evaluate(prompts, models, progress=False, cache=False)
    returned = time.time()
    per: dict[str, Any] = {}
    for d, *_ in PLAN:
        rs = [r for r in ev.results if r.provider == d]
        ok = [r for r in rs if r.error is None]
        starts = [r.created_at for r in rs if r.created_at]
        ends = [r.created_at + r.e2e_s for r in ok if r.created_at and r.e2e_s is not None]
        gate = client.gate(d)
        per[d] = {"n": len(rs), "ok": len(ok), "errors": Counter(r.error.kind for r in rs if r.error),
                  "attempts": sum(r.attempts for r in rs), "retried": sum(r.attempts > 1 for r in rs),
                  "client_429s": gate.rate_limited, "learned_rpm": gate.learned_rpm,
                  "mean_e2e_s": sum(r.e2e_s for r in ok) / len(ok) if ok else None,
                  "first_send_wall": min(starts) if starts else None, "last_end_wall": max(ends) if ends else None}
    first = min(p["first_send_wall"] for p in per.values() if p["first_send_wall"])
    last = max(p["last_end_wall"] for p in per.values() if p["last_end_wall"])
    # before the first send: planning (prepare × N, run id); after the last answer: building the Evaluation
    return {"wall_s": t.wall, "cpu_s": t.cpu, "rows": len(ev.results), "providers": per,
            "before_first_send_s": first - called, "after_last_answer_s": returned - last}


def run(a: argparse.Namespace) -> dict[str, Any]:
    n = 300 if a.quick else a.sched_prompts
    t_start = time.perf_counter()
    with Sim(a.sched_scale, "--answer-tokens", str(a.sched_answer_tokens)) as sim:
        cal = run_worker(["--child", "calibrate", "--url", sim.url, "--n", "40"], timeout=120,
                         script="bench_scheduling.py")
        sim.reset()
        for d, _m, _c, r in PLAN:
            sim.post("/_sim/faults", {"limits": {"rpm": r}, "provider": d})
        res = run_worker(["--child", "run", "--url", sim.url, "--n", str(n)], timeout=400,
                         script="bench_scheduling.py")
        records = sim.records()
        stats = sim.stats()
    bounds = {}
    for d, _m, c, r in PLAN:
        L = cal["L_s"][d]
        nd = res["providers"][d]["n"]
        bounds[d] = {"L_s": L, "concurrency": c, "rpm": r, "n": nd, "conc_bound_s": nd * L / c,
                     "rpm_bound_s": nd / r * 60, "bound_s": max(nd * L / c, nd / r * 60)}
    bound = max(b["bound_s"] for b in bounds.values())
    # 429s per provider, per 60-s window from the first request the simulator received
    t0 = min(x["received_at"] for x in records) if records else 0.0
    by_provider: dict[str, Any] = {}
    for d, *_ in PLAN:
        recs = [x for x in records if x["dialect"] == d]
        r429 = [x for x in recs if x["status"] == 429]
        windows = Counter(int((x["received_at"] - t0) // WINDOW_S) for x in r429)
        first_rx = min((x["received_at"] for x in recs), default=0.0)
        span = (max(x["completed_at"] or x["received_at"] for x in recs) - min(x["received_at"] for x in recs)
                if recs else 0.0)
        p = res["providers"][d]
        by_provider[d] = {**bounds[d], "received": len(recs), "429s": len(r429),
                          "429s_by_window": dict(sorted(windows.items())),
                          "max_429s_in_a_window": max(windows.values()) if windows else 0,
                          "429_at_s_after_first_request": [round(x["received_at"] - first_rx, 4) for x in r429],
                          # how long after the client stamped its first send the simulator got it: the
                          # skew between the client's rpm window and the simulator's at the window boundary
                          "first_request_skew_s": first_rx - p["first_send_wall"] if p["first_send_wall"] else None,
                          "span_s": span, "span_over_bound": span / bounds[d]["bound_s"],
                          "client": p}
    worst_window = max(v["max_429s_in_a_window"] for v in by_provider.values())
    ratio = res["wall_s"] / bound
    for d, v in by_provider.items():
        print(f"  scheduling {d:9s} L {v['L_s'] * 1000:4.0f} ms C {v['concurrency']:2d} rpm {v['rpm']:4d} "
              f"bound {v['bound_s']:5.1f} s ({'rpm' if v['rpm_bound_s'] >= v['conc_bound_s'] else 'conc'})  "
              f"took {v['span_s']:5.1f} s  429s {v['429s']} {v['429s_by_window']}", flush=True)
    print(f"  scheduling: wall {res['wall_s']:.1f} s, bound {bound:.1f} s, ratio {ratio:.3f} "
          f"(planning before the first send {res['before_first_send_s']:.2f} s, "
          f"after the last answer {res['after_last_answer_s']:.2f} s)", flush=True)
    figures = [
        {"benchmark": "3 scheduling", "figure": f"evaluate() wall ÷ bound ({n * len(PLAN):,} req, 5 providers)",
         "value": ratio, "unit": "x", "goal": f"<= {GOAL_RATIO}", "met": ratio <= GOAL_RATIO},
        {"benchmark": "3 scheduling", "figure": "max 429s of a provider in one 60-s window", "value": worst_window,
         "unit": "", "goal": f"<= {GOAL_429_PER_WINDOW}", "met": worst_window <= GOAL_429_PER_WINDOW},
        {"benchmark": "3 scheduling", "figure": "evaluate() wall time", "value": res["wall_s"], "unit": "s",
         "goal": f"bound {bound:.1f} s", "met": None},
    ]
    return {"figures": figures, "wall_s": res["wall_s"], "bound_s": bound, "ratio": ratio, "providers": by_provider,
            "calibration": cal, "client_cpu_s": res["cpu_s"],
            "before_first_send_s": res["before_first_send_s"], "after_last_answer_s": res["after_last_answer_s"],
            "sim_by_outcome": stats.get("by_outcome"),
            "latency_scale": a.sched_scale, "answer_tokens": a.sched_answer_tokens,
            "elapsed_s": time.perf_counter() - t_start}


def _child_main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", choices=("calibrate", "run"), required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--n", type=int, required=True)
    a = ap.parse_args()
    out = child_calibrate(a.url, a.n) if a.child == "calibrate" else child_run(a.url, a.n)
    sys.stdout.write("\n" + json.dumps(out, default=str) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    _child_main()
