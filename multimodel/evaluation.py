"""evaluate(): many prompts × models (× system prompts × repeats) → one long DataFrame, resumable and budgeted, and
what a researcher reads from it: ``summary()`` with clustered standard errors, ``paired()`` differences against a
baseline, per-prompt reducers, the judges' rows (``judge_df``), charts and exports. The batch itself (planning,
claims, running, progress) is :mod:`multimodel.batch`; the statistics are :mod:`multimodel.stats`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from multimodel import pricing, stats
from multimodel.batch import (
    CLAIM_LEASE_S,
    DEFAULT_OUTPUT_GUESS,
    Slot,
    estimate_cost,
    plan,
    prompt_token_guess,
    run_batch,
    run_id_for,
)
from multimodel.batch_plan import (
    ModeSplit,
    check_batch_options,
    estimate_batch_cost,
    hold_to_budget,
    plan_frame,
    show_plan,
    split_modes,
)
from multimodel.batch_runs import BatchHandle
from multimodel.config import check_count, check_number
from multimodel.errors import ConfigError, PriceWarning, warn_user
from multimodel.exchange import unsent
from multimodel.judging import JUDGE_LEAD, JudgeAsk, Judged, check_judges, judge_scores, plan_judges
from multimodel.request import PreparedRequest, RequestPreparer, check_flags
from multimodel.results import (
    LEAD_COLUMNS,
    LEGACY_ATTRIBUTION_COLUMNS,
    LeadColumnsFirst,
    Result,
    frame_of,
    pandas_subclass,
    results_to_frame,
)
from multimodel.runner import Runner
from multimodel.scorers import check_scorers, describe_failures, is_judge, missing_columns, score_row, scorer_name
from multimodel.templating import check_systems


class Evaluation:
    """The rows of one evaluate() call: ``df`` in long form, ``summary()`` per model, exports."""

    report_kind = "evaluation"  # how write_report lays it out

    def __init__(self, rows: list[dict[str, Any]], slots: list[Slot], results: list[Result | None], *,
                 scorers: dict[str, Any], run_id: str, estimate_usd: float | None,
                 simulated: bool, interrupted: bool = False, judged: Judged | None = None) -> None:
        self.run_id = run_id
        self.estimate_usd = estimate_usd
        self.simulated = simulated or any(r is not None and r.simulated for r in results)
        self.interrupted = interrupted
        kept = [(s, r) for s, r in zip(slots, results, strict=True) if r is not None]
        self.results = [r for _, r in kept]
        self._slots = [s for s, _ in kept]
        self._rows = rows
        self._judged = judged
        self._scores = _score(scorers, self._slots, self.results, rows, judged)
        self._df: Any = None
        self.routing: Any = None  # with models="auto:N": why each candidate was chosen or excluded, per prompt

    @property
    def df(self) -> Any:
        """One row per (prompt, system prompt, model, repeat): identity, the prompt, the answer, its scores, then
        times, tokens, cost and error, the prompt row's other columns, and every other Result column (built once)."""
        if self._df is None:
            self._df = self._build_frame()
        return self._df

    def _build_frame(self) -> Any:
        """The Result columns with each row's prompt, identity, carried prompt columns and scores, in the order a
        researcher reads: which prompt and model, the prompt, the answer and its scores, then times, tokens, cost,
        error (LEAD_COLUMNS), the prompt row's other columns, and the rest."""
        base = results_to_frame(self.results)
        systems = any(s.system is not None for s in self._slots)  # a prompt column named system is refused then
        carried = sorted({k for row in self._rows for k in row} - {"prompt_index", "repeat",
                                                                    *(["system"] if systems else []),
                                                                    *LEGACY_ATTRIBUTION_COLUMNS}
                         - set(base.columns) - set(self._scores), key=lambda k: (k not in ("prompt", "messages"), k))
        rows = [self._rows[s.row_index] for s in self._slots]
        given = {key: [row.get(key) for row in rows] for key in carried}
        lead = list(base.columns[:len(LEAD_COLUMNS)])  # model, content, ttft_s, ... stream
        ordered: dict[str, Any] = {"prompt_index": [s.row_index for s in self._slots],
                                   "repeat": [s.repeat for s in self._slots], "model": base["model"],
                                   "answered_by": base["answered_by"]}
        if systems:
            ordered["system"] = [s.system for s in self._slots]
        ordered.update({key: given.pop(key) for key in ("prompt", "messages") if key in given})
        ordered["content"] = base["content"]
        ordered.update(self._scores)
        ordered.update({name: base[name] for name in lead if name not in ordered})
        ordered.update(given)
        ordered.update({name: base[name] for name in base.columns if name not in ordered})
        frame = frame_of(ordered)
        frame.attrs["score_columns"] = list(self._scores)  # a parquet export keeps it: the report finds the scores
        return frame

    @property
    def score_columns(self) -> list[str]:
        """The names of the score columns in ``df``, one per scorer, in the order the scorers were given."""
        return list(self._scores)

    @property
    def plot(self) -> Any:
        """Charts of this evaluation: ``ev.plot.cost_vs_latency()``, ``.latency_distribution()``, ..."""
        from multimodel.plots import PlotAccessor

        return PlotAccessor(lambda: self.df, score_columns=self.score_columns, summary=self.summary)

    def browse(self, **options: Any) -> Any:
        """Search, filter, sort and read the rows in the notebook, each answer beside the other models' answers to
        the same prompt (:func:`multimodel.notebook.browse.browse`; works offline and in exported HTML)."""
        from multimodel.notebook.browse import browse

        return browse(self, **options)

    def compare_to(self, other: Any, **options: Any) -> Any:
        """This run ("before") against ``other`` ("after"), paired per prompt and model: which prompts got better or
        worse for each model (:func:`multimodel.notebook.browse.compare_runs`)."""
        from multimodel.notebook.browse import compare_runs

        return compare_runs(self, other, **options)

    def to_html(self, path: str, **report_options: Any) -> Any:
        """A standalone HTML report (tables and charts embedded) that opens with no kernel; returns its path.

        Options as ``multimodel.report.write_report``: ``title``, ``charts``, ``chart_format``.
        """
        from multimodel.report import write_report

        return write_report(self, path, **report_options)

    def summary(self, *, by: str | list[str] | None = None, cluster: str | None = None, reducer: str | None = None,
                k: int | None = None, level: float = 0.95, threshold: float = 1.0, seed: Any = None,
                resamples: Any = None) -> Any:
        """Per model as requested (and per system prompt, and per ``by`` column): n, errors, fallback rate, p50/p95
        TTFT and e2e on live rows, token and cost totals and means, and per score its mean, standard error, CI,
        prompts and samples.

        Standard errors are clustered by prompt (a prompt's repeats are not independent samples), or by the
        ``cluster`` column (questions that come in groups); with a ``reducer`` ("mean", "majority", "pass@k",
        "at_least_k", "max", "min"; ``k`` for the last two kinds; a sample passes at ``threshold``) each prompt's
        samples are reduced first. CIs are
        Student-t intervals at ``level`` (Miller 2024, "Adding Error Bars to Evals"; :mod:`multimodel.stats`).
        Names say what is summed (``_total``) and what is per request (``_mean``); TTFT quantiles cover the
        ``streamed_rows`` and are NaN without any. ``seed`` and ``resamples`` (the old bootstrap's) do nothing."""
        if seed is not None or resamples is not None:
            warn_user("ev.summary(): seed= and resamples= no longer do anything: score CIs are clustered t intervals "
                      "now, not a bootstrap; drop the arguments", FutureWarning)
        keys = self._group_keys(by)
        df = self.df
        judge_costs = None if self._judged is None else self._judged.row_costs(len(self.results))
        out = []
        for key, g in df.groupby(keys, sort=False, dropna=False):
            row = self._summary_row(dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)), g)
            if judge_costs is not None:  # what the judges' requests about this group's rows cost
                row["judge_cost_usd_total"] = float(sum(judge_costs[i] for i in g.index))
            out.append(row)
        columns = [*keys, *SUMMARY_COLUMNS[1:], *(["judge_cost_usd_total"] if self._judged is not None else [])]
        frame = pandas_subclass(__name__, "SummaryFrame", SummaryColumns)(out, columns=columns)
        for name in ("prompt_tokens_total", "completion_tokens_total", "reasoning_tokens_total"):
            frame[name] = frame[name].astype("Int64")
        if self._scores:
            table = stats.score_table(df, list(self._scores), by=keys, prompt="prompt_index", cluster=cluster,
                                      reducer=reducer, k=k, level=level, threshold=threshold)
            frame = pandas_subclass(__name__, "SummaryFrame", SummaryColumns)(frame.merge(table, on=keys, how="left"))
        frame.attrs["notes"] = self._summary_notes(frame, cluster, reducer)
        frame.attrs["cluster"] = cluster or "prompt"  # what the score CIs are clustered by, for the charts' legend
        frame.attrs["groups"] = keys  # what each row is a summary of (model, system, template, by)
        return frame

    def _group_keys(self, by: str | list[str] | None) -> list[str]:
        """The summary's groups: the model as requested, the system prompt when there were several, then ``by``."""
        keys = self._dimensions()
        extra = [by] if isinstance(by, str) else list(by or [])
        missing = [c for c in extra if c not in self.df.columns]
        if missing:
            raise ConfigError(f"by={by!r}: no column {missing[0]!r} in ev.df; group by one of its columns, e.g. "
                              "by='template' for a template sweep")
        return keys + [c for c in extra if c not in keys]

    def _dimensions(self) -> list[str]:
        """What a row's answer was asked under: the model, the system prompt (systems=) and the template, when there
        were several: summaries and paired comparisons keep them apart instead of pooling them."""
        df = self.df
        several = [c for c in ("system", "template") if c in df.columns and df[c].nunique(dropna=False) > 1]
        return ["model", *(["system"] if "system" in df.columns else []), *(c for c in several if c != "system")]

    def _summary_notes(self, frame: Any, cluster: str | None, reducer: str | None) -> list[str]:
        """What the summary's NaNs and intervals mean, each shown while the column it names is there."""
        flags = self.df["stream"].fillna(False).astype(bool)
        streamed = flags.groupby(self.df["model"], sort=False).any()
        models = list(dict.fromkeys(frame["model"]))
        unstreamed = [m for m in models if not streamed.get(m, False)]
        live = frame.groupby("model", sort=False)["live_rows"].sum()
        untimed = [m for m in models if live[m] == 0 and m not in unstreamed]
        notes = [TTFT_NOT_STREAMED.format(models=", ".join(unstreamed))] if unstreamed else []
        if untimed:  # streamed, but every row a cache replay or a failure: nothing live to time
            notes.append(NO_LIVE_ROWS.format(models=", ".join(untimed)))
        if self._scores:
            first = next(iter(self._scores))
            if reducer:
                unit = f"clustered by the {cluster!r} column" if cluster else "across prompts"
                how = f"each prompt's samples reduced by {reducer!r} to one value, then standard errors {unit}"
            else:
                unit = f"the {cluster!r} column" if cluster else "prompt"
                how = f"standard errors clustered by {unit} (a prompt's repeats are not independent samples)"
            notes.append(f"{first}_se and the CIs: {how}, Student-t intervals on clusters - 1 degrees of freedom")
        if "fallback_rate" in frame and (frame["fallback_rate"] > 0).any():
            notes.append("fallback_rate: rows a fallback answered count toward the model as requested (its scores, "
                         "cost and latency included); ev.df's answered_by says which")
        return notes

    def _summary_row(self, keys: dict[str, Any], g: Any) -> dict[str, Any]:
        live = g[g["error_kind"].isna() & ~g["cached"].astype(bool) & (g["mode"] != "batch")]
        ok = g[g["error_kind"].isna()]
        timed = live[live["stream"].astype(bool)]
        costs = ok["cost_usd"]
        row: dict[str, Any] = {
            **keys, "n": len(g), "errors": int(g["error_kind"].notna().sum()),
            "error_rate": float(g["error_kind"].notna().mean()),
            "fallback_rate": float((ok["answered_by"] != ok["model"]).sum() / len(g)),
            "live_rows": len(live), "streamed_rows": len(timed),
            "ttft_p50_s": _quantile(timed["ttft_s"], 0.5), "ttft_p95_s": _quantile(timed["ttft_s"], 0.95),
            "e2e_p50_s": _quantile(live["e2e_s"], 0.5), "e2e_p95_s": _quantile(live["e2e_s"], 0.95),
            # <NA> when the provider never reported the count (not the same as zero)
            **{f"{name}_total": _total(ok[name]) for name in ("prompt_tokens", "completion_tokens",
                                                               "reasoning_tokens")},
            "completion_tokens_mean": float(ok["completion_tokens"].mean()) if ok["completion_tokens"].notna().any()
            else math.nan,
            "cost_usd_total": float(costs.sum(min_count=1)) if costs.notna().any() else math.nan,
            "cost_usd_mean": float(costs.mean()) if costs.notna().any() else math.nan,
        }
        return row

    @property
    def judge_df(self) -> Any:
        """The judges' own requests, one row per request: which scorer, prompt, repeat, system and model it judged,
        the order (pairwise judges ask twice, positions swapped: "A" then "B"), then the judge's Result columns
        (``model`` is the judge; its cost is its own). Empty when no judge scored this run."""
        if self._judged is None:
            import pandas as pd

            return pd.DataFrame(columns=list(JUDGE_LEAD))
        return self._judged.frame(self._slots)

    def paired(self, scorer: str, baseline: str, *, by: str = "model", cluster: str | None = None,
               reducer: str = "mean", k: int | None = None, level: float = 0.95, threshold: float = 1.0) -> Any:
        """Each other model against ``baseline`` on the same prompts: per-prompt paired differences of ``scorer``
        (each prompt's samples reduced first) with SE, CI, t, p-value, the correlation between the two, and the
        minimum detectable difference at 80% power for this many prompts. ``by="system"`` compares system prompts
        instead (``baseline`` a system name), within each model. Pairing removes the prompts' shared difficulty
        from the comparison, so it detects differences that two overlapping CIs hide (Miller 2024, section 4)."""
        import pandas as pd

        if scorer not in self._scores:
            raise ConfigError(f"paired({scorer!r}): no such score column; this run's scores are "
                              f"{list(self._scores) or 'none (pass scorers= to evaluate())'}")
        df = self.df
        dims = self._dimensions()
        if by not in dims:
            raise ConfigError(f"paired(by={by!r}): pair by 'model', or by 'system' when evaluate() had systems=, or "
                              "by 'template' when the prompts came from several templates")
        options = {"baseline": baseline, "by": by, "prompt": "prompt_index", "cluster": cluster, "reducer": reducer,
                   "k": k, "level": level, "threshold": threshold}
        others = [c for c in dims if c != by]
        if by == "template":  # one question under two wordings: pair on the variables row, not the prompt row
            options["prompt"] = "variables_row" if "variables_row" in df.columns else options["prompt"]
        if not others:
            return stats.paired_table(df, scorer, **options)
        parts = []
        for values, group in df.groupby(others, sort=False):
            table = stats.paired_table(group, scorer, **options)
            for i, (name, value) in enumerate(zip(others, values if isinstance(values, tuple) else (values,),
                                                  strict=True)):
                table.insert(i, name, value)
            parts.append(table)
        return pd.concat(parts, ignore_index=True)

    def per_prompt(self, scorer: str, *, reducer: str = "mean", k: int | None = None, threshold: float = 1.0) -> Any:
        """One row per model (and system) and prompt: ``scorer`` reduced over the prompt's samples ("mean",
        "majority", "pass@k", "at_least_k", "max", "min"; a sample passes at ``threshold``) and their number."""
        if scorer not in self._scores:
            raise ConfigError(f"per_prompt({scorer!r}): no such score column; this run's scores are "
                              f"{list(self._scores) or 'none'}")
        return stats.reduce_per_prompt(self.df, scorer, by=tuple(self._group_keys(None)), prompt="prompt_index",
                                       reducer=reducer, k=k, threshold=threshold)

    # ---------------------------------------------------------------- exports
    def _export_frame(self) -> Any:
        """The frame with nested values (tool calls, logprobs, input lists, messages, multimodal prompts) as
        JSON text, so every export format holds one plain type per column."""
        df = self.df.copy()
        for col in ("tool_calls", "logprobs", "dropped_inputs", "unverified_inputs", "repaired", "messages", "prompt"):
            if col in df.columns:
                df[col] = [v if isinstance(v, str) or v is None or (isinstance(v, float) and math.isnan(v))
                           else orjson.dumps(v).decode() for v in df[col]]
        return df

    def to_csv(self, path: str | Path) -> Path:
        """All rows as CSV (nested values as JSON text, times as ISO 8601); creates the folder; returns the path."""
        path = _writable(path)
        self._export_frame().to_csv(path, index=False)
        return path

    def to_parquet(self, path: str | Path) -> Path:
        """All rows as Parquet (nested values as JSON text); creates the folder; returns the path."""
        path = _writable(path)
        self._export_frame().to_parquet(path, index=False)
        return path

    def to_jsonl(self, path: str | Path) -> Path:
        """All rows as JSON lines (times as ISO 8601); creates the folder; returns the path."""
        path = _writable(path)
        self._export_frame().to_json(path, orient="records", lines=True, date_format="iso", date_unit="us")
        return path

    def __len__(self) -> int:
        return len(self.results)

    def __repr__(self) -> str:
        label = "SIMULATED" if self.simulated else "live"
        state = " INTERRUPTED (partial)" if self.interrupted else ""
        errors = sum(r.error is not None for r in self.results)
        return f"<Evaluation {label}{state}: {len(self.results)} rows, {errors} errors, run {self.run_id}>"

    def _repr_html_(self) -> str:
        import html

        from multimodel.notebook.html import summary_table_html

        head = html.escape(repr(self))
        intervals = self.summary() if self._scores else None  # each score's clustered CI beside its mean
        return f"<p><b>{head}</b></p>" + summary_table_html(self.df, self.score_columns, intervals)


