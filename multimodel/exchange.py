"""The exchange layer: one PreparedRequest → one Result, over a transport (``transport.py``'s seam).

It sends the bytes, stamps arrival times before parsing (DESIGN.md section 2), feeds SSE events or the
whole body to the wire layer's accumulator, and fills the Result: content, reasoning, tool calls,
usage, cost (the provider's own figure, else the price table) and timings. Provider and network
failures never raise: they become ``Result.error``. No retries, no cache: ``runner.py`` adds those.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping
from time import perf_counter
from urllib.parse import urljoin

import orjson

from multimodel import pricing
from multimodel.redact import open_tail, scrub_fields, scrub_text
from multimodel.request import PreparedRequest
from multimodel.results import Result, ResultError
from multimodel.transport import (
    Limits,
    Response,
    Timeout,
    Transport,
    TransportError,
    limited_chunks,
    read_limited,
    same_origin,
)
from multimodel.wire.accumulate import Accumulator, MalformedResponse
from multimodel.wire.errors import error_from_http
from multimodel.wire.sse import DONE, SSEDecoder, SSELimitError
from multimodel.wire.usage import normalize_usage

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-generation-id", "x-ds-trace-id")

#: told of every response's status and headers (and a 4xx/5xx's retry-after), e.g. a provider's gate
Observer = Callable[[int, Mapping[str, str], "float | None"], None]


#: exceptions that a provider's values (of an unexpected JSON type) can raise while its answer is read
_UNREADABLE = (MalformedResponse, TypeError, AttributeError, KeyError, IndexError, OverflowError, RecursionError)
#: a provider-reported cost above this, for one request, is a server's error and is not believed (no request
#: today costs more than a few hundred dollars: 1M input tokens and 100k output at the dearest list prices)
MAX_REPORTED_COST_USD = 10_000.0


async def send(req: PreparedRequest, transport: Transport, observe: Observer | None = None,
               timeout: Timeout | None = None) -> Result:
    """One HTTP exchange → Result. Never raises for provider or network failures; whatever the provider sent is
    scrubbed of the request's credentials. ``timeout`` overrides ``req.timeout`` (a retry's remaining time)."""
    result = new_result(req)
    acc = req.api.accumulator()
    streaming = False
    t0 = perf_counter()
    try:
        resp = await transport.post(req.url, req.headers, req.payload, timeout or req.timeout)
        try:
            streaming = "event-stream" in resp.headers.get("content-type", "").lower()  # media types ignore case
            await _receive(result, resp, acc, req, observe, streaming)
        finally:
            resp.close()
    except TransportError as exc:
        acc.error = _error_of(exc, timeout or req.timeout, streaming)
    except SSELimitError as exc:
        acc.error = ResultError(kind="response_too_large", message=str(exc))
    except _UNREADABLE as exc:
        acc.error = _malformed(exc)
    if result.error is None:
        result.error = acc.error
    try:
        fill(result, acc, req, t0)
    except _UNREADABLE as exc:
        result.error, result.finish_reason = _malformed(exc), "error"
    scrub_fields(result, req.secrets)
    _clip(result)
    return result


async def _receive(result: Result, resp: Response, acc: Accumulator, req: PreparedRequest,
                   observe: Observer | None, streaming: bool) -> None:
    """Read one response of any status into the result (an error) or the accumulator (an answer)."""
    result.request_id = _request_id(resp.headers)
    if resp.headers.get("x-multimodel-simulated") == "true":
        result.simulated = True
    if resp.status >= 400:
        await _read_error(result, resp, observe, req.limits.response_bytes)
    elif 300 <= resp.status < 400:
        _redirected(result, resp, req.url)
    else:
        if observe is not None:
            observe(resp.status, resp.headers, None)
        if streaming:
            await _read_stream(result, resp, acc, req)
        else:
            await _read_body(result, resp, acc, req.limits)


def _malformed(exc: BaseException) -> ResultError:
    why = str(exc) if isinstance(exc, MalformedResponse) else f"{type(exc).__name__}: {exc}"
    return ResultError(kind="malformed_response", message=f"the provider's answer could not be read: {why}")


def _redirected(result: Result, resp: Response, url: str) -> None:
    """A 3xx the transport did not follow: another origin (credentials stay home) or a method-changing redirect."""
    location = _header_text(resp.headers.get("location", ""))
    target = urljoin(url, location) if location else "(no Location)"
    where = "another origin" if location and not same_origin(url, target) else "a redirect multimodel does not follow"
    result.error = ResultError(
        kind="redirect", status=resp.status,
        message=f"HTTP {resp.status} to {target} ({where}): not followed, so no credentials went there; if "
                "the endpoint moved, set the provider's base_url to its new address")
    result.finish_reason = "error"


def _error_of(exc: TransportError, timeout: Timeout, streaming: bool) -> ResultError:
    if exc.kind == "timeout":
        return ResultError(kind="timeout", message=f"{exc.message} ({_limits_text(timeout)})")
    if exc.kind == "too_large":
        return ResultError(kind="response_too_large", message=exc.message)
    kind = "stream" if exc.kind == "broken" or streaming else "connection"
    return ResultError(kind=kind, message=exc.message)


def _limits_text(t: Timeout) -> str:
    return f"limits: connect {t.connect:g}s, idle {t.idle:g}s, total {t.total:g}s"


async def _read_error(result: Result, resp: Response, observe: Observer | None, limit: int) -> None:
    try:
        body = await read_limited(resp, limit)
    except TransportError as exc:  # the status says enough: keep it, with what broke the body
        body = f"(the error body could not be read: {exc.message})".encode()
    result.error = error_from_http(resp.status, resp.headers, body)
    if observe is not None:
        observe(resp.status, resp.headers, result.error.retry_after_s)
    result.raw = body.decode("utf-8", "replace")
    result.finish_reason = "error"


async def _read_stream(result: Result, resp: Response, acc: Accumulator, req: PreparedRequest) -> None:
    """Feed SSE events to the accumulator as bytes arrive (each piece stamped before parsing), within the
    response limits; a body that holds no event at all is read as the JSON it may be."""
    raw: list[bytes] = []
    head: list[bytes] = []  # the bytes, until the first event: a JSON body served as a stream has none
    decoder = SSEDecoder(req.limits.sse_line_bytes)
    events = 0
    done = False
    emitter = _DeltaEmitter(req.on_delta, req.secrets) if req.on_delta else None
    try:
        async for data in limited_chunks(resp, req.limits.response_bytes):
            t = perf_counter()
            if not events:
                head.append(data)
            for event, payload in decoder.feed(data):
                events += 1
                raw.append(payload)
                if _handle_event(acc, event, payload, t):
                    done = True
                    break
            if emitter is not None:
                emitter.emit(acc)
            if done:
                break
        if not done:
            tail = decoder.close()  # a last event without its blank line still counts
            body = b"".join(head).strip() if not events and not tail else b""
            if body[:1] == b"{":  # JSON served as text/event-stream: read as the JSON it is
                return _parse_body(result, body, acc, 200)
            if body and not body.startswith(b":"):  # an HTML page, plain text: no event in it at all
                raise MalformedResponse(f"a text/event-stream answer held no events: {body[:_QUOTE]!r}")
            for event, payload in tail:
                raw.append(payload)
                if _handle_event(acc, event, payload, perf_counter()):
                    done = True
                    break
        if not done and acc.finish_raw is None and acc.error is None:  # DESIGN.md section 1: never "stop"
            acc.error = ResultError(kind="truncated", message="the stream ended with neither a finish_reason nor "
                                                              "[DONE]: the answer may be cut off")
    except (SSELimitError, TransportError) as exc:
        if isinstance(exc, SSELimitError) or exc.kind == "too_large":
            raw.clear()  # an answer past a limit: its raw text is no use, and memory stays near the limit
        raise
    finally:  # what arrived before a broken connection is kept too
        if emitter is not None:
            emitter.emit(acc, final=True)
        if raw or not result.raw:
            result.raw = b"\n".join(raw).decode("utf-8", "replace")


async def _read_body(result: Result, resp: Response, acc: Accumulator, limits: Limits) -> None:
    body = await read_limited(resp, limits.response_bytes)
    _parse_body(result, body, acc, resp.status)


def _parse_body(result: Result, body: bytes, acc: Accumulator, status: int) -> None:
    """A whole JSON answer into the accumulator; anything but a JSON object is an error."""
    t = perf_counter()
    result.raw = body.decode("utf-8", "replace")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:  # not JSON at all: a proxy's page, a cut body; often transient (retryable)
        parsed, kind = None, "server"
    else:  # JSON, but not an answer's shape
        kind = "malformed_response"
    if not isinstance(parsed, dict):
        result.error = ResultError(
            kind=kind, message=f"the provider answered HTTP {status} with a body that is not a JSON object",
            status=status)
    else:
        acc.add_message(parsed, t)


class _DeltaEmitter:
    """Reports text added to the accumulator since the last call, scrubbed of the request's credentials (a tail that
    could begin one waits for the next piece); a failing callback is switched off, whatever it raised (SystemExit
    and KeyboardInterrupt included: the I/O thread every Client shares must outlive any callback)."""

    __slots__ = ("callback", "held", "secrets", "seen")

    def __init__(self, callback: Callable[[str, str], None], secrets: tuple[str, ...] = ()) -> None:
        self.callback: Callable[[str, str], None] | None = callback
        self.seen = {"reasoning": 0, "content": 0}  # pieces of each list already taken
        self.held = {"reasoning": "", "content": ""}
        self.secrets = secrets

    def emit(self, acc: Accumulator, final: bool = False) -> None:
        """Call back with the new text of each kind; ``final`` releases what was held back."""
        if self.callback is None:
            return
        try:
            for kind, pieces in (("reasoning", acc.reasoning), ("content", acc.content)):
                if len(pieces) > self.seen[kind] or (final and self.held[kind]):
                    self._send(kind, self.held[kind] + "".join(pieces[self.seen[kind]:]), final)
                    self.seen[kind] = len(pieces)
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # a broken view must not break the request
            self.callback = None
            warnings.warn(f"on_delta callback failed and was switched off: {exc!r}", RuntimeWarning, stacklevel=2)

    def _send(self, kind: str, text: str, final: bool) -> None:
        if self.secrets:
            text = scrub_text(text, self.secrets)
            hold = 0 if final else open_tail(text, self.secrets)
            text, self.held[kind] = (text[:-hold], text[-hold:]) if hold else (text, "")
        if text and self.callback is not None:
            self.callback(kind, text)


def _handle_event(acc: Accumulator, event: bytes, payload: bytes, t: float) -> bool:
    """Feed one SSE event; True when the stream is over ([DONE], an error, or a malformed chunk)."""
    if payload == DONE:
        return True
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        if not payload.strip():
            return False
        acc.error = ResultError(kind="stream", message=f"malformed chunk in the stream: {payload[:_QUOTE]!r}")
        return True
    if event == b"error":
        acc.add_event_error(obj)
        return True
    if not isinstance(obj, dict):
        raise MalformedResponse(f"a streamed chunk is a {type(obj).__name__}, not an object")
    acc.add_chunk(obj, t)
    return acc.error is not None or acc.ended


def fill(result: Result, acc: Accumulator, req: PreparedRequest, t0: float) -> None:
    """Copy the accumulated, normalized fields into the Result; compute cost and timings."""
    acc.finish()
    if acc.error is not None and result.error is None:
        result.error = acc.error
    result.response_model = acc.response_model
    result.content = acc.content_text()
    result.reasoning = acc.reasoning_text()
    result.tool_calls = acc.tool_calls()
    result.logprobs = acc.logprobs
    result.finish_reason = "error" if result.error else acc.finish_reason(bool(result.tool_calls))
    result.native_finish_reason = acc.finish_raw  # kept as sent, "" included (xAI's empty reason with tools)
    usage = normalize_usage(acc.usage)
    result.prompt_tokens = usage.prompt_tokens
    result.completion_tokens = usage.completion_tokens
    result.reasoning_tokens = usage.reasoning_tokens
    result.cached_tokens = usage.cached_tokens
    result.cache_write_tokens = usage.cache_write_tokens
    _fill_cost(result, acc, req, usage.cache_write_long_tokens)
    if req.stream:  # a whole body arrives at once: its first token's time was never seen (DESIGN section 2)
        if acc.first_token_t is not None:
            result.ttft_s = acc.first_token_t - t0
        if acc.first_answer_t is not None:
            result.ttfat_s = acc.first_answer_t - t0
    if acc.last_token_t is not None:
        result.e2e_s = acc.last_token_t - t0
    elif result.e2e_s is None:
        result.e2e_s = perf_counter() - t0
    result.provider_state = req.api.echo_state(req.dialect, acc)


def _fill_cost(result: Result, acc: Accumulator, req: PreparedRequest, long_writes: int | None = None) -> None:
    """The provider's own figure when it reports one, else the price table at the time the request was made (its
    tiers, windows and dated prices; cache writes at the retention the request asked for); NaN (never 0) when
    unknown (audio input is billed at its own rate, so it is never priced at the table's text rates)."""
    try:
        reported = req.dialect.cost_from_usage(acc.usage)
    except (OverflowError, TypeError, ValueError):  # a count past float range, a value of the wrong type
        reported = None
    if reported is not None and not (math.isfinite(reported) and 0 <= reported <= MAX_REPORTED_COST_USD):
        reported = None  # negative, NaN, infinite or absurd: not believed; the price table decides
    if reported is not None:
        result.cost_usd, result.cost_source = reported, "provider"
    elif not req.audio_input and result.prompt_tokens is not None and result.completion_tokens is not None:
        price = pricing.price_for(req.provider, req.model_id)  # None: warned when the request was prepared
        if price is not None:
            result.cost_usd = pricing.request_cost(
                price, prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                cached_tokens=result.cached_tokens, cache_write_tokens=result.cache_write_tokens,
                at=result.created_at, body=req.body,
                cache_write_long_tokens=long_writes)
            result.cost_source = "price_table"
    if math.isnan(result.cost_usd):
        result.cost_source = None


def _request_id(headers: Mapping[str, str]) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return _header_text(value)
    return None


def _header_text(value: str) -> str:
    """A header value as clean text: aiohttp keeps bytes that are not UTF-8 as lone surrogates, which no JSON
    encoder (the cache, exports) accepts."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


#: how much of a provider's words a row keeps (after scrubbing: a key cut in two would escape the scrub)
_MAX_MESSAGE, _MAX_REQUEST_ID = 2000, 200
#: how much of a body a message quotes before the scrub: twice what the row keeps after it, so a key the quote
#: cuts in two lies past the final clip (and a 64 MiB line is not copied into a message whole)
_QUOTE = 2 * _MAX_MESSAGE


def _clip(result: Result) -> None:
    if result.error is not None and len(result.error.message) > _MAX_MESSAGE:
        result.error.message = result.error.message[:_MAX_MESSAGE] + " [...]"
    if result.request_id is not None and len(result.request_id) > _MAX_REQUEST_ID:
        result.request_id = result.request_id[:_MAX_REQUEST_ID]


def new_result(req: PreparedRequest) -> Result:
    """An empty Result for this request, stamped with its creation time."""
    return Result(
        model=req.model,
        provider=req.provider.name,
        api=req.api.name,
        stream=req.stream,
        simulated=req.provider.simulated,
        created_at=time.time(),
    )


def unsent(req: PreparedRequest, kind: str, message: str) -> Result:
    """A row for a request that was never sent (budget reached, run cancelled, input the model cannot take)."""
    result = new_result(req)
    result.error = ResultError(kind=kind, message=message)
    result.finish_reason = "error"
    result.attempts = 0
    return annotate(result, req)


def annotate(result: Result, req: PreparedRequest) -> Result:
    """What the capability check and the router decided for this request, on its row (and in the cache)."""
    result.dropped_inputs = list(req.dropped)
    result.unverified_inputs = list(req.unverified)
    result.route_reason = req.route_reason
    return result


__all__ = ["Observer", "annotate", "fill", "new_result", "send", "unsent"]
