"""The event loop every request runs on, and the transport seam that carries the bytes.

The seam is one call, ``await transport.post(url, headers, payload, timeout)``, returning a
:class:`Response` (status, case-insensitive headers, the body read whole or as a byte stream); failures
below HTTP raise :class:`TransportError`. :class:`Timeout` (connect, idle, total) and :class:`Limits` (bytes
held per response, longest SSE line) are the bounds a hostile or stalled endpoint meets.
:class:`AiohttpTransport` is the real one; a :class:`ReplayTransport` answers from a function in-process
(recorded responses, tests, the probe's fixtures), the way httpx lets its transport be swapped.

All network I/O runs on one dedicated event-loop thread with one aiohttp session. That makes the sync
API work the same in a script and inside a running Jupyter kernel (no nest_asyncio), keeps connections
pooled across calls and cells, and stamps token arrival times on a loop that the notebook's own work
(widgets, plotting) cannot stall. aiohttp + orjson were chosen by measurement: about a tenth of the
client CPU per request of httpx + json (see benchmarks/).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

T = TypeVar("T")


class _LoopThread:
    """A daemon thread running an asyncio loop, started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None

    def ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self.loop is not None and self.thread is not None and self.thread.is_alive():
                return self.loop
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            thread = threading.Thread(target=run, name="multimodel-io", daemon=True)
            thread.start()
            ready.wait()
            # a loop that died (it never should: see _guarded) leaves a session bound to it: start afresh
            self.loop, self.thread, self._session = loop, thread, None
            return loop

    def alive(self, loop: asyncio.AbstractEventLoop) -> bool:
        """True while ``loop`` is the running I/O loop (False once its thread has died)."""
        return self.loop is loop and self.thread is not None and self.thread.is_alive()

    def session(self) -> aiohttp.ClientSession:
        """The shared session; only call from the loop thread."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=True,
                timeout=aiohttp.ClientTimeout(total=None),
                skip_auto_headers=("User-Agent",),
                headers={"User-Agent": "multimodel"},
            )
        return self._session

    def shutdown(self) -> None:
        loop = self.loop
        if loop is None or not loop.is_running():
            return
        session = self._session
        if session is not None and not session.closed:
            fut = asyncio.run_coroutine_threadsafe(session.close(), loop)
            with contextlib.suppress(Exception):  # best effort at interpreter exit
                fut.result(timeout=2)
        loop.call_soon_threadsafe(loop.stop)


IO = _LoopThread()
atexit.register(IO.shutdown)


def io_loop() -> asyncio.AbstractEventLoop:
    """The I/O loop (started on first use)."""
    return IO.ensure()


def on_io_loop() -> bool:
    """True when called from code already running on the I/O loop."""
    try:
        return asyncio.get_running_loop() is IO.loop
    except RuntimeError:
        return False


class _Escaped(Exception):
    """Carries a SystemExit / KeyboardInterrupt raised on the I/O loop (by a user's callback) back to the caller's
    thread, so that it stops the caller, not the loop every Client shares."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(repr(exc))
        self.exc = exc


async def _guarded(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return await coro
    except (SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
        raise _Escaped(exc) from None


def _wait(fut: concurrent.futures.Future[T], loop: asyncio.AbstractEventLoop) -> T:
    """The future's result; a RuntimeError instead of a hang if the loop's thread dies meanwhile."""
    while True:
        try:
            return fut.result(timeout=1.0)
        except concurrent.futures.TimeoutError:
            if not IO.alive(loop):
                raise RuntimeError("multimodel's I/O thread stopped during this call; the next call starts a "
                                   "fresh one") from None
        except _Escaped as escaped:
            raise escaped.exc from None


def submit(coro: Coroutine[Any, Any, T]) -> tuple[concurrent.futures.Future[T], asyncio.AbstractEventLoop]:
    """Start a coroutine on the I/O loop without waiting (a batch the caller polls); the loop it runs on comes
    back too, for ``IO.alive``. SystemExit / KeyboardInterrupt inside it end the coroutine, not the loop."""
    loop = io_loop()
    return asyncio.run_coroutine_threadsafe(_guarded(coro), loop), loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the I/O loop and wait for it; Ctrl-C / the kernel's stop button cancels it."""
    if on_io_loop():
        coro.close()
        raise RuntimeError("a blocking multimodel call was made from the I/O loop; use the async variant")
    loop = io_loop()
    fut = asyncio.run_coroutine_threadsafe(_guarded(coro), loop)
    try:
        return _wait(fut, loop)
    except KeyboardInterrupt:
        fut.cancel()
        with contextlib.suppress(concurrent.futures.CancelledError, concurrent.futures.TimeoutError, Exception):
            fut.result(timeout=5)
        raise


async def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Await a coroutine on the I/O loop from any other event loop (a notebook's, a user's)."""
    if on_io_loop():
        return await coro
    fut = asyncio.run_coroutine_threadsafe(_guarded(coro), io_loop())
    try:
        return await asyncio.wrap_future(fut)
    except asyncio.CancelledError:
        fut.cancel()
        raise
    except _Escaped as escaped:
        raise escaped.exc from None


# ---------------------------------------------------------------------------------- bounds
@dataclass(frozen=True, slots=True)
class Timeout:
    """How long one attempt may take, in three parts (seconds): ``connect`` (TCP + TLS), ``idle`` (the longest
    silence tolerated while waiting for the response head and between body chunks: a stalled endpoint fails
    here and is retried) and ``total`` (the whole call, retries included). A number given where a Timeout is
    expected is the total and the idle limit both (someone who asks for 1200 s expects a 15-minute think to
    finish); the default's idle is 300 s. Raise ``idle`` for non-streamed calls to models that think for
    minutes: their answer arrives all at once at the end, so the wait for it is one silence."""

    total: float = 600.0
    connect: float = 10.0
    idle: float = 300.0

    @staticmethod
    def of(value: Timeout | float) -> Timeout:
        """A Timeout from a Timeout or a total in seconds (then idle is the total, and connect at most 10 s)."""
        if isinstance(value, Timeout):
            return value
        total = float(value)
        return Timeout(total=total, connect=min(10.0, total), idle=total)

    def problem(self) -> str | None:
        """What is wrong with these values, or None: each part a positive, finite number of seconds."""
        for name in ("total", "connect", "idle"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                return f"Timeout.{name}={value!r}: each part is a positive, finite number of seconds"
        return None


@dataclass(frozen=True, slots=True)
class Limits:
    """The most one response may hold: ``response_bytes`` of body (counted after decompression, so a gzip bomb
    stops here too) and ``sse_line_bytes`` for one line of a stream. Past either, the answer is an error row of
    kind ``response_too_large``; memory stays bounded whatever a server sends."""

    response_bytes: int = 64 * 2**20
    sse_line_bytes: int = 16 * 2**20

    def problem(self) -> str | None:
        """What is wrong with these values, or None: each a positive whole number of bytes."""
        for name in ("response_bytes", "sse_line_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                return f"Limits.{name}={value!r}: each limit is a positive whole number of bytes"
        return None


# ---------------------------------------------------------------------------------- the transport seam
ErrorKind = Literal["timeout", "broken", "connection", "too_large"]


class TransportError(Exception):
    """A failure below HTTP. ``kind``: ``timeout`` (no complete answer in time), ``broken`` (the body broke
    off mid-response), ``connection`` (the connection failed or closed: a stream error once the body had
    started, else a connection error) or ``too_large`` (the body passed :class:`Limits`)."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class Response(Protocol):
    """What a transport returns: read the body whole (``read``) or as it arrives (``chunks``), once."""

    status: int
    headers: Mapping[str, str]  # case-insensitive

    async def read(self) -> bytes: ...

    def chunks(self) -> AsyncIterator[bytes]: ...

    def close(self) -> None: ...


class Transport(Protocol):
    """Carries one POST (a request), GET (a provider's model list, a batch's state or results) or DELETE (a batch's
    files once collected); raises TransportError for failures below HTTP, never for an HTTP status. Redirects are
    never followed to another origin: a 3xx comes back as is."""

    async def post(self, url: str, headers: Mapping[str, str], payload: bytes,
                   timeout: Timeout | float) -> Response: ...

    async def get(self, url: str, headers: Mapping[str, str], timeout: Timeout | float) -> Response: ...

    async def delete(self, url: str, headers: Mapping[str, str], timeout: Timeout | float) -> Response: ...


async def limited_chunks(resp: Response, limit: int) -> AsyncIterator[bytes]:
    """The body's pieces as they arrive; TransportError ``too_large`` once they pass ``limit`` bytes in all (one
    home for Limits.response_bytes: whole bodies and streams alike)."""
    size = 0
    async for data in resp.chunks():
        size += len(data)
        if size > limit:
            raise TransportError("too_large", f"the response passed {limit:,} bytes (Limits.response_bytes)")
        yield data


async def read_limited(resp: Response, limit: int) -> bytes:
    """The whole body, read piece by piece so that no more than ``limit`` bytes are ever held."""
    return b"".join([data async for data in limited_chunks(resp, limit)])


class _AiohttpResponse:
    __slots__ = ("_resp", "headers", "status")

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status = resp.status
        self.headers = resp.headers

    async def read(self) -> bytes:
        try:
            return await self._resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_error(exc) from None

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for data in self._resp.content.iter_any():
                yield data
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_error(exc) from None

    def close(self) -> None:
        self._resp.release()


def _transport_error(exc: BaseException) -> TransportError:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TransportError("timeout", "connect: no connection within the connect limit")
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return TransportError("timeout", "idle: the server went silent for longer than the idle limit")
    if isinstance(exc, TimeoutError):
        return TransportError("timeout", "total: no complete answer within the total limit")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return TransportError("broken", f"the connection broke mid-response: {exc}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return TransportError("connection", "the server closed the connection before answering in full")
    if isinstance(exc, aiohttp.ClientConnectionError):
        return TransportError("connection", f"connection failed: {type(exc).__name__}: {exc}")
    return TransportError("connection", f"{type(exc).__name__}: {exc}")


def _client_timeout(timeout: Timeout | float) -> aiohttp.ClientTimeout:
    t = Timeout.of(timeout)
    return aiohttp.ClientTimeout(total=t.total, sock_connect=t.connect, sock_read=t.idle)


def same_origin(a: str, b: str) -> bool:
    """True when two URLs share scheme, host and port: the only place credentials may follow a redirect."""
    def origin(url: str) -> tuple[str, str | None, int | None]:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:  # a port that is not a number: no origin matches it
            return ("", None, None)
        return parts.scheme, parts.hostname, port or {"http": 80, "https": 443}.get(parts.scheme)

    return origin(a) == origin(b)


MAX_REDIRECTS = 3


class AiohttpTransport:
    """The real transport: the shared aiohttp session on the I/O loop (pooled connections, gzip). Redirects are
    followed only within the origin and only where the method and body are kept (307, 308; at most three
    hops): credentials, ``default_headers`` included, never reach another server."""

    async def post(self, url: str, headers: Mapping[str, str], payload: bytes,
                   timeout: Timeout | float) -> Response:
        return await self._request("POST", url, headers, payload, timeout)

    async def get(self, url: str, headers: Mapping[str, str], timeout: Timeout | float) -> Response:
        return await self._request("GET", url, headers, None, timeout)

    async def delete(self, url: str, headers: Mapping[str, str], timeout: Timeout | float) -> Response:
        return await self._request("DELETE", url, headers, None, timeout)

    @staticmethod
    async def _request(method: str, url: str, headers: Mapping[str, str], payload: bytes | None,
                       timeout: Timeout | float) -> Response:
        bounds = Timeout.of(timeout)
        deadline = time.monotonic() + bounds.total  # one total for the call, however many hops
        for _ in range(MAX_REDIRECTS + 1):
            left = max(0.001, deadline - time.monotonic())
            try:
                resp = await IO.session().request(method, url, data=payload, headers=headers,
                                                  timeout=_client_timeout(replace(bounds, total=left)),
                                                  allow_redirects=False)
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise _transport_error(exc) from None
            location = resp.headers.get("location", "")
            target = urljoin(url, location) if location else ""
            if resp.status not in (307, 308) or not target or not same_origin(url, target):
                return _AiohttpResponse(resp)
            resp.release()
            url = target
        return _AiohttpResponse(resp)

    def __repr__(self) -> str:
        return "<AiohttpTransport>"


@dataclass
class Reply:
    """A canned answer for ReplayTransport: the body whole (bytes) or as the pieces a stream delivers."""

    status: int = 200
    headers: Mapping[str, str] | None = None
    body: bytes | Iterable[bytes] = b""


class _ReplayResponse:
    __slots__ = ("_body", "headers", "status")

    def __init__(self, reply: Reply) -> None:
        self.status = reply.status
        self.headers = CIMultiDictProxy(CIMultiDict(reply.headers or {}))
        self._body = reply.body

    async def read(self) -> bytes:
        return self._body if isinstance(self._body, bytes) else b"".join(self._body)

    async def chunks(self) -> AsyncIterator[bytes]:
        for piece in [self._body] if isinstance(self._body, bytes) else self._body:
            yield piece

    def close(self) -> None:
        pass


class ReplayTransport:
    """Answers every request in-process from ``handler(url, headers, payload) -> Reply`` (or raises
    TransportError): recorded responses replayed through the client's whole normalization path. A GET (a
    model list) reaches the handler with an empty payload."""

    def __init__(self, handler: Callable[[str, Mapping[str, str], bytes], Reply]) -> None:
        self.handler = handler

    async def post(self, url: str, headers: Mapping[str, str], payload: bytes,
                   timeout: Timeout | float) -> Response:
        return _ReplayResponse(self.handler(url, headers, payload))

    async def get(self, url: str, headers: Mapping[str, str], timeout: Timeout | float) -> Response:
        return _ReplayResponse(self.handler(url, headers, b""))

    async def delete(self, url: str, headers: Mapping[str, str], timeout: Timeout | float) -> Response:
        return _ReplayResponse(self.handler(url, headers, b""))

    def __repr__(self) -> str:
        return f"<ReplayTransport {getattr(self.handler, '__name__', 'handler')}>"
