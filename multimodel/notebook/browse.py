"""An interactive results browser for a notebook: ``browse(ev)`` (or a Comparison, or either's DataFrame) and
``compare_runs(before, after)``, two evaluations of the same prompts paired per prompt and model.

The view is one self-contained HTML output: the rows as JSON in the output itself and a small script of our own
(``multimodel/data/browse.js``, no library, no CDN), so it works live in Jupyter, in an exported notebook or
HTML file, and with no network; searching and filtering 5,000 rows happens in the page with no kernel round trip.
Every string from a model reaches the page as text (``textContent``), never as HTML. Where the script cannot run
(an untrusted notebook, a renderer without JavaScript) a static table of the first rows is shown instead.
"""

from __future__ import annotations

import html
import math
import uuid
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from multimodel.errors import ConfigError
from multimodel.notebook.browse_data import (
    DEFAULT_MAX_CHARS,
    DEFAULT_MAX_ROWS,
    FrameRoles,
    Interner,
    check_size,
    frame_roles,
    numbers,
    results_payload,
    row_prompts,
    text_or_none,
    to_script_json,
)
from multimodel.notebook.run_diff import Pairing, pair_runs, summarize_pairs

SIMULATED_TEXT = "SIMULATED: answers come from multimodel's built-in simulator, not from real models"
STATIC_ROWS = 20
STATIC_NOTE = (
    "Static preview: the interactive browser (search, filters, sorting, full answers side by side) needs "
    "JavaScript. In Jupyter, run the cell again or trust the notebook (JupyterLab: File > Trust Notebook); an "
    "exported HTML file shows it when opened in a browser.")
_CELL = "border:1px solid #d0d7de;padding:2px 6px;text-align:left;vertical-align:top"


def _asset(name: str) -> str:
    return resources.files("multimodel").joinpath(f"data/{name}").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------- inputs
def _unpack(obj: Any, scores: Sequence[str] | str | None, what: str = "browse()") -> tuple[Any, FrameRoles]:
    """An Evaluation, a Comparison or a results DataFrame → (frame, its roles)."""
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        return obj, frame_roles(obj, scores=scores)
    df = getattr(obj, "df", None)
    if not isinstance(df, pd.DataFrame):
        raise ConfigError(f"{what} takes an evaluation (client.evaluate(...)), a comparison (client.compare(...)) or "
                          f"one's DataFrame (ev.df, cmp.df), not {type(obj).__name__}")
    if scores is None:
        scores = getattr(obj, "score_columns", None)
    kind = getattr(obj, "report_kind", "")
    run_id = getattr(obj, "run_id", None)
    title = f"evaluation {run_id}" if kind == "evaluation" and run_id else kind
    roles = frame_roles(df, scores=scores, prompt=getattr(obj, "prompt", None),
                        simulated=bool(getattr(obj, "simulated", False)), title=title)
    return df, roles


def _check_limits(max_chars: int | None, max_rows: int | None) -> None:
    for name, value in (("max_chars", max_chars), ("max_rows", max_rows)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ConfigError(f"{name} must be a positive whole number or None (no limit), got {value!r}")


# ---------------------------------------------------------------------------------------------- HTML
def view_html(kind: str, payload: dict[str, Any], static_html: str) -> str:
    """One output: the static fallback, the data, the styles and the script that replaces the fallback."""
    uid = f"mm-browse-{uuid.uuid4().hex[:12]}"
    payload = {"kind": kind, **payload}
    return (
        f"<div class='mm-browse' id='{uid}' data-kind='{kind}' data-lm-suppress-shortcuts='true'>"
        f"<div class='mm-browse-static'>{static_html}</div>"
        f"<script type='application/json' class='mm-browse-data'>{to_script_json(payload)}</script>"
        f"<style>{_asset('browse.css')}</style>"
        f"<script>{_asset('browse.js')}\nwindow.MMBrowse.mount(document.getElementById('{uid}'));</script></div>"
    )


def standalone_page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
            f"<body style='margin:12px'>{body}</body></html>")


