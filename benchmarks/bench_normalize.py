"""Benchmark 2: stream normalization rate, chunks/s through SSEDecoder + orjson + Accumulator.

The recorded bodies of real long streams (tests/corpus s12: Together/DeepSeek-R1 with inline <think> tags,
~290 KB, 956 events; s01: DeepSeek reasoner with reasoning_content, 212 events) are fed in 4 KB pieces,
exactly the way ``exchange.send`` does it: a ``perf_counter()`` stamp per piece, ``SSEDecoder.feed``,
``orjson.loads`` per event, ``Accumulator.add_chunk``, then ``finish()`` and the text/tool-call getters.
Each stream is replayed for at least ``--normalize-seconds``; the figure is the median of 5 such runs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from _common import ROOT, median

CORPUS = {
    "s12": "s12_together_via_hf_deepseek_r1_stream_think_tags.json",
    "s01": "s01_deepseek_reasoner_stream_reasoning_content.json",
}
GOAL = 100_000
PIECE = 4096


def add_args(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("normalize (benchmark 2)")
    g.add_argument("--normalize-seconds", type=float, default=0.6)


def load_body(name: str) -> bytes:
    with open(os.path.join(ROOT, "tests", "corpus", CORPUS[name]), encoding="utf-8") as f:
        return json.load(f)["response"]["body"].encode("utf-8")


def normalize_once(pieces: list[bytes]) -> int:
    """One stream, as the client does it; returns the number of chunks fed to the accumulator."""
    import orjson

    from multimodel.wire.accumulate import Accumulator
    from multimodel.wire.sse import DONE, SSEDecoder

    perf = time.perf_counter
    loads = orjson.loads
    acc = Accumulator()
    dec = SSEDecoder()
    n = 0
    done = False
    for data in pieces:
        t = perf()
        for event, payload in dec.feed(data):
            if payload == DONE:
                done = True
                break
            obj = loads(payload)
            if event == b"error":
                acc.add_event_error(obj)
                done = True
                break
            if isinstance(obj, dict):
                acc.add_chunk(obj, t)
                n += 1
        if done:
            break
    if not done:
        for _event, payload in dec.close():
            if payload != DONE:
                acc.add_chunk(loads(payload), perf())
                n += 1
    acc.finish()
    acc.content_text()
    acc.reasoning_text()
    acc.tool_calls()
    return n


def measure(body: bytes, seconds: float) -> dict[str, Any]:
    pieces = [body[i:i + PIECE] for i in range(0, len(body), PIECE)]
    chunks = normalize_once(pieces)  # warm-up, and the chunk count
    rates = []
    for _ in range(5):
        reps = 0
        t0 = time.perf_counter()
        c0 = time.process_time()
        while True:
            normalize_once(pieces)
            reps += 1
            wall = time.perf_counter() - t0
            if wall >= seconds / 5:
                break
        cpu = time.process_time() - c0
        rates.append(chunks * reps / cpu if cpu > 0 else chunks * reps / wall)
    rate = median(rates)
    return {"bytes": len(body), "chunks": chunks, "chunks_per_s": rate, "rates": [round(r) for r in rates],
            "mb_per_s": rate * len(body) / chunks / 1e6, "us_per_chunk": 1e6 / rate}


def run(a: argparse.Namespace) -> dict[str, Any]:
    seconds = 0.2 if a.quick else a.normalize_seconds
    out: dict[str, Any] = {"streams": {}}
    figures = []
    for name in CORPUS:
        m = measure(load_body(name), seconds)
        out["streams"][name] = m
        figures.append({"benchmark": "2 normalize", "figure": f"chunks/s, corpus {name} ({m['chunks']} chunks, "
                        f"{m['bytes'] // 1000} KB)", "value": m["chunks_per_s"], "unit": "chunks/s",
                        "goal": f">= {GOAL:,}", "met": m["chunks_per_s"] >= GOAL})
        print(f"  normalize {name}: {m['chunks_per_s']:,.0f} chunks/s ({m['us_per_chunk']:.2f} us/chunk)", flush=True)
    out["figures"] = figures
    return out
