"""Rate limits as providers enforce them: short token buckets per (API key, model), and per-day quotas.

Providers state limits per minute but enforce them over short periods: OpenAI documents that "60,000
requests/minute may be enforced as 1,000 requests/second" (platform.openai.com/docs/guides/rate-limits, as quoted
in research/provider-quirks.md section 0, 2026-11-29); Anthropic's limits are a continuously refilled token bucket
(docs.anthropic.com/en/api/rate-limits, via the same section); xAI: "Your per-second limit is derived from your
per-minute request budget (RPM / 60): you cannot spend a full minute's requests in a single second"
(docs.x.ai/developers/rate-limits.md, read 2026-11-29). So each limit is a bucket holding ``burst`` seconds of the
per-minute rate (one second by default), refilled continuously. No provider documents a 60-second window, so the
simulator has none; ``burst=60`` gives a bucket holding a whole minute for whoever wants the old leniency.

Limits are set per scope ``(provider, model)`` (either may be None = any); every matching scope is enforced, and
within a scope every (API key, canonical model) pair has its own buckets, kept in an LRU of ``MAX_BUCKETS``. How a
request's tokens count is the dialect's ``token_rule`` (see ``TOKEN_RULES``). A request refused by a limit costs
nothing. Per-day limits (``rpd``) are counters that reset at the provider's midnight (``Dialect.day_zone``).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

MAX_BUCKETS = 4096  # (key, model) groups kept per scope; the least recently used is dropped beyond this
LIMIT_KEYS = ("rpm", "tpm", "rpd", "itpm", "otpm", "burst")
# How tokens count, per provider (the dialect names its rule):
# - "reserve": prompt + max_tokens (or the model's default answer) charged up front, nothing given back (OpenAI)
# - "split": input tokens against ITPM; max_tokens reserved against OTPM, then corrected to the real output
#   (Anthropic)
# - "input": input tokens only (Gemini's quota metric is generate_content_input_token_count)
# - "after": prompt up front, the real output charged when the answer is done (xAI: all tokens count)
TOKEN_RULES = ("reserve", "split", "input", "after")
# What responses report when no limit is configured (OpenAI tier-5-like figures, realcorpus t04).
DEFAULT_RPM = 30_000
DEFAULT_TPM = 150_000_000


@dataclass(slots=True)
class Bucket:
    """One per-minute limit enforced as a short bucket; ``used`` is the per-minute view the headers report."""

    limit: int
    capacity: float
    level: float
    t: float
    used: float = 0.0

    @classmethod
    def new(cls, limit: int, burst_s: float, now: float, floor: float) -> Bucket:
        """A full bucket holding ``burst_s`` seconds of ``limit``/minute (at least ``floor``)."""
        cap = max(floor, limit * burst_s / 60.0)
        return cls(limit, cap, cap, now)

    @property
    def rate(self) -> float:
        return self.limit / 60.0

    def refill(self, now: float) -> None:
        """Add what the elapsed time refilled: the short bucket up to its capacity, the minute view down to 0."""
        dt = now - self.t
        if dt > 0:
            self.level = min(self.capacity, self.level + dt * self.rate)
            self.used = max(0.0, self.used - dt * self.rate)
            self.t = now

    def wait(self, cost: float) -> float:
        """Seconds until ``cost`` fits: a cost over the capacity fits only a full bucket (then it goes into debt)."""
        if cost > self.limit:
            return math.inf
        need = min(cost, self.capacity) - self.level
        return 0.0 if need <= 1e-9 else need / self.rate

    def take(self, cost: float) -> None:
        self.level -= cost
        self.used = min(float(self.limit), self.used + cost)

    def give(self, n: float) -> None:
        """Give back part of a reservation (a negative ``n`` charges more)."""
        self.level = min(self.capacity, self.level + n)
        self.used = min(float(self.limit), max(0.0, self.used - n))

    def dim(self) -> Dim:
        return Dim(self.limit, max(0, int(self.limit - self.used)), self.used / self.rate)


@dataclass(slots=True)
class Daily:
    """A per-day request quota: a counter reset at the provider's next midnight."""

    limit: int
    zone: tzinfo
    count: int = 0
    resets_at: float = 0.0

    def roll(self, wall: float) -> None:
        if wall >= self.resets_at:
            self.count = 0
            self.resets_at = next_midnight(wall, self.zone)


@dataclass(slots=True)
class Dim:
    """What one limit reports: its per-minute (or per-day) limit, what remains, seconds until fully reset."""

    limit: int
    remaining: int
    reset_s: float


