"""evaluate(mode="batch"|"auto"): an evaluation's rows through the providers' Batch APIs (multimodel/batchapi/).

Which rows go by batch (``split_modes``: providers whose dialect has a batch protocol; with "auto" only groups of at
least AUTO_MIN_ROWS rows), their worst-case cost at batch prices, and the run itself (``BatchRun``): rows answered in
the cache are served, rows of this run's recorded batches (a crash, a kill -9) are collected instead of submitted
again, the others are claimed in the cache (so a second process running the same evaluation waits for them instead
of submitting them too), submitted in batches cut by the provider's limits, each batch written to the cache the
moment it exists, then polled with backoff and collected; answers go to the cache like live ones.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import hashlib
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from multimodel import pricing
from multimodel.batch import DEFAULT_OUTPUT_GUESS, Slot, estimate_cost, plan, progress_bar, prompt_token_guess
from multimodel.batchapi import BatchAPIError, BatchJob, BatchStatus, group_lines, protocol_for, split
from multimodel.batchapi.base import batch_result, missing_error
from multimodel.config import ProviderConfig
from multimodel.errors import ConfigError, warn_user
from multimodel.exchange import annotate, unsent
from multimodel.results import Result, ResultError
from multimodel.runner import Runner
from multimodel.store import claim_owner
from multimodel.transport import IO, submit

MODES = ("live", "batch", "auto")
FAILURE_CHOICES = ("error", "live")
#: mode="auto" sends a (provider, model, API) group by batch only from this many rows on: below it the wait for a
#: batch (minutes to hours) is not worth half the price of a few requests
AUTO_MIN_ROWS = 100
#: polling a batch: first after this long, then 1.5x longer each time, at most POLL_MAX_S
POLL_FIRST_S, POLL_FACTOR, POLL_MAX_S = 1.0, 1.5, 60.0
#: a poll that fails this many times in a row with a non-retryable error (404, 403, ...) ends the batch's wait with
#: error rows (the batch stays recorded, uncollected: a re-run collects it)
POLL_GIVE_UP = 5
#: ... and this many times in a row with a retryable one (5xx, 429, a timeout, a reset), slept out with the polling
#: backoff or the provider's retry-after, whichever is longer (about 15 minutes of failures at the backoff's cap)
POLL_RETRY_GIVE_UP = 20
#: the longest a batch is waited for, from its submission: the providers' 24 h completion window and an hour's
#: grace; a batch still not ended (a state that never ends, one multimodel does not know) then leaves its rows as
#: error rows, still recorded and uncollected
BATCH_WINDOW_S = 25 * 3600.0
#: reading a batch's results: tries on a retryable failure (with the polling backoff) before its rows become errors
COLLECT_TRIES = 4
#: the longest a retry-after is honoured (a larger one is read as this)
RETRY_AFTER_CAP_S = 3600.0
#: writing a new batch's record when the cache is locked: the waits between further tries
RECORD_RETRY_S = (0.5, 1.0, 2.0, 4.0)
#: on an interrupt, how long the batch creates in flight get to answer and be recorded
SETTLE_S = 10.0
#: provider_code of the error rows of a batch that may exist at the provider, or exists and was not read: these
#: rows are never re-sent live in the same run (the batch is, or may be, paid already)
MAY_EXIST, UNCOLLECTED = "batch_may_exist", "batch_uncollected"


def check_batch_options(mode: Any, on_batch_failure: Any) -> None:
    """Refuse an unknown ``mode`` or ``on_batch_failure`` before anything is planned."""
    if mode not in MODES:
        raise ConfigError(f"mode={mode!r}: pass 'live' (default), 'batch' (the providers' Batch APIs, about half "
                          "price, answers within 24 h) or 'auto' (batch for large groups, live elsewhere)")
    if on_batch_failure not in FAILURE_CHOICES:
        raise ConfigError(f"on_batch_failure={on_batch_failure!r}: pass 'error' (failed batch lines become error "
                          "rows) or 'live' (they are sent again live)")


def custom_id_for(key: str) -> str:
    """A row's id inside a batch, from its request's cache key: stable across re-runs, within every provider's
    custom_id rules (letters, digits, '-', at most 64 characters)."""
    return "mm-" + hashlib.sha256(key.encode()).hexdigest()[:48]


@dataclass
class ModeSplit:
    """Which slots go by batch and which live, and one note per group that runs live in a batch run (why)."""

    batch: list[Slot] = field(default_factory=list)
    live: list[Slot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    why: dict[int, str] = field(default_factory=dict)  # slot index → why it runs live (or is not sent)


def _batch_refusal(slot: Slot) -> str | None:
    """Why a slot cannot go by batch, or None."""
    req = slot.req
    if req.skip is not None:
        return "not sent"
    if slot.fallbacks:
        return "rows with fallbacks run live (a fallback answers a failure at once)"
    proto = protocol_for(req.provider)
    if proto is None:
        return f"{req.provider.name} has no Batch API multimodel knows of"
    if req.api.name not in proto.apis:
        return f"{req.provider.name}'s Batch API does not carry {req.api.name} requests"
    return None


def split_modes(slots: Sequence[Slot], mode: str) -> ModeSplit:
    """The slots by how they run: ``mode`` "live" all live; "batch" every slot whose provider has a Batch API;
    "auto" those whose (provider, model, API) group has at least AUTO_MIN_ROWS rows."""
    out = ModeSplit()
    if mode == "live":
        out.live = list(slots)
        out.why = {s.index: "not sent" if s.req.skip is not None else "mode='live'" for s in slots}
        return out
    why = {slot.index: _batch_refusal(slot) for slot in slots}
    groups = Counter((s.req.provider.name, s.req.model_id, s.req.api.name) for s in slots if why[s.index] is None)
    live_notes: Counter[tuple[str, str]] = Counter()
    for slot in slots:
        reason = why[slot.index]
        group = (slot.req.provider.name, slot.req.model_id, slot.req.api.name)
        if reason is None and mode == "auto" and groups[group] < AUTO_MIN_ROWS:
            reason = f"fewer than {AUTO_MIN_ROWS} rows (mode='auto'; pass mode='batch' to batch them anyway)"
        if reason is None:
            out.batch.append(slot)
        else:
            out.live.append(slot)
            out.why[slot.index] = reason
            if reason != "not sent":
                live_notes[(slot.model, reason)] += 1
    out.notes = [f"{n} row(s) of {model} run live: {reason}" for (model, reason), n in live_notes.items()]
    return out


def estimate_batch_cost(slots: Sequence[Slot]) -> tuple[float, int]:
    """Worst-case USD of slots sent by batch (the batch price where one is sourced, else the live price), and how
    many have no price; the same worst case as batch.estimate_cost otherwise."""
    total, unknown = 0.0, 0
    for slot in slots:
        req = slot.req
        price = pricing.price_for(req.provider, req.model_id)
        if price is None or req.audio_input:
            unknown += 1
            continue
        price = price.batch() or price
        out = req.body.get("max_completion_tokens") or req.body.get("max_tokens") or DEFAULT_OUTPUT_GUESS
        total += price.cost(prompt_token_guess(req), int(out), 0)
    return total, unknown


# ---------------------------------------------------------------------- the plan shown before a batch run
PLAN_COLUMNS = ("provider", "model", "api", "rows", "runs", "why", "batches", "est_live_usd", "est_batch_usd",
                "unpriced")
#: evaluate()'s keywords that are not request parameters: a plan ignores them (they change how the run goes, not
#: which requests it sends where)
RUN_OPTIONS = ("scorers", "concurrency", "budget_usd", "budget_override", "run_id", "progress", "claim_lease_s",
               "deadline_s")


def _batches_needed(slots: Sequence[Slot]) -> int:
    """How many batches these slots (one provider, model and API) take, cut as BatchRun cuts them: identical
    requests share one line, then the provider's documented request and byte limits."""
    lines = list({custom_id_for(s.req.cache_key): s.req for s in slots}.items())
    proto = protocol_for(slots[0].req.provider)
    assert proto is not None
    return len(split(lines, proto.limits_for(slots[0].req.provider), proto.line_bytes))


