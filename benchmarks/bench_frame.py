"""Benchmark 5: 100,000 Results → DataFrame with ``multimodel.results.results_to_frame``.

Runs in a fresh interpreter (pandas imported and warmed on a small frame first, so the figure is the build
alone). The Results look like a batch evaluation's: a ~600-character answer, a third with reasoning, one in
ten with a tool call, one in fifty with an error, every numeric field set. Figures: seconds for the build
(median of 3) and bytes per row from ``df.memory_usage(deep=True)``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import median, run_worker

GOAL_S = 1.0


def add_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("frame (benchmark 5)")
    g.add_argument("--frame-rows", type=int, default=100_000)


def make_results(n: int) -> list[Any]:
    from multimodel.results import Result, ResultError, ToolCall

    models = ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash", "xai/grok-4.1",
              "deepseek/deepseek-reasoner"]
    words = ["the", "sky", "scatters", "blue", "light", "more", "strongly", "than", "red", "because", "shorter",
             "wavelengths", "interact", "with", "molecules", "of", "nitrogen", "and", "oxygen"]
    out = []
    for i in range(n):
        m = models[i % 5]
        text = " ".join(words[(i + k) % len(words)] for k in range(100))
        r = Result(model=m, provider=m.split("/")[0], response_model=m.split("/")[1] + "-2026-01-01",
                   content=f"[{i}] {text}", reasoning=(f"thinking {i} " + text[:300]) if i % 3 == 0 else None,
                   finish_reason="stop", native_finish_reason="stop", prompt_tokens=20 + i % 50,
                   completion_tokens=150 + i % 200, reasoning_tokens=(i % 120) if i % 3 == 0 else 0,
                   cached_tokens=0, cost_usd=1e-4 * (1 + i % 7), cost_source="price_table", ttft_s=0.3 + (i % 97) / 1e3,
                   ttfat_s=0.35 + (i % 89) / 1e3, e2e_s=1.5 + (i % 101) / 100, stream=True, simulated=True,
                   request_id=f"req_{i:012x}", created_at=1.7e9 + i * 0.01)
        if i % 10 == 0:
            r.tool_calls = [ToolCall(id=f"call_{i}", name="get_weather", arguments={"city": "Paris"},
                                     arguments_raw='{"city": "Paris"}')]
            r.finish_reason = "tool_calls"
        if i % 50 == 0:
            r.error = ResultError(kind="rate_limit", message="Rate limit reached", status=429, retry_after_s=2.0)
            r.finish_reason = "error"
            r.content = ""
        out.append(r)
    return out


def child(n: int) -> dict[str, Any]:
    from multimodel.results import results_to_frame

    results = make_results(n)
    results_to_frame(results[:100])  # imports pandas, warms its code paths
    times = []
    df = None
    for _ in range(3):
        df = None
        gc.collect()
        t0 = time.perf_counter()
        df = results_to_frame(results)
        times.append(time.perf_counter() - t0)
    assert df is not None and len(df) == n
    mem = int(df.memory_usage(deep=True).sum())
    # where the time goes: the per-Result dicts vs the pandas build
    gc.collect()
    t0 = time.perf_counter()
    rows = [r.to_dict() for r in results]
    to_dict_s = time.perf_counter() - t0
    del rows
    return {"rows": n, "seconds": median(times), "seconds_all": times, "bytes": mem, "bytes_per_row": mem / n,
            "to_dict_s": to_dict_s, "columns": len(df.columns)}


def run(a: argparse.Namespace) -> dict[str, Any]:
    n = 20_000 if a.quick else a.frame_rows
    res = run_worker(["--child", str(n)], timeout=300, script="bench_frame.py")
    per100k = res["seconds"] * 100_000 / n
    print(f"  frame: {n:,} rows in {res['seconds']:.3f} s ({res['to_dict_s']:.3f} s of it in Result.to_dict), "
          f"{res['bytes_per_row']:.0f} B/row", flush=True)
    res["figures"] = [
        {"benchmark": "5 frame", "figure": f"{n:,} Results → DataFrame", "value": res["seconds"], "unit": "s",
         "goal": f"<= {GOAL_S * n / 100_000:g}", "met": per100k <= GOAL_S},
        {"benchmark": "5 frame", "figure": "DataFrame bytes per row (deep)", "value": res["bytes_per_row"],
         "unit": "B", "goal": "", "met": None},
    ]
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", type=int, required=True)
    print(json.dumps(child(ap.parse_args().child)))
