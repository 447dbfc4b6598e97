"""A standalone HTML report of a comparison or of a results table: one file, no kernel, no network.

``write_report(cmp, "report.html")`` (or ``cmp.to_html(path)``, ``ev.to_html(path)``) writes, in reading
order: the summary table, every chart that has something to show (embedded as base64 PNG or inline SVG;
a chart with nothing to show is one line saying why), then the answers: a comparison's side by side, an
evaluation's collapsed per prompt (``<details>``), so the summary and charts come first however many rows
there are. Costs are US dollars throughout. No script and no external URL is needed to view it; model
output is escaped.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
from pathlib import Path
from typing import Any

from multimodel import plots, stats
from multimodel.notebook import html as H

_CSS = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;
max-width:1400px;padding:0 16px;color:#1f2328;background:#fff;font-size:14px}
h1{font-size:22px;margin:0 0 6px 0} h2{font-size:17px;margin:26px 0 8px 0;border-bottom:1px solid #d0d7de;
padding-bottom:4px} .meta{color:#57606a;font-size:12px} nav a{margin-right:12px}
.mm-note{color:#57606a;font-size:13px;margin:6px 0} .mm-chart-note{color:#57606a;font-size:13px;margin:6px 0 14px 0}
figure.mm-chart{margin:10px 0 22px 0} figure.mm-chart img{max-width:100%;height:auto;border:1px solid #eaeef2}
figure.mm-chart svg{max-width:100%;height:auto}
figcaption{color:#57606a;font-size:12px} table{border-collapse:collapse}
details.mm-group{border:1px solid #d0d7de;border-radius:6px;margin:4px 0;padding:2px 10px}
details.mm-group>summary{cursor:pointer;padding:4px 0} details.mm-group[open]>summary{margin-bottom:6px}
details.mm-answers>summary{cursor:pointer;padding:4px 0;color:#57606a}
.mm-card pre{white-space:pre-wrap;background:#f6f8fa;padding:6px;border-radius:4px}
.mm-rows td{max-width:620px}
"""
_ROW_LIMIT = 1000
_ROW_TEXT = 2000  # answers sit collapsed, so they can be long; the notebook's browse view shows them whole
_PREVIEW = 140
_ROW_HEAD = {"content": "answer", "error_kind": "error", "error_message": "error message", "ttft_s": "TTFT",
             "e2e_s": "total", "completion_tokens": "output tokens", "cost_usd": "cost (USD)"}
_SUMMARY_HEAD = {
    "requests": "requests",
    "error_kinds": "error kinds",
    "ttft_p50_s": "TTFT p50",
    "e2e_p50_s": "total p50",
    "completion_tokens_mean": "output tokens (mean)",
    "output_tps_p50": "speed p50",
    "cost_usd_mean": "cost / request (USD)",
    "cost_usd_total": "cost total (USD)",
}


def _resolve(obj: Any) -> tuple[Any, list[Any] | None, Any, bool, str]:
    """(df, results or None, prompt, simulated, kind) from a Comparison, an Evaluation or a DataFrame."""
    if getattr(obj, "report_kind", None) == "comparison":
        df, results, prompt, sim, kind = obj.df, list(obj.results), obj.prompt, obj.simulated, "comparison"
    elif hasattr(obj, "columns"):
        df, results, prompt, sim, kind = obj, None, None, False, "results"
    elif hasattr(obj, "df"):
        df, results, prompt = obj.df, None, getattr(obj, "prompt", None)
        sim = bool(getattr(obj, "simulated", False))
        kind = "evaluation" if hasattr(obj, "score_columns") else "results"
    else:
        from multimodel.errors import ConfigError

        raise ConfigError(f"write_report takes a Comparison, an Evaluation or a DataFrame, got {type(obj).__name__}")
    return df, results, prompt, sim or plots.is_simulated(df), kind


# ---------------------------------------------------------------------------------------------- summary
def not_streamed_models(df: Any) -> list[str]:
    """Models with live rows none of which was streamed: their TTFT and speed were not measured."""
    live = plots.live_rows(df)
    if not len(live):
        return []
    measured = plots.streamed(live)
    out = []
    for model in dict.fromkeys(str(m) for m in live["model"]):
        if not measured[live["model"].astype(str) == model].any():
            out.append(model)
    return out