def plan_frame(modes: ModeSplit, on_batch_failure: str = "error") -> Any:
    """One row per (provider, model, API, how it runs): rows, ``runs`` ("batch", "live" or "not sent") and ``why``
    (live: the reason), the batches it takes by the provider's limits, and the worst-case USD with every row live
    (``est_live_usd``) and as planned (``est_batch_usd``: batch rows at the batch price). ``attrs["estimate_usd"]``
    is the worst case evaluate() checks the budget against (batch rows at the live price when
    on_batch_failure="live", since a failed line is then paid again live)."""
    import pandas as pd

    groups: dict[tuple[str, str, str, str, str], list[Slot]] = {}
    for slot in sorted([*modes.batch, *modes.live], key=lambda s: s.index):
        reason = modes.why.get(slot.index)
        runs = "batch" if reason is None else "not sent" if reason == "not sent" else "live"
        why = "" if reason is None else str(slot.req.skip) if runs == "not sent" else reason
        key = (slot.req.provider.name, slot.model, slot.req.api.name, runs, why)
        groups.setdefault(key, []).append(slot)
    rows = []
    for (provider, model, api, runs, why), slots in groups.items():
        live_usd, unpriced = estimate_cost(slots)
        batch_usd = estimate_batch_cost(slots)[0] if runs == "batch" else live_usd
        rows.append({"provider": provider, "model": model, "api": api, "rows": len(slots), "runs": runs, "why": why,
                     "batches": _batches_needed(slots) if runs == "batch" else 0, "est_live_usd": live_usd,
                     "est_batch_usd": batch_usd, "unpriced": unpriced})
    frame = pd.DataFrame(rows, columns=list(PLAN_COLUMNS))
    frame.attrs["estimate_usd"] = float(frame["est_live_usd" if on_batch_failure == "live" else "est_batch_usd"].sum())
    frame.attrs["on_batch_failure"] = on_batch_failure
    return frame