def _writable(path: str | Path) -> Path:
    """An export's path with its folder made (``ev.to_csv("out/x.csv")`` in a fresh clone), as to_html() does."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _total(column: Any) -> Any:
    """The sum of a count column, or None (<NA> in the summary) when no row has the count."""
    return int(column.sum()) if column.notna().any() else None


def _quantile(column: Any, q: float) -> float:
    return float(column.quantile(q)) if column.notna().any() else math.nan


#: ``ev.summary()``'s columns before the score columns; a ``_total`` is summed over the model's answered rows, a
#: ``_mean`` is per answered request
SUMMARY_COLUMNS = (
    "model", "n", "errors", "error_rate", "fallback_rate", "live_rows", "streamed_rows", "ttft_p50_s", "ttft_p95_s",
    "e2e_p50_s", "e2e_p95_s", "prompt_tokens_total", "completion_tokens_total", "reasoning_tokens_total",
    "completion_tokens_mean", "cost_usd_total", "cost_usd_mean",
)
#: the summary's names before they said total or per request: each still reads, as its new name, with a warning
SUMMARY_RENAMED = {
    "cost_usd": "cost_usd_total",
    "cost_per_request_usd": "cost_usd_mean",
    "prompt_tokens": "prompt_tokens_total",
    "completion_tokens": "completion_tokens_total",
    "reasoning_tokens": "reasoning_tokens_total",
}
TTFT_NOT_STREAMED = ("ttft_p50_s and ttft_p95_s are NaN for {models}: no request was streamed, so the first token's "
                     "time was not observed; pass stream=True to measure it")
NO_LIVE_ROWS = ("latency quantiles are NaN for {models}: no live row (every row a cache replay or a failure); "
                "replays keep their first run's timings in ev.df but are left out of latency statistics")


class RenamedColumns:
    """``ev.summary()`` (and its rows): a column read by its pre-0.2 name (SUMMARY_RENAMED) is read by its new
    name, with a FutureWarning at the caller's line, so code written against the old names keeps working."""

    def _renamed(self, key: Any) -> Any:
        labels = self.columns if getattr(self, "ndim", 1) == 2 else self.index
        if isinstance(key, str) and key in SUMMARY_RENAMED and key not in labels:
            new = SUMMARY_RENAMED[key]
            warn_user(f"ev.summary() column {key!r} is now {new!r} (names say whether a figure is a total over the "
                      f"model's rows or a mean per request); the old name will stop working", FutureWarning)
            return new
        if isinstance(key, list):
            return [self._renamed(k) for k in key]
        return key

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._renamed(key))

    def __getattr__(self, name: str) -> Any:
        if name in SUMMARY_RENAMED:
            return self[name]
        return super().__getattr__(name)

    @property
    def _constructor(self) -> Any:
        return type(self)

    @property
    def _constructor_sliced(self) -> Any:
        return pandas_subclass(__name__, "SummaryRow", RenamedColumns, "Series")


