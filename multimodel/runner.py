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
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import orjson

from multimodel import exchange
from multimodel.config import BUILTIN_PAIRS, ProviderConfig, unknown_provider
from multimodel.errors import CacheWarning, ParamWarning, warn_user
from multimodel.pacing import QUOTA_PAUSE_S, ProviderGate
from multimodel.providers.repairs import Repair
from multimodel.redact import scrub_fields, scrub_text
from multimodel.request import PreparedRequest
from multimodel.results import Result, ResultError
from multimodel.transport import Transport, same_origin

if TYPE_CHECKING:
    from multimodel.store import ResultCache

_LOG = logging.getLogger("multimodel")


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


#: throttling (a 429, an overload) is not failure: inside a batch (evaluate()) it is retried without spending
#: ``retries``, until the run's deadline_s (without one, the row's own timeout); a single call counts it as a retry
THROTTLE_KINDS = frozenset({"rate_limit", "overloaded"})


async def execute_with_retries(req: PreparedRequest, gate: ProviderGate, transport: Transport,
                               batch: bool = False, deadline: float | None = None) -> Result:
    """Attempts until an answer, a failure that is not retryable, ``req.retries`` failed retries, or the bound.

    A single call (``batch=False``) keeps ``req.timeout.total`` as the limit on everything, waits included; its
    clock starts at the first admission (a queue behind other calls is not its time). In a batch each attempt has
    the whole ``req.timeout.total`` and throttles are waited out until ``deadline`` (monotonic; None: no bound).
    """
    started: float | None = None
    attempts = failures = 0
    est = estimate_tokens(req)
    total = req.timeout.total
    while True:
        stop = _stop_before_sending(req, gate, started, total, batch, deadline, attempts)
        if stop is not None:
            return stop
        attempts += 1
        admitted = await gate.acquire(est, req.model_id)
        observe = partial(gate.observe, model=req.model_id, sent_at=admitted)
        if started is None:
            started = time.monotonic()
        result = None
        left = total if batch else max(0.001, total - (time.monotonic() - started))
        try:
            result = await exchange.send(req, transport, observe, replace(req.timeout, total=left))
        finally:
            used = None
            if result is not None and result.prompt_tokens is not None:
                used = result.prompt_tokens + (result.completion_tokens or 0)
            gate.release(est, used, req.model_id)
        result.attempts = attempts
        err = result.error
        if err is None or not err.retryable:
            return result
        if batch and _quota_ran_out(err, gate):
            return result
        throttled = batch and err.kind in THROTTLE_KINDS  # a single call's retries= counts every retry
        failures += 0 if throttled else 1
        if failures > req.retries:
            return result
        delay = backoff_delay(failures or 1, err.retry_after_s)
        bound = deadline if batch and deadline is not None else started + total
        if bound is not None and time.monotonic() + delay > bound:
            return result
        await asyncio.sleep(delay)


def _stop_before_sending(req: PreparedRequest, gate: ProviderGate, started: float | None, total: float, batch: bool,
                         deadline: float | None, attempts: int) -> Result | None:
    """A row that is not sent: the provider's quota ran out, the run's deadline passed, or a provider's pause
    outlasts what is left of a single call."""
    now = time.monotonic()
    why: tuple[str, str] | None = None
    if gate.exhausted is not None and batch and now < gate.exhausted_until:
        why = ("quota_exhausted", f"not sent: {gate.name}'s quota ran out earlier in this run ({gate.exhausted})")
    elif batch and deadline is not None and max(now, gate.pause_until) > deadline:
        why = ("deadline", "not sent: the run's deadline_s passed while this row waited")
    elif not batch and gate.pause_until - now > total - (0.0 if started is None else now - started):
        why = ("rate_limit", f"not sent: the provider asked for a pause of {gate.pause_until - now:.0f}s, longer "
                             f"than what is left of this call's {total:g}s timeout")
    if why is None:
        return None
    result = exchange.unsent(req, *why)
    result.attempts = attempts
    return result


