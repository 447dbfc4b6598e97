"""matplotlib charts of cost, latency, speed and score, and one-call export stamped with provenance.

Every chart takes a DataFrame with the Result columns (``cmp.df``, ``ev.df``; score columns where they
apply), or any object with a ``.df``, and returns a matplotlib Figure::

    fig = mm.plot.cost_vs_latency(df)          # or cmp.plot.cost_vs_latency() / ev.plot.cost_vs_latency()
    mm.plot.save(fig, "chart.png", df=df)      # PNG, SVG, PDF, ..., stamped with date, version, prices, mode
    ev.plot.save_all("figures", formats=("png", "svg"))   # every chart the rows can show, one file per format

Charts: ``cost_vs_latency`` (Pareto front marked), ``latency_distribution`` (TTFT and end-to-end per
model), ``tokens_per_second``, ``cost_breakdown`` (input, cached input, reasoning, output),
``score_vs_cost`` (95% CI error bars: the evaluation summary's clustered interval through ``ev.plot``, else
a naive one from the rows that says so). Latency and speed use live rows only: cache replays and failed
requests are left out (DESIGN.md section 2). One colour per provider, the same in every chart;
"SIMULATED" is in the title when any row came from the simulator, a custom ``title=`` included.
matplotlib is imported on first use.

Honest labels: costs are in US dollars everywhere (ticks such as $0.0012, the same unit as the tables);
every aggregate says how many requests it stands for (``n=3``; prompts and samples on a score), and a
chart of one request per model says so instead of calling one value a mean or a median. A score axis
starts at 0 (and spans 0 to 1 for a score in [0, 1]) and a cost axis at $0: no zoomed range makes a small
difference look large. Point labels are placed when the figure is drawn, so
that none overlaps another label or a marker and none leaves the axes (``PointLabels``). Time to first
token and output speed exist only for streamed requests: a row that was not streamed (``ttft_s`` empty,
or ``stream`` false) is left out of them, and a chart with nothing to show is not drawn (``chart_notes``
says why).

In a Jupyter kernel the figure is closed in pyplot before it is returned, so it shows once (as the
cell's value, or with ``display(fig)``) instead of twice; in a script ``plt.show()`` still works.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import itertools
import math
import threading
from collections.abc import Callable, Iterator, Sequence
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
NOT_STREAMED = "not streamed: time to first token and tokens per second were not measured"
NO_LIVE_ROWS = "no live, successful rows: every request failed or was replayed from the cache"


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


def _truthy(value: Any) -> bool:
    """A flag cell as a bool: None, NaN and pandas NA are False."""
    import pandas as pd

    try:
        if pd.isna(value):
            return False
    except (TypeError, ValueError):  # a list or an array: not a missing value
        pass
    return bool(value)


def _failed(df: Any) -> Any:
    return _col(df, "error_kind").notna()


def _cached(df: Any) -> Any:
    return _col(df, "cached", False).map(_truthy).astype(bool)


def live_rows(df: Any) -> Any:
    """Rows that are neither cache replays nor failed requests (the rows latency statistics use)."""
    df = _frame(df)
    return df[~_failed(df) & ~_cached(df)]


def streamed(df: Any) -> Any:
    """Per row: was a time to first token measured? Only a streamed answer has one: a row with an empty
    ``ttft_s``, or with ``stream`` false (older files stored the whole-body time there), has none."""
    import pandas as pd

    df = _frame(df)
    ok = pd.to_numeric(_col(df, "ttft_s"), errors="coerce").notna()
    if "stream" in df:
        ok &= df["stream"].map(_truthy).astype(bool)
    return ok


def measured_ttft(df: Any) -> Any:
    """``ttft_s`` where it was measured (streamed rows), NaN elsewhere."""
    import pandas as pd

    df = _frame(df)
    return pd.to_numeric(_col(df, "ttft_s"), errors="coerce").where(streamed(df))


def measured_tps(df: Any) -> Any:
    """``output_tps`` where it was measured (streamed rows with token counts), NaN elsewhere."""
    import pandas as pd

    df = _frame(df)
    return pd.to_numeric(_col(df, "output_tps"), errors="coerce").where(streamed(df))


def is_simulated(df: Any) -> bool:
    df = _frame(df)
    return bool(_col(df, "simulated", False).map(_truthy).any()) if len(df) else False


def _models(df: Any) -> list[str]:
    return list(dict.fromkeys(str(m) for m in df["model"]))


def _providers(df: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for m, p in zip(df["model"], _col(df, "provider", ""), strict=True):
        out.setdefault(str(m), str(p) if isinstance(p, str) and p else str(m).split("/", 1)[0])
    return out


def _title(base: str, df: Any, title: str | None) -> str:
    """The chart's title (``title`` when given, else ``base``), stamped "SIMULATED" when any row came from the
    simulator: a custom title keeps the stamp, so a simulated chart never passes for a measured one."""
    text = base if title is None else str(title)
    if not is_simulated(df) or "SIMULATED" in text:
        return text
    return (text + SIMULATED_SUFFIX) if text.strip() else "SIMULATED"


def shorten(model: str, limit: int = 38) -> str:
    """A label cut to ``limit`` characters with an ellipsis, for tick labels and annotations."""
    return model if len(model) <= limit else model[: limit - 1] + "…"


def shorten_middle(name: str, limit: int = 14) -> str:
    """A name cut in the middle, keeping both ends (where model ids differ): "model-…-name-12"."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 2
    return name[:head] + "…" + name[len(name) - (limit - 1 - head):]


# ---------------------------------------------------------------------------------------------- units and n
def cost_scale(max_usd: float) -> tuple[float, str]:
    """(multiplier, unit) of the cost axes: always (1.0, "USD"). Charts keep US dollars, the unit of every
    table, and the tick labels carry the decimals small costs need ($0.0012); kept for callers of old."""
    return 1.0, "USD"


def usd(value: float) -> str:
    """A cost as US dollars with three significant digits: $0.00216, $0.200, $12.30; "n/a" when unknown."""
    if value is None or math.isnan(value):
        return "n/a"
    if value == 0:
        return "$0"
    decimals = min(10, max(2, 2 - math.floor(math.log10(abs(value)))))
    return f"{'-' if value < 0 else ''}${abs(value):,.{decimals}f}"


def _decimals_for(step: float) -> int:
    """The fewest decimals (two at least) that write ``step`` exactly: 0.0005 → 4, 0.00025 → 5."""
    for d in range(2, 12):
        scaled = step * 10**d
        if abs(scaled - round(scaled)) <= 1e-6 * max(scaled, 1.0):
            return d
    return 12


