"""The capability battery: what each capability check sends to an endpoint and how it reads the answer.

Every check returns rows of ``supported`` / ``partial`` / ``ignored`` / ``rejected`` / ``unknown``:

- supported: the endpoint did what the capability asks, and the response shows it;
- partial: it works with a catch a client must know about (tool calls with finish_reason "stop", reasoning
  only as an encrypted blob, a system message hoisted to the top, usage only derivable from totals...);
- ignored: the request was accepted but had no visible effect, or the field is not reported;
- rejected: the endpoint answered 4xx to it (the error message is the evidence);
- unknown: not testable here (a transient failure, a timeout, a crash of the probe, or "not tested").

``evidence`` is a short raw snippet (field names and values seen, or the error message), ``detail`` the
reading of it, ``latency_s`` the wall time of the check's request(s). ``GROUPS`` says which check covers
which capabilities; :mod:`multimodel.probe.runner` runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any

import orjson

from multimodel.config import split_model
from multimodel.probe.common import (
    Sent,
    b64,
    choices_of,
    failure,
    is_stream_body,
    key_paths,
    last_usage,
    messages_of,
    send_raw,
    snippet,
    user,
)
from multimodel.sim.media import sample_pdf, sample_png, sample_wav

if TYPE_CHECKING:
    from multimodel.client import Client
    from multimodel.results import Result

# The battery, in display order.
CAPABILITIES: tuple[str, ...] = (
    "plain_completion",
    "streaming",
    "stream_include_usage",
    "system_mid_conversation",
    "developer_role",
    "tool_calling",
    "parallel_tool_calls",
    "tool_result_round_trip",
    "streamed_tool_calls",
    "json_mode",
    "structured_outputs",
    "image_data_url",
    "image_http_url",
    "audio_input",
    "file_input",
    "reasoning_request",
    "reasoning_text",
    "reasoning_tokens",
    "cached_tokens",
    "cost_reported",
    "n_gt_1",
    "seed",
    "logprobs",
    "error_shape",
    "retry_after_429",
)

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
LOCAL_TIME = {"type": "function", "function": {
    "name": "get_time", "description": "Current local time in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
TOOL_RESULT_CODE = "TR-5531"
CITY_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "zq_code": {"type": "integer"}},
    "required": ["city", "zq_code"],
    "additionalProperties": False,
}
_FINISH_TOOL = ("tool_calls", "tool_use", "function_call")
_NEGATIVE = ("can't see", "cannot see", "can not see", "unable to", "can't hear", "cannot hear", "no image",
             "not able to", "don't see", "do not see", "can't view", "cannot view", "can't access",
             "cannot access", "can't open", "cannot open")


@dataclass(slots=True)
class Row:
    """One capability's verdict on one endpoint."""

    capability: str
    status: str
    evidence: str = ""
    latency_s: float | None = None
    detail: str = ""


class ProbeContext:
    """The endpoint under test, as every check of one run sees it: model, provider config, timeout, its key
    (to scrub from the table), and whether it turned out to be the simulator. ``send`` sends one raw request."""

    def __init__(self, client: Client, model: str, timeout: float) -> None:
        cfg, model_id = split_model(model, client.providers)
        self.client = client
        self.model = model
        self.model_id = model_id
        self.cfg = cfg
        self.timeout = timeout
        self.secrets = (cfg.resolve_key(),)  # raises ConfigError now, before anything is sent
        self.simulated: bool | None = None

    async def send(self, messages: list[dict[str, Any]], **kw: Any) -> Sent:
        sent = await send_raw(self.client, self.model, messages, timeout=self.timeout, **kw)
        if sent.result.simulated:
            self.simulated = True
        elif self.simulated is None and sent.result.error is None:
            self.simulated = False
        return sent


# ============================================================================================ the probes
def fail_row(cap: str, s: Sent) -> Row:
    status, detail = failure(s.result)
    return Row(cap, status, snippet(s.result.error.message if s.result.error else ""), s.latency_s, detail)


def untestable(caps: Iterable[str], why: str, latency: float | None = None) -> list[Row]:
    """An ``unknown`` row per capability, with why it could not be tested."""
    return [Row(c, "unknown", "not tested", latency, why) for c in caps]


