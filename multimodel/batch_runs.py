"""evaluate(mode="batch"|"auto"): the batch rows of an evaluation run through the providers' Batch APIs
(multimodel/batchapi/), as planned by :mod:`multimodel.batch_plan`.

``BatchRun``: rows answered in the cache are served, the others are claimed in the cache (so a second process
running the same evaluation waits for them instead of submitting them too); recorded batches that hold the claimed
rows (of this run or any other: a crash, a kill -9, a re-run with one more prompt) are collected instead of
submitted again; the rest are submitted in batches cut by the provider's limits, each with an intent recorded
before its create (so a create whose answer is lost is found again in the provider's list by its tag) and its own
record the moment it exists; then polled with backoff and collected; answers go to the cache like live ones.
``client.batches()`` and ``client.cancel_batches()`` read and act on those records.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import hashlib
import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from multimodel.batch import Slot, progress_bar
from multimodel.batch_plan import custom_id_for
from multimodel.batchapi import BatchAPIError, BatchJob, BatchStatus, group_lines, protocol_for, split
from multimodel.batchapi.base import BATCH_FAILED, LINE_MISSING, batch_result, missing_error
from multimodel.config import ProviderConfig
from multimodel.errors import ConfigError, warn_user
from multimodel.exchange import annotate, unsent
from multimodel.redact import scrub_fields
from multimodel.results import Result, ResultError
from multimodel.runner import Runner
from multimodel.store import claim_owner
from multimodel.transport import IO, submit

#: polling a batch: first after this long, then 1.5x longer each time, at most POLL_MAX_S
POLL_FIRST_S, POLL_FACTOR, POLL_MAX_S = 1.0, 1.5, 60.0
#: a poll that fails this many times in a row with a non-retryable error (404, 403, ...) ends the batch's wait with
#: error rows (the batch stays recorded, uncollected: a re-run collects it)
POLL_GIVE_UP = 5
#: ... and this many times in a row with a retryable one (5xx, 429, a timeout, a reset), slept out with the polling
#: backoff or the provider's retry-after, whichever is longer (about 15 minutes of failures at the backoff's cap)
POLL_RETRY_GIVE_UP = 20
#: the longest a batch is waited for, from its submission: the provider's completion window (BatchLimits.window_s)
#: and this grace; a batch still not ended (a state that never ends, one multimodel does not know) then leaves its
#: rows as error rows, still recorded and uncollected
BATCH_GRACE_S = 3600.0
#: HTTP statuses saying the provider no longer has the batch (or its results) ...
GONE = (404, 410)
#: ... believed only once they have lasted this long: Anthropic answers 404 on a retrieve right after the create and
#: on results just after the end, for batches that then complete (anthropic-sdk-python#1432, read 2026-11-29)
LOST_AFTER_S = 900.0
#: results answered 404 are believed gone only past the providers' results retention (Anthropic 29 days, OpenAI's
#: output files 30: RESEARCH §1, §4); sooner they are "not readable now" and the batch stays open for a re-run
RETENTION_S = 29 * 24 * 3600.0
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
#: provider_code of the rows of a batch the provider no longer knows (404 or 410 for LOST_AFTER_S: deleted, another
#: account's key; or its results past retention): its record is closed, so a re-run sends the rows again
LOST = "batch_lost"
#: provider_code (batchapi.missing_error) of a line a completed batch's results do not hold: the batch is read once
#: more after MISSING_RETRY_S, then left uncollected so a re-run reads it again
MISSING_RETRY_S = 5.0
#: a batch create that failed without a refusal is looked for in the provider's batch list after these waits
FIND_WAITS_S = (0.0, 2.0, 5.0)
#: the state of a batch's intent: recorded before the create, replaced by the batch's own record once it exists
CREATING = "creating"
#: the recorded state of a batch whose results lacked lines when read: the next run to read it and find them still
#: missing closes it, so those rows can be sent again
MISSING_LINES = "missing_lines"
#: cancel_batches(): how long it waits for the creates in flight to answer, so it can cancel what they made
INTENT_WAIT_S = 30.0



def chunk_tag(custom_ids: Sequence[str]) -> str:
    """What a batch create carries in its metadata (``mm_tag``) and its intent is recorded under: the same lines
    always give the same tag, so the batch can be found in the provider's list when its create's answer was lost."""
    return "mm-" + hashlib.sha256("\n".join(sorted(custom_ids)).encode()).hexdigest()[:32]


def _refused(error: ResultError) -> bool:
    """Whether a failed create proves the batch was not made: the provider refused it (a 4xx) or multimodel did."""
    return (error.status is not None and 400 <= error.status < 500) or error.kind == "bad_request"

@dataclass
class Tracked:
    """One batch this run waits for: its job, provider config and latest status."""

    job: BatchJob
    cfg: ProviderConfig
    status: BatchStatus | None = None
    failing: str | None = None  # the error kind of the polls failing now (shown while waiting)
    read_short: bool = False  # an earlier read of its results lacked lines (recorded state MISSING_LINES)

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
        """Everything: serve or claim the rows, pick up the recorded batches that hold the claimed ones (of any run:
        a crash, a kill -9, a re-run with one more prompt), submit the rest, then wait and collect. The claims are
        renewed from the start: an upload or a create can outlast a lease, and a lapsed claim lets another process
        submit the same rows."""
        renewer = asyncio.ensure_future(self._renew()) if self.cache is not None else None
        try:
            to_submit = await self._sort_out(set(self.by_cid))
            await self._submit(await self._resume(to_submit))
            await asyncio.gather(*(self._guarded(t) for t in self.tracked), self._wait_held())
        finally:
            if renewer is not None:
                renewer.cancel()

    async def _resume(self, cids: list[str]) -> list[str]:
        """Track the uncollected batches recorded in the cache (by any run) that hold any of ``cids``, and settle
        the intents of creates whose answer was lost (found at the provider: tracked; listed as never made: sent
        again); the ids left to submit, in order. A batch already tracked is skipped."""
        if self.cache is None or not cids:
            return cids
        known = {t.job.batch_id for t in self.tracked}
        left, intents = set(cids), []
        for record in self.cache.batches(None, open_only=True):
            held = left & set(record["custom_ids"])
            cfg = self.runner.providers.get(record["provider"])
            if not held or cfg is None:
                continue
            if record["batch_id"] in known:  # followed already: its collect lands these rows too
                pass
            elif record["state"] == CREATING:
                intents.append((record, cfg))
            else:
                self.tracked.append(Tracked(BatchJob.from_dict(record["job"]), cfg,
                                            read_short=record["state"] == MISSING_LINES))
            left -= set(record["custom_ids"])
        for record, cfg in intents:
            held = [cid for cid in record["custom_ids"] if cid in self.by_cid]
            left |= await self._unless_broken(self._settle_intent(record, cfg), held) or set()
        return [cid for cid in cids if cid in left]

    async def _settle_intent(self, record: dict[str, Any], cfg: ProviderConfig) -> set[str]:
        """An intent left by a create that never answered (a crash, a timeout): look for its batch in the
        provider's list. Found once: recorded and tracked. Listed as never made: the intent is dropped and the ids
        of this run it held are returned, to submit. Unsure (several matches, the list unreadable): those rows
        become error rows, not sent, and the intent stays for the next run."""
        intent = BatchJob.from_dict(record["job"])
        mine = [cid for cid in intent.custom_ids if cid in self.by_cid]
        job = await self._find(cfg, intent, since=intent.submitted_at, waits=(0.0,))
        if isinstance(job, BatchJob):
            await self._adopt_found(record["run_id"], intent, job, cfg)
            return set()
        if job is None:
            self.cache.drop_batch(intent.batch_id)  # type: ignore[union-attr]
            return set(mine)
        for cid in mine:
            self._land(cid, None, resend=False, error=ResultError(kind="connection", provider_code=MAY_EXIST,
                                                                   message=job))
        return set()

    async def _find(self, cfg: ProviderConfig, intent: BatchJob, since: float,
                    waits: Sequence[float] | None = None) -> BatchJob | str | None:
        """The batch an intent's create made, looked for in the provider's list after each of ``waits``
        (FIND_WAITS_S): the job if found once, None if the list shows none, else why it is unsure (a message)."""
        waits = FIND_WAITS_S if waits is None else waits
        proto = protocol_for(cfg)
        assert proto is not None
        template = self.by_cid[next(c for c in intent.custom_ids if c in self.by_cid)][0].req
        lines = [(cid, template) for cid in intent.custom_ids]  # find() reads each line's model and API only
        why = "the provider's batch list did not show it"
        for wait in waits:
            await asyncio.sleep(wait)
            # every batch recorded (by any run, collected or not) or followed here is not this one; read again each
            # time, as this run's other creates get recorded meanwhile
            exclude = {t.job.batch_id for t in self.tracked} | (self.cache.batch_ids() if self.cache else set())
            try:
                found = await proto.find(cfg, self.runner.transport, lines, tag=intent.extra["tag"], since=since,
                                         exclude=exclude)
            except BatchAPIError as exc:
                why = f"the provider's batch list could not be read ({exc.error.message})"
                continue
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                why = (f"{len(found)} batches at the provider may be this one ({', '.join(j.batch_id for j in found)}: "
                       "the same size, created in the same minute)")
                continue
            if wait == waits[-1]:
                return None
        return (f"the batch create failed without a refusal and {why}; the provider may have created it: run the "
                "same call again to look once more (it submits only if the provider lists no such batch)")

    async def _adopt_found(self, run_id: str, intent: BatchJob, job: BatchJob, cfg: ProviderConfig) -> None:
        """A batch found for an intent: its own record replaces the intent, and it is tracked."""
        job.custom_ids = list(intent.custom_ids)
        await self._record(job, run_id)
        if self.cache is not None:
            self.cache.drop_batch(intent.batch_id)
        self.tracked.append(Tracked(job, cfg))

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
            if claim.status == "answered" and self._serve(cid):
                continue
            if claim.status == "held":
                self.held.add(cid)
            else:
                if claim.status == "mine":
                    self.mine.add(cid)
                to_submit.append(cid)
        return to_submit

    def _serve(self, cid: str) -> bool:
        """Rows answered before (by this run before a crash, another process, or another evaluation), straight from
        the cache (``cached`` unless this run wrote them); False if the answer cannot be read now (a lock), so the
        row is submitted rather than sent live behind the batch run's back."""
        req = self.by_cid[cid][0].req
        hit = self.cache.get_with_run(req.cache_key) if self.cache is not None else None
        if hit is None:
            return False
        for n, slot in enumerate(self.by_cid[cid]):
            result = hit[0] if n == 0 else dataclasses.replace(hit[0])
            scrub_fields(result, req.secrets)
            result.cached = hit[1] != self.run_id
            if req.route_reason is not None:
                result.route_reason = req.route_reason
            self.results[slot.index] = result
        return True

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
        step = self._unless_broken(self._create_and_record(cfg, chunk), [cid for cid, _ in chunk])
        task = asyncio.ensure_future(step)
        self.creating.add(task)
        task.add_done_callback(self.creating.discard)
        await asyncio.shield(task)

    async def _create_and_record(self, cfg: ProviderConfig, chunk: list[tuple[str, Any]]) -> None:
        """The intent first (a record naming the lines and the tag the create carries), then the create, then the
        batch's own record in the intent's place. A create that fails without a refusal is looked for in the
        provider's list by its tag before its rows are given up."""
        proto = protocol_for(cfg)
        assert proto is not None
        tag = chunk_tag([cid for cid, _ in chunk])
        intent = BatchJob(protocol=proto.name, provider=cfg.name, batch_id=f"{CREATING}:{tag}",
                          model_id=chunk[0][1].model_id, api=chunk[0][1].api.name, url="",
                          custom_ids=[cid for cid, _ in chunk], submitted_at=time.time(), extra={"tag": tag})
        await self._record(intent, self.run_id, state=CREATING)
        try:
            job = await proto.submit(cfg, self.runner.transport, chunk, tag=tag)
        except (ConfigError, BatchAPIError) as exc:
            error = exc.error if isinstance(exc, BatchAPIError) else ResultError(kind="bad_request", message=str(exc))
            if _refused(error):
                self._forget(intent)
                return self._not_submitted(chunk, error)
            found = await self._find(cfg, intent, since=intent.submitted_at)
            if not isinstance(found, BatchJob):
                return self._not_submitted(chunk, error, found)
            return await self._adopt_found(self.run_id, intent, found, cfg)
        await self._record(job, self.run_id)
        self._forget(intent)
        self.tracked.append(Tracked(job, cfg))

    def _forget(self, intent: BatchJob) -> None:
        if self.cache is not None:
            self.cache.drop_batch(intent.batch_id)

    def _not_submitted(self, chunk: list[tuple[str, Any]], error: ResultError, unsure: str | None = None) -> None:
        """A submission that failed. Refused (a 4xx, or refused here): its rows may be re-sent live. Anything else
        (a timeout, a reset, a 5xx, an answer without an id) may have come after the provider created the batch, and
        the provider's list did not settle it (``unsure`` says why): the rows become error rows that are not re-sent
        in this run, and the intent stays recorded so a re-run looks for the batch again before submitting."""
        if _refused(error):
            message, code, resend = f"the batch was not submitted: {error.message}", error.provider_code, True
        else:
            message = f"the batch create failed ({error.message}), and {unsure or 'it was not found'}"
            code, resend = MAY_EXIST, False
        for cid, _ in chunk:
            self._land(cid, None, resend=resend, error=ResultError(
                kind=error.kind, message=message, status=error.status, retry_after_s=error.retry_after_s,
                provider_code=code))

    async def _record(self, job: BatchJob, run_id: str, state: str = "submitted") -> None:
        """The batch's record on disk: written again with a wait between tries while the cache is locked; if it
        still waits in memory a warning names the batch (a crash now would submit its rows again)."""
        if self.cache is None:
            return
        for wait in (*RECORD_RETRY_S, None):
            if self.cache.add_batch(run_id, job.to_dict(), state):
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

    async def _unless_broken(self, step: Any, cids: list[str]) -> Any:
        """Await a submission step; a failure of multimodel's own in it (logged with its traceback) leaves its rows
        as error rows that are not re-sent, since a batch may have been created: the intent stays recorded, so a
        re-run looks for it before submitting."""
        try:
            return await step
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logging.getLogger("multimodel").exception("submitting a batch failed")
            for cid in cids:
                if not self._landed(cid):
                    self._land(cid, None, resend=False, error=ResultError(
                        kind="internal", provider_code=MAY_EXIST, message=f"multimodel failed while submitting the "
                        f"batch ({type(exc).__name__}: {exc}); a batch may exist: run the same call again to look for "
                        "it before anything is submitted"))
            return None

    async def _guarded(self, tracked: Tracked) -> None:
        """``_follow``, with any failure of multimodel's own turned into error rows for that batch alone (logged with
        its traceback; the batch stays recorded and uncollected, so a re-run collects it)."""
        try:
            await self._follow(tracked)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logging.getLogger("multimodel").exception("following batch %s failed", tracked.job.batch_id)
            self._give_up(tracked, ResultError(kind="internal", message=f"multimodel failed while following the "
                                               f"batch ({type(exc).__name__}: {exc})"))

    async def _follow(self, tracked: Tracked) -> None:
        """Poll a batch with backoff until it ends, then collect it: each row lands (and is cached if answered).
        Bounded: a run of failed polls (POLL_GIVE_UP non-retryable, POLL_RETRY_GIVE_UP retryable), the provider's
        window and evaluate's deadline each end the wait with error rows; the batch stays recorded for a re-run. A
        batch the provider answers 404 or 410 for, poll after poll, for LOST_AFTER_S is lost (``_lose``)."""
        proto = protocol_for(tracked.cfg)
        assert proto is not None
        delay, failures, retryable, gone_since = POLL_FIRST_S, 0, 0, None
        window = proto.limits_for(tracked.cfg).window_s + BATCH_GRACE_S
        wait_until = time.monotonic() + max(0.0, tracked.job.submitted_at + window - time.time())
        while True:
            error: ResultError | None = None
            try:
                tracked.status = await proto.poll(tracked.cfg, self.runner.transport, tracked.job)
                failures = retryable = 0
                tracked.failing = gone_since = None
            except BatchAPIError as exc:
                error, tracked.failing = exc.error, exc.error.kind
                if error.status in GONE:  # waited out (LOST_AFTER_S) before it is believed
                    gone_since = time.monotonic() if gone_since is None else gone_since
                    if time.monotonic() - gone_since >= LOST_AFTER_S:
                        return self._lose(tracked, error)
                else:
                    gone_since = None
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
            if (stop := self._past(time.monotonic() + pause, wait_until, window)) is not None:
                return self._give_up(tracked, stop)
            await asyncio.sleep(pause)
            delay = min(delay * POLL_FACTOR, POLL_MAX_S)
        await self._collect(tracked)

    def _past(self, when: float, wait_until: float, window: float = 0.0) -> ResultError | None:
        """Why waiting until ``when`` (monotonic) is too long: past evaluate's deadline or the batch's window."""
        if self.deadline is not None and when > self.deadline:
            return ResultError(kind="deadline", message="evaluate(deadline_s=) passed while the batch was running")
        if when > wait_until:
            return ResultError(kind="deadline", message=f"the batch has not ended {window / 3600:.0f} h after its "
                                                        "submission (past the provider's completion window)")
        return None

    async def _collect(self, tracked: Tracked) -> None:
        """Read an ended batch's results (retried on a retryable failure) and land this run's rows. Lines the
        results lack are read once more after MISSING_RETRY_S; the batch is marked collected only when every one of
        its lines landed here (a batch another run shares stays open for it). A batch missing lines stays open for a
        re-run to read again (state MISSING_LINES); when that re-run still finds them missing, the batch is closed
        and those rows may be sent again."""
        mine = [cid for cid in tracked.job.custom_ids if cid in self.by_cid]
        rows = await self._read_results(tracked, mine)
        if rows is None:
            return
        if any(_missing(rows.get(cid)) for cid in mine):
            await asyncio.sleep(MISSING_RETRY_S)
            rows = await self._read_results(tracked, mine, quiet=True) or rows  # a failed re-read keeps the first
        complete, short = len(mine) == len(tracked.job.custom_ids), False
        for cid in mine:
            result, missing = rows.get(cid), _missing(rows.get(cid))
            if missing and tracked.read_short and result is not None and result.error is not None:
                result.error.message += "; a second run found it missing too, so the batch is closed and the row " \
                                        "may be sent again"
            short = short or missing
            self._land(cid, result, job=tracked.job, resend=not missing or tracked.read_short)
        if self.cache is not None:
            state = tracked.status.provider_status if tracked.status is not None else "ended"
            if short and not tracked.read_short:
                state, complete = MISSING_LINES, False
            self.cache.set_batch_state(tracked.job.batch_id, state or "ended", collected=complete)

    async def _read_results(self, tracked: Tracked, mine: list[str], quiet: bool = False) -> dict[str, Result] | None:
        """The batch's results for ``mine``, tried COLLECT_TRIES times on a retryable failure; None when they cannot
        be read (unless ``quiet``, the rows given up: uncollected, or the batch lost when its results are 404 past
        the providers' retention)."""
        proto = protocol_for(tracked.cfg)
        assert proto is not None
        requests = {cid: self.by_cid[cid][0].req for cid in mine}
        delay = POLL_FIRST_S
        for attempt in range(1, COLLECT_TRIES + 1):
            try:
                return await proto.collect(tracked.cfg, self.runner.transport, tracked.job, requests)
            except BatchAPIError as exc:
                pause = _pause(delay, exc.error)
                expired = time.time() - tracked.job.submitted_at > RETENTION_S
                if (not (exc.error.retryable or exc.error.status in GONE) or attempt == COLLECT_TRIES
                        or self._past(time.monotonic() + pause, math.inf) is not None):
                    if not quiet:
                        (self._lose if exc.error.status in GONE and expired else self._give_up)(tracked, exc.error)
                    return None
                await asyncio.sleep(pause)
                delay = min(delay * POLL_FACTOR, POLL_MAX_S)
        return None

    def _give_up(self, tracked: Tracked, error: ResultError) -> None:
        """A batch whose status or results cannot be read: its rows become error rows, never re-sent live (the
        batch exists and is paid); it is not marked collected, so a re-run collects it."""
        for cid in tracked.job.custom_ids:
            if cid in self.by_cid and not self._landed(cid):
                self._land(cid, None, resend=False, error=ResultError(
                    kind=error.kind, status=error.status, retry_after_s=error.retry_after_s, provider_code=UNCOLLECTED,
                    message=f"the batch {tracked.job.batch_id} could not be read: {error.message}; it is still "
                            "recorded in the cache: run the same call again to collect it"))

    def _lose(self, tracked: Tracked, error: ResultError) -> None:
        """A batch the provider no longer knows (404, 410 for LOST_AFTER_S: deleted, another account's key), or whose
        results it no longer keeps (past its retention): its record is closed as ``lost`` and its rows are error rows
        that a re-run sends again (not live in this run: the batch may yet be paid)."""
        if self.cache is not None:
            self.cache.set_batch_state(tracked.job.batch_id, "lost", collected=True)
        for cid in tracked.job.custom_ids:
            if cid in self.by_cid and not self._landed(cid):
                self._land(cid, None, resend=False, error=ResultError(
                    kind=BATCH_FAILED, status=error.status, provider_code=LOST,
                    message=f"the provider no longer knows the batch {tracked.job.batch_id} or its results "
                            f"({error.message}); its record is closed, so running the same call again sends these "
                            "rows again"))

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
            else:  # a later landing (an answer, or an error not to re-send) replaces an earlier one
                self.failed.discard(slot.index)
        if cid in self.mine and self.cache is not None:
            self.cache.release_claim(req.cache_key, self.owner)
            self.mine.discard(cid)

    async def _wait_held(self) -> None:
        """Wait for the rows another process claimed: served once answered; taken over (its recorded batch adopted,
        or submitted here) when its claim ends without an answer (a killed process)."""
        late: list[asyncio.Future[Any]] = []
        delay = 0.2
        while self.held:
            if self.deadline is not None and time.monotonic() + delay > self.deadline:
                for cid in self.held:  # another process holds them (and may be paying for them): not re-sent
                    self._land(cid, None, resend=False, error=ResultError(
                        kind="deadline", message="evaluate(deadline_s=) passed while another process held this row"))
                self.held = set()
                break
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 5.0)
            current, self.held = {cid for cid in self.held if not self._landed(cid)}, set()
            freed = await self._sort_out(current)  # still held ones go back to self.held
            before = len(self.tracked)
            await self._submit(await self._resume(freed))
            late += [asyncio.ensure_future(self._guarded(t)) for t in self.tracked[before:]]
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


