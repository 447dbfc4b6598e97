"""The battery for an Anthropic-compatible endpoint: a provider whose ``api`` is "messages".

What a Claude Code user needs of an endpoint behind ``ANTHROPIC_BASE_URL`` (Anthropic itself, DeepSeek, OpenRouter,
Kimi, GLM, a LiteLLM proxy), each check one or two requests in the Messages API's own shape:

- plain_completion, streaming (the event sequence: message_start … message_stop, ping), tool_calling,
  streamed_tool_calls (input_json_delta), tool_result_round_trip;
- thinking (readable thinking with a signature), signature_checked (a forged signature on the next turn is
  refused, as Anthropic refuses it: "supported"; accepted: "ignored");
- image_input and document_input (base64 PNG, PDF);
- count_tokens (``POST /v1/messages/count_tokens``), version_header (a request without ``anthropic-version``
  refused, as Anthropic's API requires it: "supported"; accepted: "ignored", as DeepSeek documents);
- error_shape (an unknown model: Anthropic's ``{"type": "error", "error": {type, message}}``), ratelimit_headers
  (``anthropic-ratelimit-*`` on a success), cache_control (cache writes and reads reported for a marked prompt).

Statuses mean what they mean in :mod:`multimodel.probe.battery`.
"""

from __future__ import annotations

import copy
import warnings
from time import perf_counter
from typing import Any

from multimodel import exchange
from multimodel.errors import ParamWarning
from multimodel.probe.battery import WEATHER, CheckGroup, ProbeContext, Row, fail_row, media_verdict
from multimodel.probe.common import Sent, b64, raw_objects, snippet
from multimodel.request import PreparedRequest
from multimodel.sim.media import sample_pdf, sample_png

MESSAGES_CAPABILITIES: tuple[str, ...] = (
    "plain_completion",
    "streaming",
    "tool_calling",
    "tool_result_round_trip",
    "streamed_tool_calls",
    "thinking",
    "signature_checked",
    "image_input",
    "document_input",
    "count_tokens",
    "version_header",
    "error_shape",
    "ratelimit_headers",
    "cache_control",
)

_ASK_WEATHER = "What is the weather in Paris? Use the get_weather tool."
#: the capability-table feature each Messages check tests, for the probe table's ``documented`` column
DOCUMENTED_AS = {"image_input": "image_data_url", "document_input": "file_input", "streamed_tool_calls":
                 "streamed_tool_calls", "tool_calling": "tool_calling"}
#: a system prompt long enough for every model's prompt cache (Anthropic's minimum is 1,024-4,096 tokens a model)
_LONG_SYSTEM = "You are a careful assistant. " + " ".join(f"Rule {i}: answer plainly and briefly." for i in range(700))


class Reply(Sent):
    """A Sent with the response headers (lower-cased) the probe reads: rate-limit headers, request ids."""

    __slots__ = ("headers",)

    def __init__(self, sent: Sent, headers: dict[str, str]) -> None:
        super().__init__(sent.result, sent.body, sent.latency_s, sent.warnings)
        self.headers = headers


