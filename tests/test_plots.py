"""Charts: one series per model, readable labels and units, NaN cost, SIMULATED in the title, stamped export.

``sample_results`` / ``sample_frame`` are shared with test_notebook, test_report and test_browser.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.collections import PathCollection

import multimodel as mm
from multimodel import plots
from multimodel.comparison import Comparison
from multimodel.results import Result, ResultError, ToolCall, results_to_frame

MODELS = [
    "openai/gpt-5.4",
    "anthropic/claude-sonnet-4-6",
    "deepseek/deepseek-reasoner",
    "openrouter/meta-llama/llama-4-maverick",
    "gemini/gemini-unpriced-x",
    "xai/grok-3-mini",
]
EVIL = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def sample_results(*, simulated: bool = True, jitter: float = 0.0) -> list[Result]:
    """Six models: markdown, reasoning, tool calls, provider-reported cost, unknown price, and a failure."""
    j = jitter
    return [
        Result(model=MODELS[0], provider="openai", response_model="gpt-5.4-2026-03-05",
               content="The sky is **blue** because of Rayleigh scattering.\n\n"
                       "- short waves scatter more\n- we see blue",
               reasoning=None, finish_reason="stop", prompt_tokens=20, completion_tokens=60, cached_tokens=0,
               cost_usd=(20 * 2.5 + 60 * 15.0) / 1e6, cost_source="price_table", ttft_s=0.40 + j, ttfat_s=0.40 + j,
               e2e_s=2.10 + j, simulated=simulated, stream=True),
        Result(model=MODELS[1], provider="anthropic", content=f"The sky is blue due to Rayleigh scattering. {EVIL}",
               reasoning="Think about scattering of sunlight by air molecules.",
               tool_calls=[ToolCall(id="c1", name="lookup_fact", arguments={"topic": "rayleigh <b>"},
                                    arguments_raw='{"topic": "rayleigh <b>"}')],
               finish_reason="tool_calls", prompt_tokens=25, completion_tokens=90, reasoning_tokens=30,
               cost_usd=(25 * 3.0 + 90 * 15.0) / 1e6, cost_source="price_table", ttft_s=0.9 + j, ttfat_s=1.2 + j,
               e2e_s=3.4 + j, simulated=simulated, stream=True),
        Result(model=MODELS[2], provider="deepseek", content="Sunlight scatters off air molecules; blue scatters most.",
               reasoning="Rayleigh: intensity ~ 1/lambda^4.", finish_reason="stop", prompt_tokens=2000,
               completion_tokens=400, reasoning_tokens=300, cached_tokens=1500,
               cost_usd=(500 * 0.14 + 1500 * 0.0028 + 400 * 0.28) / 1e6, cost_source="price_table",
               ttft_s=1.5 + j, ttfat_s=4.0 + j, e2e_s=6.0 + j, simulated=simulated, stream=True),
        Result(model=MODELS[3], provider="openrouter", content="Because of Rayleigh scattering, the sky looks blue.",
               finish_reason="stop", prompt_tokens=22, completion_tokens=40, cost_usd=0.00021,
               cost_source="provider", ttft_s=0.7 + j, e2e_s=1.6 + j, simulated=simulated, stream=True),
        Result(model=MODELS[4], provider="gemini", content="Blue light is scattered more than red light.",
               finish_reason="stop", prompt_tokens=18, completion_tokens=30, ttft_s=0.3 + j, e2e_s=0.9 + j,
               simulated=simulated, stream=True),
        Result(model=MODELS[5], provider="xai", finish_reason="error", e2e_s=0.2,
               error=ResultError(kind="rate_limit", status=429, message="Too many requests <slow down>",
                                 retry_after_s=2.0), simulated=simulated),
    ]


def sample_comparison(*, simulated: bool = True) -> Comparison:
    return Comparison(prompt="Why is the sky blue? <b>two sentences</b>", results=sample_results(simulated=simulated),
                      simulated=simulated)


def sample_frame(*, simulated: bool = True, repeats: int = 3, score: bool = True) -> pd.DataFrame:
    """An evaluation-like frame: several rows per model, one cache replay, a score column."""
    results: list[Result] = []
    for k in range(repeats):
        results.extend(sample_results(simulated=simulated, jitter=0.1 * k))
    results[0].cached = True  # a replay: kept in cost, left out of latency
    df = results_to_frame(results)
    if score:
        df["score"] = [(0.5 + 0.08 * (i % len(MODELS))) if pd.isna(df["error_kind"].iloc[i]) else 0.0
                       for i in range(len(df))]
    return df


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


# ------------------------------------------------------------------------------------------- charts
def _drawn_labels(fig) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for t in plots.point_labels(fig)]


def _tick_texts(axis) -> list[str]:
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def test_cost_vs_latency_one_point_per_live_model_with_n_and_pareto():
    df = sample_frame()
    fig = plots.cost_vs_latency(df)
    ax = fig.axes[0]
    labels = _legend_texts(ax)
    ok_models = MODELS[:5]  # xai failed on every row: not plotted
    for m in ok_models:
        assert any(t.startswith(m) for t in labels), (m, labels)
    assert not any(t.startswith(MODELS[5]) for t in labels)
    assert f"{MODELS[4]} (cost unknown)" in labels
    assert "Pareto front (cheaper and faster)" in labels
    assert len(ax.collections) == len(ok_models)
    assert ax.get_xlabel() == "end-to-end latency (s), median per model"
    assert ax.get_ylabel() == "cost (USD), mean per model"
    assert ax.get_title() == "Cost vs latency — SIMULATED"
    # every point says how many requests it stands for: openai lost its cache replay, the others have 3
    assert sorted(_drawn_labels(fig)) == sorted(["gpt-5.4 (n=2)", "claude-sonnet-4-6 (n=3)",
                                                 "deepseek-reasoner (n=3)", "meta-llama/llama-4-maverick (n=3)",
                                                 "gemini-unpriced-x (n=3)"])
    ticks = _tick_texts(ax.yaxis)
    assert ticks and all(t.startswith("$") for t in ticks), ticks  # US dollars, as in the tables


def test_one_request_per_model_is_not_called_a_mean_or_median():
    fig = plots.cost_vs_latency(sample_comparison().df)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "end-to-end latency (s), one request per model"
    assert ax.get_ylabel() == "cost (USD), one request per model"
    labels = _drawn_labels(fig)
    assert "gpt-5.4" in labels and not any("n=" in t for t in labels)
    texts = [ax.get_xlabel(), ax.get_ylabel(), *labels]
    assert not any("mean" in t or "median" in t for t in texts), texts
    fig = plots.tokens_per_second(sample_comparison().df)
    assert fig.axes[0].get_xlabel() == "tokens/s after the first token, one request per model"
    assert not any("n=" in t.get_text() for t in fig.axes[0].texts)
    fig = plots.latency_distribution(sample_comparison().df)
    assert fig.axes[0].get_yticklabels()[0].get_text() == f"{MODELS[0]} (1 request)"


def test_latency_distribution_live_rows_only():
    df = sample_frame()
    fig = plots.latency_distribution(df)
    ttft_ax, e2e_ax = fig.axes[:2]
    assert ttft_ax.get_xlabel() == "time to first token (s)"
    assert e2e_ax.get_xlabel() == "end-to-end latency (s)"
    ticks = [t.get_text() for t in ttft_ax.get_yticklabels()]
    assert ticks == [f"{MODELS[0]} (n=2)", *(f"{m} (n=3)" for m in MODELS[1:5]), f"{MODELS[5]} (no live rows)"]
    # one dot series per model with live rows, in both panels; xai (all failed) says so instead
    series = [c.get_label() for c in e2e_ax.collections]
    assert series == MODELS[:5]
    openai_dots = e2e_ax.collections[0].get_offsets()
    assert len(openai_dots) == 2  # 3 rows, one cache replay left out
    title = fig._suptitle.get_text()
    assert "SIMULATED" in title and "live rows only" in title and "1 cache replay" in title
    assert "3 failed requests" in title
    texts = [t.get_text() for t in ttft_ax.texts]
    assert "no live rows (failed or cache replays)" in texts
    # one colour per provider, the same as in the other charts
    assert matplotlib.colors.to_hex(e2e_ax.collections[0].get_facecolor()[0]) == plots.colour("openai")


def test_tokens_per_second_one_bar_per_model_with_n():
    df = sample_frame()
    fig = plots.tokens_per_second(df)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "tokens/s after the first token, median per model (dots: each request)"
    assert len(ax.containers) == 5
    bar = ax.containers[0].patches[0]
    live_openai = df[(df["model"] == MODELS[0]) & ~df["cached"]]["output_tps"]
    assert bar.get_width() == pytest.approx(live_openai.median())
    assert matplotlib.colors.to_hex(bar.get_facecolor()) == plots.colour("openai")
    assert ax.get_title() == "Output tokens per second — SIMULATED"
    values = [t.get_text() for t in ax.texts if " · n=" in t.get_text()]
    assert values[0] == f"{live_openai.median():,.0f} · n=2" and len(values) == 5


def test_cost_breakdown_segments_sum_to_reported_cost():
    df = sample_frame(repeats=1, score=False)
    fig = plots.cost_breakdown(df)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [plots.shorten(m) for m in MODELS]
    assert _legend_texts(ax) == ["input", "cached input", "reasoning output", "answer output",
                                 "reported total (no price split)"]
    assert ax.get_xlabel() == "cost per request (USD), one request per model"
    # deepseek: input, cached input, reasoning and output segments add up to the row's cost (in USD)
    ds_bars = [p for c in ax.containers for p in c.patches if abs(p.get_y() + p.get_height() / 2 - 3) < 1e-9]
    assert len(ds_bars) == 4
    total = sum(p.get_width() for p in ds_bars)
    ds_cost = df.loc[df["model"] == MODELS[2], "cost_usd"].iloc[0]
    assert total == pytest.approx(ds_cost)
    # reasoning share = 300 of 400 output tokens at the output price
    widths = {c.get_label(): c.patches[0].get_width() for c in ax.containers
              if abs(c.patches[0].get_y() + c.patches[0].get_height() / 2 - 3) < 1e-9}
    assert widths["reasoning output"] == pytest.approx(300 * 0.28 / 1e6)
    # openrouter llama: provider-reported cost, no table price → one grey "reported" segment
    or_bars = [c for c in ax.containers if abs(c.patches[0].get_y() + c.patches[0].get_height() / 2 - 2) < 1e-9]
    assert [c.get_label() for c in or_bars] == ["reported total (no price split)"]
    assert or_bars[0].patches[0].get_width() == pytest.approx(0.00021)
    texts = [t.get_text() for t in ax.texts]
    assert "cost unknown (no price for this model)" in texts  # unpriced gemini
    assert "cost unknown (every request failed)" in texts  # xai
    assert plots.usd(ds_cost) in texts and plots.usd(ds_cost) == "$0.000186"  # the same unit as the tables
    fig = plots.cost_breakdown(sample_frame())
    assert fig.axes[0].get_xlabel() == "cost per request (USD), mean per model"
    assert "$0.000950 · n=3" in [t.get_text() for t in fig.axes[0].texts]


def test_score_vs_cost_and_missing_score():
    df = sample_frame()
    fig = plots.score_vs_cost(df)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "score (mean per model)" and ax.get_xlabel() == "cost per request (USD), mean per model"
    labels = _legend_texts(ax)
    assert all(any(t.startswith(m) for t in labels) for m in MODELS)
    drawn = _drawn_labels(fig)
    assert "grok-3-mini (n=3)" in drawn and len(drawn) == len(MODELS)
    with pytest.raises(mm.ConfigError, match="needs a 'score' column"):
        plots.score_vs_cost(df.drop(columns=["score"]))


def test_costs_are_us_dollars_in_every_chart():
    """One unit everywhere: no cents, no micro-dollars; tick labels carry the decimals small costs need."""
    df = sample_frame()
    for name in ("cost_vs_latency", "cost_breakdown", "score_vs_cost"):
        fig = plots.CHARTS[name](df)
        fig.canvas.draw()
        ax = fig.axes[0]
        words = " ".join([ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.texts)])
        assert "cents" not in words and "µ$" not in words and "USD" in words, (name, words)
        axis = ax.yaxis if name == "cost_vs_latency" else ax.xaxis
        ticks = _tick_texts(axis)
        assert ticks[0] == "$0" and all(t.startswith("$") for t in ticks), (name, ticks)
        assert len(set(ticks)) == len(ticks), ticks  # enough decimals that no two ticks read the same
    assert plots.usd(0.0012) == "$0.00120" and plots.usd(12.3) == "$12.30" and plots.usd(math.nan) == "n/a"
    assert plots.cost_scale(0.0001) == (1.0, "USD")


def test_real_rows_have_no_simulated_label_and_nan_cost_is_handled():
    df = sample_frame(simulated=False)
    df["cost_usd"] = math.nan
    for name in plots.CHARTS:
        fig = plots.CHARTS[name](df)
        titles = [ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""]
        assert not any("SIMULATED" in t for t in titles), name
    fig = plots.cost_breakdown(df)
    assert sum(1 for t in fig.axes[0].texts if t.get_text().startswith("cost unknown")) == len(MODELS)
    fig = plots.cost_vs_latency(df)
    assert all(t.endswith("(cost unknown)") for t in _legend_texts(fig.axes[0]))


def test_comparison_plot_accessor_and_module_functions_agree():
    cmp = sample_comparison()
    assert set(plots.available_charts(cmp.df)) == set(plots.CHARTS) - {"score_vs_cost"}
    fig = cmp.plot.tokens_per_second()
    assert fig.axes[0].get_title().endswith("SIMULATED")
    figs = cmp.plot.all()
    assert list(figs) == plots.available_charts(cmp.df)
    assert "cost_breakdown" in dir(cmp.plot)
    assert mm.plot.cost_vs_latency(cmp).axes[0].get_title() == "Cost vs latency — SIMULATED"
    with pytest.raises(mm.ConfigError):
        plots.cost_vs_latency([1, 2, 3])


def test_colour_is_stable_per_provider():
    assert plots.colour("openai") == plots.PROVIDER_COLOURS["openai"]
    assert plots.colour("groq") == plots.colour("groq")
    assert plots.pareto_front([(1, 5), (2, 3), (3, 4), (4, 1)]) == [0, 1, 3]


# ------------------------------------------------------------------------------------------- export
@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_save_writes_stamped_file(tmp_path, ext):
    df = sample_frame()
    fig = plots.latency_distribution(df)
    path = plots.save(fig, tmp_path / f"sub/chart.{ext}", df=df)
    data = path.read_bytes()
    assert len(data) > 2000
    stamp = plots.stamp_text(df)
    assert "SIMULATED" in stamp and "multimodel " + mm.__version__ in stamp
    assert "prices as of 2" in stamp and "openai" in stamp and "xai" in stamp
    if ext == "png":
        from PIL import Image

        with Image.open(path) as im:
            assert im.info["Description"] == stamp
            assert im.size[0] > 800
    elif ext == "svg":
        text = data.decode()
        assert stamp.split(" · ")[1] in text and "SIMULATED" in text
    else:
        assert data.startswith(b"%PDF")
    # saving again replaces the stamp instead of drawing a second one
    plots.save(fig, tmp_path / f"again.{ext}", df=df, endpoints=["https://api.example/v1"])
    stamps = [t for t in fig.texts if "multimodel" in t.get_text()]
    assert len(stamps) == 1 and "https://api.example/v1" in stamps[0].get_text()


def test_save_rejects_unknown_extension(tmp_path):
    fig = plots.cost_vs_latency(sample_frame())
    with pytest.raises(mm.ConfigError, match=r"matplotlib writes.*\.pdf, .*\.png, .*\.svg.*got 'chart\.docx'"):
        plots.save(fig, tmp_path / "chart.docx")
    with pytest.raises(mm.ConfigError, match="got 'chart'"):
        plots.save(fig, tmp_path / "chart")
    # any format matplotlib writes is fine; one with no metadata keeps the stamp drawn in the image
    assert plots.save(fig, tmp_path / "chart.jpg", df=sample_frame()).read_bytes().startswith(b"\xff\xd8\xff")


# ------------------------------------------------------------------------------------------- labels never overlap
def _clustered_frame(n_models: int, seed: int, *, repeats: int = 3) -> pd.DataFrame:
    """``n_models`` models whose points crowd into one small region of the chart, with a score column."""
    import numpy as np

    rng = np.random.default_rng(seed)
    providers = ["openai", "anthropic", "gemini", "xai", "deepseek", "openrouter"]
    results = []
    for i in range(n_models):
        p = providers[i % len(providers)]
        e2e, cost = 1.0 + rng.normal(0, 0.06), 0.001 + rng.normal(0, 0.00004)
        for k in range(repeats):
            results.append(Result(model=f"{p}/model-with-a-long-name-{i}", provider=p, content="x",
                                  finish_reason="stop", prompt_tokens=10, completion_tokens=50, cost_usd=cost,
                                  ttft_s=0.3, e2e_s=e2e + 0.01 * k, simulated=True, stream=True))
    df = results_to_frame(results)
    df["score"] = [0.5 + 0.01 * ((i // repeats) % 4) for i in range(len(df))]
    return df


def _demo_frame() -> pd.DataFrame:
    """The rows ``multimodel demo --simulated`` charts: its five models on its prompt, from the simulator."""
    from multimodel.cli import DEMO_MODELS, DEMO_PROMPT

    client = mm.Client.simulated(cache=False)
    return client.compare(DEMO_PROMPT, models=DEMO_MODELS, stream=True, live=False).df


def _assert_labels_apart(fig, expected: int | None = None) -> list:
    """Draw ``fig``; no two point labels' boxes (from the renderer) intersect, none touches a marker, none
    leaves its axes. Returns the boxes."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for ax in fig.axes:
        frame = ax.get_window_extent(renderer)
        for text in plots.point_labels(ax):
            box = text.get_window_extent(renderer)
            assert box.width > 0 and box.height > 0
            assert (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1), (
                f"label {text.get_text()!r} leaves the axes: {box} not in {frame}")
            boxes.append((text.get_text(), box))
        markers = [ax.transData.transform(xy) for c in ax.collections if isinstance(c, PathCollection)
                   for xy in c.get_offsets()]  # scatter markers (error bars are LineCollections)
        for name, box in boxes:
            for x, y in markers:
                assert not box.contains(x, y), f"label {name!r} covers a marker centre at {(x, y)}"
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[:i]:
            assert not box_a.overlaps(box_b), f"labels {a!r} and {b!r} overlap: {box_a} / {box_b}"
    if expected is not None:
        assert len(boxes) == expected, [n for n, _ in boxes]
    return boxes