def _batches_text(n: int) -> str:
    return f"{n} batch" if n == 1 else f"{n} batches"


def format_plan(frame: Any) -> str:
    """The plan as text: one line per group, then the totals (what the command line and a script print)."""
    lines = ["batch plan (worst case: prices x max_tokens; rows already in the cache are served, not sent):"]
    for g in frame.itertuples(index=False):
        if g.runs == "batch":
            how = f"by batch in {_batches_text(g.batches)}"
            cost = f"${g.est_batch_usd:.4f} (live: ${g.est_live_usd:.4f})"
        elif g.runs == "live":
            how, cost = f"live ({g.why})", f"${g.est_live_usd:.4f}"
        else:
            how, cost = f"not sent ({g.why})", "$0"
        priced = f", {g.unpriced} without a price" if g.unpriced else ""
        lines.append(f"  {g.model} [{g.api}]: {g.rows:,} rows {how}; {cost}{priced}")
    live_total = float(frame["est_live_usd"].sum())
    batches = _batches_text(int(frame["batches"].sum()))
    lines.append(f"  total: {int(frame['rows'].sum()):,} rows, {batches}; worst case "
                 f"${frame.attrs['estimate_usd']:.4f} as planned, ${live_total:.4f} all live")
    if frame.attrs.get("on_batch_failure") == "live" and (frame["runs"] == "batch").any():
        lines.append("  (on_batch_failure='live': the budget counts batch rows at live prices, since a failed line "
                     "is sent again live)")
    return "\n".join(lines)


def show_plan(frame: Any, file: Any = None) -> None:
    """Show the plan before the run starts: the table in a Jupyter kernel, else its text on ``file`` (stdout)."""
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None  # type: ignore[assignment]
    shell = get_ipython() if get_ipython is not None and file is None else None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        print(format_plan(frame).splitlines()[-1].strip())
        display(frame)
        return
    print(format_plan(frame), file=file, flush=True)


def batch_plan(preparer: Any, prompts: Any, models: Any = None, *, mode: str = "batch",
               on_batch_failure: str = "error", repeats: int = 1, routes: Any = None, fallbacks: Any = None,
               systems: Any = None, **params: Any) -> Any:
    """The plan of ``evaluate(prompts, models, mode=..., **params)`` without sending anything (plan_frame): the
    same requests, split and estimates evaluate() would use. evaluate()'s run options (scorers, budget, ...) are
    accepted and ignored; judges' requests are not in it (they run live, after the rows)."""
    from multimodel.templating import check_systems

    check_batch_options(mode, on_batch_failure)
    request_params = {k: v for k, v in params.items() if k not in RUN_OPTIONS}
    systems = None if systems is None else check_systems(systems)
    with preparer.one_warning_per_run():
        _, slots, _ = plan(preparer, prompts, models, repeats=repeats, routes=routes, fallbacks=fallbacks,
                           params=request_params, systems=systems)
    return plan_frame(split_modes(slots, mode), on_batch_failure)