class SummaryColumns(RenamedColumns, LeadColumnsFirst):
    """``ev.summary()``: the old column names still read (RenamedColumns), a print wraps its columns at the
    width instead of hiding the middle ones (LeadColumnsFirst), and says what its NaNs mean (``attrs["notes"]``,
    each shown while the column it starts with is there)."""

    def _notes(self) -> list[str]:
        notes = getattr(self, "attrs", {}).get("notes") or []
        return [n for n in notes if isinstance(n, str) and n.split(" ", 1)[0] in self.columns]

    def __repr__(self) -> str:
        return "\n\n".join([super().__repr__(), *(f"Note: {n}" for n in self._notes())])

    def _repr_html_(self) -> str | None:
        import html

        table = super()._repr_html_()
        return None if table is None else table + "".join(f"<p><i>Note: {html.escape(n)}</i></p>"
                                                          for n in self._notes())


def __getattr__(name: str) -> Any:
    """The summary's pandas classes, made on first use (pickle finds them here)."""
    if name == "SummaryFrame":
        return pandas_subclass(__name__, name, SummaryColumns)
    if name == "SummaryRow":
        return pandas_subclass(__name__, name, RenamedColumns, "Series")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _score(scorers: dict[str, Any], slots: list[Slot], results: list[Result], rows: list[dict[str, Any]],
           judged: Judged | None) -> dict[str, list[float]]:
    """A column per scorer, in the order given: a plain scorer called on each row, a judge's column from its
    verdicts (NaN when the judges did not run: an interrupted run). One warning per scorer that failed, saying
    on how many rows, the first one and why."""
    columns: dict[str, list[float]] = {}
    for name, scorer in scorers.items():
        failures: list[tuple[int, Exception]] = []
        if is_judge(scorer):
            values = judged.columns[name] if judged is not None else [math.nan] * len(results)
            failures = judged.failures.get(name, []) if judged is not None else []
        else:
            values = []
            for i, (slot, result) in enumerate(zip(slots, results, strict=True)):
                value, exc = score_row(scorer, result, rows[slot.row_index])  # a scorer bug must not lose the run
                values.append(value)
                if exc is not None:
                    failures.append((i, exc))
        if failures:
            labelled = [((slots[i].row_index, slots[i].model, slots[i].repeat), exc) for i, exc in failures]
            warn_user(describe_failures(name, labelled), RuntimeWarning)
        columns[name] = values
    return columns