def summary_table_html(df: Any, scores: list[str], intervals: Any = None) -> str:
    """One row per model (``html.model_summary``), with TTFT and speed taken from streamed rows only:
    a model that was not streamed reads "not streamed" there instead of a number that is not one. With
    ``intervals`` (an evaluation's ``summary()``, one row per model), each score's 95% CI and its prompts follow
    its mean."""
    summary = H.model_summary(df, scores).copy()
    ci_columns = H.add_intervals(summary, scores, intervals)
    live = plots.live_rows(df)
    ttft, tps = plots.measured_ttft(live), plots.measured_tps(live)
    silent = set(not_streamed_models(df))
    by_model = live["model"].astype(str)
    ttft_cells, tps_cells = [], []
    for model in summary["model"].astype(str):
        if model in silent:
            ttft_cells.append("not streamed")
            tps_cells.append("not streamed")
            continue
        ttft_cells.append(H.fmt_seconds(ttft[by_model == model].median()))
        tps_cells.append(H.fmt_tps(tps[by_model == model].median()))
    summary["ttft_p50_s"], summary["output_tps_p50"] = ttft_cells, tps_cells
    formats = {"e2e_p50_s": H.fmt_seconds, "cost_usd_mean": H.fmt_cost, "cost_usd_total": H.fmt_cost,
               "completion_tokens_mean": lambda v: "n/a" if H.num(v) is None else f"{H.num(v):,.0f}"}
    headers = dict(_SUMMARY_HEAD)
    for col in summary.columns:
        if col.endswith("_mean") and col[: -len("_mean")] in scores:
            formats[col] = _fmt_score
            headers[col] = f"{col[: -len('_mean')]} (mean)"
    headers.update({col: f"{col[: -len('_ci95')]} (95% CI)" for col in ci_columns})
    return H.table_html(summary, formats=formats, headers=headers, css_class="mm-summary")


def _fmt_score(value: Any) -> str:
    f = H.num(value)
    return "n/a" if f is None else f"{f:.3f}"


def _summary_section(df: Any, scores: list[str], intervals: Any = None) -> str:
    if not len(df):
        return "<p>No rows.</p>"
    shown = intervals is not None and len(intervals) and not intervals["model"].duplicated().any()
    ci = ("" if not shown else " A score's 95% CI is a Student-t interval with standard errors clustered by "
          f"{H.esc(str(intervals.attrs.get('cluster', 'prompt')))} (repeats of a prompt are not independent).")
    if intervals is not None and not shown and len(intervals):
        ci = (" Rows were asked under several system prompts or templates and are pooled per model here; "
              "ev.summary() splits them, with each score's CI.")
    parts = [
        "<p class='meta'>One row per model. Latency and speed are medians over live rows (cache replays and "
        "failures left out); cost is in US dollars, per request (mean) and in total, provider-reported where the "
        f"provider reports it, else from the price table.{ci}</p>",
        summary_table_html(df, scores, intervals),
    ]
    silent = not_streamed_models(df)
    if silent:
        parts.append(
            f"<p class='mm-note' data-note='not-streamed'>Not streamed ({H.esc(', '.join(silent))}): time to "
            "first token and tokens per second were not measured, since the answer arrived in one piece; only "
            "the total time is known. Run with <code>stream=True</code> to measure them.</p>"
        )
    return "".join(parts)


# ---------------------------------------------------------------------------------------------- charts
def _figure_markup(fig: Any, name: str, caption: str, fmt: str) -> str:
    buf = io.BytesIO()
    with plots.reproducible():
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata=plots.export_metadata("svg"))
            svg = buf.getvalue().decode("utf-8")
            svg = svg[svg.find("<svg"):]  # drop the XML prolog and doctype: inline SVG in HTML
            body = f"<div role='img' aria-label='{H.esc(caption)}'>{svg}</div>"
        else:
            fig.savefig(buf, format="png", dpi=110)
            data = base64.b64encode(buf.getvalue()).decode("ascii")
            body = f"<img alt='{H.esc(caption)}' src='data:image/png;base64,{data}'>"
    return (
        f"<figure class='mm-chart' data-chart='{name}'>{body}"
        f"<figcaption>{H.esc(caption)}</figcaption></figure>"
    )


def _chart_jobs(df: Any, names: list[str], scores: list[str], summary: Any = None) -> list[tuple[str, str, Any]]:
    """(name, caption, draw) for each chart: one score chart per score column that has values, with the
    evaluation's clustered CIs when ``summary`` (``ev.summary()``) is given."""
    jobs: list[tuple[str, str, Any]] = []
    for name in names:
        if name == "score_vs_cost":
            for col in [c for c in scores if c in df and df[c].notna().any()] or ["score"]:
                caption = "Score vs cost" if col == "score" else f"Score vs cost: {col}"
                jobs.append((name, caption, lambda col=col: plots.score_vs_cost(df, score=col, summary=summary)))
        else:
            jobs.append((name, plots.CHART_TITLES.get(name, name), lambda name=name: plots.CHARTS[name](df)))
    return jobs