def plan_first(preparer: Any, prompts: Any, models: Any, options: dict[str, Any]) -> Any:
    """What client.evaluate() does before running: with ``plan_only=True`` (popped from ``options``) the plan
    itself, returned (nothing is sent); else None."""
    plan_only = options.pop("plan_only", False)
    if not isinstance(plan_only, bool):
        raise ConfigError(f"plan_only must be True or False, got {plan_only!r}")
    if plan_only:
        return batch_plan(preparer, prompts, models, **{"mode": "batch", **options})
    return None  # a batch run shows its plan itself (evaluate()), from the one plan it runs


@dataclass
class Tracked:
    """One batch this run waits for: its job, provider config and latest status."""

    job: BatchJob
    cfg: ProviderConfig
    status: BatchStatus | None = None
    failing: str | None = None  # the error kind of the polls failing now (shown while waiting)
    adopted: bool = False  # found recorded in the cache (an earlier process submitted it), not submitted now

    @property
    def label(self) -> str:
        model = self.job.model_id if len(self.job.model_id) <= 18 else self.job.model_id[:17] + "…"
        failing = f" (poll failing: {self.failing})" if self.failing else ""
        if self.status is None:
            return f"{model} submitted{failing}"
        return f"{model} {self.status.state} {self.status.done}/{self.status.total}{failing}"


