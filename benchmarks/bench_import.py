"""Benchmark 6: import time.

``python -X importtime -c "import multimodel"``: the cumulative time of the top-level ``multimodel`` import
(median of 5 fresh interpreters). Also the first-use cost, ``import multimodel; multimodel.Client`` (which
loads the client, transport, aiohttp and orjson), timed with perf_counter inside a fresh interpreter, and
the heaviest modules that first use pulls in. Both include reading .pyc files from a warm page cache.
"""

from __future__ import annotations

import argparse
import subprocess
from typing import Any

from _common import PY, child_env, median

GOAL_S = 0.3
FIRST_USE = ("import time; t0 = time.perf_counter(); import multimodel; t1 = time.perf_counter(); "
             "multimodel.Client; t2 = time.perf_counter(); print(t1 - t0, t2 - t0)")


def add_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument_group("import (benchmark 6)")


def _importtime(code: str) -> tuple[float, list[tuple[int, str]]]:
    p = subprocess.run([PY, "-X", "importtime", "-c", code], capture_output=True, text=True, cwd="/",
                       env=child_env(), timeout=120)
    total = 0.0
    mods: list[tuple[int, str]] = []
    for line in p.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, _self_us, cum_us, name = _parse(line)
        if name.strip() == "multimodel":
            total = int(cum_us) / 1e6
        if not name.startswith(" "):  # top level imports only
            mods.append((int(cum_us), name.strip()))
    return total, mods


def _parse(line: str) -> tuple[str, str, str, str]:
    head, cum, name = line.split("|", 2)
    return "", head.split(":", 1)[1].strip(), cum.strip(), name.rstrip()[1:]  # nesting = extra leading spaces


def run(a: argparse.Namespace) -> dict[str, Any]:
    n = 3 if a.quick else 5
    totals = [_importtime("import multimodel")[0] for _ in range(n)]
    first = []
    for _ in range(n):
        p = subprocess.run([PY, "-c", FIRST_USE], capture_output=True, text=True, cwd="/", env=child_env(),
                           timeout=120)
        imp, use = (float(x) for x in p.stdout.split())
        first.append((imp, use))
    _, mods = _importtime("import multimodel; multimodel.Client")
    heavy = [{"module": m, "cumulative_ms": round(us / 1000, 1)} for us, m in sorted(mods, reverse=True)[:8]]
    out = {"importtime_s": median(totals), "importtime_all_s": totals,
           "import_perf_counter_s": median(x[0] for x in first),
           "first_use_client_s": median(x[1] for x in first), "first_use_heaviest": heavy}
    print(f"  import: -X importtime multimodel {out['importtime_s'] * 1000:.1f} ms; "
          f"import + multimodel.Client {out['first_use_client_s'] * 1000:.0f} ms", flush=True)
    out["figures"] = [
        {"benchmark": "6 import", "figure": "python -X importtime: import multimodel", "value": out["importtime_s"],
         "unit": "s", "goal": f"<= {GOAL_S}", "met": out["importtime_s"] <= GOAL_S},
        {"benchmark": "6 import", "figure": "import multimodel; multimodel.Client (first use)",
         "value": out["first_use_client_s"], "unit": "s", "goal": "", "met": None},
    ]
    return out
