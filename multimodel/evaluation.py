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
import hashlib
import math
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from multimodel import pricing
from multimodel.config import check_count, check_number
from multimodel.errors import ConfigError, PriceWarning
from multimodel.exchange import unsent
from multimodel.inputs import FILE, IMAGE_DATA, IMAGE_HTTP, scan_inputs
from multimodel.request import PreparedRequest, RequestPreparer, check_fallbacks, check_flags
from multimodel.results import Result, results_to_frame
from multimodel.routing import as_router, prepare_naming_takers, route_or_raise, routing_kwargs
from multimodel.runner import Runner
from multimodel.scorers import check_scorers, score_value
from multimodel.store import claim_owner
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


@dataclass
class RunState:
    """Shared between the I/O loop (writer) and the main thread (progress, interrupt)."""

    results: list[Result | None]
    spent_usd: float = 0.0
    done: int = 0
    errors: int = 0
    stop_reason: str | None = None
    per_model: dict[str, int] = field(default_factory=dict)
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
) -> tuple[list[dict[str, Any]], list[Slot], list[tuple[int, Any]]]:
    """Validate everything and prepare every request before anything is sent."""
    check_count(repeats, "repeats", fix=" (1 for one answer per prompt and model)")
    rows = _prompt_rows(prompts)
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
        prompt = _row_prompt(row, i)
        chosen = None
        if router is not None:
            try:
                chosen = route_or_raise(preparer, prompt, router, **routing_kwargs(params))
            except ConfigError as exc:
                raise ConfigError(f"prompt {i}: {exc}") from None
            row_models = chosen.models
            routings.append((i, chosen))
        else:
            row_models = [routes[row["task"]]] if routes and row.get("task") in routes else models
        for model in row_models:
            for rep in range(repeats):
                try:
                    req = prepare_naming_takers(preparer, model, prompt, **params)
                    fbs = [prepare_naming_takers(preparer, fb, prompt, **params) for fb in fallbacks.get(model, [])]
                except ConfigError as exc:
                    exc.args = (f"prompt {i}: {exc}",)
                    raise
                if chosen is not None:
                    req.route_reason = chosen.reason(model)
                if rep:
                    req.salt = f"repeat={rep}"
                    for fb in fbs:
                        fb.salt = req.salt
                slots.append(Slot(len(slots), i, model, rep, req, fbs))
    return rows, slots, routings


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
    if result.fallback_from is None:
        return slot.req.cache_key
    return next((fb.cache_key for fb in slot.fallbacks if fb.model == result.model), None)


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
        result = await self.runner.execute(fallback, self.run_id)
        result.fallback_from = slot.req.model
        return result


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
                 scorers: list[Callable[..., Any]], run_id: str, estimate_usd: float | None,
                 simulated: bool, interrupted: bool = False) -> None:
        self.run_id = run_id
        self.estimate_usd = estimate_usd
        self.simulated = simulated or any(r is not None and r.simulated for r in results)
        self.interrupted = interrupted
        kept = [(s, r) for s, r in zip(slots, results, strict=True) if r is not None]
        self.results = [r for _, r in kept]
        self._slots = [s for s, _ in kept]
        self._rows = rows
        self._scores = _score(scorers, self._slots, self.results, rows)
        self._df: Any = None
        self.routing: Any = None  # with models="auto:N": why each candidate was chosen or excluded, per prompt

    @property
    def df(self) -> Any:
        if self._df is None:
            self._df = self._build_frame()
        return self._df

    def _build_frame(self) -> Any:
        base = results_to_frame(self.results)
        ident: dict[str, list[Any]] = {"prompt_index": [s.row_index for s in self._slots],
                                       "requested_model": [s.model for s in self._slots],
                                       "repeat": [s.repeat for s in self._slots]}
        carried = sorted({k for row in self._rows for k in row} - {"prompt_index", "repeat"},
                         key=lambda k: (k not in ("prompt", "messages"), k))
        for key in carried:
            if key in base.columns:
                continue
            ident[key] = [self._rows[s.row_index].get(key) for s in self._slots]
        for pos, (key, values) in enumerate(ident.items()):
            base.insert(pos, key, values)
        for name, values in self._scores.items():
            base[name] = values
        return base

    @property
    def score_columns(self) -> list[str]:
        return list(self._scores)

    @property
    def plot(self) -> Any:
        """Charts of this evaluation: ``ev.plot.cost_vs_latency()``, ``.latency_distribution()``, ..."""
        from multimodel.plots import PlotAccessor

        return PlotAccessor(lambda: self.df, score_columns=self.score_columns)

    def to_html(self, path: str, **report_options: Any) -> Any:
        """A standalone HTML report (tables and charts embedded) that opens with no kernel; returns its path.

        Options as ``multimodel.report.write_report``: ``title``, ``charts``, ``chart_format``.
        """
        from multimodel.report import write_report

        return write_report(self, path, **report_options)

    def summary(self, *, seed: int = 0, resamples: int = 1000) -> Any:
        """Per model: n, error rate, p50/p95 TTFT and e2e on live rows, tokens, cost, mean score ± 95% CI."""
        import numpy as np
        import pandas as pd

        df = self.df
        out = []
        rng = np.random.default_rng(seed)
        for model, g in df.groupby("model", sort=False):
            live = g[g["error_kind"].isna() & ~g["cached"].astype(bool)]
            ok = g[g["error_kind"].isna()]
            row: dict[str, Any] = {
                "model": model,
                "n": len(g),
                "errors": int(g["error_kind"].notna().sum()),
                "error_rate": float(g["error_kind"].notna().mean()),
                "live_rows": len(live),
                "ttft_p50_s": live["ttft_s"].quantile(0.5) if len(live) else math.nan,
                "ttft_p95_s": live["ttft_s"].quantile(0.95) if len(live) else math.nan,
                "e2e_p50_s": live["e2e_s"].quantile(0.5) if len(live) else math.nan,
                "e2e_p95_s": live["e2e_s"].quantile(0.95) if len(live) else math.nan,
                # NaN when the provider never reported the count (not the same as zero)
                "prompt_tokens": _total(ok["prompt_tokens"]),
                "completion_tokens": _total(ok["completion_tokens"]),
                "reasoning_tokens": _total(ok["reasoning_tokens"]),
                "cost_usd": float(ok["cost_usd"].sum(min_count=1)) if ok["cost_usd"].notna().any() else math.nan,
                "cost_per_request_usd": float(ok["cost_usd"].mean()) if ok["cost_usd"].notna().any() else math.nan,
            }
            for name in self._scores:
                values = g[name].dropna().to_numpy(dtype=float)
                row[f"{name}_mean"] = float(values.mean()) if len(values) else math.nan
                if len(values) > 1:
                    idx = rng.integers(0, len(values), size=(resamples, len(values)))
                    means = values[idx].mean(axis=1)
                    row[f"{name}_ci95_low"], row[f"{name}_ci95_high"] = (float(np.quantile(means, 0.025)),
                                                                         float(np.quantile(means, 0.975)))
                else:
                    row[f"{name}_ci95_low"] = row[f"{name}_ci95_high"] = math.nan
            out.append(row)
        return pd.DataFrame(out)

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
        """All rows as CSV (nested values as JSON text); returns the path."""
        self._export_frame().to_csv(path, index=False)
        return Path(path)

    def to_parquet(self, path: str | Path) -> Path:
        """All rows as Parquet (nested values as JSON text); returns the path."""
        self._export_frame().to_parquet(path, index=False)
        return Path(path)

    def to_jsonl(self, path: str | Path) -> Path:
        """All rows as JSON lines; returns the path."""
        self._export_frame().to_json(path, orient="records", lines=True)
        return Path(path)

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
        return f"<p><b>{head}</b></p>" + summary_table_html(self.df, self.score_columns)