def _scored_summary(obj: Any, df: Any, scores: list[str]) -> Any:
    """Each score's mean and clustered CI per model (and system prompt): the evaluation's own summary, or for rows
    read back from a file the same statistics from their ``prompt_index``; None when there is nothing to cluster."""
    summary = getattr(obj, "summary", None)
    if scores and callable(summary) and hasattr(obj, "score_columns"):
        return summary()
    scores = [c for c in scores if c in df]
    if not scores or not {"model", "prompt_index"} <= set(df.columns):
        return None
    keys = ["model", *(c for c in ("system", "template") if c in df and df[c].nunique(dropna=False) > 1)]
    table = stats.score_table(df, scores, by=keys, prompt="prompt_index")
    table.attrs["cluster"] = "prompt"
    table.attrs["groups"] = keys
    return table


def _charts_html(df: Any, names: list[str], fmt: str, scores: list[str], notes: dict[str, str],
                 summary: Any = None) -> str:
    parts = []
    for name in [n for n in names if n in notes]:  # nothing to show: one line that says why, no empty chart
        parts.append(f"<p class='mm-chart-note' data-chart-left-out='{name}'>"
                     f"{H.esc(plots.CHART_TITLES.get(name, name))}: not drawn ({H.esc(notes[name])}).</p>")
    for name, caption, draw in _chart_jobs(df, [n for n in names if n not in notes], scores, summary):
        try:
            with plots.detached():  # plain Figures: no pyplot state, no GUI backend
                fig = draw()
        except Exception as exc:  # one chart that cannot be drawn must not lose the whole report
            parts.append(
                f"<figure class='mm-chart mm-chart-failed' data-chart='{name}'>"
                f"<p style='{H.STYLE_ERROR}'>{H.esc(caption)} could not be drawn: {H.esc(repr(exc))}</p></figure>"
            )
            continue
        parts.append(_figure_markup(fig, name, caption, fmt))
    return "".join(parts)


# ---------------------------------------------------------------------------------------------- answers
def _rows_html(df: Any, scores: list[str]) -> str:
    """One row per request (for evaluations with many rows per model), answers cut at _ROW_TEXT."""
    cols = [c for c in ("model", "repeat", "content", *scores, "error_kind", "error_message", "ttft_s", "e2e_s",
                        "completion_tokens", "cost_usd", "cached") if c in df]
    quiet = {c for c in ("error_kind", "error_message") if c in df and not df[c].notna().any()}
    if "cached" in df and not df["cached"].map(H.truthy).any():
        quiet.add("cached")
    view = df[[c for c in cols if c not in quiet]].copy()
    if "content" in view:
        view["content"] = view["content"].map(
            lambda s: "" if not isinstance(s, str) else (s if len(s) <= _ROW_TEXT else s[: _ROW_TEXT - 1] + "…"))
    if "ttft_s" in view:
        view["ttft_s"] = plots.measured_ttft(df)
    fmts = {"ttft_s": _fmt_ttft, "e2e_s": H.fmt_seconds, "cost_usd": H.fmt_cost, "completion_tokens": H.fmt_int}
    fmts.update({c: _fmt_score for c in scores if c in view})
    return H.table_html(view, formats=fmts, headers=_ROW_HEAD, css_class="mm-rows")


def _fmt_ttft(value: Any) -> str:
    return "not streamed" if H.num(value) is None else H.fmt_seconds(value)


def _group_key(df: Any) -> str | None:
    """The column answers are grouped by: the prompt (its index when there is one), else None."""
    if "prompt_index" in df:
        return "prompt_index"
    return "prompt" if "prompt" in df else None


def _group_summary(number: int, prompt: Any, rows: Any, scores: list[str]) -> str:
    """The one line shown for a collapsed prompt: its start, how many answers, failures and mean scores."""
    text = " ".join(H.prompt_text(prompt).split())
    preview = text if len(text) <= _PREVIEW else text[: _PREVIEW - 1] + "…"
    errors = int(rows["error_kind"].notna().sum()) if "error_kind" in rows else 0
    bits = [f"{len(rows)} answer{'s' if len(rows) != 1 else ''}"]
    if errors:
        bits.append(f"{errors} failed")
    for col in scores:
        values = rows[col].dropna() if col in rows else []
        if len(values):
            bits.append(f"{col} {float(values.astype(float).mean()):.2f}")
    return (f"<summary><b>#{number}</b> {H.esc(preview) or '<i>(no prompt text)</i>'} "
            f"<span class='meta'>· {H.esc(' · '.join(bits))}</span></summary>")


