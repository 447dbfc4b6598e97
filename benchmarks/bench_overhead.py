"""Benchmark 1: client overhead (CPU per request) of multimodel vs the raw openai SDK and LiteLLM.

One simulator process (openai dialect, latency_scale 0, answers of ``--answer-tokens`` tokens via the
``x-sim-answer-tokens`` header); every round runs each client once, in its own fresh interpreter, in a
rotated order: a warm-up, then a timed block of non-streaming requests and a timed block of streams, all at
concurrency 32. Figures are the client process's CPU (time.process_time: every thread, so multimodel's I/O
thread counts) per request, and the ratio multimodel ÷ SDK per round; reported values are medians over
rounds.

Clients: ``mm`` = ``await client.acomplete(...)`` from the caller's event loop (hops to multimodel's I/O
thread; returns a full normalized Result with cost and timings); ``mm_sync`` = ``client.evaluate(...)``
(the sync batch path); ``sdk`` = ``openai.AsyncOpenAI`` (streams with include_usage, every chunk
consumed, text joined); ``litellm`` = ``litellm.acompletion`` (same).

The SDK and LiteLLM spend 0.33 ms and 1.2 ms of CPU per streamed chunk on the 2-core dev VM, so 500 streams
of 1,000 tokens each would take ~3 and ~10 minutes of CPU; by default they run fewer streams (CPU per
request is a per-request mean over identical 1,000-chunk streams, so the sample size hardly matters).
``--full`` runs the issue's counts for every client (~20 minutes).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from _common import Sim, median, run_worker

CLIENTS = ("mm", "mm_sync", "sdk", "litellm")
# total requests per client over all rounds: (non-streaming, streaming)
DEFAULT_COUNTS = {"mm": (2000, 500), "mm_sync": (2000, 500), "sdk": (2000, 96), "litellm": (900, 24)}
FULL_COUNTS = {c: (2000, 500) for c in CLIENTS}
QUICK_COUNTS = {"mm": (300, 40), "mm_sync": (300, 40), "sdk": (300, 8), "litellm": (60, 3)}
GOAL_NONSTREAM = 0.25
GOAL_STREAM = 0.40


def add_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("overhead (benchmark 1)")
    g.add_argument("--overhead-rounds", type=int, default=3)
    g.add_argument("--overhead-concurrency", type=int, default=32)
    g.add_argument("--answer-tokens", type=int, default=1000)
    g.add_argument("--no-litellm", action="store_true", help="skip the LiteLLM peer")


def _litellm_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("litellm") is not None


def run(a: argparse.Namespace) -> dict[str, Any]:
    counts = QUICK_COUNTS if a.quick else FULL_COUNTS if a.full else DEFAULT_COUNTS
    clients = [c for c in CLIENTS if not (c == "litellm" and (a.no_litellm or not _litellm_available()))]
    rounds = 1 if a.quick else a.overhead_rounds
    conc = a.overhead_concurrency
    per_round = {c: (math.ceil(counts[c][0] / rounds), math.ceil(counts[c][1] / rounds)) for c in clients}
    runs: list[dict[str, Any]] = []
    t_start = time.perf_counter()
    with Sim(0.0) as sim:
        for r in range(rounds):
            order = clients[r % len(clients):] + clients[: r % len(clients)]
            for c in order:
                ns, st = per_round[c]
                args = ["overhead", "--client", c, "--url", sim.url, "--round", str(r), "--concurrency", str(conc),
                        "--nonstream", str(ns), "--streams", str(st), "--answer-tokens", str(a.answer_tokens),
                        "--warmup", "64", "--sim-pid", str(sim.proc.pid)]
                res = run_worker(args, timeout=900)
                res["round"] = r
                runs.append(res)
                ns_ms = res.get("nonstream", {}).get("cpu_ms_per_req", float("nan"))
                st_ms = res.get("stream", {}).get("cpu_ms_per_req", float("nan"))
                print(f"  overhead round {r} {c:8s} non-stream {ns_ms:8.3f} ms CPU/req   "
                      f"stream {st_ms:9.2f} ms CPU/req", flush=True)
    elapsed = time.perf_counter() - t_start
    return summarize(runs, clients, rounds, conc, a.answer_tokens, per_round, elapsed)


def _get(runs: list[dict[str, Any]], client: str, rnd: int, block: str, key: str) -> float | None:
    for x in runs:
        if x["client"] == client and x["round"] == rnd and block in x:
            return x[block][key]
    return None


def summarize(runs: list[dict[str, Any]], clients: list[str], rounds: int, conc: int, answer_tokens: int,
              per_round: dict[str, tuple[int, int]], elapsed: float) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for c in clients:
        row: dict[str, Any] = {}
        for block in ("nonstream", "stream"):
            blocks = [x[block] for x in runs if x["client"] == c and block in x]
            if not blocks:
                continue
            row[block] = {
                "requests_total": sum(b["n"] for b in blocks),
                "errors": sum(b["errors"] for b in blocks),
                "cpu_ms_per_req_median": median(b["cpu_ms_per_req"] for b in blocks),
                "cpu_ms_per_req_by_round": [round(b["cpu_ms_per_req"], 4) for b in blocks],
                "wall_ms_per_req_median": median(b["wall_ms_per_req"] for b in blocks),
                "wall_s_by_round": [round(b["wall_s"], 3) for b in blocks],
                "req_per_s_median": median(b["n"] / b["wall_s"] for b in blocks),
                "sim_cpu_ms_per_req_median": median(b["sim_cpu_ms_per_req"] for b in blocks
                                                    if b.get("sim_cpu_ms_per_req") is not None),
                "mean_completion_tokens": median(b["mean_completion_tokens"] or 0 for b in blocks),
                "first_error": next((b["first_error"] for b in blocks if b["first_error"]), None),
            }
        table[c] = row
    ratios: dict[str, Any] = {}
    for c in clients:
        if c == "sdk":
            continue
        for block in ("nonstream", "stream"):
            per = []
            for r in range(rounds):
                x, s = _get(runs, c, r, block, "cpu_ms_per_req"), _get(runs, "sdk", r, block, "cpu_ms_per_req")
                if x is not None and s:
                    per.append(x / s)
            if per:
                ratios[f"{c}/sdk {block}"] = {"median": median(per), "by_round": [round(p, 4) for p in per]}
    figures = []

    def fig(name: str, key: str, goal: float | None, unit: str = "x") -> None:
        if key in ratios:
            v = ratios[key]["median"]
            figures.append({"benchmark": "1 overhead", "figure": name, "value": v, "unit": unit,
                            "goal": f"<= {goal}" if goal is not None else "", "met": (v <= goal) if goal else None})

    fig("CPU/req non-stream, multimodel ÷ SDK", "mm/sdk nonstream", GOAL_NONSTREAM)
    fig("CPU/req stream, multimodel ÷ SDK", "mm/sdk stream", GOAL_STREAM)
    fig("CPU/req non-stream, mm evaluate() ÷ SDK", "mm_sync/sdk nonstream", None)
    fig("CPU/req stream, mm evaluate() ÷ SDK", "mm_sync/sdk stream", None)
    fig("CPU/req non-stream, LiteLLM ÷ SDK", "litellm/sdk nonstream", None)
    fig("CPU/req stream, LiteLLM ÷ SDK", "litellm/sdk stream", None)
    for c in clients:
        for block, label in (("nonstream", "non-stream"), ("stream", f"stream ({answer_tokens} tok)")):
            if block in table[c]:
                figures.append({"benchmark": "1 overhead", "figure": f"{c} CPU ms/req {label}",
                                "value": table[c][block]["cpu_ms_per_req_median"], "unit": "ms", "goal": "",
                                "met": None})
    return {"figures": figures, "clients": table, "ratios": ratios, "rounds": rounds, "concurrency": conc,
            "answer_tokens": answer_tokens, "per_round_counts": per_round, "elapsed_s": elapsed, "runs": runs}
