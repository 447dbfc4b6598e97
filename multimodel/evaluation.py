"""evaluate(): many prompts × many models (× repeats) → one long DataFrame, resumable and budgeted.

Nothing is lost: each finished request is written to the SQLite cache as it completes (one statement,
WAL), keyed by the request hash plus the repeat number, so calling the same evaluation again after a
crash, a kill -9 or a kernel restart sends only what is missing. Nothing is sent twice either: several
processes running the same evaluation on one cache file claim each row before sending it (a lease that a
killed process lets lapse), and a row a fallback answered is remembered under the row's own key, so a
re-run replays that fallback's answer instead of sending the failing primary again. Every (prompt, model, repeat) slot
yields exactly one row: an answer, an error after the retry budget, or a row saying why it was not sent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import hashlib
import math
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from multimodel import pricing, stats
from multimodel.config import check_count, check_number
from multimodel.errors import ConfigError, PriceWarning, warn_user
from multimodel.exchange import unsent
from multimodel.inputs import FILE, IMAGE_DATA, IMAGE_HTTP, scan_inputs
from multimodel.judging import JUDGE_LEAD, Judged, check_judges, judge_scores, plan_judges
from multimodel.request import PreparedRequest, RequestPreparer, check_fallbacks, check_flags
from multimodel.results import (
    LEAD_COLUMNS,
    LEGACY_ATTRIBUTION_COLUMNS,
    LeadColumnsFirst,
    Result,
    frame_of,
    pandas_subclass,
    results_to_frame,
)
from multimodel.routing import as_router, prepare_naming_takers, route_or_raise, routing_kwargs
from multimodel.runner import Runner
from multimodel.scorers import check_scorers, describe_failures, is_judge, missing_columns, score_row, scorer_name
from multimodel.store import claim_owner
from multimodel.templating import check_systems, with_system
from multimodel.transport import IO, submit

DEFAULT_OUTPUT_GUESS = 4096  # worst-case output tokens assumed when max_tokens is not set


@dataclass
class Slot:
    index: int
    row_index: int
    model: str
    repeat: int
    req: PreparedRequest
    fallbacks: list[PreparedRequest] = field(default_factory=list)
    system: str | None = None  # the name of the system prompt (evaluate's systems=), None without one


@dataclass
class RunState:
    """Shared between the I/O loop (writer) and the main thread (progress, interrupt)."""

    results: list[Result | None]
    spent_usd: float = 0.0
    done: int = 0
    errors: int = 0
    stop_reason: str | None = None
    per_model: dict[str, int] = field(default_factory=dict)  # rows done per model as requested
    per_model_total: dict[str, int] = field(default_factory=dict)  # rows per model as requested
    cancel: threading.Event = field(default_factory=threading.Event)
    deadline: float | None = None  # monotonic time after which rows still waiting end as kind "deadline"


def _prompt_rows(prompts: Any) -> list[dict[str, Any]]:
    """A list of prompts or a DataFrame with a 'prompt' or 'messages' column → row dicts."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(prompts, pd.DataFrame):
        if "prompt" not in prompts.columns and "messages" not in prompts.columns:
            raise ConfigError(
                f"the prompts DataFrame needs a 'prompt' or 'messages' column; it has {list(prompts.columns)}"
            )
        rows = prompts.to_dict(orient="records")
    elif isinstance(prompts, str):
        raise ConfigError("evaluate() takes a list of prompts or a DataFrame; for one prompt use compare()")
    elif isinstance(prompts, Mapping | set | frozenset):
        kind = "a dict" if isinstance(prompts, Mapping) else "a set"
        raise ConfigError(f"prompts is {kind}: pass a list (its order fixes each row's prompt_index, which resuming "
                          "relies on), e.g. list(prompts.values()), or a DataFrame with a 'prompt' column and your "
                          "keys in another column")
    elif isinstance(prompts, Iterable):
        rows = [{"prompt": p} for p in prompts]
    else:
        raise ConfigError(f"prompts must be a list or a DataFrame, got {type(prompts).__name__}")
    if not rows:
        raise ConfigError("prompts is empty: pass at least one prompt, e.g. ['Why is the sky blue?'], or a DataFrame "
                          "with a 'prompt' or 'messages' column")
    return rows


