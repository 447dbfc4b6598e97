"""A loopback HTTP server that misbehaves on purpose, for issue 14's acceptance tests (tests/test_hostile.py).

One provider entry serves every behaviour: the behaviour is the model id of the request
(``client.complete("hostile/choices-str", ...)`` sends ``"model": "choices-str"``), or the path segment
after ``/x/`` (``/x/ok/v1/chat/completions``, which is how redirects name their target). ``BEHAVIOURS``
maps each name to its handler, a one-line description, the family of the issue it belongs to, how the
client should call it (streamed or not, which client, which timeout) and the outcome issue 14's contract
(error kinds, mm.Timeout, mm.Limits, [redacted]) requires, so the tests are one parametrized loop over the table.

The server runs in a background thread on 127.0.0.1, port 0. It remembers every request (path, headers,
body) per behaviour, the bytes it managed to write, and whether the client hung up, so a test can tell
that credentials never reached another origin, that a retryable failure was retried, or that the client
stopped reading an endless stream. ``result_problems`` is the shape every Result must have whatever a
provider sends; ``leaks`` finds the canary credentials in any text or bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from multimodel.sim.faults import drop_connection
from tests.loopback import LoopbackServer

# ---------------------------------------------------------------------------------- secrets
#: the API key of the hostile provider; only letters, digits and single hyphens, so every encoding (JSON,
#: HTML, CSV, markdown, URLs) leaves it as it is and a leak is found by a plain substring search
CANARY = "sk-hostile-CANARY-7f3a9c0e5b1d4e2a"
#: a default_headers value (sent as x-api-key)
CANARY2 = "hk-hostile-CANARY2-b8e4d1c9a6f20e17"
SECRETS = (CANARY, CANARY2)
REDACTED = "[redacted]"

MODEL = "hostile-model"
JSON_CT = {"Content-Type": "application/json"}
SSE_CT = {"Content-Type": "text/event-stream"}
USAGE = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
#: the price every behaviour is given in the provider entry (USD per million tokens), so cost is computable
PRICE = {"input": 1.0, "output": 2.0}
OK_COST = (5 * PRICE["input"] + 2 * PRICE["output"]) / 1e6

#: error kinds a Result may carry: the library's own plus the ones the contract adds
CONTRACT_KINDS = ("malformed_response", "response_too_large", "redirect", "internal")
#: the largest token count the contract allows (anything above is None)
MAX_COUNT = 2**53

#: how far the endless behaviours go before the server gives up and resets the connection: far beyond
#: any limit under test, but finite, so a client without limits fails a test instead of the machine
ENDLESS_LINES_CAP = 192 << 20
ENDLESS_EVENTS_CAP = 32 << 20
#: decompressed size of the gzip bombs (about 1 MB on the wire)
BOMB_BYTES = 256 << 20
#: the unterminated SSE line: this many bytes after "data: ", sent in 64 KiB writes, then EOF
UNTERMINATED_BYTES = 64 << 20


def leaks(value: Any) -> list[str]:
    """Which secrets occur in ``value`` (str, bytes, or anything with a repr)."""
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return [s for s in SECRETS if s.encode() in data]
    text = value if isinstance(value, str) else repr(value)
    return [s for s in SECRETS if s in text]


# ---------------------------------------------------------------------------------- what a Result must be
def _count_ok(v: Any) -> bool:
    return v is None or (type(v) is int and 0 <= v <= MAX_COUNT)


def _seconds_ok(v: Any) -> bool:
    return v is None or (isinstance(v, float | int) and not isinstance(v, bool) and math.isfinite(v) and v >= 0)


def result_problems(r: Any, *, allow_internal: bool = False) -> list[str]:
    """Everything wrong with the shape of a Result (empty when it is one the DataFrame and exports can take)."""
    from multimodel.options import COST_SOURCES
    from multimodel.results import ERROR_KINDS, FINISH_REASONS, Result, ResultError, ToolCall

    if not isinstance(r, Result):
        return [f"not a Result: {type(r).__name__}"]
    out = []
    for name in ("model", "provider", "content"):
        if not isinstance(getattr(r, name), str):
            out.append(f"{name} is {type(getattr(r, name)).__name__}, not str")
    for name in ("response_model", "reasoning", "native_finish_reason", "request_id", "cost_source", "raw"):
        v = getattr(r, name)
        if v is not None and not isinstance(v, str):
            out.append(f"{name} is {type(v).__name__} ({str(v)[:80]!r}), not str or None")
    for name in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens", "cache_write_tokens"):
        v = getattr(r, name)
        if not _count_ok(v):
            out.append(f"{name}={str(v)[:40]} is not None or an int in [0, 2**53]")
    cost = r.cost_usd
    if not isinstance(cost, float) or not (math.isnan(cost) or (math.isfinite(cost) and cost >= 0)):
        out.append(f"cost_usd={cost!r} is not NaN or a finite float >= 0")
    elif math.isnan(cost) != (r.cost_source is None):
        out.append(f"cost_usd={cost!r} with cost_source={r.cost_source!r}")
    if r.cost_source is not None and r.cost_source not in COST_SOURCES:
        out.append(f"cost_source={r.cost_source!r} is not one of {COST_SOURCES}")
    for name in ("ttft_s", "ttfat_s", "e2e_s"):
        if not _seconds_ok(getattr(r, name)):
            out.append(f"{name}={getattr(r, name)!r} is not None or finite seconds >= 0")
    if not isinstance(r.tool_calls, list):
        out.append(f"tool_calls is {type(r.tool_calls).__name__}, not list")
    else:
        for i, tc in enumerate(r.tool_calls):
            if not isinstance(tc, ToolCall):
                out.append(f"tool_calls[{i}] is {type(tc).__name__}")
                continue
            if not isinstance(tc.id, str) or not tc.id:
                out.append(f"tool_calls[{i}].id is {type(tc.id).__name__} {str(tc.id)[:60]!r}, not a non-empty str")
            if not isinstance(tc.name, str):
                out.append(f"tool_calls[{i}].name is {type(tc.name).__name__}")
            if tc.arguments is not None and not isinstance(tc.arguments, dict):
                out.append(f"tool_calls[{i}].arguments is {type(tc.arguments).__name__}")
            if not isinstance(tc.arguments_raw, str):
                out.append(f"tool_calls[{i}].arguments_raw is {type(tc.arguments_raw).__name__}")
            if tc.extra is not None and not isinstance(tc.extra, dict):
                out.append(f"tool_calls[{i}].extra is {type(tc.extra).__name__}")
    if r.logprobs is not None and not (isinstance(r.logprobs, list) and all(isinstance(e, dict) for e in r.logprobs)):
        out.append("logprobs is not None or a list of dicts")
    if r.provider_state is not None and not isinstance(r.provider_state, dict):
        out.append(f"provider_state is {type(r.provider_state).__name__}")
    kinds = set(ERROR_KINDS) | set(CONTRACT_KINDS)
    if not allow_internal:
        kinds.discard("internal")
    err = r.error
    if err is None:
        if r.finish_reason not in (*FINISH_REASONS, "") or r.finish_reason == "error":
            out.append(f"a success with finish_reason={r.finish_reason!r}")
    else:
        if not isinstance(err, ResultError):
            out.append(f"error is {type(err).__name__}")
            return out
        if err.kind not in kinds:
            out.append(f"error kind {err.kind!r} ({err.message[:200] if isinstance(err.message, str) else ''!r})"
                       " is not an expected kind")
        if not isinstance(err.message, str):
            out.append(f"error.message is {type(err.message).__name__}")
        if err.status is not None and type(err.status) is not int:
            out.append(f"error.status is {type(err.status).__name__}")
        ra = err.retry_after_s
        if ra is not None and (not isinstance(ra, float | int) or math.isnan(ra) or ra < 0):
            out.append(f"error.retry_after_s={ra!r}")
        if err.provider_code is not None and not isinstance(err.provider_code, str):
            out.append(f"error.provider_code is {type(err.provider_code).__name__}")
        if r.finish_reason != "error":
            out.append(f"an error row with finish_reason={r.finish_reason!r}")
    return out


# ---------------------------------------------------------------------------------- expectations
@dataclass(frozen=True)
class Check:
    """A named predicate on a Result (the name is what a failure message shows)."""

    fn: Callable[[Any], bool]
    text: str

    def __call__(self, r: Any) -> bool:
        try:
            return bool(self.fn(r))
        except Exception:
            return False

    def __repr__(self) -> str:
        return self.text


def content_is(text: str) -> Check:
    return Check(lambda r: r.content == text, f"content == {text[:40]!r}")


def content_has(text: str) -> Check:
    return Check(lambda r: text in r.content, f"{text[:40]!r} in content")


def all_of(*checks: Check) -> Check:
    return Check(lambda r: all(c(r) for c in checks), " and ".join(c.text for c in checks))


ANY = Check(lambda r: True, "any success")
HELLO = content_is("hello")


@dataclass(frozen=True)
class Expect:
    """The outcomes the contract allows: an error of one of ``kinds`` (or any kind with ``any_error``), or a
    success for which ``ok`` holds (no success when ``ok`` is None). ``on_error`` must hold for an error row;
    ``message_has`` are words its message must contain; ``max_s``/``min_s`` bound the call's wall time."""

    kinds: tuple[str, ...] = ()
    ok: Check | None = None
    any_error: bool = False
    on_error: Check | None = None
    message_has: tuple[str, ...] = ()
    max_s: float | None = None
    min_s: float | None = None

    def describe(self) -> str:
        parts = []
        if self.ok is not None:
            parts.append(f"a success with {self.ok!r}")
        if self.any_error:
            parts.append("an error of any kind")
        elif self.kinds:
            parts.append(f"an error of kind {' or '.join(self.kinds)}")
        return " or ".join(parts)

    def problems(self, r: Any, elapsed: float) -> list[str]:
        out = []
        if r.error is None:
            if self.ok is None:
                out.append(f"expected {self.describe()}, got a success (content={r.content[:80]!r})")
            elif not self.ok(r):
                out.append(f"expected {self.describe()}; the success fails {self.ok!r} "
                           f"(content={r.content[:80]!r}, finish={r.finish_reason!r})")
        else:
            if not self.any_error and r.error.kind not in self.kinds:
                out.append(f"expected {self.describe()}, got {str(r.error)[:300]!r}")
            if self.on_error is not None and not self.on_error(r):
                out.append(f"the error row fails {self.on_error!r}")
            for word in self.message_has:
                if word not in (r.error.message or ""):
                    out.append(f"the error message {r.error.message[:200]!r} does not name {word!r}")
        if self.max_s is not None and elapsed > self.max_s:
            out.append(f"took {elapsed:.2f}s, more than {self.max_s}s")
        if self.min_s is not None and elapsed < self.min_s:
            out.append(f"took {elapsed:.2f}s, less than {self.min_s}s")
        return out


