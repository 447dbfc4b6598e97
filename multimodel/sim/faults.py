"""Fault injection (the rpm/tpm/rpd limiter is ratelimit.py).

Faults are configured per scope ``(provider, model)`` where either may be None (= any). A request
uses the most specific matching scope: (provider, model) > (None, model) > (provider, None) > global.
A config is a dict of per-request probabilities, ``{"rate_limit": 0.1, "server_error": 0.03}``, and/or
a scripted ``{"sequence": ["rate_limit", "ok", "server_error"]}`` consumed one entry per matching
request (then the probabilities, if any, apply).
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
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


def drop_connection(request: Any, reset: bool) -> None:
    """Close an aiohttp request's connection without an answer: an RST (SO_LINGER 0) for a reset, so the client sees
    a reset and not a status; a FIN otherwise."""
    tr = request.transport
    if tr is None:
        return
    if reset:
        sock = tr.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        tr.abort()
    else:
        tr.close()