def _row_prompt(row: dict[str, Any], index: int) -> Any:
    """A row's messages, else its prompt; an empty DataFrame cell (NaN, None) counts as absent, so a frame mixing
    rows of each kind works."""
    for key in ("messages", "prompt"):
        value = row.get(key)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return value
    raise ConfigError(f"prompt {index}: the row has neither a 'prompt' nor a 'messages' value; fill one in or drop "
                      "the row")


def plan(
    preparer: RequestPreparer,
    prompts: Any,
    models: Any,
    *,
    repeats: int,
    routes: Mapping[str, str] | None,
    fallbacks: Mapping[str, list[str]] | None,
    params: dict[str, Any],
    systems: Mapping[str, str | None] | None = None,
) -> tuple[list[dict[str, Any]], list[Slot], list[tuple[int, Any]]]:
    """Validate everything and prepare every request before anything is sent: one slot per prompt, system prompt
    (``systems``, a dimension like the models), model and repeat."""
    check_count(repeats, "repeats", fix=" (1 for one answer per prompt and model)")
    rows = _prompt_rows(prompts)
    if systems is not None and any("system" in row for row in rows):
        raise ConfigError("the prompts have a 'system' column and evaluate() got systems=: each row's 'system' names "
                          "its system prompt, so rename the column (e.g. to 'system_text') or drop systems=")
    router = as_router(models)
    if routes is not None and (not isinstance(routes, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in routes.items())):
        raise ConfigError(f"routes must be a dict of task → 'provider/model-id', e.g. {{'math': 'openai/gpt-5.4'}}; "
                          f"got {routes!r}")
    if router is not None and routes:
        raise ConfigError("pass either routes= (task → model) or a router (models='auto:N' / mm.Router), not both")
    if router is None and (isinstance(models, str) or not isinstance(models, Iterable | None)):
        raise ConfigError(f"models={models!r}: pass a list of 'provider/model-id' strings, or 'auto:N' to route")
    models = [] if router is not None else list(models or [])
    if router is None and routes and any("task" in r for r in rows):
        missing = sorted({str(r.get("task")) for r in rows if r.get("task") not in routes})
        if missing and not models:
            raise ConfigError(f"no route for task(s) {missing}; add them to routes= or pass models=")
    elif router is None and not models:
        raise ConfigError("evaluate() needs models=[...] or models='auto:N' (or routes= with a 'task' column in "
                          "the prompts)")
    routings: list[tuple[int, Any]] = []
    fallbacks = check_fallbacks(fallbacks)
    slots: list[Slot] = []
    for i, row in enumerate(rows):
        given = _row_prompt(row, i)
        chosen = None
        if router is not None:
            try:
                chosen = route_or_raise(preparer, given, router, **routing_kwargs(params))
            except ConfigError as exc:
                raise ConfigError(f"prompt {i}: {exc}") from None
            row_models = chosen.models
            routings.append((i, chosen))
        else:
            row_models = [routes[row["task"]]] if routes and row.get("task") in routes else models
        for system, system_text in (systems or {None: None}).items():
            try:
                prompt = with_system(given, system_text, name=system)
            except ConfigError as exc:
                raise ConfigError(f"prompt {i}: {exc}") from None
            for model in row_models:
                for rep in range(repeats):
                    req, fbs = _prepare_row(preparer, model, prompt, fallbacks.get(model, []), params, i)
                    if chosen is not None:
                        req.route_reason = chosen.reason(model)
                    if rep:
                        req.salt = f"repeat={rep}"
                        for fb in fbs:
                            fb.salt = req.salt
                    slots.append(Slot(len(slots), i, model, rep, req, fbs, system))
    return rows, slots, routings


def _prepare_row(preparer: RequestPreparer, model: str, prompt: Any, fallbacks: list[str], params: dict[str, Any],
                 index: int) -> tuple[PreparedRequest, list[PreparedRequest]]:
    """One row's request and its fallbacks' requests; a refusal names the prompt it came from."""
    try:
        req = prepare_naming_takers(preparer, model, prompt, **params)
        return req, [prepare_naming_takers(preparer, fb, prompt, **params) for fb in fallbacks]
    except ConfigError as exc:
        exc.args = (f"prompt {index}: {exc}",)
        raise


