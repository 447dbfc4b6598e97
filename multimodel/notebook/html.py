"""Self-contained HTML for Results, Comparisons and result tables (no scripts, no external URLs).

Model output is untrusted: every string that came from a provider is escaped, and answers go through
the safe markdown renderer. Styles are inline so the HTML survives notebook sanitizers, static
exports and the standalone report alike. The same pieces build the live view's final columns.
"""

from __future__ import annotations

import difflib
import html
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from multimodel.notebook.markdown import markdown_to_html

NO_REASONING = "the provider returned no reasoning text"
SIMULATED_TEXT = "SIMULATED: answers come from multimodel's built-in simulator, not from real models"

STYLE_BANNER = (
    "background:#fff3cd;border:2px solid #d39e00;color:#6b4400;padding:6px 10px;margin:4px 0 8px 0;"
    "font-weight:700;border-radius:4px"
)
STYLE_ROW = "display:flex;flex-wrap:nowrap;gap:10px;overflow-x:auto;align-items:flex-start;padding-bottom:6px"
STYLE_ROW_WRAP = "display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start"
_STYLE_CARD_BOX = (
    "border:1px solid #d0d7de;border-radius:6px;padding:8px 10px;"
    "background:#fff;color:#1f2328;font-size:13px;line-height:1.45;overflow-wrap:anywhere"
)
# Side by side (notebook), cards share the row: five fit in a notebook at 1400 px; past the minimum the row
# scrolls sideways rather than squeezing them. Wrapped (report, printing), cards keep one readable width.
CARD_MIN_WIDTH = "180px"
CARD_MAX_WIDTH = "560px"
STYLE_CARD = "flex:0 0 340px;max-width:340px;" + _STYLE_CARD_BOX
STYLE_CARD_ROW = f"flex:1 1 0;min-width:{CARD_MIN_WIDTH};max-width:{CARD_MAX_WIDTH};" + _STYLE_CARD_BOX
STYLE_ANSWER = "max-height:460px;overflow-y:auto"
STYLE_BADGE = (
    "display:inline-block;padding:1px 7px;margin:1px 2px 1px 0;border-radius:10px;background:#eef1f5;"
    "color:#24292f;font-size:11px;white-space:nowrap"
)
STYLE_ERROR = "color:#b00020;border-left:3px solid #b00020;padding:2px 6px;margin:4px 0;background:#fff5f5"
STYLE_DIFF = "background:#ffd54f;color:#000;border-radius:2px;padding:0 1px"
STYLE_TABLE = "border-collapse:collapse;font-size:12px;margin:4px 0"
STYLE_CELL = "border:1px solid #d0d7de;padding:2px 6px;text-align:left;vertical-align:top"
STYLE_MUTED = "color:#57606a;font-style:italic"


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# ---------------------------------------------------------------------------------------------- values
def num(value: Any) -> float | None:
    """A float, or None for None / NaN / pandas NA / non-numbers."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def fmt_seconds(value: Any) -> str:
    f = num(value)
    if f is None:
        return "n/a"
    return f"{f * 1000:.0f} ms" if f < 1 else f"{f:.2f} s"


def fmt_cost(value: Any) -> str:
    f = num(value)
    if f is None:
        return "n/a"
    if f == 0:
        return "$0"
    if abs(f) < 0.01:
        return f"${f:.6f}"
    return f"${f:.4f}"


def fmt_int(value: Any) -> str:
    f = num(value)
    return "n/a" if f is None else f"{int(f):,}"


def fmt_tps(value: Any) -> str:
    f = num(value)
    return "n/a" if f is None else f"{f:.0f} tok/s"


def as_row(obj: Any) -> dict[str, Any]:
    """A Result, a DataFrame row (Series) or a mapping → a dict with the Result column names."""
    if hasattr(obj, "to_dict") and hasattr(obj, "tool_calls") and hasattr(obj, "error"):
        return obj.to_dict()  # a Result: tool calls become dicts, the error is spread into error_*
    if hasattr(obj, "to_dict") and not isinstance(obj, Mapping):
        return dict(obj.to_dict())  # pandas Series
    return dict(obj)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN / NA
    except (TypeError, ValueError):
        return False


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


# ---------------------------------------------------------------------------------------------- pieces
def simulated_banner() -> str:
    return f"<div class='mm-simulated' style='{STYLE_BANNER}'>{esc(SIMULATED_TEXT)}</div>"


def badges(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs shown above each answer: TTFT, total time, tokens, tokens/s, cost."""
    tokens = fmt_int(row.get("completion_tokens"))
    reasoning = num(row.get("reasoning_tokens"))
    if reasoning:
        tokens += f" ({int(reasoning):,} reasoning)"
    out = [
        ("TTFT", fmt_seconds(row.get("ttft_s"))),
        ("total", fmt_seconds(row.get("e2e_s"))),
        ("tokens", tokens),
        ("speed", fmt_tps(row.get("output_tps"))),
        ("cost", fmt_cost(row.get("cost_usd"))),
    ]
    if truthy(row.get("cached")):
        out.append(("cache", "replayed"))
    attempts = num(row.get("attempts"))
    if attempts and attempts > 1:
        out.append(("attempts", str(int(attempts))))
    return out