async def _p_plain(ctx: ProbeContext) -> list[Row]:
    s = await ctx.send(user("Say hello in one short sentence."))
    r = s.result
    if r.error:
        return [fail_row("plain_completion", s), *untestable(["cost_reported"], "the plain request failed")]
    objs = s.objects
    top = sorted(objs[0]) if objs and isinstance(objs[0], dict) else []
    ev = f"finish_reason={r.native_finish_reason!r}; content={snippet(r.content, 60)!r}; fields: {', '.join(top)}"
    status = "supported" if (r.content.strip() or r.tool_calls) else "partial"
    rows = [Row("plain_completion", status, ev, s.latency_s,
                "answered" if status == "supported" else "HTTP 200 but empty content")]
    usage = last_usage(objs) or {}
    cost_keys = {k: v for k, v in usage.items() if "cost" in k.lower()}
    if r.cost_source == "provider":
        rows.append(Row("cost_reported", "supported", snippet(cost_keys, 120), s.latency_s,
                        f"provider-reported cost ${r.cost_usd:.8f}"))
    elif cost_keys:
        rows.append(Row("cost_reported", "partial", snippet(cost_keys, 120), s.latency_s,
                        "usage has cost fields that the client does not read"))
    else:
        how = "cost from multimodel's price table" if r.cost_source == "price_table" else "no cost known"
        rows.append(Row("cost_reported", "ignored", f"usage fields: {', '.join(sorted(usage)) or 'none'}",
                        s.latency_s, f"not reported by the endpoint ({how})"))
    return rows


def _chunks(objs: list[Any]) -> list[dict[str, Any]]:
    return [o for o in objs if isinstance(o, dict) and ("choices" in o or "usage" in o)]


async def _p_stream(ctx: ProbeContext) -> list[Row]:
    s = await ctx.send(user("Count from one to five in words."), stream=True, drop=("stream_options",))
    r = s.result
    if r.error:
        return [fail_row("streaming", s)]
    objs = s.objects
    if not is_stream_body(objs):
        return [Row("streaming", "ignored", snippet(objs[0] if objs else r.raw, 100), s.latency_s,
                    "stream=true answered with one JSON body, not server-sent events")]
    chunks = _chunks(objs)
    with_text = sum(1 for m in messages_of(chunks) if isinstance(m.get("content"), str) and m["content"])
    unasked = sum(1 for o in chunks if isinstance(o.get("usage"), dict) and o["usage"])
    ttft = f"{r.ttft_s:.3f}s" if r.ttft_s is not None else "n/a"
    ev = f"{len(chunks)} chunks, {with_text} with content; ttft={ttft}"
    detail = "usage sent without stream_options" if unasked else "no usage without stream_options"
    if with_text >= 2:
        return [Row("streaming", "supported", ev, s.latency_s, detail)]
    return [Row("streaming", "partial", ev, s.latency_s, "the whole answer came in one chunk; " + detail)]


async def _p_stream_usage(ctx: ProbeContext) -> list[Row]:
    s = await ctx.send(user("Count from one to five in words."), stream=True,
                       body={"stream_options": {"include_usage": True}})
    r = s.result
    if r.error:
        return [fail_row("stream_include_usage", s)]
    if not is_stream_body(s.objects):
        return [Row("stream_include_usage", "ignored", snippet(s.objects[0] if s.objects else r.raw, 100),
                    s.latency_s, "the response was not streamed, so there is no usage chunk")]
    chunks = _chunks(s.objects)
    idx = [i for i, o in enumerate(chunks) if isinstance(o.get("usage"), dict) and o["usage"]]
    if not idx:
        return [Row("stream_include_usage", "ignored", f"{len(chunks)} chunks, none with usage", s.latency_s,
                    "stream_options.include_usage accepted, no usage chunk")]
    last = chunks[idx[-1]]
    if not last.get("choices"):
        where = "a final chunk with choices: []"
    elif any(c.get("finish_reason") for c in choices_of(last)):
        where = "the chunk with finish_reason"
    else:
        where = "a final chunk with an empty delta"
    many = f"; usage on {len(idx)} of {len(chunks)} chunks" if len(idx) > 1 else ""
    ev = f"usage in chunk {idx[-1] + 1}/{len(chunks)} ({where}){many}: {', '.join(sorted(last['usage']))}"
    return [Row("stream_include_usage", "supported", snippet(ev, 200), s.latency_s,
                f"usage arrives in {where}")]


_SIM_SYSTEM_ECHO = re.compile(r"system prompt I received says “([^”]*)”")


async def _p_system_mid(ctx: ProbeContext) -> list[Row]:
    messages = [
        {"role": "system", "content": "Marker ALPHA-1."},
        {"role": "user", "content": "Hello."},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "system", "content": "Marker ZEBRA-42."},
        {"role": "user", "content": "Did you get an instruction with the code ZEBRA-42, and was it given BEFORE "
                                    "or AFTER my message 'Hello.'? Answer with one word: BEFORE, AFTER or NONE."},
    ]
    s = await ctx.send(messages)
    r = s.result
    cap = "system_mid_conversation"
    if r.error:
        return [fail_row(cap, s)]
    echo = _SIM_SYSTEM_ECHO.search(r.content)
    if echo:  # the simulator quotes the system prompt it built: that shows hoisting directly
        sp = echo.group(1)
        ev = f"system prompt echoed: “{snippet(sp, 100)}”"
        if "ZEBRA-42" in sp and "ALPHA-1" in sp:
            return [Row(cap, "partial", ev, s.latency_s,
                        "hoisted: the mid-conversation system message was merged into the leading system prompt")]
        if "ZEBRA-42" in sp:
            return [Row(cap, "partial", ev, s.latency_s, "hoisted: it replaced the leading system prompt")]
        return [Row(cap, "supported", ev, s.latency_s,
                    "kept in place: not merged into the leading system prompt")]
    words = re.findall(r"\b(BEFORE|AFTER|NONE)\b", r.content.upper())
    ev = f"answer: {snippet(r.content, 100)!r}"
    if not words:
        return [Row(cap, "unknown", ev, s.latency_s, "the answer does not say where the instruction was")]
    verdict = {
        "AFTER": ("supported", "honoured in place (the model saw it after the earlier turn)"),
        "BEFORE": ("partial", "hoisted: the model saw it before the first user turn"),
        "NONE": ("ignored", "the model did not see the mid-conversation system message (dropped)"),
    }[words[0]]
    return [Row(cap, verdict[0], ev, s.latency_s, verdict[1] + " (from the model's own account)")]