class BatchRun:
    """The batch slots of one evaluation run on the I/O loop: served, adopted, claimed, submitted, polled and
    collected. ``results`` fills by slot index; ``failed`` holds the indexes of rows a batch answered with an error."""

    def __init__(self, runner: Runner, slots: Sequence[Slot], run_id: str, lease_s: float,
                 deadline: float | None = None) -> None:
        self.runner, self.run_id, self.lease_s = runner, run_id, lease_s
        self.deadline = deadline  # time.monotonic() by which the run gives up waiting (evaluate's deadline_s)
        self.cache = runner.cache
        self.owner = claim_owner()
        self.by_cid: dict[str, list[Slot]] = {}
        for slot in slots:
            self.by_cid.setdefault(custom_id_for(slot.req.cache_key), []).append(slot)
        self.total = len(slots)
        self.results: dict[int, Result] = {}
        self.failed: set[int] = set()
        self.tracked: list[Tracked] = []
        self.mine: set[str] = set()  # custom ids whose rows this run claimed
        self.held: set[str] = set()  # custom ids another process claimed: wait for their answers
        self.creating: set[asyncio.Task[None]] = set()  # "create + record" tasks, shielded from a cancel

    # ------------------------------------------------------------------ the run
    async def run(self) -> None:
        """Everything: adopt this run's recorded batches, serve or claim the rest, submit, then wait and collect.
        The claims are renewed from the start: an upload or a create can outlast a lease, and a lapsed claim lets
        another process submit the same rows."""
        renewer = asyncio.ensure_future(self._renew()) if self.cache is not None else None
        try:
            waiting = set(self.by_cid) - self._adopt(set(self.by_cid))
            to_submit = await self._sort_out(waiting)
            await self._submit(to_submit)
            tasks = [self._follow(t) for t in self.tracked]
            await asyncio.gather(*tasks, self._wait_held())
        finally:
            if renewer is not None:
                renewer.cancel()

    def _adopt(self, cids: set[str]) -> set[str]:
        """Track the uncollected batches of this run recorded in the cache that hold any of ``cids``; the ids they
        hold. A batch already tracked is skipped."""
        if self.cache is None:
            return set()
        known = {t.job.batch_id for t in self.tracked}
        found: set[str] = set()
        for record in self.cache.batches(self.run_id):
            if record["collected"] is not None or record["batch_id"] in known:
                continue
            held = cids & set(record["custom_ids"])
            cfg = self.runner.providers.get(record["provider"])
            if not held or cfg is None:
                continue
            self.tracked.append(Tracked(BatchJob.from_dict(record["job"]), cfg, adopted=True))
            found |= set(record["custom_ids"]) & set(self.by_cid)
        return found

    async def _sort_out(self, cids: set[str]) -> list[str]:
        """Serve the rows answered in the cache, claim the others; those to submit now (claimed or no claim
        possible). Rows another process holds go to ``held``."""
        to_submit = []
        for cid in [cid for cid in self.by_cid if cid in cids]:  # in the plan's order
            req = self.by_cid[cid][0].req
            if self.cache is None or not req.use_cache:
                to_submit.append(cid)
                continue
            claim = self.cache.claim(req.cache_key, self.owner, self.lease_s)
            if claim.status == "answered":
                await self._serve(cid)
            elif claim.status == "held":
                self.held.add(cid)
            else:
                if claim.status == "mine":
                    self.mine.add(cid)
                to_submit.append(cid)
        return to_submit

    async def _serve(self, cid: str) -> None:
        """Rows answered before (by this run before a crash, another process, or another evaluation): from the
        cache, as the live path serves them (``cached`` unless this run wrote them)."""
        for slot in self.by_cid[cid]:
            self.results[slot.index] = await self.runner.execute(slot.req, self.run_id)

    async def _submit(self, cids: list[str]) -> None:
        """Submit the rows in batches per (provider, model, API), cut by the provider's limits, each recorded in the
        cache as soon as it exists."""
        lines = [(cid, self.by_cid[cid][0].req) for cid in cids]
        chunks = []
        for group in group_lines(lines).values():
            cfg = group[0][1].provider
            proto = protocol_for(cfg)
            assert proto is not None
            chunks += [(cfg, chunk) for chunk in split(group, proto.limits_for(cfg), proto.line_bytes)]
        await asyncio.gather(*(self._submit_one(cfg, chunk) for cfg, chunk in chunks))

    async def _submit_one(self, cfg: ProviderConfig, chunk: list[tuple[str, Any]]) -> None:
        """Create one batch and record it, shielded as one step: a cancel (Ctrl-C, an interrupted live part) cannot
        fall between the provider creating the batch and the cache recording it."""
        task = asyncio.ensure_future(self._create_and_record(cfg, chunk))
        self.creating.add(task)
        task.add_done_callback(self.creating.discard)
        await asyncio.shield(task)

    async def _create_and_record(self, cfg: ProviderConfig, chunk: list[tuple[str, Any]]) -> None:
        proto = protocol_for(cfg)
        assert proto is not None
        try:
            job = await proto.submit(cfg, self.runner.transport, chunk)
        except ConfigError as exc:
            return self._not_submitted(chunk, ResultError(kind="bad_request", message=str(exc)))
        except BatchAPIError as exc:
            return self._not_submitted(chunk, exc.error)
        await self._record(job)
        self.tracked.append(Tracked(job, cfg))

    def _not_submitted(self, chunk: list[tuple[str, Any]], error: ResultError) -> None:
        """A submission that failed: refused (a 4xx, or refused here): its rows may be re-sent live. Anything else
        (a timeout, a reset, a 5xx, an answer without an id) may have come after the provider created the batch:
        its rows become error rows that are not re-sent in this run, so the batch is never paid twice."""
        refused = (error.status is not None and 400 <= error.status < 500) or error.kind == "bad_request"
        if refused:
            message, code = f"the batch was not submitted: {error.message}", error.provider_code
        else:
            code = MAY_EXIST
            message = (f"the batch submission failed without a refusal, so the provider may have created the batch "
                       f"anyway (and will run and charge it): {error.message}. These rows are not re-sent; before "
                       "re-running, look for it in the provider's batch list (its console, or GET <base_url>/batches: "
                       "metadata client=multimodel) and cancel it or wait for it")
        for cid, _ in chunk:
            self._land(cid, None, resend=refused, error=ResultError(
                kind=error.kind, message=message, status=error.status, retry_after_s=error.retry_after_s,
                provider_code=code))

    async def _record(self, job: BatchJob) -> None:
        """The batch's record on disk: written again with a wait between tries while the cache is locked; if it
        still waits in memory a warning names the batch (a crash now would submit its rows again)."""
        if self.cache is None:
            return
        for wait in (*RECORD_RETRY_S, None):
            if self.cache.add_batch(self.run_id, job.to_dict()):
                return
            if wait is not None:
                await asyncio.sleep(wait)
        warn_user(f"batch {job.batch_id} ({job.provider}, {len(job.custom_ids)} requests) is running but its record "
                  "could not be written to the cache (locked): it waits in memory and is written at the next flush. "
                  "If this process ends first, a re-run submits these rows again: cancel the batch at the provider",
                  RuntimeWarning)

    async def settle(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for the batch creates in flight (each is recorded when it answers); how
        many still had not answered."""
        pending = set(self.creating)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=timeout)
        return len(pending)

    async def _follow(self, tracked: Tracked) -> None:
        """Poll a batch with backoff until it ends, then collect it: each row lands (and is cached if answered).
        Bounded: a run of failed polls (POLL_GIVE_UP non-retryable, POLL_RETRY_GIVE_UP retryable), the batch window
        and evaluate's deadline each end the wait with error rows; the batch stays recorded for a re-run."""
        proto = protocol_for(tracked.cfg)
        assert proto is not None
        delay, failures, retryable = POLL_FIRST_S, 0, 0
        wait_until = time.monotonic() + max(0.0, tracked.job.submitted_at + BATCH_WINDOW_S - time.time())
        while True:
            error: ResultError | None = None
            try:
                tracked.status = await proto.poll(tracked.cfg, self.runner.transport, tracked.job)
                failures = retryable = 0
                tracked.failing = None
            except BatchAPIError as exc:
                error, tracked.failing = exc.error, exc.error.kind
                retryable, failures = (retryable + 1, failures) if error.retryable else (retryable, failures + 1)
                if failures >= POLL_GIVE_UP or retryable >= POLL_RETRY_GIVE_UP:
                    return self._give_up(tracked, error)
            if tracked.status is not None and error is None:
                if self.cache is not None:
                    self.cache.set_batch_state(tracked.job.batch_id, tracked.status.provider_status
                                               or tracked.status.state)
                if tracked.status.terminal:
                    break
            pause = _pause(delay, error)
            if (stop := self._past(time.monotonic() + pause, wait_until)) is not None:
                return self._give_up(tracked, stop)
            await asyncio.sleep(pause)
            delay = min(delay * POLL_FACTOR, POLL_MAX_S)
        await self._collect(tracked)

    def _past(self, when: float, wait_until: float) -> ResultError | None:
        """Why waiting until ``when`` (monotonic) is too long: past evaluate's deadline or the batch's window."""
        if self.deadline is not None and when > self.deadline:
            return ResultError(kind="deadline", message="evaluate(deadline_s=) passed while the batch was running")
        if when > wait_until:
            return ResultError(kind="deadline", message=f"the batch has not ended {BATCH_WINDOW_S / 3600:.0f} h after "
                                                        "its submission (past the providers' 24 h window)")
        return None

    async def _collect(self, tracked: Tracked) -> None:
        proto = protocol_for(tracked.cfg)
        assert proto is not None
        mine = [cid for cid in tracked.job.custom_ids if cid in self.by_cid]
        requests = {cid: self.by_cid[cid][0].req for cid in mine}
        delay = POLL_FIRST_S
        for attempt in range(1, COLLECT_TRIES + 1):
            try:
                rows = await proto.collect(tracked.cfg, self.runner.transport, tracked.job, requests)
                break
            except BatchAPIError as exc:
                pause = _pause(delay, exc.error)
                if (not exc.error.retryable or attempt == COLLECT_TRIES
                        or self._past(time.monotonic() + pause, math.inf) is not None):
                    return self._give_up(tracked, exc.error)
                await asyncio.sleep(pause)
                delay = min(delay * POLL_FACTOR, POLL_MAX_S)
        for cid in mine:
            self._land(cid, rows.get(cid), job=tracked.job)
        if self.cache is not None:
            state = tracked.status.provider_status if tracked.status is not None else "ended"
            self.cache.set_batch_state(tracked.job.batch_id, state or "ended", collected=True)

    def _give_up(self, tracked: Tracked, error: ResultError) -> None:
        """A batch whose status or results cannot be read: its rows become error rows, never re-sent live (the
        batch exists and is paid); it is not marked collected, so a re-run of the same call collects it."""
        for cid in tracked.job.custom_ids:
            if cid in self.by_cid:
                self._land(cid, None, resend=False, error=ResultError(
                    kind=error.kind, status=error.status, retry_after_s=error.retry_after_s, provider_code=UNCOLLECTED,
                    message=f"the batch {tracked.job.batch_id} could not be read: {error.message}; it is still "
                            "recorded in the cache: run the same call again to collect it"))

    def _land(self, cid: str, result: Result | None, *, job: BatchJob | None = None,
              error: ResultError | None = None, resend: bool = True) -> None:
        """One batch line's Result on every slot sharing its request; cached if answered; its claim released.
        An error row joins ``failed`` (re-sent live with on_batch_failure="live") unless ``resend`` is False."""
        slots = self.by_cid[cid]
        req = slots[0].req
        if result is None:
            if job is not None:
                result = batch_result(req, job, cid, error=error or missing_error())
            else:
                error = error or missing_error()
                result = unsent(req, error.kind, error.message)
                result.mode, result.custom_id, result.error = "batch", cid, error
        annotate(result, req)
        if result.error is None and self.cache is not None and req.use_cache:
            self.cache.put(req.cache_key, result, self.run_id)
        for n, slot in enumerate(slots):
            self.results[slot.index] = result if n == 0 else dataclasses.replace(result)
            if result.error is not None and resend:
                self.failed.add(slot.index)
        if cid in self.mine and self.cache is not None:
            self.cache.release_claim(req.cache_key, self.owner)
            self.mine.discard(cid)

    async def _wait_held(self) -> None:
        """Wait for the rows another process claimed: served once answered; taken over (its recorded batch adopted,
        or submitted here) when its claim ends without an answer (a killed process)."""
        late: list[asyncio.Future[Any]] = []
        delay = 0.2
        while self.held:
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 5.0)
            current, self.held = self.held, set()
            freed = await self._sort_out(current)  # still held ones go back to self.held
            before = len(self.tracked)
            adopted = self._adopt(set(freed))
            await self._submit([cid for cid in freed if cid not in adopted])
            late += [asyncio.ensure_future(self._follow(t)) for t in self.tracked[before:]]
        await asyncio.gather(*late)

    def _landed(self, cid: str) -> bool:
        return all(slot.index in self.results for slot in self.by_cid[cid])

    async def _renew(self) -> None:
        """Renew this run's claims every third of the lease while its batches run."""
        assert self.cache is not None
        while True:
            await asyncio.sleep(self.lease_s / 3)
            self.cache.renew_claims(self.owner, self.lease_s)