def evaluate(preparer: RequestPreparer, runner: Runner, prompts: Any, models: Any = None, *, simulated: bool,
             repeats: int = 1,
             scorers: list[Callable[..., Any]] | None = None, concurrency: int | None = None,
             budget_usd: float | None = None, budget_override: bool = False, run_id: str | None = None,
             progress: bool = True, fallbacks: Mapping[str, list[str]] | None = None,
             routes: Mapping[str, str] | None = None, claim_lease_s: float = CLAIM_LEASE_S,
             deadline_s: float | None = None, systems: Any = None, mode: str = "live",
             on_batch_failure: str = "error", **params: Any) -> Evaluation:
    """Plan, check the budget, run on the I/O loop with a progress bar, judge, score, and return an Evaluation.

    ``systems``: system prompts compared as a dimension like the models (a dict name → text, None for no system
    message, or a list of texts); each row carries the name in ``system``. ``claim_lease_s``: how long another
    process sharing the cache file waits for a row this one claimed if this one dies (renewed every third of it
    while the run is alive). ``deadline_s``: the longest the whole run may wait out a throttling provider (429, 503,
    529 are retried outside the error-retry budget); rows still waiting then become error rows of kind
    ``deadline``. None: as long as the provider only throttles.

    ``mode``: "live" (default) sends every request now; "batch" sends the rows of providers that have a Batch API
    through it (about half price, answered within 24 h, outside the live rate limits; the others run live, with a
    warning saying which); "auto" batches only (provider, model, API) groups of at least
    ``batch_plan.AUTO_MIN_ROWS`` rows. Batches are recorded in the cache as they are created, so running the same
    call again after a crash collects them instead of submitting again. ``on_batch_failure``: "error" (failed,
    expired or cancelled lines are error rows) or "live" (they are sent again live)."""
    check_number(claim_lease_s, "claim_lease_s", positive=True, fix=" (seconds a claim on a row lasts unrenewed)")
    if deadline_s is not None:
        check_number(deadline_s, "deadline_s", positive=True, fix=" (seconds for the whole run), or None")
    scorers = _check_run_options(scorers, concurrency, budget_usd, budget_override=budget_override,
                                 progress=progress, run_id=run_id)
    check_batch_options(mode, on_batch_failure)
    systems = None if systems is None else check_systems(systems)
    named = dict(zip(scorer_names(scorers), scorers, strict=True))
    judges = {name: scorer for name, scorer in named.items() if is_judge(scorer)}
    with preparer.one_warning_per_run():  # one warning per category for the whole plan, naming every model
        rows, slots, routings = plan(preparer, prompts, models, repeats=repeats, routes=routes, fallbacks=fallbacks,
                                     params=params, systems=systems)
        checked = check_judges(preparer, judges)
        _check_baselines(judges, slots, routed=models is not None and not isinstance(models, list | tuple))
        modes = split_modes(slots, mode)
        estimate = _check_budget(preparer, modes, budget_usd, budget_override,
                                 _judge_estimate(judges, checked, slots), on_batch_failure)
    if mode != "live" and progress:  # the plan first: what goes to which API, at what worst-case cost
        show_plan(plan_frame(modes, on_batch_failure))
    for message in missing_columns(scorers, {key for row in rows for key in row}):
        warn_user(message, UserWarning)
    run_id = run_id or run_id_for(slots)
    options = {"concurrency": concurrency, "budget_usd": budget_usd, "lease_s": claim_lease_s,
               "deadline": None if deadline_s is None else time.monotonic() + deadline_s}  # judges share it
    label = "evaluate (SIMULATED)" if simulated else "evaluate"
    for note in modes.notes:
        warn_user(f"mode={mode!r}: {note}", UserWarning)
    results, interrupted = _run_modes(runner, slots, modes, run_id, options, progress, label, on_batch_failure)
    kept = [(s, r) for s, r in zip(slots, results, strict=True) if r is not None]
    judged = None
    if judges and kept and not interrupted:
        judged, interrupted = _judge(preparer, runner, judges, kept, rows, run_id, options, progress, simulated)
    ev = Evaluation(rows, slots, results, scorers=named, run_id=run_id, estimate_usd=estimate,
                    simulated=simulated, interrupted=interrupted, judged=judged)
    ev.routing = _routing_frame(routings) if routings else None
    return ev