async def _p_developer(ctx: ProbeContext) -> list[Row]:
    messages = [{"role": "developer", "content": "Marker DEV-7. Mention the code DEV-7 in every reply."},
                {"role": "user", "content": "Which code must you mention in every reply? Answer with the code."}]
    s = await ctx.send(messages)
    r = s.result
    if r.error:
        return [fail_row("developer_role", s)]
    i = r.content.find("DEV-7")
    if i >= 0:
        return [Row("developer_role", "supported", snippet(r.content[max(0, i - 50): i + 30], 100), s.latency_s,
                    "the developer instruction reached the model")]
    return [Row("developer_role", "ignored", snippet(r.content, 100), s.latency_s,
                "accepted, but the answer does not show the developer instruction")]


def _raw_finish(objects: list[Any]) -> str | None:
    """The last finish_reason of choice 0 as sent ("" included: Result.native_finish_reason turns it into None)."""
    found = None
    for obj in objects:
        for ch in choices_of(obj):
            if ch.get("index", 0) in (0, None) and ch.get("finish_reason") is not None:
                found = ch["finish_reason"]
    return found


def _tool_ev(r: Result, objects: list[Any]) -> tuple[str, list[str]]:
    """Evidence for tool calls, and the catches that make them partial."""
    calls = r.tool_calls
    catches = []
    if any(c.arguments is None for c in calls):
        catches.append("arguments are not valid JSON")
    if any(c.id.startswith("call_mm") for c in calls):
        catches.append("the provider sent no call id (synthesized by multimodel)")
    native = _raw_finish(objects)
    if native not in _FINISH_TOOL:
        catches.append(f"finish_reason {native!r} with tool calls (normalized to tool_calls)")
    names = ", ".join(c.name for c in calls)
    ev = f"{len(calls)} call(s) [{names}]; id={calls[0].id[:18]}; args={snippet(calls[0].arguments_raw, 40)}; " \
         f"finish_reason={native!r}"
    return ev, catches


async def _p_tools(ctx: ProbeContext) -> list[Row]:
    """tool_calling, then tool_result_round_trip on the same conversation."""
    messages = user("What is the weather in Paris right now? Use the get_weather tool, then quote the code it "
                    "returns.")
    s = await ctx.send(messages, tools=[WEATHER])
    r = s.result
    if r.error:
        return [fail_row("tool_calling", s), *untestable(["tool_result_round_trip"], "tool calling failed")]
    if not r.tool_calls:
        return [Row("tool_calling", "ignored", f"no tool call; content={snippet(r.content, 80)!r}", s.latency_s,
                    "tools accepted, answered in text"),
                *untestable(["tool_result_round_trip"], "no tool call in the first turn", s.latency_s)]
    ev, catches = _tool_ev(r, s.objects)
    rows = [Row("tool_calling", "partial" if catches else "supported", snippet(ev, 200), s.latency_s,
                "; ".join(catches) or "tool calls with finish_reason tool_calls")]
    follow = [*messages, r.as_message()]
    answer = f'{{"temperature_c": 18, "code": "{TOOL_RESULT_CODE}"}}'
    follow += [{"role": "tool", "tool_call_id": c.id, "content": answer} for c in r.tool_calls]
    s2 = await ctx.send(follow, tools=[WEATHER])
    r2 = s2.result
    cap = "tool_result_round_trip"
    ids = ", ".join(c.id[:18] for c in r.tool_calls)
    if r2.error:
        row = fail_row(cap, s2)
        row.detail += f"; echoed call id(s) {ids}"
        rows.append(row)
    elif TOOL_RESULT_CODE in r2.content:
        i = r2.content.find(TOOL_RESULT_CODE)
        quote = snippet(r2.content[max(0, i - 60):i + 20], 100)
        rows.append(Row(cap, "supported", f"echoed id(s) {ids}; answer: {quote}", s2.latency_s,
                        "the tool result was used in the next turn"))
    elif r2.tool_calls:
        rows.append(Row(cap, "partial", f"echoed id(s) {ids}; called {r2.tool_calls[0].name} again", s2.latency_s,
                        "accepted, but the model called the tool again instead of answering"))
    else:
        rows.append(Row(cap, "partial", f"echoed id(s) {ids}; answer: {snippet(r2.content, 100)}", s2.latency_s,
                        "accepted, but the answer does not show the tool result"))
    return rows


