"""Running prepared requests: the cache, per-provider gates (concurrency, rpm/tpm, learned pauses),
retries and failover, around the exchange layer's single send.

Every request, single or batched, passes through its provider's gate, so a provider that throttles
slows down only itself. Limits come from the configuration and are also learned from responses:
``retry-after`` on a 429/503 pauses that provider, ``x-ratelimit-remaining-* = 0`` pauses it until the
matching reset, ``x-ratelimit-limit-requests`` sets its rpm. Retries use exponential backoff with full
jitter and honour retry-after, within a bounded number of attempts and a total time budget.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import orjson

from multimodel import exchange
from multimodel.config import ProviderConfig
from multimodel.errors import CacheWarning, ConfigError, ParamWarning, warn_user
from multimodel.providers.repairs import Repair
from multimodel.redact import scrub_fields, scrub_text
from multimodel.request import PreparedRequest
from multimodel.results import Result
from multimodel.transport import Transport
from multimodel.wire.errors import parse_duration

if TYPE_CHECKING:
    from multimodel.store import ResultCache

_LOG = logging.getLogger("multimodel")
_WINDOW_S = 60.0


class SlidingWindow:
    """At most ``limit`` units in any rolling 60 s, the way providers count rpm and tpm.

    An entry is kept a little longer than the window (1/120 of it: 0.5 s of 60 s): the client stamps a
    request when it admits it, the provider when it arrives, and at the start of a large batch the two
    differ by a few hundred milliseconds of connection set-up, enough for a 429 at the window's edge.
    """

    def __init__(self, limit: float) -> None:
        self.limit = float(limit)
        self.events: deque[tuple[float, float]] = deque()
        self.total = 0.0

    @staticmethod
    def _span() -> float:
        return _WINDOW_S * (1 + 1 / 120)

    def _expire(self, now: float) -> None:
        events = self.events
        span = self._span()
        while events and events[0][0] <= now - span:
            self.total -= events.popleft()[1]

    def wait_time(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` more fits (0 if it fits now); an oversize request waits for an empty window."""
        self._expire(now)
        if self.total + amount <= self.limit or not self.events:
            return 0.0
        span = self._span()
        need = self.total + amount - self.limit
        freed = 0.0
        for t, n in self.events:
            freed += n
            if freed >= need:
                return t + span - now
        return self.events[-1][0] + span - now

    def add(self, amount: float, now: float) -> None:
        self.events.append((now, amount))
        self.total += amount

    def adjust_last(self, delta: float) -> None:
        """Correct a token estimate once the real usage is known."""
        if self.events:
            t, n = self.events[-1]
            self.events[-1] = (t, max(0.0, n + delta))
            self.total = max(0.0, self.total + delta)


class ProviderGate:
    """Admission control for one provider: a concurrency cap, rpm/tpm windows and a learned pause."""

    def __init__(self, name: str, concurrency: int, rpm: float | None = None, tpm: float | None = None) -> None:
        self.name = name
        self.concurrency = concurrency
        self._sem = asyncio.Semaphore(concurrency)
        self.rpm = SlidingWindow(rpm) if rpm else None
        self.tpm = SlidingWindow(tpm) if tpm else None
        self.pause_until = 0.0
        self._lock = asyncio.Lock()
        self.rate_limited = 0  # 429s seen, for progress and benchmarks
        self.learned_rpm: float | None = None

    async def acquire(self, est_tokens: float) -> None:
        await self._sem.acquire()
        if self.rpm is None and self.tpm is None and self.pause_until <= time.monotonic():
            return  # nothing to pace: skip the admission lock on the common path
        try:
            async with self._lock:  # admit one at a time so the windows stay exact
                while True:
                    now = time.monotonic()
                    wait = max(0.0, self.pause_until - now)
                    if self.rpm is not None:
                        wait = max(wait, self.rpm.wait_time(1, now))
                    if self.tpm is not None:
                        wait = max(wait, self.tpm.wait_time(est_tokens, now))
                    if wait <= 0:
                        break
                    await asyncio.sleep(wait)
                now = time.monotonic()
                if self.rpm is not None:
                    self.rpm.add(1, now)
                if self.tpm is not None:
                    self.tpm.add(est_tokens, now)
        except BaseException:
            self._sem.release()
            raise

    def release(self, est_tokens: float, used_tokens: int | None) -> None:
        if self.tpm is not None and used_tokens is not None:
            self.tpm.adjust_last(used_tokens - est_tokens)
        self._sem.release()

    def observe(self, status: int, headers: Mapping[str, str], retry_after_s: float | None) -> None:
        """Learn from a response: pause on 429/503 with retry-after or exhausted quotas; adopt rpm limits."""
        now = time.monotonic()
        if status == 429:
            self.rate_limited += 1
        if status in (429, 503, 529) and retry_after_s:
            self.pause_until = max(self.pause_until, now + min(retry_after_s, 300.0))
        elif status == 429:
            self.pause_until = max(self.pause_until, now + 1.0)
        if headers.get("x-ratelimit-remaining-requests") == "0":
            reset = parse_duration(headers.get("x-ratelimit-reset-requests"))
            if reset:
                self.pause_until = max(self.pause_until, now + min(reset, 300.0))
        if headers.get("x-ratelimit-remaining-tokens") == "0":
            reset = parse_duration(headers.get("x-ratelimit-reset-tokens"))
            if reset:
                self.pause_until = max(self.pause_until, now + min(reset, 300.0))
        limit = headers.get("x-ratelimit-limit-requests")
        if limit and self.rpm is None:
            try:
                value = float(limit)
            except ValueError:
                value = 0.0
            if value > 0:
                self.learned_rpm = value
                self.rpm = SlidingWindow(value)