def scorer_names(scorers: list[Any]) -> list[str]:
    """Each scorer's column name: its ``__name__``; a lambda is ``score_<i>``, a repeated name gets ``_<i>``."""
    names: list[str] = []
    for scorer in scorers:
        name = scorer_name(scorer)
        if name in names or name == "<lambda>":
            name = f"score_{len(names)}" if name == "<lambda>" else f"{name}_{len(names)}"
        names.append(name)
    return names




def _judge(preparer: RequestPreparer, runner: Runner, judges: dict[str, Any], kept: list[tuple[Slot, Result]],
           rows: list[dict[str, Any]], run_id: str, options: dict[str, Any], progress: bool,
           simulated: bool) -> tuple[Judged, bool]:
    """Send every judge request the answered rows need, as rows of their own (cached, paced, counted against the
    run's budget), each distinct request once (two rows with the same answer share one verdict, as a re-run from the
    cache would), and read their verdicts; (what the judges said, whether the judging was interrupted)."""
    slots, results = [s for s, _ in kept], [r for _, r in kept]
    asks = plan_judges(preparer, judges, slots, results, rows)
    firsts: dict[str, JudgeAsk] = {}  # each distinct judge request, by its cache key, at its first ask
    for ask in asks:
        firsts.setdefault(ask.req.cache_key, ask)
    judge_slots = [Slot(i, slots[a.position].row_index, a.req.model, 0, a.req) for i, a in enumerate(firsts.values())]
    spent = sum(r.cost_usd for r in results if not r.cached and not math.isnan(r.cost_usd))
    sent, interrupted = run_batch(runner, judge_slots, run_id + "-judge", options, progress,
                                  "judge (SIMULATED)" if simulated else "judge", spent)
    by_key = dict(zip(firsts, sent, strict=True))
    replies: list[Result | None] = []
    for ask in asks:
        reply = by_key[ask.req.cache_key]
        if reply is not None and firsts[ask.req.cache_key] is not ask:
            reply = dataclasses.replace(reply, cost_usd=0.0, cached=True)  # the same verdict, not paid again
        replies.append(reply)
    return judge_scores(judges, asks, replies, slots, results, rows), interrupted