def error(*kinds: str, **options: Any) -> Expect:
    return Expect(kinds=kinds, **options)


def success(check: Check = ANY, **options: Any) -> Expect:
    return Expect(ok=check, **options)


def tolerated(check: Check, *kinds: str) -> Expect:
    """A success satisfying ``check`` where the meaning is clear, or (default) malformed_response."""
    return Expect(kinds=kinds or ("malformed_response",), ok=check)


MALFORMED = error("malformed_response")
TOO_LARGE = error("response_too_large", max_s=5.0)
REDIRECT = error("redirect")
NO_EMPTY_SUCCESS = Check(lambda r: r.content != "", "content is not empty")


# ---------------------------------------------------------------------------------- the table
Handler = Callable[["Ctx"], Awaitable[web.StreamResponse]]
#: server-side checks after a call: (this server, the other-origin server) -> problems
ServerCheck = Callable[["HostileServer", "HostileServer | None"], list[str]]

FAMILIES = {
    "types": "(1) 200 bodies and chunks with wrong JSON types",
    "keys": "(2) credentials echoed back",
    "counts": "(3) token counts and costs out of range",
    "redirect": "(4) redirects",
    "size": "(5) size limits",
    "truncation": "(6) truncation and framing",
    "timeout": "(11) timeouts",
    "misc": "other hostile HTTP",
}


@dataclass(frozen=True)
class Behaviour:
    name: str
    family: str
    doc: str
    handler: Handler
    expect: Expect
    #: whether the client asks for a stream
    stream: bool = False
    #: which client calls it: "plain", "limits" (small mm.Limits) or "openrouter" (a dialect that reads usage.cost)
    client: str = "plain"
    #: (total, connect, idle) for an mm.Timeout on the call; None: a plain number of seconds
    timeout: tuple[float, float, float] | None = None
    #: quick and stateless: safe to run many at once in one evaluate()
    fast: bool = True
    server_check: ServerCheck | None = None


BEHAVIOURS: dict[str, Behaviour] = {}


def behaviour(name: str, family: str, expect: Expect, **options: Any) -> Callable[[Handler], Handler]:
    """Register the decorated handler under ``name``; its docstring is the one-line description."""

    def register(fn: Handler) -> Handler:
        doc = (fn.__doc__ or "").strip()
        if not doc or "\n" in doc:
            raise ValueError(f"behaviour {name!r} needs a one-line docstring")
        if name in BEHAVIOURS or family not in FAMILIES:
            raise ValueError(f"behaviour {name!r}: duplicate name or unknown family {family!r}")
        BEHAVIOURS[name] = Behaviour(name, family, doc, fn, expect, **options)
        return fn

    return register


def case(name: str, family: str, doc: str, answer: Callable[[Ctx], Awaitable[web.StreamResponse]] | Any,
         expect: Expect, **options: Any) -> None:
    """Register a behaviour from a fixed answer: a JSON-able body (served as 200 JSON) or an async callable."""

    if callable(answer):
        async def handler(ctx: Ctx) -> web.StreamResponse:
            return await answer(ctx)
    else:
        async def handler(ctx: Ctx) -> web.StreamResponse:
            return ctx.json(answer)
    handler.__doc__ = doc
    behaviour(name, family, expect, **options)(handler)


