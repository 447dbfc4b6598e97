"""Several processes running the same evaluate() on one cache file: how many requests reach the simulator.

Issue 15 item 4 measured 1,693 requests for 900 rows with two processes (3,492 with four) before claims. Each
worker is a fresh interpreter; all of them wait on a start file so their runs overlap, then run the same
evaluation (``--prompts`` prompts x 2 models) on one cache file; the simulator runs in its own process.

    python benchmarks/bench_claims.py --processes 2 3 --prompts 450
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import json, os, sys, time, warnings
import multimodel as mm
url, cache, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
providers = {p: {"base_url": f"{url}/{p}/v1", "api_key": "k", "dialect": p} for p in ("openai", "xai")}
client = mm.Client(providers=providers, cache=cache)
while not os.path.exists(go):
    time.sleep(0.01)
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ev = client.evaluate([f"claims benchmark prompt {i}" for i in range(n)], ["openai/gpt-5-mini", "xai/grok-3-mini"],
                         progress=False, max_tokens=16)
print(json.dumps({"rows": len(ev.df), "errors": int(ev.df["error_kind"].notna().sum()),
                  "wall_s": round(time.perf_counter() - t0, 2)}))
"""


def stats(url: str) -> dict:
    """The simulator's counters."""
    with urllib.request.urlopen(f"{url}/_sim/stats", timeout=10) as resp:
        return json.loads(resp.read())


def trial(url: str, processes: int, prompts: int) -> dict:
    """One overlapping run of ``processes`` workers on a fresh cache file; requests the simulator received."""
    with tempfile.TemporaryDirectory() as tmp:
        cache, go = os.path.join(tmp, "cache.sqlite"), os.path.join(tmp, "go")
        before = stats(url)["received"]
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, url, cache, str(prompts), go],
                                    stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(processes)]
        time.sleep(3)  # every interpreter imported and waiting
        Path(go).touch()
        outs = [json.loads(w.communicate(timeout=600)[0].strip().splitlines()[-1]) for w in workers]
        return {"processes": processes, "rows": 2 * prompts, "sent": stats(url)["received"] - before, "workers": outs}


def main() -> None:
    """Run the trials and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[2, 3])
    parser.add_argument("--prompts", type=int, default=450)
    parser.add_argument("--latency-scale", default="0.05")
    args = parser.parse_args()
    sim = subprocess.Popen([sys.executable, "-m", "multimodel.sim", "--port", "0", "--latency-scale",
                            args.latency_scale], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        url = sim.stdout.readline().strip()
        for k in args.processes:
            print(json.dumps(trial(url, k, args.prompts)), flush=True)
    finally:
        sim.terminate()
        sim.wait(10)


if __name__ == "__main__":
    main()
