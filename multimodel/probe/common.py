"""Plumbing shared by the probe, the diff and the latency runner: raw sends and raw-response parsing.

A probe must see how the *endpoint* reacts, not how multimodel's dialect shaping papers over it, so
``send_raw`` builds the request with ``Client.prepare`` (URL, headers, key, dialect defaults) and then
overrides the JSON body (raw messages, raw parameters such as ``n`` or ``logprobs`` that the dialect
would drop) before it goes out through the client's own transport and normalization. The capability
check is off (``on_unsupported="send"``): the probe exists to find out what the endpoint really does
with inputs and parameters the capability table says it drops or rejects. The response is therefore a
normal :class:`~multimodel.results.Result` (tool calls, usage, error, timings) plus the parsed raw JSON
objects the provider sent. The probe's media come from :mod:`multimodel.sim.media`.
"""

from __future__ import annotations

import base64
import re
import warnings
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any

import orjson

from multimodel.errors import ParamWarning
from multimodel.results import Result

if TYPE_CHECKING:
    from multimodel.client import Client

STATUSES = ("supported", "partial", "ignored", "rejected", "unknown")


@dataclass(slots=True)
class Sent:
    """One request as it went out and what came back."""

    result: Result
    body: dict[str, Any]
    latency_s: float
    warnings: list[str] = field(default_factory=list)

    @property
    def objects(self) -> list[Any]:
        return raw_objects(self.result)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


async def send_raw(
    client: Client,
    model: str,
    messages: list[dict[str, Any]],
    *,
    timeout: float,
    stream: bool = False,
    tools: list[dict[str, Any]] | None = None,
    reasoning: str | int | None = None,
    body: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    shaped_messages: bool = False,
) -> Sent:
    """Send one request with the body overridden; must run on the client's I/O loop.

    ``shaped_messages=False`` (the default) puts ``messages`` on the wire exactly as given instead of the
    dialect's rewritten copy (developer→system, hoisting options, echo placeholders). No retries, no cache.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ParamWarning)
        req = client.prepare(model, messages, stream=stream, tools=tools, reasoning=reasoning, retries=0,
                             timeout=timeout, cache=False, on_unsupported="send")
    wire = dict(req.body)
    if not shaped_messages:
        wire["messages"] = messages
    for key in drop:
        wire.pop(key, None)
    if body:
        wire.update(body)
    req.body = wire
    req.payload = orjson.dumps(wire)
    req.use_cache = False
    t0 = perf_counter()
    result = await client.runner.send(req)
    return Sent(result, wire, perf_counter() - t0, [str(w.message) for w in caught])


def raw_objects(result: Result) -> list[Any]:
    """The JSON objects of a response: the whole body, or every SSE ``data:`` payload that parses."""
    raw = result.raw
    if not isinstance(raw, str) or not raw.strip():
        return []
    try:
        return [orjson.loads(raw)]
    except orjson.JSONDecodeError:
        pass
    out = []
    for line in raw.split("\n"):
        line = line.strip()
        if not line or line == "[DONE]":
            continue
        try:
            out.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            continue
    return out


def is_stream_body(objects: list[Any]) -> bool:
    """True when the objects look like SSE chunks (``delta``), not one whole ``chat.completion``."""
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        if obj.get("object") == "chat.completion.chunk":
            return True
        for ch in obj.get("choices") or ():
            if isinstance(ch, dict) and "delta" in ch:
                return True
    return False


def choices_of(obj: Any) -> list[dict[str, Any]]:
    if not isinstance(obj, dict):
        return []
    return [c for c in obj.get("choices") or () if isinstance(c, dict)]


def messages_of(objects: list[Any]) -> list[dict[str, Any]]:
    """Every ``message`` / ``delta`` dict of choice 0, in order."""
    out = []
    for obj in objects:
        for ch in choices_of(obj):
            if ch.get("index", 0) not in (0, None):
                continue
            m = ch.get("message") if isinstance(ch.get("message"), dict) else ch.get("delta")
            if isinstance(m, dict):
                out.append(m)
    return out


def key_paths(obj: Any, prefix: str = "", out: set[str] | None = None, depth: int = 0) -> set[str]:
    """Field paths present in a JSON value: ``choices[].message.content``, ``usage.cost`` (lists as ``[]``)."""
    out = set() if out is None else out
    if depth > 8:
        return out
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{prefix}.{k}" if prefix else str(k)
            out.add(p)
            key_paths(v, p, out, depth + 1)
    elif isinstance(obj, list):
        for v in obj:
            key_paths(v, f"{prefix}[]", out, depth + 1)
    return out


def usage_objects(objects: list[Any]) -> list[dict[str, Any]]:
    return [o["usage"] for o in objects if isinstance(o, dict) and isinstance(o.get("usage"), dict) and o["usage"]]


def last_usage(objects: list[Any]) -> dict[str, Any] | None:
    found = usage_objects(objects)
    return found[-1] if found else None


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_PREFIX = re.compile(r"^([A-Za-z]+(?:[-_][A-Za-z]+)*[-_])")


def id_style(value: Any) -> str | None:
    """A coarse format of an id, for comparing endpoints: ``uuid``, ``chatcmpl-*``, ``gen-*``, ``opaque(22)``."""
    if not isinstance(value, str) or not value:
        return None
    if _UUID.match(value):
        return "uuid"
    m = _PREFIX.match(value)
    if m:
        return m.group(1) + "*"
    if value.isdigit():
        return f"digits({len(value)})"
    return f"opaque({len(value)})"


def snippet(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else orjson.dumps(value, default=str).decode()
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_KEYISH = re.compile(r"\b(sk-|xai-|gsk_|AIza)[-_A-Za-z0-9*]{8,}")


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove API keys (the configured one, and anything key-shaped) from text that goes into a table."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return _KEYISH.sub(lambda m: m.group(1) + "***", text)


def failure(result: Result) -> tuple[str, str]:
    """Status and detail for a failed request: a 4xx rejection is evidence, a transient failure is not."""
    err = result.error
    assert err is not None
    if err.kind in ("bad_request", "not_found") or (
        err.status is not None and 400 <= err.status < 500 and err.status not in (401, 403, 408, 429)
    ):
        return "rejected", f"HTTP {err.status}: {err.kind}"
    return "unknown", f"request failed ({err}); this says nothing about the capability"


# ------------------------------------------------------------------------------------------- media
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
