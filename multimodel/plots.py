"""matplotlib charts of cost, latency, speed and score, and one-call export stamped with provenance.

Every chart takes a DataFrame with the Result columns (``cmp.df``, ``ev.df``; a ``score`` column where
it applies), or any object with a ``.df``, and returns a matplotlib Figure::

    fig = mm.plot.cost_vs_latency(df)          # or cmp.plot.cost_vs_latency() / ev.plot.cost_vs_latency()
    mm.plot.save(fig, "chart.png", df=df)      # PNG, SVG or PDF, stamped with date, version, prices, mode

Charts: ``cost_vs_latency`` (Pareto front marked), ``latency_distribution`` (TTFT and end-to-end per
model), ``tokens_per_second``, ``cost_breakdown`` (input, cached input, reasoning, output),
``score_vs_cost``. Latency and speed use live rows only: cache replays and failed requests are left
out (DESIGN.md section 2). One colour per provider, the same in every chart; "SIMULATED" is in the
title when any row came from the simulator. matplotlib is imported on first use.

In a Jupyter kernel the figure is closed in pyplot before it is returned, so it shows once (as the
cell's value, or with ``display(fig)``) instead of twice; in a script ``plt.show()`` still works.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROVIDER_COLOURS = {
    "openai": "#10a37f",
    "anthropic": "#d97757",
    "gemini": "#4285f4",
    "xai": "#222222",
    "deepseek": "#b8860b",  # not DeepSeek blue: too close to Gemini's in the same chart
    "openrouter": "#8b5cf6",
}
_FALLBACK = ["#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#8c564b"]

# cost_breakdown segments: (key, legend label, colour)
COST_SEGMENTS = (
    ("input", "input", "#4c72b0"),
    ("cached_input", "cached input", "#a6c8ec"),
    ("reasoning", "reasoning output", "#c44e52"),
    ("output", "answer output", "#dd8452"),
    ("reported", "reported total (no price split)", "#9a9a9a"),
)
SIMULATED_SUFFIX = " — SIMULATED"


def colour(provider: str) -> str:
    """A stable colour per provider name."""
    if provider in PROVIDER_COLOURS:
        return PROVIDER_COLOURS[provider]
    return _FALLBACK[sum(map(ord, str(provider))) % len(_FALLBACK)]


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


_local = threading.local()


@contextlib.contextmanager
def detached() -> Iterator[None]:
    """Charts drawn inside are plain ``Figure`` objects outside pyplot: no GUI backend, no global state
    (the report uses this, so it can run in a script, a thread or a CLI without touching windows)."""
    previous = getattr(_local, "detached", False)
    _local.detached = True
    try:
        yield
    finally:
        _local.detached = previous


def _scatter_axes(ax: Any) -> tuple[Any, Any, bool]:
    """The figure and axes to draw a per-model scatter on, and whether they were created here."""
    if ax is None:
        fig, ax = new_figure((8.5, 4.8))
        return fig, ax, True
    return ax.figure, ax, False


def new_figure(figsize: tuple[float, float], ncols: int = 1, **kwargs: Any) -> tuple[Any, Any]:
    """A constrained-layout figure and its axes (``ncols`` side by side): a plain ``Figure`` inside
    ``detached()``, else a pyplot figure. Pair it with ``finish_figure`` before returning it."""
    if getattr(_local, "detached", False):
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout="constrained")
        return fig, fig.subplots(1, ncols, **kwargs)
    plt = _pyplot()
    return plt.subplots(1, ncols, figsize=figsize, layout="constrained", **kwargs)


def finish_figure(fig: Any, created: bool) -> Any:
    """The figure to return from a chart: in a Jupyter kernel a figure this chart ``created`` is closed in
    pyplot, so it shows once (as the cell's value) instead of twice."""
    if created and not getattr(_local, "detached", False) and _in_kernel():
        _pyplot().close(fig)  # shown once as the returned value, not again by the inline backend
    return fig


# ---------------------------------------------------------------------------------------------- data helpers
def _frame(df: Any) -> Any:
    """A DataFrame from a DataFrame, or from any object with ``.df`` (Comparison, Evaluation)."""
    if hasattr(df, "columns"):
        return df
    inner = getattr(df, "df", None)
    if inner is not None and hasattr(inner, "columns"):
        return inner
    from multimodel.errors import ConfigError

    raise ConfigError(f"charts take a DataFrame of results (cmp.df, ev.df), got {type(df).__name__}")


def _col(df: Any, name: str, default: Any = None) -> Any:
    import pandas as pd

    if name in df:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype=object)