def test_demo_chart_labels_do_not_overlap(tmp_path):
    df = _demo_frame()
    fig = plots.cost_vs_latency(df)
    boxes = _assert_labels_apart(fig, expected=5)
    assert {name for name, _ in boxes} == {m.split("/", 1)[1] for m in df["model"]}  # one request each: no n
    plots.save(fig, tmp_path / "demo.png", df=df)  # the stamp changes the layout: placed again, still apart
    _assert_labels_apart(fig, expected=5)


@pytest.mark.parametrize(("n_models", "seed"), [(8, 0), (12, 1), (16, 2), (24, 3)])
@pytest.mark.parametrize("chart", ["cost_vs_latency", "score_vs_cost"])
def test_many_close_points_labels_never_overlap(chart, n_models, seed):
    fig = plots.CHARTS[chart](_clustered_frame(n_models, seed))
    boxes = _assert_labels_apart(fig)
    if n_models <= 16:  # a crowded cluster still gets every label (further out, with a leader line)
        assert len(boxes) == n_models
    assert all(name.endswith("(n=3)") for name, _ in boxes)


def test_labels_are_placed_again_when_the_figure_changes_size():
    fig = plots.cost_vs_latency(_clustered_frame(12, 5))
    for size in ((8.5, 4.8), (7.0, 4.0), (12.0, 7.0)):
        fig.set_size_inches(*size)
        _assert_labels_apart(fig, expected=12)