def estimate_cost(slots: list[Slot]) -> tuple[float, int]:
    """Worst-case USD from prices and max_tokens (or a 4,096-token guess); also how many had no price.

    Text counts at 4 bytes a token; an attachment at a worst-case token count instead of its base64 size
    (a 2 MB picture is ~1,600 tokens, not 700,000). Skipped slots cost nothing; audio has no price here.
    """
    total = 0.0
    unknown = 0
    for slot in slots:
        req = slot.req
        if req.skip is not None:
            continue
        price = pricing.price_for(req.provider, req.model_id)
        if price is None or req.audio_input:
            unknown += 1
            continue
        out = req.body.get("max_completion_tokens") or req.body.get("max_tokens") or DEFAULT_OUTPUT_GUESS
        total += price.cost(_prompt_token_guess(req), int(out), 0)
    return total, unknown


IMAGE_TOKENS_WORST = 1600  # Anthropic's ceiling per image (OpenAI high detail: ~1,100; Gemini: 258-1,120)
PDF_PAGE_TOKENS = 1500  # OpenAI sends each page's text and an image of it
PDF_BYTES_PER_PAGE = 50_000  # a page count guess when the PDF is not opened


def _prompt_token_guess(req: PreparedRequest) -> int:
    media_bytes = media_tokens = 0
    for item in scan_inputs(req.body.get("messages") or []):
        media_bytes += (item.nbytes or 0) * 4 // 3
        if item.feature in (IMAGE_DATA, IMAGE_HTTP):
            media_tokens += IMAGE_TOKENS_WORST
        elif item.feature == FILE:
            media_tokens += PDF_PAGE_TOKENS * max(1, (item.nbytes or 0) // PDF_BYTES_PER_PAGE)
    return max(0, len(req.payload) - media_bytes) // 4 + 1 + media_tokens


#: how long a claim on a row lasts unless renewed; a run renews its claims every third of it while it goes on, so
#: only a killed or frozen process lets one lapse, and another process takes the row over after at most this long
CLAIM_LEASE_S = 30.0
#: a process waiting for a row another one holds looks again after this long, then 1.5x longer each time, at most
WAIT_FIRST_S, WAIT_MAX_S = 0.05, 1.0
#: each process claims at most this many rows per provider ahead of its sends (times the provider's concurrency),
#: so processes started together share the rows instead of the first one claiming them all
CLAIM_AHEAD = 2


def slot_key(slot: Slot) -> str:
    """The key a row is claimed and answered under: its request's cache key, or with fallbacks a hash of the whole
    chain (the same primary with other fallbacks is another row)."""
    if not slot.fallbacks:
        return slot.req.cache_key
    h = hashlib.sha256()
    for req in (slot.req, *slot.fallbacks):
        h.update(req.cache_key.encode() + b"\0")
    return "chain:" + h.hexdigest()


def answering_key(slot: Slot, result: Result) -> str | None:
    """The cache key of the request in a row's chain that gave its answer, or None for an error."""
    if result.error is not None:
        return None
    if result.answered_by in (None, slot.req.model):
        return slot.req.cache_key
    return next((fb.cache_key for fb in slot.fallbacks if fb.model == result.answered_by), None)


Send = Callable[[], Awaitable["Result | None"]]


class Claims:
    """One run's claims on rows in a shared cache file: a row is claimed before it is sent, its lease renewed while
    the run goes on, and released when its answer is written or it ends in an error (errors are not cached)."""

    def __init__(self, runner: Runner, run_id: str, lease_s: float) -> None:
        self.runner, self.run_id, self.lease_s = runner, run_id, lease_s
        self.cache = runner.cache
        self.owner = claim_owner()  # per process and run: the same run in two kernels is two owners
        self._ahead: dict[str, asyncio.Semaphore] = {}

    def usable(self, slot: Slot) -> bool:
        """Whether the row goes through claims: only what the cache would store (a row not cached is sent anyway)."""
        return self.cache is not None and slot.req.use_cache and slot.req.skip is None

    def ahead(self, provider: str) -> asyncio.Semaphore:
        """The cap on this run's claimed-but-unfinished rows of one provider (CLAIM_AHEAD x its concurrency)."""
        sem = self._ahead.get(provider)
        if sem is None:
            sem = self._ahead[provider] = asyncio.Semaphore(CLAIM_AHEAD * self.runner.gate(provider).concurrency)
        return sem

    async def renew_forever(self) -> None:
        """Renew every claim of this run each third of the lease, until cancelled at the end of the run."""
        assert self.cache is not None
        while True:
            await asyncio.sleep(self.lease_s / 3)
            self.cache.renew_claims(self.owner, self.lease_s)

    async def run(self, slot: Slot, send: Send, cancelled: Callable[[], bool]) -> Result | None:
        """The row's Result: served from the cache once answered, sent under this run's claim, or sent after another
        process's claim ended without an answer or lapsed; None if the run was cancelled while it waited."""
        assert self.cache is not None
        key, delay = slot_key(slot), WAIT_FIRST_S
        while not cancelled():
            async with self.ahead(slot.req.provider.name):
                claim = self.cache.claim(key, self.owner, self.lease_s)
                if claim.status == "answered":
                    return await self.serve(slot, claim.answer_key, send)
                if claim.status != "held":
                    return await self.send_claimed(slot, key, send, mine=claim.status == "mine")
            await asyncio.sleep(max(0.0, min(delay, claim.expires - time.time() + 0.01)))
            delay = min(delay * 1.5, WAIT_MAX_S)
        return None

    async def send_claimed(self, slot: Slot, key: str, send: Send, *, mine: bool) -> Result | None:
        """Send the row, record which request answered a chain, and release the claim whatever happens."""
        assert self.cache is not None
        try:
            result = await send()
            answered = None if result is None or not slot.fallbacks else answering_key(slot, result)
            if answered is not None:
                self.cache.record_answer(key, answered)
            return result
        finally:
            if mine:
                self.cache.release_claim(key, self.owner)

    async def serve(self, slot: Slot, answer_key: str | None, send: Send) -> Result | None:
        """A row answered before (by this file's earlier run or another process): the fallback that answered it is
        replayed from the cache, never the failing primary sent again; the primary's own answer goes through send()."""
        fallback = next((fb for fb in slot.fallbacks if fb.cache_key == answer_key), None)
        if fallback is None:
            return await send()  # the runner's cache lookup serves it
        return (await self.runner.execute(fallback, self.run_id)).as_fallback_of(slot.req.model)


async def run_slots(runner: Runner, slots: list[Slot], state: RunState, *, run_id: str,
                    concurrency: int | None, budget_usd: float | None, lease_s: float = CLAIM_LEASE_S) -> None:
    """Run every slot on the I/O loop; results land in ``state.results`` as they complete. With a cache, each row
    is claimed before it is sent, so processes running the same evaluation on one file send it once."""
    global_cap = asyncio.Semaphore(concurrency) if concurrency else None
    claims = Claims(runner, run_id, lease_s) if runner.cache is not None else None

    async def send(slot: Slot) -> Result | None:
        if global_cap is not None:
            await global_cap.acquire()
        try:
            if state.cancel.is_set():
                return None
            if state.stop_reason == "budget":
                return unsent(slot.req, "budget", f"not sent: the budget of ${budget_usd:g} was reached")
            if state.deadline is not None and time.monotonic() > state.deadline:
                return unsent(slot.req, "deadline", "not sent: the run's deadline_s passed while this row waited")
            try:
                return await runner.execute_with_fallbacks(slot.req, slot.fallbacks, run_id, state.cancel.is_set,
                                                           deadline=state.deadline)
            except Exception as exc:  # one row's failure must not end a batch whose other requests go on
                return unsent(slot.req, "internal", f"multimodel failed on this row (a bug; please report "
                                                    f"it): {type(exc).__name__}")
        finally:
            if global_cap is not None:
                global_cap.release()

    async def one(slot: Slot) -> None:
        if claims is not None and claims.usable(slot):
            result = await claims.run(slot, lambda: send(slot), state.cancel.is_set)
        else:
            result = await send(slot)
        if result is not None:
            _tally(state, slot, result, budget_usd)

    renewer = asyncio.ensure_future(claims.renew_forever()) if claims is not None else None
    try:
        await asyncio.gather(*(one(s) for s in slots))
    finally:
        if renewer is not None:
            renewer.cancel()


def _tally(state: RunState, slot: Slot, result: Result, budget_usd: float | None) -> None:
    """Land one row's Result in the run state: counts, spend, and the budget stop."""
    state.results[slot.index] = result
    state.done += 1
    if result.error is not None:
        state.errors += 1
    state.per_model[slot.model] = state.per_model.get(slot.model, 0) + 1
    if not result.cached and not math.isnan(result.cost_usd):
        state.spent_usd += result.cost_usd
        if budget_usd is not None and state.spent_usd >= budget_usd:
            state.stop_reason = "budget"


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
        out = [self._summary_row(dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)), g)
               for key, g in df.groupby(keys, sort=False, dropna=False)]
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
        live = g[g["error_kind"].isna() & ~g["cached"].astype(bool)]
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
        if self._judged is not None:
            row["judge_cost_usd_total"] = self._judge_cost(g)
        return row

    def _judge_cost(self, rows: Any) -> float:
        """What the judge requests about one summary group's rows cost (NaN when none had a price)."""
        assert self._judged is not None
        costs = self._judged.row_costs(len(self.results))
        return float(sum(costs[i] for i in rows.index))

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


