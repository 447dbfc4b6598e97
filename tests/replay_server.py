"""A loopback HTTP server that replays the recorded provider responses in tests/corpus/ (or, given
``load_recordings(NATIVE_DIR)``, the Messages and Responses recordings in tests/corpus_native/).

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

from tests.loopback import LoopbackServer

CORPUS_DIR = Path(__file__).parent / "corpus"
NATIVE_DIR = Path(__file__).parent / "corpus_native"

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
class ReplayServer(LoopbackServer):
    recordings: dict[str, dict[str, Any]]
    # Pause between streamed pieces (seconds); 0 still yields to the loop after each write.
    stream_gap_s: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0
    requests: dict[str, list[ReceivedRequest]] = field(default_factory=dict)
    last_request: ReceivedRequest | None = None

    thread_name = "replay-server"

    def __post_init__(self) -> None:
        self._init_loopback()

    def base_url(self, file_id: str) -> str:
        return f"{self.url}/{file_id}/v1"

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
        served = rest.endswith(("chat/completions", "/messages", "/responses"))
        if rec is None or request.method != "POST" or not served:
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