# ---------------------------------------------------------------------------------- bodies
def dumps(obj: Any) -> bytes:
    """JSON with integers of any size (orjson stops at 64 bits) and no NaN."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


_MISSING: Any = object()


def completion(content: Any = "hello", *, finish: Any = "stop", model: Any = MODEL, usage: Any = USAGE,
               message: Any = _MISSING, choice: Any = _MISSING, choices: Any = _MISSING, **top: Any) -> dict[str, Any]:
    """A chat.completion body; any part can be replaced by any JSON value."""
    if message is _MISSING:
        message = {"role": "assistant", "content": content}
    if choice is _MISSING:
        choice = {"index": 0, "message": message, "finish_reason": finish}
        if finish is _MISSING:
            del choice["finish_reason"]
    if choices is _MISSING:
        choices = [choice]
    body = {"id": "chatcmpl-hostile", "object": "chat.completion", "created": 1700000000, "model": model,
            "choices": choices}
    if usage is not _MISSING:
        body["usage"] = usage
    body.update(top)
    return body


def tool_message(calls: Any, content: Any = None) -> dict[str, Any]:
    return {"role": "assistant", "content": content, "tool_calls": calls}


def call(id: Any = "call_1", name: Any = "get_weather", arguments: Any = '{"city":"Oslo"}',
         function: Any = _MISSING) -> dict[str, Any]:
    if function is _MISSING:
        function = {"name": name, "arguments": arguments}
    return {"id": id, "type": "function", "function": function}


def chunk(content: Any = _MISSING, *, finish: Any = None, delta: Any = _MISSING, model: Any = MODEL,
          usage: Any = _MISSING, choices: Any = _MISSING, **top: Any) -> dict[str, Any]:
    """A chat.completion.chunk; any part can be replaced by any JSON value."""
    if delta is _MISSING:
        delta = {} if content is _MISSING else {"content": content}
    if choices is _MISSING:
        choices = [{"index": 0, "delta": delta, "finish_reason": finish}]
    body = {"id": "chatcmpl-hostile", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
            "choices": choices}
    if usage is not _MISSING:
        body["usage"] = usage
    body.update(top)
    return body


def event(obj: Any, name: str | None = None) -> bytes:
    data = obj if isinstance(obj, bytes) else dumps(obj)
    head = b"event: " + name.encode() + b"\n" if name else b""
    return head + b"data: " + data + b"\n\n"


DONE = b"data: [DONE]\n\n"


def events(*objs: Any, done: bool = True) -> list[bytes]:
    parts = [event(o) for o in objs]
    if done:
        parts.append(DONE)
    return parts


def ok_stream(first: Any = "hel", second: Any = "lo", **last: Any) -> list[bytes]:
    """A well-formed stream saying ``first + second``; ``last`` replaces parts of the final (usage) chunk."""
    return events(chunk(first), chunk(second, finish="stop"), chunk(**{"choices": [], "usage": USAGE, **last}))


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


@functools.cache
def _line_1mb() -> bytes:
    return event(chunk("a" * (1 << 20)))


@functools.cache
def _small_events_block() -> bytes:
    one = event(chunk("x"))
    return one * ((64 << 10) // len(one))


@functools.cache
def gzip_bomb(kind: str, size: int) -> bytes:
    """``size`` bytes that compress to ~1 MB: a JSON body (whitespace, then a valid completion) or an SSE
    stream (content events, then finish and [DONE])."""
    co = zlib.compressobj(1, zlib.DEFLATED, 31)
    if kind == "json":
        block, tail = b" " * (1 << 20), dumps(completion())
    else:
        one = event(chunk("a" * 1000))
        block = one * ((1 << 20) // len(one))
        tail = b"".join(events(chunk("b", finish="stop")))
    parts = [co.compress(block) for _ in range(size // len(block))]
    parts.append(co.compress(tail))
    parts.append(co.flush())
    return b"".join(parts)


# ---------------------------------------------------------------------------------- the request context
@dataclass
class Ctx:
    """One request as a behaviour sees it, with helpers to answer it (or not)."""

    server: HostileServer
    request: web.Request
    name: str
    body: bytes

    @property
    def auth(self) -> str:
        return self.request.headers.get("Authorization", "")

    @property
    def key2(self) -> str:
        return self.request.headers.get("x-api-key", "")

    @property
    def secrets(self) -> str:
        """Both credentials as the request carried them."""
        return f"{self.auth} / x-api-key: {self.key2}"

    def json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(status=status, body=dumps(obj), headers={**JSON_CT, **(headers or {})})

    def raw(self, data: bytes, status: int = 200, headers: Any = None) -> web.Response:
        return web.Response(status=status, body=data, headers=JSON_CT if headers is None else headers)

    async def stream(self, parts: Iterable[bytes], *, headers: Any = None, gap: float = 0.0,
                     status: int = 200, end: str = "eof") -> web.StreamResponse:
        """Write ``parts`` one by one; then end normally, ``reset`` the connection, or ``stall`` forever."""
        resp = web.StreamResponse(status=status, headers=SSE_CT if headers is None else headers)
        await resp.prepare(self.request)
        for part in parts:
            await self.write(resp, part)
            if gap:
                await asyncio.sleep(gap)
        if end == "reset":
            self.reset()
        elif end == "stall":
            await self.stall()
        else:
            await resp.write_eof()
        return resp

    async def write(self, resp: web.StreamResponse, data: bytes) -> None:
        await resp.write(data)
        self.server.sent[self.name] += len(data)

    async def stall(self) -> None:
        """Never answer (released when the server stops or the client hangs up)."""
        await self.server.closing_wait(self.request)

    def reset(self) -> None:
        """Drop the connection with a TCP reset, mid-whatever."""
        drop_connection(self.request, reset=True)


# ---------------------------------------------------------------------------------- the server
@dataclass
class Received:
    name: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HostileServer(LoopbackServer):
    thread_name = "hostile-server"
    host: str = "127.0.0.1"
    port: int = 0
    #: the base URL of another origin (a second HostileServer), for cross-origin redirects
    peer_url: str | None = None
    requests: list[Received] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    hung_up: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._init_loopback()

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def target(self, name: str, host: str | None = None) -> str:
        """The absolute URL that serves behaviour ``name`` on this server (optionally under another host name)."""
        return f"http://{host or self.host}:{self.port}/x/{name}/v1/chat/completions"

    async def closing_wait(self, request: web.Request) -> None:
        """Wait until the server stops or the client hangs up."""
        assert self._closing is not None
        while not self._closing.is_set():
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), 0.05)

    # ---- what tests read
    def reset_counters(self) -> None:
        with self._lock:
            self.requests.clear()
            self.hits.clear()
            self.sent.clear()
            self.hung_up.clear()

    def received(self, name: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if name is None or r.name == name]

    # ---- serving
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        parts = request.path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "x":
            name = parts[1]
        else:
            try:
                name = str(json.loads(body).get("model"))
            except (ValueError, AttributeError):
                name = "?"
        with self._lock:
            self.requests.append(Received(name, request.path_qs, dict(request.headers), body))
            self.hits[name] += 1
        found = BEHAVIOURS.get(name)
        if found is None:
            return web.json_response({"error": {"message": f"hostile server: no behaviour {name!r}"}}, status=404)
        ctx = Ctx(self, request, name, body)
        try:
            return await found.handler(ctx)
        except ConnectionError:  # the client hung up (what the endless behaviours wait for)
            with self._lock:
                self.hung_up[name] += 1
            return web.Response(status=499)


def provider_entry(server: HostileServer, *, dialect: str = "openai", **extra: Any) -> dict[str, Any]:
    """The provider settings that point a Client at the server, with the canary credentials and a price for
    every behaviour."""
    return {"base_url": server.base_url, "api_key": CANARY, "dialect": dialect,
            "default_headers": {"x-api-key": CANARY2},
            "prices": {name: dict(PRICE) for name in BEHAVIOURS}, **extra}


# =================================================================================== the behaviours
# ---- the baseline
case("ok", "misc", "A well-formed completion saying hello (the control case).", completion(), success(HELLO))


@behaviour("ok-stream", "misc", success(HELLO), stream=True)
async def _ok_stream(ctx: Ctx) -> web.StreamResponse:
    """A well-formed stream saying hello in two pieces, with usage and [DONE] (the control case)."""
    return await ctx.stream(ok_stream())


# ---- (1) wrong JSON types, whole bodies
for _name, _doc, _body in [
    ("choices-str", "choices is a string.", completion(choices="hello")),
    ("choices-dict", "choices is an object holding a valid choice.", completion(choices={"0": {
        "index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}})),
    ("choices-int", "choices is the number 7.", completion(choices=7)),
    ("choices-list-int", "choices is [1].", completion(choices=[1])),
    ("choices-list-null", "choices is [null].", completion(choices=[None])),
    ("message-str", "message is a string.", completion(message="hello")),
    ("message-list", "message is a list holding a valid message.",
     completion(message=[{"role": "assistant", "content": "hello"}])),
    ("body-array", "The body is a JSON array holding a valid completion.", [completion()]),
    ("body-string", "The body is a JSON string.", "hello"),
    ("body-null", "The body is JSON null.", None),
    ("body-number", "The body is the number 42.", 42),
]:
    case(_name, "types", _doc, _body, MALFORMED if _name.startswith(("choices", "message")) else
         error("malformed_response", "server"))

case("choices-empty", "types", "choices is an empty list (no answer at all).", completion(choices=[]),
     tolerated(ANY))
case("message-null", "types", "message is null with finish_reason stop.", completion(message=None),
     tolerated(content_is("")))
for _name, _value in [("content-int", 42), ("content-dict", {"text": "hello"}), ("content-bool", True),
                      ("content-parts-junk", [1, None, "x", {"type": "text", "text": 5}, {"type": 7}])]:
    case(_name, "types", f"message.content is {json.dumps(_value)}.", completion(_value),
         tolerated(Check(lambda r: isinstance(r.content, str), "content is a str")))
case("reasoning-list", "types", "reasoning_content is a list of numbers.",
     completion(message={"role": "assistant", "content": "hello", "reasoning_content": [1, 2]}), tolerated(HELLO))
case("logprobs-junk", "types", "logprobs is an object whose content is a string.",
     completion(choice={"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop",
                        "logprobs": {"content": "not a list"}}), tolerated(HELLO))

_STR_IDS = Check(lambda r: len(r.tool_calls) == 1 and r.tool_calls[0].name == "get_weather",
                 "the one call to get_weather is kept")
for _name, _value in [("tool-id-list", ["call_1"]), ("tool-id-dict", {"id": "call_1"}), ("tool-id-int", 12345)]:
    case(_name, "types", f"A tool call whose id is {json.dumps(_value)}.",
         completion(message=tool_message([call(id=_value)]), finish="tool_calls"), tolerated(_STR_IDS))
case("tool-function-str", "types", "A tool call whose function is a string.",
     completion(message=tool_message([call(function="get_weather")]), finish="tool_calls"), tolerated(ANY))
case("tool-calls-dict", "types", "tool_calls is one object instead of a list.",
     completion(message=tool_message(call()), finish="tool_calls"), tolerated(ANY))
case("tool-name-list", "types", "A tool call whose function name is a list.",
     completion(message=tool_message([call(name=["get_weather"])]), finish="tool_calls"), tolerated(ANY))

_ARGS_NONE_OR_DICT = Check(lambda r: len(r.tool_calls) == 1, "one tool call kept")
for _name, _value in [("tool-args-number", 42), ("tool-args-list", [1, 2]), ("tool-args-null", None),
                      ("tool-args-bool", False), ("tool-args-str-number", "42"), ("tool-args-str-list", "[1,2]")]:
    case(_name, "types", f"Tool call arguments are {json.dumps(_value)}.",
         completion(message=tool_message([call(arguments=_value)]), finish="tool_calls"), tolerated(_ARGS_NONE_OR_DICT))
case("tool-args-dict", "types", "Tool call arguments arrive parsed, as an object.",
     completion(message=tool_message([call(arguments={"city": "Oslo"})]), finish="tool_calls"),
     tolerated(Check(lambda r: r.tool_calls[0].arguments == {"city": "Oslo"}, "arguments == {'city': 'Oslo'}")))
case("tool-args-deep", "types", "Tool call arguments are valid JSON nested 600 deep (parses, too deep to re-encode).",
     completion(message=tool_message([call(arguments=dumps(nested(600)).decode())]), finish="tool_calls"),
     tolerated(_ARGS_NONE_OR_DICT))
case("tool-extra-deep", "types", "A tool call carries extra_content nested 600 deep.",
     completion(message=tool_message([{**call(), "extra_content": nested(600)}]), finish="tool_calls"),
     tolerated(_ARGS_NONE_OR_DICT))

_FINISH_OK = Check(lambda r: r.content == "hello", "content == 'hello'")
for _name, _value in [("finish-int", 1), ("finish-list", ["stop"]), ("finish-dict", {"reason": "stop"}),
                      ("finish-bool", True), ("finish-float", 1.5)]:
    case(_name, "types", f"finish_reason is {json.dumps(_value)}.", completion(finish=_value), tolerated(_FINISH_OK))
case("finish-long", "types", "finish_reason is a 100,000-character string.", completion(finish="z" * 100_000),
     tolerated(_FINISH_OK))
for _name, _value in [("model-int", 123), ("model-dict", {"id": "m"}), ("model-list", ["m"]), ("model-bool", True)]:
    case(_name, "types", f"The response's model field is {json.dumps(_value)}.", completion(model=_value),
         tolerated(HELLO))
for _name, _value in [("usage-list", [5, 2, 7]), ("usage-str", "5 in, 2 out"), ("usage-int", 7)]:
    case(_name, "types", f"usage is {json.dumps(_value)}.", completion(usage=_value),
         tolerated(all_of(HELLO, Check(lambda r: r.prompt_tokens is None, "prompt_tokens is None"))))
case("usage-nested-deep", "types", "usage.completion_tokens_details is an object nested 900 deep.",
     completion(usage={**USAGE, "completion_tokens_details": nested(900)}), tolerated(HELLO))
case("body-depth-bomb", "types", "The body is an array nested 100,000 deep.",
     lambda ctx: _raw(ctx, b"[" * 100_000 + b"]" * 100_000), error("malformed_response", "server"))
case("error-string-200", "types", "HTTP 200 with {\"error\": \"boom\"} and no choices.", {"error": "boom"},
     Expect(any_error=True))
case("error-object-200", "types", "HTTP 200 with an OpenAI-style error object (server_error).",
     {"error": {"message": "boom", "type": "server_error"}}, error("server"))
case("error-429-in-200", "types", "HTTP 200 with an error object whose code is 429.",
     {"error": {"message": "slow down", "code": 429}}, error("rate_limit"))
case("error-and-choices-200", "types", "HTTP 200 with both a valid choice and an error object.",
     completion(error={"message": "upstream failed", "code": 502}), Expect(any_error=True, ok=HELLO))


async def _raw(ctx: Ctx, data: bytes, status: int = 200, headers: Any = None) -> web.Response:
    return ctx.raw(data, status, headers)


# ---- (1) wrong JSON types, streams
for _name, _doc, _parts in [
    ("stream-choices-int", "A streamed chunk whose choices is 7.", events(chunk("hel"), chunk(choices=7))),
    ("stream-choices-str", "A streamed chunk whose choices is a string.", events(chunk("hel"), chunk(choices="lo"))),
    ("stream-choices-dict", "A streamed chunk whose choices is an object.",
     events(chunk("hel"), chunk(choices={"index": 0, "delta": {"content": "lo"}}))),
    ("stream-chunk-array", "A streamed chunk that is a JSON array.", events(chunk("hel"), [1, 2, 3])),
    ("stream-chunk-string", "A streamed chunk that is a JSON string.", events(chunk("hel"), "lo")),
]:
    case(_name, "types", _doc, functools.partial(lambda ctx, p: ctx.stream(p), p=_parts), MALFORMED, stream=True)

for _name, _doc, _parts, _check in [
    ("stream-delta-str", "A streamed delta that is a string.", events(chunk(delta="hel"), chunk("lo", finish="stop")),
     ANY),
    ("stream-content-int", "A streamed content that is a number.", events(chunk(7), chunk("lo", finish="stop")), ANY),
    ("stream-tool-id-list", "A streamed tool call whose id is a list.",
     events(chunk(delta={"tool_calls": [{"index": 0, **call(id=["call_1"])}]}), chunk(finish="tool_calls")),
     _STR_IDS),
    ("stream-tool-index-junk", "Streamed tool calls indexed by \"0\", -1, 2**70 and 1.5.",
     events(*(chunk(delta={"tool_calls": [{"index": i, **call(id=f"c{n}")}]}) for n, i in
              enumerate(["0", -1, 2**70, 1.5])), chunk(finish="tool_calls")),
     Check(lambda r: len(r.tool_calls) >= 1, "the calls are kept")),
    ("stream-finish-list", "A streamed finish_reason that is a list.", events(chunk("hello", finish=["stop"])), HELLO),
    ("stream-model-dict", "A streamed model field that is an object.",
     events(chunk("hello", model={"id": "m"}), chunk(finish="stop")), HELLO),
    ("stream-usage-junk", "A streamed usage that is a list, then one that is an object of strings.",
     events(chunk("hello", usage=[1]), chunk(finish="stop", usage={"prompt_tokens": "5"})), HELLO),
]:
    case(_name, "types", _doc, functools.partial(lambda ctx, p: ctx.stream(p), p=_parts), tolerated(_check),
         stream=True)


# ---- (2) credentials echoed back
def _redacted(field_name: str) -> Check:
    return Check(lambda r: REDACTED in str(getattr(r, field_name)), f"{REDACTED} in {field_name}")


_ERR_REDACTED = Check(lambda r: REDACTED in r.error.message, f"{REDACTED} in the error message")


@behaviour("echo-401-json", "keys", error("auth", on_error=_ERR_REDACTED))
async def _echo_401(ctx: Ctx) -> web.StreamResponse:
    """401 whose JSON error message quotes both credentials."""
    return ctx.json({"error": {"message": f"Incorrect API key provided: {ctx.secrets}", "type": "invalid_request_error",
                               "code": "invalid_api_key"}}, status=401)


@behaviour("echo-500-text", "keys", error("server", on_error=_ERR_REDACTED))
async def _echo_500(ctx: Ctx) -> web.StreamResponse:
    """500 with a plain-text body quoting both credentials."""
    return ctx.raw(f"upstream said no to {ctx.secrets}".encode(), 500, {"Content-Type": "text/plain"})


@behaviour("echo-502-html", "keys", error("server"))
async def _echo_502(ctx: Ctx) -> web.StreamResponse:
    """502 HTML error page with both credentials in it."""
    page = f"<html><body><h1>502 Bad Gateway</h1><pre>{ctx.secrets}</pre></body></html>"
    return ctx.raw(page.encode(), 502, {"Content-Type": "text/html"})


@behaviour("echo-400-code", "keys", error("bad_request"))
async def _echo_code(ctx: Ctx) -> web.StreamResponse:
    """400 whose error code and type are the credentials."""
    return ctx.json({"error": {"message": "bad", "code": ctx.auth, "type": ctx.key2, "param": ctx.auth}}, status=400)


@behaviour("echo-429", "keys", error("rate_limit", on_error=_ERR_REDACTED), fast=False)
async def _echo_429(ctx: Ctx) -> web.StreamResponse:
    """429 (retry-after 0) whose message quotes both credentials."""
    return ctx.json({"error": {"message": f"rate limited for {ctx.secrets}"}}, status=429,
                    headers={"retry-after": "0"})


@behaviour("echo-request-id", "keys", success(all_of(HELLO, Check(
    lambda r: r.request_id is None or REDACTED in r.request_id, "request_id redacted"))))
async def _echo_request_id(ctx: Ctx) -> web.StreamResponse:
    """A good answer whose x-request-id (and other id headers) echo the Authorization and x-api-key values."""
    return ctx.json(completion(), headers={"x-request-id": ctx.auth, "request-id": ctx.key2,
                                           "x-generation-id": ctx.auth, "x-echo-key": ctx.key2})


@behaviour("echo-content", "keys", success(_redacted("content")))
async def _echo_content(ctx: Ctx) -> web.StreamResponse:
    """The answer's content repeats both credentials."""
    return ctx.json(completion(f"Your key is {ctx.auth} and {ctx.key2}."))