def run_id_for(slots: list[Slot]) -> str:
    """Deterministic: the same prompts, models, repeats and parameters give the same run id."""
    h = hashlib.sha256()
    for slot in slots:
        h.update(slot.req.cache_key.encode())
    return h.hexdigest()[:16]


def evaluate(preparer: RequestPreparer, runner: Runner, prompts: Any, models: Any = None, *, simulated: bool,
             repeats: int = 1,
             scorers: list[Callable[..., Any]] | None = None, concurrency: int | None = None,
             budget_usd: float | None = None, budget_override: bool = False, run_id: str | None = None,
             progress: bool = True, fallbacks: Mapping[str, list[str]] | None = None,
             routes: Mapping[str, str] | None = None, claim_lease_s: float = CLAIM_LEASE_S,
             deadline_s: float | None = None, systems: Any = None, **params: Any) -> Evaluation:
    """Plan, check the budget, run on the I/O loop with a progress bar, judge, score, and return an Evaluation.

    ``systems``: system prompts compared as a dimension like the models (a dict name → text, None for no system
    message, or a list of texts); each row carries the name in ``system``. ``claim_lease_s``: how long another
    process sharing the cache file waits for a row this one claimed if this one dies (renewed every third of it
    while the run is alive). ``deadline_s``: the longest the whole run may wait out a throttling provider (429, 503,
    529 are retried outside the error-retry budget); rows still waiting then become error rows of kind
    ``deadline``. None: as long as the provider only throttles."""
    check_number(claim_lease_s, "claim_lease_s", positive=True, fix=" (seconds a claim on a row lasts unrenewed)")
    if deadline_s is not None:
        check_number(deadline_s, "deadline_s", positive=True, fix=" (seconds for the whole run), or None")
    scorers = _check_run_options(scorers, concurrency, budget_usd, budget_override=budget_override,
                                 progress=progress, run_id=run_id)
    systems = None if systems is None else check_systems(systems)
    named = dict(zip(scorer_names(scorers), scorers, strict=True))
    judges = {name: scorer for name, scorer in named.items() if is_judge(scorer)}
    with preparer.one_warning_per_run():  # one warning per category for the whole plan, naming every model
        rows, slots, routings = plan(preparer, prompts, models, repeats=repeats, routes=routes, fallbacks=fallbacks,
                                     params=params, systems=systems)
        checked = check_judges(preparer, judges)
        _check_baselines(judges, slots, routed=models is not None and not isinstance(models, list | tuple))
        estimate = _check_budget(preparer, slots, budget_usd, budget_override, _judge_estimate(judges, checked, slots))
    for message in missing_columns(scorers, {key for row in rows for key in row}):
        warn_user(message, UserWarning)
    run_id = run_id or run_id_for(slots)
    options = {"concurrency": concurrency, "budget_usd": budget_usd, "lease_s": claim_lease_s,
               "deadline": None if deadline_s is None else time.monotonic() + deadline_s}  # judges share it
    results, interrupted = _run(runner, slots, run_id, options, progress, "evaluate (SIMULATED)" if simulated
                                else "evaluate")
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


