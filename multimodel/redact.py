"""Credentials never travel back out: what a provider sent is scrubbed of the request's keys before anyone sees it.

A server may echo a key (in an error body, an error inside a stream, a header such as ``x-request-id``, even an
answer). Every credential a request carried (the Authorization value and the key in it, and the value of every
header whose name says it holds a credential: ``x-api-key``, ``api-key``, ``x-goog-api-key``, a ``default_headers``
entry named like ``X-Auth-Token`` or ``Cookie``) is replaced by ``[redacted]`` in the Result the exchange returns,
before the cache, an export, a repr, a warning or a log can hold it. Other headers (``X-Team: research``) are
names, not secrets: scrubbing them would rewrite answers that use the word. Values shorter than eight characters
are left alone too: ``"x"`` or ``"ollama"`` given to a local server is no secret.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import orjson

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8
#: words in a header's name that say its value is a credential
_CREDENTIAL_WORDS = ("auth", "key", "token", "secret", "cookie", "session", "password", "credential", "signature")


def secrets_in(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The credential values of a request's headers, in every spelling a server's echo may use, longest first."""
    found: set[str] = set()
    for name, value in headers.items():
        if not isinstance(value, str) or not any(word in name.lower() for word in _CREDENTIAL_WORDS):
            continue
        scheme, _, token = value.partition(" ")
        for secret in (value, token.strip() if scheme.lower() in ("bearer", "basic", "token") else ""):
            if len(secret) >= MIN_SECRET_LENGTH:
                found.update(_spellings(secret))
    return tuple(sorted(found, key=len, reverse=True))


def _spellings(secret: str) -> set[str]:
    """The value as sent, as a JSON string would carry it (with ``/`` escaped too, as PHP and Java servers do), and
    percent-encoded (an echoed URL)."""
    json = orjson.dumps(secret).decode()[1:-1]
    return {secret, json, json.replace("/", "\\/"), quote(secret, safe="")}


def scrub_text(text: str, secrets: tuple[str, ...]) -> str:
    """The text with every secret replaced by ``[redacted]``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def open_tail(text: str, secrets: tuple[str, ...]) -> int:
    """How many trailing characters of ``text`` could be the start of a secret still arriving: a live view holds
    those back until the next piece shows whether they are (usually none: only a tail that begins a secret)."""
    hold = 0
    for secret in secrets:
        first, longest = secret[0], min(len(secret) - 1, len(text))
        start = len(text) - longest
        at = text.find(first, start)
        while at >= 0 and len(text) - at > hold:
            if secret.startswith(text[at:]):
                hold = len(text) - at
                break
            at = text.find(first, at + 1)
    return hold


def scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    """Any value from a provider (text, JSON-like containers, dataclasses such as ToolCall) with secrets replaced;
    containers are copied only where something changed."""
    if not secrets:
        return value
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if type(value) in _PLAIN:
        return value
    if isinstance(value, dict | list) and not _mentions(value, secrets):
        return value
    if isinstance(value, dict):
        items = [(scrub(k, secrets), scrub(v, secrets)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, value.items(), strict=True)):
            return value
        return dict(items)
    if isinstance(value, list | tuple):
        new = [scrub(v, secrets) for v in value]
        if all(a is b for a, b in zip(new, value, strict=True)):
            return value
        return type(value)(new)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        scrub_fields(value, secrets)
    return value


def scrub_fields(obj: Any, secrets: tuple[str, ...]) -> None:
    """Scrub every field of a dataclass instance in place (a Result, its error and tool calls)."""
    if not secrets:
        return
    for name in _field_names(type(obj)):
        current = getattr(obj, name)
        if current is None or type(current) in _PLAIN:
            continue
        cleaned = scrub(current, secrets)
        if cleaned is not current:
            setattr(obj, name, cleaned)


_PLAIN = frozenset({int, float, bool, type(None)})


def _mentions(value: Any, secrets: tuple[str, ...]) -> bool:
    """Whether any secret may occur in a JSON-like container: one C-speed encoding instead of a walk (a stream's
    logprobs hold thousands of entries); True when it cannot be encoded, so the walk decides."""
    try:
        blob = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, ValueError):
        return True
    return any(s in blob for s in secrets)


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))