def badges_html(row: Mapping[str, Any]) -> str:
    return "".join(
        f"<span class='mm-badge' style='{STYLE_BADGE}'><b>{esc(k)}</b> {esc(v)}</span>" for k, v in badges(row)
    )


def error_html(kind: Any, message: Any, status: Any = None) -> str:
    st = num(status)
    code = f" (HTTP {int(st)})" if st is not None else ""
    return (
        f"<div class='mm-error' style='{STYLE_ERROR}'><b>{esc(kind)}{esc(code)}</b>: "
        f"{esc(message)}</div>"
    )


def reasoning_html(reasoning: str | None, *, open_: bool = False) -> str:
    """The reasoning in a collapsible section; says plainly when the provider returned none."""
    if reasoning is None or (isinstance(reasoning, float) and math.isnan(reasoning)):
        return f"<div class='mm-reasoning-none' style='{STYLE_MUTED}'>{esc(NO_REASONING)}</div>"
    opened = " open" if open_ else ""
    return (
        f"<details class='mm-reasoning'{opened}><summary>reasoning ({len(reasoning):,} chars)</summary>"
        f"<div style='white-space:pre-wrap;{STYLE_MUTED};font-style:normal;max-height:300px;overflow-y:auto'>"
        f"{esc(reasoning)}</div></details>"
    )


def _call_parts(call: Any) -> tuple[str, str]:
    if isinstance(call, Mapping):
        name, args, raw = call.get("name"), call.get("arguments"), call.get("arguments_raw")
    else:
        name, args = getattr(call, "name", ""), getattr(call, "arguments", None)
        raw = getattr(call, "arguments_raw", "")
    text = json.dumps(args, ensure_ascii=False) if isinstance(args, Mapping) else (raw or "")
    return str(name or ""), str(text)