class BatchHandle:
    """A BatchRun started on the I/O loop (so live rows run meanwhile); ``wait`` shows its progress and returns."""

    def __init__(self, runner: Runner, slots: Sequence[Slot], run_id: str, lease_s: float,
                 deadline: float | None = None) -> None:
        if runner.cache is None:
            warn_user("mode='batch' without a cache: the batches cannot be recorded, so a crash before they end loses "
                      "their answers (they still run and are charged); pass cache='path.sqlite' to resume them",
                      UserWarning)
        self.run = BatchRun(runner, slots, run_id, lease_s, deadline)
        self.future, self.loop = submit(self.run.run())

    def wait(self, progress: bool, label: str) -> tuple[dict[int, Result], set[int], bool]:
        """Wait for every batch row behind a progress bar of batch states and counts; (results by slot index,
        indexes of rows a batch answered with an error, whether interrupted)."""
        run = self.run
        bar = progress_bar(run.total, progress, label + " [batch]")
        interrupted = False
        try:
            while True:
                try:
                    self.future.result(timeout=0.2)
                    break
                except concurrent.futures.TimeoutError:
                    _show(bar, run)
                    if not IO.alive(self.loop):
                        interrupted = True
                        break
        except KeyboardInterrupt:
            interrupted = True
            self._stop()
            warn_user(f"waiting for the batches interrupted: returning the {len(run.results)} of {run.total} batch "
                      "rows collected so far; the batches keep running at the provider: run the same call again to "
                      "collect them (nothing is submitted twice), or client.cancel_batches(run_id) to stop them",
                      RuntimeWarning)
        finally:
            if bar is not None:
                _show(bar, run)
                bar.close()
        if run.cache is not None:
            run.cache.flush()
        return dict(run.results), set(run.failed), interrupted


    def _stop(self) -> None:
        """Cancel the run, then give the batch creates in flight SETTLE_S to answer and be recorded (they are
        shielded from the cancel), so that no batch the provider created is left unrecorded; a warning if some
        still had not answered."""
        self.future.cancel()
        if not IO.alive(self.loop):
            return
        try:
            waiting = asyncio.run_coroutine_threadsafe(self.run.settle(SETTLE_S), self.loop).result(SETTLE_S + 5)
        except (concurrent.futures.TimeoutError, RuntimeError):
            waiting = len(self.run.creating)
        if waiting:
            warn_user(f"{waiting} batch create(s) still had no answer when the run was interrupted: each is recorded "
                      "in the cache if it answers while this process lives; if it ends first, check the provider's "
                      "batch list before re-running", RuntimeWarning)

    def abandon(self) -> tuple[dict[int, Result], set[int], bool]:
        """Stop waiting (the run was interrupted): the rows collected so far; the batches keep running."""
        self._stop()
        return dict(self.run.results), set(self.run.failed), True