def _run(runner: Runner, slots: list[Slot], run_id: str, options: dict[str, Any], progress: bool,
         label: str, spent_usd: float = 0.0) -> tuple[list[Result | None], bool]:
    """Run the slots on the I/O loop behind a progress bar; (each slot's Result or None, whether interrupted).
    ``spent_usd``: what the run spent before these slots, counted against its budget."""
    state = RunState(results=[None] * len(slots), per_model_total=dict(Counter(slot.model for slot in slots)),
                     deadline=options["deadline"], spent_usd=spent_usd)
    fut, loop = submit(run_slots(runner, slots, state, run_id=run_id, concurrency=options["concurrency"],
                                 budget_usd=options["budget_usd"], lease_s=options["lease_s"]))
    interrupted = False
    bar = _progress_bar(len(slots), progress, label)
    try:
        while True:
            try:
                fut.result(timeout=0.2)
                break
            except concurrent.futures.TimeoutError:
                _update_bar(bar, state)
                if not IO.alive(loop):  # never expected: keep what finished, as an interrupt does
                    interrupted = True
                    warn_user(f"multimodel's I/O thread stopped: returning the {state.done} of {len(slots)} rows "
                              "finished so far; run the same call again to finish it", RuntimeWarning)
                    break
    except KeyboardInterrupt:
        interrupted = True
        state.cancel.set()
        fut.cancel()
        what = "judging" if label.startswith("judge") else "evaluation"
        warn_user(f"{what} interrupted: returning the {state.done} of {len(slots)} {what} requests finished so far "
                  f"({'the scores of the rest are NaN; ' if what == 'judging' else ''}run the same call again to "
                  "finish it)", RuntimeWarning)
    finally:
        if bar is not None:
            _update_bar(bar, state)
            bar.close()
    if runner.cache is not None:  # answers a locked cache held back are written now, not at the next write
        runner.cache.flush()
    return list(state.results), interrupted