def _write(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.{digits}g}" if abs(value) >= 1000 else f"{value:.{digits}f}"
    return "" if value is None else str(value)


def static_table(df: Any, columns: Sequence[str], *, limit: int = STATIC_ROWS, chars: int = 160) -> str:
    """The first rows of ``df`` as an escaped table with inline styles (survives notebook sanitizers)."""
    head = "".join(f"<th style='{_CELL};background:#f6f8fa'>{html.escape(c)}</th>" for c in columns)
    body = []
    for rec in df.head(limit).to_dict("records"):
        cells = []
        for c in columns:
            text = _fmt(rec.get(c)) if isinstance(rec.get(c), float) else text_or_none(rec.get(c)) or ""
            text = " ".join(text.split())
            cells.append(f"<td style='{_CELL}'>{html.escape(text[:chars] + ('…' if len(text) > chars else ''))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (f"<table style='border-collapse:collapse;font-size:12px;margin:4px 0'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _static(title: str, simulated: bool, table: str, counts: str) -> str:
    banner = ("<div class='mm-simulated' style='background:#fff3cd;border:2px solid #d39e00;color:#6b4400;"
              f"padding:6px 10px;margin:4px 0;font-weight:700;border-radius:4px'>{html.escape(SIMULATED_TEXT)}</div>"
              if simulated else "")
    note = html.escape(f"{STATIC_NOTE} {counts}")
    return (f"{banner}<div style='font-weight:700'>{html.escape(title)}</div>"
            f"<div style='color:#57606a;font-style:italic;margin:2px 0'>{note}</div>{table}")


# ---------------------------------------------------------------------------------------------- results
class ResultsBrowser:
    """An evaluation's or comparison's rows, browsable in the notebook: search, filter by model, error kind, score
    and prompt columns, sort by any metric, click a row to read its full answer, reasoning and tool calls beside
    the other models' answers to the same prompt. Displays itself; ``save(path)`` writes a standalone page."""

    def __init__(self, df: Any, roles: FrameRoles, *, max_chars: int | None = DEFAULT_MAX_CHARS) -> None:
        self.df = df
        self.scores = list(roles.scores)
        self.simulated = roles.simulated
        self.title = roles.title or "results"
        self._roles = roles
        self._max_chars = max_chars
        self._html: str | None = None

    def payload(self) -> dict[str, Any]:
        """The data the page's script reads (for tests and for anyone building another view on it)."""
        return results_payload(self.df, self._roles, max_chars=self._max_chars)

    def html(self) -> str:
        """The view as one HTML fragment (interactive with JavaScript, a static table without)."""
        if self._html is None:
            df = self.df.assign(prompt=row_prompts(self.df, self._roles.prompt))
            columns = [c for c in ("model", "prompt", "content", "error_kind", *self.scores, "e2e_s", "cost_usd")
                       if c in df.columns]
            counts = f"First {min(len(df), STATIC_ROWS)} of {len(df):,} rows."
            static = _static(f"{self.title}: {len(df):,} rows", self.simulated, static_table(df, columns), counts)
            self._html = view_html("results", self.payload(), static)
        return self._html

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path: str | Path) -> Path:
        """A standalone HTML page of this view (no network needed to open it); returns its path."""
        label = " (SIMULATED)" if self.simulated else ""
        return _write(path, standalone_page(f"multimodel: {self.title}{label}", self.html()))

    def __repr__(self) -> str:
        label = " SIMULATED" if self.simulated else ""
        models = self.df["model"].nunique()
        scores = f", scores: {', '.join(self.scores)}" if self.scores else ""
        rows = f"{len(self.df):,} row{'' if len(self.df) == 1 else 's'}"
        return f"<ResultsBrowser{label}: {rows}, {models} model{'' if models == 1 else 's'}{scores}>"