def test_labels_on_axes_given_by_the_caller_and_far_labels_get_a_leader():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    plots.cost_vs_latency(_clustered_frame(16, 7), ax=axes[0])
    plots.score_vs_cost(_clustered_frame(16, 7), ax=axes[1])
    _assert_labels_apart(fig, expected=32)
    leaders = [line for ax in axes for line in ax.lines if line.get_visible() and line.get_color() == "#8c8c8c"]
    assert leaders  # a cluster of 16 cannot keep every label beside its marker


def test_label_layout_is_deterministic():
    def layout() -> list[tuple[str, tuple[float, ...]]]:
        fig = plots.cost_vs_latency(_clustered_frame(16, 4))
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        return [(t.get_text(), tuple(round(v, 3) for v in t.get_window_extent(r).extents))
                for t in plots.point_labels(fig)]

    assert layout() == layout()


# ------------------------------------------------------------------------------------------- not streamed
def _not_streamed(*, legacy: bool = False) -> pd.DataFrame:
    """Rows answered in one piece: ``ttft_s`` empty (or, as older files stored it, equal to ``e2e_s``)."""
    results = sample_results()
    for r in results:
        r.stream = False
        r.ttft_s = r.e2e_s if legacy else None
        r.ttfat_s = None
    return results_to_frame(results)