async def _p_parallel(ctx: ProbeContext) -> list[Row]:
    messages = user("What is the weather and the local time in Paris? Call get_weather and get_time together.")
    s = await ctx.send(messages, tools=[WEATHER, LOCAL_TIME], body={"parallel_tool_calls": True})
    r = s.result
    cap = "parallel_tool_calls"
    if r.error:
        return [fail_row(cap, s)]
    calls = r.tool_calls
    names = ", ".join(c.name for c in calls)
    if len(calls) >= 2:
        distinct = len({c.id for c in calls}) == len(calls)
        ev = f"{len(calls)} calls in one turn [{names}]; ids {', '.join(c.id[:14] for c in calls)}"
        if distinct and not any(c.id.startswith("call_mm") for c in calls):
            return [Row(cap, "supported", snippet(ev, 200), s.latency_s, "several calls in one response")]
        return [Row(cap, "partial", snippet(ev, 200), s.latency_s, "several calls, but ids missing or repeated")]
    if calls:
        return [Row(cap, "ignored", f"1 call [{names}]", s.latency_s, "one call per turn")]
    return [Row(cap, "ignored", f"no tool call; content={snippet(r.content, 80)!r}", s.latency_s,
                "answered in text")]


async def _p_stream_tools(ctx: ProbeContext) -> list[Row]:
    s = await ctx.send(user("What is the weather in Paris right now? Use the get_weather tool."), tools=[WEATHER],
                       stream=True)
    r = s.result
    cap = "streamed_tool_calls"
    if r.error:
        return [fail_row(cap, s)]
    if not r.tool_calls:
        return [Row(cap, "ignored", f"no tool call; content={snippet(r.content, 80)!r}", s.latency_s,
                    "tools accepted, answered in text")]
    deltas = [tc for m in messages_of(s.objects) for tc in (m.get("tool_calls") or ()) if isinstance(tc, dict)]
    indexed = all(isinstance(tc.get("index"), int) for tc in deltas)
    fragments = sum(1 for tc in deltas if not tc.get("id"))
    how = (f"{len(deltas)} tool_call delta(s), index {'present' if indexed else 'missing'}, arguments "
           + (f"in {fragments} fragment(s)" if fragments else "whole in one chunk"))
    _, catches = _tool_ev(r, s.objects)
    ev = f"{how}; {len(r.tool_calls)} call(s) assembled; finish_reason={_raw_finish(s.objects)!r}"
    return [Row(cap, "partial" if catches else "supported", snippet(ev, 200), s.latency_s,
                "; ".join(catches) or "calls assembled from the stream")]


def _parse_json(text: str) -> tuple[Any, bool]:
    """(value, fenced) or (None, False)."""
    t = text.strip()
    try:
        return orjson.loads(t), False
    except orjson.JSONDecodeError:
        pass
    m = re.search(r"```(?:json)?\s*(.*?)```", t, re.S)
    if m:
        try:
            return orjson.loads(m.group(1).strip()), True
        except orjson.JSONDecodeError:
            pass
    return None, False


async def _p_json_mode(ctx: ProbeContext) -> list[Row]:
    s = await ctx.send(user("Give the capital of France as a JSON object with the keys city and country."),
                       body={"response_format": {"type": "json_object"}})
    r = s.result
    cap = "json_mode"
    if r.error:
        return [fail_row(cap, s)]
    value, fenced = _parse_json(r.content)
    ev = snippet(r.content, 100)
    if isinstance(value, dict):
        if fenced:
            return [Row(cap, "partial", ev, s.latency_s, "JSON, but wrapped in a markdown code fence")]
        return [Row(cap, "supported", ev, s.latency_s, "content is one JSON object")]
    return [Row(cap, "ignored", ev, s.latency_s, "response_format accepted, content is not a JSON object")]


async def _p_structured(ctx: ProbeContext) -> list[Row]:
    import jsonschema

    rf = {"type": "json_schema", "json_schema": {"name": "probe_city", "strict": True, "schema": CITY_SCHEMA}}
    s = await ctx.send(user("Name the capital of France. Reply in JSON."), body={"response_format": rf})
    r = s.result
    cap = "structured_outputs"
    if r.error:
        return [fail_row(cap, s)]
    value, fenced = _parse_json(r.content)
    ev = snippet(r.content, 100)
    if value is None:
        return [Row(cap, "ignored", ev, s.latency_s, "json_schema accepted, content is not JSON")]
    try:
        jsonschema.validate(value, CITY_SCHEMA)
    except jsonschema.ValidationError as exc:
        return [Row(cap, "partial", ev, s.latency_s, f"JSON, but not valid against the schema: {exc.message}")]
    if fenced:
        return [Row(cap, "partial", ev, s.latency_s, "valid against the schema, but inside a code fence")]
    return [Row(cap, "supported", ev, s.latency_s, "content validates against the schema (zq_code included)")]


