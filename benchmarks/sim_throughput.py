"""How fast is the simulator? Non-streaming requests/s and concurrent streams.

Starts ``python -m multimodel.sim`` in a separate process (so client and server do not share a
core), then drives it with aiohttp from this process:

    .venv/bin/python benchmarks/sim_throughput.py                 # both measurements
    .venv/bin/python benchmarks/sim_throughput.py --only rps --seconds 10 --concurrency 32
    .venv/bin/python benchmarks/sim_throughput.py --only streams --streams 2000

rps: latency_scale=0, non-streaming chat completions (openai dialect, gpt-4.1-mini, short prompt),
aiohttp client with keep-alive at --concurrency; also reports requests per server-CPU-second, the
figure that does not depend on what else the machine is doing.
streams: latency_scale=1 (gpt-4.1-mini: TTFT 0.35 s, ~110 tokens/s), N streams of --tokens tokens
started over --ramp seconds by a raw-socket client (so the client is not the bottleneck); reports
how many completed, peak concurrency, server CPU, and time to first token as seen by the client and
by the server's own records (received -> first token written) against the 0.35 s profile.

Measured on the 2-core dev VM (2026-11): ~2,500-2,700 req/s (one server core saturated, ~2,400-2,700
req per server-CPU-second); 2,000/2,000 concurrent streams completed (peak 2,000 open), server TTFT
p50 0.37 s at 500 streams, 0.39 s at 1,000, 0.6-0.8 s at 2,000 (server CPU-bound at ~190k tokens/s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time

import aiohttp
import orjson

KEY = {"Authorization": "Bearer sk-bench"}
BODY = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Why is the sky blue?"}]}


def launch(latency_scale: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "multimodel.sim", "--port", "0", "--latency-scale", str(latency_scale)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"simulator did not start: {url!r}")
    return proc, url


def server_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


async def bench_rps(url: str, seconds: float, concurrency: int, pid: int) -> dict:
    target = f"{url}/openai/v1/chat/completions"
    done = 0
    errors = 0
    conn = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=conn, headers=KEY) as s:
        # warm-up
        for _ in range(50):
            async with s.post(target, json=BODY) as r:
                await r.read()
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < stop_at:
                async with s.post(target, json=BODY) as r:
                    await r.read()
                    if r.status == 200:
                        done += 1
                    else:
                        errors += 1

        cpu0 = server_cpu(pid)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
        cpu = server_cpu(pid) - cpu0
    return {"requests": done, "errors": errors, "seconds": round(wall, 2), "rps": round(done / wall),
            "server_cpu_s": round(cpu, 2), "rps_per_server_cpu_s": round(done / cpu) if cpu else None}


class _StreamClient(asyncio.Protocol):
    """A deliberately thin HTTP/1.1 client (raw socket, no parsing) so the client is not the bottleneck."""

    def __init__(self, request: bytes, done: asyncio.Future) -> None:
        self.request = request
        self.done = done
        self.t0 = 0.0
        self.first: float | None = None
        self.tail = b""
        self.ok = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t0 = time.perf_counter()
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        if self.first is None and b'"content":"[' in data:
            self.first = time.perf_counter() - self.t0
        self.tail = (self.tail + data)[-64:]
        if b"data: [DONE]" in self.tail and self.tail.endswith(b"0\r\n\r\n"):
            self.ok = True

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def bench_streams(url: str, n: int, tokens: int, pid: int, ramp_s: float = 0.0) -> dict:
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    ttft_profile = 0.35  # gpt-4.1-mini in the catalogue (jitter 0.15)
    loop = asyncio.get_running_loop()
    ttfts: list[float] = []
    ok = 0
    errors = 0
    active = 0
    peak = 0

    def request(i: int) -> bytes:
        body = orjson.dumps({**BODY, "messages": [{"role": "user", "content": f"Question number {i}?"}],
                             "stream": True, "stream_options": {"include_usage": True}})
        return (f"POST /openai/v1/chat/completions HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer sk-bench\r\nx-sim-answer-tokens: {tokens}\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    async def one(i: int) -> None:
        nonlocal ok, errors, active, peak
        if ramp_s:
            await asyncio.sleep(ramp_s * i / n)
        done = loop.create_future()
        try:
            _, proto = await loop.create_connection(lambda: _StreamClient(request(i), done), host, int(port))
        except OSError:
            errors += 1
            return
        active += 1
        peak = max(peak, active)
        await done
        active -= 1
        if proto.ok and proto.first is not None:
            ok += 1
            ttfts.append(proto.first)
        else:
            errors += 1

    cpu0 = server_cpu(pid)
    c0 = time.process_time()
    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.perf_counter() - t0
    cpu = server_cpu(pid) - cpu0
    async with aiohttp.ClientSession() as s, s.get(f"{url}/_sim/requests", params={"limit": str(n)}) as r:
        recs = await r.json()
    # the server's own view: request received -> first token written
    srv = sorted(x["first_token_at"] - x["received_at"] for x in recs if x["first_token_at"])
    sq = statistics.quantiles(srv, n=100) if len(srv) > 2 else [float("nan")] * 99
    ttfts.sort()
    q = statistics.quantiles(ttfts, n=100) if len(ttfts) > 2 else [float("nan")] * 99
    return {"streams": n, "ramp_s": ramp_s, "tokens_each": tokens, "completed": ok, "errors": errors,
            "peak_concurrent": peak, "wall_s": round(wall, 2), "server_cpu_s": round(cpu, 2),
            "client_cpu_s": round(time.process_time() - c0, 2), "ttft_profile_s": ttft_profile,
            "client_ttft_p50_s": round(q[49], 3), "client_ttft_p99_s": round(q[98], 3),
            "server_ttft_p50_s": round(sq[49], 3), "server_ttft_p99_s": round(sq[98], 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=("rps", "streams"))
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--streams", type=int, default=2000)
    ap.add_argument("--tokens", type=int, default=150)
    ap.add_argument("--ramp", type=float, default=1.0, help="spread stream starts over this many seconds")
    a = ap.parse_args()
    if a.only in (None, "rps"):
        proc, url = launch(0.0)
        try:
            print("non-streaming, latency_scale=0:", asyncio.run(bench_rps(url, a.seconds, a.concurrency, proc.pid)))
        finally:
            proc.terminate()
            proc.wait()
    if a.only in (None, "streams"):
        proc, url = launch(1.0)
        try:
            res = asyncio.run(bench_streams(url, a.streams, a.tokens, proc.pid, a.ramp))
            print("concurrent streams, latency_scale=1:", res)
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