@dataclass(slots=True)
class LimitView:
    """A request's rate-limit picture for the dialect to render: per dimension, and the one that refused it."""

    dims: dict[str, Dim]
    wall: float
    which: str = ""  # "" admitted; else "requests" | "tokens" | "input-tokens" | "output-tokens" | "requests-day"
    retry_after_s: float = 0.0

    @property
    def limited(self) -> bool:
        return bool(self.which)

    @property
    def hit(self) -> Dim:
        return self.dims[self.which]

    def tokens(self) -> Dim:
        """The token limit to report under a single name: the most restrictive of those in effect."""
        cands = [self.dims[k] for k in ("tokens", "input-tokens", "output-tokens") if k in self.dims]
        return min(cands, key=lambda d: d.remaining / max(1, d.limit)) if cands else default_dims()["tokens"]


def default_dims() -> dict[str, Dim]:
    """The picture reported when no limit is configured."""
    return {"requests": Dim(DEFAULT_RPM, DEFAULT_RPM - 1, 0.002), "tokens": Dim(DEFAULT_TPM, DEFAULT_TPM - 1, 0.0)}


@dataclass(slots=True)
class Spec:
    """One scope's configured limits and its (key, model) groups of buckets."""

    rpm: int | None = None
    tpm: int | None = None
    rpd: int | None = None
    itpm: int | None = None
    otpm: int | None = None
    burst: float = 1.0
    groups: OrderedDict[tuple[str, str], dict[str, Any]] = field(default_factory=OrderedDict)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in LIMIT_KEYS}


@dataclass(slots=True)
class Ticket:
    """What an admitted request still owes or gets back when its answer is done (output tokens)."""

    rule: str
    reserved: int
    buckets: list[Bucket]


def parse_limits(lim: dict[str, Any]) -> dict[str, Any]:
    """Validate a limits dict ({"rpm": 60, "tpm": 10000, "rpd": 1500, "burst": 1.0}); raises ValueError."""
    if not isinstance(lim, dict):
        raise ValueError('"limits" must be an object like {"rpm": 60, "tpm": 100000}')
    unknown = set(lim) - set(LIMIT_KEYS)
    if unknown:
        raise ValueError(f"unknown limit(s) {sorted(unknown)}; use {', '.join(LIMIT_KEYS)}")
    out: dict[str, Any] = {}
    for name in LIMIT_KEYS[:-1]:
        v = lim.get(name)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            raise ValueError(f"{name} must be a positive integer or None, got {v!r}")
        out[name] = v
    burst = lim.get("burst")
    if burst is not None and (isinstance(burst, bool) or not isinstance(burst, int | float) or not 0 < burst <= 86400):
        raise ValueError(f"burst must be a number of seconds in (0, 86400], got {burst!r}")
    out["burst"] = float(burst) if burst is not None else None
    return out