def media_verdict(cap: str, s: Sent, hints: tuple[str, ...], sim_phrase: str, what: str,
                   extra: str = "") -> Row:
    """Supported when the answer shows the input (the simulator's 'I see 1 image (...)' sentence, or a
    hint such as the colour without a refusal), ignored when it does not, the error row when it failed."""
    r = s.result
    if r.error:
        row = fail_row(cap, s)
        row.detail += extra
        return row
    low = r.content.lower()
    ev = snippet(r.content, 110)
    hint = next((m for h in hints for m in [re.search(rf"\b{re.escape(h)}\b", low)] if m), None)
    at = low.find(sim_phrase)
    if at >= 0 or (hint and not any(n in low for n in _NEGATIVE)):
        start = at if at >= 0 else max(0, hint.start() - 40)  # quote where the answer shows it
        ev = snippet(r.content[start:], 110)
        return Row(cap, "supported", ev, s.latency_s, f"the answer shows the {what} was read{extra}")
    return Row(cap, "ignored", ev, s.latency_s, f"accepted, but the answer does not show the {what}{extra}")


def _image_message(url: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [
        {"type": "text", "text": "What colour is this image? Answer in one word."},
        {"type": "image_url", "image_url": {"url": url}}]}]


async def _p_image_data(ctx: ProbeContext) -> list[Row]:
    s = await ctx.send(_image_message("data:image/png;base64," + b64(sample_png())))
    return [media_verdict("image_data_url", s, ("red",), "i see 1 image", "image")]


async def _p_image_http(ctx: ProbeContext) -> list[Row]:
    from aiohttp import web

    png = sample_png()
    hits = []

    async def serve(request: web.Request) -> web.Response:
        hits.append(request.headers.get("User-Agent", ""))
        return web.Response(body=png, content_type="image/png")

    app = web.Application()
    app.router.add_get("/probe.png", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}/probe.png"
        s = await ctx.send(_image_message(url))
    finally:
        await runner.cleanup()
    fetched = f"; the endpoint fetched the URL {len(hits)} time(s)" if hits else "; the endpoint never fetched the URL"
    return [media_verdict("image_http_url", s, ("red",), "i see 1 image (linked", "image", fetched)]


async def _p_audio(ctx: ProbeContext) -> list[Row]:
    messages = [{"role": "user", "content": [
        {"type": "text", "text": "Describe this audio clip in a few words."},
        {"type": "input_audio", "input_audio": {"data": b64(sample_wav()), "format": "wav"}}]}]
    s = await ctx.send(messages)
    return [media_verdict("audio_input", s, ("tone", "beep", "sine", "hum", "pitch", "whistle", "440", "note"),
                           "i hear 1 audio clip", "audio")]


async def _p_file(ctx: ProbeContext) -> list[Row]:
    messages = [{"role": "user", "content": [
        {"type": "text", "text": "What is the secret code in the attached PDF?"},
        {"type": "file", "file": {"filename": "probe.pdf",
                                  "file_data": "data:application/pdf;base64," + b64(sample_pdf())}}]}]
    s = await ctx.send(messages)
    return [media_verdict("file_input", s, ("7731",), "i read 1 pdf", "PDF")]


def _reasoning_fields(objs: list[Any]) -> list[str]:
    """Where readable (or encrypted) reasoning sat in the raw response."""
    found: list[str] = []

    def add(name: str) -> None:
        if name not in found:
            found.append(name)

    for m in messages_of(objs):
        for key in ("reasoning_content", "reasoning", "thinking"):
            if isinstance(m.get(key), str) and m[key]:
                add(key)
        for d in m.get("reasoning_details") or ():
            if isinstance(d, dict):
                add(f"reasoning_details[{d.get('type')}]")
        content = m.get("content")
        tag = re.match(r"\s*<(think|thought)>", content) if isinstance(content, str) else None
        if tag:
            add(f"content <{tag.group(1)}> tags")
        if isinstance(content, list) and any(isinstance(p, dict) and p.get("type") == "thinking" for p in content):
            add("content thinking parts")
        extra = m.get("extra_content")
        if isinstance(extra, dict) and (extra.get("google") or {}).get("thought"):
            add("extra_content.google.thought deltas")
    return found


