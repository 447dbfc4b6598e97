"""Benchmark 9: the same 10,000 requests through the providers' Batch APIs and live, against a rate-limited simulator.

Scenario (issue 19, "Provider Batch APIs"): 2,500 prompts × 4 models (two OpenAI models, Claude Haiku through the
Messages API, Gemini Flash) = 10,000 requests, each model limited to ``--batch-rpm`` requests per minute (a token
bucket holding one second's worth, OpenAI-style 429s with ``retry-after`` and ``x-ratelimit-*``, as benchmark 7
sets them: ``/_sim/faults {"limits": {"rpm": R, "burst": 1.0}, "provider": P}``), and a batch taking ``--batch-s``
seconds (the Batch APIs' 24-hour window compressed). One simulator process (latency_scale 0.2, 40-token answers);
each client run in a fresh interpreter with the simulator's counters, records and limits reset before it and its own
API key (the buckets are per key):

1. ``live``: ``client.evaluate(prompts, models, max_tokens=64, progress=False)`` on a client without a cache,
   default retries; multimodel learns each limit from the ``x-ratelimit-*`` headers.
2. ``batch``: the same call with ``mode="batch"``.

Figures: cost ratio (the batch run's ``cost_usd`` total over the live run's: the same answers, so the documented
batch fraction, 0.5 for these providers); wall time of each (the evaluate() call); 429s the simulator answered
(from its request records) and chat requests it received, per run. The details add per model the rows, answered,
cost, and in the batch run the batches submitted and ``batch_wait_s``. ``--quick``: 100 prompts (400 requests).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CpuTimer, Sim, run_worker

# (provider entry, dialect, API, model id): every one has a Batch API at half the live price
MODELS = [
    ("openai", "openai", "chat", "gpt-4.1-mini"),
    ("openai", "openai", "chat", "gpt-4o-mini"),
    ("anthropic-messages", "anthropic", "messages", "claude-haiku-4-5"),
    ("gemini", "gemini", "chat", "gemini-3-flash-preview"),
]
RUNS = ("live", "batch")
BURST_S = 1.0


def add_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("batch (benchmark 9)")
    g.add_argument("--batch-prompts", type=int, default=2500, help="prompts (each goes to the 4 models)")
    g.add_argument("--batch-rpm", type=int, default=3000, help="each model's live rate limit, requests/minute")
    g.add_argument("--batch-s", type=float, default=5.0, help="how long the simulator takes to run one batch")
    g.add_argument("--batch-scale", type=float, default=0.2, help="the simulator's live latency scale")


def _models() -> list[str]:
    return [f"{entry}/{model}" for entry, _d, _a, model in MODELS]


# ---------------------------------------------------------------------------------------------- child
def child(url: str, key: str, n: int, run: str) -> dict[str, Any]:
    import warnings

    import multimodel as mm

    providers = {}
    for entry, dialect, _api, _model in MODELS:
        providers[entry] = {"base_url": f"{url}/{dialect}/v1", "api_key": key, "dialect": dialect}
    client = mm.Client(providers=providers, cache=False)
    prompts = [f"[{key} {i}] Explain why the sky is blue in two sentences." for i in range(n)]
    with warnings.catch_warnings(), CpuTimer() as t:
        warnings.simplefilter("ignore")  # no cache in a batch run; deprecated models: both expected here
        ev = client.evaluate(prompts, _models(), max_tokens=64, progress=False, mode=run)
    df = ev.df
    per = {}
    for model, g in df.groupby("model", sort=False):
        per[model] = {"rows": len(g), "answered": int(g["error_kind"].isna().sum()),
                      "cost_usd": float(g["cost_usd"].sum()), "modes": dict(Counter(g["mode"])),
                      "cost_sources": dict(Counter(g["cost_source"].dropna())),
                      "error_kinds": dict(Counter(g["error_kind"].dropna())),
                      "batches": int(g["batch_id"].nunique()),
                      "batch_wait_s_max": float(g["batch_wait_s"].max()) if g["batch_wait_s"].notna().any() else None,
                      "prompt_tokens": int(g["prompt_tokens"].sum()), "completion_tokens":
                          int(g["completion_tokens"].sum())}
    return {"wall_s": t.wall, "cpu_s": t.cpu, "rows": len(df), "answered": int(df["error_kind"].isna().sum()),
            "cost_usd": float(df["cost_usd"].sum()), "estimate_usd": ev.estimate_usd, "models": per}


# ---------------------------------------------------------------------------------------------- parent
def _set_limits(sim: Sim, rpm: int) -> None:
    sim.reset()
    for provider in dict.fromkeys(dialect for _e, dialect, _a, _m in MODELS):
        sim.post("/_sim/faults", {"limits": {"rpm": rpm, "burst": BURST_S}, "provider": provider})


def run(a: argparse.Namespace) -> dict[str, Any]:
    n = 100 if a.quick else a.batch_prompts
    total = n * len(MODELS)
    stamp = int(time.time())
    runs: dict[str, Any] = {}
    t_start = time.perf_counter()
    with Sim(a.batch_scale, "--answer-tokens", "40", "--batch-s", str(a.batch_s)) as sim:
        for name in RUNS:
            _set_limits(sim, a.batch_rpm)
            # one key for both runs (the limits' buckets are reset between them): the prompts carry it, and the
            # same prompts get the same answers, so the cost ratio compares the same usage
            res = run_worker(["--child", name, "--url", sim.url, "--key", f"sk-batch-{stamp}", "--n", str(n)],
                             timeout=1800, script="bench_batch.py")
            records = sim.records()
            stats = sim.stats()
            res["sim"] = {"received": len(records), "429s": sum(r["status"] == 429 for r in records),
                          "by_api": stats.get("by_api"), "batches": stats.get("batches", {}).get("batches"),
                          "by_status": dict(Counter(str(r["status"]) for r in records))}
            runs[name] = res
            print(f"  batch {name:5s} answered {res['answered']:6d}/{total}  cost ${res['cost_usd']:.4f}  "
                  f"429s {res['sim']['429s']:5d}  by_api {res['sim']['by_api']}  wall {res['wall_s']:6.1f} s",
                  flush=True)
    live, batch = runs["live"], runs["batch"]
    ratio = batch["cost_usd"] / live["cost_usd"] if live["cost_usd"] else float("nan")
    bench = "9 batch"
    figures = [
        {"benchmark": bench, "figure": f"cost, batch ÷ live ({total:,} requests)", "value": ratio, "unit": "x",
         "goal": "0.5 (the documented batch price)", "met": abs(ratio - 0.5) < 1e-6},
        {"benchmark": bench, "figure": "answered of requests, live", "value": live["answered"], "unit": f"/ {total}",
         "goal": None, "met": None},
        {"benchmark": bench, "figure": "answered of requests, batch", "value": batch["answered"],
         "unit": f"/ {total}", "goal": f"{total}", "met": batch["answered"] == total},
        {"benchmark": bench, "figure": "wall, live", "value": live["wall_s"], "unit": "s", "goal": None, "met": None},
        {"benchmark": bench, "figure": f"wall, batch (batch_s {a.batch_s:g})", "value": batch["wall_s"], "unit": "s",
         "goal": None, "met": None},
        {"benchmark": bench, "figure": "429s answered, live", "value": live["sim"]["429s"],
         "unit": f"/ {live['sim']['received']} requests", "goal": None, "met": None},
        {"benchmark": bench, "figure": "429s answered, batch", "value": batch["sim"]["429s"],
         "unit": f"/ {batch['sim']['received']} requests", "goal": "0", "met": batch["sim"]["429s"] == 0},
    ]
    return {"figures": figures, "prompts": n, "requests": total, "models": _models(), "rpm_per_model": a.batch_rpm,
            "burst_s": BURST_S, "batch_s": a.batch_s, "latency_scale": a.batch_scale, "cost_ratio": ratio,
            "runs": runs, "elapsed_s": time.perf_counter() - t_start}


def _child_main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", choices=RUNS, required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--n", type=int, required=True)
    a = ap.parse_args()
    out = child(a.url, a.key, a.n, a.child)
    out["run"] = a.child
    sys.stdout.write("\n" + json.dumps(out, default=str) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    _child_main()