def _grouped_answers(df: Any, scores: list[str]) -> str:
    """Per prompt (or per model without a prompt column), one collapsed ``<details>`` with its requests."""
    view = df.head(_ROW_LIMIT)
    key = _group_key(view)
    labels = view[key].map(H.prompt_text) if key == "prompt" else view[key] if key else view["model"].astype(str)
    parts = []
    for number, label in enumerate(dict.fromkeys(labels), start=1):
        rows = view[labels == label]
        if key:
            head = _group_summary(number, rows["prompt"].iloc[0] if "prompt" in rows else label, rows, scores)
            body = H.prompt_html(rows["prompt"].iloc[0], limit=4000) if "prompt" in rows else ""
        else:
            head = f"<summary><b>{H.esc(label)}</b> <span class='meta'>· {len(rows)} requests</span></summary>"
            body = ""
        parts.append(f"<details class='mm-group' data-group='{number}'>{head}{body}"
                     f"{_rows_html(rows, scores)}</details>")
    what = "prompt" if key else "model"
    note = (f"<p class='meta'>Collapsed per {what}: open one to read its answers. "
            + (f"First {_ROW_LIMIT} of {len(df)} rows.</p>" if len(df) > _ROW_LIMIT else f"{len(df)} rows.</p>"))
    return note + "".join(parts)


def _answers_section(df: Any, results: list[Any] | None, scores: list[str]) -> str:
    """A comparison's answers side by side (a few cards, open); an evaluation's collapsed per prompt."""
    if results is not None or (len(df) and not df["model"].duplicated().any()):
        rows = results if results is not None else [row for _, row in df.iterrows()]
        cards = H.comparison_html(rows, banner=False, wrap=True)  # the banner is already at the top
        return (f"<details class='mm-answers' open><summary>{len(rows)} answer{'s' if len(rows) != 1 else ''} "
                f"side by side</summary>{cards}</details>")
    return _grouped_answers(df, scores) if len(df) else "<p>No rows.</p>"


# ---------------------------------------------------------------------------------------------- the page
def report_html(obj: Any, *, title: str | None = None, charts: list[str] | None = None,
                chart_format: str = "png") -> str:
    """The report as one HTML string (see ``write_report``)."""
    if chart_format not in ("png", "svg"):
        from multimodel.errors import ConfigError

        raise ConfigError(f"chart_format must be 'png' or 'svg', got {chart_format!r}")
    df, results, prompt, simulated, kind = _resolve(obj)
    scores = plots.score_columns(obj)
    heading = title or f"multimodel {kind} report"
    if simulated and "SIMULATED" not in heading:
        heading += " — SIMULATED"
    notes = plots.chart_notes(obj) if len(df) else {}
    names = charts if charts is not None else [*plots.available_charts(obj), *notes]
    unknown = [n for n in names if n not in plots.CHARTS]
    if unknown:
        from multimodel.errors import ConfigError

        raise ConfigError(f"unknown chart(s) {unknown}; choose from {list(plots.CHARTS)}")
    models = list(dict.fromkeys(str(m) for m in df["model"])) if len(df) else []
    stamp = plots.stamp_text(df)
    nav = " ".join(f"<a href='#{a}'>{t}</a>" for a, t in
                   (("summary", "Summary"), ("charts", "Charts"), ("answers", "Answers")))
    body = [
        f"<h1>{html.escape(heading)}</h1>",
        H.simulated_banner() if simulated else "",
        f"<p class='meta'>{html.escape(stamp)} · {len(df)} row{'s' if len(df) != 1 else ''} · "
        f"{len(models)} model{'s' if len(models) != 1 else ''}: {html.escape(', '.join(models))}</p>",
        f"<nav>{nav}</nav>",
        H.prompt_html(prompt, limit=2000) if prompt is not None else "",
        "<h2 id='summary'>Summary</h2>",
        _summary_section(df, scores, intervals := _scored_summary(obj, df, scores)),
        "<h2 id='charts'>Charts</h2>",
        _charts_html(df, names, chart_format, scores, notes, intervals) if len(df)
        else "<p>No rows to chart.</p>",
        "<h2 id='answers'>Answers</h2>",
        _answers_section(df, results, scores),
        f"<p class='meta'>Generated {html.escape(_dt.datetime.now().isoformat(timespec='seconds'))} by "
        "multimodel. This file is standalone: no script, no network.</p>",
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='generator' content='multimodel'><title>{html.escape(heading)}</title>"
        f"<style>{_CSS}</style></head><body class='mm-report'>{''.join(body)}</body></html>\n"
    )


def write_report(obj: Any, path: str | Path, *, title: str | None = None, charts: list[str] | None = None,
                 chart_format: str = "png") -> Path:
    """Write a standalone HTML report of a Comparison, an Evaluation or a DataFrame of results.

    ``charts`` picks chart names from ``multimodel.plots.CHARTS`` (default: every chart that has something
    to show, and a line for each that has not); ``chart_format`` embeds them as base64 ``png`` (default) or
    inline ``svg``. The title says SIMULATED when any row came from the simulator. A DataFrame read back from
    a file keeps its scores: see ``multimodel.plots.score_columns``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(obj, title=title, charts=charts, chart_format=chart_format), encoding="utf-8")
    return path


__all__ = ["not_streamed_models", "report_html", "summary_table_html", "write_report"]