def usd_axis(axis: Any) -> None:
    """Tick labels in US dollars with the decimals the tick step needs ($0.0005, $0.0010, ...); fewer ticks
    on an x axis, so the wider dollar labels do not run into each other."""
    from matplotlib.ticker import Formatter, MaxNLocator

    class UsdFormatter(Formatter):
        decimals = 2

        def set_locs(self, locs: Any) -> None:
            super().set_locs(locs)
            steps = sorted({b - a for a, b in itertools.pairwise(sorted(locs)) if b != a})
            self.decimals = _decimals_for(steps[0]) if steps else 2

        def __call__(self, x: float, pos: Any = None) -> str:
            return "$0" if x == 0 else f"{'-' if x < 0 else ''}${abs(x):,.{self.decimals}f}"

    axis.set_major_locator(MaxNLocator(nbins=4 if axis.axis_name == "x" else 6, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(UsdFormatter())


def n_phrase(counts: Sequence[int], stat: str) -> str:
    """How an axis summarises each model: "one request per model", or "<stat> per model" (each point's label
    then says its n)."""
    if counts and all(n == 1 for n in counts):
        return "one request per model"
    return f"{stat} per model"


def n_suffix(n: int, counts: Sequence[int]) -> str:
    """The ``(n=3)`` after a point's label; nothing when every point is one request (the axis says so)."""
    return "" if counts and all(c == 1 for c in counts) else f" (n={n})"


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


def _row_label(model: str, n: int) -> str:
    """A tick label for a per-model row: the model and how many requests its values stand for."""
    return f"{shorten(model)} ({'no live rows' if n == 0 else '1 request' if n == 1 else f'n={n}'})"


def _why_empty(live: Any, model: str, what: str) -> str:
    """Why a model's row of a timing chart is empty: no live rows, not streamed, or ``what`` is missing."""
    rows = live[live["model"].astype(str) == model]
    if not len(rows):
        return "no live rows (failed or cache replays)"
    if not streamed(rows).any():
        return "not streamed: not measured"
    return f"n/a ({what})"


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


# ---------------------------------------------------------------------------------------------- point labels
# Eight places touching the marker, nearest first (upper right is the usual reading place), then rings of
# sixteen further out, joined to their point by a thin leader line.
_NEAR = ((1, 1), (1, 0), (-1, 1), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, -1))
_RING_DEGREES = (45, 0, 135, 180, 90, 270, 315, 225, 22.5, 157.5, 337.5, 202.5, 67.5, 112.5, 292.5, 247.5)
_CLEARANCE_PX = 2.0  # at least this much white between a label and anything else


def _candidate_offsets(w: float, h: float, gap: float, reach: float) -> tuple[Any, Any]:
    """Centre offsets (px) of a w×h label around a point, in order of preference, and each one's ring
    (0 = touching the marker)."""
    import numpy as np

    offsets = [(cx * (gap + w / 2), cy * (gap + h / 2)) for cx, cy in _NEAR]
    rings = [0] * len(_NEAR)
    step = max(h * 0.8, 4.0)
    k = 1
    while gap + k * step <= reach:
        r = gap + k * step
        for deg in _RING_DEGREES:
            a = math.radians(deg)
            offsets.append((math.cos(a) * (r + w / 2), math.sin(a) * (r + h / 2)))
            rings.append(k)
        k += 1
    return np.array(offsets, dtype=float), np.array(rings)


def _hits(boxes: Any, others: list[Any], clearance: float) -> Any:
    """Per box (N×4, display px): does it come within ``clearance`` of any box in ``others``?"""
    import numpy as np

    if not others:
        return np.zeros(len(boxes), dtype=bool)
    obs = np.array(others, dtype=float)
    c = clearance
    return ((boxes[:, None, 0] < obs[None, :, 2] + c) & (boxes[:, None, 2] > obs[None, :, 0] - c)
            & (boxes[:, None, 1] < obs[None, :, 3] + c) & (boxes[:, None, 3] > obs[None, :, 1] - c)).any(axis=1)


def _inside_any(points: Any, boxes: list[Any]) -> Any:
    """Per point (…×2): does it fall inside any of ``boxes``?"""
    import numpy as np

    if not boxes:
        return np.zeros(points.shape[:-1], dtype=bool)
    b = np.array(boxes, dtype=float)
    x, y = points[..., 0][..., None], points[..., 1][..., None]
    return ((x > b[:, 0]) & (x < b[:, 2]) & (y > b[:, 1]) & (y < b[:, 3])).any(axis=-1)


def _choose(point: Any, w: float, h: float, gap: float, frame: Any, markers: list[Any], texts: list[Any],
            avoid: Any) -> tuple[Any, int] | None:
    """The box (x0, y0, x1, y1) in display px for one label and its ring, or None when no place is free.

    Free: inside ``frame`` and at least _CLEARANCE_PX from every marker and text box. Among free places the
    nearest ring wins; covering part of a line (``avoid``: sample points) counts two rings further, a leader
    line crossing a text three, crossing a marker two (forbidding crossings outright pushed labels far away
    and left some unplaced in dense clusters). Ties go to the earlier (preferred) place: deterministic."""
    import numpy as np

    offsets, rings = _candidate_offsets(w, h, gap, math.hypot(frame.width, frame.height))
    cx, cy = point[0] + offsets[:, 0], point[1] + offsets[:, 1]
    boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    free = ((boxes[:, 0] >= frame.x0 + 1) & (boxes[:, 1] >= frame.y0 + 1)
            & (boxes[:, 2] <= frame.x1 - 1) & (boxes[:, 3] <= frame.y1 - 1))
    free &= ~_hits(boxes, markers, _CLEARANCE_PX) & ~_hits(boxes, texts, _CLEARANCE_PX)
    score = rings.astype(float)
    if len(avoid):
        covers = ((avoid[None, :, 0] > boxes[:, None, 0]) & (avoid[None, :, 0] < boxes[:, None, 2])
                  & (avoid[None, :, 1] > boxes[:, None, 1]) & (avoid[None, :, 1] < boxes[:, None, 3])).any(axis=1)
        score += 2.0 * covers
    far = rings > 0
    if far.any():  # a leader runs from the point towards the label's centre: sample it
        t = np.linspace(0.0, 1.0, 12)[None, :, None]
        path = np.asarray(point, dtype=float)[None, None, :] + t * offsets[far][:, None, :]
        score[far] += 3.0 * _inside_any(path, texts).any(axis=1) + 2.0 * _inside_any(path[:, 2:], markers).any(axis=1)
    if not free.any():
        return None
    idx = np.flatnonzero(free)
    best = idx[int(np.argmin(score[idx]))]
    return boxes[best], int(rings[best])


def _polylines(artist: Any) -> list[Any]:
    """The vertices (display px) of a Line2D, or of each segment of a LineCollection (error bars)."""
    transform = artist.get_transform()
    if hasattr(artist, "get_segments"):
        return [transform.transform(seg) for seg in artist.get_segments() if len(seg) > 1]
    return [transform.transform(artist.get_xydata())]


def _line_samples(lines: list[Any], spacing_px: float = 6.0) -> Any:
    """Points (display px) every few pixels along each line (Line2D or LineCollection), for labels to keep off."""
    import numpy as np

    pts: list[Any] = []
    for xy in (xy for line in lines if line.get_visible() for xy in _polylines(line)):
        for (x0, y0), (x1, y1) in itertools.pairwise(xy):
            steps = max(2, int(math.hypot(x1 - x0, y1 - y0) / spacing_px))
            t = np.linspace(0.0, 1.0, steps)
            pts.append(np.column_stack([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]))
    return np.concatenate(pts) if pts else np.empty((0, 2))


def _crowded_first(shown: list[tuple[int, Any]], within: float) -> list[tuple[int, Any]]:
    """Points ordered by how many others lie ``within`` px (most first, then as given): a point inside a
    cluster takes the few free places beside it, and points on the edge still have room further out."""
    def neighbours(item: tuple[int, Any]) -> int:
        return sum(math.hypot(item[1][0] - q[0], item[1][1] - q[1]) <= within for _, q in shown) - 1

    return sorted(shown, key=lambda item: -neighbours(item))


def _place_label(labels: Any, i: int, point: Any, renderer: Any, frame: Any, gap: float, markers: list[Any],
                 texts: list[Any], avoid: Any) -> None:
    """Place label ``i`` of a PointLabels (its full text first, then its shorter alternatives), add its box to
    ``texts``, and draw a leader line when it sits away from its point; hide it when nothing fits."""
    ax, text = labels.axes, labels.texts[i]
    text.set_position(labels.points[i])
    text.set_visible(True)
    chosen = None
    for alternative in labels.alternatives[i]:
        text.set_text(alternative)
        bb = text.get_window_extent(renderer)
        chosen = _choose(point, bb.width, bb.height, gap, frame, markers, texts, avoid)
        if chosen is not None:
            break
    if chosen is None:
        text.set_text(labels.alternatives[i][0])
        text.set_visible(False)
        return
    box, ring = chosen
    texts.append(tuple(box))
    inverse = ax.transData.inverted()
    text.set_position(tuple(inverse.transform(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))))
    side = (box[0] + box[2]) / 2 - point[0]  # the lines of a two-line label line up on the side of their point
    text.set_multialignment("left" if side > 1 else "right" if side < -1 else "center")
    if ring > 0:  # far from its point: a leader line from the marker's edge to the label's edge
        end = (min(max(point[0], box[0]), box[2]), min(max(point[1], box[1]), box[3]))
        dist = math.hypot(end[0] - point[0], end[1] - point[1]) or 1.0
        start = (point[0] + (end[0] - point[0]) * (gap / dist), point[1] + (end[1] - point[1]) * (gap / dist))
        line = inverse.transform([start, end])
        labels.leaders[i].set_data(line[:, 0], line[:, 1])
        labels.leaders[i].set_visible(True)


