"""The event loop and HTTP session every request runs on.

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
from collections.abc import Coroutine
from typing import Any, TypeVar

import aiohttp

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