@behaviour("echo-escaped", "keys", success(_redacted("content")))
async def _echo_escaped(ctx: Ctx) -> web.StreamResponse:
    r"""The content repeats the key with every character JSON-escaped (\u0073\u006b...), so the bytes differ."""
    escaped = "".join(f"\\u{ord(c):04x}" for c in CANARY)
    return ctx.raw(b'{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"key: '
                   + escaped.encode()
                   + b'"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}')


@behaviour("echo-reasoning", "keys", success(_redacted("reasoning")))
async def _echo_reasoning(ctx: Ctx) -> web.StreamResponse:
    """The reasoning text repeats both credentials."""
    return ctx.json(completion(message={"role": "assistant", "content": "hello",
                                        "reasoning_content": f"The user's key is {ctx.secrets}."}))


@behaviour("echo-tool-args", "keys", success(Check(
    lambda r: REDACTED in r.tool_calls[0].arguments_raw and CANARY not in str(r.tool_calls[0].arguments),
    "tool call arguments redacted")))
async def _echo_tool_args(ctx: Ctx) -> web.StreamResponse:
    """A tool call whose arguments and name carry the credentials."""
    args = json.dumps({"key": ctx.auth, "other": ctx.key2})
    return ctx.json(completion(message=tool_message([call(id=f"call_{CANARY}", name="get_weather",
                                                           arguments=args)]), finish="tool_calls"))


