"""The event loop every request runs on, and the transport seam that carries the bytes.

The seam is one call, ``await transport.post(url, headers, payload, timeout)``, returning a
:class:`Response` (status, case-insensitive headers, the body read whole or as a byte stream); failures
below HTTP raise :class:`TransportError`. :class:`AiohttpTransport` is the real one; a
:class:`ReplayTransport` answers from a function in-process (recorded responses, tests, the probe's
fixtures), the way httpx lets its transport be swapped.

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
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

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
            self.loop, self.thread = loop, thread
            return loop

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


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the I/O loop and wait for it; Ctrl-C / the kernel's stop button cancels it."""
    if on_io_loop():
        coro.close()
        raise RuntimeError("a blocking multimodel call was made from the I/O loop; use the async variant")
    fut = asyncio.run_coroutine_threadsafe(coro, io_loop())
    try:
        return fut.result()
    except KeyboardInterrupt:
        fut.cancel()
        with contextlib.suppress(concurrent.futures.CancelledError, concurrent.futures.TimeoutError, Exception):
            fut.result(timeout=5)
        raise


async def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Await a coroutine on the I/O loop from any other event loop (a notebook's, a user's)."""
    if on_io_loop():
        return await coro
    fut = asyncio.run_coroutine_threadsafe(coro, io_loop())
    try:
        return await asyncio.wrap_future(fut)
    except asyncio.CancelledError:
        fut.cancel()
        raise


# ---------------------------------------------------------------------------------- the transport seam
class TransportError(Exception):
    """A failure below HTTP. ``kind``: ``timeout`` (no complete answer in time), ``broken`` (the body broke
    off mid-response) or ``connection`` (the connection failed or closed: a stream error once the body had
    started, else a connection error)."""

    def __init__(self, kind: Literal["timeout", "broken", "connection"], message: str) -> None:
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
    """Carries one POST (a request) or GET (a provider's model list); raises TransportError for failures below
    HTTP, never for an HTTP status."""

    async def post(self, url: str, headers: Mapping[str, str], payload: bytes, timeout: float) -> Response: ...

    async def get(self, url: str, headers: Mapping[str, str], timeout: float) -> Response: ...


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
    if isinstance(exc, TimeoutError):
        return TransportError("timeout", "no complete answer in time")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return TransportError("broken", f"the connection broke mid-response: {exc}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return TransportError("connection", "the server closed the connection before answering in full")
    if isinstance(exc, aiohttp.ClientConnectionError):
        return TransportError("connection", f"connection failed: {type(exc).__name__}: {exc}")
    return TransportError("connection", f"{type(exc).__name__}: {exc}")


class AiohttpTransport:
    """The real transport: the shared aiohttp session on the I/O loop (pooled connections, gzip)."""

    async def post(self, url: str, headers: Mapping[str, str], payload: bytes, timeout: float) -> Response:
        try:
            resp = await IO.session().post(url, data=payload, headers=headers,
                                           timeout=aiohttp.ClientTimeout(total=timeout))
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_error(exc) from None
        return _AiohttpResponse(resp)

    async def get(self, url: str, headers: Mapping[str, str], timeout: float) -> Response:
        try:
            resp = await IO.session().get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout))
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _transport_error(exc) from None
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

    async def post(self, url: str, headers: Mapping[str, str], payload: bytes, timeout: float) -> Response:
        return _ReplayResponse(self.handler(url, headers, payload))

    async def get(self, url: str, headers: Mapping[str, str], timeout: float) -> Response:
        return _ReplayResponse(self.handler(url, headers, b""))

    def __repr__(self) -> str:
        return f"<ReplayTransport {getattr(self.handler, '__name__', 'handler')}>"
