"""Shared helpers: the simulator subprocess, its control endpoints, child processes, statistics, machine info.

The simulator always runs in its own process (never in a measured one); each measured client runs in a
fresh ``python benchmarks/_worker.py ...`` subprocess that prints one JSON object on its last stdout line.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Sequence
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")
PY = sys.executable

# Children never reach the network: LiteLLM would otherwise fetch its price map at import.
CHILD_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_OFFLINE_MODE": "true",
    "LITELLM_TELEMETRY": "False",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    for k in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env.pop(k, None)
    env.update(CHILD_ENV)
    env["PYTHONPATH"] = ROOT + os.pathsep + BENCH
    env.update(extra)
    return env


class Sim:
    """``python -m multimodel.sim`` in a subprocess; its URL, control endpoints and CPU seconds."""

    def __init__(self, latency_scale: float = 0.0, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [PY, "-m", "multimodel.sim", "--port", "0", "--latency-scale", str(latency_scale), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=child_env())
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.proc.kill()
            raise RuntimeError(f"simulator did not start: {self.url!r}")

    def __enter__(self) -> Sim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def base_url(self, dialect: str) -> str:
        return f"{self.url}/{dialect}/v1"

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=60) as r:
            return json.loads(r.read())

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        req = urllib.request.Request(self.url + path, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def stats(self) -> dict[str, Any]:
        return self.get("/_sim/stats")

    def records(self, limit: int | None = None) -> list[dict[str, Any]]:
        return self.get("/_sim/requests" + (f"?limit={limit}" if limit else ""))

    def reset(self) -> None:
        self.post("/_sim/reset", {})

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def proc_cpu(pid: int) -> float:
    """user + system CPU seconds of a process (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def run_worker(args: Sequence[str], *, timeout: float, env: dict[str, str] | None = None,
               script: str = "_worker.py") -> dict[str, Any]:
    """Run ``benchmarks/<script> args`` in a fresh interpreter; its last stdout line is JSON."""
    cmd = [PY, os.path.join(BENCH, script), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env or child_env())
    lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"worker {' '.join(args)} failed (rc={p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads(lines[-1])


class CpuTimer:
    """CPU (all threads of this process: time.process_time and getrusage agree) and wall time of a block;
    also the CPU the simulator process spent meanwhile, when its pid is given."""

    def __init__(self, sim_pid: int | None = None) -> None:
        self.sim_pid = sim_pid
        self.sim_cpu: float | None = None

    def __enter__(self) -> CpuTimer:
        self.sim0 = proc_cpu(self.sim_pid) if self.sim_pid else None
        self.ru0 = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu0 = time.process_time()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.cpu0
        if self.sim0 is not None:
            self.sim_cpu = proc_cpu(self.sim_pid) - self.sim0  # type: ignore[arg-type]
        ru = resource.getrusage(resource.RUSAGE_SELF)
        self.user = ru.ru_utime - self.ru0.ru_utime
        self.sys = ru.ru_stime - self.ru0.ru_stime
        self.ctx_switches = (ru.ru_nvcsw - self.ru0.ru_nvcsw) + (ru.ru_nivcsw - self.ru0.ru_nivcsw)


def median(xs: Iterable[float]) -> float:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def quantile(xs: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile (q in [0, 1])."""
    s = sorted(xs)
    if not s:
        return float("nan")
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _pkg_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    cpu_model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        mem_gb = None
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    pkgs = ("multimodel", "aiohttp", "orjson", "openai", "httpx", "httpx2", "litellm", "pandas", "numpy", "pyarrow",
            "py-spy", "pyinstrument")
    return {
        "host": platform.node(),
        "cpu_model": cpu_model,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": mem_gb,
        "loadavg_at_start": load,
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_impl": platform.python_implementation(),
        "packages": {p: _pkg_version(p) for p in pkgs},
    }