class Limits:
    """Every configured scope's limits, checked and charged per request."""

    def __init__(self) -> None:
        self._scopes: dict[tuple[str | None, str | None], Spec] = {}

    def set(self, rpm: int | None = None, tpm: int | None = None, provider: str | None = None,
            model: str | None = None, **more: Any) -> None:
        """Set a scope's limits (rpm, tpm, rpd, itpm, otpm, burst); with none of them given, clear it."""
        lim = parse_limits({"rpm": rpm, "tpm": tpm, **more})
        key = (provider or None, model or None)
        if all(lim[k] is None for k in LIMIT_KEYS[:-1]):
            self._scopes.pop(key, None)
            return
        burst = lim.pop("burst")
        self._scopes[key] = Spec(**lim, burst=burst if burst is not None else 1.0)

    def clear(self) -> None:
        self._scopes.clear()

    def __bool__(self) -> bool:
        return bool(self._scopes)

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"provider": p, "model": m, **s.as_dict()} for (p, m), s in self._scopes.items()]

    def _matching(self, provider: str, model_ids: tuple[str, ...]) -> list[Spec]:
        """The scopes that apply, most specific first: (p, m) > (None, m) > (p, None) > (None, None)."""
        out = [(2 * (m is not None) + (p is not None), s) for (p, m), s in self._scopes.items()
               if (p is None or p == provider) and (m is None or m in model_ids)]
        out.sort(key=lambda x: -x[0])
        return [s for _, s in out]

    def check(self, provider: str, key_id: str, model_ids: tuple[str, ...], costs: dict[str, int], rule: str,
              zone: tzinfo, now: float, wall: float | None = None) -> tuple[LimitView, Ticket] | None:
        """Admit (charge) one request, or return a refused view (``which`` set); None when no limit applies.

        ``costs``: {"requests": 1, "tokens": n, "input-tokens": n, "output-tokens": n} as the rule counts them.
        """
        specs = self._matching(provider, model_ids)
        if not specs:
            return None
        wall = time.time() if wall is None else wall
        groups = [_group(s, (key_id, model_ids[0]), rule, zone, now) for s in specs]
        worst: tuple[float, str, dict[str, Any]] | None = None
        for g in groups:
            for name, b in g.items():
                if name == "requests-day":
                    b.roll(wall)
                    wait = b.resets_at - wall if b.count >= b.limit else 0.0
                else:
                    b.refill(now)
                    wait = b.wait(costs.get(name, 0))
                if wait > 0 and (worst is None or wait > worst[0] or name == "requests-day"):
                    worst = (wait, name, g)
        if worst is not None:
            wait, name, g = worst
            view = _view(groups, wall)
            view.dims[name] = Dim(view.dims[name].limit, 0, wait if math.isfinite(wait) else 60.0)
            view.which, view.retry_after_s = name, max(wait if math.isfinite(wait) else 60.0, 0.001)
            return view, Ticket(rule, 0, [])
        out: list[Bucket] = []
        for g in groups:
            for name, b in g.items():
                if name == "requests-day":
                    b.count += 1
                    continue
                b.take(costs.get(name, 0))
                if name in ("output-tokens", "tokens") and rule in ("split", "after"):
                    out.append(b)
        return _view(groups, wall), Ticket(rule, costs.get("output-tokens", 0) if rule == "split" else 0, out)

    @staticmethod
    def settle(ticket: Ticket, output_tokens: int) -> None:
        """Correct the output charge once the answer is done: give back an unused reservation, or charge the
        output (its bucket may go into debt, which the next requests wait out)."""
        for b in ticket.buckets:
            b.give(ticket.reserved - output_tokens)


def _group(spec: Spec, key: tuple[str, str], rule: str, zone: tzinfo, now: float) -> dict[str, Any]:
    """The buckets of one (key, model) in a scope, made on first use; least recently used dropped past the cap."""
    g = spec.groups.get(key)
    if g is not None:
        spec.groups.move_to_end(key)
        return g
    g = {}
    if spec.rpm:
        g["requests"] = Bucket.new(spec.rpm, spec.burst, now, 1.0)
    if rule == "split":
        if spec.itpm or spec.tpm:
            g["input-tokens"] = Bucket.new(spec.itpm or spec.tpm or 0, spec.burst, now, 0.0)
        if spec.otpm:
            g["output-tokens"] = Bucket.new(spec.otpm, spec.burst, now, 0.0)
    elif spec.tpm:
        g["tokens"] = Bucket.new(spec.tpm, spec.burst, now, 0.0)
    if spec.rpd:
        g["requests-day"] = Daily(spec.rpd, zone)
    spec.groups[key] = g
    while len(spec.groups) > MAX_BUCKETS:
        spec.groups.popitem(last=False)
    return g


def _view(groups: list[dict[str, Any]], wall: float) -> LimitView:
    """The most specific scope's figures for each dimension, then the defaults for what none limits."""
    dims: dict[str, Dim] = {}
    for g in reversed(groups):  # least specific first, so the most specific wins
        for name, b in g.items():
            if name == "requests-day":
                dims[name] = Dim(b.limit, max(0, b.limit - b.count), max(0.0, b.resets_at - wall))
            else:
                dims[name] = b.dim()
    for name, d in default_dims().items():
        dims.setdefault(name, d)
    return LimitView(dims, wall)


def next_midnight(wall: float, zone: tzinfo) -> float:
    """The epoch time of the next midnight in ``zone`` after ``wall``."""
    local = datetime.fromtimestamp(wall, zone)
    day = (local + timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def go_duration(seconds: float) -> str:
    """OpenAI-style reset duration (Go's time.Duration spelling): '12ms', '1.2s', '6m0s', '3h2m1s'."""
    if seconds < 1.0:
        return f"{max(0, int(seconds * 1000))}ms"
    if seconds < 60.0:
        s = f"{seconds:.3f}".rstrip("0").rstrip(".")
        return f"{s}s"
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m}m{s}s" if h else f"{m}m{s}s"


def rfc3339(epoch: float) -> str:
    """Anthropic's reset time: RFC 3339 in UTC, rounded up to the second so it is never before the real reset."""
    return datetime.fromtimestamp(math.ceil(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def retry_after_header(seconds: float) -> str:
    """The ``retry-after`` value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))