def _point_labels_artist() -> type:
    """The PointLabels class (built on first use: matplotlib is imported lazily)."""
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D

    class PointLabels(Artist):
        """Labels for scatter points, laid out again each time the figure is drawn (at its final size and
        dpi): none overlaps another label, a marker or another text in the axes, and none leaves the axes.

        Each label goes to the nearest free place (touching its marker first, then further out with a leader
        line). A label may come with shorter alternatives, tried in turn when the full text finds no free
        place; one with no free place at all is hidden (the legend still names its point).
        """

        def __init__(self, ax: Any, xy: Sequence[tuple[float, float]], texts: Sequence[str | Sequence[str]], *,
                     marker_size: float = 80.0, marker_linewidth: float = 1.5, fontsize: float = 8.0,
                     avoid_lines: Sequence[Any] = ()) -> None:
            super().__init__()
            self.set_zorder(4.5)  # before the texts (5): they are placed here, then drawn
            self.set_in_layout(False)
            self.points = [(float(x), float(y)) for x, y in xy]
            self.marker_radius_pt = math.sqrt(marker_size) / 2 + marker_linewidth / 2
            self.avoid_lines = list(avoid_lines)
            self.alternatives = [[t] if isinstance(t, str) else list(t) for t in texts]
            self.texts = [ax.text(x, y, alts[0], fontsize=fontsize, ha="center", va="center", color="#222222",
                                  zorder=5, clip_on=False)
                          for (x, y), alts in zip(self.points, self.alternatives, strict=True)]
            self.leaders = [Line2D([], [], linewidth=0.6, color="#8c8c8c", zorder=4.6) for _ in self.points]
            for artist in (*self.texts, *self.leaders):
                artist.set_in_layout(False)
                if isinstance(artist, Line2D):
                    ax.add_artist(artist)  # not add_line: a leader must not widen the data limits
            ax.add_artist(self)

        def draw(self, renderer: Any) -> None:
            if self.get_visible():
                self.layout(renderer)

        def layout(self, renderer: Any) -> None:
            """Place every label for this renderer (size, dpi and limits as they are now)."""
            ax = self.axes
            frame = ax.get_window_extent(renderer)
            px = renderer.points_to_pixels(1.0)
            radius = self.marker_radius_pt * px
            shown = [(i, p) for i, p in enumerate(ax.transData.transform(self.points))
                     if all(map(math.isfinite, p)) and frame.x0 <= p[0] <= frame.x1 and frame.y0 <= p[1] <= frame.y1]
            markers = [(x - radius, y - radius, x + radius, y + radius) for _, (x, y) in shown]
            mine = set(map(id, self.texts))
            texts = [tuple(other.get_window_extent(renderer).extents) for other in ax.texts
                     if id(other) not in mine and other.get_visible() and other.get_text()]
            avoid = _line_samples(self.avoid_lines)
            for text, leader in zip(self.texts, self.leaders, strict=True):
                text.set_visible(False)  # a point outside the axes keeps its label hidden
                leader.set_visible(False)
            for i, point in _crowded_first(shown, 12 * radius):
                _place_label(self, i, point, renderer, frame, radius + 2 * px, markers, texts, avoid)

    return PointLabels


def label_points(ax: Any, xy: Sequence[tuple[float, float]], texts: Sequence[str | Sequence[str]],
                 **options: Any) -> Any:
    """Labels for the points ``xy`` (data coordinates) that never overlap each other, a marker or another
    text, and stay inside the axes; laid out at draw time. Each text is a string, or a list of strings to
    try in turn (shorter ones for when the full one does not fit). Options: ``marker_size`` (scatter ``s``),
    ``marker_linewidth``, ``fontsize``, ``avoid_lines`` (Line2D or LineCollection objects, such as error bars,
    that labels should keep off)."""
    return _point_labels_artist()(ax, xy, texts, **options)


