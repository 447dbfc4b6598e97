"""matplotlib charts of cost and latency, and one-call export stamped with provenance metadata.

Usage: ``mm.plot.cost_vs_latency(df)`` then ``mm.plot.save(fig, "chart.png", df=df)``. One colour per
provider, kept the same across charts. matplotlib is imported on first use.
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

PROVIDER_COLOURS = {
    "openai": "#10a37f",
    "anthropic": "#d97757",
    "gemini": "#4285f4",
    "xai": "#222222",
    "deepseek": "#4d6bfe",
    "openrouter": "#8b5cf6",
}
_FALLBACK = ["#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#8c564b"]


def colour(provider: str) -> str:
    """A stable colour per provider name."""
    if provider in PROVIDER_COLOURS:
        return PROVIDER_COLOURS[provider]
    return _FALLBACK[sum(map(ord, provider)) % len(_FALLBACK)]


def _pyplot() -> Any:
    import matplotlib

    if matplotlib.get_backend().lower() not in ("module://matplotlib_inline.backend_inline",):
        try:
            from IPython import get_ipython

            if get_ipython() is None:
                matplotlib.use("Agg")
        except ImportError:
            matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of points not dominated in (lower x, lower y), sorted by x."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front: list[int] = []
    best_y = math.inf
    for i in order:
        if points[i][1] < best_y:
            front.append(i)
            best_y = points[i][1]
    return front


def cost_vs_latency(df: Any, *, latency: str = "e2e_s", ax: Any = None, title: str | None = None) -> Any:
    """Mean cost per request vs median latency per model, Pareto front marked; live, successful rows only."""
    plt = _pyplot()
    live = df[(df["error_kind"].isna()) & (~df["cached"].astype(bool))]
    grouped = live.groupby("model", sort=False).agg(
        cost=("cost_usd", "mean"), latency=(latency, "median"), provider=("provider", "first")
    )
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    else:
        fig = ax.figure
    pts = []
    for model, row in grouped.iterrows():
        if math.isnan(row["latency"]):
            continue
        cost = row["cost"] if not math.isnan(row["cost"]) else 0.0
        hollow = math.isnan(row["cost"])
        ax.scatter(
            [row["latency"]],
            [cost * 1000],
            s=80,
            color="none" if hollow else colour(row["provider"]),
            edgecolors=colour(row["provider"]),
            label=f"{model}" + (" (cost unknown)" if hollow else ""),
            zorder=3,
        )
        ax.annotate(str(model).split("/", 1)[-1], (row["latency"], cost * 1000), textcoords="offset points",
                    xytext=(6, 4), fontsize=8)
        if not hollow:
            pts.append((row["latency"], cost * 1000))
    front = pareto_front(pts)
    if len(front) > 1:
        xs = [pts[i][0] for i in front]
        ys = [pts[i][1] for i in front]
        ax.plot(xs, ys, linestyle="--", color="#999999", zorder=2, label="Pareto front")
    ax.set_xlabel(f"{'time to first token' if latency == 'ttft_s' else 'end-to-end latency'} (s, median)")
    ax.set_ylabel("cost per request (USD × 10⁻³, mean)")
    simulated = bool(df["simulated"].any()) if "simulated" in df else False
    ax.set_title(title or ("Cost vs latency" + (" — SIMULATED" if simulated else "")))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best", frameon=False)
    return fig


def save(fig: Any, path: str | Path, *, df: Any = None, endpoints: list[str] | None = None) -> Path:
    """Save as PNG, SVG or PDF (by extension), stamped with date, version, price-table date, endpoints, mode."""
    from multimodel import __version__, pricing

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    simulated = bool(df["simulated"].any()) if df is not None and "simulated" in df else False
    if endpoints is None and df is not None and "provider" in df:
        endpoints = sorted(set(df["provider"].dropna()))
    stamp = (
        f"{_dt.date.today().isoformat()} · multimodel {__version__} · prices as of {pricing.table_date() or 'n/a'}"
        f" · {', '.join(endpoints or [])} · {'SIMULATED' if simulated else 'live'}"
    )
    fig.text(0.005, 0.005, stamp, fontsize=6, color="#666666", ha="left", va="bottom")
    ext = path.suffix.lower().lstrip(".")
    if ext not in ("png", "svg", "pdf"):
        from multimodel.config import ConfigError

        raise ConfigError(f"save as .png, .svg or .pdf, got {path.name!r}")
    meta_key = {"png": "Description", "svg": "Description", "pdf": "Subject"}[ext]
    fig.savefig(path, dpi=150, metadata={meta_key: stamp})
    return path
