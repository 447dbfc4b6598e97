"""Pacing requests the way providers enforce their limits, and learning those limits from what providers say.

Providers state limits per minute but enforce them over short periods ("60,000 requests/minute may be enforced
as 1,000 requests/second": OpenAI, platform.openai.com/docs/guides/rate-limits, read 2026-11-29; Anthropic's
token bucket: docs.claude.com/en/api/rate-limits, read 2026-11-29), so a per-minute quota is a smooth rate with a
short burst (:class:`TokenBucket`, one second's worth by default), not a 60-second window that admits a minute's
quota at once. :class:`ProviderGate` holds one provider's concurrency cap, its configured buckets, the buckets it
learned per model from rate-limit headers (:func:`read_limits`: OpenAI, xAI and Groq ``x-ratelimit-*``, OpenRouter
``X-RateLimit-*``, Anthropic ``anthropic-ratelimit-*`` with RFC 3339 resets), pauses asked for with
``retry-after``, and, when a provider throttles without saying why, an additive-increase / multiplicative-decrease
rate. A per-day quota that runs out ends the provider's remaining rows (``quota_exhausted``) instead of retrying
for hours.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from multimodel.wire.errors import parse_duration

#: the client paces a little under the stated rate: it stamps a request when it admits it, the provider when it
#: arrives, and connection set-up makes the two differ by a few milliseconds at a burst's edge
_MARGIN = 0.98
#: a new bucket holds this many seconds' worth less than its burst: the first requests on new connections reach
#: the provider tens of milliseconds late (TCP and TLS set-up), so its bucket starts counting later than ours does
#: while the later requests arrive on time; measured on loopback: 38 ms of skew, one 429 per provider at the start
_SETUP_S = 0.1
#: the longest single pause a response can impose; longer ones mean a quota, not a throttle
MAX_PAUSE_S = 300.0
#: a throttle that asks for longer than this is a per-day (or per-month) quota running out
QUOTA_PAUSE_S = 3600.0
#: a silent 429 adapts the rate only after this many requests in the last 10 s (fewer say nothing about a rate)
_ADAPT_MIN_SENT = 10
#: admission times a gate keeps for measuring the rate it sends at
_SENT_KEPT = 10_000
#: a silent throttle cuts the rate to this share of the rate that was throttled (CUBIC's multiplicative decrease,
#: RFC 9438 section 4.6: gentler than halving, which left a provider 25% below its limit on average)
_CUT = 0.7
#: then the rate grows back by this share of the throttled rate per second (additive increase): about 6 s from the
#: cut back to the limit, where the provider's burst allowance absorbs the overshoot until the next throttle
_GROWTH_PER_S = 0.05


class TokenBucket:
    """``per_minute`` units a minute as a smooth rate, up to ``burst_s`` seconds' worth at once. A request larger
    than the burst waits for a full bucket and then leaves a debt the next ones wait out."""

    def __init__(self, per_minute: float, burst_s: float = 1.0) -> None:
        self.burst_s = burst_s
        self.limit = float(per_minute)
        self.rate = self.limit * _MARGIN / 60.0
        self.capacity = max(1.0, self.rate * burst_s)
        self.tokens = max(1.0, self.capacity - self.rate * _SETUP_S)
        self.stamp = time.monotonic()

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` may go (0: now)."""
        self._refill(now)
        need = min(amount, self.capacity)
        return 0.0 if self.tokens >= need else (need - self.tokens) / self.rate

    def add(self, amount: float, now: float) -> None:
        self._refill(now)
        self.tokens -= amount

    def adjust(self, delta: float) -> None:
        """Correct an estimate once the real usage is known (more used: a debt; less: given back)."""
        self.tokens = min(self.capacity, self.tokens - delta)

    def set_rate(self, per_minute: float) -> None:
        """A new rate (learned, or adapted after a throttle), keeping what is in the bucket."""
        self._refill(time.monotonic())
        self.limit = float(per_minute)
        self.rate = self.limit * _MARGIN / 60.0
        self.capacity = max(1.0, self.rate * self.burst_s)
        self.tokens = min(self.tokens, self.capacity)


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit a response stated: its size, what is left, and seconds until it is whole again (None: unsaid)."""

    limit: float | None
    remaining: float | None
    reset_s: float | None


def read_limits(headers: Mapping[str, str], now: float | None = None) -> dict[str, Limit]:
    """The limits a response states, by what they count ("requests", "tokens", "input_tokens", "output_tokens"), in
    every spelling providers use (sources in the module docstring and provider-quirks.md)."""
    found: dict[str, Limit] = {}
    for what in ("requests", "tokens"):  # OpenAI, xAI, Groq: durations such as "6m0s" or "250ms"
        limit = _number(headers.get(f"x-ratelimit-limit-{what}"))
        left = _number(headers.get(f"x-ratelimit-remaining-{what}"))
        if limit is not None or left is not None:
            found[what] = Limit(limit, left, parse_duration(headers.get(f"x-ratelimit-reset-{what}")))
    for what in ("requests", "tokens", "input-tokens", "output-tokens"):  # Anthropic: RFC 3339 reset times
        limit = _number(headers.get(f"anthropic-ratelimit-{what}-limit"))
        left = _number(headers.get(f"anthropic-ratelimit-{what}-remaining"))
        if limit is not None or left is not None:
            reset = rfc3339_seconds(headers.get(f"anthropic-ratelimit-{what}-reset"), now)
            found[what.replace("-", "_")] = Limit(limit, left, reset)
    limit, left = _number(headers.get("x-ratelimit-limit")), _number(headers.get("x-ratelimit-remaining"))
    if "requests" not in found and (limit is not None or left is not None):  # OpenRouter: reset in epoch ms
        reset_ms = _number(headers.get("x-ratelimit-reset"))
        wall = time.time() if now is None else now
        found["requests"] = Limit(limit, left, None if reset_ms is None else max(0.0, reset_ms / 1000.0 - wall))
    return found


def rfc3339_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds from now until an RFC 3339 time such as ``2026-11-29T12:00:30Z`` (0 if past, None if unreadable)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number < float("inf") else None


class AdaptiveRate:
    """The rate for a provider that throttles without saying its limit or a wait: additive increase, multiplicative
    decrease, one decrease per throttle episode (a 429 for a request admitted before the last cut says nothing new,
    the way TCP cuts once per window, RFC 5681 section 3.1)."""

    def __init__(self, throttled_per_min: float, burst_s: float, now: float) -> None:
        self.bucket = TokenBucket(max(1.0, throttled_per_min * _CUT), burst_s)
        self.bucket.tokens = 0.0  # what the provider held is spent: start from an empty bucket
        self.step = throttled_per_min * _GROWTH_PER_S  # per minute, added per second of answers
        self.cut_at = self.grown_at = now

    def cut(self, sent_per_min: float, sent_at: float | None, now: float) -> None:
        """A throttle: the rate becomes _CUT of what was being sent (at most the rate allowed), unless the throttled
        request left before the last cut."""
        if sent_at is not None and sent_at < self.cut_at:
            return
        throttled = min(self.bucket.limit, sent_per_min)
        self.bucket.set_rate(max(1.0, throttled * _CUT))
        self.bucket.tokens = min(self.bucket.tokens, 0.0)
        self.step = throttled * _GROWTH_PER_S
        self.cut_at = self.grown_at = now

    def grow(self, now: float) -> None:
        """An answer: the rate grows by ``step`` per second since the last growth (at most a second's worth)."""
        elapsed = min(1.0, now - self.grown_at)
        self.grown_at = now
        if elapsed > 0:
            self.bucket.set_rate(self.bucket.limit + self.step * elapsed)


class ProviderGate:
    """Admission for one provider: a concurrency cap; configured rpm/tpm as token buckets; buckets learned per model
    from the provider's headers; pauses asked for with retry-after; an adaptive rate when it throttles silently;
    and the end of a per-day quota."""

    def __init__(self, name: str, concurrency: int, rpm: float | None = None, tpm: float | None = None,
                 burst_s: float = 1.0) -> None:
        self.name = name
        self.concurrency = concurrency
        self.burst_s = burst_s
        self._sem = asyncio.Semaphore(concurrency)
        self.rpm = TokenBucket(rpm, burst_s) if rpm else None
        self.tpm = TokenBucket(tpm, burst_s) if tpm else None
        self.learned: dict[str, dict[str, TokenBucket]] = {}  # model → "requests"/"tokens" → bucket
        self.adaptive: dict[str, AdaptiveRate] = {}  # model → the rate it adapted to after silent throttles
        self.pause_until = 0.0
        self._lock = asyncio.Lock()
        self.rate_limited = 0  # 429s seen, for progress and benchmarks
        self.learned_rpm: float | None = None
        self.exhausted: str | None = None  # why the provider's quota ran out (its remaining rows are not sent)
        self.exhausted_until = 0.0  # monotonic time the quota is expected back
        # the latest admission times, trimmed to 10 s when read: the rate a silent throttle cuts (bounded, since
        # only a silent 429 trims it: 10,000 a second, 600,000 a minute, is beyond any provider's limit)
        self._sent: deque[float] = deque(maxlen=_SENT_KEPT)

    def _buckets(self, model: str | None) -> list[tuple[TokenBucket, bool]]:
        """(bucket, counts tokens) pairs that a request for ``model`` must pass."""
        out = [(b, t) for b, t in ((self.rpm, False), (self.tpm, True)) if b is not None]
        for what, bucket in self.learned.get(model or "", {}).items():
            out.append((bucket, what == "tokens"))
        adaptive = self.adaptive.get(model or "")
        if adaptive is not None:
            out.append((adaptive.bucket, False))
        return out

    async def acquire(self, est_tokens: float, model: str | None = None) -> float:
        """Wait for a concurrency slot and for every bucket and pause; the monotonic time the request was admitted."""
        await self._sem.acquire()
        buckets = self._buckets(model)
        if not buckets and self.pause_until <= time.monotonic():
            now = time.monotonic()
            self._sent.append(now)
            return now  # nothing to pace: skip the admission lock on the common path
        try:
            async with self._lock:  # admit one at a time so the buckets stay exact
                while True:
                    now = time.monotonic()
                    wait = max([self.pause_until - now, 0.0] + [b.wait_time(est_tokens if t else 1, now)
                                                                 for b, t in buckets])
                    if wait <= 0:
                        break
                    await asyncio.sleep(wait)
                now = time.monotonic()
                for bucket, tokens in buckets:
                    bucket.add(est_tokens if tokens else 1, now)
                self._sent.append(now)
        except BaseException:
            self._sem.release()
            raise
        return now

    def release(self, est_tokens: float, used_tokens: int | None, model: str | None = None) -> None:
        if used_tokens is not None:
            for bucket, tokens in self._buckets(model):
                if tokens:
                    bucket.adjust(used_tokens - est_tokens)
        self._sem.release()

    def observe(self, status: int, headers: Mapping[str, str], retry_after_s: float | None,
                model: str | None = None, sent_at: float | None = None) -> None:
        """Learn from a response to a request admitted at ``sent_at``: pause on 429/503/529 as asked, adopt stated
        limits per model, and slow a provider that throttles without saying how."""
        now = time.monotonic()
        if status == 429:
            self.rate_limited += 1
        limits = read_limits(headers)
        if status in (429, 503, 529) and retry_after_s:
            self.pause_until = max(self.pause_until, now + min(retry_after_s, MAX_PAUSE_S))
        for what, stated in limits.items():
            if stated.remaining == 0 and stated.reset_s:
                self.pause_until = max(self.pause_until, now + min(stated.reset_s, MAX_PAUSE_S))
            self._learn(model, what, stated)
        if status == 429 and not retry_after_s and not limits:
            self._slow_down(model, sent_at, now)
        elif status < 300 and (adaptive := self.adaptive.get(model or "")) is not None:
            adaptive.grow(now)

    def _learn(self, model: str | None, what: str, stated: Limit) -> None:
        """Adopt a per-minute limit a response stated (one whose reset is longer than a minute is per day: its
        remaining count pauses the provider when it reaches 0, but it sets no rate)."""
        if stated.limit is None or stated.limit <= 0 or (stated.reset_s is not None and stated.reset_s > 60):
            return
        if (what == "requests" and self.rpm is not None) or (what != "requests" and self.tpm is not None):
            return  # the configured limit wins
        kind = "requests" if what == "requests" else "tokens"
        buckets = self.learned.setdefault(model or "", {})
        bucket = buckets.get(kind)
        if bucket is None:
            buckets[kind] = bucket = TokenBucket(stated.limit, self.burst_s)
        elif bucket.limit != stated.limit:
            bucket.set_rate(stated.limit)
        if stated.remaining is not None:  # the provider's count wins (a 429 learned from says 0: none left now)
            bucket.tokens = min(bucket.tokens, stated.remaining)
        if kind == "requests":
            self.learned_rpm = stated.limit

    def _slow_down(self, model: str | None, sent_at: float | None, now: float) -> None:
        """A 429 that names no limit and no wait: cut the rate this provider was being sent at (AdaptiveRate); with
        too little traffic to say what rate was too much, pause a second instead."""
        while self._sent and self._sent[0] < now - 10.0:
            self._sent.popleft()
        adaptive = self.adaptive.get(model or "")
        if adaptive is None and len(self._sent) < _ADAPT_MIN_SENT:
            self.pause_until = max(self.pause_until, now + 1.0)
            return
        # the rate being sent: admissions in the last second (a provider's bucket holds about a second's worth)
        sent_per_min = 60.0 * sum(1 for t in self._sent if t >= now - 1.0)
        if adaptive is None:
            self.adaptive[model or ""] = AdaptiveRate(max(sent_per_min, 60.0), self.burst_s, now)
        else:
            adaptive.cut(sent_per_min, sent_at, now)


__all__ = ["MAX_PAUSE_S", "QUOTA_PAUSE_S", "AdaptiveRate", "Limit", "ProviderGate", "TokenBucket", "read_limits",
           "rfc3339_seconds"]
