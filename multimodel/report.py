"""A standalone HTML report of a comparison or of a results table: one file, no kernel, no network.

``write_report(cmp, "report.html")`` (or ``cmp.to_html(path)``) writes the summary table, the answers
side by side (or one row per request for larger tables), and every chart that applies, embedded as
base64 PNG (or inline SVG). No script and no external URL is needed to view it; model output is escaped.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
from pathlib import Path
from typing import Any

from multimodel import plots
from multimodel.notebook import html as H

_CSS = """
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;
max-width:1400px;padding:0 16px;color:#1f2328;background:#fff;font-size:14px}
h1{font-size:22px;margin:0 0 6px 0} h2{font-size:17px;margin:26px 0 8px 0;border-bottom:1px solid #d0d7de;
padding-bottom:4px} .meta{color:#57606a;font-size:12px} nav a{margin-right:12px}
figure.mm-chart{margin:10px 0 22px 0} figure.mm-chart img{max-width:100%;height:auto;border:1px solid #eaeef2}
figure.mm-chart svg{max-width:100%;height:auto}
figcaption{color:#57606a;font-size:12px} table{border-collapse:collapse}
.mm-card pre{white-space:pre-wrap;background:#f6f8fa;padding:6px;border-radius:4px}
.mm-rows td{max-width:520px}
"""
_ROW_LIMIT = 1000
_ROW_TEXT = 400


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


def _figure_markup(fig: Any, name: str, caption: str, fmt: str) -> str:
    buf = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buf, format="svg")
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


def _charts_html(df: Any, names: list[str], fmt: str, scores: list[str]) -> str:
    jobs: list[tuple[str, str, Any]] = []
    for name in names:
        if name == "score_vs_cost":  # one chart per score column that has values
            for col in [c for c in scores if c in df and df[c].notna().any()] or ["score"]:
                caption = "Score vs cost" if col == "score" else f"Score vs cost: {col}"
                jobs.append((name, caption, lambda col=col: plots.score_vs_cost(df, score=col)))
        else:
            jobs.append((name, plots.CHART_TITLES.get(name, name), lambda name=name: plots.CHARTS[name](df)))
    parts = []
    for name, caption, draw in jobs:
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


def _rows_html(df: Any, scores: list[str]) -> str:
    """One row per request, answers shortened (for evaluations with many rows per model)."""
    cols = [c for c in ("prompt", "model", "content", *scores, "error_kind", "error_message", "ttft_s", "e2e_s",
                        "completion_tokens", "cost_usd", "cached") if c in df]
    view = df[cols].head(_ROW_LIMIT).copy()
    if "content" in view:
        view["content"] = view["content"].map(
            lambda s: "" if not isinstance(s, str) else (s if len(s) <= _ROW_TEXT else s[: _ROW_TEXT - 1] + "…"))
    if "prompt" in view:
        view["prompt"] = view["prompt"].map(lambda s: H.prompt_text(s)[:200])
    fmts = {"ttft_s": H.fmt_seconds, "e2e_s": H.fmt_seconds, "cost_usd": H.fmt_cost,
            "completion_tokens": H.fmt_int}
    note = (f"<p class='meta'>first {_ROW_LIMIT} of {len(df)} rows</p>" if len(df) > _ROW_LIMIT else "")
    return note + H.table_html(view, formats=fmts, headers={"content": "answer"}, css_class="mm-rows")


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
    names = charts if charts is not None else plots.available_charts(obj)
    unknown = [n for n in names if n not in plots.CHARTS]
    if unknown:
        from multimodel.errors import ConfigError

        raise ConfigError(f"unknown chart(s) {unknown}; choose from {list(plots.CHARTS)}")
    models = list(dict.fromkeys(str(m) for m in df["model"])) if len(df) else []

    if results is not None:
        answers = H.comparison_html(results, banner=False, wrap=True)  # the banner is already at the top
    elif len(df) and not df["model"].duplicated().any():
        answers = H.comparison_html([row for _, row in df.iterrows()], banner=False, wrap=True)
    else:
        answers = _rows_html(df, scores)

    stamp = plots.stamp_text(df)
    nav = " ".join(f"<a href='#{a}'>{t}</a>" for a, t in
                   (("summary", "Summary"), ("answers", "Answers"), ("charts", "Charts")))
    body = [
        f"<h1>{html.escape(heading)}</h1>",
        H.simulated_banner() if simulated else "",
        f"<p class='meta'>{html.escape(stamp)} · {len(df)} row{'s' if len(df) != 1 else ''} · "
        f"{len(models)} model{'s' if len(models) != 1 else ''}: {html.escape(', '.join(models))}</p>",
        f"<nav>{nav}</nav>",
        H.prompt_html(prompt, limit=2000) if prompt is not None else "",
        "<h2 id='summary'>Summary</h2>",
        "<p class='meta'>Latency and speed are medians over live rows (cache replays and failures left out); "
        "cost is per request, provider-reported where the provider reports it, else from the price table.</p>",
        H.summary_table_html(df, scores) if len(df) else "<p>No rows.</p>",
        "<h2 id='answers'>Answers</h2>",
        answers,
        "<h2 id='charts'>Charts</h2>",
        _charts_html(df, names, chart_format, scores) if len(df) else "<p>No rows to chart.</p>",
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

    ``charts`` picks chart names from ``multimodel.plots.CHARTS`` (default: every chart that applies);
    ``chart_format`` embeds them as base64 ``png`` (default) or inline ``svg``. The title says SIMULATED
    when any row came from the simulator.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(obj, title=title, charts=charts, chart_format=chart_format), encoding="utf-8")
    return path


__all__ = ["report_html", "write_report"]