def point_labels(fig_or_ax: Any) -> list[Any]:
    """The visible point labels (matplotlib Text) of a figure or axes, as placed by its last draw."""
    axes = fig_or_ax.axes if hasattr(fig_or_ax, "get_axes") else [fig_or_ax]
    out = []
    for ax in axes:
        for artist in ax.artists:
            if type(artist).__name__ == "PointLabels":
                out.extend(t for t in artist.texts if t.get_visible())
    return out


# ---------------------------------------------------------------------------------------------- charts
def _scatter_models(ax: Any, points: list[dict[str, Any]], *, front_label: str, higher_y_better: bool,
                    avoid: Sequence[Any] = ()) -> None:
    """One marker per model (hollow when its cost is unknown), labels that never overlap, and the Pareto
    front of the known points. ``points``: dicts with model, provider, x, y, n, hollow, and optionally
    n_text (the label's count, instead of ``(n=3)``); ``avoid``: more lines (error bars) labels keep off."""
    counts = [p["n"] for p in points]
    known: list[tuple[float, float]] = []
    for p in points:
        c = colour(p["provider"])
        ax.scatter([p["x"]], [p["y"]], s=80, color="none" if p["hollow"] else c, edgecolors=c, linewidths=1.5,
                   label=p["model"] + (" (cost unknown)" if p["hollow"] else ""), zorder=3)
        if not p["hollow"]:
            known.append((p["x"], -p["y"] if higher_y_better else p["y"]))
    front = pareto_front(known)
    lines = []
    if len(front) > 1:
        xs = [known[i][0] for i in front]
        ys = [-known[i][1] if higher_y_better else known[i][1] for i in front]
        lines = ax.plot(xs, ys, linestyle="--", color="#999999", zorder=2, label=front_label)
    texts = []
    for p in points:
        short = p["model"].split("/", 1)[-1]
        if "n_text" in p:  # a long count ("n=96 prompts, 288 samples") goes on a line of its own
            count = p["n_text"]
            texts.append([f"{shorten(short, 28)}\n{count}" if count else shorten(short, 28),
                          f"{shorten_middle(short, 14)}\n{count}" if count else shorten_middle(short, 14)])
            continue
        count = n_suffix(p["n"], counts)
        texts.append([shorten(short, 28) + count, shorten_middle(short, 14) + count,
                      *([shorten_middle(short, 14) + "\n" + count.strip(" ()")] if count else [])])
    label_points(ax, [(p["x"], p["y"]) for p in points], texts, avoid_lines=[*lines, *avoid])


def _no_ttft_error(chart: str) -> Exception:
    from multimodel.errors import ConfigError

    return ConfigError(f"{chart}: {NOT_STREAMED} (no row was streamed). Run with stream=True, e.g. "
                       "client.compare(prompt, models, stream=True) or client.evaluate(..., stream=True)")


def cost_vs_latency(df: Any, *, latency: str = "e2e_s", ax: Any = None, title: str | None = None) -> Any:
    """Cost per request vs latency per model (mean cost, median latency of its n live, successful requests;
    the value itself for one request), Pareto front marked. ``latency="ttft_s"`` uses streamed rows only.

    A model whose cost is unknown (NaN) is drawn hollow on the x axis and labelled "(cost unknown)".
    """
    df = _frame(df)
    live = live_rows(df)
    if latency == "ttft_s":
        live = live.assign(ttft_s=measured_ttft(live))
        if len(live) and not live["ttft_s"].notna().any():
            raise _no_ttft_error("cost_vs_latency(latency='ttft_s')")
    live = live[live[latency].notna()]
    providers = _providers(df)
    grouped = live.groupby("model", sort=False).agg(cost=("cost_usd", "mean"), latency=(latency, "median"),
                                                    n=(latency, "size"))
    fig, ax, created = _scatter_axes(ax)
    points = [{"model": str(m), "provider": providers.get(str(m), ""), "x": float(r["latency"]),
               "y": 0.0 if math.isnan(r["cost"]) else float(r["cost"]), "n": int(r["n"]),
               "hollow": bool(math.isnan(r["cost"]))} for m, r in grouped.iterrows()]
    _scatter_models(ax, points, front_label="Pareto front (cheaper and faster)", higher_y_better=False)
    if not points:
        ax.text(0.5, 0.5, NO_LIVE_ROWS, ha="center", va="center", transform=ax.transAxes, fontsize=9)
    counts = [p["n"] for p in points]
    what = "time to first token" if latency == "ttft_s" else "end-to-end latency"
    ax.set_xlabel(f"{what} (s), {n_phrase(counts, 'median')}")
    ax.set_ylabel(f"cost (USD), {n_phrase(counts, 'mean')}")
    ax.set_title(_title("Cost vs latency", df, title))
    xmax = max((p["x"] for p in points), default=0.0)
    ymax = max((p["y"] for p in points), default=0.0)
    ax.set_xlim(0, xmax * 1.3 if xmax > 0 else None)  # room for the labels
    ax.set_ylim(0, ymax * 1.25 if ymax > 0 else None)
    usd_axis(ax.yaxis)
    ax.grid(True, alpha=0.3)
    _legend(ax)
    return finish_figure(fig, created)


def _horizontal() -> dict[str, Any]:
    """boxplot's horizontal switch: ``orientation`` from matplotlib 3.10, ``vert=False`` before."""
    import matplotlib

    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def _distribution_panel(ax: Any, live: Any, metric: Any, models: list[str], providers: dict[str, str],
                        positions: dict[str, int]) -> None:
    """One latency panel: a box per model with more than one value, every request as a dot."""
    import numpy as np

    rng = np.random.default_rng(0)
    for model in models:
        values = metric[live["model"].astype(str) == model].dropna().to_numpy(dtype=float)
        pos = positions[model]
        c = colour(providers[model])
        if len(values) == 0:
            ax.text(0.01, pos, _why_empty(live, model, "no value"), transform=ax.get_yaxis_transform(),
                    va="center", fontsize=8, color="#777777")
            continue
        if len(values) > 1:
            ax.boxplot([values], positions=[pos], **_horizontal(), widths=0.55, showfliers=False,
                       patch_artist=True, boxprops={"facecolor": c, "alpha": 0.25, "edgecolor": c},
                       medianprops={"color": c, "linewidth": 2}, whiskerprops={"color": c},
                       capprops={"color": c}, manage_ticks=False)
        jitter = rng.uniform(-0.15, 0.15, size=len(values)) if len(values) > 1 else np.zeros(1)
        ax.scatter(values, pos + jitter, s=22 if len(values) > 3 else 60, color=c, alpha=0.85, zorder=3,
                   label=model, edgecolors="white", linewidths=0.5)
    ax.set_xlim(left=0)
    ax.grid(True, axis="x", alpha=0.3)