def tool_calls_html(calls: Iterable[Any] | None) -> str:
    """Tool calls as a one-column table: each call's name, its arguments below (raw text when the JSON did not
    parse). One column so that a narrow card keeps names and arguments readable instead of one letter a line.
    """
    calls = list(calls or [])
    if not calls:
        return ""
    rows = "".join(
        f"<tr><td style='{STYLE_CELL}'><code style='font-weight:700'>{esc(n)}</code>"
        f"<div style='white-space:pre-wrap;overflow-wrap:anywhere'><code>{esc(a)}</code></div></td></tr>"
        for n, a in map(_call_parts, calls)
    )
    n = len(calls)
    return (
        f"<table class='mm-tools' style='{STYLE_TABLE};width:100%;table-layout:fixed'><thead><tr>"
        f"<th style='{STYLE_CELL}'>{n} tool call{'s' if n != 1 else ''}: name, then arguments</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


_TOKEN = re.compile(r"\s+|[^\s]+")
_PUNCT = re.compile(r"[\W_]+")


def _norm(word: str) -> str:
    """Compare words, not their markdown or punctuation: "**Blue**," matches "blue"."""
    return _PUNCT.sub("", word).lower() or word


def diff_html(reference: str, text: str) -> str:
    """``text`` with the words that differ from ``reference`` highlighted (word-level difflib).

    Words are compared case-insensitively without punctuation or markdown marks; they are shown as written.
    """
    a = _TOKEN.findall(reference or "")
    b = _TOKEN.findall(text or "")
    a_words = [_norm(t) for t in a if not t.isspace()]
    b_idx = [i for i, t in enumerate(b) if not t.isspace()]
    b_words = [_norm(b[i]) for i in b_idx]
    changed: set[int] = set()
    sm = difflib.SequenceMatcher(a=a_words, b=b_words, autojunk=False)
    for op, _i1, _i2, j1, j2 in sm.get_opcodes():
        if op in ("replace", "insert"):
            changed.update(b_idx[j1:j2])
    out = []
    for i, tok in enumerate(b):
        if i in changed:
            out.append(f"<mark class='mm-diff' style='{STYLE_DIFF}'>{esc(tok)}</mark>")
        else:
            out.append(esc(tok))
    return "<div style='white-space:pre-wrap'>" + "".join(out) + "</div>"


def prompt_text(prompt: Any) -> str:
    """A prompt (string or messages list) as readable text."""
    if prompt is None:
        return ""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        parts = []
        for m in prompt:
            if isinstance(m, Mapping):
                content = m.get("content")
                if not isinstance(content, str):
                    content = json.dumps(content, ensure_ascii=False, default=str)
                parts.append(f"{m.get('role', '?')}: {content}")
            else:
                parts.append(str(m))
        return "\n".join(parts)
    return str(prompt)


def prompt_html(prompt: Any, *, limit: int = 600) -> str:
    text = prompt_text(prompt)
    if not text:
        return ""
    if len(text) <= limit:
        style = "white-space:pre-wrap;margin:2px 0 6px 0"
        return f"<div class='mm-prompt' style='{style}'><b>prompt:</b> {esc(text)}</div>"
    return (
        f"<details class='mm-prompt'><summary><b>prompt:</b> {esc(text[:limit])}…</summary>"
        f"<div style='white-space:pre-wrap'>{esc(text)}</div></details>"
    )


def answer_html(content: str | None) -> str:
    if not content:
        return f"<div style='{STYLE_MUTED}'>(no answer text)</div>"
    return markdown_to_html(content)


def fallback_of(row: Mapping[str, Any]) -> str | None:
    """The model that answered a row instead of its model as requested (``answered_by``, on a fallback), else None."""
    answering = _text(row.get("answered_by"))
    return answering if answering is not None and answering != _text(row.get("model")) else None


def card_title_html(row: Mapping[str, Any]) -> str:
    """The model as requested, then the fallback that answered (if one did), provider, reported model, finish."""
    model = esc(row.get("model"))
    bits = []
    fallback = fallback_of(row)
    if fallback is not None:
        failed = _text(row.get("error_kind")) is not None
        bits.append(f"fallback {esc(fallback)} failed too" if failed else f"answered by {esc(fallback)} (fallback)")
    provider = _text(row.get("provider"))
    if provider:
        bits.append(esc(provider))
    rm = _text(row.get("response_model"))
    if rm and rm != str(fallback or row.get("model", "")).split("/", 1)[-1]:
        bits.append(f"reported as {esc(rm)}")
    finish = _text(row.get("finish_reason"))
    if finish:
        bits.append(f"finish: {esc(finish)}")
    if truthy(row.get("simulated")):
        bits.append("<b>simulated</b>")
    sub = f"<div style='color:#57606a;font-size:11px'>{' · '.join(bits)}</div>" if bits else ""
    return f"<div class='mm-title' style='font-weight:700;font-size:14px'>{model}</div>{sub}"


def result_card(obj: Any, *, reference: str | None = None, reference_model: str | None = None,
                style: str = STYLE_CARD) -> str:
    """One model's column: title, badges, error, answer (markdown), reasoning, tool calls.

    With ``reference`` (the first column's answer), a collapsed section shows this answer with the
    words that differ highlighted. ``style`` sizes the card (STYLE_CARD, or STYLE_CARD_ROW side by side).
    """
    row = as_row(obj)
    parts = [card_title_html(row), f"<div style='margin:4px 0'>{badges_html(row)}</div>"]
    kind = _text(row.get("error_kind"))
    if kind:
        parts.append(error_html(kind, row.get("error_message"), row.get("error_status")))
    content = _text(row.get("content")) or ""
    if content or not kind:
        parts.append(f"<div class='mm-answer' style='{STYLE_ANSWER}'>{answer_html(content)}</div>")
    if reference is not None and content:
        label = f"words that differ from {reference_model}" if reference_model else "words that differ"
        parts.append(
            f"<details class='mm-diffs'><summary>{esc(label)}</summary>{diff_html(reference, content)}</details>"
        )
    parts.append(reasoning_html(_text(row.get("reasoning"))))
    parts.append(tool_calls_html(_calls(row.get("tool_calls"))))
    return f"<div class='mm-card' data-model='{esc(row.get('model'))}' style='{style}'>{''.join(parts)}</div>"


def _calls(value: Any) -> list[Any]:
    """Tool calls from a Result dict, a DataFrame cell (list, array, or JSON text from a CSV/parquet export)."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if hasattr(value, "tolist") and not isinstance(value, list | tuple):
        value = value.tolist()
    return list(value) if isinstance(value, list | tuple) else []


def truthy(value: Any) -> bool:
    return not _missing(value) and bool(value)


def comparison_html(results: Iterable[Any], *, prompt: Any = None, simulated: bool = False, diff: bool = True,
                    banner: bool = True, wrap: bool = False) -> str:
    """Side by side: one card per model in a horizontally scrolling row; a SIMULATED banner when so.

    ``diff`` adds, under each answer after the first, a collapsed section with the words that differ
    from the first answer highlighted; ``banner=False`` leaves the SIMULATED banner to the caller;
    ``wrap=True`` wraps the cards onto several lines instead of scrolling sideways (reports, printing).
    """
    rows = [as_row(r) for r in results]
    simulated = simulated or any(truthy(r.get("simulated")) for r in rows)
    head = simulated_banner() if simulated and banner else ""
    ref_row = next((r for r in rows if not _text(r.get("error_kind")) and _text(r.get("content"))), None)
    ref = _text(ref_row.get("content")) if ref_row else None
    cards = []
    for r in rows:
        use_ref = diff and ref is not None and r is not ref_row and len(rows) > 1
        cards.append(result_card(r, reference=ref if use_ref else None,
                                 reference_model=str(ref_row.get("model")) if use_ref and ref_row else None,
                                 style=STYLE_CARD if wrap else STYLE_CARD_ROW))
    return (
        f"<div class='mm-comparison'>{head}{prompt_html(prompt)}"
        f"<div class='mm-row' style='{STYLE_ROW_WRAP if wrap else STYLE_ROW}'>{''.join(cards)}</div></div>"
    )


def result_html(result: Any) -> str:
    """A single Result as a card (for ``Result._repr_html_``)."""
    row = as_row(result)
    head = simulated_banner() if truthy(row.get("simulated")) else ""
    return f"<div class='mm-result'>{head}{result_card(row)}</div>"


# ---------------------------------------------------------------------------------------------- tables
def attribution(df: Any) -> tuple[Any, Any]:
    """Each row's model as requested and the model that answered (two Series named ``model`` and ``answered_by``),
    from a results frame of this release or of an older one read back from a file: older ``ev.df`` named the model
    as requested ``requested_model`` and the one that answered ``model``; older ``cmp.df`` named the model as
    requested ``fallback_from`` on a fallback's row and ``model`` the one that answered."""
    columns = set(df.columns)
    model = df["model"]
    if "answered_by" in columns:
        requested, answering = model, df["answered_by"].where(df["answered_by"].notna(), model)
    elif "requested_model" in columns:
        requested, answering = df["requested_model"].where(df["requested_model"].notna(), model), model
    elif "fallback_from" in columns:
        requested, answering = df["fallback_from"].where(df["fallback_from"].notna(), model), model
    else:
        requested, answering = model, model
    return requested.rename("model"), answering.rename("answered_by")


def model_summary(df: Any, score_columns: Iterable[str] | None = None) -> Any:
    """One row per model as requested (a fallback's answers count for the model they stood in for): requests,
    errors, cache replays, median TTFT/e2e on live rows, tokens, speed, cost, and the mean of each score column
    (``score_columns``, default ``score`` when present) as ``<name>_mean``. When a fallback answered any row:
    ``fallbacks`` (rows a fallback answered), ``fallback_rate`` (their share of the model's rows) and
    ``fallback_models`` (which models answered them)."""
    import pandas as pd

    scores = [c for c in (score_columns if score_columns is not None else ["score"]) if c in df]
    requested, answering = attribution(df)
    failed = df["error_kind"].notna().to_numpy() if "error_kind" in df else False
    fell_back = (answering != requested).to_numpy() & ~failed
    work = pd.DataFrame(df).assign(_requested=requested.to_numpy(), _answering=answering.to_numpy(),
                                   _fell_back=fell_back)

    rows = []
    for model, g in work.groupby("_requested", sort=False):
        err = g["error_kind"].notna() if "error_kind" in g else pd.Series(False, index=g.index)
        cached = g["cached"].fillna(False).astype(bool) if "cached" in g else pd.Series(False, index=g.index)
        live = g[~err & ~cached]
        ok = g[~err]
        row = {
            "model": model,
            "provider": _own_provider(g, model),
            "requests": len(g),
            "errors": int(err.sum()),
            "error_kinds": ", ".join(sorted({str(k) for k in g.loc[err, "error_kind"]})) if err.any() else "",
            "cached": int(cached.sum()),
            "ttft_p50_s": live["ttft_s"].median() if len(live) else math.nan,
            "e2e_p50_s": live["e2e_s"].median() if len(live) else math.nan,
            "completion_tokens_mean": pd.to_numeric(ok["completion_tokens"], errors="coerce").mean(),
            "output_tps_p50": live["output_tps"].median() if len(live) else math.nan,
            "cost_usd_mean": ok["cost_usd"].mean() if ok["cost_usd"].notna().any() else math.nan,
            "cost_usd_total": g["cost_usd"].sum(min_count=1),
        }
        if fell_back.any():
            row.update(_fallback_figures(g))
        for name in scores:
            row[f"{name}_mean"] = pd.to_numeric(g[name], errors="coerce").mean()
        rows.append(row)
    return pd.DataFrame(rows)


def _own_provider(g: Any, model: Any) -> Any:
    """The provider of a model's own rows (a fallback's rows name the fallback's provider); with none of its own,
    the model string's first segment, which names its provider."""
    if "provider" not in g:
        return None
    own = g.loc[g["_answering"] == g["_requested"], "provider"]
    return own.iloc[0] if len(own) else str(model).split("/", 1)[0]


def _fallback_figures(g: Any) -> dict[str, Any]:
    """One model's rows answered by a fallback: how many, their share, and which models answered them."""
    fell_back = g["_fell_back"].astype(bool)
    answering = g.loc[fell_back, "_answering"].astype(str).value_counts(sort=False)
    return {"fallbacks": int(fell_back.sum()), "fallback_rate": float(fell_back.mean()),
            "fallback_models": ", ".join(f"{m} ({n})" for m, n in answering.items())}


def _fmt_score(v: Any) -> str:
    f = num(v)
    return "n/a" if f is None else f"{f:.3f}"


_SUMMARY_FORMAT = {
    "ttft_p50_s": fmt_seconds,
    "e2e_p50_s": fmt_seconds,
    "completion_tokens_mean": lambda v: "n/a" if num(v) is None else f"{num(v):,.0f}",
    "output_tps_p50": fmt_tps,
    "cost_usd_mean": fmt_cost,
    "cost_usd_total": fmt_cost,
}
_SUMMARY_HEAD = {
    "error_kinds": "error kinds",
    "ttft_p50_s": "TTFT p50",
    "e2e_p50_s": "total p50",
    "completion_tokens_mean": "output tokens (mean)",
    "output_tps_p50": "speed p50",
    "cost_usd_mean": "cost / request",
    "cost_usd_total": "cost total",
}


def fmt_rate(value: Any) -> str:
    f = num(value)
    return "n/a" if f is None else f"{f:.0%}"


#: how a column of ``model_summary`` is shown wherever its table is drawn (the report's too), unless told otherwise
_TABLE_FORMAT = {"fallback_rate": fmt_rate}
_TABLE_HEAD = {"fallbacks": "fallbacks", "fallback_rate": "fallback rate", "fallback_models": "fallback models"}


def table_html(df: Any, *, formats: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
               css_class: str = "mm-table") -> str:
    """A DataFrame as an escaped HTML table with inline styles."""
    formats = {**_TABLE_FORMAT, **(formats or {})}
    headers = {**_TABLE_HEAD, **(headers or {})}
    cols = list(df.columns)
    th = "".join(f"<th style='{STYLE_CELL};background:#f6f8fa'>{esc(headers.get(c, c))}</th>" for c in cols)
    body = []
    for rec in df.to_dict("records"):
        tds = []
        for c in cols:
            v = rec[c]
            text = formats[c](v) if c in formats else ("" if _missing(v) else str(v))
            tds.append(f"<td style='{STYLE_CELL}'>{esc(text)}</td>")
        body.append(f"<tr data-model='{esc(rec.get('model', ''))}'>{''.join(tds)}</tr>")
    return (
        f"<table class='{css_class}' style='{STYLE_TABLE}'><thead><tr>{th}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def summary_table_html(df: Any, score_columns: Iterable[str] | None = None, intervals: Any = None) -> str:
    """The per-model summary (model_summary) as HTML: one row per model as requested, errors counted, latency from
    live rows only, and the fallback rate when a fallback answered any row; with ``intervals`` (an evaluation's
    ``summary()``), each score's 95% CI and its prompts after its mean."""
    summary = model_summary(df, score_columns)
    ci_columns = add_intervals(summary, list(score_columns or []), intervals)
    formats = dict(_SUMMARY_FORMAT)
    headers = dict(_SUMMARY_HEAD)
    for col in summary.columns:
        if col.endswith("_mean") and col not in formats:
            formats[col] = _fmt_score
            headers[col] = f"{col[: -len('_mean')]} (mean)"
    headers.update({col: f"{col[: -len('_ci95')]} (95% CI)" for col in ci_columns})
    return table_html(summary, formats=formats, headers=headers, css_class="mm-summary")


def add_intervals(summary: Any, scores: list[str], intervals: Any) -> list[str]:
    """Put "low–high (n prompts)" after each score's mean, from the evaluation's summary (its clustered CIs);
    nothing when there is none or it has several rows per model (a summary by system prompt)."""
    if intervals is None or not len(intervals) or intervals["model"].duplicated().any():
        return []
    by_model = intervals.set_index("model")
    added = []
    for name in scores:
        if f"{name}_ci95_low" not in by_model or f"{name}_mean" not in summary:
            continue
        cells = []
        for model in summary["model"]:
            low, high = (num(by_model[f"{name}_ci95_{end}"].get(model)) for end in ("low", "high"))
            prompts = num(by_model[f"{name}_prompts"].get(model)) if f"{name}_prompts" in by_model else None
            n = "" if prompts is None else f" ({prompts:,.0f} prompts)"
            cells.append("n/a" + n if low is None or high is None else f"{low:.3f}–{high:.3f}{n}")
        summary.insert(list(summary.columns).index(f"{name}_mean") + 1, f"{name}_ci95", cells)
        added.append(f"{name}_ci95")
    return added


__all__ = [
    "NO_REASONING",
    "SIMULATED_TEXT",
    "add_intervals",
    "answer_html",
    "as_row",
    "attribution",
    "badges",
    "badges_html",
    "comparison_html",
    "diff_html",
    "error_html",
    "fallback_of",
    "fmt_rate",
    "model_summary",
    "prompt_html",
    "reasoning_html",
    "result_card",
    "result_html",
    "simulated_banner",
    "summary_table_html",
    "table_html",
    "tool_calls_html",
]