def _failed(df: Any) -> Any:
    return _col(df, "error_kind").notna()


def _cached(df: Any) -> Any:
    return _col(df, "cached", False).fillna(False).astype(bool)


def live_rows(df: Any) -> Any:
    """Rows that are neither cache replays nor failed requests (the rows latency statistics use)."""
    df = _frame(df)
    return df[~_failed(df) & ~_cached(df)]


def is_simulated(df: Any) -> bool:
    df = _frame(df)
    return bool(_col(df, "simulated", False).fillna(False).astype(bool).any()) if len(df) else False


def _models(df: Any) -> list[str]:
    return list(dict.fromkeys(str(m) for m in df["model"]))


def _providers(df: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for m, p in zip(df["model"], _col(df, "provider", ""), strict=True):
        out.setdefault(str(m), str(p) if isinstance(p, str) else str(m).split("/", 1)[0])
    return out


def _title(base: str, df: Any, title: str | None) -> str:
    if title is not None:
        return title
    return base + (SIMULATED_SUFFIX if is_simulated(df) else "")


def shorten(model: str, limit: int = 38) -> str:
    """A label cut to ``limit`` characters with an ellipsis, for tick labels and annotations."""
    return model if len(model) <= limit else model[: limit - 1] + "…"


def cost_scale(max_usd: float) -> tuple[float, str]:
    """(multiplier, unit) that keeps per-request costs readable: US$, US cents or micro-dollars."""
    if not max_usd or math.isnan(max_usd) or max_usd >= 1:
        return 1.0, "US$"
    if max_usd >= 1e-4:
        return 100.0, "US cents"
    return 1e6, "µ$ = 10⁻⁶ US$"


def _legend(ax: Any, handles: Any = None, labels: Any = None, title: str | None = None) -> None:
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    n = len(handles)
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8 if n <= 12 else 7,
              frameon=False, ncols=1 if n <= 16 else 2, title=title, title_fontsize=8, borderaxespad=0.0)


def _colour_ticklabels(ax: Any, models: list[str], providers: dict[str, str], axis: str = "y") -> None:
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    for label, model in zip(labels, models, strict=False):
        label.set_color(colour(providers.get(model, "")))


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


# ---------------------------------------------------------------------------------------------- charts
def cost_vs_latency(df: Any, *, latency: str = "e2e_s", ax: Any = None, title: str | None = None) -> Any:
    """Mean cost per request vs median latency per model, Pareto front marked; live, successful rows only.

    A model whose cost is unknown (NaN) is drawn hollow on the x axis and labelled "(cost unknown)".
    """
    df = _frame(df)
    live = live_rows(df)
    grouped = live.groupby("model", sort=False).agg(
        cost=("cost_usd", "mean"), latency=(latency, "median"), provider=("provider", "first")
    )
    fig, ax, created = _scatter_axes(ax)
    known = grouped["cost"].dropna()
    scale, unit = cost_scale(float(known.max()) if len(known) else math.nan)
    pts: list[tuple[float, float]] = []
    for model, row in grouped.iterrows():
        if math.isnan(row["latency"]):
            continue
        hollow = math.isnan(row["cost"])
        y = 0.0 if hollow else row["cost"] * scale
        c = colour(row["provider"])
        ax.scatter([row["latency"]], [y], s=80, color="none" if hollow else c, edgecolors=c, linewidths=1.5,
                   label=f"{model}" + (" (cost unknown)" if hollow else ""), zorder=3)
        ax.annotate(shorten(str(model).split("/", 1)[-1], 28), (row["latency"], y), textcoords="offset points",
                    xytext=(6, 4), fontsize=8)
        if not hollow:
            pts.append((row["latency"], y))
    front = pareto_front(pts)
    if len(front) > 1:
        ax.plot([pts[i][0] for i in front], [pts[i][1] for i in front], linestyle="--", color="#999999",
                zorder=2, label="Pareto front (cheaper and faster)")
    if not len(grouped):
        ax.text(0.5, 0.5, "no live, successful rows to plot", ha="center", va="center", transform=ax.transAxes)
    what = "time to first token" if latency == "ttft_s" else "end-to-end latency"
    ax.set_xlabel(f"{what} (s, median)")
    ax.set_ylabel(f"cost per request ({unit}, mean)")
    ax.set_title(_title("Cost vs latency", df, title))
    lat = grouped["latency"].dropna()
    ax.set_xlim(0, float(lat.max()) * 1.3 if len(lat) and lat.max() > 0 else None)  # room for the labels
    ax.set_ylim(0, (float(known.max()) * scale * 1.12) if len(known) and known.max() > 0 else None)
    ax.grid(True, alpha=0.3)
    _legend(ax)
    return finish_figure(fig, created)