def latency_distribution(df: Any, *, title: str | None = None) -> Any:
    """TTFT and end-to-end latency per model, box plot with every request as a dot; live rows only.

    Tick labels say how many requests each row holds. TTFT exists only for streamed rows: a model that
    was not streamed says so in the TTFT panel, and with no streamed row at all the panel is left out.
    """
    import pandas as pd

    df = _frame(df)
    models = _models(df)
    providers = _providers(df)
    live = live_rows(df)
    ttft = measured_ttft(live)
    has_ttft = bool(ttft.notna().any())
    panels = [("time to first token (s)", ttft)] if has_ttft else []
    panels.append(("end-to-end latency (s)", pd.to_numeric(live["e2e_s"], errors="coerce")))
    fig, axes = new_figure((11 if has_ttft else 8.5, 0.9 + 0.55 * max(len(models), 2)), ncols=len(panels),
                           sharey=True, squeeze=False)
    axes = list(axes[0])
    positions = {m: len(models) - 1 - i for i, m in enumerate(models)}  # first model on top
    for ax, (label, metric) in zip(axes, panels, strict=True):
        _distribution_panel(ax, live, metric, models, providers, positions)
        ax.set_xlabel(label)
    counts = {m: int((live["model"].astype(str) == m).sum()) for m in models}
    axes[0].set_yticks([positions[m] for m in models], [_row_label(m, counts[m]) for m in models])
    axes[0].set_ylim(-0.7, len(models) - 0.3)
    _colour_ticklabels(axes[0], models, providers)
    fig.suptitle(_title("Latency per model", df, title) + _left_out_note(df, has_ttft), fontsize=12)
    return finish_figure(fig, True)


def _left_out_note(df: Any, has_ttft: bool) -> str:
    """The latency chart's subtitle: live rows only, what was left out, and TTFT when nothing streamed."""
    excluded_cached = int((_cached(df) & ~_failed(df)).sum())
    excluded_failed = int(_failed(df).sum())
    notes = []
    if excluded_cached:
        notes.append(f"{excluded_cached} cache replay{'s' if excluded_cached != 1 else ''}")
    if excluded_failed:
        notes.append(f"{excluded_failed} failed request{'s' if excluded_failed != 1 else ''}")
    sub = f" (live rows only; left out: {', '.join(notes)})" if notes else " (live rows only)"
    return sub + ("" if has_ttft else f"\n{NOT_STREAMED}")


def tokens_per_second(df: Any, *, title: str | None = None) -> Any:
    """Output speed per model: tokens/s after the first token, a bar at the median of its n live, streamed
    requests with every request as a dot. Raises ConfigError when no row was streamed (nothing measured)."""
    import numpy as np

    df = _frame(df)
    models = _models(df)
    providers = _providers(df)
    live = live_rows(df)
    tps = measured_tps(live)
    if len(live) and not measured_ttft(live).notna().any():
        raise _no_ttft_error("tokens_per_second")
    fig, ax = new_figure((8.5, 0.9 + 0.5 * max(len(models), 2)))
    rng = np.random.default_rng(0)
    positions = {m: len(models) - 1 - i for i, m in enumerate(models)}
    per_model = {m: tps[live["model"].astype(str) == m].dropna().to_numpy(dtype=float) for m in models}
    counts = [len(v) for v in per_model.values() if len(v)]
    top = max((float(v.max()) for v in per_model.values() if len(v)), default=0.0)
    for model, values in per_model.items():
        pos = positions[model]
        if len(values) == 0:
            ax.text(0.01, pos, _why_empty(live, model, "no token counts"), transform=ax.get_yaxis_transform(),
                    va="center", fontsize=8, color="#777777")
            continue
        median = float(np.median(values))
        ax.barh([pos], [median], color=colour(providers[model]), alpha=0.8, height=0.6, label=model)
        if len(values) > 1:
            ax.scatter(values, pos + rng.uniform(-0.15, 0.15, size=len(values)), s=12, color="#333333",
                       alpha=0.6, zorder=3)
        ax.annotate(f"{median:,.0f}" + ("" if len(values) == 1 else f" · n={len(values)}"),
                    (float(values.max()), pos), textcoords="offset points", xytext=(5, 0), va="center", fontsize=8)
    ax.set_yticks([positions[m] for m in models], [shorten(m) for m in models])
    ax.set_ylim(-0.7, len(models) - 0.3)
    _colour_ticklabels(ax, models, providers)
    ax.set_xlim(0, top * 1.45 if top else 1)  # room for the value labels after the last dot
    single = counts and all(n == 1 for n in counts)
    ax.set_xlabel("tokens/s after the first token, "
                  + ("one request per model" if single else "median per model (dots: each request)"))
    ax.set_title(_title("Output tokens per second", df, title))
    ax.grid(True, axis="x", alpha=0.3)
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


def _mean_splits(df: Any, models: list[str]) -> dict[str, tuple[dict[str, float], int] | None]:
    """Per model: the mean cost split over its rows with a known cost, and how many rows that is."""
    out: dict[str, tuple[dict[str, float], int] | None] = {}
    for model in models:
        rows = df[df["model"].astype(str) == model].to_dict("records")
        splits = [s for s in (_split_cost(r) for r in rows) if s is not None]
        if not splits:
            out[model] = None
            continue
        keys = {k for s in splits for k in s}
        out[model] = ({k: sum(s.get(k, 0.0) for s in splits) / len(splits) for k in keys}, len(splits))
    return out


def cost_breakdown(df: Any, *, title: str | None = None) -> Any:
    """Cost per request per model (mean of its n requests with a known cost), stacked into input, cached
    input, reasoning and answer output.

    The split uses the price table (``multimodel.pricing.lookup``); the bar's total is the row's own
    ``cost_usd`` (provider-reported cost wins), so this chart and ``cost_vs_latency`` agree. A model with
    a reported cost and no table price gets one grey "reported total" segment; unknown cost says so.
    """
    df = _frame(df)
    models = _models(df)
    providers = _providers(df)
    per_model = _mean_splits(df, models)
    totals = [sum(v[0].values()) for v in per_model.values() if v]
    counts = [v[1] for v in per_model.values() if v]
    fig, ax = new_figure((9, 0.9 + 0.5 * max(len(models), 2)))
    positions = {m: len(models) - 1 - i for i, m in enumerate(models)}
    used: dict[str, Any] = {}
    for model in models:
        pos = positions[model]
        if per_model[model] is None:
            rows = df[df["model"].astype(str) == model]
            why = "every request failed" if bool(_failed(rows).all()) else "no price for this model"
            ax.text(0.01, pos, f"cost unknown ({why})", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=8, color="#b00020")
            continue
        seg, n = per_model[model]
        left = 0.0
        for key, label, c in COST_SEGMENTS:
            value = seg.get(key, 0.0)
            if value <= 0:
                continue
            bar = ax.barh([pos], [value], left=[left], color=c, height=0.6, edgecolor="white", linewidth=0.5,
                          hatch="//" if key == "reported" else None, label=label)
            used.setdefault(label, bar)
            left += value
        ax.annotate(usd(left) + ("" if n == 1 else f" · n={n}"), (left, pos), textcoords="offset points",
                    xytext=(4, 0), va="center", fontsize=8)
    ax.set_yticks([positions[m] for m in models], [shorten(m) for m in models])
    ax.set_ylim(-0.7, len(models) - 0.3)
    _colour_ticklabels(ax, models, providers)
    ax.set_xlim(0, (max(totals) * 1.45) if totals else 1)
    usd_axis(ax.xaxis)
    ax.set_xlabel(f"cost per request (USD), {n_phrase(counts, 'mean')}")
    ax.set_title(_title("Cost per request by token type", df, title))
    ax.grid(True, axis="x", alpha=0.3)
    order = [label for _, label, _ in COST_SEGMENTS if label in used]
    _legend(ax, [used[label] for label in order], order, title="token type")
    return finish_figure(fig, True)


