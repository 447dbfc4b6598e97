"""A loopback HTTP server that replays the recorded provider responses in tests/corpus/.

Every recording is served under its own path prefix, so a test points a provider's base_url at
``f"{server.url}/{file_id}/v1"`` and the client's ``POST .../chat/completions`` lands on
``/{file_id}/v1/chat/completions``. The answer is the recorded status, reason, headers (minus the
framing headers aiohttp sets itself) and the recorded body bytes, unchanged. Streaming recordings
are written event by event (split after every blank line, one write and one drain per piece), so
the client reads a real incremental stream rather than one buffer.

The server remembers every request it received (path, headers, parsed JSON body), per recording,
so tests can assert what the client sent and that it sent it exactly once.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

CORPUS_DIR = Path(__file__).parent / "corpus"

# aiohttp frames the body itself (chunked for streams, content-length otherwise); the recorded
# values would be wrong for the bytes we send (decoded, possibly re-serialized bodies).
_SKIP_HEADERS = {"content-length", "transfer-encoding", "content-encoding", "connection"}


def load_recordings(corpus_dir: Path = CORPUS_DIR) -> dict[str, dict[str, Any]]:
    """All recordings, keyed by file id (the file name without .json)."""
    out = {}
    for path in sorted(corpus_dir.glob("*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        out[path.stem] = rec
    return out


def split_sse(body: str) -> list[str]:
    """Split an SSE body after every blank line ("\\n\\n"); the pieces concatenate back to ``body``."""
    pieces = []
    start = 0
    while True:
        i = body.find("\n\n", start)
        if i < 0:
            break
        pieces.append(body[start : i + 2])
        start = i + 2
    if start < len(body):
        pieces.append(body[start:])
    return pieces


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None


@dataclass
class ReplayServer:
    recordings: dict[str, dict[str, Any]]
    # Pause between streamed pieces (seconds); 0 still yields to the loop after each write.
    stream_gap_s: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0
    requests: dict[str, list[ReceivedRequest]] = field(default_factory=dict)
    last_request: ReceivedRequest | None = None

    def __post_init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._error: BaseException | None = None

    # ---- lifecycle ----
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def base_url(self, file_id: str) -> str:
        return f"{self.url}/{file_id}/v1"

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self._run, name="replay-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("replay server did not start within 10 s")
        if self._error is not None:
            raise RuntimeError("replay server failed to start") from self._error
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        fut.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as e:  # report to start()
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _startup(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # the asyncio.Server; port 0 means the OS picked one
        self.port = server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- what tests read ----
    def received(self, file_id: str) -> list[ReceivedRequest]:
        with self._lock:
            return list(self.requests.get(file_id, []))

    def clear(self, file_id: str | None = None) -> None:
        with self._lock:
            if file_id is None:
                self.requests.clear()
                self.last_request = None
            else:
                self.requests.pop(file_id, None)

    # ---- serving ----
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        file_id, _, rest = request.path.lstrip("/").partition("/")
        rec_req = ReceivedRequest(request.method, request.path, dict(request.headers), raw, parsed)
        with self._lock:
            self.requests.setdefault(file_id, []).append(rec_req)
            self.last_request = rec_req

        rec = self.recordings.get(file_id)
        if rec is None or request.method != "POST" or not rest.endswith("chat/completions"):
            return web.json_response(
                {"error": {"message": f"replay server: no recording for {request.method} {request.path}"}},
                status=404,
            )

        resp_rec = rec["response"]
        status = int(resp_rec["status"])
        reason = resp_rec.get("reason") or None
        headers = {
            k: str(v)
            for k, v in (resp_rec.get("headers") or {}).items()
            if v is not None and k.lower() not in _SKIP_HEADERS
        }
        body: str = resp_rec["body"]

        if not rec.get("streaming"):
            return web.Response(status=status, reason=reason, headers=headers, body=body.encode("utf-8"))

        resp = web.StreamResponse(status=status, reason=reason, headers=headers)
        await resp.prepare(request)
        for piece in split_sse(body):
            await resp.write(piece.encode("utf-8"))
            await asyncio.sleep(self.stream_gap_s)
        await resp.write_eof()
        return resp


def start_server(**kwargs: Any) -> ReplayServer:
    return ReplayServer(load_recordings(), **kwargs).start()


if __name__ == "__main__":  # manual poking: python tests/replay_server.py
    srv = start_server()
    print(f"replaying {len(srv.recordings)} recordings at {srv.url}/<file_id>/v1/chat/completions")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.stop()
