"""Turn every provider's error shape into a ResultError.

Shapes handled (research/provider-quirks.md section 7): OpenAI ``{"error": {message, type, param, code}}``;
Gemini's list ``[{"error": {code, message, status}}]``; xAI's ``{"code": "<text>", "error": "<text>"}``;
OpenRouter's numeric ``error.code`` with ``metadata.raw``; Groq's in-stream ``status_code``; Anthropic's native
``{"type": "error", "error": {"type", "message"}, "request_id"}`` (HTTP and in a stream); plain text.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import re
import time
from collections.abc import Mapping
from typing import Any

import orjson

from multimodel.results import ResultError

_STATUS_KIND = {
    400: "bad_request",
    401: "auth",
    402: "billing",
    403: "auth",
    404: "not_found",
    408: "timeout",
    409: "server",
    413: "bad_request",
    422: "bad_request",
    429: "rate_limit",
    500: "server",
    502: "server",
    503: "overloaded",
    504: "timeout",
    529: "overloaded",
}
# Provider codes that override the HTTP status's kind.
_CODE_KIND = {
    "insufficient_quota": "billing",
    "billing_error": "billing",
    "insufficient_balance": "billing",
    "overloaded_error": "overloaded",
    "resource_exhausted": "rate_limit",
    "rate_limit_exceeded": "rate_limit",
    "rate_limit_error": "rate_limit",
    "server_error": "server",
    "api_error": "server",
    "internal": "server",
    "unavailable": "overloaded",
    "content_filter": "content_filter",
    "content_policy_violation": "content_filter",
    "model_not_found": "not_found",
    "invalid_api_key": "auth",
    "authentication_error": "auth",
    "permission_denied": "auth",
    "deadline_exceeded": "timeout",
}
# Error types that name the failure when no HTTP status does (an error inside a 200 stream). Anthropic's taxonomy
# (platform.claude.com/docs/en/api/errors, read 2026-11-29: 400 invalid_request_error, 403 permission_error,
# 404 not_found_error, 413 request_too_large; 504 timeout_error [INFERRED from its SDKs]). Not consulted beside a
# status: OpenAI also says invalid_request_error on a 401 or a 404, and the status is the better witness there.
_TYPE_KIND_WITHOUT_STATUS = {
    "invalid_request_error": "bad_request",
    "permission_error": "auth",
    "not_found_error": "not_found",
    "request_too_large": "bad_request",
    "timeout_error": "timeout",
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        with contextlib.suppress(ValueError):
            if math.isfinite(seconds := float(ms) / 1000.0):
                return max(0.0, seconds)
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        seconds = float(value)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def parse_duration(text: Any) -> float | None:
    """Seconds from ``12``, ``"1.5"``, ``"17s"``, ``"250ms"``, ``"6m0s"``, ``"1h2m"``.

    Gemini's RetryInfo.retryDelay and OpenAI's x-ratelimit-reset-* headers use these spellings.
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        try:
            seconds = float(text)
        except OverflowError:  # an integer past float range
            return None
        return max(0.0, seconds) if math.isfinite(seconds) else None
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        seconds = float(text)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip():
        return None
    total = 0.0
    for number, unit in parts:
        n = float(number)
        total += n / 1000 if unit == "ms" else n * 3600 if unit == "h" else n * 60 if unit == "m" else n
    return total


def _unwrap(body: Any) -> dict[str, Any]:
    """Find the error object in a parsed body ({} when there is none)."""
    if isinstance(body, list) and body and isinstance(body[0], dict):  # Gemini's list-shaped errors
        body = body[0]
    if not isinstance(body, dict):
        return {}
    err = body.get("error")
    if isinstance(err, dict):
        return err
    if isinstance(err, str):  # xAI: {"code": "Client specified an invalid argument", "error": "Incorrect API key…"}
        return {"message": err, "code": body.get("code")}
    if "message" in body or "detail" in body:
        return {"message": body.get("message") or body.get("detail"), "code": body.get("code")}
    return {}


def error_from_object(
    err: dict[str, Any],
    *,
    http_status: int | None,
    headers: Mapping[str, str] | None = None,
    in_stream: bool = False,
) -> ResultError:
    """Build a ResultError from an already-unwrapped provider error object."""
    message = err.get("message")
    if not isinstance(message, str) or not message:
        message = str(err) if err else "unknown error"
    metadata = err.get("metadata")
    if isinstance(metadata, dict):
        raw = metadata.get("raw")
        if raw and isinstance(raw, str) and raw not in message:
            message = f"{message}: {raw}"
        elif raw and not isinstance(raw, str):
            message = f"{message}: {orjson.dumps(raw).decode()}"

    code = err.get("code")
    embedded_status: int | None = None
    for key in ("status_code", "http_status"):
        v = err.get(key)
        if isinstance(v, int):
            embedded_status = v
    if isinstance(code, int) and 100 <= code < 600:
        embedded_status = embedded_status or code
    provider_code: str | None = None
    for candidate in (code, err.get("status"), err.get("type")):
        if isinstance(candidate, str) and candidate:
            provider_code = candidate
            break
    if provider_code is None and code is not None:
        provider_code = str(code)

    status = http_status
    if in_stream or status is None or status == 200:
        status = embedded_status

    kind = None
    for candidate in (err.get("code"), err.get("status"), err.get("type")):
        if isinstance(candidate, str):
            kind = _CODE_KIND.get(candidate.lower())
            if kind:
                break
    if kind is None and isinstance(metadata, dict) and (metadata.get("reasons") or metadata.get("flagged_input")):
        kind = "content_filter"  # OpenRouter moderation (403 with flagged input)
    if kind is None and status is not None:
        kind = _STATUS_KIND.get(status) or ("server" if status >= 500 else "bad_request" if status >= 400 else None)
    if kind is None and isinstance(err.get("type"), str):
        kind = _TYPE_KIND_WITHOUT_STATUS.get(err["type"].lower())
    if kind is None:
        kind = "stream" if in_stream else "server"

    retry_after = parse_retry_after(headers)
    if retry_after is None:
        details = err.get("details")
        for detail in details if isinstance(details, list) else []:
            if isinstance(detail, dict) and "retryDelay" in detail:
                retry_after = parse_duration(detail["retryDelay"])
        if retry_after is None and isinstance(metadata, dict):
            retry_after = parse_duration(metadata.get("retry_after") or metadata.get("retry_after_seconds"))
    return ResultError(
        kind=kind,
        message=message,
        status=status,
        retry_after_s=retry_after,
        provider_code=provider_code,
    )


def error_from_http(status: int, headers: Mapping[str, str] | None, body: bytes) -> ResultError:
    """An HTTP error response (status >= 400) in any provider's shape."""
    parsed: Any = None
    text = body.strip()
    if text:
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError:
            parsed = None
    err = _unwrap(parsed)
    if not err:
        # clipped to 2,000 after the key is scrubbed; quoted to twice that, so a key cut here lies past that clip
        snippet = text[:4000].decode("utf-8", "replace") if text else ""
        err = {"message": snippet or f"HTTP {status} with an empty body"}
    return error_from_object(err, http_status=status, headers=headers)


def error_from_stream(obj: Any, headers: Mapping[str, str] | None = None) -> ResultError:
    """An error delivered inside a 200 stream (``data: {"error": …}`` or ``event: error``)."""
    err = _unwrap(obj)
    if not err:
        err = {"message": str(obj)[:4000]}
    return error_from_object(err, http_status=200, headers=headers, in_stream=True)