def score_columns(obj: Any) -> list[str]:
    """The score columns of an Evaluation (``ev.score_columns``) or of a results frame, also one read back from a
    file (``multimodel report results.parquet``): see ``results.score_columns_in``."""
    from multimodel.results import score_columns_in

    cols = getattr(obj, "score_columns", None)
    df = _frame(obj)
    if cols:
        return [c for c in cols if c in df]
    return score_columns_in(df)


#: what the error bars of ``score_vs_cost`` are, in its legend
CI_CLUSTERED = "95% CI, clustered by {cluster}"
CI_NAIVE = "95% naive CI (rows treated as independent)"


def _number(value: Any) -> float:
    """A cell as a float; NaN for None, NA and anything that is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _count_text(prompts: float, samples: float) -> str:
    """A score point's count: "n=96 prompts", "n=96 prompts, 288 samples" when prompts were sampled more than
    once, "n=288" when the summary has no prompt count, "" when it has neither."""
    if not math.isnan(prompts):
        more = f", {samples:,.0f} samples" if not math.isnan(samples) and samples != prompts else ""
        return f"n={prompts:,.0f} prompt{'s' if prompts != 1 else ''}{more}"
    return "" if math.isnan(samples) else f"n={samples:,.0f}"


def _row_score_points(df: Any, score: str) -> list[dict[str, Any]]:
    """Per model from the rows alone (no summary): the mean score and a CLT 95% CI, mean ± 1.96·sd/√n, which
    treats every row as independent (labelled naive: repeats of one prompt are not independent)."""
    import pandas as pd

    providers = _providers(df)
    data = df.assign(_score=pd.to_numeric(df[score], errors="coerce").astype(float),
                     _cost=pd.to_numeric(_col(df, "cost_usd"), errors="coerce").astype(float))
    data = data[data["_score"].notna()]
    grouped = data.groupby("model", sort=False).agg(score=("_score", "mean"), sd=("_score", "std"),
                                                    cost=("_cost", "mean"), n=("_score", "size"))
    points = []
    for model, r in grouped.iterrows():
        half = 1.96 * float(r["sd"]) / math.sqrt(int(r["n"])) if r["n"] > 1 else math.nan
        points.append({"model": str(model), "provider": providers.get(str(model), ""), "y": float(r["score"]),
                       "lo": float(r["score"]) - half, "hi": float(r["score"]) + half, "n": int(r["n"]),
                       "x": 0.0 if math.isnan(r["cost"]) else float(r["cost"]), "hollow": bool(math.isnan(r["cost"]))})
    return points


def _summary_score_points(df: Any, summary: Any, score: str) -> list[dict[str, Any]]:
    """Per model from the evaluation's summary: its mean, its 95% CI as given (clustered by prompt there; not
    recomputed here), its cost per request and its counts; models with no score are left out."""
    import pandas as pd

    need = ["model", f"{score}_mean", f"{score}_ci95_low", f"{score}_ci95_high"]
    missing = [c for c in need if c not in summary]
    if missing:
        from multimodel.errors import ConfigError

        raise ConfigError(f"score_vs_cost: the summary has no {', '.join(map(repr, missing))} column; pass "
                          f"ev.summary() of an evaluation scored with {score!r}, or summary=None to use the rows")
    providers = _providers(df) if "model" in df else {}
    row_costs: dict[str, float] = {}
    row_counts: dict[str, int] = {}  # an older summary without counts or costs: those of the rows
    if "cost_usd_mean" not in summary and "model" in df:
        row_costs = pd.to_numeric(df["cost_usd"], errors="coerce").groupby(df["model"].astype(str)).mean().to_dict()
    if f"{score}_samples" not in summary and score in df and "model" in df:
        row_counts = df[score].notna().groupby(df["model"].astype(str)).sum().to_dict()
    groups = [c for c in summary.attrs.get("groups", ["model"]) if c != "model" and c in summary]
    points = []
    for rec in summary.to_dict("records"):
        model, y = str(rec["model"]), _number(rec[f"{score}_mean"])
        label = " · ".join([model, *(str(rec[c]) for c in groups)])  # a summary by model and system: both
        if math.isnan(y):
            continue
        prompts = _number(rec.get(f"{score}_prompts"))
        samples = _number(rec[f"{score}_samples"] if f"{score}_samples" in rec else row_counts.get(model))
        cost = _number(rec["cost_usd_mean"]) if "cost_usd_mean" in rec else _number(row_costs.get(model))
        points.append({"model": label, "provider": providers.get(model, model.split("/", 1)[0]), "y": y,
                       "lo": _number(rec[f"{score}_ci95_low"]), "hi": _number(rec[f"{score}_ci95_high"]),
                       "n": int(samples) if not math.isnan(samples) else 0, "n_text": _count_text(prompts, samples),
                       "x": 0.0 if math.isnan(cost) else cost, "hollow": math.isnan(cost)})
    return points


def _error_bars(ax: Any, points: list[dict[str, Any]]) -> list[Any]:
    """A vertical 95% CI bar per point that has one, in its provider's colour; returns the bars' lines."""
    lines = []
    for p in points:
        if math.isnan(p["lo"]) or math.isnan(p["hi"]):
            continue
        below, above = max(p["y"] - p["lo"], 0.0), max(p["hi"] - p["y"], 0.0)
        bars = ax.errorbar([p["x"]], [p["y"]], yerr=[[below], [above]], fmt="none", ecolor=colour(p["provider"]),
                           elinewidth=1.2, capsize=4, capthick=1.2, alpha=0.8, zorder=2.5,
                           label=f"_ci95 {p['model']}")
        lines.extend(bars.lines[2])
    return lines


def _honest_score_limits(ax: Any, points: list[dict[str, Any]], bounded: bool) -> None:
    """A y axis from 0 (and to 1 for a score in [0, 1]) that also holds every CI: a narrow band of a wide
    scale is never zoomed into, so 3 against 6 hits out of 96 does not look like a 2x gap."""
    values = [v for p in points for v in (p["y"], p["lo"], p["hi"]) if not math.isnan(v)]
    low, high = min([0.0, *values]), max([1.0 if bounded else 0.0, *values])
    if high == low:
        high = low + 1.0
    pad = 0.05 * (high - low)  # a marker or cap at 0 or 1 stays whole inside the frame
    ax.set_ylim(low - pad, high + pad)


def score_vs_cost(df: Any, *, score: str | None = None, summary: Any = None, ax: Any = None,
                  title: str | None = None) -> Any:
    """Score vs cost per request per model, with 95% CI error bars and each point's n; the Pareto front
    (cheaper and better, on the means) is marked.

    ``score`` names the column (default: the first of ``score_columns(df)``, else ``score``). ``summary`` is
    the evaluation's summary (``ev.summary()``, which ``ev.plot`` passes): its ``{score}_mean`` and
    ``{score}_ci95_low/_high`` (a CI clustered by prompt), ``{score}_prompts``, ``{score}_samples`` and
    ``cost_usd_mean`` are drawn as they are. Without one, the mean per model and a naive CLT interval
    (mean ± 1.96·sd/√n, rows treated as independent) come from the rows, and the legend says so.
    The y axis starts at 0 (and spans 0 to 1 for a score in [0, 1]); the cost axis starts at 0.
    """
    import pandas as pd

    if score is None:
        found = score_columns(df)
        score = found[0] if found else "score"
    df = _frame(df)
    if summary is None and score not in df:
        from multimodel.errors import ConfigError

        raise ConfigError(f"score_vs_cost needs a {score!r} column (ev.df after scoring); columns: {list(df.columns)}")
    summary = None if summary is None else _frame(summary)
    points = _row_score_points(df, score) if summary is None else _summary_score_points(df, summary, score)
    fig, ax, created = _scatter_axes(ax)
    bars = _error_bars(ax, points)
    _scatter_models(ax, points, front_label="Pareto front (cheaper and better)", higher_y_better=True, avoid=bars)
    counts = [p["n"] for p in points]
    ax.set_xlabel(f"cost per request (USD), {n_phrase(counts, 'mean')}")
    ax.set_ylabel(f"{score} ({'one request per model' if counts and max(counts) == 1 else 'mean per model'})")
    ax.set_title(_title("Score vs cost" if score == "score" else f"Score vs cost: {score}", df, title))
    xmax = max((p["x"] for p in points), default=0.0)
    ax.set_xlim(0, xmax * 1.3 if xmax > 0 else None)
    values = pd.to_numeric(df[score], errors="coerce").astype(float).dropna() if score in df else pd.Series(dtype=float)
    means = [p["y"] for p in points]
    _honest_score_limits(ax, points, bounded=bool(((values >= 0) & (values <= 1)).all())
                         and all(0 <= m <= 1 for m in means))
    usd_axis(ax.xaxis)
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if bars:
        from matplotlib.lines import Line2D

        cluster = str((summary.attrs.get("cluster") if summary is not None else None) or "prompt")
        handles.append(Line2D([], [], color="#555555", marker="|", markersize=11, markeredgewidth=1.2, linestyle=""))
        labels.append(CI_NAIVE if summary is None else CI_CLUSTERED.format(cluster=cluster))
    _legend(ax, handles, labels)
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


def chart_notes(df: Any) -> dict[str, str]:
    """The charts that have nothing to show for these rows, each with the one line that says why (a report
    prints the line instead of drawing an empty chart)."""
    frame = _frame(df)
    if not len(frame):
        return {}
    live = live_rows(frame)
    notes: dict[str, str] = {}
    if not len(live):
        for name in ("cost_vs_latency", "latency_distribution", "tokens_per_second"):
            notes[name] = NO_LIVE_ROWS
    elif not measured_ttft(live).notna().any():
        notes["tokens_per_second"] = NOT_STREAMED
    elif not measured_tps(live).notna().any():
        notes["tokens_per_second"] = "no live, streamed row has token counts, so no speed could be measured"
    scores = score_columns(df)
    if scores and not any(frame[c].notna().any() for c in scores):
        notes["score_vs_cost"] = f"every score is empty ({', '.join(scores)})"
    return notes


def available_charts(df: Any) -> list[str]:
    """The chart names that have something to show for these rows (see ``chart_notes`` for the others);
    ``score_vs_cost`` only when a score column has values.

    Takes a frame, or an Evaluation whose ``score_columns`` name its scores.
    """
    frame = _frame(df)
    notes = chart_notes(df)
    names = [n for n in CHARTS if n != "score_vs_cost" and n not in notes]
    if any(frame[c].notna().any() for c in score_columns(df)):
        names.append("score_vs_cost")
    return names


class PlotAccessor:
    """``cmp.plot.<chart>()`` / ``ev.plot.<chart>()``: the module's charts bound to one results frame.

    ``df`` is a DataFrame, an object with ``.df``, or a callable returning one (evaluated on each call);
    ``score_columns`` names the score columns ``score_vs_cost`` uses (default: ``score_columns(df)``);
    ``summary`` is the evaluation's summary, a callable returning it (``ev.summary``) or the frame itself:
    ``score_vs_cost`` draws its means and clustered CIs instead of a naive interval from the rows.
    """

    def __init__(self, df: Any, *, score_columns: list[str] | None = None,
                 summary: Callable[[], Any] | Any | None = None) -> None:
        self._df = df
        self._scores = list(score_columns) if score_columns else None
        self._summary = summary

    @property
    def df(self) -> Any:
        return self._df() if callable(self._df) else _frame(self._df)

    @property
    def score_columns(self) -> list[str]:
        return self._scores if self._scores is not None else score_columns(self.df)

    def summary(self) -> Any:
        """The summary ``score_vs_cost`` draws from, or None (then the rows give a naive CI)."""
        return self._summary() if callable(self._summary) else self._summary

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
        if "summary" not in kwargs:
            kwargs["summary"] = self.summary()
        return score_vs_cost(self.df, score=score, **kwargs)

    def all(self) -> dict[str, Any]:
        """Every chart that has something to show, by name (``score_vs_cost`` for the first score column)."""
        df = self.df
        out = {name: CHARTS[name](df) for name in available_charts(df) if name != "score_vs_cost"}
        cols = [c for c in self.score_columns if c in df and df[c].notna().any()]
        if cols:
            out["score_vs_cost"] = self.score_vs_cost(cols[0])
        return out

    def notes(self) -> dict[str, str]:
        """The charts left out of ``all()``, each with why (``chart_notes``)."""
        return chart_notes(self.df)

    def save(self, fig: Any, path: str | Path, **kwargs: Any) -> Path:
        """``save(fig, path)`` stamped with this frame's providers and mode."""
        return save(fig, path, df=self.df, **kwargs)

    def save_all(self, folder: str | Path, formats: Sequence[str] = ("png", "svg"), *, dpi: float = 150) -> list[Path]:
        """Every chart that can be drawn for these rows, saved (stamped, as ``save``) as
        ``<folder>/<chart>.<format>`` for each format; returns the paths written, in order.

        The folder is created. With several score columns there is one ``score_vs_cost_<score>`` per column.
        A chart that cannot be drawn (no streamed row, no live row, an empty score) is skipped, and one
        warning names every skipped chart and why. Figures are drawn outside pyplot (``detached``), so none
        is left open. ``formats``: any that matplotlib writes (png, svg, pdf, eps, jpg, webp, ...).
        """
        from multimodel.errors import ConfigError, warn_user

        exts = _check_formats(formats)
        df = self.df
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        skipped = {n: why for n, why in chart_notes(df).items() if n != "score_vs_cost"}
        if not len(df):
            skipped["every chart"] = "no rows"
        jobs = [(name, lambda name=name: CHARTS[name](df)) for name in available_charts(df)
                if name != "score_vs_cost"] if len(df) else []
        scores = [c for c in self.score_columns if c in df] if len(df) else []
        summary = self.summary() if scores else None
        for col in scores:
            name = "score_vs_cost" if len(scores) == 1 else f"score_vs_cost_{_file_part(col)}"
            if not df[col].notna().any():
                skipped[name] = f"every {col!r} score is empty"
                continue
            jobs.append((name, lambda col=col: score_vs_cost(df, score=col, summary=summary)))
        paths: list[Path] = []
        with detached():
            for name, draw in jobs:
                try:
                    fig = draw()
                except ConfigError as exc:  # a chart that cannot be drawn for these rows: say so, keep the others
                    skipped[name] = str(exc)
                    continue
                paths.extend(save(fig, folder / f"{name}.{ext}", df=df, dpi=dpi) for ext in exts)
                _release(fig)
        if skipped:
            warn_user(f"save_all: not drawn: {'; '.join(f'{n} ({why})' for n, why in skipped.items())}", UserWarning)
        return paths

    def __dir__(self) -> list[str]:
        return [*CHARTS, "all", "notes", "save", "save_all", "summary", "df"]

    def __repr__(self) -> str:
        return f"<PlotAccessor: {', '.join(CHARTS)}; .all(), .notes(), .save(fig, path), .save_all(folder)>"