def estimate_tokens(req: PreparedRequest) -> float:
    """A cheap upper-ish estimate for tpm admission: ~4 bytes per prompt token plus the output cap."""
    body = req.body
    out = body.get("max_completion_tokens") or body.get("max_tokens") or 512
    return len(req.payload) / 4 + float(out)


def backoff_delay(attempt: int, retry_after_s: float | None, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter; a provider's retry-after wins when it is longer."""
    delay = random.uniform(0, min(cap, base * (2 ** (attempt - 1))))
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, 120.0))
    return delay


async def execute_with_retries(req: PreparedRequest, gate: ProviderGate, transport: Transport) -> Result:
    """Up to 1 + ``req.retries`` attempts of retryable failures, within ``req.timeout.total`` seconds in all (each
    attempt gets what is left of it)."""
    attempts = 0
    started: float | None = None  # the clock starts at the first admission: a batch's queue is not this call's time
    est = estimate_tokens(req)
    total = req.timeout.total
    while True:
        now = time.monotonic()
        pause = gate.pause_until - now
        if pause > total - (0.0 if started is None else now - started):  # a pause that outlasts this call: no wait
            result = exchange.unsent(req, "rate_limit", f"not sent: the provider asked for a pause of {pause:.0f}s, "
                                                         f"longer than what is left of this call's {total:g}s timeout")
            result.attempts = attempts
            return result
        attempts += 1
        await gate.acquire(est)
        if started is None:
            started = time.monotonic()
        result = None
        left = max(0.001, total - (time.monotonic() - started))
        try:
            result = await exchange.send(req, transport, gate.observe, replace(req.timeout, total=left))
        finally:
            used = None
            if result is not None and result.prompt_tokens is not None:
                used = result.prompt_tokens + (result.completion_tokens or 0)
            gate.release(est, used)
        result.attempts = attempts
        err = result.error
        if err is None or not err.retryable or attempts > req.retries:
            return result
        delay = backoff_delay(attempts, err.retry_after_s)
        if time.monotonic() - started + delay > total:
            return result
        await asyncio.sleep(delay)


class RepairMemory:
    """Repairs a provider's 400 asked for, per endpoint and model: applied before sending from then on, in
    this client and (through the cache file) in the next kernel. The request as the caller asked for it
    keeps its cache key."""

    def __init__(self, cache: ResultCache | None) -> None:
        self.cache = cache
        self._known: dict[tuple[str, str, str], list[Repair]] | None = None

    def _table(self) -> dict[tuple[str, str, str], list[Repair]]:
        if self._known is None:
            self._known = {}
            for provider, base_url, model, text in self.cache.repairs() if self.cache is not None else ():
                try:
                    fix = Repair.from_dict(orjson.loads(text))
                except (ValueError, KeyError, TypeError):
                    continue  # written by another version: ignore it
                self._known.setdefault((provider, base_url, model), []).append(fix)
        return self._known

    def known(self, req: PreparedRequest) -> list[Repair]:
        """The remembered repairs that apply to this request's body, in the order they were learned."""
        table = self._table()
        if not table:
            return []
        fixes = table.get((req.provider.name, req.provider.base_url, req.model_id), ())
        return [fix for fix in fixes if fix.applies_to(req.body)]

    def remember(self, req: PreparedRequest, fix: Repair) -> None:
        key = (req.provider.name, req.provider.base_url, req.model_id)
        table = self._table()
        if fix not in table.setdefault(key, []):
            table[key].append(fix)
            if self.cache is not None:
                self.cache.add_repair(*key, orjson.dumps(fix.to_dict()).decode())
            warnings.warn(f"{req.model}: the provider rejected the request ({fix.why!r}); {fix.describe()}, resent, "
                          "and remembered for this model (the row's 'repaired' column lists it; repair=False turns "
                          "this off)", ParamWarning, stacklevel=2)


def repaired(req: PreparedRequest, fixes: list[Repair]) -> PreparedRequest:
    """The request with the repairs made to its body; it keeps the cache key of the request as asked."""
    body = req.body
    for fix in fixes:
        body = fix.apply(body)
    return dataclasses.replace(req, body=body, payload=orjson.dumps(body), _cache_key=req.cache_key)


#: at most this many repairs per request, each a resend after a 400 that names something new to change
MAX_REPAIRS = 3