def _prepare(ctx: ProbeContext, messages: Any, *, policy: str = "warn", **kw: Any) -> PreparedRequest:
    """The request as the client shapes it for this endpoint (the catalogue's thinking rules applied), not sent."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ParamWarning)
        return ctx.client.prepare(ctx.model, messages, retries=0, timeout=ctx.timeout, cache=False,
                                  on_unsupported=policy, **kw)


async def _send(ctx: ProbeContext, req: PreparedRequest, body: dict[str, Any] | None = None) -> Reply:
    """Send one request as given (``body`` replaces it), once, and keep the response headers."""
    import orjson

    if body is not None:
        req.body = body
        req.payload = orjson.dumps(body)
    req.use_cache = False
    headers: dict[str, str] = {}

    def observe(status: int, seen: Any, retry_after: float | None) -> None:
        headers.update({str(k).lower(): str(v) for k, v in seen.items()})

    t0 = perf_counter()
    result = await exchange.send(req, ctx.client.runner.transport, observe)
    if result.simulated:
        ctx.simulated = True
    elif ctx.simulated is None and result.error is None:
        ctx.simulated = False
    return Reply(Sent(result, req.body, perf_counter() - t0), headers)


def _types(objects: list[Any]) -> list[str]:
    """The event types of a Messages stream, in order (consecutive repeats folded: ``content_block_delta×12``)."""
    out: list[str] = []
    counts: list[int] = []
    for obj in objects:
        kind = obj.get("type") if isinstance(obj, dict) else None
        if not isinstance(kind, str):
            continue
        if out and out[-1] == kind:
            counts[-1] += 1
        else:
            out.append(kind)
            counts.append(1)
    return [k if n == 1 else f"{k}×{n}" for k, n in zip(out, counts, strict=True)]


def _blocks(objects: list[Any]) -> list[dict[str, Any]]:
    """The content blocks of a whole body, or the ``content_block_start`` blocks of a stream."""
    found = []
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        if isinstance(obj.get("content"), list):
            found += [b for b in obj["content"] if isinstance(b, dict)]
        block = obj.get("content_block")
        if obj.get("type") == "content_block_start" and isinstance(block, dict):
            found.append(block)
    return found


async def _p_plain(ctx: ProbeContext) -> list[Row]:
    s = await _send(ctx, _prepare(ctx, "Say hello in one short sentence."))
    if s.result.error:
        return [fail_row("plain_completion", s)]
    body = next((o for o in raw_objects(s.result) if isinstance(o, dict)), {})
    shape = f"type={body.get('type')!r}, id={str(body.get('id'))[:12]}…, model={body.get('model')!r}"
    status = "supported" if body.get("type") == "message" and s.result.content.strip() else "partial"
    return [Row("plain_completion", status, snippet(s.result.content, 80), s.latency_s, shape)]


async def _p_stream(ctx: ProbeContext) -> list[Row]:
    s = await _send(ctx, _prepare(ctx, "Count from one to five.", stream=True))
    if s.result.error:
        return [fail_row("streaming", s)]
    kinds = _types(raw_objects(s.result))
    seen = {k.split("×")[0] for k in kinds}
    needed = {"message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
              "message_stop"}
    missing = sorted(needed - seen)
    detail = "every event of Anthropic's sequence" if not missing else f"missing {', '.join(missing)}"
    if "ping" not in seen:
        detail += "; no ping event (Anthropic sends them; clients must not rely on them)"
    return [Row("streaming", "partial" if missing else "supported", snippet(" → ".join(kinds), 160), s.latency_s,
                detail)]


async def _p_tools(ctx: ProbeContext) -> list[Row]:
    first = await _send(ctx, _prepare(ctx, _ASK_WEATHER, tools=[WEATHER]))
    if first.result.error:
        return [fail_row("tool_calling", first), Row("tool_result_round_trip", "unknown", "", None,
                                                      "no tool call to answer")]
    calls = first.result.tool_calls
    uses = [b for b in _blocks(raw_objects(first.result)) if b.get("type") == "tool_use"]
    if not calls:
        return [Row("tool_calling", "ignored", snippet(first.result.content, 80), first.latency_s,
                    "answered in text; no tool_use block"),
                Row("tool_result_round_trip", "unknown", "", None, "no tool call to answer")]
    ev = f"tool_use {calls[0].name}({calls[0].arguments_raw}) id={calls[0].id[:10]}…"
    row = Row("tool_calling", "supported" if uses and calls[0].arguments is not None else "partial", snippet(ev),
              first.latency_s, f"stop_reason {first.result.native_finish_reason!r}")
    history: list[dict[str, Any]] = [{"role": "user", "content": _ASK_WEATHER}, first.result.as_message()]
    history += [{"role": "tool", "tool_call_id": c.id, "content": "18C, light rain"} for c in calls]
    second = await _send(ctx, _prepare(ctx, history, tools=[WEATHER]))
    if second.result.error:
        return [row, fail_row("tool_result_round_trip", second)]
    used = "18" in second.result.content
    return [row, Row("tool_result_round_trip", "supported" if used else "partial", snippet(second.result.content, 80),
                     second.latency_s, "the answer uses the tool_result" if used else
                     "answered, but not with the tool's result")]


async def _p_stream_tools(ctx: ProbeContext) -> list[Row]:
    s = await _send(ctx, _prepare(ctx, _ASK_WEATHER, tools=[WEATHER], stream=True))
    if s.result.error:
        return [fail_row("streamed_tool_calls", s)]
    objects = raw_objects(s.result)
    deltas = [o for o in objects if isinstance(o, dict) and isinstance(o.get("delta"), dict)
              and o["delta"].get("type") == "input_json_delta"]
    if not s.result.tool_calls:
        return [Row("streamed_tool_calls", "ignored", snippet(s.result.content, 80), s.latency_s, "no tool_use block")]
    status = "supported" if deltas else "partial"
    detail = (f"{len(deltas)} input_json_delta fragment(s)" if deltas else
              "the tool call's input came whole in content_block_start, with no input_json_delta")
    return [Row("streamed_tool_calls", status, snippet(s.result.tool_calls[0].arguments_raw), s.latency_s, detail)]


async def _p_thinking(ctx: ProbeContext) -> list[Row]:
    first = await _send(ctx, _prepare(ctx, _ASK_WEATHER, tools=[WEATHER], reasoning="low"))
    r = first.result
    if r.error:
        return [fail_row("thinking", first), Row("signature_checked", "unknown", "", None, "no thinking to echo")]
    blocks = [b for b in _blocks(raw_objects(r)) if b.get("type") in ("thinking", "redacted_thinking")]
    echo = (r.provider_state or {}).get("thinking_blocks") or []
    signed = [b for b in echo if b.get("type") == "thinking" and b.get("signature")]
    if r.reasoning and signed:
        row = Row("thinking", "supported", snippet(r.reasoning, 100), first.latency_s,
                  f"readable thinking with a signature ({len(signed[0]['signature'])} characters)")
    elif r.reasoning:
        row = Row("thinking", "partial", snippet(r.reasoning, 100), first.latency_s,
                  "readable thinking without a signature: the next turn cannot prove it")
    elif blocks:
        row = Row("thinking", "partial", snippet(blocks[0].get("type")), first.latency_s, "only redacted thinking")
    else:
        row = Row("thinking", "ignored", snippet(r.content, 80), first.latency_s, "no thinking block came back")
    if not signed or not r.tool_calls:
        return [row, Row("signature_checked", "unknown", "", None, "no signed thinking before a tool call to echo")]
    return [row, await _forged_signature(ctx, r)]


async def _forged_signature(ctx: ProbeContext, first: Any) -> Row:
    """Turn 2 with turn 1's thinking block carrying a signature that is not the endpoint's."""
    message = first.as_message()
    forged = copy.deepcopy(message["thinking_blocks"])
    for block in forged:
        sig = block.get("signature")
        if isinstance(sig, str) and sig:  # one character changed in the middle: same length, not the endpoint's
            mid = len(sig) // 2
            block["signature"] = sig[:mid] + ("A" if sig[mid] != "A" else "B") + sig[mid + 1:]
    message["thinking_blocks"] = forged
    history = [{"role": "user", "content": _ASK_WEATHER}, message]
    history += [{"role": "tool", "tool_call_id": c.id, "content": "18C"} for c in first.tool_calls]
    s = await _send(ctx, _prepare(ctx, history, tools=[WEATHER], reasoning="low"))
    if s.result.error and s.result.error.status == 400 and "signature" in s.result.error.message.lower():
        return Row("signature_checked", "supported", snippet(s.result.error.message, 140), s.latency_s,
                   "a forged thinking signature is refused, as Anthropic refuses it")
    if s.result.error:
        return fail_row("signature_checked", s)
    return Row("signature_checked", "ignored", snippet(s.result.content, 80), s.latency_s,
               "a forged thinking signature was accepted: the endpoint does not check signatures")


async def _p_image(ctx: ProbeContext) -> list[Row]:
    messages = [{"role": "user", "content": [
        {"type": "text", "text": "What colour is this image? Answer in one word."},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + b64(sample_png())}}]}]
    s = await _send(ctx, _prepare(ctx, messages, policy="send"))
    return [media_verdict("image_input", s, ("red",), "i see 1 image", "image")]


async def _p_document(ctx: ProbeContext) -> list[Row]:
    messages = [{"role": "user", "content": [
        {"type": "text", "text": "What is the secret code in the attached PDF?"},
        {"type": "file", "file": {"filename": "probe.pdf",
                                  "file_data": "data:application/pdf;base64," + b64(sample_pdf())}}]}]
    s = await _send(ctx, _prepare(ctx, messages, policy="send"))
    return [media_verdict("document_input", s, ("7731",), "i read 1 pdf", "PDF")]


async def _p_count_tokens(ctx: ProbeContext) -> list[Row]:
    req = _prepare(ctx, "How many tokens is this?")
    req.url = req.url + "/count_tokens"
    s = await _send(ctx, req, {"model": req.body["model"], "messages": req.body["messages"]})
    body = next((o for o in raw_objects(s.result) if isinstance(o, dict)), {})
    count = body.get("input_tokens")
    if isinstance(count, int) and not isinstance(count, bool):
        return [Row("count_tokens", "supported", f"input_tokens={count}", s.latency_s,
                    "POST /v1/messages/count_tokens answers")]
    if s.result.error:
        row = fail_row("count_tokens", s)
        row.detail += "; POST /v1/messages/count_tokens is not served"
        return [row]
    return [Row("count_tokens", "partial", snippet(s.result.raw), s.latency_s, "answered without input_tokens")]


async def _p_version(ctx: ProbeContext) -> list[Row]:
    req = _prepare(ctx, "Say hello.")
    req.headers = {k: v for k, v in req.headers.items() if k.lower() != "anthropic-version"}
    s = await _send(ctx, req)
    if s.result.error and s.result.error.status == 400:
        return [Row("version_header", "supported", snippet(s.result.error.message, 140), s.latency_s,
                    "the anthropic-version header is required, as Anthropic requires it")]
    if s.result.error:
        return [fail_row("version_header", s)]
    return [Row("version_header", "ignored", snippet(s.result.content, 60), s.latency_s,
                "answered without an anthropic-version header: the endpoint does not read it")]


async def _p_error_shape(ctx: ProbeContext) -> list[Row]:
    req = _prepare(ctx, "hello", policy="send")
    s = await _send(ctx, req, {**req.body, "model": "no-such-model-mm-probe"})
    r = s.result
    if r.error is None:
        return [Row("error_shape", "ignored", snippet(r.response_model), s.latency_s,
                    f"an unknown model was answered (by {r.response_model!r}): names are mapped, not refused")]
    body = next((o for o in raw_objects(r) if isinstance(o, dict)), None)
    err = body.get("error") if isinstance(body, dict) else None
    native = isinstance(body, dict) and body.get("type") == "error" and isinstance(err, dict) and "type" in err
    shape = (f"Anthropic's {{type: error, error: {{type: {err['type']!r}, message}}}}" if native else
             "not Anthropic's envelope")
    return [Row("error_shape", "supported" if native else "partial", snippet(r.raw or r.error.message, 140),
                s.latency_s, f"HTTP {r.error.status} {r.error.kind}; {shape}")]


async def _p_ratelimit(ctx: ProbeContext) -> list[Row]:
    s = await _send(ctx, _prepare(ctx, "Say hi."))
    if s.result.error:
        return [fail_row("ratelimit_headers", s)]
    names = sorted(h for h in s.headers if h.startswith("anthropic-ratelimit-"))
    if names:
        return [Row("ratelimit_headers", "supported", snippet(", ".join(names), 160), s.latency_s,
                    f"{len(names)} anthropic-ratelimit-* headers: a client can pace itself")]
    return [Row("ratelimit_headers", "ignored", "", s.latency_s, "no anthropic-ratelimit-* headers on a success")]


async def _p_cache(ctx: ProbeContext) -> list[Row]:
    req = _prepare(ctx, [{"role": "system", "content": _LONG_SYSTEM}, {"role": "user", "content": "Say hi."}])
    body = dict(req.body)
    system = body.get("system")
    if isinstance(system, str):
        system = [{"type": "text", "text": system}]
    if not isinstance(system, list) or not system:
        return [Row("cache_control", "unknown", "", None, "the request has no system prompt to mark")]
    system = copy.deepcopy(system)
    system[-1]["cache_control"] = {"type": "ephemeral"}
    body["system"] = system
    first = await _send(ctx, req, body)
    second = await _send(ctx, _prepare(ctx, "unused"), body)
    if first.result.error or second.result.error:
        return [fail_row("cache_control", first if first.result.error else second)]
    wrote, read = first.result.cache_write_tokens or 0, second.result.cached_tokens or 0
    ev = f"turn 1 cache writes {wrote}, turn 2 cache reads {read}"
    if wrote and read:
        return [Row("cache_control", "supported", ev, first.latency_s + second.latency_s,
                    "a marked prompt is written to the cache and read back")]
    if read:
        return [Row("cache_control", "partial", ev, first.latency_s + second.latency_s,
                    "reads are reported but writes are not: caching is automatic, cache_control is not read")]
    return [Row("cache_control", "ignored", ev, first.latency_s + second.latency_s, "no cache tokens reported")]


MESSAGES_GROUPS: tuple[CheckGroup, ...] = (
    CheckGroup(("plain_completion",), _p_plain),
    CheckGroup(("streaming",), _p_stream),
    CheckGroup(("tool_calling", "tool_result_round_trip"), _p_tools, steps=2),
    CheckGroup(("streamed_tool_calls",), _p_stream_tools),
    CheckGroup(("thinking", "signature_checked"), _p_thinking, steps=2),
    CheckGroup(("image_input",), _p_image),
    CheckGroup(("document_input",), _p_document),
    CheckGroup(("count_tokens",), _p_count_tokens),
    CheckGroup(("version_header",), _p_version),
    CheckGroup(("error_shape",), _p_error_shape),
    CheckGroup(("ratelimit_headers",), _p_ratelimit),
    CheckGroup(("cache_control",), _p_cache, steps=2),
)
assert sorted(c for g in MESSAGES_GROUPS for c in g.caps) == sorted(MESSAGES_CAPABILITIES)

__all__ = ["DOCUMENTED_AS", "MESSAGES_CAPABILITIES", "MESSAGES_GROUPS"]