def _file_part(name: str) -> str:
    """A column name made safe as part of a file name."""
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._") or "score"


def _release(fig: Any) -> None:
    """Let go of a figure drawn for export: closed in pyplot if pyplot holds it, else just dropped."""
    if getattr(fig.canvas, "manager", None) is not None:
        _pyplot().close(fig)


def supported_formats() -> dict[str, str]:
    """The file formats matplotlib can write here, by extension ("png": "Portable Network Graphics", ...)."""
    from matplotlib.backend_bases import FigureCanvasBase

    return dict(FigureCanvasBase.get_supported_filetypes())


def _check_formats(formats: str | Sequence[str]) -> list[str]:
    """The formats as lower-case extensions without dots; ConfigError naming matplotlib's list otherwise."""
    from multimodel.errors import ConfigError

    items = [formats] if isinstance(formats, str) else list(formats)
    exts = list(dict.fromkeys(str(f).lower().lstrip(".") for f in items))
    known = supported_formats()
    unknown = [f for f in exts if f not in known]
    if unknown or not exts:
        raise ConfigError(f"unknown chart format(s) {unknown or items!r}; choose from what matplotlib writes: "
                          f"{', '.join(sorted(known))}")
    return exts


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


@contextlib.contextmanager
def reproducible() -> Iterator[None]:
    """Vector output that is the same bytes for the same figure: SVG element ids from a fixed salt instead
    of a random one (matplotlib's default)."""
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "multimodel"}):
        yield


