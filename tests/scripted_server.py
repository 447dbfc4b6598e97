"""A loopback HTTP server that answers /chat/completions from a script, for client behaviour tests.

Each scripted step is (status, headers, body-parts, delay_s); body parts are written one by one with
a flush, so streams arrive incrementally. ``hang`` steps never answer. Received requests (headers
and JSON) are kept so tests can assert what was sent and how often.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web


@dataclass
class Step:
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    parts: list[bytes] = field(default_factory=list)
    delay_s: float = 0.0
    hang: bool = False
    part_delay_s: float = 0.0


def json_step(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Step:
    return Step(status=status, headers={"content-type": "application/json", **(headers or {})},
                parts=[orjson.dumps(body)])


def sse_step(chunks: list[Any], *, done: bool = True, part_delay_s: float = 0.0) -> Step:
    parts = [b"data: " + (c if isinstance(c, bytes) else orjson.dumps(c)) + b"\n\n" for c in chunks]
    if done:
        parts.append(b"data: [DONE]\n\n")
    return Step(headers={"content-type": "text/event-stream"}, parts=parts, part_delay_s=part_delay_s)


def chat_body(content: str = "hello", *, model: str = "m", usage: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": "x",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": usage or {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


class ScriptedServer:
    """Background-thread aiohttp server; ``script`` is consumed one step per request, then ``default``."""

    def __init__(self) -> None:
        self.script: list[Step] = []
        self.default: Step = json_step(chat_body())
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._closing = asyncio.Event()
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._runner = runner
        self._ready.set()
        self._loop.run_forever()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(orjson.loads(body) if body else {})
        self.headers.append(dict(request.headers))
        step = self.script.pop(0) if self.script else self.default
        if step.delay_s:
            await asyncio.sleep(step.delay_s)
        if step.hang:
            await self._closing.wait()  # never answer; released when the server stops
            return web.Response(status=503)
        resp = web.StreamResponse(status=step.status, headers=step.headers)
        await resp.prepare(request)
        for part in step.parts:
            await resp.write(part)
            if step.part_delay_s:
                await asyncio.sleep(step.part_delay_s)
        await resp.write_eof()
        return resp

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._closing.set)
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
