"""The in-process simulator: a :class:`~.server.SimServer` on its own event loop in a daemon thread.

Every simulator holds a listening socket, an event loop (with its self-pipe and selector) and a thread
until it is stopped, so nothing here may start one and forget it:

- ``start()`` returns a handle the caller stops (``stop()`` or ``with``);
- ``handle.bind(owner)`` ties a simulator to an object (a simulated Client): it stops when the owner is
  garbage-collected, unless stopped before;
- ``shared()`` hands out one simulator no owner holds, started once and reused for the whole process;
- at interpreter exit every simulator still running is stopped.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import threading
import weakref
from collections.abc import Callable
from typing import Any

from .catalogue import DIALECTS
from .server import SimServer

#: where a provider's other APIs live, after its segment, when not at /v1 (the provider's own URL shape)
_API_PATHS = {("deepseek", "messages"): "/anthropic", ("deepseek", "responses"): ""}

# RLock: a finalizer (stop_soon) may run on a thread that already holds it, during a garbage collection
_RUNNING_LOCK = threading.RLock()
_RUNNING: list[SimHandle] = []
EXIT_JOIN_S = 2.0  # at exit, how long to wait in all for the simulators' threads to finish


class SimHandle:
    """A simulator running in a daemon thread with its own event loop."""

    def __init__(self, server: SimServer, host: str, port: int) -> None:
        self._server = server
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._finalizer: weakref.finalize | None = None
        self.url = ""
        self._stopped = False

    # lifecycle
    def _start(self) -> None:
        """Start the loop thread and return once the server listens (a bind error is raised here)."""
        ready = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                box["url"] = loop.run_until_complete(self._server.start(self._host, self._port))
            except BaseException as e:  # report bind errors to the caller
                box["error"] = e
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                with contextlib.suppress(Exception):
                    loop.run_until_complete(self._server.stop())
                _cancel_leftovers(loop)
                loop.close()

        self._thread = threading.Thread(target=run, name="multimodel-sim", daemon=True)
        self._thread.start()
        ready.wait()
        if "error" in box:
            raise box["error"]
        self.url = box["url"]
        with _RUNNING_LOCK:
            _RUNNING.append(self)

    def _call(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run ``fn`` on the simulator's loop (its state belongs to that thread) and return its result."""
        if self._stopped or self._loop is None:
            raise RuntimeError("this simulator has been stopped")

        async def run() -> Any:
            return fn(*args, **kw)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    @property
    def running(self) -> bool:
        """Whether the server still listens (not stopped, thread alive)."""
        return not self._stopped and self._thread is not None and self._thread.is_alive()

    def bind(self, owner: object) -> SimHandle:
        """Tie this simulator's life to ``owner``: it stops when ``owner`` is garbage-collected (or at exit),
        unless stopped before. Returns the handle. A simulated Client binds the simulator it starts."""
        finalizer = weakref.finalize(owner, self.stop_soon)
        finalizer.atexit = False  # the module's exit hook stops (and waits for) every simulator still running
        self._finalizer = finalizer
        return self

    @property
    def owner(self) -> object | None:
        """The object this simulator is bound to (see bind), None when unbound, stopped or the owner is gone."""
        info = self._finalizer.peek() if self._finalizer is not None else None
        return info[0] if info else None

    def stop_soon(self) -> bool:
        """Ask the server to shut down without waiting for it; False if it was already stopped.

        Safe from any thread, a finalizer during garbage collection included (even on the simulator's own
        thread): it only flags the handle and schedules ``loop.stop``; the thread then closes the server."""
        with _RUNNING_LOCK:
            if self._stopped:
                return False
            self._stopped = True
            if self in _RUNNING:
                _RUNNING.remove(self)
        if self._finalizer is not None:
            self._finalizer.detach()  # the owner no longer keeps this handle in the finalizer registry
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(loop.stop)
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and wait (up to ``timeout`` s) for its thread, so its socket and thread are gone."""
        self.stop_soon()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=timeout)

    def __enter__(self) -> SimHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<multimodel.sim {self.url or '(not started)'}{' stopped' if self._stopped else ''}>"

    # API
    def base_url(self, dialect: str, api: str = "chat") -> str:
        """The base URL this simulator serves for ``dialect`` and ``api``, shaped like the provider's own (chat:
        ``…/anthropic/v1``; DeepSeek's Anthropic endpoint ``…/deepseek/anthropic``, its Responses ``…/deepseek``)."""
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; known: {', '.join(DIALECTS)}")
        if api not in ("chat", "messages", "responses"):
            raise ValueError(f"unknown api {api!r}; known: chat, messages, responses")
        return f"{self.url}/{dialect}{_API_PATHS.get((dialect, api), '/v1')}"

    def set_faults(self, faults: dict[str, Any] | None, provider: str | None = None, model: str | None = None) -> None:
        """Set (or with None/{} clear) the faults of a scope."""
        self._call(self._server.configure, {"faults": faults, "provider": provider, "model": model})

    def set_limits(self, rpm: int | None = None, tpm: int | None = None, provider: str | None = None,
                   model: str | None = None, *, rpd: int | None = None, itpm: int | None = None,
                   otpm: int | None = None, burst: float | None = None) -> None:
        """Set (or with all None clear) a scope's limits: per minute (rpm, tpm; itpm/otpm for Anthropic's separate
        input/output limits) enforced as buckets holding ``burst`` seconds' worth (default 1), and rpd per day."""
        self._call(self._server.configure, {"limits": {"rpm": rpm, "tpm": tpm, "rpd": rpd, "itpm": itpm, "otpm": otpm,
                                                       "burst": burst}, "provider": provider, "model": model})

    def set_batch_faults(self, faults: dict[str, Any] | None, provider: str | None = None) -> None:
        """Set (or with None/{} clear) the batch faults of a provider (or of all).

        Lines: ``line_4xx`` / ``line_5xx`` (the fraction answered with a model-level 400 or a 5xx), ``expire_after``
        (the batch expires once that fraction is done), ``fail`` (the whole batch fails at validation),
        ``drop_lines`` (that many lines missing from a completed batch's results). The Batch API calls themselves:
        ``create_5xx_after_accept`` / ``create_reset_after_accept`` (the next N creates make the batch, then answer
        500 or reset), ``poll_5xx`` / ``poll_429`` (fractions of retrieves), ``download_fail`` (the next N result
        downloads answer 503), ``results_gone`` (404 on results once ended), ``stuck`` ("finalizing" or
        "cancelling": never leaves it), ``no_files`` / ``no_cancel`` (those routes answer 404; ``no_files`` is on
        by default for gemini, whose compatibility layer serves no Files route). See sim/batches.py."""
        self._call(self._server.configure, {"batch_faults": faults, "provider": provider})

    def set_batch_time(self, seconds: float) -> None:
        """How long a batch takes from creation to its end (the compressed 24-hour window)."""
        self._call(self._server.configure, {"batch_s": seconds})

    def stats(self) -> dict[str, Any]:
        """Counters: received, completed, duplicates, per dialect/model/outcome, faults and limits."""
        return self._call(self._server.stats)

    def requests(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The most recent per-request records (at most ``server.MAX_RECORDS`` are kept), oldest first."""
        return self._call(self._server.request_records, limit)

    def reset(self) -> None:
        """Clear counters, records, faults, limits, the prompt cache and the sampling draws (so the answers that
        follow are the ones a fresh simulator with the same seed gives)."""
        self._call(self._server.reset)


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks still pending after the server closed (a hung request) and let them finish."""
    with contextlib.suppress(Exception):
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def start(port: int = 0, seed: int = 0, latency_scale: float = 1.0, faults: dict[str, Any] | None = None,
          host: str = "127.0.0.1", answer_tokens: int | None = None,
          limits: dict[str, Any] | None = None, fault_retry_after_s: float | None = None, batch_s: float = 2.0,
          batch_faults: dict[str, Any] | None = None) -> SimHandle:
    """Start a simulator in a background thread and return once it is listening; the caller stops it.

    ``batch_s``: how long a Batch API batch takes to run (its 24-hour window compressed); ``batch_faults``: the
    batch faults of every provider (see ``SimHandle.set_batch_faults``)."""
    server = SimServer(seed=seed, latency_scale=latency_scale, faults=faults, answer_tokens=answer_tokens,
                       limits=limits, fault_retry_after_s=fault_retry_after_s, batch_s=batch_s,
                       batch_faults=batch_faults)
    handle = SimHandle(server, host, port)
    handle._start()
    return handle


def running() -> SimHandle | None:
    """The most recently started simulator of this process that is still running, or None."""
    with _RUNNING_LOCK:
        for h in reversed(_RUNNING):
            if h.running:
                return h
    return None


def shared() -> SimHandle:
    """The latest running simulator no owner is bound to (one the user started, or the shared default), else a
    new one with default options kept for the rest of the process: one simulator however often it is asked."""
    with _RUNNING_LOCK:  # held while starting, so two threads asking at once get the same one
        for h in reversed(_RUNNING):
            if h.running and h.owner is None:
                return h
        return start()


@atexit.register
def _stop_all() -> None:
    """At exit: ask every simulator still running to stop, then wait briefly for their threads."""
    with _RUNNING_LOCK:
        handles = list(_RUNNING)
    for h in handles:
        h.stop_soon()
    per = EXIT_JOIN_S / max(1, len(handles))
    for h in handles:
        if h._thread is not None:
            h._thread.join(timeout=per)
