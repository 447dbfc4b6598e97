"""Charts: one series per model, readable labels and units, NaN cost, SIMULATED in the title, stamped export.

``sample_results`` / ``sample_frame`` are shared with test_notebook, test_report and test_browser.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

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
               cost_source="provider", ttft_s=0.7 + j, e2e_s=1.6 + j, simulated=simulated),
        Result(model=MODELS[4], provider="gemini", content="Blue light is scattered more than red light.",
               finish_reason="stop", prompt_tokens=18, completion_tokens=30, ttft_s=0.3 + j, e2e_s=0.9 + j,
               simulated=simulated),
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
def test_cost_vs_latency_one_point_per_live_model_and_pareto():
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
    assert ax.get_xlabel() == "end-to-end latency (s, median)"
    assert ax.get_ylabel().startswith("cost per request (")
    assert ax.get_title() == "Cost vs latency — SIMULATED"


def test_latency_distribution_live_rows_only():
    df = sample_frame()
    fig = plots.latency_distribution(df)
    ttft_ax, e2e_ax = fig.axes[:2]
    assert ttft_ax.get_xlabel() == "time to first token (s)"
    assert e2e_ax.get_xlabel() == "end-to-end latency (s)"
    assert [t.get_text() for t in ttft_ax.get_yticklabels()] == [plots.shorten(m) for m in MODELS]
    # one dot series per model with live rows, in both panels; xai (all failed) says so instead
    series = [c.get_label() for c in e2e_ax.collections]
    assert series == MODELS[:5]
    openai_dots = e2e_ax.collections[0].get_offsets()
    assert len(openai_dots) == 2  # 3 rows, one cache replay left out
    title = fig._suptitle.get_text()
    assert "SIMULATED" in title and "live rows only" in title and "1 cache replay" in title
    assert "3 failed requests" in title
    texts = [t.get_text() for t in ttft_ax.texts]
    assert "no live rows" in texts
    # one colour per provider, the same as in the other charts
    assert matplotlib.colors.to_hex(e2e_ax.collections[0].get_facecolor()[0]) == plots.colour("openai")


def test_tokens_per_second_one_bar_per_model():
    df = sample_frame()
    fig = plots.tokens_per_second(df)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "output speed (tokens/s after the first token, median)"
    assert _legend_texts(ax) == MODELS[:5]
    assert len(ax.containers) == 5
    bar = ax.containers[0].patches[0]
    live_openai = df[(df["model"] == MODELS[0]) & ~df["cached"]]["output_tps"]
    assert bar.get_width() == pytest.approx(live_openai.median())
    assert matplotlib.colors.to_hex(bar.get_facecolor()) == plots.colour("openai")
    assert ax.get_title() == "Output tokens per second — SIMULATED"


def test_cost_breakdown_segments_sum_to_reported_cost():
    df = sample_frame(repeats=1, score=False)
    fig = plots.cost_breakdown(df)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [plots.shorten(m) for m in MODELS]
    assert _legend_texts(ax) == ["input", "cached input", "reasoning output", "answer output",
                                 "reported total (no price split)"]
    scale, unit = plots.cost_scale(df["cost_usd"].max())
    assert ax.get_xlabel() == f"cost per request ({unit}, mean)"
    # deepseek: input, cached input, reasoning and output segments add up to the row's cost
    ds_bars = [p for c in ax.containers for p in c.patches if abs(p.get_y() + p.get_height() / 2 - 3) < 1e-9]
    assert len(ds_bars) == 4
    total = sum(p.get_width() for p in ds_bars) / scale
    assert total == pytest.approx(df.loc[df["model"] == MODELS[2], "cost_usd"].iloc[0])
    # reasoning share = 300 of 400 output tokens at the output price
    widths = {c.get_label(): c.patches[0].get_width() for c in ax.containers
              if abs(c.patches[0].get_y() + c.patches[0].get_height() / 2 - 3) < 1e-9}
    assert widths["reasoning output"] == pytest.approx(300 * 0.28 / 1e6 * scale)
    # openrouter llama: provider-reported cost, no table price → one grey "reported" segment
    or_bars = [c for c in ax.containers if abs(c.patches[0].get_y() + c.patches[0].get_height() / 2 - 2) < 1e-9]
    assert [c.get_label() for c in or_bars] == ["reported total (no price split)"]
    assert or_bars[0].patches[0].get_width() == pytest.approx(0.00021 * scale)
    texts = [t.get_text() for t in ax.texts]
    assert "cost unknown (no price for this model)" in texts  # unpriced gemini
    assert "cost unknown (every request failed)" in texts  # xai


def test_score_vs_cost_and_missing_score():
    df = sample_frame()
    fig = plots.score_vs_cost(df)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "score (mean)" and ax.get_xlabel().startswith("cost per request (")
    labels = _legend_texts(ax)
    assert all(any(t.startswith(m) for t in labels) for m in MODELS)
    with pytest.raises(mm.ConfigError, match="needs a 'score' column"):
        plots.score_vs_cost(df.drop(columns=["score"]))


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
    with pytest.raises(mm.ConfigError, match=r"\.png, \.svg or \.pdf"):
        plots.save(fig, tmp_path / "chart.jpg")