def _horizontal() -> dict[str, Any]:
    """boxplot's horizontal switch: ``orientation`` from matplotlib 3.10, ``vert=False`` before."""
    import matplotlib

    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def latency_distribution(df: Any, *, title: str | None = None) -> Any:
    """TTFT and end-to-end latency per model, box plot with every request as a dot; live rows only."""
    import numpy as np

    df = _frame(df)
    models = _models(df)
    providers = _providers(df)
    live = live_rows(df)
    excluded_cached = int((_cached(df) & ~_failed(df)).sum())
    excluded_failed = int(_failed(df).sum())
    fig, axes = new_figure((11, 0.9 + 0.55 * max(len(models), 2)), ncols=2, sharey=True)
    rng = np.random.default_rng(0)
    positions = {m: len(models) - 1 - i for i, m in enumerate(models)}  # first model on top
    for ax, metric, label in ((axes[0], "ttft_s", "time to first token (s)"),
                              (axes[1], "e2e_s", "end-to-end latency (s)")):
        for model in models:
            values = live.loc[live["model"].astype(str) == model, metric].dropna().to_numpy(dtype=float)
            pos = positions[model]
            c = colour(providers[model])
            if len(values) == 0:
                ax.text(0.01, pos, "no live rows", transform=ax.get_yaxis_transform(), va="center", fontsize=8,
                        color="#777777")
                continue
            if len(values) > 1:
                ax.boxplot([values], positions=[pos], **_horizontal(), widths=0.55, showfliers=False,
                           patch_artist=True, boxprops={"facecolor": c, "alpha": 0.25, "edgecolor": c},
                           medianprops={"color": c, "linewidth": 2}, whiskerprops={"color": c},
                           capprops={"color": c}, manage_ticks=False)
            jitter = rng.uniform(-0.15, 0.15, size=len(values)) if len(values) > 1 else np.zeros(1)
            ax.scatter(values, pos + jitter, s=22 if len(values) > 3 else 60, color=c, alpha=0.85, zorder=3,
                       label=model, edgecolors="white", linewidths=0.5)
        ax.set_xlabel(label)
        ax.set_xlim(left=0)
        ax.grid(True, axis="x", alpha=0.3)
    axes[0].set_yticks([positions[m] for m in models], [shorten(m) for m in models])
    axes[0].set_ylim(-0.7, len(models) - 0.3)
    _colour_ticklabels(axes[0], models, providers)
    notes = []
    if excluded_cached:
        notes.append(f"{excluded_cached} cache replay{'s' if excluded_cached != 1 else ''}")
    if excluded_failed:
        notes.append(f"{excluded_failed} failed request{'s' if excluded_failed != 1 else ''}")
    sub = f" (live rows only; left out: {', '.join(notes)})" if notes else " (live rows only)"
    fig.suptitle(_title("Latency per model", df, title) + sub, fontsize=12)
    return finish_figure(fig, True)


def tokens_per_second(df: Any, *, title: str | None = None) -> Any:
    """Output speed per model: median tokens/s after the first token (bar), each request as a dot."""
    import numpy as np

    df = _frame(df)
    models = _models(df)
    providers = _providers(df)
    live = live_rows(df)
    fig, ax = new_figure((8.5, 0.9 + 0.5 * max(len(models), 2)))
    rng = np.random.default_rng(0)
    positions = {m: len(models) - 1 - i for i, m in enumerate(models)}
    top = 0.0
    for model in models:
        values = live.loc[live["model"].astype(str) == model, "output_tps"].dropna().to_numpy(dtype=float)
        pos = positions[model]
        c = colour(providers[model])
        if len(values) == 0:
            ax.text(0.01, pos, "n/a (no live rows with token counts)", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=8, color="#777777")
            continue
        median = float(np.median(values))
        top = max(top, float(values.max()))
        ax.barh([pos], [median], color=c, alpha=0.8, height=0.6, label=model)
        if len(values) > 1:
            ax.scatter(values, pos + rng.uniform(-0.15, 0.15, size=len(values)), s=12, color="#333333",
                       alpha=0.6, zorder=3)
        ax.annotate(f"{median:,.0f}", (median, pos), textcoords="offset points", xytext=(4, 0), va="center",
                    fontsize=8)
    ax.set_yticks([positions[m] for m in models], [shorten(m) for m in models])
    ax.set_ylim(-0.7, len(models) - 0.3)
    _colour_ticklabels(ax, models, providers)
    ax.set_xlim(0, top * 1.15 if top else 1)
    ax.set_xlabel("output speed (tokens/s after the first token, median)")
    ax.set_title(_title("Output tokens per second", df, title))
    ax.grid(True, axis="x", alpha=0.3)
    _legend(ax)
    return finish_figure(fig, True)