def _quota_ran_out(err: ResultError, gate: ProviderGate) -> bool:
    """In a batch, a throttle that is a quota running out (a per-day limit; a wait of an hour or more): the error
    becomes ``quota_exhausted`` and the provider's rows are not sent until the quota is back."""
    text = err.message.lower()
    daily = any(word in text for word in ("per day", "perday", "per_day", "daily", "requests per day"))
    if err.kind != "rate_limit" or not (daily or (err.retry_after_s or 0) >= QUOTA_PAUSE_S):
        return False
    err.kind = "quota_exhausted"
    gate.exhausted = err.message[:200]
    # until the provider said, else an hour; at most a day (a quota resets daily at the latest)
    gate.exhausted_until = time.monotonic() + min(max(err.retry_after_s or 0.0, QUOTA_PAUSE_S), 86_400.0)
    return True


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
                raise unknown_provider(provider, self.providers)
            gate = self._gates[provider] = ProviderGate(provider, cfg.concurrency, cfg.rpm, cfg.tpm, cfg.burst_s)
        return gate

    def gate_name(self, cfg: ProviderConfig) -> str:
        """Whose gate a provider's requests go through: its own, except a built-in pair (anthropic-messages) that
        reaches the same account at the same host as its dialect's provider: one key has one quota, whichever API
        spends it (Anthropic's compatibility layer counts against the Messages API's limits)."""
        twin = self.providers.get(cfg.dialect) if cfg.name in BUILTIN_PAIRS else None
        if (twin is not None and same_origin(twin.base_url + "/", cfg.base_url + "/")
                and (twin.api_key, twin.api_key_env) == (cfg.api_key, cfg.api_key_env)):
            return twin.name
        return cfg.name

    async def send(self, req: PreparedRequest, *, batch: bool = False, deadline: float | None = None) -> Result:
        """Through the provider's gate with retries, bypassing the cache (the probe's raw sends). With
        ``req.repair``: the repairs remembered for the model first, and after a 400 that names a parameter or
        value the model does not take, the request fixed as the message says and sent again. ``batch`` and
        ``deadline``: see execute_with_retries."""
        gate = self.gate(self.gate_name(req.provider))
        fixes = self.repairs.known(req) if req.repair else []
        sent = repaired(req, fixes) if fixes else req
        result = await execute_with_retries(sent, gate, self.transport, batch, deadline)
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
            result = await execute_with_retries(sent, gate, self.transport, batch, deadline)
            result.attempts += earlier
        result.repaired = [fix.describe() for fix in fixes]
        return result

    async def execute(self, req: PreparedRequest, run_id: str | None = None, *,
                      deadline: float | None = None) -> Result:
        """Cache lookup, then attempts through the provider's gate with retries, then the cache write. With a
        ``run_id`` (an evaluation) throttles are waited out until ``deadline`` instead of the call's timeout.

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
        result = exchange.annotate(await self._send_safely(req, run_id is not None, deadline), req)
        if req.use_cache and self.cache is not None and result.error is None:
            try:
                self.cache.put(req.cache_key, result, run_id)
            except Exception as exc:  # the answer is kept in the row whatever the cache does
                warn_user(f"the answer from {req.model} was not cached ({type(exc).__name__}: {exc})", CacheWarning)
        return result

    async def _send_safely(self, req: PreparedRequest, batch: bool, deadline: float | None) -> Result:
        """send(), with any failure of multimodel's own turned into an error row (kind ``internal``, never cached,
        logged with its traceback): one request's bug must not end a batch of thousands."""
        try:
            return await self.send(req, batch=batch, deadline=deadline)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            message = scrub_text(f"{type(exc).__name__}: {exc}", req.secrets)[:500]
            trace = scrub_text("".join(traceback.format_exception(exc)), req.secrets)
            _LOG.error("multimodel failed on a request to %s (please report it):\n%s", req.model, trace)
            return exchange.unsent(req, "internal", f"multimodel failed on this request (a bug; please report it): "
                                                    f"{message}")

    async def execute_with_fallbacks(self, req: PreparedRequest, fallbacks: list[PreparedRequest],
                                     run_id: str | None = None, cancelled: Callable[[], bool] | None = None,
                                     *, deadline: float | None = None) -> Result:
        """The first model's Result, or the first fallback that answers (else the last one's error). Its ``model``
        is always ``req.model``, the model as requested; ``answered_by`` names the fallback that answered."""
        result = await self.execute(req, run_id, deadline=deadline)
        for fb in fallbacks:
            if result.error is None or (cancelled is not None and cancelled()):
                break
            earlier = result
            result = (await self.execute(fb, run_id, deadline=deadline)).as_fallback_of(req.model)
            result.attempts += earlier.attempts
        return result