def _judge(preparer: RequestPreparer, runner: Runner, judges: dict[str, Any], kept: list[tuple[Slot, Result]],
           rows: list[dict[str, Any]], run_id: str, options: dict[str, Any], progress: bool,
           simulated: bool) -> tuple[Judged, bool]:
    """Send every judge request the answered rows need, as rows of their own (cached, paced, counted against the
    run's budget), each distinct request once (two rows with the same answer share one verdict, as a re-run from the
    cache would), and read their verdicts; (what the judges said, whether the judging was interrupted)."""
    slots, results = [s for s, _ in kept], [r for _, r in kept]
    asks = plan_judges(preparer, judges, slots, results, rows)
    unique: dict[str, int] = {}
    for ask in asks:
        unique.setdefault(ask.req.cache_key, len(unique))
    firsts = {i: ask for ask in reversed(asks) for i in [unique[ask.req.cache_key]]}
    judge_slots = [Slot(i, slots[firsts[i].position].row_index, firsts[i].req.model, 0, firsts[i].req)
                   for i in range(len(unique))]
    spent = sum(r.cost_usd for r in results if not r.cached and not math.isnan(r.cost_usd))
    sent, interrupted = _run(runner, judge_slots, run_id + "-judge", options, progress,
                             "judge (SIMULATED)" if simulated else "judge", spent)
    replies: list[Result | None] = []
    for n, ask in enumerate(asks):
        reply = sent[unique[ask.req.cache_key]]
        if reply is not None and firsts[unique[ask.req.cache_key]] is not asks[n]:
            reply = dataclasses.replace(reply, cost_usd=0.0, cached=True)  # the same verdict, not paid again
        replies.append(reply)
    return judge_scores(judges, asks, replies, slots, results, rows), interrupted