def _split_cost(row: dict[str, Any]) -> dict[str, float] | None:
    """One row's ``cost_usd`` split into segments (USD) by ``pricing.cost_segments``; None when unknown.

    This only reads the row: the provider column (else the model's prefix), the model id after the first "/",
    and the numbers, with None, NaN and non-numbers read as missing.
    """
    from multimodel import pricing

    def n(key: str) -> float | None:
        v = row.get(key)
        try:
            f = float(v)
        except (TypeError, ValueError):
            return None
        return None if math.isnan(f) else f

    total = n("cost_usd")
    if total is None:
        return None  # unknown stays unknown, as in every other chart (never a made-up number)
    model = str(row.get("model", ""))
    provider = str(row.get("provider") or model.split("/", 1)[0])
    model_id = model.split("/", 1)[1] if "/" in model else model
    return pricing.cost_segments(provider, model_id, total=total, prompt_tokens=n("prompt_tokens"),
                                 completion_tokens=n("completion_tokens"), cached_tokens=n("cached_tokens"),
                                 reasoning_tokens=n("reasoning_tokens"))


def cost_breakdown(df: Any, *, title: str | None = None) -> Any:
    """Mean cost per request per model, stacked into input, cached input, reasoning and answer output.

    The split uses the price table (``multimodel.pricing.lookup``); the bar's total is the row's own
    ``cost_usd`` (provider-reported cost wins), so this chart and ``cost_vs_latency`` agree. A model with
    a reported cost and no table price gets one grey "reported total" segment; unknown cost says so.
    """
    df = _frame(df)
    models = _models(df)
    providers = _providers(df)
    per_model: dict[str, dict[str, float] | None] = {}
    for model in models:
        rows = df[df["model"].astype(str) == model].to_dict("records")
        splits = [s for s in (_split_cost(r) for r in rows) if s is not None]
        if not splits:
            per_model[model] = None
            continue
        keys = {k for s in splits for k in s}
        per_model[model] = {k: sum(s.get(k, 0.0) for s in splits) / len(splits) for k in keys}
    totals = [sum(v.values()) for v in per_model.values() if v]
    scale, unit = cost_scale(max(totals) if totals else math.nan)
    fig, ax = new_figure((9, 0.9 + 0.5 * max(len(models), 2)))
    positions = {m: len(models) - 1 - i for i, m in enumerate(models)}
    used: dict[str, Any] = {}
    for model in models:
        pos = positions[model]
        seg = per_model[model]
        if seg is None:
            rows = df[df["model"].astype(str) == model]
            why = "every request failed" if bool(_failed(rows).all()) else "no price for this model"
            ax.text(0.01, pos, f"cost unknown ({why})", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=8, color="#b00020")
            continue
        left = 0.0
        for key, label, c in COST_SEGMENTS:
            value = seg.get(key, 0.0) * scale
            if value <= 0:
                continue
            bar = ax.barh([pos], [value], left=[left], color=c, height=0.6, edgecolor="white", linewidth=0.5,
                          hatch="//" if key == "reported" else None, label=label)
            used.setdefault(label, bar)
            left += value
        ax.annotate(f"{left:,.3g}", (left, pos), textcoords="offset points", xytext=(4, 0), va="center", fontsize=8)
    ax.set_yticks([positions[m] for m in models], [shorten(m) for m in models])
    ax.set_ylim(-0.7, len(models) - 0.3)
    _colour_ticklabels(ax, models, providers)
    ax.set_xlim(0, (max(totals) * scale * 1.18) if totals else 1)
    ax.set_xlabel(f"cost per request ({unit}, mean)")
    ax.set_title(_title("Cost per request by token type", df, title))
    ax.grid(True, axis="x", alpha=0.3)
    order = [label for _, label, _ in COST_SEGMENTS if label in used]
    _legend(ax, [used[label] for label in order], order, title="token type")
    return finish_figure(fig, True)