def export_metadata(fmt: str, stamp: str | None = None) -> dict[str, Any]:
    """savefig metadata for ``fmt`` with no creation time (so exports are reproducible) and the stamp; empty for a
    format whose writer takes no metadata (jpg, webp, tiff, ...: the stamp drawn in the image is all they keep)."""
    key = {"png": "Description", "svg": "Description", "svgz": "Description", "pdf": "Subject"}.get(fmt)
    if key is None:
        return {}
    meta: dict[str, Any] = {key: stamp} if stamp else {}
    if fmt in ("svg", "svgz"):
        meta["Date"] = None
    elif fmt == "pdf":
        meta["CreationDate"] = None
    return meta


def save(fig: Any, path: str | Path, *, df: Any = None, endpoints: list[str] | None = None,
         simulated: bool | None = None, dpi: float = 150) -> Path:
    """Save as PNG, SVG, PDF or any format matplotlib writes (by extension), stamped with date, version,
    price-table date, endpoints, mode.

    The mode (SIMULATED or live) comes from ``simulated`` or else from the rows of ``df``.
    The stamp is drawn in the figure's bottom-left corner and written to the file's metadata
    (PNG/SVG ``Description``, PDF ``Subject``). Saving the same figure again replaces the stamp. The same
    figure saved the same day gives the same bytes in PNG, SVG and PDF (no creation time, fixed SVG ids).
    ``dpi`` sets the resolution of raster formats.
    """
    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    if ext not in supported_formats():
        from multimodel.errors import ConfigError

        raise ConfigError(f"save as one of the formats matplotlib writes (by the file's extension): "
                          f"{', '.join('.' + f for f in sorted(supported_formats()))}; got {path.name!r}")
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
    meta = export_metadata(ext, stamp)
    with reproducible():
        fig.savefig(path, dpi=dpi, **({"metadata": meta} if meta else {}))
    return path


__all__ = [
    "CHARTS",
    "NOT_STREAMED",
    "PROVIDER_COLOURS",
    "PlotAccessor",
    "available_charts",
    "chart_notes",
    "colour",
    "cost_breakdown",
    "cost_scale",
    "cost_vs_latency",
    "detached",
    "export_metadata",
    "finish_figure",
    "is_simulated",
    "label_points",
    "latency_distribution",
    "live_rows",
    "measured_tps",
    "measured_ttft",
    "new_figure",
    "pareto_front",
    "point_labels",
    "reproducible",
    "save",
    "score_columns",
    "score_vs_cost",
    "shorten",
    "shorten_middle",
    "stamp_text",
    "streamed",
    "supported_formats",
    "tokens_per_second",
    "usd",
    "usd_axis",
]