@behaviour("echo-model", "keys", success(all_of(HELLO, Check(
    lambda r: r.response_model is None or CANARY not in r.response_model, "response_model redacted"))))
async def _echo_model(ctx: Ctx) -> web.StreamResponse:
    """The response's model field is the Authorization value."""
    return ctx.json(completion(model=ctx.auth))


@behaviour("echo-finish", "keys", success(HELLO))
async def _echo_finish(ctx: Ctx) -> web.StreamResponse:
    """finish_reason is the x-api-key value."""
    return ctx.json(completion(finish=ctx.key2))


@behaviour("echo-200-error", "keys", Expect(any_error=True, on_error=_ERR_REDACTED))
async def _echo_200_error(ctx: Ctx) -> web.StreamResponse:
    """HTTP 200 with an error object quoting both credentials."""
    return ctx.json({"error": {"message": f"bad key {ctx.secrets}", "metadata": {"raw": ctx.key2}}})


@behaviour("echo-stream-error", "keys", Expect(any_error=True, on_error=_ERR_REDACTED), stream=True)
async def _echo_stream_error(ctx: Ctx) -> web.StreamResponse:
    """A stream that says hel, then an event: error quoting both credentials."""
    return await ctx.stream([event(chunk("hel")), event({"error": {"message": f"boom {ctx.secrets}"}}, "error")])


@behaviour("echo-stream-content", "keys", success(_redacted("content")), stream=True)
async def _echo_stream_content(ctx: Ctx) -> web.StreamResponse:
    """A stream whose content carries the key split across two chunks and two TCP writes."""
    auth = ctx.auth
    half = len(auth) // 2
    return await ctx.stream(events(chunk(f"key={auth[:half]}"), chunk(f"{auth[half:]} {ctx.key2}", finish="stop")),
                            gap=0.01)