async def _p_reasoning(ctx: ProbeContext) -> list[Row]:
    """reasoning_request, reasoning_text and reasoning_tokens from one request sent through the client."""
    messages = user("How many prime numbers are there below 30? Think it through, then give the number.")
    plain = ctx.client.prepare(ctx.model, messages, cache=False).body
    s = await ctx.send(messages, reasoning="low", shaped_messages=True)
    r = s.result
    sent = {k: v for k, v in s.body.items() if plain.get(k) != v}
    caps = ("reasoning_request", "reasoning_text", "reasoning_tokens")
    if r.error:
        row = fail_row(caps[0], s)
        row.detail += f"; the client sent {snippet(sent, 80)}"
        return [row, *untestable(caps[1:], "the reasoning request failed", s.latency_s)]
    rows = []
    effect = f"reasoning_tokens={r.reasoning_tokens}, reasoning text {'returned' if r.reasoning else 'not returned'}"
    if sent:
        rows.append(Row(caps[0], "supported", f"sent {snippet(sent, 110)}", s.latency_s, f"accepted; {effect}"))
    else:
        note = f" ({snippet(s.warnings[0], 120)})" if s.warnings else ""
        rows.append(Row(caps[0], "ignored", "nothing sent", s.latency_s,
                        f"multimodel sends no reasoning field for this model{note}; {effect}"))
    fields = _reasoning_fields(s.objects)
    readable = [f for f in fields if "encrypted" not in f and "redacted" not in f]
    if r.reasoning:
        rows.append(Row(caps[1], "supported", f"in {', '.join(readable) or '?'}: {snippet(r.reasoning, 80)!r}",
                        s.latency_s, f"readable reasoning in {', '.join(readable) or 'an unrecognized field'}"))
    elif fields:
        rows.append(Row(caps[1], "partial", f"only {', '.join(fields)}", s.latency_s,
                        "reasoning comes back only in opaque form (echo it back, cannot read it)"))
    else:
        rows.append(Row(caps[1], "ignored", "no reasoning field in the response", s.latency_s,
                        "reasoning text not returned"))
    usage = last_usage(s.objects) or {}
    details = usage.get("completion_tokens_details")
    explicit = details.get("reasoning_tokens") if isinstance(details, dict) else usage.get("reasoning_tokens")
    if isinstance(explicit, int) and explicit > 0:
        rows.append(Row(caps[2], "supported", f"completion_tokens_details.reasoning_tokens={explicit}", s.latency_s,
                        "reported"))
    elif isinstance(explicit, int):
        rows.append(Row(caps[2], "partial", "completion_tokens_details.reasoning_tokens=0", s.latency_s,
                        "field present but 0" + (" although reasoning text came back" if r.reasoning else "")))
    elif r.reasoning_tokens:
        p, c, t = usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens")
        rows.append(Row(caps[2], "partial", f"total_tokens {t} - prompt {p} - completion {c} = {r.reasoning_tokens}",
                        s.latency_s, "no reasoning_tokens field; only derivable from total_tokens"))
    else:
        rows.append(Row(caps[2], "ignored", f"usage fields: {', '.join(sorted(usage)) or 'none'}", s.latency_s,
                        "reasoning tokens not reported"))
    return rows


_PREFIX_LINES = [f"Reference entry {i}: item {i * 37 % 101} belongs to group {i % 7} and weighs {i * 13 % 50} units."
                 for i in range(160)]


async def _p_cached(ctx: ProbeContext) -> list[Row]:
    prefix = f"Probe {uuid.uuid4().hex}. Use this reference table.\n" + "\n".join(_PREFIX_LINES)
    t0 = perf_counter()
    first = await ctx.send([{"role": "system", "content": prefix}, *user("Which group does entry 3 belong to?")])
    if first.result.error:
        return [fail_row("cached_tokens", first)]
    second = await ctx.send([{"role": "system", "content": prefix}, *user("Which group does entry 5 belong to?")])
    r1, r2 = first.result, second.result
    latency = perf_counter() - t0
    if r2.error:
        row = fail_row("cached_tokens", second)
        row.latency_s = latency
        return [row]
    usage = last_usage(second.objects) or {}
    fields = sorted(p for p in key_paths(usage) if "cache" in p.lower())
    ev = f"1st cached={r1.cached_tokens}, 2nd cached={r2.cached_tokens} of {r2.prompt_tokens} prompt tokens"
    if fields:
        ev += f" ({', '.join(fields[:3])})"
    if r2.cached_tokens:
        return [Row("cached_tokens", "supported", ev, latency, "the repeated prefix was reported as cached")]
    if fields:
        return [Row("cached_tokens", "ignored", ev, latency, "cache fields present, but 0 for a repeated prefix")]
    return [Row("cached_tokens", "ignored", ev, latency, "cached tokens not reported")]


async def _p_n(ctx: ProbeContext) -> list[Row]:
    s = await ctx.send(user("Name a colour."), body={"n": 2})
    r = s.result
    if r.error:
        return [fail_row("n_gt_1", s)]
    objs = s.objects
    n = max((len(choices_of(o)) for o in objs), default=0) if not is_stream_body(objs) else 0
    if n >= 2:
        return [Row("n_gt_1", "supported", f"{n} choices", s.latency_s, "n=2 returned two choices")]
    return [Row("n_gt_1", "ignored", f"{n} choice(s)", s.latency_s, "n=2 accepted, one choice returned")]