def browse(obj: Any, *, scores: Sequence[str] | str | None = None, max_chars: int | None = DEFAULT_MAX_CHARS,
           max_rows: int | None = DEFAULT_MAX_ROWS) -> ResultsBrowser:
    """Browse an evaluation, a comparison or one's DataFrame in the notebook (display the returned object).

    ``scores``: the score columns (an Evaluation knows its own; for a DataFrame, the numeric columns that are not
    Result columns). ``max_chars``: longer answers and reasoning are cut there in the page (the DataFrame keeps
    them whole); ``max_rows``: more rows than this raise instead of writing a huge output (None: no limit). The rows
    travel inside the output (about 1 MB per 1,000 rows of ordinary answers): for a notebook kept in git, clear the
    output before saving, or write the view to its own file with ``save(path)``.
    """
    _check_limits(max_chars, max_rows)
    df, roles = _unpack(obj, scores)
    check_size(df, max_rows)
    return ResultsBrowser(df, roles, max_chars=max_chars)


# ---------------------------------------------------------------------------------------------- two runs
class RunComparison:
    """Two evaluations of the same prompts, paired per (prompt, model): ``df`` has the score before and after, the
    change (better, worse, same, fixed, broke, …) and each run's rows; ``summary()`` counts them per model; the
    view (displayed) shows the per-model counts, the pairs, and both runs' answers side by side."""

    def __init__(self, before: tuple[Any, FrameRoles], after: tuple[Any, FrameRoles], pairing: Pairing, *,
                 labels: tuple[str, str], max_chars: int | None) -> None:
        self.before, self.after = before[0], after[0]
        self._roles = (before[1], after[1])
        self._pairing = pairing
        self.df = pairing.pairs
        self.on = pairing.on
        self.scores = pairing.scores
        self.score = pairing.primary
        self.labels = labels
        self.simulated = before[1].simulated or after[1].simulated
        self._max_chars = max_chars
        self._html: str | None = None

    def summary(self, score: str | None = None, *, seed: int = 0) -> Any:
        """Per model: pairs, how many got better, worse, stayed the same, were fixed or broke, mean score before
        and after (pairs scored in both runs), and the mean change with a paired bootstrap 95% interval."""
        score = self._score(score)
        return summarize_pairs(self.df, score, seed=seed)

    def better(self, model: str | None = None, score: str | None = None) -> Any:
        """The pairs whose score went up (or whose error was fixed), optionally of one model."""
        return self._where(("better", "fixed"), model, score)

    def worse(self, model: str | None = None, score: str | None = None) -> Any:
        """The pairs whose score went down (or that failed after answering before), optionally of one model."""
        return self._where(("worse", "broke"), model, score)

    def _score(self, score: str | None) -> str | None:
        if score is None:
            return self.score
        if score not in self.scores:
            raise ConfigError(f"score={score!r} is not a score column of both runs; both have {self.scores or 'none'}")
        return score

    def _where(self, changes: tuple[str, ...], model: str | None, score: str | None) -> Any:
        score = self._score(score)
        column = f"change_{score}" if score else "change_answers"
        mask = self.df[column].isin(changes)
        if model is not None:
            if model not in set(self.df["model"]):
                raise ConfigError(f"{model!r} is in neither run; the models are {sorted(set(self.df['model']))}")
            mask &= self.df["model"] == model
        return self.df[mask]

    def payload(self) -> dict[str, Any]:
        texts = Interner()
        before = results_payload(self.before, self._roles[0], max_chars=self._max_chars, texts=texts)
        after = results_payload(self.after, self._roles[1], max_chars=self._max_chars, texts=texts)
        before.pop("texts")
        after.pop("texts")
        df, p = self.df, self._pairing
        pairs: dict[str, Any] = {
            "prompt": [texts(v) for v in df["prompt"]], "model": [texts(str(v)) for v in df["model"]],
            "b": p.positions_before, "a": p.positions_after,
            "n_b": df["n_before"].tolist(), "n_a": df["n_after"].tolist(),
            "err_b": df["errors_before"].tolist(), "err_a": df["errors_after"].tolist(),
            "e2e_b": numbers(df["e2e_s_mean_before"]), "e2e_a": numbers(df["e2e_s_mean_after"]),
            "cost_b": numbers(df["cost_per_request_usd_before"]), "cost_a": numbers(df["cost_per_request_usd_after"]),
            "score": {s: {"b": numbers(df[f"{s}_before"]), "a": numbers(df[f"{s}_after"]),
                          "d": numbers(df[f"{s}_delta"])} for s in self.scores},
            "change": {s: df[f"change_{s}"].tolist() for s in self.scores} | {"": df["change_answers"].tolist()},
        }
        return {"before": before, "after": after, "pairs": pairs, "labels": list(self.labels), "on": self.on,
                "scores": self.scores, "primary": self.score or "", "texts": texts.values,
                "simulated": self.simulated, "title": ""}

    def html(self) -> str:
        """The view as one HTML fragment (interactive with JavaScript, the summary and changed pairs without)."""
        if self._html is None:
            summary = self.summary()
            changed = self.df[~self.df["change"].isin(("same",))]
            cols = ["prompt", "model", *(f"{self.score}_{s}" for s in ("before", "after", "delta") if self.score),
                    "change"]
            counts = f"{len(changed):,} of {len(self.df):,} pairs changed; the first {min(len(changed), STATIC_ROWS)}:"
            table = static_table(summary, list(summary.columns), limit=len(summary)) + static_table(changed, cols)
            static = _static(self._heading(), self.simulated, table, counts)
            self._html = view_html("runs", self.payload(), static)
        return self._html

    def _heading(self) -> str:
        how = "prompt text" if self.on == "prompt" else "prompt_index"
        return f"{self.labels[0]} → {self.labels[1]}: {len(self.df):,} prompt × model pairs, matched by {how}"

    def _repr_html_(self) -> str:
        return self.html()

    def save(self, path: str | Path) -> Path:
        """A standalone HTML page of this view; returns its path."""
        label = " (SIMULATED)" if self.simulated else ""
        return _write(path, standalone_page(f"multimodel: {self.labels[0]} vs {self.labels[1]}{label}", self.html()))

    def __repr__(self) -> str:
        counts = self.df["change"].value_counts()
        shown = ", ".join(f"{int(counts[c])} {c}" for c in counts.index)
        on = f" on {self.score}" if self.score else " (answers)"
        label = " SIMULATED" if self.simulated else ""
        return f"<RunComparison{label} {self.labels[0]} → {self.labels[1]}: {len(self.df)} pairs{on}: {shown}>"