def score_columns(obj: Any) -> list[str]:
    """The score columns of a frame or an Evaluation: ``ev.score_columns`` when it has them, else ``score``."""
    cols = getattr(obj, "score_columns", None)
    df = _frame(obj)
    if cols:
        return [c for c in cols if c in df]
    return ["score"] if "score" in df else []


def score_vs_cost(df: Any, *, score: str | None = None, ax: Any = None, title: str | None = None) -> Any:
    """Mean score vs mean cost per request per model; the Pareto front (cheaper and better) is marked.

    ``score`` names the column (default: ``score``, or the first of ``ev.score_columns``).
    """
    import pandas as pd

    if score is None:
        found = score_columns(df)
        score = found[0] if found else "score"
    df = _frame(df)
    if score not in df:
        from multimodel.errors import ConfigError

        raise ConfigError(f"score_vs_cost needs a {score!r} column (ev.df after scoring); columns: {list(df.columns)}")
    providers = _providers(df)
    data = df.assign(_score=pd.to_numeric(df[score], errors="coerce"))
    grouped = data.groupby("model", sort=False).agg(score=("_score", "mean"), cost=("cost_usd", "mean"))
    fig, ax, created = _scatter_axes(ax)
    known = grouped["cost"].dropna()
    scale, unit = cost_scale(float(known.max()) if len(known) else math.nan)
    pts: list[tuple[float, float]] = []
    for model, row in grouped.iterrows():
        if math.isnan(row["score"]):
            continue
        hollow = math.isnan(row["cost"])
        x = 0.0 if hollow else row["cost"] * scale
        c = colour(providers.get(str(model), ""))
        ax.scatter([x], [row["score"]], s=80, color="none" if hollow else c, edgecolors=c, linewidths=1.5,
                   label=f"{model}" + (" (cost unknown)" if hollow else ""), zorder=3)
        ax.annotate(shorten(str(model).split("/", 1)[-1], 28), (x, row["score"]), textcoords="offset points",
                    xytext=(6, 4), fontsize=8)
        if not hollow:
            pts.append((x, -row["score"]))
    front = pareto_front(pts)
    if len(front) > 1:
        ax.plot([pts[i][0] for i in front], [-pts[i][1] for i in front], linestyle="--", color="#999999",
                zorder=2, label="Pareto front (cheaper and better)")
    ax.set_xlabel(f"cost per request ({unit}, mean)")
    ax.set_ylabel(f"{score} (mean)")
    ax.set_title(_title("Score vs cost" if score == "score" else f"Score vs cost: {score}", df, title))
    ax.set_xlim(0, float(known.max()) * scale * 1.3 if len(known) and known.max() > 0 else None)
    ax.grid(True, alpha=0.3)
    _legend(ax)
    return finish_figure(fig, created)


CHARTS = {
    "cost_vs_latency": cost_vs_latency,
    "latency_distribution": latency_distribution,
    "tokens_per_second": tokens_per_second,
    "cost_breakdown": cost_breakdown,
    "score_vs_cost": score_vs_cost,
}
CHART_TITLES = {
    "cost_vs_latency": "Cost vs latency",
    "latency_distribution": "Latency per model",
    "tokens_per_second": "Output tokens per second",
    "cost_breakdown": "Cost per request by token type",
    "score_vs_cost": "Score vs cost",
}


def available_charts(df: Any) -> list[str]:
    """The chart names that apply (``score_vs_cost`` only when a score column has values).

    Takes a frame, or an Evaluation whose ``score_columns`` name its scores.
    """
    frame = _frame(df)
    names = [n for n in CHARTS if n != "score_vs_cost"]
    if any(frame[c].notna().any() for c in score_columns(df)):
        names.append("score_vs_cost")
    return names


