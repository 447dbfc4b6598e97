"""The standalone HTML report: every model, every chart, embedded, escaped, no scripts, no external URLs."""

from __future__ import annotations

import base64
import re

import matplotlib

matplotlib.use("Agg")

import pytest

import multimodel as mm
from multimodel import plots
from multimodel.report import report_html, write_report
from tests.test_plots import MODELS, sample_comparison, sample_frame


def _external_loads(html: str) -> list[str]:
    """Attributes that would load something from outside the file (links to model-cited pages excluded)."""
    loads = [m.group(0) for m in re.finditer(r"""src\s*=\s*['"](?!data:)[^'"]*""", html, re.I)]
    loads += re.findall(r"<link\b[^>]*>", html, re.I)
    loads += re.findall(r"url\(\s*['\"]?(?!data:)[^)]*\)", html, re.I)
    return loads


def test_comparison_report_has_every_model_and_chart(tmp_path):
    cmp = sample_comparison()
    path = cmp.to_html(tmp_path / "out" / "report.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert "SIMULATED" in title
    for m in MODELS:
        assert f"data-model='{m}'" in html  # an answer card
        assert f"<tr data-model='{m}'>" in html  # a summary row
    expected = plots.available_charts(cmp.df)
    assert expected == ["cost_vs_latency", "latency_distribution", "tokens_per_second", "cost_breakdown"]
    charts = re.findall(r"data-chart='([a-z_]+)'><img alt='[^']+' src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert [c for c, _ in charts] == expected
    for _, data in charts:
        png = base64.b64decode(data)
        assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert "mm-chart-failed" not in html


def test_report_is_standalone_and_escaped(tmp_path):
    html = write_report(sample_comparison(), tmp_path / "r.html", charts=["cost_breakdown"]).read_text(encoding="utf-8")
    assert "<script" not in html.lower()  # no JS at all, and the model's <script> is shown as text
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert _external_loads(html) == []
    assert "&lt;b&gt;two sentences&lt;/b&gt;" in html  # the prompt, escaped
    assert "prices as of" in html and "multimodel" in html


def test_report_of_a_results_frame_with_scores(tmp_path):
    df = sample_frame()
    path = write_report(df, tmp_path / "eval.html", chart_format="svg")
    html = path.read_text(encoding="utf-8")
    for name in plots.CHARTS:  # score_vs_cost too: the frame has a score column
        assert f"data-chart='{name}'" in html
    assert html.count("<svg") == len(plots.CHARTS)
    assert "<?xml" not in html
    assert "class='mm-rows'" in html  # several rows per model: one table row per request
    assert html.count("<tr data-model=") == len(df) + len(MODELS)  # request rows + summary rows
    assert "score (mean)" in html and "SIMULATED" in html


def test_real_report_is_not_labelled_simulated(tmp_path):
    html = report_html(sample_comparison(simulated=False), charts=[])
    assert "SIMULATED" not in html
    assert "multimodel comparison report</title>" in html


def test_report_options_are_checked(tmp_path):
    cmp = sample_comparison()
    html = report_html(cmp, charts=["cost_breakdown"], title="My <run>")
    assert html.count("data-chart=") == 1 and "<title>My &lt;run&gt; — SIMULATED</title>" in html
    with pytest.raises(mm.ConfigError, match="unknown chart"):
        report_html(cmp, charts=["pie"])
    with pytest.raises(mm.ConfigError, match="chart_format"):
        report_html(cmp, chart_format="gif")
    with pytest.raises(mm.ConfigError, match="write_report takes"):
        report_html([1, 2])


def test_report_of_a_saved_and_reloaded_frame(tmp_path):
    """What ``multimodel report results.parquet --html ...`` will do: tool calls come back as arrays."""
    pytest.importorskip("pyarrow")
    import pandas as pd

    sample_frame(repeats=1, score=False).to_parquet(tmp_path / "r.parquet")
    html = report_html(pd.read_parquet(tmp_path / "r.parquet"))
    for m in MODELS:
        assert f"data-model='{m}'" in html
    assert "lookup_fact" in html and "rayleigh &lt;b&gt;" in html and "SIMULATED" in html
    assert html.count("data-chart=") == 4 and "mm-chart-failed" not in html


class _EvaluationLike:
    """The shape write_report and PlotAccessor use from an Evaluation: .df, .score_columns, .simulated."""

    def __init__(self):
        df = sample_frame(score=False)
        df["contains"] = [float(i % 2) for i in range(len(df))]
        df["judge"] = [0.1 * (i % 7) for i in range(len(df))]
        self.df = df
        self.score_columns = ["contains", "judge"]
        self.simulated = True


def test_report_of_an_evaluation_charts_each_score_column(tmp_path):
    ev = _EvaluationLike()
    html = write_report(ev, tmp_path / "ev.html").read_text(encoding="utf-8")
    assert "<title>multimodel evaluation report — SIMULATED</title>" in html
    captions = re.findall(r"<figcaption>([^<]*)</figcaption>", html)
    assert captions[-2:] == ["Score vs cost: contains", "Score vs cost: judge"]
    assert "contains (mean)" in html and "judge (mean)" in html
    rows_table = html.split("class='mm-rows'")[1].split("</table>")[0]
    assert ">judge</th>" in rows_table and ">contains</th>" in rows_table  # per-request scores
    acc = plots.PlotAccessor(lambda: ev.df, score_columns=ev.score_columns)
    assert acc.score_vs_cost().axes[0].get_title() == "Score vs cost: contains — SIMULATED"
    assert acc.score_vs_cost("judge").axes[0].get_ylabel() == "judge (mean)"
    assert list(acc.all())[-1] == "score_vs_cost"


def test_report_leaves_no_pyplot_figures_behind(tmp_path):
    import matplotlib.pyplot as plt

    plt.close("all")
    report_html(sample_comparison())
    assert plt.get_fignums() == []