def _run_modes(runner: Runner, slots: list[Slot], modes: ModeSplit, run_id: str, options: dict[str, Any],
               progress: bool, label: str, on_batch_failure: str) -> tuple[list[Result | None], bool]:
    """The batch rows started first (submitted on the I/O loop), the live rows run meanwhile, then the wait for the
    batches; with on_batch_failure="live" the rows a batch failed are sent again live. One Result per slot."""
    if not modes.batch:
        return run_batch(runner, slots, run_id, options, progress, label)
    cache = runner.cache
    answered = None if cache is None else lambda s: s.req.use_cache and cache.get(s.req.cache_key) is not None
    batch, over, committed = hold_to_budget(modes.batch, options["budget_usd"], on_batch_failure, answered)
    handle = BatchHandle(runner, batch, run_id, options["lease_s"], deadline=options["deadline"]) if batch else None
    results: list[Result | None] = [None] * len(slots)
    for slot in over:
        results[slot.index] = unsent(slot.req, "budget", f"not sent: the batch rows before it take the budget of "
                                                         f"${options['budget_usd']:g} at their worst case")
    interrupted = False
    if modes.live:
        interrupted = _run_subset(runner, modes.live, results, run_id, options, progress, label, committed)
    if handle is None:
        return results, interrupted
    answered, failed, stopped = handle.abandon() if interrupted else handle.wait(progress, label)
    for index, result in answered.items():
        results[index] = result
    interrupted = interrupted or stopped
    if on_batch_failure == "live" and failed and not interrupted:
        spent = sum(r.cost_usd for r in results if r is not None and not r.cached and not math.isnan(r.cost_usd))
        again = [s for s in slots if s.index in failed]
        interrupted = _run_subset(runner, again, results, run_id, options, progress, label + " [re-sent live]", spent)
    return results, interrupted