@pytest.mark.parametrize("legacy", [False, True])
def test_not_streamed_rows_draw_no_speed_or_ttft(legacy):
    df = _not_streamed(legacy=legacy)
    assert plots.measured_ttft(df).isna().all() and plots.measured_tps(df).isna().all()
    assert "tokens_per_second" not in plots.available_charts(df)
    assert plots.chart_notes(df) == {"tokens_per_second": plots.NOT_STREAMED}
    with pytest.raises(mm.ConfigError, match="not streamed"):
        plots.tokens_per_second(df)
    with pytest.raises(mm.ConfigError, match="stream=True"):
        plots.cost_vs_latency(df, latency="ttft_s")
    fig = plots.latency_distribution(df)  # end-to-end only, and the title says why
    assert [ax.get_xlabel() for ax in fig.axes] == ["end-to-end latency (s)"]
    assert plots.NOT_STREAMED in fig._suptitle.get_text()
    assert plots.cost_vs_latency(df).axes[0].get_xlabel().startswith("end-to-end latency")
    figs = plots.PlotAccessor(df).all()
    assert "tokens_per_second" not in figs and "latency_distribution" in figs


def test_partly_streamed_rows_say_which_model_was_not_streamed():
    results = sample_results()
    results[1].stream, results[1].ttft_s = False, None  # anthropic answered in one piece
    df = results_to_frame(results)
    fig = plots.latency_distribution(df)
    ttft_ax = fig.axes[0]
    assert ttft_ax.get_xlabel() == "time to first token (s)"
    assert "not streamed: not measured" in [t.get_text() for t in ttft_ax.texts]
    fig = plots.tokens_per_second(df)
    assert "not streamed: not measured" in [t.get_text() for t in fig.axes[0].texts]
    assert len(fig.axes[0].containers) == 4  # openai, deepseek, openrouter, gemini: not anthropic


