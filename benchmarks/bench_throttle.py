"""Benchmark 7: a batch against providers that throttle the way they document it, and what each client loses.

Scenario (issue "Rate limits as providers enforce them"): 300 prompts × 2 models = 600 requests against two
loopback endpoints limited to 2,400 and 1,200 requests per minute, enforced over short periods (OpenAI: "60,000
requests/minute may be enforced as 1,000 requests/second"; Anthropic: a continuously refilled token bucket), i.e.
a token bucket holding one second's worth (``burst`` 1.0: 40 and 20 requests), answering OpenAI-style 429s with
``retry-after``, ``retry-after-ms`` and ``x-ratelimit-*``.

Setup: one simulator process (latency_scale 0.5, 40-token answers, as benchmark 3). The simulator serves each
dialect under one route only (``/{dialect}/v1``), so the two endpoints are two models of its OpenAI route, each
limited on its own (``/_sim/faults {"limits": {"rpm": R, "burst": 1.0}, "provider": "openai", "model": M}``; the
simulator keeps buckets per API key and model): ``gpt-4.1-mini`` at 2,400 rpm and ``gpt-4o-mini`` at 1,200 rpm,
both non-reasoning models with short latencies. multimodel configures ``rpm`` per provider entry, not per model,
so each endpoint is its own provider entry (``ep2400``, ``ep1200``) with the same base_url; the peers get one
client (SDK) or one ``api_base`` (LiteLLM) per endpoint the same way. Every client keeps 64 requests in flight
per endpoint (multimodel: ``concurrency`` 64 on each entry; peers: an ``asyncio.Semaphore(64)`` per endpoint).

Clients, each in a fresh interpreter, with the simulator's counters, records and limits reset before each run
(``/_sim/reset``, then the two limits set again) and a different API key per run:

1. ``mm_learned``: ``client.evaluate(prompts, models, progress=False, cache=False)``, default retries, provider
   entries without ``rpm``: the limits are learned from the ``x-ratelimit-*`` headers.
2. ``mm_rpm``: the same with ``"rpm": 2400`` and ``"rpm": 1200`` on the entries.
3. ``sdk``: ``openai.AsyncOpenAI`` with its default ``max_retries`` = 2 (``openai._constants.DEFAULT_MAX_RETRIES``,
   openai 3.57.0; it sleeps ``retry-after-ms`` when given, else 0.5 s doubling, up to 8 s).
4. ``litellm``: ``litellm.acompletion(model="openai/...", api_base=..., api_key=...)`` with its defaults:
   ``litellm.num_retries`` is None (no retries of its own), and its OpenAI handler builds the openai SDK client
   with ``max_retries`` = 2 (``inference_params.pop("max_retries", 2)`` in ``litellm/llms/openai/openai.py``;
   ``litellm.constants.DEFAULT_MAX_RETRIES`` = 2; litellm 1.110.2), so it retries as the SDK does.

Figures, per client: answered (rows with an answer, of 600); 429s (responses with status 429 in the simulator's
records); wall ÷ bound, where wall is the client's batch call (``evaluate`` or ``gather``) and the bound is
max(300/2,400·60, 300/1,200·60) = 15 s, what the slower endpoint's limit allows (less its one-second burst, plus
latency, so a client that loses nothing lands slightly under or over 1). Goals: 600/600 answered for both
multimodel modes; the peers are reported with no goal. The details add, per client and endpoint: requests the
simulator received, 429s per second of the run, the span from the first request received to the last answer,
and the error kinds of failing rows (multimodel) or exception types (peers). ``--quick``: 100 prompts (200
requests, bound 5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CpuTimer, Sim, run_worker

DIALECT = "openai"
# endpoint name (a multimodel provider entry), simulator model, rpm (simulator limit; client rpm in mm_rpm)
ENDPOINTS = [
    ("ep2400", "gpt-4.1-mini", 2400),
    ("ep1200", "gpt-4o-mini", 1200),
]
BURST_S = 1.0
CLIENTS = ("mm_learned", "mm_rpm", "sdk", "litellm")
LABELS = {"mm_learned": "multimodel, limits from headers", "mm_rpm": "multimodel, rpm configured",
          "sdk": "openai SDK, max_retries=2", "litellm": "LiteLLM, default retries"}
GOAL_CLIENTS = ("mm_learned", "mm_rpm")


def add_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("throttle (benchmark 7)")
    g.add_argument("--throttle-prompts", type=int, default=300, help="prompts (each goes to both endpoints)")
    g.add_argument("--throttle-concurrency", type=int, default=64, help="requests in flight per endpoint")
    g.add_argument("--throttle-scale", type=float, default=0.5)
    g.add_argument("--throttle-answer-tokens", type=int, default=40)


def _prompts(n: int, tag: str) -> list[str]:
    return [f"[{tag} {i}] Explain why the sky is blue in two sentences." for i in range(n)]


def _bound_s(n: int) -> float:
    return max(n / rpm * 60.0 for _e, _m, rpm in ENDPOINTS)


# ---------------------------------------------------------------------------------------------- children
def child_mm(url: str, key: str, n: int, conc: int, *, rpm: bool) -> dict[str, Any]:
    import multimodel as mm

    providers: dict[str, dict[str, Any]] = {}
    for name, _m, r in ENDPOINTS:
        entry: dict[str, Any] = {"base_url": f"{url}/{DIALECT}/v1", "api_key": key, "dialect": DIALECT,
                                 "concurrency": conc}
        if rpm:
            entry["rpm"] = r
        providers[name] = entry
    client = mm.Client(providers=providers, cache=False)
    models = [f"{name}/{m}" for name, m, _r in ENDPOINTS]
    with CpuTimer() as t:
        ev = client.evaluate(_prompts(n, key), models, progress=False, cache=False)
    per: dict[str, Any] = {}
    for name, *_ in ENDPOINTS:
        rs = [r for r in ev.results if r.provider == name]
        gate = client.gate(name)
        errs = [r.error for r in rs if r.error is not None]
        per[name] = {"rows": len(rs), "answered": sum(r.error is None for r in rs),
                     "error_kinds": dict(Counter(e.kind for e in errs)),
                     "first_error": str(errs[0])[:300] if errs else None,
                     "attempts": sum(r.attempts for r in rs), "retried_rows": sum(r.attempts > 1 for r in rs),
                     "client_429s": gate.rate_limited, "learned_rpm": gate.learned_rpm}
    return {"wall_s": t.wall, "cpu_s": t.cpu, "rows": len(ev.results),
            "answered": sum(p["answered"] for p in per.values()), "endpoints": per}


Call = Callable[[str, str, str], Awaitable[str]]  # (endpoint, model, prompt) → the answer's text


async def _drive_peer(call: Call, n: int, conc: int, tag: str) -> tuple[dict[str, Any], float]:
    """All 2·n requests started at once, ``conc`` in flight per endpoint; per endpoint: answered, exception types."""
    sems = {name: asyncio.Semaphore(conc) for name, *_ in ENDPOINTS}
    prompts = _prompts(n, tag)

    async def one(name: str, model: str, text: str) -> str | None:
        async with sems[name]:
            try:
                content = await call(name, model, text)
            except Exception as exc:
                return f"{type(exc).__name__}: {exc}"[:300]
            return None if content else "empty answer"

    jobs = [(name, model, text) for text in prompts for name, model, _r in ENDPOINTS]
    t0 = time.perf_counter()
    outs = await asyncio.gather(*(one(*j) for j in jobs))
    wall = time.perf_counter() - t0
    per: dict[str, Any] = {}
    for name, *_ in ENDPOINTS:
        errs = [o for (nm, _m, _t), o in zip(jobs, outs, strict=True) if nm == name and o is not None]
        rows = sum(nm == name for nm, _m, _t in jobs)
        per[name] = {"rows": rows, "answered": rows - len(errs),
                     "error_kinds": dict(Counter(e.split(":", 1)[0] for e in errs)),
                     "first_error": errs[0] if errs else None}
    return per, wall


def child_sdk(url: str, key: str, n: int, conc: int) -> dict[str, Any]:
    import openai

    # one client per endpoint, each with the SDK's default max_retries (2)
    clients = {name: openai.AsyncOpenAI(base_url=f"{url}/{DIALECT}/v1", api_key=key) for name, *_ in ENDPOINTS}

    async def call(name: str, model: str, text: str) -> str:
        r = await clients[name].chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
        return r.choices[0].message.content or ""

    with CpuTimer() as t:
        per, wall = asyncio.run(_drive_peer(call, n, conc, key))
    return {"wall_s": wall, "cpu_s": t.cpu, "rows": 2 * n, "answered": sum(p["answered"] for p in per.values()),
            "endpoints": per, "max_retries": clients[ENDPOINTS[0][0]].max_retries}


def child_litellm(url: str, key: str, n: int, conc: int) -> dict[str, Any]:
    import litellm

    litellm.suppress_debug_info = True

    async def call(name: str, model: str, text: str) -> str:
        # no num_retries/max_retries: LiteLLM's defaults
        r = await litellm.acompletion(model=f"{DIALECT}/{model}", messages=[{"role": "user", "content": text}],
                                      api_base=f"{url}/{DIALECT}/v1", api_key=key)
        return r.choices[0].message.content or ""

    with CpuTimer() as t:
        per, wall = asyncio.run(_drive_peer(call, n, conc, key))
    return {"wall_s": wall, "cpu_s": t.cpu, "rows": 2 * n, "answered": sum(p["answered"] for p in per.values()),
            "endpoints": per, "num_retries": litellm.num_retries}


# ---------------------------------------------------------------------------------------------- parent
def _litellm_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("litellm") is not None


def _set_limits(sim: Sim) -> None:
    sim.reset()  # counters, records, limits and their buckets
    for _name, model, rpm in ENDPOINTS:
        sim.post("/_sim/faults", {"limits": {"rpm": rpm, "burst": BURST_S}, "provider": DIALECT, "model": model})


def _sim_view(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What the simulator saw of one run: per endpoint, requests, 429s (per second of the run), answers, span."""
    t0 = min((x["received_at"] for x in records), default=0.0)
    per: dict[str, Any] = {}
    for name, model, rpm in ENDPOINTS:
        recs = [x for x in records if x["model"] == model]
        r429 = [x for x in recs if x["status"] == 429]
        ok = [x for x in recs if x["status"] == 200 and x["outcome"] == "ok"]
        last = max((x["completed_at"] for x in ok if x["completed_at"]), default=t0)
        per[name] = {"model": model, "rpm": rpm, "received": len(recs), "429s": len(r429), "answered": len(ok),
                     "other_status": dict(Counter(str(x["status"]) for x in recs if x["status"] not in (200, 429))),
                     "429s_by_second": dict(sorted(Counter(int(x["received_at"] - t0) for x in r429).items())),
                     "span_s": last - t0}
    span = max((p["span_s"] for p in per.values()), default=0.0)
    return {"received": len(records), "429s": sum(p["429s"] for p in per.values()),
            "answered": sum(p["answered"] for p in per.values()), "span_s": span, "endpoints": per}


