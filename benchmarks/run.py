"""Run the benchmark suite: ``.venv/bin/python benchmarks/run.py`` (or ``make bench``).

Writes ``benchmarks/results/<date>-<host>.json`` (machine, package versions, every figure and its
details) and prints a table of each figure next to its goal. Benchmarks (issue 7):

  1 overhead     client CPU per request: multimodel vs openai.AsyncOpenAI vs litellm.acompletion
  2 normalize    chunks/s through SSEDecoder + orjson + Accumulator on recorded long streams
  3 scheduling   evaluate() of 10,000 requests over 5 rate-limited providers vs the physical bound
  4 timing       ttft_s error vs the simulator's first-token send time, multimodel vs hand-timed SDK
  5 frame        100,000 Results → DataFrame
  6 import       python -X importtime -c "import multimodel"
  7 throttle     600 requests to two endpoints that throttle per second (2,400 and 1,200 rpm): multimodel
                 (limits from headers; rpm configured) vs openai.AsyncOpenAI vs litellm.acompletion, answered of 600
  8 native       events/s reading recorded Messages and Responses streams: multimodel's readers vs the anthropic
                 and openai SDKs' own stream accumulation, same decoder and JSON parser, ratio per stream
  9 batch        10,000 requests (2,500 prompts x 4 rate-limited models) through the Batch APIs vs live: cost
                 ratio, wall time of each, 429s the live run met (none by batch)

``--only overhead,timing`` runs a subset; ``--quick`` is a smoke run (~1 min); ``--full`` runs the issue's
request counts for every peer in benchmark 1 (the SDK and LiteLLM streams then take ~15 more minutes).
Each benchmark runs its clients in fresh subprocesses against a simulator in its own process; loopback only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import time
import traceback
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_batch
import bench_frame
import bench_import
import bench_native
import bench_normalize
import bench_overhead
import bench_scheduling
import bench_throttle
import bench_timing
from _common import BENCH, machine_info

# cheap ones first, so a failure late in a long run still leaves their figures
BENCHMARKS = {
    "import": bench_import,
    "normalize": bench_normalize,
    "native": bench_native,
    "frame": bench_frame,
    "overhead": bench_overhead,
    "timing": bench_timing,
    "scheduling": bench_scheduling,
    "throttle": bench_throttle,
    "batch": bench_batch,
}


def fmt(v: Any, unit: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if unit == "chunks/s":
        return f"{v:,.0f} chunks/s"
    if unit == "x":
        return f"{v:.3f}x"
    if unit == "s":
        return f"{v:.3f} s"
    if unit == "ms":
        return f"{v:.3f} ms" if v < 10 else f"{v:.1f} ms"
    if unit == "B":
        return f"{v:,.0f} B"
    return f"{v:g}{(' ' + unit) if unit else ''}"


def table(figures: list[dict[str, Any]]) -> str:
    rows = [("benchmark", "figure", "value", "goal", "")]
    for f in figures:
        status = "" if f.get("met") is None else ("MET" if f["met"] else "MISSED")
        rows.append((f["benchmark"], f["figure"], fmt(f["value"], f["unit"]), f.get("goal") or "", status))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated subset of: " + ", ".join(BENCHMARKS))
    ap.add_argument("--quick", action="store_true", help="small counts: a smoke run, figures not comparable")
    ap.add_argument("--full", action="store_true", help="benchmark 1 at the issue's counts for every peer")
    ap.add_argument("--out", default=None, help="results file (default benchmarks/results/<date>-<host>.json)")
    for mod in BENCHMARKS.values():
        mod.add_args(ap)
    a = ap.parse_args(argv)
    names = [n.strip() for n in a.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        ap.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {', '.join(BENCHMARKS)}")

    started = dt.datetime.now(dt.UTC)
    host = platform.node() or "host"
    out_path = a.out or os.path.join(BENCH, "results", f"{started:%Y-%m-%d}-{host}.json")
    doc: dict[str, Any] = {"started_utc": started.isoformat(timespec="seconds"),
                           "command": " ".join([os.path.relpath(sys.executable), *sys.argv]),
                           "mode": "quick" if a.quick else "full" if a.full else "default",
                           "machine": machine_info(), "benchmarks": {}, "figures": [], "failed": {}}
    t0 = time.perf_counter()
    for name in names:
        print(f"[{name}]", flush=True)
        t = time.perf_counter()
        try:
            res = BENCHMARKS[name].run(a)
        except Exception as exc:  # keep the other benchmarks' figures
            traceback.print_exc()
            doc["failed"][name] = f"{type(exc).__name__}: {exc}"
            continue
        res["duration_s"] = round(time.perf_counter() - t, 1)
        doc["benchmarks"][name] = res
        doc["figures"].extend(res.get("figures", []))
        print(f"  ({res['duration_s']} s)", flush=True)
    doc["duration_s"] = round(time.perf_counter() - t0, 1)
    doc["machine"]["loadavg_at_end"] = os.getloadavg()
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(_clean(doc), f, indent=1, default=str, allow_nan=False)
        f.write("\n")
    m = doc["machine"]
    print()
    print(f"{m['cpu_model']}, {m['cores']} cores, Python {m['python']}, "
          f"openai {m['packages'].get('openai')}, litellm {m['packages'].get('litellm')}, "
          f"aiohttp {m['packages'].get('aiohttp')}; {doc['duration_s']:.0f} s")
    print(table(doc["figures"]))
    for name, err in doc["failed"].items():
        print(f"FAILED {name}: {err}")
    print(f"\nresults: {os.path.relpath(out_path)}")
    return 1 if doc["failed"] else 0


def _clean(o: Any) -> Any:
    """NaN/inf → null, so the file is strict JSON."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    return o


if __name__ == "__main__":
    raise SystemExit(main())
