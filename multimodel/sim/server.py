"""The simulator's aiohttp app: chat completions and model lists per dialect, control endpoints,
counters and per-request records, and pacing of streamed tokens (the in-process handle is in :mod:`.handle`).

Never store, log or echo the API key: the handler only checks that it is present and whether it
starts with "invalid", then drops it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections import Counter, deque
from typing import Any

import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from .batches import BatchService
from .catalogue import DIALECTS, SimModel, resolve, retired
from .dialects import API_DIALECT_CLASSES, DIALECT_CLASSES, Dialect
from .engine import PrefixCache, analyze, build_plan
from .faults import FAULT_KINDS, Faults, drop_connection
from .plan import Ctx, Plan, Req, SimError
from .ratelimit import (
    DEFAULT_RPM,
    DEFAULT_TPM,
    Dim,
    Limits,
    LimitView,
    Ticket,
    default_dims,
    parse_limits,
    retry_after_header,
)
from .sampling import Draws
from .shape import check_body
from .text import PromptInfo, estimate_tokens

log = logging.getLogger("multimodel.sim")

SIM_HEADER = "x-multimodel-simulated"
ANSWER_TOKENS_HEADER = "x-sim-answer-tokens"
# Memory the records may take, whatever the clients send: the latest MAX_RECORDS requests are kept (about 0.6 kB
# each, so at most ~60 MB), and a string copied from a request into a record (the model name) is cut to
# MAX_RECORD_CHARS; by_model counts at most MAX_MODEL_KEYS names, the rest under "(other)".
MAX_RECORDS = 100_000
MAX_RECORD_CHARS = 200
MAX_MODEL_KEYS = 10_000
MAX_DONE_HASHES = 200_000
HANG_S = 600.0  # a hung request is closed after this long if the client never gives up
KEEPALIVE_EVERY_S = 1.0  # SSE comment cadence while waiting for the first token (deepseek, openrouter)
COMPLETE_OUTCOMES = frozenset({"ok", "content_filter"})
MID_STREAM = frozenset({"stream_disconnect", "stream_error", "malformed_chunk"})
JSON_HEADERS = {"Content-Type": "application/json"}
CONTROL_MAX_BYTES = 1024 * 1024  # a /_sim/faults payload is a few hundred bytes


class Record:
    """One chat request as the simulator saw it: timings, outcome, token counts and what reached the model.

    ``received`` counts the media the model actually got after the dialect's drops ({"images": 1,
    "audio": 0, "pdfs": 0}), ``dropped`` those stripped silently (same keys, or None when nothing was),
    ``seed`` the seed that shaped the answer (None when none was sent or the model ignores it), and ``draw``
    which sample of this request the answer is (0 when greedy: temperature 0 or an honoured seed; sampling.py).
    All four stay None for a request that never reached the model (an error before generation).
    Strings taken from the request are cut to MAX_RECORD_CHARS (see ``clip``), so a record stays small.
    """

    __slots__ = ("api", "cached_tokens", "completed_at", "completion_tokens", "dialect", "draw", "dropped", "fault",
                 "first_byte_at", "first_token_at", "id", "model", "outcome", "prompt_tokens", "reasoning_tokens",
                 "received", "received_at", "seed", "status", "stream")

    def __init__(self, rid: str, dialect: str, received_at: float, api: str = "chat") -> None:
        self.id = rid
        self.dialect = dialect
        self.api = api
        self.received_at = received_at
        self.model: str | None = None
        self.stream = False
        self.outcome: str | None = None
        self.status: int | None = None
        self.fault: str | None = None
        self.first_byte_at: float | None = None
        self.first_token_at: float | None = None
        self.completed_at: float | None = None
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.reasoning_tokens: int | None = None
        self.cached_tokens: int | None = None
        self.received: dict[str, int] | None = None
        self.dropped: dict[str, int] | None = None
        self.seed: int | None = None
        self.draw: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "id", "dialect", "api", "model", "stream", "outcome", "status", "fault", "received_at", "first_byte_at",
            "first_token_at", "completed_at", "prompt_tokens", "completion_tokens", "reasoning_tokens",
            "cached_tokens", "received", "dropped", "seed", "draw")}


class SimServer:
    """State and handlers of one simulator (runs on one event loop)."""

    def __init__(self, *, seed: int = 0, latency_scale: float = 1.0, faults: dict[str, Any] | None = None,
                 answer_tokens: int | None = None, limits: dict[str, Any] | None = None,
                 fault_retry_after_s: float | None = None, batch_s: float = 2.0,
                 batch_faults: dict[str, Any] | None = None) -> None:
        if latency_scale < 0:
            raise ValueError("latency_scale must be >= 0")
        self.seed = int(seed)
        self.latency_scale = float(latency_scale)
        self.answer_tokens = answer_tokens
        # retry-after of injected rate_limit faults; None = 1-3 s like real providers. Tests and
        # benchmarks set it small so thousands of faulted requests finish in seconds.
        self.fault_retry_after_s = fault_retry_after_s
        self.dialects: dict[str, Dialect] = {n: cls() for n, cls in DIALECT_CLASSES.items()}
        #: the other APIs a provider serves (Anthropic's Messages, OpenAI's Responses), by (dialect, api)
        self.api_dialects: dict[tuple[str, str], Dialect] = {k: cls() for k, cls in API_DIALECT_CLASSES.items()}
        self.faults = Faults(self.seed)
        self.limits = Limits()
        self.cache = PrefixCache()
        self.draws = Draws()
        self._status_rng = random.Random(f"status:{self.seed}")
        self._jitter_rng = random.Random(f"jitter:{self.seed}")
        self._seq = 0
        self.started_at = time.time()
        self.reset_counters()
        if faults:
            self.faults.set(faults)
        if limits:
            self.limits.set(**parse_limits(limits))
        #: the Batch APIs' files and batches, run on a compressed clock (a batch takes ``batch_s`` seconds)
        self.batches = BatchService(self, batch_s)
        if batch_faults:
            self.batches.set_faults(batch_faults)
        self.runner: web.AppRunner | None = None
        self.url = ""

    # ------------------------------------------------------------------ state
    def reset_counters(self) -> None:
        self.received = 0
        self.completed = 0
        self.duplicates = 0
        self.in_flight = 0
        self.active_streams = 0
        self.models_requests = 0
        self.by_dialect: Counter[str] = Counter()
        self.by_api: Counter[str] = Counter()  # live requests per API ("chat", "messages", "responses"); "batch" lines
        self.by_model: Counter[str] = Counter()
        self.by_outcome: Counter[str] = Counter()
        self.records: deque[Record] = deque(maxlen=MAX_RECORDS)
        self._done: dict[bytes, None] = {}

    def reset(self) -> None:
        self.reset_counters()
        self.faults.clear()
        self.limits.clear()
        self.cache.clear()
        self.draws.clear()
        self.batches.clear()
        self._status_rng = random.Random(f"status:{self.seed}")

    def stats(self) -> dict[str, Any]:
        return {
            "received": self.received, "completed": self.completed, "duplicates": self.duplicates,
            "in_flight": self.in_flight, "active_streams": self.active_streams,
            "by_dialect": dict(self.by_dialect), "by_api": dict(self.by_api), "by_model": dict(self.by_model),
            "by_outcome": dict(self.by_outcome), "models_requests": self.models_requests,
            "faults": self.faults.snapshot(), "limits": self.limits.snapshot(), "batches": self.batches.snapshot(),
            "seed": self.seed, "latency_scale": self.latency_scale, "answer_tokens": self.answer_tokens,
            "uptime_s": round(time.time() - self.started_at, 3), "simulated": True,
        }

    def request_records(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The latest ``limit`` records (all kept when None), oldest first; at most MAX_RECORDS are kept."""
        recs = list(self.records)
        if limit is not None:
            recs = recs[-limit:] if limit > 0 else []
        return [r.as_dict() for r in recs]

    def configure(self, payload: dict[str, Any]) -> None:
        """Apply a control payload: {"faults": {...}|null, "limits": {...}|null, "batch_faults": {...}|null,
        "batch_s": seconds, "retry_after_s", "provider", "model"}."""
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object")
        provider, model = payload.get("provider"), payload.get("model")
        if provider is not None and provider not in DIALECTS:
            raise ValueError(f"unknown provider {provider!r}; known: {', '.join(DIALECTS)}")
        if not any(k in payload for k in ("faults", "limits", "retry_after_s", "batch_faults", "batch_s")):
            raise ValueError('expected "faults", "limits", "retry_after_s", "batch_faults" and/or "batch_s"')
        if "batch_s" in payload:
            value = payload["batch_s"]
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError('"batch_s" must be a non-negative number of seconds')
            self.batches.batch_s = float(value)
        if "batch_faults" in payload:
            self.batches.set_faults(payload["batch_faults"], provider)
        if "retry_after_s" in payload:
            value = payload["retry_after_s"]
            if value is not None and (not isinstance(value, int | float) or value < 0):
                raise ValueError('"retry_after_s" must be a non-negative number or null')
            self.fault_retry_after_s = value
        if "faults" in payload:
            self.faults.set(payload["faults"], provider, model)
        if "limits" in payload:
            self.limits.set(provider=provider, model=model, **parse_limits(payload["limits"] or {}))

    # ------------------------------------------------------------------ app
    def make_app(self) -> web.Application:
        # chat bodies are read by _read_body against each provider's own limit; this caps the control endpoints
        app = web.Application(client_max_size=CONTROL_MAX_BYTES)
        app.on_response_prepare.append(self._mark)
        r = app.router
        r.add_post("/{dialect}/v1/chat/completions", self.chat)
        r.add_post("/{dialect}/chat/completions", self.chat)  # DeepSeek also serves the bare host
        r.add_post("/{dialect}/v1/messages", self.messages)
        r.add_post("/{dialect}/anthropic/v1/messages", self.messages)  # DeepSeek's Anthropic endpoint
        r.add_post("/{dialect}/anthropic/messages", self.messages)  # DeepSeek also documents this path
        r.add_post("/{dialect}/v1/messages/count_tokens", self.count_tokens)
        r.add_post("/{dialect}/anthropic/v1/messages/count_tokens", self.count_tokens)
        r.add_post("/{dialect}/v1/responses", self.responses)
        r.add_post("/{dialect}/responses", self.responses)  # DeepSeek's Responses endpoint on the bare host
        r.add_get("/{dialect}/v1/models", self.models)
        r.add_get("/{dialect}/models", self.models)
        self.batches.register(r)  # Files and Batches (OpenAI, xAI, Gemini), Message Batches, OpenRouter's
        r.add_get("/_sim/stats", self.h_stats)
        r.add_post("/_sim/faults", self.h_faults)
        r.add_post("/_sim/reset", self.h_reset)
        r.add_get("/_sim/requests", self.h_requests)
        r.add_get("/", self.h_root)
        return app

    @staticmethod
    async def _mark(request: web.Request, response: web.StreamResponse) -> None:
        response.headers[SIM_HEADER] = "true"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self.runner = web.AppRunner(self.make_app(), access_log=None, handler_cancellation=True,
                                    shutdown_timeout=0.25)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port, reuse_address=True, backlog=4096)
        await site.start()
        h, p = self.runner.addresses[0][:2]
        shown = f"[{h}]" if ":" in h else h
        self.url = f"http://{shown}:{p}"
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    # ------------------------------------------------------------------ control handlers
    async def h_root(self, request: web.Request) -> web.Response:
        return web.json_response({"simulator": "multimodel.sim", "simulated": True, "dialects": list(DIALECTS),
                                  "base_urls": {d: f"{self.url}/{d}/v1" for d in DIALECTS},
                                  "faults": list(FAULT_KINDS)}, dumps=lambda o: orjson.dumps(o).decode())

    async def h_stats(self, request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(self.stats()), headers=JSON_HEADERS)

    async def h_requests(self, request: web.Request) -> web.Response:
        lim = request.query.get("limit")
        try:
            limit = int(lim) if lim else None
        except ValueError:  # the control endpoints' 400, as for a bad /_sim/faults payload
            return web.Response(status=400, body=orjson.dumps({"error": f"limit must be an integer, got {lim!r}"}),
                                headers=JSON_HEADERS)
        return web.Response(body=orjson.dumps(self.request_records(limit)), headers=JSON_HEADERS)

    async def h_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.Response(body=orjson.dumps({"ok": True}), headers=JSON_HEADERS)

    async def h_faults(self, request: web.Request) -> web.Response:
        try:
            self.configure(orjson.loads(await request.read()))
        except (ValueError, orjson.JSONDecodeError) as e:
            return web.Response(status=400, body=orjson.dumps({"error": str(e)}), headers=JSON_HEADERS)
        return web.Response(body=orjson.dumps({"ok": True, "faults": self.faults.snapshot(),
                                               "limits": self.limits.snapshot()}), headers=JSON_HEADERS)

    # ------------------------------------------------------------------ model lists
    async def models(self, request: web.Request) -> web.Response:
        d = self.dialects.get(request.match_info["dialect"])
        if d is None:
            return web.Response(status=404, body=b'{"error":"unknown dialect"}', headers=JSON_HEADERS)
        self.models_requests += 1
        hdrs = {d.request_id_header: d.new_request_id(), "x-sim-request-id": self._next_id(),
                "Content-Type": "application/json"}
        if d.models_need_auth and not _has_key(request, d):
            e = d.auth_missing()
            return web.Response(status=e.status, body=e.body, headers={**hdrs, **e.headers})
        return web.Response(body=orjson.dumps(d.models_list()), headers=hdrs)

    def _next_id(self) -> str:
        self._seq += 1
        return f"sim-{self._seq:08x}"

    # ------------------------------------------------------------------ chat completions
    async def chat(self, request: web.Request) -> web.StreamResponse:
        """POST …/chat/completions: the OpenAI-compatible API every simulated provider serves."""
        return await self._serve(request, self.dialects.get(request.match_info["dialect"]), "chat")

    def _api_dialect(self, request: web.Request, api: str, tail: str) -> Dialect | None:
        """The object serving ``api`` for the request's provider, if the request came to that provider's own path for
        it (``tail`` is the endpoint's last segments, e.g. "/messages")."""
        dname = request.match_info["dialect"]
        d = self.api_dialects.get((dname, api))
        prefix = request.path[len(dname) + 1:-len(tail)]
        return d if d is not None and prefix in d.api_paths else None

    async def messages(self, request: web.Request) -> web.StreamResponse:
        """POST …/v1/messages: Anthropic's Messages API, where the provider serves it."""
        return await self._serve(request, self._api_dialect(request, "messages", "/messages"), "messages")

    async def count_tokens(self, request: web.Request) -> web.Response:
        """POST …/v1/messages/count_tokens: the Messages API's token count of a request, where the provider serves it
        (the dialect answers 404 where its provider documents no such endpoint)."""
        d = self._api_dialect(request, "messages", "/messages/count_tokens")
        if d is None:
            return web.Response(status=404, body=b'{"error":"unknown dialect or API"}', headers=JSON_HEADERS)
        hdrs = {d.request_id_header: d.new_request_id()}
        try:
            raw = await _read_body(request, d)
            _check_key(request, d)
            body, _ = _parse_body(d, raw)
            counted = d.count_tokens(body, request.headers)
        except SimError as e:
            return web.Response(status=e.status, reason=e.reason, body=e.body,
                                headers={**hdrs, "Content-Type": d.error_content_type, **e.headers})
        return web.Response(body=orjson.dumps(counted), headers={**hdrs, **JSON_HEADERS})

    async def responses(self, request: web.Request) -> web.StreamResponse:
        """POST …/v1/responses: OpenAI's Responses API, where the provider serves it."""
        return await self._serve(request, self._api_dialect(request, "responses", "/responses"), "responses")

    async def _serve(self, request: web.Request, d: Dialect | None, api: str) -> web.StreamResponse:
        """One request of any API: the dialect object reads it into the shared pipeline and writes the answer."""
        if d is None:
            return web.Response(status=404, body=b'{"error":"unknown dialect or API"}', headers=JSON_HEADERS)
        dname = d.name
        rec = Record(self._next_id(), dname, time.time(), api)
        self.by_api[api] += 1
        t_in = asyncio.get_running_loop().time()  # pacing is measured from here, not from when we reply
        self.received += 1
        self.by_dialect[dname] += 1
        self.in_flight += 1
        hdrs = {"x-sim-request-id": rec.id, d.request_id_header: d.new_request_id()}
        try:
            return await self._chat(request, d, rec, hdrs, t_in)
        except SimError as e:
            if rec.outcome is None:
                rec.outcome = rec.fault if rec.fault else e.outcome
            rec.status = e.status
            resp = web.Response(status=e.status, reason=e.reason, body=e.body,
                                headers={**hdrs, "Content-Type": d.error_content_type, **e.headers})
            rec.first_byte_at = time.time()
            return resp
        except (ConnectionError, asyncio.CancelledError):
            if rec.outcome is None:
                rec.outcome = "client_disconnected"
            raise
        except Exception:  # a simulator bug: answer in the dialect's shape, keep the traceback in the log
            log.exception("multimodel.sim: internal error while answering %s", rec.id)
            e = d.server_error(500)
            rec.outcome, rec.status = "internal_error", 500
            return web.Response(status=500, body=e.body, headers={**hdrs, "Content-Type": d.error_content_type})
        finally:
            self.in_flight -= 1
            if rec.outcome is None:
                rec.outcome = "error"
            if rec.completed_at is None:
                rec.completed_at = time.time()
            self.by_outcome[rec.outcome] += 1
            if rec.model is not None:
                key = rec.model if (rec.model in self.by_model or len(self.by_model) < MAX_MODEL_KEYS) else "(other)"
                self.by_model[key] += 1
            self.records.append(rec)

    def answer_line(self, d: Dialect, body: Any, headers: Any = None) -> tuple[int, bytes]:
        """One request of a provider's Batch API, answered as its live endpoint would answer it non-streamed (the same
        checks, models, sampling and body), but outside the live rate limits and live faults, as batches run:
        (HTTP status, JSON body). Counted as received under the API "batch" and recorded."""
        rec = Record(self._next_id(), d.name, time.time(), "batch")
        self.received += 1
        self.by_dialect[d.name] += 1
        self.by_api["batch"] += 1
        try:
            status, answer = self._answer_line(d, body, headers or {}, rec)
        except SimError as e:
            status, answer = e.status, e.body
            rec.outcome = rec.outcome or e.outcome
        rec.status, rec.completed_at = status, time.time()
        self.by_outcome[rec.outcome or "error"] += 1
        if rec.model is not None:
            self.by_model[rec.model if (rec.model in self.by_model or len(self.by_model) < MAX_MODEL_KEYS)
                          else "(other)"] += 1
        self.records.append(rec)
        return status, answer

    def batch_line_fault(self, d: Dialect, body: Any, status: int) -> tuple[int, bytes]:
        """A batch line that a batch fault fails: the dialect's 400 (a model-level refusal) or 5xx, counted and recorded
        under the API "batch" like any answered line, with the fault named on its record."""
        rec = Record(self._next_id(), d.name, time.time(), "batch")
        self.received += 1
        self.by_dialect[d.name] += 1
        self.by_api["batch"] += 1
        model = body.get("model") if isinstance(body, dict) else None
        rec.model = clip(model) if isinstance(model, str) else None
        rec.fault = "batch_line_4xx" if status < 500 else "batch_line_5xx"
        e = (d.bad_request("The request could not be processed (simulated batch line fault).") if status < 500
             else d.server_error(status))
        rec.outcome, rec.status, rec.completed_at = rec.fault, e.status, time.time()
        self.by_outcome[rec.outcome] += 1
        if rec.model is not None:
            self.by_model[rec.model if (rec.model in self.by_model or len(self.by_model) < MAX_MODEL_KEYS)
                          else "(other)"] += 1
        self.records.append(rec)
        return e.status, e.body

    def _answer_line(self, d: Dialect, body: Any, headers: Any, rec: Record) -> tuple[int, bytes]:
        if not isinstance(body, dict):
            raise d.bad_request("The request body must be a JSON object.")
        raw = orjson.dumps(body)
        body = d.to_chat(body, headers)
        model = _resolve_model(d, body, rec)
        _check_messages(d, body.get("messages"))
        check_body(d, body, raw)
        req = Req({k: v for k, v in body.items() if k not in ("stream", "stream_options")}, raw)
        req.answer_tokens = self.answer_tokens
        ctx, prompt_text, prompt_tokens = self._admit(d, model, req)
        plan = self._plan(d, ctx, prompt_text, prompt_tokens, rec)
        ctx.created = int(rec.received_at)
        ctx.rid = d.new_response_id(ctx)
        rec.outcome = _outcome(plan)
        self.completed += 1
        return 200, orjson.dumps(d.completion(ctx, plan))

    async def _chat(self, request: web.Request, d: Dialect, rec: Record, hdrs: dict[str, str],
                    t_in: float) -> web.StreamResponse:
        """Answer one chat request: parse and validate it, apply limits and faults, plan the answer, write it."""
        req, model, digest = await self._read_request(request, d, rec)
        ctx, prompt_text, prompt_tokens = self._admit(d, model, req)
        admitted = self._check_limits(request, d, ctx, prompt_tokens)
        output = 0  # what the answer charges against output-counting limits once it is done
        try:
            dropped = await self._apply_fault(request, d, ctx, rec)
            if dropped is not None:
                return dropped
            plan = self._plan(d, ctx, prompt_text, prompt_tokens, rec)
            output = plan.output_tokens
            self._reply_headers(d, ctx, rec, hdrs, admitted[0] if admitted else None)
            ttft, per_tok = self._pacing(ctx)
            if req.stream:
                return await self._stream(request, d, ctx, plan, rec, hdrs, ttft, per_tok, digest, t_in)
            wait = ttft + plan.output_tokens * per_tok - (asyncio.get_running_loop().time() - t_in)
            return await self._nonstream(request, d, ctx, plan, rec, hdrs, wait, digest)
        finally:
            if admitted is not None:
                self.limits.settle(admitted[1], output)

    async def _read_request(self, request: web.Request, d: Dialect, rec: Record) -> tuple[Req, SimModel, bytes]:
        """Read the body (the provider's front refuses one too large before the key is looked at), check the key,
        parse and validate: the request, the model it names and the body's digest."""
        raw = await _read_body(request, d)
        _check_key(request, d)
        body, digest = _parse_body(d, raw)
        body = d.to_chat(body, request.headers)  # another API's request, checked as its provider does, in chat form
        if digest in self._done:
            self.duplicates += 1
        model = _resolve_model(d, body, rec)
        _check_messages(d, body.get("messages"))
        check_body(d, body, raw)
        req = Req(body, raw)
        rec.stream = req.stream
        req.answer_tokens = self._answer_tokens(request, d)
        return req, model, digest

    def _answer_tokens(self, request: web.Request, d: Dialect) -> int | None:
        """The fixed answer length: the request's x-sim-answer-tokens header, else the server's setting."""
        h = request.headers.get(ANSWER_TOKENS_HEADER)
        if not h:
            return self.answer_tokens
        try:
            return max(1, min(int(h), 1_000_000))
        except ValueError:
            raise d.bad_request(f"{ANSWER_TOKENS_HEADER} must be an integer") from None

    def _admit(self, d: Dialect, model: SimModel, req: Req) -> tuple[Ctx, str, int]:
        """Let the dialect check the request: its context, the prompt text for prefix caching and the prompt tokens."""
        ctx = Ctx(d, model, req, self.seed)
        info, prompt_text = analyze(d, req.messages)
        ctx.info = info
        d.admit(ctx)  # the model's inputs/seed/logprobs entries: may raise, may strip media
        prompt_tokens = estimate_tokens(info.chars) + 3 * info.n_messages + 3
        if info.media:
            prompt_tokens += info.media_tokens()
        if req.tools:
            prompt_tokens += len(orjson.dumps(req.tools)) // 4
        d.reasoning(ctx)
        d.validate(ctx)
        return ctx, prompt_text, prompt_tokens

    def _check_limits(self, request: web.Request, d: Dialect, ctx: Ctx,
                      prompt_tokens: int) -> tuple[LimitView, Ticket] | None:
        """Charge the request to its (key, model) buckets as the provider counts it; raise the provider's 429 when
        a limit refuses it. Returns the picture for the success headers and what to settle when the answer is done."""
        if not self.limits:
            return None
        model, req = ctx.model, ctx.req
        reserve = req.cap or model.answer_tokens  # the output a request may produce, as the provider reserves it
        costs = {"requests": 1, "requests-day": 1, "tokens": prompt_tokens, "input-tokens": prompt_tokens,
                 "output-tokens": reserve}
        if d.token_rule == "reserve":
            costs["tokens"] = prompt_tokens + reserve
        got = self.limits.check(d.name, _key_id(request, d), (model.id, req.model_name), costs, d.token_rule,
                                d.day_zone, asyncio.get_running_loop().time())
        if got is not None and got[0].limited:
            raise d.limited(req.model_name, got[0])
        return got

    async def _apply_fault(self, request: web.Request, d: Dialect, ctx: Ctx,
                           rec: Record) -> web.StreamResponse | None:
        """Pick this request's fault; act now when it strikes before generation, else leave it on the context."""
        fault = self.faults.pick(d.name, (ctx.model.id, ctx.req.model_name))
        rec.fault = fault
        if fault is not None:
            dropped = await self._early_fault(request, d, fault, ctx.req.model_name, ctx.req.stream, rec)
            if dropped is not None:
                return dropped
        ctx.fault = fault
        return None

    def _plan(self, d: Dialect, ctx: Ctx, prompt_text: str, prompt_tokens: int, rec: Record) -> Plan:
        """Look up the prefix cache, build the answer's plan and record its token counts."""
        cached = 0
        if d.cache_rule is not None:
            block, minimum = d.cache_rule
            cached = self.cache.lookup_and_store(f"{d.name}|{ctx.model.id}", prompt_text, block, minimum,
                                                 prompt_tokens)
        ctx.set_draw(self.draws.next(ctx.key, ctx.temperature, ctx.seed is not None))
        rec.draw = ctx.draw
        plan = build_plan(d, ctx, prompt_tokens, cached, ctx.req.answer_tokens)
        assert ctx.info is not None
        rec.received = ctx.info.received()
        if ctx.dropped:
            rec.dropped = PromptInfo(media=ctx.dropped).received()
        rec.seed = ctx.seed
        rec.prompt_tokens = plan.prompt_tokens
        rec.completion_tokens = plan.output_tokens
        rec.reasoning_tokens = plan.reasoning_tokens
        rec.cached_tokens = plan.cached_tokens
        return plan

    def _reply_headers(self, d: Dialect, ctx: Ctx, rec: Record, hdrs: dict[str, str],
                       view: LimitView | None) -> None:
        """Give the answer its response id and add the dialect's success (and rate-limit) headers to ``hdrs``."""
        ctx.created = int(rec.received_at)
        ctx.rid = d.new_response_id(ctx)
        if d.name == "openrouter":
            hdrs["x-generation-id"] = ctx.rid
        hdrs.update(d.success_headers(ctx))
        if d.ratelimit_headers:
            hdrs.update(d.limit_headers(view or LimitView(default_dims(), time.time())))

    def _pacing(self, ctx: Ctx) -> tuple[float, float]:
        """(time to first token, seconds per token) for this answer, jittered and scaled; zeros when unpaced."""
        scale = self.latency_scale
        if scale <= 0:
            return 0.0, 0.0
        model = ctx.model
        jr = random.Random(ctx.seed_int ^ self._jitter_rng.getrandbits(32))
        j = model.jitter
        ttft = model.ttft_s * scale * (1 + j * (2 * jr.random() - 1))
        per_tok = scale / model.tokens_per_s * (1 + j * (2 * jr.random() - 1))
        return ttft, per_tok

    async def _early_fault(self, request: web.Request, d: Dialect, fault: str, model_name: str, stream: bool,
                           rec: Record) -> web.StreamResponse | None:
        """Raise the fault's error response, or drop/hang the connection (returns a response that
        aiohttp will fail to write, quietly), or return None when the fault acts later."""
        if fault == "rate_limit":
            if self.fault_retry_after_s is not None:
                retry = float(self.fault_retry_after_s)
            else:
                retry = float(self._status_rng.choice((1, 2, 3)))
            e = d.rate_limited(model_name, retry, "requests", None, fault=True)
            e.headers["retry-after"] = retry_after_header(retry)
            if retry < 1:  # sub-second: also the millisecond header OpenAI's SDK reads first
                e.headers["retry-after-ms"] = str(round(retry * 1000))
            if d.ratelimit_headers:
                e.headers.update(d.limit_headers(LimitView({"requests": Dim(DEFAULT_RPM, 0, retry), "tokens": Dim(
                    DEFAULT_TPM, DEFAULT_TPM, 0.0)}, time.time())))
            raise e
        if fault == "server_error" or (fault == "insufficient_system_resource" and d.name != "deepseek"):
            raise d.server_error(self._status_rng.choice((500, 502, 503)))
        if fault == "overloaded":
            raise d.overloaded()
        if fault == "connection_reset" or (fault == "stream_disconnect" and not stream):
            rec.outcome = fault
            drop_connection(request, reset=fault == "connection_reset")
            return web.Response()
        if fault == "hang":
            rec.outcome = "hang"
            await asyncio.sleep(HANG_S)  # cancelled when the client gives up (handler_cancellation)
            drop_connection(request, reset=False)
            return web.Response()
        return None

    def _finish(self, rec: Record, outcome: str, digest: bytes) -> None:
        rec.outcome = outcome
        rec.status = 200
        rec.completed_at = time.time()
        if outcome in COMPLETE_OUTCOMES:
            self.completed += 1
            done = self._done
            done[digest] = None
            if len(done) > MAX_DONE_HASHES:
                done.pop(next(iter(done)))

    async def _nonstream(self, request: web.Request, d: Dialect, ctx: Ctx, plan: Plan, rec: Record,
                         hdrs: dict[str, str], wait: float, digest: bytes) -> web.StreamResponse:
        fault = ctx.fault
        status = 200
        if fault == "stream_error":
            alt = d.stream_error_body(ctx, plan)
            if alt is None:
                if wait > 0:
                    await asyncio.sleep(wait / 2)
                raise d.server_error(500)
            status, body = alt
        else:
            body = orjson.dumps(d.completion(ctx, plan))
        if fault == "malformed_chunk":
            body = body[: len(body) // 2]  # truncated JSON
        hdrs["Content-Type"] = "application/json"
        if d.nonstream_prefix:
            # DeepSeek: blank lines while the answer is generated, then the JSON (quirks 5.5)
            resp = web.StreamResponse(status=status, headers=hdrs)
            await resp.prepare(request)
            await resp.write(d.nonstream_prefix)
            rec.first_byte_at = time.time()
            while wait > KEEPALIVE_EVERY_S:
                await asyncio.sleep(KEEPALIVE_EVERY_S)
                wait -= KEEPALIVE_EVERY_S
                await resp.write(d.nonstream_prefix)
            if wait > 0:
                await asyncio.sleep(wait)
            await resp.write(body)
            await resp.write_eof()
        else:
            if wait > 0:
                await asyncio.sleep(wait)
            resp = web.Response(status=status, body=body, headers=hdrs)
            await resp.prepare(request)
            rec.first_byte_at = time.time()
            await resp.write_eof()
        rec.first_token_at = rec.first_byte_at
        self._finish(rec, fault if fault in ("malformed_chunk", "stream_error") else _outcome(plan), digest)
        return resp

    async def _stream(self, request: web.Request, d: Dialect, ctx: Ctx, plan: Plan, rec: Record,
                      hdrs: dict[str, str], ttft: float, per_tok: float, digest: bytes,
                      t_in: float) -> web.StreamResponse:
        hdrs["Content-Type"] = "text/event-stream; charset=utf-8"
        hdrs["Cache-Control"] = "no-cache"
        resp = web.StreamResponse(status=200, headers=hdrs)
        await resp.prepare(request)
        self.active_streams += 1
        try:
            outcome = await self._drive(resp, d, ctx, plan, rec, ttft, per_tok, t_in)
        except ConnectionError:
            rec.outcome = "client_disconnected"
            return resp
        finally:
            self.active_streams -= 1
        if outcome == "stream_disconnect":
            rec.outcome = outcome
            rec.status = 200
            drop_connection(request, reset=False)
            return resp
        await resp.write_eof()
        self._finish(rec, outcome, digest)
        return resp

    async def _drive(self, resp: web.StreamResponse, d: Dialect, ctx: Ctx, plan: Plan, rec: Record, ttft: float,
                     per_tok: float, t0: float) -> str:
        """Write the dialect's events, each token at t0 + ttft + k * per_tok.

        Tokens due within ``tick`` of the current write are batched into it (the tick grows with the
        number of active streams, so a loaded server makes fewer, larger writes instead of falling
        behind); a server that is behind sends everything already due at once.
        """
        loop = asyncio.get_running_loop()
        paced = ttft > 0 or per_tok > 0
        fault = ctx.fault if ctx.fault in MID_STREAM else None
        mid = max(1, plan.output_tokens // 2)
        cum = 0
        buf: list[bytes] = []
        token_pending = False
        first_token = True
        keepalive = d.keepalive
        base = t0 + ttft
        limit = loop.time() + 0.01

        async def flush() -> None:
            nonlocal token_pending
            data = b"".join(buf)
            buf.clear()
            await resp.write(data)
            now = time.time()
            if rec.first_byte_at is None:
                rec.first_byte_at = now
            if token_pending:
                rec.first_token_at = now
                token_pending = False

        for n, data in d.stream(ctx, plan):
            if n < 0:
                buf.append(data)
                await flush()
                continue
            if fault is not None and cum >= mid and (fault != "malformed_chunk" or data.startswith(b"data: {")):
                if fault == "stream_disconnect":
                    if buf:
                        await flush()
                    return "stream_disconnect"
                if fault == "stream_error":
                    buf.append(d.stream_error_event(ctx))
                    await flush()
                    return "stream_error"
                buf.append(data[: len(data) // 2] + b"\n\n")  # malformed: a chunk cut in half
                fault = None
            if n > 0:
                cum += n
                if paced:
                    due = base + cum * per_tok
                    if due > limit:
                        if buf:
                            await flush()
                        delay = due - loop.time()
                        if keepalive is not None and first_token:
                            while delay > KEEPALIVE_EVERY_S:
                                await asyncio.sleep(KEEPALIVE_EVERY_S)
                                await resp.write(keepalive)
                                delay = due - loop.time()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        # batch what falls due within the next tick; coarser as more streams are active
                        limit = max(due, loop.time()) + 0.01 + self.active_streams * 1e-4
                if first_token and data:
                    token_pending = True
                    first_token = False
            if data:
                buf.append(data)
        if buf:
            await flush()
        if ctx.fault == "malformed_chunk":
            return "malformed_chunk"
        return _outcome(plan)


def clip(s: str, most: int = MAX_RECORD_CHARS) -> str:
    """``s`` cut to ``most`` characters, saying how many were left out: what a record keeps of a client's string."""
    return s if len(s) <= most else f"{s[:most]}…(+{len(s) - most} chars)"


def _outcome(plan: Plan) -> str:
    if plan.finish == "content_filter":
        return "content_filter"
    if plan.finish == "insufficient_system_resource":
        return "insufficient_system_resource"
    return "ok"


def _check_key(request: web.Request, d: Dialect) -> None:
    """Raise the dialect's 401 for a missing or invalid key (presence and the "invalid" prefix only)."""
    kind = _key_kind(request, d)
    if kind == "missing":
        raise d.auth_missing()
    if kind == "invalid":
        raise d.auth_invalid()


async def _read_body(request: web.Request, d: Dialect) -> bytes:
    """The body, refused with the dialect's too-large answer as soon as it is known to exceed the provider's limit:
    by its Content-Length before anything is read, else while reading, so no more than the limit is ever buffered."""
    limit = d.max_request_bytes
    declared = request.content_length
    if declared is not None and declared > limit:
        raise d.too_large()
    buf = bytearray()
    try:
        async for chunk in request.content.iter_any():
            buf += chunk
            if len(buf) > limit:
                raise d.too_large()
    except RequestPayloadError:  # a body that is not what its Content-Encoding says (bad gzip): unreadable
        raise d.bad_request("We could not parse the JSON body of your request.") from None
    return bytes(buf)


def _parse_body(d: Dialect, raw: bytes) -> tuple[dict[str, Any], bytes]:
    """The request body as a JSON object and its digest (keys sorted), or the dialect's 400.

    A body nested deeper than the simulator can re-encode (orjson: 255 levels) is refused like unparsable JSON:
    how deep each provider goes is not documented [INFERRED], and nothing real is nested that deep."""
    try:
        body = orjson.loads(raw)
        canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONDecodeError, TypeError):  # TypeError: "Recursion limit reached" while re-encoding
        raise d.bad_request("We could not parse the JSON body of your request.") from None
    if not isinstance(body, dict):
        raise d.bad_request("The request body must be a JSON object.")
    return body, hashlib.blake2b(canonical, digest_size=16, person=d.name.encode()[:16]).digest()


def _resolve_model(d: Dialect, body: dict[str, Any], rec: Record) -> SimModel:
    """The simulated model the body names (noted on ``rec``), or the dialect's 400/404."""
    model_name = body.get("model")
    if not isinstance(model_name, str) or not model_name:
        raise d.bad_request("you must provide a model parameter", param="model")
    rec.model = clip(model_name)
    model = resolve(d.name, model_name)
    if model is None:
        gone = retired(d.name, model_name)  # a retired id: the provider's own answer (rules table)
        raise d.model_retired(gone) if gone is not None else d.model_not_found(model_name)
    return model


def _check_messages(d: Dialect, messages: Any) -> None:
    """Raise the dialect's 400 unless ``messages`` is a non-empty list of messages with known roles."""
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise d.bad_request("'messages' must be a non-empty array of message objects.", param="messages")
    for i, m in enumerate(messages):
        if m.get("role") not in ("system", "developer", "user", "assistant", "tool", "function"):
            raise d.bad_request(f"Invalid value: {d.json_value(m.get('role'))}. Supported values are: 'system', "
                                "'assistant', 'user', 'function', 'tool', and 'developer'.",
                                param=f"messages[{i}].role")


def _key_id(request: web.Request, d: Dialect) -> str:
    """A short digest of the request's key: limits are per key, and the key itself is never kept."""
    key = d.api_key_of(request.headers) or ""
    return hashlib.blake2b(key.encode(errors="replace"), digest_size=8).hexdigest()


def _key_kind(request: web.Request, d: Dialect) -> str:
    """'missing', 'invalid' or 'ok'. The key itself is never kept."""
    key = d.api_key_of(request.headers)
    if not key:
        return "missing"
    return "invalid" if key.startswith("invalid") else "ok"


def _has_key(request: web.Request, d: Dialect) -> bool:
    return _key_kind(request, d) != "missing"