@behaviour("echo-stream-chunk-error", "keys", Expect(any_error=True, on_error=_ERR_REDACTED), stream=True)
async def _echo_stream_chunk_error(ctx: Ctx) -> web.StreamResponse:
    """A streamed chunk with an error object (OpenRouter style) quoting both credentials."""
    return await ctx.stream(events(chunk("hel"), {"error": {"message": f"upstream {ctx.secrets}", "code": 502},
                                                  "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}]}))


@behaviour("echo-redirect-location", "keys", error("redirect", on_error=Check(
    lambda r: "/x/ok/v1/chat/completions" in r.error.message, "the error names the Location")))
async def _echo_location(ctx: Ctx) -> web.StreamResponse:
    """A same-origin 302 whose Location carries both credentials in its query string."""
    return web.Response(status=302, headers={
        "Location": f"/x/ok/v1/chat/completions?key={CANARY}&other={ctx.key2}"})


# ---- (3) counts out of range
_COUNTS_NONE = Check(lambda r: r.prompt_tokens is None and r.completion_tokens is None,
                     "prompt_tokens and completion_tokens are None")
for _name, _doc, _usage, _check in [
    ("usage-huge-int", "Token counts of 2**64-1 (the largest 64-bit unsigned).",
     {"prompt_tokens": 2**64 - 1, "completion_tokens": 2**64 - 1, "total_tokens": 2**64 - 1}, _COUNTS_NONE),
    ("usage-over-u64", "Token counts of 2**64+1 and 10**30 (beyond 64 bits).",
     {"prompt_tokens": 2**64 + 1, "completion_tokens": 10**30, "total_tokens": 10**31}, _COUNTS_NONE),
    ("usage-1e300", "Token counts of 1e300.",
     {"prompt_tokens": 1e300, "completion_tokens": 1e300, "total_tokens": 1e300}, _COUNTS_NONE),
    ("usage-negative", "Token counts of -5 and -2.", {"prompt_tokens": -5, "completion_tokens": -2,
                                                      "total_tokens": -7}, _COUNTS_NONE),
    ("usage-strings", "Token counts as strings.", {"prompt_tokens": "5", "completion_tokens": "2"}, _COUNTS_NONE),
    ("usage-bools", "Token counts as booleans.", {"prompt_tokens": True, "completion_tokens": False}, _COUNTS_NONE),
    ("usage-fractions", "Token counts of 5.5 and 2.25.", {"prompt_tokens": 5.5, "completion_tokens": 2.25},
     _COUNTS_NONE),
    ("usage-2pow53-plus", "Token counts just above 2**53.",
     {"prompt_tokens": 2**53 + 1, "completion_tokens": 2**53 + 2}, _COUNTS_NONE),
    ("usage-total-huge", "Valid prompt and completion counts, total_tokens 2**63 (folds into completion).",
     {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 2**63},
     Check(lambda r: r.prompt_tokens == 5, "prompt_tokens == 5")),
    ("usage-details-junk", "Valid counts; cached -5, reasoning 1e300, cache writes 2**64-1.",
     {**USAGE, "prompt_tokens_details": {"cached_tokens": -5, "cache_write_tokens": 2**64 - 1},
      "completion_tokens_details": {"reasoning_tokens": 1e300}},
     Check(lambda r: (r.prompt_tokens, r.completion_tokens, r.cached_tokens, r.reasoning_tokens,
                      r.cache_write_tokens) == (5, 2, None, None, None), "valid counts kept, the others None")),
]:
    case(_name, "counts", _doc, completion(usage=_usage), success(all_of(HELLO, _check)))


@behaviour("stream-usage-huge", "counts", success(all_of(HELLO, _COUNTS_NONE)), stream=True)
async def _stream_usage_huge(ctx: Ctx) -> web.StreamResponse:
    """A stream whose usage chunk reports 2**64-1 prompt tokens and 1e300 completion tokens."""
    return await ctx.stream(ok_stream(usage={"prompt_tokens": 2**64 - 1, "completion_tokens": 1e300}))


_PRICE_TABLE_COST = Check(lambda r: r.cost_source == "price_table" and math.isclose(r.cost_usd, OK_COST),
                          "the provider's cost ignored: price-table cost")
for _name, _doc, _extra in [
    ("cost-negative", "usage.cost is -1.", {"cost": -1}),
    ("cost-string", "usage.cost is the string \"0.01\".", {"cost": "0.01"}),
    ("cost-bool", "usage.cost is true.", {"cost": True}),
    ("cost-byok-negative", "BYOK usage: cost 0.001 plus an upstream cost of -1e300.",
     {"cost": 0.001, "is_byok": True, "cost_details": {"upstream_inference_cost": -1e300}}),
]:
    case(_name, "counts", _doc, completion(usage={**USAGE, **_extra}), success(all_of(HELLO, _PRICE_TABLE_COST)),
         client="openrouter")
# finite and >= 0 is all the contract asks of a provider's figure: an absurd one may stand or be ignored
_FINITE_COST = Check(lambda r: r.cost_source in ("provider", "price_table") and math.isfinite(r.cost_usd),
                     "a finite cost from the provider or the price table")
case("cost-huge", "counts", "usage.cost is 1e300.", completion(usage={**USAGE, "cost": 1e300}),
     success(all_of(HELLO, _FINITE_COST)), client="openrouter")
case("cost-u64", "counts", "usage.cost is 2**64-1.", completion(usage={**USAGE, "cost": 2**64 - 1}),
     success(all_of(HELLO, _FINITE_COST)), client="openrouter")
case("cost-inf-literal", "counts", "usage.cost is the literal 1e999 (infinite as a double).",
     lambda ctx: _raw(ctx, dumps(completion(usage={**USAGE, "cost": 12345})).replace(b"12345", b"1e999")),
     tolerated(all_of(HELLO, _PRICE_TABLE_COST), "malformed_response", "server"), client="openrouter")
case("cost-valid", "counts", "usage.cost is 0.5 (the control case: the provider's figure is used).",
     completion(usage={**USAGE, "cost": 0.5}),
     success(Check(lambda r: r.cost_source == "provider" and r.cost_usd == 0.5, "cost 0.5 from the provider")),
     client="openrouter")


# ---- (4) redirects
def _peer_silent(server: HostileServer, peer: HostileServer | None) -> list[str]:
    """Nothing reached the other origin, and nothing carrying a credential reached ``ok`` under another name."""
    out = []
    if peer is not None and peer.received():
        got = peer.received()
        out.append(f"the other origin received {len(got)} request(s); credentials in them: "
                   f"{sorted({s for g in got for s in leaks(str(g.headers) + g.path)})}")
    landed = [r for r in server.received("ok") if leaks(str(r.headers) + r.path)]
    if landed:
        out.append(f"{len(landed)} request(s) with credentials followed the redirect to ok")
    return out


def _redirect(status: int, where: str) -> Handler:
    async def handler(ctx: Ctx) -> web.StreamResponse:
        server = ctx.server
        location = {"peer": lambda: f"{server.peer_url}/x/ok/v1/chat/completions",
                    "alias": lambda: server.target("ok", host="localhost"),
                    "scheme": lambda: server.target("ok").replace("http://", "https://"),
                    "same": lambda: "/x/ok/v1/chat/completions",
                    "self": lambda: f"/x/{ctx.name}/v1/chat/completions",
                    "none": lambda: ""}[where]()
        return web.Response(status=status, headers={"Location": location} if location else {})

    return handler


for _status in (301, 302, 303, 307, 308):
    case(f"redirect-{_status}-cross", "redirect", f"{_status} to another origin (another port).",
         _redirect(_status, "peer"), REDIRECT, server_check=_peer_silent)
for _status in (301, 302, 303):
    case(f"redirect-{_status}-same", "redirect", f"{_status} to the same origin (not a 307/308: not followed).",
         _redirect(_status, "same"), REDIRECT, server_check=_peer_silent)
for _status in (307, 308):
    case(f"redirect-{_status}-same", "redirect", f"{_status} to the same origin, where ok answers (followed).",
         _redirect(_status, "same"), success(HELLO))
case("redirect-alias", "redirect", "307 to the same server under the host name localhost (another origin).",
     _redirect(307, "alias"), REDIRECT, server_check=_peer_silent)
case("redirect-scheme", "redirect", "307 to https on the same host and port (another origin).",
     _redirect(307, "scheme"), REDIRECT, server_check=_peer_silent)
case("redirect-loop", "redirect", "307 to itself, forever.", _redirect(307, "self"), REDIRECT,
     server_check=lambda s, p: [f"the loop was followed {n} times"] if (n := s.hits["redirect-loop"]) > 4 else [])
case("redirect-no-location", "redirect", "302 with no Location header.", _redirect(302, "none"), REDIRECT)
case("redirect-300", "redirect", "300 Multiple Choices to the same origin.", _redirect(300, "same"), REDIRECT)


# ---- (5) size limits (the "limits" client: response_bytes 1 MiB, sse_line_bytes 64 KiB)
async def _endless(ctx: Ctx, piece: bytes, cap: int) -> web.StreamResponse:
    resp = web.StreamResponse(status=200, headers=SSE_CT)
    await resp.prepare(ctx.request)
    while ctx.server.sent[ctx.name] < cap:
        await ctx.write(resp, piece)
    ctx.reset()  # a client that never stopped reading gets a reset, not a success
    return resp


@behaviour("endless-1mb-lines", "size", TOO_LARGE, stream=True, client="limits", fast=False)
async def _endless_lines(ctx: Ctx) -> web.StreamResponse:
    """An endless stream of 1 MiB SSE data lines (each a valid chunk), never finishing."""
    return await _endless(ctx, _line_1mb(), ENDLESS_LINES_CAP)


@behaviour("endless-small-events", "size", TOO_LARGE, stream=True, client="limits", fast=False)
async def _endless_events(ctx: Ctx) -> web.StreamResponse:
    """An endless stream of small content events, never finishing."""
    return await _endless(ctx, _small_events_block(), ENDLESS_EVENTS_CAP)


@behaviour("gzip-bomb-json", "size", TOO_LARGE, client="limits", fast=False)
async def _bomb_json(ctx: Ctx) -> web.StreamResponse:
    """Content-Encoding gzip: ~1 MB on the wire, 256 MiB of whitespace then a valid completion decompressed."""
    return ctx.raw(gzip_bomb("json", BOMB_BYTES), headers={**JSON_CT, "Content-Encoding": "gzip"})


@behaviour("gzip-bomb-sse", "size", TOO_LARGE, stream=True, client="limits", fast=False)
async def _bomb_sse(ctx: Ctx) -> web.StreamResponse:
    """Content-Encoding gzip on a stream: ~1 MB on the wire, 256 MiB of content events decompressed."""
    return ctx.raw(gzip_bomb("sse", BOMB_BYTES), headers={**SSE_CT, "Content-Encoding": "gzip"})


@behaviour("gzip-over-limit", "size", TOO_LARGE, client="limits", fast=False)
async def _gzip_over(ctx: Ctx) -> web.StreamResponse:
    """Content-Encoding gzip: a few KB on the wire, 4 MiB decompressed (the limit counts decompressed bytes)."""
    return ctx.raw(gzip_bomb("json", 4 << 20), headers={**JSON_CT, "Content-Encoding": "gzip"})


@behaviour("unterminated-line", "size", TOO_LARGE, stream=True, client="limits", fast=False)
async def _unterminated(ctx: Ctx) -> web.StreamResponse:
    """One SSE line of 64 MiB that never ends (no newline), sent in 64 KiB writes, then EOF."""
    piece = b"a" * (64 << 10)
    return await ctx.stream([b"data: ", *([piece] * (UNTERMINATED_BYTES // len(piece)))])


@behaviour("huge-body", "size", TOO_LARGE, client="limits", fast=False)
async def _huge_body(ctx: Ctx) -> web.StreamResponse:
    """A valid 8 MiB completion with a Content-Length."""
    return ctx.json(completion("a" * (8 << 20)))


@behaviour("huge-body-chunked", "size", TOO_LARGE, client="limits", fast=False)
async def _huge_chunked(ctx: Ctx) -> web.StreamResponse:
    """A valid 8 MiB completion sent chunked (no Content-Length)."""
    data = dumps(completion("a" * (8 << 20)))
    return await ctx.stream([data[i:i + (64 << 10)] for i in range(0, len(data), 64 << 10)], headers=JSON_CT)


@behaviour("huge-error-body", "size", error("response_too_large", "server", max_s=5.0), client="limits", fast=False)
async def _huge_error(ctx: Ctx) -> web.StreamResponse:
    """A 500 whose JSON error message is 8 MiB."""
    return ctx.json({"error": {"message": "e" * (8 << 20)}}, status=500)


@behaviour("under-limits", "size", success(HELLO), stream=True, client="limits", fast=False)
async def _under(ctx: Ctx) -> web.StreamResponse:
    """A normal stream well under the limits (the limits break nothing)."""
    return await ctx.stream(ok_stream())


# ---- (6) truncation and framing
case("stream-no-end", "truncation", "A stream that closes after content with neither finish_reason nor [DONE].",
     lambda ctx: ctx.stream(events(chunk("hel"), chunk("lo"), done=False)),
     error("truncated", on_error=HELLO), stream=True)
case("stream-finish-no-done", "truncation", "A stream with a finish_reason but no [DONE].",
     lambda ctx: ctx.stream(events(chunk("hel"), chunk("lo", finish="stop"), done=False)), success(HELLO), stream=True)
case("stream-done-no-finish", "truncation", "A stream with [DONE] but no finish_reason.",
     lambda ctx: ctx.stream(events(chunk("hel"), chunk("lo"))), success(HELLO), stream=True)
case("body-no-finish", "truncation", "A whole body whose choice has no finish_reason.", completion(finish=_MISSING),
     success(all_of(HELLO, Check(lambda r: r.finish_reason == "", "finish_reason == ''"))))
case("json-as-sse", "truncation", "A valid chat.completion body served as text/event-stream.",
     lambda ctx: ctx.stream([dumps(completion("hello from json"))]),
     Expect(any_error=True, ok=content_is("hello from json")), stream=True)
case("json-error-as-sse", "truncation", "A JSON error object served as text/event-stream with status 200.",
     lambda ctx: ctx.stream([dumps({"error": {"message": "no", "type": "server_error"}})]),
     Expect(any_error=True), stream=True)
case("html-as-sse", "truncation", "An HTML page served as text/event-stream.",
     lambda ctx: ctx.stream([b"<html><body>Service temporarily unavailable</body></html>"]), MALFORMED, stream=True)
case("empty-sse", "truncation", "A text/event-stream response with no bytes at all.",
     lambda ctx: ctx.stream([]), error("malformed_response", "truncated"), stream=True)
case("sse-comments-only", "truncation", "A stream of keep-alive comments only, then EOF.",
     lambda ctx: ctx.stream([b": keep-alive\n\n"] * 20), error("malformed_response", "truncated"), stream=True)
case("stream-reset", "truncation", "A stream reset by the server (TCP RST) after two chunks.",
     lambda ctx: ctx.stream(events(chunk("hel"), chunk("lo"), done=False), gap=0.01, end="reset"),
     error("stream", "truncated", "connection"), stream=True)
case("body-reset", "truncation", "Half a JSON body, then a TCP reset.",
     lambda ctx: _half_then_reset(ctx), error("stream", "connection", "truncated", "server", "malformed_response"))
case("length-longer", "truncation", "Content-Length 100000 but a complete 200-byte JSON body, then close.",
     lambda ctx: _length_longer(ctx), error("stream", "connection", "truncated", "server", "malformed_response"))
case("length-shorter", "truncation", "Content-Length 10 on a longer JSON body (the client reads 10 bytes).",
     lambda ctx: _length_shorter(ctx), error("server", "malformed_response"))
case("empty-200", "truncation", "HTTP 200, application/json, empty body.", lambda ctx: _raw(ctx, b""),
     error("server", "malformed_response"))


async def _half_then_reset(ctx: Ctx) -> web.StreamResponse:
    data = dumps(completion())
    resp = web.StreamResponse(status=200, headers={**JSON_CT, "Content-Length": str(len(data))})
    await resp.prepare(ctx.request)
    await ctx.write(resp, data[: len(data) // 2])
    await asyncio.sleep(0.02)
    ctx.reset()
    return resp


async def _length_longer(ctx: Ctx) -> web.StreamResponse:
    data = dumps(completion())
    resp = web.StreamResponse(status=200, headers={**JSON_CT, "Content-Length": "100000"})
    await resp.prepare(ctx.request)
    await ctx.write(resp, data)
    await asyncio.sleep(0.02)
    transport = ctx.request.transport
    if transport is not None:
        transport.close()
    return resp


async def _length_shorter(ctx: Ctx) -> web.StreamResponse:
    resp = web.StreamResponse(status=200, headers={**JSON_CT, "Content-Length": "10", "Connection": "close"})
    await resp.prepare(ctx.request)
    await resp.write(dumps(completion()))
    await resp.write_eof()
    return resp


# ---- (11) timeouts (each call: mm.Timeout(total=5, connect=1, idle=0.5) unless said otherwise)
_IDLE = (5.0, 1.0, 0.5)
_BY_IDLE = {"message_has": ("idle",), "max_s": 2.5, "min_s": 0.4}


@behaviour("stall-before-headers", "timeout", error("timeout", **_BY_IDLE), timeout=_IDLE, fast=False)
async def _stall_head(ctx: Ctx) -> web.StreamResponse:
    """Accepts the request and never answers."""
    await ctx.stall()
    return web.Response(status=503)


@behaviour("stall-after-headers", "timeout", error("timeout", **_BY_IDLE), stream=True, timeout=_IDLE, fast=False)
async def _stall_headers(ctx: Ctx) -> web.StreamResponse:
    """Sends the headers of a stream, then nothing."""
    return await ctx.stream([], end="stall")


@behaviour("stall-after-headers-json", "timeout", error("timeout", **_BY_IDLE), timeout=_IDLE, fast=False)
async def _stall_headers_json(ctx: Ctx) -> web.StreamResponse:
    """Sends JSON headers with Content-Length 500, then no body."""
    return await ctx.stream([], headers={**JSON_CT, "Content-Length": "500"}, end="stall")


@behaviour("stall-mid-stream", "timeout", error("timeout", on_error=HELLO, **_BY_IDLE), stream=True, timeout=_IDLE,
           fast=False)
async def _stall_mid(ctx: Ctx) -> web.StreamResponse:
    """Streams hel, lo, then stalls forever (what arrived is kept)."""
    return await ctx.stream(events(chunk("hel"), chunk("lo"), done=False), end="stall")


@behaviour("trickle-1s", "timeout", error("timeout", **_BY_IDLE), stream=True, timeout=_IDLE, fast=False)
async def _trickle(ctx: Ctx) -> web.StreamResponse:
    """Sends stream headers, then one byte a second, forever."""
    resp = web.StreamResponse(status=200, headers=SSE_CT)
    await resp.prepare(ctx.request)
    while not ctx.server._closing.is_set():  # type: ignore[union-attr]
        await asyncio.sleep(1.0)
        await ctx.write(resp, b" ")
    return resp


@behaviour("trickle-fast", "timeout", error("timeout", message_has=("total",), max_s=3.5, min_s=1.8), stream=True,
           timeout=(2.0, 1.0, 0.5), fast=False)
async def _trickle_fast(ctx: Ctx) -> web.StreamResponse:
    """Sends stream headers, then a blank line every 0.1 s (never idle), forever: only the total limit ends it."""
    resp = web.StreamResponse(status=200, headers=SSE_CT)
    await resp.prepare(ctx.request)
    await ctx.write(resp, event(chunk("hel")))
    while not ctx.server._closing.is_set():  # type: ignore[union-attr]
        await asyncio.sleep(0.1)
        await ctx.write(resp, b"\n")
    return resp


@behaviour("head-trickle", "timeout", error("timeout", message_has=("total",), max_s=3.5, min_s=1.8),
           timeout=(2.0, 1.0, 0.5), fast=False)
async def _head_trickle(ctx: Ctx) -> web.StreamResponse:
    """Writes the response head one header line every 0.1 s, forever (the head never completes)."""
    transport = ctx.request.transport
    assert transport is not None
    transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
    n = 0
    while not ctx.server._closing.is_set() and not transport.is_closing():  # type: ignore[union-attr]
        await asyncio.sleep(0.1)
        transport.write(b"x-pad-%d: y\r\n" % n)
        n += 1
    transport.close()
    raise asyncio.CancelledError


# retry-after of absurd values: the call ends at once (retries=0); the next call must not wait for it
for _name, _headers in [("retry-after-huge", {"retry-after": "999999999"}),
                        ("retry-after-inf", {"retry-after": "inf"}),
                        ("retry-after-nan", {"retry-after": "nan"}),
                        ("retry-after-negative", {"retry-after": "-30"}),
                        ("retry-after-year-9999", {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"}),
                        ("retry-after-ms-huge", {"retry-after-ms": "1e15"})]:
    case(_name, "timeout", f"429 with {next(iter(_headers))}: {next(iter(_headers.values()))}.",
         functools.partial(lambda ctx, h: _raw(ctx, b'{"error":{"message":"slow down"}}', 429, {**JSON_CT, **h}),
                           h=_headers), error("rate_limit", max_s=3.0), fast=False)


# ---- other hostile HTTP
case("invalid-utf8-body", "misc", "The content holds bytes that are not UTF-8 (\\xff\\xfe).",
     lambda ctx: _raw(ctx, dumps(completion("hel__lo")).replace(b"__", b"\xff\xfe")),
     tolerated(Check(lambda r: r.content.startswith("hel"), "content starts with hel"), "malformed_response",
               "server"))
case("invalid-utf8-stream", "misc", "A streamed chunk whose content holds bytes that are not UTF-8.",
     lambda ctx: ctx.stream([event(chunk("hel")), event(chunk("l__o", finish="stop")).replace(b"__", b"\xc3\x28"),
                             DONE]),
     tolerated(content_has("hel"), "malformed_response", "stream"), stream=True)
case("nul-in-content", "misc", "The content holds NUL characters (escaped \\u0000).", completion("a\u0000b\u0000"),
     success(content_is("a\x00b\x00")))
case("nul-raw-in-stream", "misc", "A raw NUL byte inside an SSE data line, outside any JSON string.",
     lambda ctx: ctx.stream([event(chunk("hel")), b"data: \x00" + dumps(chunk("lo", finish="stop")) + b"\n\n", DONE]),
     tolerated(content_has("hel"), "malformed_response", "stream"), stream=True)
case("status-201", "misc", "HTTP 201 with a valid completion.", lambda ctx: _raw(ctx, dumps(completion()), 201),
     tolerated(HELLO, "malformed_response", "server"))
case("status-204", "misc", "HTTP 204 No Content.", lambda ctx: _raw(ctx, b"", 204),
     error("server", "malformed_response"))
case("status-206", "misc", "HTTP 206 Partial Content with the first half of a completion.",
     lambda ctx: _raw(ctx, dumps(completion())[:40], 206, {**JSON_CT, "Content-Range": "bytes 0-39/200"}),
     error("server", "malformed_response"))
case("status-299", "misc", "HTTP 299 (an unassigned 2xx) with a valid completion.",
     lambda ctx: _raw(ctx, dumps(completion()), 299), tolerated(HELLO, "malformed_response", "server"))
case("duplicate-headers", "misc", "Two Content-Type and three x-request-id headers.",
     lambda ctx: _raw(ctx, dumps(completion()), 200, CIMultiDict([
         ("Content-Type", "application/json"), ("Content-Type", "application/json; charset=utf-8"),
         ("x-request-id", "a"), ("x-request-id", "b"), ("x-request-id", "c")])),
     success(all_of(HELLO, Check(lambda r: isinstance(r.request_id, str), "request_id is a str"))))
case("huge-header", "misc", "A 100 KB x-request-id header.",
     lambda ctx: _raw(ctx, dumps(completion()), 200, {**JSON_CT, "x-request-id": "r" * 100_000}),
     Expect(any_error=True, ok=HELLO))
case("many-headers", "misc", "2,000 response headers.",
     lambda ctx: _raw(ctx, dumps(completion()), 200, CIMultiDict(
         [("Content-Type", "application/json"), *((f"x-h{i}", "v") for i in range(2000))])),
     Expect(any_error=True, ok=HELLO))
case("content-type-upper", "misc", "A stream labelled TEXT/EVENT-STREAM (media types are case-insensitive).",
     lambda ctx: ctx.stream(ok_stream(), headers={"Content-Type": "TEXT/EVENT-STREAM; Charset=UTF-8"}),
     success(HELLO), stream=True)
case("content-type-missing", "misc", "A valid JSON completion with no Content-Type.",
     lambda ctx: _raw(ctx, dumps(completion()), 200, {}), success(HELLO))
case("sse-cr-only", "misc", "A stream whose lines end in a bare CR (allowed by the SSE spec).",
     lambda ctx: ctx.stream([p.replace(b"\n", b"\r") for p in ok_stream()]),
     tolerated(HELLO, "malformed_response", "stream", "truncated"), stream=True)
case("sse-bom", "misc", "A stream that starts with a UTF-8 byte order mark.",
     lambda ctx: ctx.stream([b"\xef\xbb\xbf" + ok_stream()[0], *ok_stream()[1:]]),
     tolerated(content_has("lo"), "malformed_response", "stream"), stream=True)
case("sse-multiline-data", "misc", "A chunk split over three data: lines of one event.",
     lambda ctx: ctx.stream([b"data: " + dumps(chunk("hel")).replace(b",", b",\ndata: ", 2) + b"\n\n",
                             event(chunk("lo", finish="stop")), DONE]), success(HELLO), stream=True)
case("sse-after-done", "misc", "A stream that keeps sending content after [DONE].",
     lambda ctx: ctx.stream([*ok_stream(), event(chunk(" and more"))]), success(HELLO), stream=True)
case("sse-one-byte-writes", "misc", "A normal stream written one byte per TCP write.",
     lambda ctx: ctx.stream([bytes([b]) for b in b"".join(ok_stream())]), success(HELLO), stream=True)
case("gzip-garbage", "misc", "Content-Encoding gzip on a body that is not gzip.",
     lambda ctx: _raw(ctx, dumps(completion()), 200, {**JSON_CT, "Content-Encoding": "gzip"}),
     error("stream", "connection", "server", "malformed_response"))
case("encoding-unknown", "misc", "Content-Encoding x-hostile (unknown) on a plain JSON body.",
     lambda ctx: _raw(ctx, dumps(completion()), 200, {**JSON_CT, "Content-Encoding": "x-hostile"}),
     Expect(any_error=True, ok=HELLO))
case("many-tool-calls", "misc", "A completion with 5,000 tool calls.",
     completion(message=tool_message([call(id=f"c{i}", arguments=f'{{"i":{i}}}') for i in range(5000)]),
                finish="tool_calls"),
     success(Check(lambda r: len(r.tool_calls) == 5000, "5000 tool calls")))
case("duplicate-tool-ids", "misc", "Three tool calls sharing one id.",
     completion(message=tool_message([call(id="same"), call(id="same"), call(id="same")]), finish="tool_calls"),
     success(Check(lambda r: len({t.id for t in r.tool_calls}) == 3, "three distinct ids")))
case("html-error-page", "misc", "503 with an HTML error page.",
     lambda ctx: _raw(ctx, b"<html><body><h1>503 Service Unavailable</h1></body></html>", 503,
                      {"Content-Type": "text/html"}), error("overloaded"))
case("error-body-junk-types", "misc", "500 whose error object has message 7, code [1] and metadata \"x\".",
     lambda ctx: _raw(ctx, dumps({"error": {"message": 7, "code": [1], "type": {"a": 1}, "metadata": "x"}}), 500),
     error("server"))


@behaviour("flaky-429", "misc", error("rate_limit"), fast=False)
async def _flaky(ctx: Ctx) -> web.StreamResponse:
    """Every odd-numbered request gets 429 with retry-after 0, every even-numbered one a good answer."""
    if ctx.server.hits[ctx.name] % 2:
        return ctx.json({"error": {"message": "slow down"}}, 429, {"retry-after": "0"})
    return ctx.json(completion())
case("usage-only-stream", "misc", "A stream with only a usage chunk and [DONE] (no choices ever).",
     lambda ctx: ctx.stream(events(chunk(choices=[], usage=USAGE))), Expect(any_error=True, ok=ANY), stream=True)


def by_family() -> dict[str, list[Behaviour]]:
    out: dict[str, list[Behaviour]] = {f: [] for f in FAMILIES}
    for b in BEHAVIOURS.values():
        out[b.family].append(b)
    return out


__all__ = ["BEHAVIOURS", "CANARY", "CANARY2", "FAMILIES", "REDACTED", "SECRETS", "Behaviour", "Check", "Expect",
           "HostileServer", "by_family", "leaks", "provider_entry", "result_problems"]
