"""Fault injection and the rpm/tpm limiter.

Faults are configured per scope ``(provider, model)`` where either may be None (= any). A request
uses the most specific matching scope: (provider, model) > (None, model) > (provider, None) > global.
A config is a dict of per-request probabilities, ``{"rate_limit": 0.1, "server_error": 0.03}``, and/or
a scripted ``{"sequence": ["rate_limit", "ok", "server_error"]}`` consumed one entry per matching
request (then the probabilities, if any, apply).

Limits (``{"rpm": 60, "tpm": 10000}``) are also per scope; every matching scope is enforced with a
sliding 60-second window. A request rejected by a limit does not count against the window.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = (
    "rate_limit",  # 429 with retry-after, the dialect's body
    "server_error",  # 500/502/503
    "overloaded",  # 529 overloaded_error (anthropic), 503 elsewhere
    "connection_reset",  # socket closed (RST) without any response
    "hang",  # accept, never answer until the client gives up
    "stream_disconnect",  # connection dropped mid-stream (non-stream: closed without a response)
    # in-stream error event in the dialect's shape (non-stream: the dialect's 500, OpenRouter's in-choice error)
    "stream_error",
    "malformed_chunk",  # one invalid-JSON chunk mid-stream (non-stream: truncated JSON body)
    "content_filter",  # safety block: finish_reason content_filter, empty/partial content
    "insufficient_system_resource",  # DeepSeek's finish_reason; a server_error in the other dialects
)
WINDOW_S = 60.0

Scope = tuple[str | None, str | None]


def _scope(provider: str | None, model: str | None) -> Scope:
    return (provider or None, model or None)


@dataclass(slots=True)
class FaultSpec:
    probs: list[tuple[str, float]] = field(default_factory=list)
    sequence: deque[str] = field(default_factory=deque)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = dict(self.probs)
        if self.sequence:
            d["sequence"] = list(self.sequence)
        return d


def parse_faults(faults: dict[str, Any] | None) -> FaultSpec | None:
    """Validate a fault dict; raises ValueError with a readable message."""
    if not faults:
        return None
    if not isinstance(faults, dict):
        raise ValueError("faults must be a dict like {'rate_limit': 0.1} or {'sequence': [...]}")
    spec = FaultSpec()
    total = 0.0
    for k, v in faults.items():
        if k == "sequence":
            if not isinstance(v, (list, tuple)):
                raise ValueError("faults['sequence'] must be a list of fault names or 'ok'")
            for item in v:
                if item != "ok" and item not in FAULT_KINDS:
                    raise ValueError(f"unknown fault {item!r} in sequence; known: ok, {', '.join(FAULT_KINDS)}")
                spec.sequence.append(item)
            continue
        if k not in FAULT_KINDS:
            raise ValueError(f"unknown fault {k!r}; known: {', '.join(FAULT_KINDS)}")
        try:
            p = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"fault probability for {k!r} must be a number in [0, 1]") from None
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"fault probability for {k!r} must be in [0, 1], got {p}")
        if p > 0:
            spec.probs.append((k, p))
            total += p
    if total > 1.0 + 1e-9:
        raise ValueError(f"fault probabilities add up to {total:.3f} > 1")
    return spec


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._scopes: dict[Scope, FaultSpec] = {}
        self._rng = random.Random(f"faults:{seed}")
        self._seed = seed

    def set(self, faults: dict[str, Any] | None, provider: str | None = None, model: str | None = None) -> None:
        spec = parse_faults(faults)
        key = _scope(provider, model)
        if spec is None:
            self._scopes.pop(key, None)
        else:
            self._scopes[key] = spec

    def clear(self) -> None:
        self._scopes.clear()
        self._rng = random.Random(f"faults:{self._seed}")

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"provider": p, "model": m, "faults": s.as_dict()} for (p, m), s in self._scopes.items()]

    def pick(self, provider: str, model_ids: tuple[str, ...]) -> str | None:
        """The fault for one request, or None. ``model_ids``: canonical id and the requested name."""
        if not self._scopes:
            return None
        spec = None
        for m in model_ids:
            spec = self._scopes.get((provider, m)) or self._scopes.get((None, m))
            if spec is not None:
                break
        if spec is None:
            spec = self._scopes.get((provider, None)) or self._scopes.get((None, None))
        if spec is None:
            return None
        if spec.sequence:
            kind = spec.sequence.popleft()
            return None if kind == "ok" else kind
        if spec.probs:
            r = self._rng.random()
            acc = 0.0
            for kind, p in spec.probs:
                acc += p
                if r < acc:
                    return kind
        return None


def go_duration(seconds: float) -> str:
    """OpenAI-style reset duration: '12ms', '1.2s', '6m0s'."""
    if seconds < 1.0:
        return f"{max(0, int(seconds * 1000))}ms"
    if seconds < 60.0:
        s = f"{seconds:.3f}".rstrip("0").rstrip(".")
        return f"{s}s"
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s}s"


@dataclass(slots=True)
class _Window:
    rpm: int | None
    tpm: int | None
    events: deque = field(default_factory=deque)  # (t, tokens)
    tokens: int = 0

    def prune(self, now: float) -> None:
        ev = self.events
        cutoff = now - WINDOW_S
        while ev and ev[0][0] <= cutoff:
            self.tokens -= ev.popleft()[1]


@dataclass(slots=True)
class LimitState:
    """Header values for one response (from the most specific matching limit)."""

    limit_requests: int
    remaining_requests: int
    reset_requests_s: float
    limit_tokens: int
    remaining_tokens: int
    reset_tokens_s: float
    retry_after_s: float = 0.0
    which: str = ""  # "requests" | "tokens" when limited

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit-requests": str(self.limit_requests),
            "x-ratelimit-limit-tokens": str(self.limit_tokens),
            "x-ratelimit-remaining-requests": str(max(0, self.remaining_requests)),
            "x-ratelimit-remaining-tokens": str(max(0, self.remaining_tokens)),
            "x-ratelimit-reset-requests": go_duration(self.reset_requests_s),
            "x-ratelimit-reset-tokens": go_duration(self.reset_tokens_s),
        }


# What responses report when no limit is configured (OpenAI tier-5-like figures, realcorpus t04).
DEFAULT_RPM = 30_000
DEFAULT_TPM = 150_000_000


class Limits:
    def __init__(self) -> None:
        self._scopes: dict[Scope, _Window] = {}

    def set(self, rpm: int | None = None, tpm: int | None = None, provider: str | None = None,
            model: str | None = None) -> None:
        for name, v in (("rpm", rpm), ("tpm", tpm)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise ValueError(f"{name} must be a positive integer or None, got {v!r}")
        key = _scope(provider, model)
        if rpm is None and tpm is None:
            self._scopes.pop(key, None)
        else:
            self._scopes[key] = _Window(rpm, tpm)

    def clear(self) -> None:
        self._scopes.clear()

    def __bool__(self) -> bool:
        return bool(self._scopes)

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"provider": p, "model": m, "rpm": w.rpm, "tpm": w.tpm} for (p, m), w in self._scopes.items()]

    def _matching(self, provider: str, model_ids: tuple[str, ...]) -> list[_Window]:
        out = []
        for (p, m), w in self._scopes.items():
            if (p is None or p == provider) and (m is None or m in model_ids):
                out.append((2 * (m is not None) + (p is not None), w))
        # most specific first: (p, m) > (None, m) > (p, None) > (None, None)
        out.sort(key=lambda x: -x[0])
        return [w for _, w in out]

    def check(self, provider: str, model_ids: tuple[str, ...], tokens: int, now: float) -> LimitState | None:
        """Admit (record) the request and return header state, or return a limited state (which != '').

        Returns None when no limit applies.
        """
        windows = self._matching(provider, model_ids)
        if not windows:
            return None
        hit: tuple[_Window, str, float] | None = None
        for w in windows:
            w.prune(now)
            if w.rpm is not None and len(w.events) >= w.rpm:
                wait = w.events[0][0] + WINDOW_S - now
                if hit is None or wait > hit[2]:
                    hit = (w, "requests", wait)
            if w.tpm is not None and w.tokens + tokens > w.tpm:
                wait = self._token_wait(w, tokens, now)
                if hit is None or wait > hit[2]:
                    hit = (w, "tokens", wait)
        if hit is not None:
            st = self._state(hit[0], now)
            st.which = hit[1]
            st.retry_after_s = max(hit[2], 0.001)
            return st
        for w in windows:
            w.events.append((now, tokens))
            w.tokens += tokens
        return self._state(windows[0], now)

    @staticmethod
    def _token_wait(w: _Window, tokens: int, now: float) -> float:
        if w.tpm is not None and tokens > w.tpm:
            return WINDOW_S  # can never fit; report a full window
        need = w.tokens + tokens - (w.tpm or 0)
        freed = 0
        for t, n in w.events:
            freed += n
            if freed >= need:
                return t + WINDOW_S - now
        return WINDOW_S

    @staticmethod
    def _state(w: _Window, now: float) -> LimitState:
        ev = w.events
        oldest = (ev[0][0] + WINDOW_S - now) if ev else 0.0
        rpm = w.rpm if w.rpm is not None else DEFAULT_RPM
        tpm = w.tpm if w.tpm is not None else DEFAULT_TPM
        return LimitState(
            limit_requests=rpm,
            remaining_requests=rpm - len(ev),
            reset_requests_s=max(0.0, oldest) if w.rpm is not None else 0.002,
            limit_tokens=tpm,
            remaining_tokens=tpm - w.tokens,
            reset_tokens_s=max(0.0, oldest) if w.tpm is not None else 0.0,
        )


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