class Runner:
    """Runs prepared requests for one set of providers: cache lookup, the provider's gate and retries over
    the transport, repairs of rejected parameters, the cache write, and fallbacks. Lives on the I/O loop;
    one per Client."""

    def __init__(self, providers: dict[str, ProviderConfig], cache: ResultCache | None, transport: Transport) -> None:
        self.providers = providers
        self.cache = cache
        self.transport = transport
        self.repairs = RepairMemory(cache)
        self._gates: dict[str, ProviderGate] = {}
        self._gates_loop: asyncio.AbstractEventLoop | None = None

    def gate(self, provider: str) -> ProviderGate:
        """The admission gate (concurrency, rpm/tpm, learned pauses) of one provider. Gates belong to the loop that
        runs the requests: when that loop has died (never expected), the loop now running them gets fresh gates;
        a look from another loop (a notebook cell's) changes nothing."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # asked from outside any loop: the gates as they are
            loop = None
        old = self._gates_loop
        if loop is not None and loop is not old and (old is None or old.is_closed() or not old.is_running()):
            if old is not None:
                self._gates = {}
            self._gates_loop = loop
        gate = self._gates.get(provider)
        if gate is None:
            cfg = self.providers.get(provider)
            if cfg is None:
                raise ConfigError(f"unknown provider {provider!r}; configured: {sorted(self.providers)}")
            gate = self._gates[provider] = ProviderGate(provider, cfg.concurrency, cfg.rpm, cfg.tpm)
        return gate

    async def send(self, req: PreparedRequest) -> Result:
        """Through the provider's gate with retries, bypassing the cache (the probe's raw sends). With
        ``req.repair``: the repairs remembered for the model first, and after a 400 that names a parameter or
        value the model does not take, the request fixed as the message says and sent again."""
        gate = self.gate(req.provider.name)
        fixes = self.repairs.known(req) if req.repair else []
        sent = repaired(req, fixes) if fixes else req
        result = await execute_with_retries(sent, gate, self.transport)
        for _ in range(MAX_REPAIRS if req.repair else 0):
            if result.error is None or result.error.kind != "bad_request":
                break
            fix = sent.dialect.repair(result.error.message, sent.body)
            if fix is None or fix in fixes:
                break
            self.repairs.remember(req, fix)
            fixes.append(fix)
            sent = repaired(req, fixes)
            earlier = result.attempts
            result = await execute_with_retries(sent, gate, self.transport)
            result.attempts += earlier
        result.repaired = [fix.describe() for fix in fixes]
        return result

    async def execute(self, req: PreparedRequest, run_id: str | None = None) -> Result:
        """Cache lookup, then attempts through the provider's gate with retries, then the cache write.

        A hit is marked ``cached`` unless it was written by the same evaluation run: then it is that
        run's own live result, recovered after a crash or restart, and keeps counting in latency stats.
        """
        if req.skip is not None:
            return exchange.unsent(req, "unsupported", req.skip)
        if req.use_cache and self.cache is not None and (hit := self.cache.get_with_run(req.cache_key)) is not None:
            result, stored_run = hit
            scrub_fields(result, req.secrets)  # a row an older release cached may hold an echoed key
            result.cached = run_id is None or stored_run != run_id
            if req.route_reason is not None:  # this call's routing, not the one that filled the cache
                result.route_reason = req.route_reason
            return result
        result = exchange.annotate(await self._send_safely(req), req)
        if req.use_cache and self.cache is not None and result.error is None:
            try:
                self.cache.put(req.cache_key, result, run_id)
            except Exception as exc:  # the answer is kept in the row whatever the cache does
                warn_user(f"the answer from {req.model} was not cached ({type(exc).__name__}: {exc})", CacheWarning)
        return result

    async def _send_safely(self, req: PreparedRequest) -> Result:
        """send(), with any failure of multimodel's own turned into an error row (kind ``internal``, never cached,
        logged with its traceback): one request's bug must not end a batch of thousands."""
        try:
            return await self.send(req)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            message = scrub_text(f"{type(exc).__name__}: {exc}", req.secrets)[:500]
            trace = scrub_text("".join(traceback.format_exception(exc)), req.secrets)
            _LOG.error("multimodel failed on a request to %s (please report it):\n%s", req.model, trace)
            return exchange.unsent(req, "internal", f"multimodel failed on this request (a bug; please report it): "
                                                    f"{message}")

    async def execute_with_fallbacks(self, req: PreparedRequest, fallbacks: list[PreparedRequest],
                                     run_id: str | None = None, cancelled: Callable[[], bool] | None = None
                                     ) -> Result:
        """The first model's Result, or the first fallback that answers; ``fallback_from`` names the first."""
        result = await self.execute(req, run_id)
        for fb in fallbacks:
            if result.error is None or (cancelled is not None and cancelled()):
                break
            earlier = result
            result = await self.execute(fb, run_id)
            result.fallback_from = req.model
            result.attempts += earlier.attempts
        return result