def _pause(delay: float, error: ResultError | None) -> float:
    """The wait before the next try: the backoff's, or the provider's retry-after when longer (capped)."""
    after = error.retry_after_s if error is not None and error.retry_after_s else 0.0
    return max(delay, min(float(after), RETRY_AFTER_CAP_S))


def _show(bar: Any, run: BatchRun) -> None:
    """The rows landed, and per batch its model, state and lines done of total."""
    if bar is None:
        return
    bar.n = len(run.results)
    if len(run.tracked) <= 3:
        postfix = ", ".join(t.label for t in run.tracked)
    else:
        states = Counter(t.status.state if t.status is not None else "submitted" for t in run.tracked)
        postfix = f"{len(run.tracked)} batches: " + ", ".join(f"{n} {state}" for state, n in states.items())
    bar.set_postfix_str(postfix + (f", waiting on {len(run.held)} rows another process holds" if run.held else ""),
                        refresh=False)
    bar.refresh()


# ---------------------------------------------------------------------- client.batches(), client.cancel_batches()
BATCH_COLUMNS = ("run_id", "batch_id", "provider", "model", "api", "requests", "state", "created", "collected")


def batches_frame(cache: Any, run_id: str | None = None) -> Any:
    """The batches recorded in the cache (of one run, or all): one row each, oldest first, with its state as last
    seen (``collected``: when its results were read, NaT while it waits)."""
    import pandas as pd

    records = [] if cache is None else cache.batches(run_id)
    frame = pd.DataFrame([{"run_id": r["run_id"], "batch_id": r["batch_id"], "provider": r["provider"],
                           "model": r["model"], "api": r["api"], "requests": len(r["custom_ids"]),
                           "state": r["state"], "created": r["created"], "collected": r["collected"]}
                          for r in records], columns=list(BATCH_COLUMNS))
    for name in ("created", "collected"):
        frame[name] = pd.to_datetime(frame[name], unit="s", utc=True)
    return frame