def compare_runs(before: Any, after: Any, *, on: str = "auto", score: str | None = None,
                 labels: Sequence[str] = ("before", "after"), tolerance: float = 1e-9,
                 max_chars: int | None = DEFAULT_MAX_CHARS, max_rows: int | None = DEFAULT_MAX_ROWS) -> RunComparison:
    """Pair two evaluations of the same prompts per (prompt, model) and show what changed (display the result).

    ``on``: pair rows by ``"prompt"`` text, by ``"prompt_index"``, or ``"auto"`` (text when any prompt matches).
    ``score``: the score the changes are counted on (default: the first score both runs have; with none, whether
    the answers changed). A change smaller than ``tolerance`` counts as the same.
    """
    _check_limits(max_chars, max_rows)
    labels = tuple(labels)
    if len(labels) != 2 or not all(isinstance(x, str) and x for x in labels) or labels[0] == labels[1]:
        raise ConfigError(f"labels must be two different non-empty names, e.g. ('before', 'after'); got {labels!r}")
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not tolerance >= 0:
        raise ConfigError(f"tolerance must be a number >= 0 (score changes smaller than it count as the same), got "
                          f"{tolerance!r}")
    b = _unpack(before, None, "compare_runs()")
    a = _unpack(after, None, "compare_runs()")
    for df in (b[0], a[0]):
        check_size(df, max_rows)
    pairing = pair_runs(b[0], a[0], on=on, score=score, scores_before=b[1].scores, scores_after=a[1].scores,
                        tolerance=float(tolerance))
    return RunComparison(b, a, pairing, labels=(labels[0], labels[1]), max_chars=max_chars)