# ------------------------------------------------------------------------------------------- score columns
def test_score_columns_of_a_frame_read_back_from_a_file():
    """What ``multimodel report results.parquet`` sees: no Evaluation, only the frame; its scores are the
    numeric columns after the Result columns, and numeric input columns before them are not scores."""
    df = results_to_frame(sample_results())
    df.insert(0, "prompt_index", range(len(df)))
    df.insert(1, "difficulty", [3] * len(df))  # a numeric column carried from the prompts file
    df["contains"] = [1.0, 0.0, 1.0, 1.0, 0.0, math.nan]
    df["judge"] = [True, False, True, True, False, None]
    df["note"] = "free text"  # not a score
    assert plots.score_columns(df) == ["contains", "judge"]
    assert plots.available_charts(df)[-1] == "score_vs_cost"
    df.attrs["score_columns"] = ["judge"]  # a writer that names them wins
    assert plots.score_columns(df) == ["judge"]
    assert plots.score_columns(pd.DataFrame({"model": ["a/b"], "x": [1.0]})) == []  # not a results table


# ------------------------------------------------------------------------------------------- reproducible export
@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_export_is_the_same_bytes_each_time(tmp_path, ext):
    df = sample_frame()
    first = plots.save(plots.cost_vs_latency(df), tmp_path / f"a.{ext}", df=df).read_bytes()
    again = plots.save(plots.cost_vs_latency(df), tmp_path / f"b.{ext}", df=df).read_bytes()
    assert first == again
    if ext == "svg":
        assert b"<dc:date>" not in first  # no creation time in the file


# ------------------------------------------------------------------------------------------- score vs cost: CI and n
FIVE = ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "gemini/gemini-2.5-flash", "deepseek/deepseek-chat",
        "xai/grok-3-mini"]