def _check_budget(preparer: RequestPreparer, slots: list[Slot], budget_usd: float | None,
                  budget_override: bool, judging: tuple[float, int] = (0.0, 0)) -> float:
    """The worst-case estimate, the judges' requests included; ConfigError when it exceeds the budget (unless
    overridden), and a note for the run's price warning when some requests have no price the budget could count."""
    estimate, unpriced = estimate_cost(slots)
    estimate, unpriced = estimate + judging[0], unpriced + judging[1]
    if budget_usd is None:
        return estimate
    if estimate > budget_usd and not budget_override:
        raise ConfigError(
            f"the worst-case cost estimate ${estimate:.4f} (prices × max_tokens, or {DEFAULT_OUTPUT_GUESS} output "
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
            prompt = _prompt_token_guess(slot.req) + answer * asks + JUDGE_OVERHEAD_TOKENS
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


def _progress_bar(total: int, enabled: bool, label: str, **tqdm_options: Any) -> Any:
    """The run's progress bar (tqdm: a widget in Jupyter, a line on stderr elsewhere), described by ``label``
    ("evaluate (SIMULATED)"); None when disabled. ``tqdm_options`` (``file``, ``ncols``) are for rendering it
    elsewhere, e.g. into a string in a test."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=label, unit="req", **tqdm_options)


#: the narrowest bar worth drawing; the postfix gives way (then the rate) before the bar goes below it
MIN_BAR_CHARS = 10
#: tqdm's line without the rate (req/s), for narrow terminals
_WITHOUT_RATE = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]"


def _update_bar(bar: Any, state: RunState) -> None:
    """Show the rows done and a postfix (errors, spend, the model furthest behind) that fits the line: the richest
    of _bar_layouts() that leaves the bar MIN_BAR_CHARS wide at the terminal's width (any width in Jupyter)."""
    if bar is None:
        return
    bar.n = state.done
    layouts = _bar_layouts(state)
    width = bar.format_dict.get("ncols")
    chosen = layouts[-1]
    for fmt, postfix in layouts:
        if not isinstance(width, int) or _bar_chars(bar, fmt, postfix, width) >= MIN_BAR_CHARS:
            chosen = (fmt, postfix)
            break
    bar.bar_format = chosen[0]
    bar.set_postfix_str(chosen[1], refresh=False)
    bar.refresh()


def _bar_layouts(state: RunState) -> list[tuple[str | None, str]]:
    """(bar_format, postfix) pairs from the richest to the leanest: errors and spend, and with several models the
    one furthest behind (the lowest share of its rows done), e.g. "2 errors, $0.0123, slowest gpt-5.4 4/20"."""
    money = f"${state.spent_usd:.4f}"
    errors = f"{state.errors} error{'' if state.errors == 1 else 's'}"
    short = f"{state.errors} err"
    behind = _slowest(state)
    full, lean = ([f"{errors}, {money}, slowest {behind[0]} {behind[1]}/{behind[2]}", f"{errors}, {money}, slowest "
                   f"{behind[0]}"] if behind else [f"{errors}, {money}"] * 2)
    return [(None, full), (_WITHOUT_RATE, full), (_WITHOUT_RATE, lean), (_WITHOUT_RATE, f"{errors}, {money}"),
            (_WITHOUT_RATE, f"{short}, {money}"), (_WITHOUT_RATE, short)]


def _slowest(state: RunState) -> tuple[str, int, int] | None:
    """The model with the lowest share of its rows done (short name, done, total), while several run."""
    totals = state.per_model_total
    waiting = [(state.per_model.get(m, 0) / n, m) for m, n in totals.items() if state.per_model.get(m, 0) < n]
    if len(totals) < 2 or not waiting:
        return None
    model = min(waiting)[1]
    name = model.rsplit("/", 1)[-1]
    name = name if len(name) <= 18 else name[:17] + "…"
    return name, state.per_model.get(model, 0), totals[model]


def _bar_chars(bar: Any, fmt: str | None, postfix: str, width: int) -> int:
    """How wide the bar itself would be on a line of ``width`` with this format and postfix."""
    line = bar.format_meter(**{**bar.format_dict, "ncols": None, "bar_format": fmt, "postfix": postfix})
    return width - (len(line) - 10)  # without ncols, tqdm draws a 10-character bar