def cancel_batches(runner: Runner, run_id: str) -> Any:
    """Cancel every batch of a run that has not been collected; the batches frame after it. A re-run of the
    evaluation then collects what they answered before the cancel (the rest: error rows, or live)."""
    from multimodel.transport import run_sync

    if not isinstance(run_id, str) or not run_id:
        raise ConfigError(f"cancel_batches() needs the evaluation's run_id (ev.run_id), got {run_id!r}")
    cache = runner.cache
    if cache is None:
        raise ConfigError("cancel_batches(): this client has no cache, so no batch was recorded; open the client "
                          "with cache='path.sqlite' to run batches that can be listed and cancelled")

    async def cancel_all() -> None:
        for record in cache.batches(run_id):
            cfg = runner.providers.get(record["provider"])
            proto = None if cfg is None else protocol_for(cfg)
            if record["collected"] is not None or proto is None:
                continue
            try:
                status = await proto.cancel(cfg, runner.transport, BatchJob.from_dict(record["job"]))
                cache.set_batch_state(record["batch_id"], status.provider_status or status.state)
            except BatchAPIError as exc:
                warn_user(f"batch {record['batch_id']} could not be cancelled: {exc.error.message}", RuntimeWarning)

    run_sync(cancel_all())
    return batches_frame(cache, run_id)


__all__ = ["AUTO_MIN_ROWS", "MODES", "PLAN_COLUMNS", "BatchHandle", "batch_plan", "batches_frame", "cancel_batches",
           "check_batch_options", "estimate_batch_cost", "format_plan", "plan_first", "plan_frame", "show_plan",
           "split_modes"]