def run(a: argparse.Namespace) -> dict[str, Any]:
    n = 100 if a.quick else a.throttle_prompts
    conc = a.throttle_concurrency
    total = n * len(ENDPOINTS)
    bound = _bound_s(n)
    no_litellm = getattr(a, "no_litellm", False) or not _litellm_available()
    clients = [c for c in CLIENTS if not (c == "litellm" and no_litellm)]
    t_start = time.perf_counter()
    stamp = int(time.time())
    runs: dict[str, Any] = {}
    with Sim(a.throttle_scale, "--answer-tokens", str(a.throttle_answer_tokens)) as sim:
        for c in clients:
            _set_limits(sim)
            key = f"sk-throttle-{c}-{stamp}"  # buckets are per key: a new key starts full, as a new run would
            res = run_worker(["--child", c, "--url", sim.url, "--key", key, "--n", str(n), "--conc", str(conc)],
                             timeout=600, script="bench_throttle.py")
            res["sim"] = _sim_view(sim.records())
            res["sim_by_outcome"] = sim.stats().get("by_outcome")
            res["wall_over_bound"] = res["wall_s"] / bound
            runs[c] = res
            s = res["sim"]
            kinds = {k: v for p in res["endpoints"].values() for k, v in p["error_kinds"].items()}
            print(f"  throttle {c:10s} answered {res['answered']:4d}/{total}  429s {s['429s']:5d}  "
                  f"requests {s['received']:5d}  wall {res['wall_s']:6.2f} s ({res['wall_over_bound']:.2f}x "
                  f"{bound:.0f} s)" + (f"  errors {kinds}" if kinds else ""), flush=True)
    figures: list[dict[str, Any]] = []
    for c, res in runs.items():
        goal = f"{total}/{total}" if c in GOAL_CLIENTS else None
        figures.append({"benchmark": "7 throttle", "figure": f"{LABELS[c]}: answered of {total}",
                        "value": res["answered"], "unit": "", "goal": goal,
                        "met": res["answered"] == total if goal else None})
    for c, res in runs.items():
        figures.append({"benchmark": "7 throttle", "figure": f"{LABELS[c]}: 429s / requests received",
                        "value": res["sim"]["429s"], "unit": f"/ {res['sim']['received']}", "goal": None,
                        "met": None})
    for c, res in runs.items():
        figures.append({"benchmark": "7 throttle", "figure": f"{LABELS[c]}: wall ÷ {bound:.0f} s",
                        "value": res["wall_over_bound"], "unit": "x", "goal": None, "met": None})
    return {"figures": figures, "prompts": n, "requests": total, "bound_s": bound, "concurrency_per_endpoint": conc,
            "endpoints": [{"name": e, "model": m, "rpm": r, "burst_s": BURST_S} for e, m, r in ENDPOINTS],
            "latency_scale": a.throttle_scale, "answer_tokens": a.throttle_answer_tokens, "runs": runs,
            "elapsed_s": time.perf_counter() - t_start}


def _child_main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", choices=CLIENTS, required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--conc", type=int, required=True)
    a = ap.parse_args()
    if a.child in ("mm_learned", "mm_rpm"):
        out = child_mm(a.url, a.key, a.n, a.conc, rpm=a.child == "mm_rpm")
    elif a.child == "sdk":
        out = child_sdk(a.url, a.key, a.n, a.conc)
    else:
        out = child_litellm(a.url, a.key, a.n, a.conc)
    out["client"] = a.child
    sys.stdout.write("\n" + json.dumps(out, default=str) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    _child_main()
