"""latency(): TTFT / end-to-end percentiles, tokens per second and error rate of one endpoint, and with a
``baseline`` endpoint (the provider directly, when ``model`` is a gateway in front of it) the overhead:
the difference of medians with a bootstrap confidence interval.

Requests are streamed (TTFT needs a stream), uncached and never retried (a failure counts in the error
rate instead of inflating a latency). With a baseline the two endpoints' requests are interleaved
(a, b, a, b, ...) through one concurrency limit, so a change in load or network over the run affects
both alike. Percentiles use live successful rows only.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any

from multimodel.errors import ConfigError
from multimodel.transport import run_async, run_sync

if TYPE_CHECKING:
    import pandas as pd

    from multimodel.client import Client
    from multimodel.request import PreparedRequest
    from multimodel.results import Result

PERCENTILES = (50, 90, 95, 99)
DEFAULT_PROMPT = "Write two sentences about the sea."
METRICS = ("ttft_s", "e2e_s")


def bootstrap_median_diff(a: Any, b: Any, *, confidence: float = 0.95, n_boot: int = 2000,
                          seed: int = 0) -> tuple[float, float, float]:
    """(median(a) - median(b), low, high): percentile bootstrap, each sample resampled independently."""
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return math.nan, math.nan, math.nan
    rng = np.random.default_rng(seed)
    ma = np.median(a[rng.integers(0, len(a), (n_boot, len(a)))], axis=1)
    mb = np.median(b[rng.integers(0, len(b), (n_boot, len(b)))], axis=1)
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(ma - mb, [tail, 100.0 - tail])
    return float(np.median(a) - np.median(b)), float(low), float(high)


class LatencyReport:
    """Latency of one endpoint (and its overhead over a baseline).

    ``df``: one row per request (model, i, ok, ttft_s, e2e_s, output_tps, completion_tokens, error_kind).
    ``stats``: one row per model: n, errors, error_rate, ttft/e2e p50/p90/p95/p99, tokens/s (median, mean).
    ``overhead``: None without a baseline; else one row per metric (ttft_s, e2e_s): estimate (median of
    model minus median of baseline), ci_low, ci_high, confidence, n_model, n_baseline.
    """

    def __init__(self, model: str, baseline: str | None, results: dict[str, list[Result]], *,
                 confidence: float = 0.95, n_boot: int = 2000, bootstrap_seed: int = 0) -> None:
        import numpy as np
        import pandas as pd

        self.model, self.baseline = model, baseline
        self.results = results
        self.confidence = confidence
        records = []
        for m, rs in results.items():
            for i, r in enumerate(rs):
                records.append({"model": m, "i": i, "ok": r.error is None, "ttft_s": r.ttft_s, "e2e_s": r.e2e_s,
                                "output_tps": r.output_tps, "completion_tokens": r.completion_tokens,
                                "error_kind": r.error.kind if r.error else None, "simulated": r.simulated})
        cols = ["model", "i", "ok", "ttft_s", "e2e_s", "output_tps", "completion_tokens", "error_kind", "simulated"]
        self.df = pd.DataFrame.from_records(records, columns=cols)
        for c in ("ttft_s", "e2e_s", "output_tps"):
            self.df[c] = self.df[c].astype(float)
        self.df["completion_tokens"] = self.df["completion_tokens"].astype("Int64")  # a count, even with a gap
        self.simulated = bool(self.df["simulated"].any()) if len(self.df) else False
        stats = []
        for m in results:
            sub = self.df[self.df["model"] == m]
            ok = sub[sub["ok"]]
            row: dict[str, Any] = {"model": m, "n": len(sub), "errors": int((~sub["ok"]).sum()),
                                   "error_rate": float((~sub["ok"]).mean()) if len(sub) else math.nan}
            for metric in METRICS:
                vals = ok[metric].dropna().to_numpy()
                for p in PERCENTILES:
                    row[f"{metric[:-2]}_p{p}"] = float(np.percentile(vals, p)) if len(vals) else math.nan
            tps = ok["output_tps"].dropna()
            row["tokens_per_s_p50"] = float(tps.median()) if len(tps) else math.nan
            row["tokens_per_s_mean"] = float(tps.mean()) if len(tps) else math.nan
            stats.append(row)
        self.stats = pd.DataFrame.from_records(stats).set_index("model")
        self.overhead: pd.DataFrame | None = None
        if baseline is not None:
            rows = []
            mine = self.df[(self.df["model"] == model) & self.df["ok"]]
            base = self.df[(self.df["model"] == baseline) & self.df["ok"]]
            for metric in METRICS:
                a, b = mine[metric].dropna().to_numpy(), base[metric].dropna().to_numpy()
                est, lo, hi = bootstrap_median_diff(a, b, confidence=confidence, n_boot=n_boot,
                                                    seed=bootstrap_seed)
                rows.append({"metric": metric, "estimate": est, "ci_low": lo, "ci_high": hi,
                             "confidence": confidence, "n_model": len(a), "n_baseline": len(b)})
            self.overhead = pd.DataFrame.from_records(rows).set_index("metric")

    def percentiles(self, model: str | None = None) -> pd.DataFrame:
        """p50/p90/p95/p99 × (ttft_s, e2e_s) for one model (default: the measured one)."""
        import pandas as pd

        row = self.stats.loc[model or self.model]
        return pd.DataFrame({metric: [row[f"{metric[:-2]}_p{p}"] for p in PERCENTILES] for metric in METRICS},
                            index=[f"p{p}" for p in PERCENTILES])

    @property
    def error_rate(self) -> float:
        return float(self.stats.loc[self.model, "error_rate"])

    def summary(self) -> str:
        lines = [f"latency of {self.model}" + (f" vs baseline {self.baseline}" if self.baseline else "")
                 + (" [SIMULATED]" if self.simulated else "")]
        for m, row in self.stats.iterrows():
            lines.append(
                f"{m}: n={int(row['n'])} errors={int(row['errors'])} ({row['error_rate']:.1%}); "
                f"ttft p50/p90/p95/p99 = {row['ttft_p50']:.3f}/{row['ttft_p90']:.3f}/{row['ttft_p95']:.3f}/"
                f"{row['ttft_p99']:.3f}s; e2e p50/p99 = {row['e2e_p50']:.3f}/{row['e2e_p99']:.3f}s; "
                f"{row['tokens_per_s_p50']:.1f} tokens/s")
        if self.overhead is not None:
            pct = f"{self.confidence:.0%}"
            for metric, row in self.overhead.iterrows():
                lines.append(f"overhead {metric}: {row['estimate'] * 1000:+.1f} ms ({pct} CI "
                             f"{row['ci_low'] * 1000:+.1f} .. {row['ci_high'] * 1000:+.1f} ms)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<LatencyReport {self.model}" + (f" vs {self.baseline}" if self.baseline else "") + ">"

    def _repr_html_(self) -> str:
        import html

        out = f"<pre>{html.escape(self.summary())}</pre>" + self.stats.to_html()
        if self.overhead is not None:
            out += self.overhead.to_html()
        return out


def _plan(client: Client, model: str, baseline: str | None, n: int, prompt: Any,
          params: dict[str, Any]) -> list[tuple[str, PreparedRequest]]:
    if not isinstance(n, int) or n < 1:
        raise ConfigError(f"n must be a positive int, got {n!r}")
    params = {"stream": True, "cache": False, "retries": 0, **params}
    models = [model] if baseline is None else [model, baseline]
    if baseline == model:
        raise ConfigError("baseline must be a different model than the one measured")
    reqs = {m: client.prepare(m, prompt, **params) for m in models}
    return [(m, reqs[m]) for _ in range(n) for m in models]  # interleaved a, b, a, b, ...


async def _run(client: Client, plan: list[tuple[str, PreparedRequest]], concurrency: int,
               warmup: int) -> dict[str, list[Result]]:
    models = list(dict.fromkeys(m for m, _ in plan))
    first = {m: req for m, req in reversed(plan)}
    for _ in range(warmup):  # open connections (and warm DNS/TLS) before anything is measured
        await asyncio.gather(*[client.runner.execute(first[m]) for m in models])
    sem = asyncio.Semaphore(concurrency)

    async def one(req: PreparedRequest) -> Result:
        async with sem:
            return await client.runner.execute(req)

    done = await asyncio.gather(*[one(req) for _, req in plan])
    out: dict[str, list[Result]] = {m: [] for m in models}
    for (m, _), r in zip(plan, done, strict=True):
        out[m].append(r)
    return out


def _check(concurrency: int, warmup: int, confidence: float) -> None:
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"concurrency must be a positive int, got {concurrency!r}")
    if not isinstance(warmup, int) or warmup < 0:
        raise ConfigError(f"warmup must be a non-negative int, got {warmup!r}")
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence must be between 0 and 1, got {confidence!r}")


def latency(client: Client, model: str, n: int = 100, concurrency: int = 5, baseline: str | None = None, *,
            prompt: Any = DEFAULT_PROMPT, warmup: int = 1, confidence: float = 0.95, n_boot: int = 2000,
            bootstrap_seed: int = 0, **params: Any) -> LatencyReport:
    """n streamed requests to ``model`` (and n to ``baseline``, interleaved), ``concurrency`` at a time.

    ``params`` go to ``Client.prepare`` (max_tokens, reasoning, seed, ...). ``warmup`` unrecorded requests
    per model go first. The overhead CI is a percentile bootstrap (``n_boot`` resamples, ``bootstrap_seed``).
    """
    _check(concurrency, warmup, confidence)
    plan = _plan(client, model, baseline, n, prompt, params)
    results = run_sync(_run(client, plan, concurrency, warmup))
    return LatencyReport(model, baseline, results, confidence=confidence, n_boot=n_boot,
                         bootstrap_seed=bootstrap_seed)


async def alatency(client: Client, model: str, n: int = 100, concurrency: int = 5, baseline: str | None = None, *,
                   prompt: Any = DEFAULT_PROMPT, warmup: int = 1, confidence: float = 0.95, n_boot: int = 2000,
                   bootstrap_seed: int = 0, **params: Any) -> LatencyReport:
    """Async twin of latency()."""
    _check(concurrency, warmup, confidence)
    plan = _plan(client, model, baseline, n, prompt, params)
    results = await run_async(_run(client, plan, concurrency, warmup))
    return LatencyReport(model, baseline, results, confidence=confidence, n_boot=n_boot,
                         bootstrap_seed=bootstrap_seed)


__all__ = ["PERCENTILES", "LatencyReport", "alatency", "bootstrap_median_diff", "latency"]