async def _p_seed(ctx: ProbeContext) -> list[Row]:
    messages = user("Invent a name for a new colour and describe it in one sentence.")
    t0 = perf_counter()
    a, b, c = await asyncio.gather(ctx.send(messages, body={"seed": 1234}), ctx.send(messages, body={"seed": 1234}),
                                   ctx.send(messages, body={"seed": 98765}))
    latency = perf_counter() - t0
    for s in (a, b, c):
        if s.result.error:
            row = fail_row("seed", s)
            row.latency_s = latency
            return [row]
    same, other = a.result.content == b.result.content, a.result.content == c.result.content
    ev = f"seed 1234 twice: {'identical' if same else 'different'}; seed 98765: {'identical' if other else 'different'}"
    if not same:
        return [Row("seed", "ignored", ev, latency, "the same seed gave different outputs")]
    if other:
        return [Row("seed", "partial", ev, latency,
                    "reproducible, but a different seed gave the same output too: the seed has no visible effect "
                    "(deterministic endpoint, or seed ignored)")]
    return [Row("seed", "supported", ev, latency, "same seed reproduces, another seed changes the output")]


async def _p_logprobs(ctx: ProbeContext) -> list[Row]:
    s = await ctx.send(user("Name a colour."), body={"logprobs": True, "top_logprobs": 2})
    r = s.result
    if r.error:
        return [fail_row("logprobs", s)]
    choices = [c for o in s.objects for c in choices_of(o)]
    lp = next((c.get("logprobs") for c in choices if c.get("logprobs")), None)
    if isinstance(lp, dict) and lp.get("content"):
        first = lp["content"][0] if isinstance(lp["content"], list) and lp["content"] else {}
        ev = f"choices[0].logprobs.content[0]={snippet(first, 100)}"
        return [Row("logprobs", "supported", ev, s.latency_s, "token logprobs returned")]
    present = any("logprobs" in c for c in choices)
    ev = "choices[0].logprobs=null" if present else "no logprobs field"
    return [Row("logprobs", "ignored", ev, s.latency_s, "logprobs accepted, none returned")]


def _error_shape(body: Any) -> tuple[str, str]:
    """(status, description) of an error body's shape."""
    if isinstance(body, list) and body and isinstance(body[0], dict) and isinstance(body[0].get("error"), dict):
        keys = ", ".join(sorted(body[0]["error"]))
        return "partial", f"list-shaped [{{error: {{{keys}}}}}] (not OpenAI's object)"
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            keys = ", ".join(f"{k}:{type(v).__name__}" for k, v in err.items())
            extra = sorted(set(body) - {"error"})
            more = f" + top-level {', '.join(extra)}" if extra else ""
            return "supported", f"OpenAI-style {{error: {{{keys}}}}}{more}"
        if isinstance(err, str):
            return "partial", f"flat {{{', '.join(sorted(body))}}} with error as a string"
        if isinstance(body.get("message"), str):
            return "partial", f"flat {{{', '.join(sorted(body))}}}"
        return "partial", f"JSON without an error message: {{{', '.join(sorted(body))}}}"
    return "partial", "not structured (plain text)"


async def _p_error_shape(ctx: ProbeContext) -> list[Row]:
    # prepare() would refuse the role (ConfigError), so it goes in as a body override
    s = await ctx.send(user("hello"), body={"messages": [{"role": "wizard", "content": "hello"}]})
    r = s.result
    cap = "error_shape"
    if r.error is None:
        return [Row(cap, "ignored", snippet(r.content, 80), s.latency_s, "a message with role 'wizard' was accepted")]
    try:
        body = orjson.loads(r.raw) if isinstance(r.raw, str) and r.raw.strip() else None
    except orjson.JSONDecodeError:
        body = None
    status, shape = _error_shape(body)
    ev = snippet(r.raw or r.error.message, 160)
    detail = f"HTTP {r.error.status} {r.error.kind}; {shape}; provider_code={r.error.provider_code!r}"
    if r.error.kind != "bad_request":
        status = "partial"
        detail += "; not classed as a bad request"
    return [Row(cap, status, ev, s.latency_s, detail)]


def _simulator_address(base_url: str) -> tuple[str, str] | None:
    """(simulator root URL, dialect segment) when the base URL has the simulator's ``/<dialect>/v1`` shape."""
    from multimodel.sim import DIALECTS

    u = urllib.parse.urlsplit(base_url)
    parts = [p for p in u.path.split("/") if p]
    if len(parts) >= 2 and parts[-1] == "v1" and parts[-2] in DIALECTS:
        root = f"{u.scheme}://{u.netloc}" + "".join("/" + p for p in parts[:-2])
        return root, parts[-2]
    return None