def _run_subset(runner: Runner, subset: list[Slot], results: list[Result | None], run_id: str,
                options: dict[str, Any], progress: bool, label: str, spent: float) -> bool:
    """Run some of the slots live (renumbered for run_batch) and put their Results in place; whether interrupted."""
    renumbered = [dataclasses.replace(s, index=i) for i, s in enumerate(subset)]
    sent, interrupted = run_batch(runner, renumbered, run_id, options, progress, label, spent)
    for slot, result in zip(subset, sent, strict=True):
        if result is not None or results[slot.index] is None:
            results[slot.index] = result
    return interrupted


def _check_budget(preparer: RequestPreparer, modes: ModeSplit, budget_usd: float | None,
                  budget_override: bool, judging: tuple[float, int] = (0.0, 0),
                  on_batch_failure: str = "error") -> float:
    """The worst-case estimate, the judges' requests included, batch rows at the batch price (at the live price
    when a failed line may be re-sent live); ConfigError when it exceeds the budget (unless overridden), and a note
    for the run's price warning when some requests have no price the budget could count."""
    live_cost, live_unpriced = estimate_cost(modes.live)
    batch_cost, batch_unpriced = (estimate_cost if on_batch_failure == "live" else estimate_batch_cost)(modes.batch)
    estimate, unpriced = live_cost + batch_cost + judging[0], live_unpriced + batch_unpriced + judging[1]
    if budget_usd is None:
        return estimate
    if estimate > budget_usd and not budget_override:
        raise ConfigError(
            f"the worst-case cost estimate ${estimate:.4f} ({'batch rows at batch prices; ' if modes.batch else ''}"
            f"prices × max_tokens, or {DEFAULT_OUTPUT_GUESS} output "
            f"tokens when max_tokens is unset) exceeds budget_usd=${budget_usd:g}; set max_tokens, raise the "
            "budget, or pass budget_override=True to run and stop when the spend reaches it"
        )
    if unpriced:
        preparer.warn_once(f"{unpriced} request(s) have no price, so budget_usd cannot count them",
                           key=("budget", unpriced, budget_usd), category=PriceWarning)
    return estimate