def _total(column: Any) -> float:
    return float(column.sum(min_count=1)) if column.notna().any() else math.nan


def _score(scorers: list[Callable[..., Any]], slots: list[Slot], results: list[Result],
           rows: list[dict[str, Any]]) -> dict[str, list[float]]:
    columns: dict[str, list[float]] = {}
    for scorer in scorers:
        name = getattr(scorer, "__name__", None) or type(scorer).__name__
        if name in columns or name == "<lambda>":
            name = f"score_{len(columns)}" if name == "<lambda>" else f"{name}_{len(columns)}"
        values = []
        failures = 0
        first = ""
        for slot, result in zip(slots, results, strict=True):
            try:
                values.append(score_value(scorer(result, rows[slot.row_index])))
            except Exception as exc:  # a scorer bug must not lose the run
                failures += 1
                first = first or f"{type(exc).__name__}: {exc}"
                values.append(math.nan)
        if failures:
            warnings.warn(f"scorer {name!r} failed on {failures} row(s) (first: {first}); those scores are NaN. A "
                          "scorer returns a number, a bool or None", RuntimeWarning, stacklevel=3)
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
             deadline_s: float | None = None, **params: Any) -> Evaluation:
    """Plan, check the budget, run on the I/O loop with a progress bar, score, and return an Evaluation.

    ``claim_lease_s``: how long another process sharing the cache file waits for a row this one claimed if this one
    dies (renewed every third of it while the run is alive). ``deadline_s``: the longest the whole run may wait
    out a throttling provider (429, 503, 529 are retried outside the error-retry budget); rows still waiting then
    become error rows of kind ``deadline``. None: as long as the provider only throttles."""
    check_number(claim_lease_s, "claim_lease_s", positive=True, fix=" (seconds a claim on a row lasts unrenewed)")
    if deadline_s is not None:
        check_number(deadline_s, "deadline_s", positive=True, fix=" (seconds for the whole run), or None")
    scorers = _check_run_options(scorers, concurrency, budget_usd, budget_override=budget_override,
                                 progress=progress, run_id=run_id)
    rows, slots, routings = plan(preparer, prompts, models, repeats=repeats, routes=routes, fallbacks=fallbacks,
                                 params=params)
    estimate, unpriced = estimate_cost(slots)
    if budget_usd is not None:
        if estimate > budget_usd and not budget_override:
            raise ConfigError(
                f"the worst-case cost estimate ${estimate:.4f} (prices × max_tokens, or {DEFAULT_OUTPUT_GUESS} output "
                f"tokens when max_tokens is unset) exceeds budget_usd=${budget_usd:g}; set max_tokens, raise the "
                "budget, or pass budget_override=True to run and stop when the spend reaches it"
            )
        if unpriced:
            warnings.warn(f"{unpriced} request(s) have no price: the budget cannot count them",
                          PriceWarning, stacklevel=2)
    run_id = run_id or run_id_for(slots)
    state = RunState(results=[None] * len(slots),
                     deadline=None if deadline_s is None else time.monotonic() + deadline_s)
    fut, loop = submit(run_slots(runner, slots, state, run_id=run_id, concurrency=concurrency, budget_usd=budget_usd,
                                 lease_s=claim_lease_s))
    interrupted = False
    bar = _progress_bar(len(slots), progress, simulated)
    try:
        while True:
            try:
                fut.result(timeout=0.2)
                break
            except concurrent.futures.TimeoutError:
                _update_bar(bar, state)
                if not IO.alive(loop):  # never expected: keep what finished, as an interrupt does
                    interrupted = True
                    warnings.warn(f"multimodel's I/O thread stopped: returning the {state.done} of {len(slots)} rows "
                                  "finished so far; run the same call again to finish it", RuntimeWarning, stacklevel=2)
                    break
    except KeyboardInterrupt:
        interrupted = True
        state.cancel.set()
        fut.cancel()
        warnings.warn(f"evaluation interrupted: returning the {state.done} of {len(slots)} rows finished so far; "
                      "run the same call again to finish it", RuntimeWarning, stacklevel=2)
    finally:
        if bar is not None:
            _update_bar(bar, state)
            bar.close()
    if runner.cache is not None:  # answers a locked cache held back are written now, not at the next write
        runner.cache.flush()
    ev = Evaluation(rows, slots, list(state.results), scorers=scorers, run_id=run_id,
                    estimate_usd=estimate, simulated=simulated, interrupted=interrupted)
    ev.routing = _routing_frame(routings) if routings else None
    return ev


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


def _progress_bar(total: int, enabled: bool, simulated: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="evaluate (SIMULATED)" if simulated else "evaluate", unit="req")


def _update_bar(bar: Any, state: RunState) -> None:
    if bar is None:
        return
    bar.n = state.done
    postfix = {"errors": state.errors, "spend": f"${state.spent_usd:.4f}"}
    if len(state.per_model) <= 6:
        postfix.update({m.split("/")[-1][:18]: n for m, n in state.per_model.items()})
    bar.set_postfix(postfix, refresh=False)
    bar.refresh()