@contextlib.asynccontextmanager
async def _simulated_429(root: str, dialect: str, model_id: str, timeout: float) -> AsyncIterator[None]:
    """Inside, the simulator answers this model's next request with a 429; on the way out its faults are put back.

    Simulator control, not a provider exchange: these ``/_sim/stats`` and ``/_sim/faults`` calls go straight
    through the shared aiohttp session (``multimodel.transport.IO``), not through the client.
    """
    import aiohttp

    from multimodel.transport import IO

    session = IO.session()
    async with session.get(f"{root}/_sim/stats", timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
        stats = await resp.json(content_type=None)
    previous = next((f["faults"] for f in stats.get("faults", [])
                     if f.get("provider") == dialect and f.get("model") == model_id), None)
    scope = {"provider": dialect, "model": model_id}
    try:
        async with session.post(f"{root}/_sim/faults", json={"faults": {"sequence": ["rate_limit"]}, **scope}) as resp:
            resp.raise_for_status()
        yield
    finally:
        async with session.post(f"{root}/_sim/faults", json={"faults": previous, **scope}) as resp:
            await resp.read()


async def _p_rate_limit(ctx: ProbeContext) -> list[Row]:
    cap = "retry_after_429"
    if ctx.simulated is None:  # nothing sent yet (a filtered battery): one plain request tells
        await ctx.send(user("Say hello."))
    if not ctx.simulated:
        return [Row(cap, "unknown", "not tested", None,
                    "real endpoint: the probe does not provoke rate limits (only against the simulator)")]
    address = _simulator_address(ctx.cfg.base_url)
    if address is None:
        return [Row(cap, "unknown", "not tested", None, "simulated, but no simulator control URL to inject a 429")]
    from multimodel.wire.errors import error_from_http

    req = ctx.client.prepare(ctx.model, user("Say hello."), retries=0, timeout=ctx.timeout, cache=False)
    t0 = perf_counter()
    async with _simulated_429(*address, ctx.model_id, ctx.timeout):
        resp = await ctx.client.runner.transport.post(req.url, req.headers, req.payload, ctx.timeout)
        try:
            status, headers, body = resp.status, resp.headers, await resp.read()
        finally:
            resp.close()
    latency = perf_counter() - t0
    if status != 429:
        return [Row(cap, "unknown", f"HTTP {status}", latency, "fault injection did not produce a 429")]
    err = error_from_http(status, headers, body)
    hdrs = {k.lower(): v for k, v in headers.items() if k.lower().startswith(("retry-after", "x-ratelimit"))}
    ev = f"HTTP 429 {snippet(hdrs, 90)}; body {snippet(body.decode('utf-8', 'replace'), 80)}"
    shape = _error_shape(orjson.loads(body) if body.strip()[:1] in (b"{", b"[") else None)[1]
    if err.retry_after_s is not None:
        src = "retry-after header" if "retry-after" in hdrs or "retry-after-ms" in hdrs else "the error body"
        return [Row(cap, "supported", ev, latency, f"retry after {err.retry_after_s:g}s from the {src}; "
                    f"kind={err.kind}; body {shape} (simulated 429)")]
    return [Row(cap, "partial", ev, latency, f"429 without a retry-after; body {shape} (simulated 429)")]


# ============================================================================================ the groups
@dataclass(frozen=True, slots=True)
class CheckGroup:
    """One check and the capabilities its rows cover (several when they share a request)."""

    caps: tuple[str, ...]
    run: Callable[[ProbeContext], Awaitable[list[Row]]]
    steps: int = 1  # sequential requests: the group's time bound is steps x timeout
    last: bool = False  # runs after every other group, alone


GROUPS: tuple[CheckGroup, ...] = (
    CheckGroup(("plain_completion", "cost_reported"), _p_plain),
    CheckGroup(("streaming",), _p_stream),
    CheckGroup(("stream_include_usage",), _p_stream_usage),
    CheckGroup(("system_mid_conversation",), _p_system_mid),
    CheckGroup(("developer_role",), _p_developer),
    CheckGroup(("tool_calling", "tool_result_round_trip"), _p_tools, steps=2),
    CheckGroup(("parallel_tool_calls",), _p_parallel),
    CheckGroup(("streamed_tool_calls",), _p_stream_tools),
    CheckGroup(("json_mode",), _p_json_mode),
    CheckGroup(("structured_outputs",), _p_structured),
    CheckGroup(("image_data_url",), _p_image_data),
    CheckGroup(("image_http_url",), _p_image_http),
    CheckGroup(("audio_input",), _p_audio),
    CheckGroup(("file_input",), _p_file),
    CheckGroup(("reasoning_request", "reasoning_text", "reasoning_tokens"), _p_reasoning),
    CheckGroup(("cached_tokens",), _p_cached, steps=2),
    CheckGroup(("n_gt_1",), _p_n),
    CheckGroup(("seed",), _p_seed),
    CheckGroup(("logprobs",), _p_logprobs),
    CheckGroup(("error_shape",), _p_error_shape),
    CheckGroup(("retry_after_429",), _p_rate_limit, steps=2, last=True),
)
assert sorted(c for g in GROUPS for c in g.caps) == sorted(CAPABILITIES)


__all__ = ["CAPABILITIES", "GROUPS", "CheckGroup", "ProbeContext", "Row", "fail_row", "media_verdict", "untestable"]
