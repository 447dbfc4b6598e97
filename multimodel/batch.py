"""A batch of requests on the I/O loop: the plan's slots, their worst-case cost, claims shared between processes, the
run itself (budget, deadline, cancel) and its progress bar. evaluate() plans with it and runs its answers and its
judges' requests through it.

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
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from multimodel import pricing
from multimodel.config import check_count
from multimodel.errors import ConfigError, warn_user
from multimodel.exchange import unsent
from multimodel.inputs import FILE, IMAGE_DATA, IMAGE_HTTP, scan_inputs
from multimodel.request import PreparedRequest, RequestPreparer, check_fallbacks
from multimodel.results import Result
from multimodel.routing import as_router, prepare_naming_takers, route_or_raise, routing_kwargs
from multimodel.runner import Runner
from multimodel.store import claim_owner
from multimodel.templating import with_system
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
        total += price.cost(prompt_token_guess(req), int(out), 0)
    return total, unknown


IMAGE_TOKENS_WORST = 1600  # Anthropic's ceiling per image (OpenAI high detail: ~1,100; Gemini: 258-1,120)
PDF_PAGE_TOKENS = 1500  # OpenAI sends each page's text and an image of it
PDF_BYTES_PER_PAGE = 50_000  # a page count guess when the PDF is not opened


def prompt_token_guess(req: PreparedRequest) -> int:
    """Worst-case prompt tokens of a request: its text at 4 bytes a token, each attachment at its ceiling."""
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
            async with self.ahead(self.runner.gate_name(slot.req.provider)):
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
        # a row that failed while the run was being cancelled may have failed because of it (its connection cut):
        # left out like an unfinished row, so running the same call again sends it
        if result is not None and not (state.cancel.is_set() and result.error is not None):
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


def run_id_for(slots: list[Slot]) -> str:
    """Deterministic: the same prompts, models, repeats and parameters give the same run id."""
    h = hashlib.sha256()
    for slot in slots:
        h.update(slot.req.cache_key.encode())
    return h.hexdigest()[:16]


def run_batch(runner: Runner, slots: list[Slot], run_id: str, options: dict[str, Any], progress: bool,
         label: str, spent_usd: float = 0.0) -> tuple[list[Result | None], bool]:
    """Run the slots on the I/O loop behind a progress bar; (each slot's Result or None, whether interrupted).
    ``spent_usd``: what the run spent before these slots, counted against its budget."""
    state = RunState(results=[None] * len(slots), per_model_total=dict(Counter(slot.model for slot in slots)),
                     deadline=options["deadline"], spent_usd=spent_usd)
    if options["budget_usd"] is not None and spent_usd >= options["budget_usd"]:
        state.stop_reason = "budget"  # spent (or committed to batches) before these rows: none is sent
    fut, loop = submit(run_slots(runner, slots, state, run_id=run_id, concurrency=options["concurrency"],
                                 budget_usd=options["budget_usd"], lease_s=options["lease_s"]))
    interrupted = False
    bar = progress_bar(len(slots), progress, label)
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


def progress_bar(total: int, enabled: bool, label: str, **tqdm_options: Any) -> Any:
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