def _scored_rows(means: list[float], costs: list[float], *, prompts: int = 4, repeats: int = 3,
                 simulated: bool = True) -> pd.DataFrame:
    """Rows of an evaluation of the five models: ``prompts`` × ``repeats`` per model, a 0/1 ``contains`` score
    whose mean per model is close to ``means``, and a cost per request of ``costs``."""
    results, scores, prompt_ids = [], [], []
    for model, mean, cost in zip(FIVE, means, costs, strict=True):
        n = prompts * repeats
        hits = round(mean * n)
        for i in range(n):
            provider = model.split("/", 1)[0]
            results.append(Result(model=model, provider=provider, content="x", finish_reason="stop", prompt_tokens=10,
                                  completion_tokens=20, cost_usd=cost, e2e_s=1.0, ttft_s=0.2, stream=True,
                                  simulated=simulated))
            scores.append(1.0 if i < hits else 0.0)
            prompt_ids.append(i // repeats)
    df = results_to_frame(results)
    df["prompt_index"], df["contains"] = prompt_ids, scores
    return df


def _summary(means: list[float], lows: list[float], highs: list[float], costs: list[float], *, prompts: int = 4,
             samples: int = 12) -> pd.DataFrame:
    """An evaluation summary as ``ev.summary()`` gives it (only the columns the chart reads, and cost_usd_total)."""
    return pd.DataFrame({"model": FIVE, "contains_mean": means, "contains_ci95_low": lows, "contains_ci95_high": highs,
                         "contains_prompts": [prompts] * 5, "contains_samples": [samples] * 5,
                         "cost_usd_mean": costs, "cost_usd_total": [c * samples for c in costs]})


def _error_bars(ax) -> dict[str, list[tuple[float, float]]]:
    """Per model: the two ends (x, y) of its CI bar, read back from the ErrorbarContainer's LineCollection."""
    from matplotlib.container import ErrorbarContainer

    out = {}
    for container in ax.containers:
        if isinstance(container, ErrorbarContainer):
            (segment,) = container.lines[2][0].get_segments()
            out[container.get_label().removeprefix("_ci95 ")] = [tuple(map(float, end)) for end in segment]
    return out


def _markers(ax) -> dict[str, tuple[float, float]]:
    return {c.get_label().removesuffix(" (cost unknown)"): tuple(map(float, c.get_offsets()[0]))
            for c in ax.collections if isinstance(c, PathCollection)}


MEANS = [0.62, 0.58, 0.41, 0.06, 0.03]
COSTS = [0.0021, 0.0024, 0.0004, 0.0003, 0.0005]
# asymmetric, not what the rows would give: the chart must draw the summary's interval, not its own
LOWS = [0.5512345678901, 0.47, 0.3333333333333, 0.0, 0.0]
HIGHS = [0.7098765432109, 0.66, 0.5, 0.1411111111111, 0.09]


def test_score_vs_cost_draws_the_summarys_clustered_ci_and_n():
    df = _scored_rows(MEANS, COSTS)
    fig = plots.score_vs_cost(df, score="contains", summary=_summary(MEANS, LOWS, HIGHS, COSTS))
    ax = fig.axes[0]
    bars, markers = _error_bars(ax), _markers(ax)
    assert list(bars) == FIVE and list(markers) == FIVE
    for model, mean, low, high, cost in zip(FIVE, MEANS, LOWS, HIGHS, COSTS, strict=True):
        assert markers[model] == (cost, mean)  # the summary's mean and cost per request, as given
        (x0, y0), (x1, y1) = bars[model]
        assert x0 == x1 == cost
        assert y0 == pytest.approx(low, abs=1e-12) and y1 == pytest.approx(high, abs=1e-12)
    assert plots.CI_CLUSTERED.format(cluster="prompt") in _legend_texts(ax)
    assert plots.CI_NAIVE not in _legend_texts(ax)
    drawn = _drawn_labels(fig)
    assert sorted(drawn) == sorted(f"{m.split('/', 1)[1]}\nn=4 prompts, 12 samples" for m in FIVE)
    # one sample per prompt: the count says prompts only; a cluster named by the summary is named in the legend
    summary = _summary(MEANS, LOWS, HIGHS, COSTS, samples=4)
    summary.attrs["cluster"] = "topic"
    fig = plots.score_vs_cost(_scored_rows(MEANS, COSTS, repeats=1), score="contains", summary=summary)
    assert "gpt-5.4\nn=4 prompts" in _drawn_labels(fig)
    assert "95% CI, clustered by topic" in _legend_texts(fig.axes[0])
    # a summary without counts (written before they existed): the rows with a score give n
    older = _summary(MEANS, LOWS, HIGHS, COSTS).drop(columns=["contains_prompts", "contains_samples"])
    assert "gpt-5.4\nn=12" in _drawn_labels(plots.score_vs_cost(_scored_rows(MEANS, COSTS), score="contains",
                                                                 summary=older))


def test_the_accessor_takes_the_summary_as_a_callable():
    df = _scored_rows(MEANS, COSTS)
    calls = []

    def summary() -> pd.DataFrame:
        calls.append(1)
        return _summary(MEANS, LOWS, HIGHS, COSTS)

    acc = plots.PlotAccessor(lambda: df, score_columns=["contains"], summary=summary)
    bars = _error_bars(acc.score_vs_cost().axes[0])
    assert calls == [1] and bars["openai/gpt-5.4"][0][1] == pytest.approx(LOWS[0], abs=1e-12)
    assert "score_vs_cost" in acc.all() and len(calls) == 2
    naive = _error_bars(acc.score_vs_cost(summary=None).axes[0])  # an explicit None: the rows, naive CI
    assert naive["openai/gpt-5.4"][0][1] != pytest.approx(LOWS[0], abs=1e-6)
    with pytest.raises(mm.ConfigError, match=r"the summary has no 'contains_ci95_low', 'contains_ci95_high'"):
        plots.score_vs_cost(df, score="contains", summary=_summary(MEANS, LOWS, HIGHS, COSTS).drop(
            columns=["contains_ci95_low", "contains_ci95_high"]))


def test_score_vs_cost_without_a_summary_draws_a_labelled_naive_ci():
    df = sample_frame()  # 3 rows per model, one cache replay, a score column
    fig = plots.score_vs_cost(df)
    ax = fig.axes[0]
    assert any("naive CI (rows treated as independent)" in t for t in _legend_texts(ax))
    bars = _error_bars(ax)
    df = _scored_rows(MEANS, COSTS)
    bars = _error_bars(plots.score_vs_cost(df, score="contains").axes[0])
    rows = df.loc[df["model"] == FIVE[1], "contains"]
    half = 1.96 * rows.std(ddof=1) / math.sqrt(len(rows))  # mean ± 1.96·sd/√n: 12 rows as if independent
    (_, low), (_, high) = bars[FIVE[1]]
    assert low == pytest.approx(rows.mean() - half, abs=1e-12) and high == pytest.approx(rows.mean() + half, abs=1e-12)
    assert "gpt-5.4 (n=12)" in _drawn_labels(plots.score_vs_cost(df, score="contains"))
    # one request per model: no spread to measure, so no error bar (and no "n=1")
    one = plots.score_vs_cost(_scored_rows(MEANS, COSTS, prompts=1, repeats=1), score="contains").axes[0]
    assert _error_bars(one) == {} and not any("CI" in t for t in _legend_texts(one))


def test_score_axis_starts_at_zero_and_spans_zero_to_one():
    """3 against 6 hits out of 96: the intervals overlap, and the chart must not make it look like a 2x gap."""
    means = [3 / 96, 6 / 96, 4 / 96, 5 / 96, 5 / 96]
    lows, highs = [m - 0.03 for m in means], [m + 0.035 for m in means]
    fig = plots.score_vs_cost(_scored_rows(means, COSTS, prompts=96, repeats=1), score="contains",
                              summary=_summary(means, lows, highs, COSTS, prompts=96, samples=96))
    ax = fig.axes[0]
    bottom, top = ax.get_ylim()
    assert bottom <= min(lows) and bottom <= 0 and top >= 1 and top <= 1.1
    assert ax.get_xlim()[0] == 0
    ticks = _tick_texts(ax.xaxis)
    assert ticks[0] == "$0" and all(t.startswith("$") for t in ticks)
    # a CI reaching past 1 is shown whole
    fig = plots.score_vs_cost(_scored_rows(MEANS, COSTS), score="contains",
                              summary=_summary(MEANS, LOWS, [1.04, *HIGHS[1:]], COSTS))
    assert fig.axes[0].get_ylim()[1] >= 1.04
    # a score on another scale (a 0-10 grade) still starts at 0, and holds every interval, not cut at 1
    df = _scored_rows(MEANS, COSTS)
    df["grade"] = [6.0 + (i % 3) for i in range(len(df))]
    ax = plots.score_vs_cost(df, score="grade").axes[0]
    bottom, top = ax.get_ylim()
    highest = max(y for ends in _error_bars(ax).values() for _, y in ends)
    assert bottom <= 0 and 7 < highest <= top < 9
    df["delta"] = [-2.0 - (i % 3) for i in range(len(df))]  # negative scores: 0 is still on the axis
    ax = plots.score_vs_cost(df, score="delta").axes[0]
    bottom, top = ax.get_ylim()
    lowest = min(y for ends in _error_bars(ax).values() for _, y in ends)
    assert bottom <= lowest < -3 and top >= 0


def test_five_close_models_with_error_bars_labels_do_not_overlap(tmp_path):
    """Five models with nearly the same cost and score, their intervals on top of each other."""
    means = [0.50, 0.505, 0.51, 0.495, 0.5025]
    costs = [0.00100, 0.00101, 0.00099, 0.001005, 0.000995]
    df = _scored_rows(means, costs, prompts=40, repeats=3)
    summary = _summary(means, [m - 0.08 for m in means], [m + 0.08 for m in means], costs, prompts=40, samples=120)
    fig = plots.score_vs_cost(df, score="contains", summary=summary)
    boxes = _assert_labels_apart(fig, expected=5)
    assert all(name.endswith("n=40 prompts, 120 samples") for name, _ in boxes)
    plots.save(fig, tmp_path / "close.png", df=df)  # the stamp changes the layout: placed again, still apart
    _assert_labels_apart(fig, expected=5)
    fig = plots.score_vs_cost(df, score="contains")  # the naive version too
    _assert_labels_apart(fig, expected=5)


# ------------------------------------------------------------------------------------------- the SIMULATED stamp
def _titles(fig) -> list[str]:
    return [t for t in [ax.get_title() for ax in fig.axes] + [fig._suptitle.get_text() if fig._suptitle else ""] if t]


@pytest.mark.parametrize("chart", list(plots.CHARTS))
def test_a_custom_title_keeps_the_simulated_stamp(chart):
    df = sample_frame()
    (title,) = _titles(plots.CHARTS[chart](df, title="My title"))
    assert title.startswith("My title — SIMULATED"), title
    (title,) = _titles(plots.CHARTS[chart](df, title="Run 3: SIMULATED baseline"))  # already says so: once
    assert title.startswith("Run 3: SIMULATED baseline") and title.count("SIMULATED") == 1
    (title,) = _titles(plots.CHARTS[chart](df, title=""))  # no title asked for: the stamp alone
    assert title.startswith("SIMULATED")
    (title,) = _titles(plots.CHARTS[chart](sample_frame(simulated=False), title="My title"))
    assert title.startswith("My title") and "SIMULATED" not in title
    acc = plots.PlotAccessor(df)  # through ev.plot / cmp.plot too
    (title,) = _titles(getattr(acc, chart)(title="Mine"))
    assert title.startswith("Mine — SIMULATED")


def test_a_custom_title_on_axes_given_by_the_caller_keeps_the_stamp():
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(1, 2)
    plots.cost_vs_latency(sample_frame(), ax=axes[0], title="left")
    plots.score_vs_cost(sample_frame(), ax=axes[1], title="right")
    assert [ax.get_title() for ax in axes] == ["left — SIMULATED", "right — SIMULATED"]


# ------------------------------------------------------------------------------------------- save_all
def _headers_ok(path) -> bool:
    data = path.read_bytes()
    return {"png": data.startswith(b"\x89PNG\r\n\x1a\n"), "pdf": data.startswith(b"%PDF-"),
            "svg": b"<svg" in data[:2000] and data.rstrip().endswith(b"</svg>"),
            "jpg": data.startswith(b"\xff\xd8\xff")}[path.suffix[1:]]


def test_save_all_writes_every_chart_in_every_format(tmp_path):
    import warnings

    import matplotlib.pyplot as plt
    from PIL import Image

    df = _scored_rows(MEANS, COSTS)
    acc = plots.PlotAccessor(lambda: df, score_columns=["contains"],
                             summary=lambda: _summary(MEANS, LOWS, HIGHS, COSTS))
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every chart can be drawn: nothing to warn about
        paths = acc.save_all(tmp_path / "new" / "figs", formats=("png", ".SVG", "pdf"))
    charts = plots.available_charts(df)
    assert charts == list(plots.CHARTS)
    assert paths == [tmp_path / "new" / "figs" / f"{c}.{ext}" for c in charts for ext in ("png", "svg", "pdf")]
    assert sorted(p.name for p in (tmp_path / "new" / "figs").iterdir()) == sorted(p.name for p in paths)
    assert all(_headers_ok(p) for p in paths)
    assert plt.get_fignums() == []  # no figure left open
    with Image.open(paths[0]) as im:
        assert im.info["Description"] == plots.stamp_text(df) and "SIMULATED" in im.info["Description"]
        width = im.size[0]
    assert b"95% CI, clustered by prompt" in (tmp_path / "new" / "figs" / "score_vs_cost.svg").read_bytes()
    (small,) = acc.save_all(tmp_path / "small", formats="png", dpi=75)[:1]
    with Image.open(small) as im:
        assert im.size[0] == pytest.approx(width / 2, abs=2)  # dpi 75 against the default 150
    jpg = acc.save_all(tmp_path / "jpg", formats=["jpg"])
    assert len(jpg) == len(charts) and all(_headers_ok(p) for p in jpg)


def test_save_all_draws_one_score_chart_per_score_column(tmp_path):
    df = _scored_rows(MEANS, COSTS)
    df["judge"] = [0.1 * (i % 7) for i in range(len(df))]
    df["empty"] = math.nan
    acc = plots.PlotAccessor(df, score_columns=["contains", "judge", "empty"])
    only = r"^save_all: not drawn: score_vs_cost_empty \(every 'empty' score is empty\)$"
    with pytest.warns(UserWarning, match=only):
        paths = acc.save_all(tmp_path, formats=["png"])
    names = [p.name for p in paths]
    assert names[-2:] == ["score_vs_cost_contains.png", "score_vs_cost_judge.png"]
    assert "score_vs_cost_empty.png" not in names and all(_headers_ok(p) for p in paths)


def test_save_all_skips_what_cannot_be_drawn_with_one_warning(tmp_path):
    import warnings

    df = _not_streamed()  # no time to first token: no speed chart; no score column: no score chart
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = plots.PlotAccessor(df).save_all(tmp_path, formats=("svg",))
    assert [p.name for p in paths] == ["cost_vs_latency.svg", "latency_distribution.svg", "cost_breakdown.svg"]
    assert [str(w.message) for w in caught] == [f"save_all: not drawn: tokens_per_second ({plots.NOT_STREAMED})"]
    assert caught[0].filename == __file__  # attributed to the caller's line
    failed = results_to_frame(sample_results())
    failed = failed[failed["error_kind"].notna()]  # every request failed: no latency, speed or score to show
    with pytest.warns(UserWarning, match="cost_vs_latency .*no live, successful rows.*tokens_per_second"):
        paths = plots.PlotAccessor(failed).save_all(tmp_path / "failed", formats="png")
    assert [p.name for p in paths] == ["cost_breakdown.png"]
    with pytest.warns(UserWarning, match=r"every chart \(no rows\)"):
        assert plots.PlotAccessor(failed.iloc[:0]).save_all(tmp_path / "empty") == []


def test_save_all_rejects_an_unknown_format_before_writing(tmp_path):
    acc = plots.PlotAccessor(sample_frame())
    with pytest.raises(mm.ConfigError, match=r"unknown chart format\(s\) \['docx'\]; choose from .*pdf, .*png, .*svg"):
        acc.save_all(tmp_path / "figs", formats=("png", "docx"))
    with pytest.raises(mm.ConfigError, match="unknown chart format"):
        acc.save_all(tmp_path / "figs", formats=())
    assert not (tmp_path / "figs").exists()
    assert "save_all" in dir(acc) and "save_all" in repr(acc)
