"""Profile the multimodel side of a benchmark with py-spy and print where the CPU goes.

    .venv/bin/python benchmarks/profile_mm.py overhead-nonstream   # mm client, 4,000 non-streaming requests
    .venv/bin/python benchmarks/profile_mm.py overhead-stream      # mm client, 150 streams of 1,000 tokens
    .venv/bin/python benchmarks/profile_mm.py normalize            # SSEDecoder + orjson + Accumulator on s12
    .venv/bin/python benchmarks/profile_mm.py frame                # 100,000 Results -> DataFrame

py-spy samples every thread of the measured subprocess (multimodel's I/O thread included); the summary
groups samples by layer (first match in CATEGORIES order) and lists the hottest functions. ``--keep FILE``
keeps the raw collapsed stacks (feed them to flamegraph.pl or speedscope).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import BENCH, PY, ROOT, Sim, child_env

# (substring of the stack, label): first match wins
CATEGORIES = [
    ("_find_and_load", "imports (process start-up, outside the timed blocks)"),
    ("_write_to_self", "cross-thread hand-off (call_soon_threadsafe self-pipe)"),
    ("_read_from_self", "cross-thread hand-off (call_soon_threadsafe self-pipe)"),
    ("EpollSelector.select", "event loop: epoll"),
    ("SSEDecoder.feed", "SSEDecoder.feed"),
    ("add_chunk", "Accumulator.add_chunk"),
    ("_handle_event", "orjson.loads per event (_handle_event)"),
    ("add_message", "Accumulator.add_message"),
    (";fill (", "exchange.fill: usage, cost, Result"),
    ("RequestPreparer.prepare", "RequestPreparer.prepare"),
    ("to_dict", "Result.to_dict"),
    ("pandas", "pandas"),
    ("aiohttp", "aiohttp request/response"),
    ("exchange.py", "exchange.send and its readers (own lines)"),
    ("execute_with_retries", "gate + retries"),
]

SNIPPET_NORMALIZE = """
import sys, time
sys.path.insert(0, {bench!r})
import bench_normalize as bn
body = bn.load_body("s12")
pieces = [body[i:i + 4096] for i in range(0, len(body), 4096)]
t = time.perf_counter()
while time.perf_counter() - t < 8:
    bn.normalize_once(pieces)
"""

SNIPPET_FRAME = """
import sys
sys.path.insert(0, {bench!r})
import bench_frame as bf
from multimodel.results import results_to_frame
rs = bf.make_results(100_000)
for _ in range(3):
    results_to_frame(rs)
"""


def summarize(path: str, top: int = 25) -> str:
    cats: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, n = line.rstrip().rpartition(" ")
            if not stack:
                continue
            count = int(n)
            total += count
            frames = [re.sub(r" \(/\S*?/(site-packages|python3\.\d+|main)/", " (", x) for x in stack.split(";")[1:]]
            label = next((lab for key, lab in CATEGORIES if key in stack), "other (asyncio, driver)")
            cats[label] += count
            if frames:
                leaf[frames[-1]] += count
    out = [f"{total} samples"]
    out += [f"{100 * c / total:5.1f}%  {k}" for k, c in cats.most_common()]
    out.append("hottest functions (self time):")
    out += [f"{100 * c / total:5.1f}%  {k[:140]}" for k, c in leaf.most_common(top)]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("overhead-nonstream", "overhead-stream", "normalize", "frame"))
    ap.add_argument("--rate", type=int, default=400)
    ap.add_argument("--keep", default=None, help="also write the raw collapsed stacks here")
    a = ap.parse_args()
    spy = shutil.which("py-spy", path=os.path.dirname(PY)) or shutil.which("py-spy")
    if spy is None:
        print("py-spy is not installed: .venv/bin/pip install -r benchmarks/requirements.txt", file=sys.stderr)
        return 2
    if a.keep:
        raw = a.keep
    else:
        with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as tmp:
            raw = tmp.name
    sim = None
    try:
        if a.what.startswith("overhead"):
            sim = Sim(0.0)
            counts = ["--nonstream", "4000", "--streams", "0"] if a.what == "overhead-nonstream" else \
                ["--nonstream", "0", "--streams", "150"]
            target = [PY, os.path.join(BENCH, "_worker.py"), "overhead", "--client", "mm", "--url", sim.url, *counts]
        else:
            code = (SNIPPET_NORMALIZE if a.what == "normalize" else SNIPPET_FRAME).format(bench=BENCH)
            target = [PY, "-c", code]
        cmd = [spy, "record", "--format", "raw", "--threads", "--nonblocking", "--rate", str(a.rate), "-o", raw,
               "--", *target]
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=child_env(), timeout=600)
        if p.returncode != 0 or not os.path.exists(raw):
            print(p.stderr[-3000:], file=sys.stderr)
            return 1
        print(summarize(raw))
    finally:
        if sim is not None:
            sim.stop()
        if a.keep is None and os.path.exists(raw):
            os.unlink(raw)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