#: what a judge prompt adds to the question and the answer(s) it quotes: the rubric and the instructions, in tokens
JUDGE_OVERHEAD_TOKENS = 200


def _judge_estimate(judges: dict[str, Any], checked: dict[str, PreparedRequest],
                    slots: list[Slot]) -> tuple[float, int]:
    """Worst-case USD of the judges' requests (every row answered at its output cap and judged: one request per
    row, two per non-baseline row for a pairwise judge), and how many of them have no price."""
    total, unknown = 0.0, 0
    for name, judge in judges.items():
        req = checked[name]
        price = pricing.price_for(req.provider, req.model_id)
        baseline = getattr(judge, "baseline", None)
        out = int(req.body.get("max_completion_tokens") or req.body.get("max_tokens") or DEFAULT_OUTPUT_GUESS)
        for slot in slots:
            if slot.req.skip is not None or slot.model == baseline:
                continue
            asks = 1 if baseline is None else 2
            answer = int(slot.req.body.get("max_completion_tokens") or slot.req.body.get("max_tokens")
                         or DEFAULT_OUTPUT_GUESS)
            prompt = prompt_token_guess(slot.req) + answer * asks + JUDGE_OVERHEAD_TOKENS
            if price is None:
                unknown += asks
            else:
                total += asks * price.cost(prompt, out, 0)
    return total, unknown


def _check_baselines(judges: dict[str, Any], slots: list[Slot], *, routed: bool) -> None:
    """A pairwise judge's baseline must be one of the models asked, or every one of its scores would be NaN."""
    models = list(dict.fromkeys(slot.model for slot in slots))
    for name, judge in judges.items():
        baseline = getattr(judge, "baseline", None)
        if baseline is None or baseline in models:
            continue
        message = (f"scorer {name!r}: its baseline {baseline!r} is not among the models of this run ({models}), so "
                   "it would have nothing to compare against; add it to models= or pick one of those as baseline=")
        if not routed:
            raise ConfigError(message)
        warn_user(message, UserWarning)


def _check_run_options(scorers: Any, concurrency: Any, budget_usd: Any, **flags: Any) -> list[Callable[..., Any]]:
    """The options of evaluate() that are not request arguments, checked before anything is sent; the scorers."""
    if concurrency is not None:
        check_count(concurrency, "concurrency", fix=" (requests in flight at once), or None for the providers' own")
    if budget_usd is not None:
        check_number(budget_usd, "budget_usd", positive=True, fix=" (USD), or None for no budget")
    check_flags(budget_override=flags["budget_override"], progress=flags["progress"])
    run_id = flags["run_id"]
    if run_id is not None and (not isinstance(run_id, str) or not run_id):
        raise ConfigError(f"run_id must be a non-empty string (or None: derived from the requests), got {run_id!r}")
    return check_scorers(scorers)


def _routing_frame(routings: list[tuple[int, Any]]) -> Any:
    """One row per (prompt, candidate): chosen or not, and why."""
    import pandas as pd

    return pd.DataFrame([{"prompt_index": i, "model": d.model, "chosen": d.chosen, "reason": d.reason}
                         for i, route in routings for d in route.decisions])