class PlotAccessor:
    """``cmp.plot.<chart>()`` / ``ev.plot.<chart>()``: the module's charts bound to one results frame.

    ``df`` is a DataFrame, an object with ``.df``, or a callable returning one (evaluated on each call);
    ``score_columns`` names the score columns ``score_vs_cost`` uses (default ``score``).
    """

    def __init__(self, df: Any, *, score_columns: list[str] | None = None) -> None:
        self._df = df
        self._scores = list(score_columns) if score_columns else None

    @property
    def df(self) -> Any:
        return self._df() if callable(self._df) else _frame(self._df)

    @property
    def score_columns(self) -> list[str]:
        return self._scores if self._scores is not None else score_columns(self.df)

    def cost_vs_latency(self, **kwargs: Any) -> Any:
        return cost_vs_latency(self.df, **kwargs)

    def latency_distribution(self, **kwargs: Any) -> Any:
        return latency_distribution(self.df, **kwargs)

    def tokens_per_second(self, **kwargs: Any) -> Any:
        return tokens_per_second(self.df, **kwargs)

    def cost_breakdown(self, **kwargs: Any) -> Any:
        return cost_breakdown(self.df, **kwargs)

    def score_vs_cost(self, score: str | None = None, **kwargs: Any) -> Any:
        if score is None and self.score_columns:
            score = self.score_columns[0]
        return score_vs_cost(self.df, score=score, **kwargs)

    def all(self) -> dict[str, Any]:
        """Every applicable chart, by name (``score_vs_cost`` for the first score column)."""
        out = {name: CHARTS[name](self.df) for name in available_charts(self.df) if name != "score_vs_cost"}
        cols = [c for c in self.score_columns if self.df[c].notna().any()]
        if cols:
            out["score_vs_cost"] = self.score_vs_cost(cols[0])
        return out

    def save(self, fig: Any, path: str | Path, **kwargs: Any) -> Path:
        """``save(fig, path)`` stamped with this frame's providers and mode."""
        return save(fig, path, df=self.df, **kwargs)

    def __dir__(self) -> list[str]:
        return [*CHARTS, "all", "save", "df"]

    def __repr__(self) -> str:
        return f"<PlotAccessor: {', '.join(CHARTS)}; .all(), .save(fig, path)>"


# ---------------------------------------------------------------------------------------------- export
def stamp_text(df: Any = None, endpoints: list[str] | None = None, simulated: bool | None = None) -> str:
    """The provenance line: date, multimodel version, price-table date, endpoints, SIMULATED or live."""
    from multimodel import __version__, pricing

    if simulated is None and df is not None:
        simulated = is_simulated(df)
    mode = "mode n/a" if simulated is None else ("SIMULATED" if simulated else "live")
    if endpoints is None and df is not None:
        df = _frame(df)
        if "provider" in df:
            endpoints = sorted({str(p) for p in df["provider"].dropna()})
    return (
        f"{_dt.date.today().isoformat()} · multimodel {__version__} · prices as of {pricing.table_date() or 'n/a'}"
        f" · endpoints: {', '.join(endpoints or []) or 'n/a'} · {mode}"
    )


def save(fig: Any, path: str | Path, *, df: Any = None, endpoints: list[str] | None = None,
         simulated: bool | None = None) -> Path:
    """Save as PNG, SVG or PDF (by extension), stamped with date, version, price-table date, endpoints, mode.

    The mode (SIMULATED or live) comes from ``simulated`` or else from the rows of ``df``.
    The stamp is drawn in the figure's bottom-left corner and written to the file's metadata
    (PNG/SVG ``Description``, PDF ``Subject``). Saving the same figure again replaces the stamp.
    """
    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    if ext not in ("png", "svg", "pdf"):
        from multimodel.errors import ConfigError

        raise ConfigError(f"save as .png, .svg or .pdf, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = stamp_text(df, endpoints, simulated)
    engine = fig.get_layout_engine() if hasattr(fig, "get_layout_engine") else None
    if engine is not None and hasattr(engine, "set") and type(engine).__name__ == "ConstrainedLayoutEngine":
        frac = min(0.1, 0.15 / fig.get_figheight())  # ~11 pt: keep the stamp clear of the axis labels
        engine.set(rect=(0, frac, 1, 1 - frac))
    artist = getattr(fig, "_mm_stamp", None)
    if artist is not None and artist.figure is fig:
        artist.set_text(stamp)
    else:
        fig._mm_stamp = fig.text(0.005, 0.003, stamp, fontsize=6, color="#666666", ha="left", va="bottom")
    meta_key = {"png": "Description", "svg": "Description", "pdf": "Subject"}[ext]
    fig.savefig(path, dpi=150, metadata={meta_key: stamp})
    return path


__all__ = [
    "CHARTS",
    "PROVIDER_COLOURS",
    "PlotAccessor",
    "available_charts",
    "colour",
    "cost_breakdown",
    "cost_scale",
    "cost_vs_latency",
    "detached",
    "finish_figure",
    "is_simulated",
    "latency_distribution",
    "live_rows",
    "new_figure",
    "pareto_front",
    "save",
    "score_columns",
    "score_vs_cost",
    "shorten",
    "stamp_text",
    "tokens_per_second",
]
