"""One measured client in a fresh interpreter: ``python benchmarks/_worker.py <job> --client ... --url ...``.

Jobs:
  overhead  N non-streaming requests, then S streams, at a fixed concurrency; CPU and wall of each block.
  timing    streams at a fixed concurrency; per-request client TTFT and the keys to match the sim's records.

Clients: ``mm`` (``await client.acomplete``, which hops to multimodel's I/O thread), ``mm_sync``
(``client.evaluate``, the sync batch path), ``sdk`` (``openai.AsyncOpenAI``), ``litellm``
(``litellm.acompletion``). Each is imported only in its own process. The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import CpuTimer

MODEL = "gpt-4.1-mini"
KEY = "sk-bench"


def prompt(i: int, tag: str) -> str:
    return f"[{tag} {i}] Why is the sky blue? Answer at length."


# ---------------------------------------------------------------------------------------------- clients
class Outcome:
    """What every client returns per request, so all peers provably did the same work."""

    __slots__ = ("chars", "completion_tokens", "error", "prompt_tokens", "send_wall", "ttft")

    def __init__(self) -> None:
        self.chars = 0
        self.completion_tokens: int | None = None
        self.prompt_tokens: int | None = None
        self.error: str | None = None
        self.ttft: float | None = None
        self.send_wall: float | None = None


def make_mm(url: str, conc: int, headers: dict[str, str]) -> tuple[Any, Callable[..., Awaitable[Outcome]]]:
    import multimodel as mm

    client = mm.Client(providers={"openai": {"base_url": f"{url}/openai/v1", "api_key": KEY, "dialect": "openai",
                                             "concurrency": conc, "default_headers": headers}},
                       cache=False, retries=0)

    async def call(text: str, stream: bool, max_tokens: int | None = None) -> Outcome:
        kw = {"max_tokens": max_tokens} if max_tokens else {}
        r = await client.acomplete(f"openai/{MODEL}", text, stream=stream, cache=False, retries=0, **kw)
        o = Outcome()
        o.chars = len(r.content)
        o.completion_tokens = r.completion_tokens
        o.prompt_tokens = r.prompt_tokens
        o.error = str(r.error) if r.error else None
        o.ttft = r.ttft_s
        o.send_wall = r.created_at
        return o

    return client, call


def make_sdk(url: str, conc: int, headers: dict[str, str]) -> tuple[Any, Callable[..., Awaitable[Outcome]]]:
    import openai

    client = openai.AsyncOpenAI(base_url=f"{url}/openai/v1", api_key=KEY, max_retries=0, default_headers=headers)

    async def call(text: str, stream: bool, max_tokens: int | None = None) -> Outcome:
        o = Outcome()
        kw = {"max_tokens": max_tokens} if max_tokens else {}
        msgs = [{"role": "user", "content": text}]
        try:
            if not stream:
                r = await client.chat.completions.create(model=MODEL, messages=msgs, **kw)
                o.chars = len(r.choices[0].message.content or "")
                o.completion_tokens = r.usage.completion_tokens
                o.prompt_tokens = r.usage.prompt_tokens
                return o
            # hand-timed the way a careful user would: clock read just before the call, and at the
            # first chunk that carries text
            o.send_wall = time.time()
            t0 = time.perf_counter()
            s = await client.chat.completions.create(model=MODEL, messages=msgs, stream=True,
                                                     stream_options={"include_usage": True}, **kw)
            parts: list[str] = []
            async for chunk in s:
                if chunk.choices:
                    d = chunk.choices[0].delta.content
                    if d:
                        if o.ttft is None:
                            o.ttft = time.perf_counter() - t0
                        parts.append(d)
                if chunk.usage is not None:
                    o.completion_tokens = chunk.usage.completion_tokens
                    o.prompt_tokens = chunk.usage.prompt_tokens
            o.chars = len("".join(parts))
        except Exception as exc:
            o.error = f"{type(exc).__name__}: {exc}"
        return o

    return client, call


def make_litellm(url: str, conc: int, headers: dict[str, str]) -> tuple[Any, Callable[..., Awaitable[Outcome]]]:
    import litellm

    litellm.suppress_debug_info = True
    litellm.drop_params = False

    async def call(text: str, stream: bool, max_tokens: int | None = None) -> Outcome:
        o = Outcome()
        kw: dict[str, Any] = {"max_tokens": max_tokens} if max_tokens else {}
        msgs = [{"role": "user", "content": text}]
        try:
            if not stream:
                r = await litellm.acompletion(model=f"openai/{MODEL}", messages=msgs, api_base=f"{url}/openai/v1",
                                              api_key=KEY, extra_headers=headers, max_retries=0, **kw)
                o.chars = len(r.choices[0].message.content or "")
                o.completion_tokens = r.usage.completion_tokens
                o.prompt_tokens = r.usage.prompt_tokens
                return o
            s = await litellm.acompletion(model=f"openai/{MODEL}", messages=msgs, api_base=f"{url}/openai/v1",
                                          api_key=KEY, extra_headers=headers, max_retries=0, stream=True,
                                          stream_options={"include_usage": True}, **kw)
            parts: list[str] = []
            async for chunk in s:
                if chunk.choices:
                    d = chunk.choices[0].delta.content
                    if d:
                        parts.append(d)
                usage = getattr(chunk, "usage", None)
                if usage is not None:
                    o.completion_tokens = usage.completion_tokens
                    o.prompt_tokens = usage.prompt_tokens
            o.chars = len("".join(parts))
        except Exception as exc:
            o.error = f"{type(exc).__name__}: {exc}"
        return o

    return None, call


MAKERS = {"mm": make_mm, "sdk": make_sdk, "litellm": make_litellm}


async def drive(call: Callable[..., Awaitable[Outcome]], jobs: list[tuple[str, dict[str, Any]]], stream: bool,
                conc: int) -> list[Outcome]:
    """``conc`` workers pull jobs from a shared list: exactly ``conc`` requests in flight."""
    out: list[Outcome | None] = [None] * len(jobs)
    it = iter(range(len(jobs)))

    async def worker() -> None:
        for i in it:
            text, kw = jobs[i]
            out[i] = await call(text, stream, **kw)

    await asyncio.gather(*(worker() for _ in range(conc)))
    return out  # type: ignore[return-value]


def summarize(outs: list[Outcome], timer: CpuTimer) -> dict[str, Any]:
    n = len(outs)
    errors = [o.error for o in outs if o.error]
    toks = [o.completion_tokens for o in outs if o.completion_tokens is not None]
    return {"n": n, "errors": len(errors), "first_error": errors[0] if errors else None,
            "cpu_s": timer.cpu, "user_s": timer.user, "sys_s": timer.sys, "wall_s": timer.wall,
            "cpu_ms_per_req": 1000 * timer.cpu / n, "wall_ms_per_req": 1000 * timer.wall / n,
            "ctx_switches": timer.ctx_switches,
            "sim_cpu_ms_per_req": 1000 * timer.sim_cpu / n if timer.sim_cpu is not None else None,
            "mean_completion_tokens": sum(toks) / len(toks) if toks else None,
            "mean_chars": sum(o.chars for o in outs) / n if n else None}


# ---------------------------------------------------------------------------------------------- jobs
def job_overhead(a: argparse.Namespace) -> dict[str, Any]:
    headers = {"x-sim-answer-tokens": str(a.answer_tokens)}
    result: dict[str, Any] = {"client": a.client, "pid": os.getpid()}
    tag = f"{a.client}-{a.round}"
    if a.client == "mm_sync":
        import multimodel as mm

        client = mm.Client(providers={"openai": {"base_url": f"{a.url}/openai/v1", "api_key": KEY,
                                                 "dialect": "openai", "concurrency": a.concurrency,
                                                 "default_headers": headers}}, cache=False, retries=0)

        def block(n: int, stream: bool, label: str) -> tuple[list[Outcome], CpuTimer]:
            prompts = [prompt(i, f"{tag}-{label}") for i in range(n)]
            with CpuTimer(a.sim_pid) as t:
                ev = client.evaluate(prompts, [f"openai/{MODEL}"], concurrency=a.concurrency, progress=False,
                                     cache=False, retries=0, stream=stream)
            outs = []
            for r in ev.results:
                o = Outcome()
                o.chars, o.completion_tokens = len(r.content), r.completion_tokens
                o.error = str(r.error) if r.error else None
                outs.append(o)
            return outs, t

        block(a.warmup, False, "warm")
        if a.streams:
            block(2, True, "warmS")
        gc.collect()
        if a.nonstream:
            outs, t = block(a.nonstream, False, "ns")
            result["nonstream"] = summarize(outs, t)
        gc.collect()
        if a.streams:
            outs, t = block(a.streams, True, "s")
            result["stream"] = summarize(outs, t)
        return result

    _, call = MAKERS[a.client](a.url, a.concurrency, headers)

    async def main() -> None:
        warm = [(prompt(i, f"{tag}-warm"), {}) for i in range(a.warmup)]
        await drive(call, warm, False, a.concurrency)
        if a.streams:
            await drive(call, warm[:2], True, 2)
        gc.collect()
        if a.nonstream:
            jobs = [(prompt(i, f"{tag}-ns"), {}) for i in range(a.nonstream)]
            with CpuTimer(a.sim_pid) as t:
                outs = await drive(call, jobs, False, a.concurrency)
            result["nonstream"] = summarize(outs, t)
        gc.collect()
        if a.streams:
            jobs = [(prompt(i, f"{tag}-s"), {}) for i in range(a.streams)]
            with CpuTimer(a.sim_pid) as t:
                outs = await drive(call, jobs, True, a.concurrency)
            result["stream"] = summarize(outs, t)

    asyncio.run(main())
    return result


def timing_jobs(n: int, tag: str) -> list[tuple[str, dict[str, Any]]]:
    """Request i is recognisable in the simulator's records by (prompt_tokens, completion_tokens):
    its prompt length steps every 40 requests and max_tokens cycles 20..59 (the sim caps the answer)."""
    jobs = []
    for i in range(n):
        a, b = divmod(i, 40)
        jobs.append((f"{tag} " + "x" * (4 * a), {"max_tokens": 20 + b}))
    return jobs


def job_timing(a: argparse.Namespace) -> dict[str, Any]:
    _, call = MAKERS[a.client](a.url, a.concurrency, {"x-sim-answer-tokens": "80"})
    out: dict[str, Any] = {"client": a.client}

    async def main() -> None:
        warm = [(f"warm {i}", {"max_tokens": 5}) for i in range(a.concurrency)]
        await drive(call, warm, True, a.concurrency)
        gc.collect()
        jobs = timing_jobs(a.n, f"T{a.round}")
        with CpuTimer(a.sim_pid) as t:
            outs = await drive(call, jobs, True, a.concurrency)
        out["wall_s"], out["cpu_s"] = t.wall, t.cpu
        out["rows"] = [[o.send_wall, o.ttft, o.prompt_tokens, o.completion_tokens, o.error] for o in outs]

    asyncio.run(main())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("job", choices=("overhead", "timing"))
    ap.add_argument("--client", required=True, choices=("mm", "mm_sync", "sdk", "litellm"))
    ap.add_argument("--url", required=True)
    ap.add_argument("--round", type=int, default=0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--nonstream", type=int, default=0)
    ap.add_argument("--streams", type=int, default=0)
    ap.add_argument("--answer-tokens", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=64)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--sim-pid", type=int, default=None)
    a = ap.parse_args()
    res = job_overhead(a) if a.job == "overhead" else job_timing(a)
    sys.stdout.write("\n" + json.dumps(res) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown (daemon I/O threads, pools): nothing left to measure


if __name__ == "__main__":
    main()
