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
    # a comparison's few answers come after the charts, side by side and open
    assert html.index("data-chart='cost_breakdown'") < html.index("<details class='mm-answers' open>")
    assert html.index("<details class='mm-answers' open>") < html.index("class='mm-card'")


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


def _evaluation(stream: bool = False, prompts: int = 3):
    """A real (simulated) evaluation with a scorer: 3 prompts x 2 models."""
    import pandas as pd

    client = mm.Client.simulated(cache=False)
    rows = pd.DataFrame({"prompt": [f"What is {i} + {i}? Reply with just the number." for i in range(prompts)],
                         "expected": [str(2 * i) for i in range(prompts)], "difficulty": list(range(prompts))})
    return client.evaluate(rows, models=["openai/gpt-5.4-mini", "xai/grok-3-mini"], stream=stream,
                           scorers=[mm.scorers.contains()], progress=False)


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_report_of_an_evaluation_read_back_from_a_file_keeps_its_scores(tmp_path, fmt):
    """``multimodel report results.parquet``: the score column and the score chart survive the round trip."""
    import pandas as pd

    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    ev = _evaluation()
    path = getattr(ev, f"to_{fmt}")(tmp_path / f"results.{fmt}")
    df = {"parquet": pd.read_parquet, "csv": pd.read_csv,
          "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt](path)
    assert "contains" in df.columns
    assert plots.score_columns(df) == ["contains"]  # not "difficulty", a numeric input column
    html = report_html(df)
    summary = html.split("class='mm-summary'")[1].split("</table>")[0]
    assert ">contains (mean)</th>" in summary  # the score column of the summary
    assert "data-chart='score_vs_cost'" in html and "<figcaption>Score vs cost: contains</figcaption>" in html
    rows_table = html.split("class='mm-rows'")[1].split("</table>")[0]
    assert ">contains</th>" in rows_table  # per-request scores
    assert "mm-chart-failed" not in html
    # the same as the report of the evaluation itself: same summary table, same charts
    direct = report_html(ev)
    assert direct.split("class='mm-summary'")[1].split("</table>")[0] == summary
    assert re.findall(r"data-chart='(\w+)'", direct) == re.findall(r"data-chart='(\w+)'", html)


def test_report_leads_with_summary_and_charts_and_collapses_answers_per_prompt():
    ev = _evaluation(prompts=4)
    html = report_html(ev)
    positions = [html.index(f"<h2 id='{a}'>") for a in ("summary", "charts", "answers")]
    assert positions == sorted(positions)
    assert html.index("data-chart=") < html.index("<h2 id='answers'>") < html.index("class='mm-rows'")
    groups = re.findall(r"<details class='mm-group'[^>]*>", html)
    assert len(groups) == 4 and not any("open" in g for g in groups)  # one per prompt, all collapsed
    first = html.split("<details class='mm-group' data-group='1'>")[1].split("</details>")[0]
    assert "#1</b> What is 0 + 0? Reply with just the number." in first
    assert "2 answers" in first and "contains " in first  # two models, one repeat; the mean score
    assert first.count("<tr data-model=") == 2
    nav = re.search(r"<nav>(.*?)</nav>", html).group(1)
    assert nav.index("Charts") < nav.index("Answers")


def test_report_of_rows_that_were_not_streamed():
    """No empty tokens/s chart: a line says why, and the summary says "not streamed" instead of a TTFT."""
    ev = _evaluation(stream=False)
    html = report_html(ev)
    assert "data-chart='tokens_per_second'" not in html
    note = re.search(r"<p class='mm-chart-note' data-chart-left-out='tokens_per_second'>(.*?)</p>", html).group(1)
    assert note == f"Output tokens per second: not drawn ({plots.NOT_STREAMED})."
    summary = html.split("class='mm-summary'")[1].split("</table>")[0]
    assert summary.count(">not streamed</td>") == 4  # TTFT and speed, two models
    assert "data-note='not-streamed'" in html and "tok/s" not in summary
    assert "data-chart='latency_distribution'" in html  # end-to-end latency is still measured
    streamed = report_html(_evaluation(stream=True))
    assert "data-chart='tokens_per_second'" in streamed and "not streamed" not in streamed


def test_report_svg_charts_are_reproducible():
    first = report_html(sample_comparison(), charts=["cost_vs_latency"], chart_format="svg")
    again = report_html(sample_comparison(), charts=["cost_vs_latency"], chart_format="svg")
    strip = re.compile(r"Generated [0-9T:-]+ by")
    assert strip.sub("", first) == strip.sub("", again)


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
    assert acc.score_vs_cost("judge").axes[0].get_ylabel() == "judge (mean per model)"
    assert list(acc.all())[-1] == "score_vs_cost"


def test_report_leaves_no_pyplot_figures_behind(tmp_path):
    import matplotlib.pyplot as plt

    plt.close("all")
    report_html(sample_comparison())
    assert plt.get_fignums() == []