def _missing(result: Result | None) -> bool:
    """Whether a batch line's row says the results did not hold it."""
    return result is None or (result.error is not None and result.error.provider_code == LINE_MISSING)


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
        records = await _settled_records(cache, run_id)
        for record in records:
            cfg = runner.providers.get(record["provider"])
            proto = None if cfg is None else protocol_for(cfg)
            if record["collected"] is not None or proto is None:
                continue
            if record["state"] == CREATING:
                warn_user(f"a batch create of run {run_id} ({len(record['custom_ids'])} requests) has not answered: "
                          "it cannot be cancelled before it has an id; run cancel_batches() again shortly, or the "
                          "same evaluation (it finds the batch, or that none was made)", RuntimeWarning)
                continue
            try:
                status = await proto.cancel(cfg, runner.transport, BatchJob.from_dict(record["job"]))
                cache.set_batch_state(record["batch_id"], status.provider_status or status.state)
            except BatchAPIError as exc:
                warn_user(f"batch {record['batch_id']} could not be cancelled: {exc.error.message}", RuntimeWarning)

    run_sync(cancel_all())
    return batches_frame(cache, run_id)


async def _settled_records(cache: Any, run_id: str) -> list[dict[str, Any]]:
    """The run's batch records once its creates in flight have answered (an intent, state "creating", becomes the
    batch's record), waiting up to INTENT_WAIT_S: a cancel during a submission then reaches the batch it made."""
    deadline = time.monotonic() + INTENT_WAIT_S
    while True:
        records = cache.batches(run_id, open_only=True)
        if not any(r["state"] == CREATING for r in records) or time.monotonic() > deadline:
            return records
        await asyncio.sleep(0.2)


__all__ = ["BatchHandle", "BatchRun", "batches_frame", "cancel_batches", "chunk_tag"]
