"""Endpoint evaluation (multimodel.probe): the capability battery, probe_matrix and its chart, diff, latency.

Every probe is checked against an endpoint where the capability works and one where it does not. The
simulator's six dialects cover most of them: media, seed and logprobs follow the client's capability
tables per model (supported, ignored silently, or rejected). For what the simulator does the same way
everywhere (n > 1 never answered with several choices, every request streamed, usage chunk always sent,
parallel tool calls always made, http image URLs never fetched, 429s always with retry-after, etc.), two
small fake OpenAI-compatible endpoints below supply the other side: ``rich`` does what the simulator
never does (n choices, fetching http image URLs, JSON in a code fence, a 429 without retry-after through
the simulator's control protocol) and ``poor`` ignores what the simulator honours.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
import warnings
from typing import Any

import aiohttp
import orjson
import pandas as pd
import pytest
from aiohttp import web

import multimodel as mm
from multimodel.probe import (
    CAPABILITIES,
    STATUSES,
    bootstrap_median_diff,
    diff,
    format_probe,
    latency,
    long_form,
    plot_probe_matrix,
    probe,
    probe_matrix,
)
from multimodel.probe.common import id_style, scrub
from multimodel.sim.media import sample_pdf, sample_png, sample_wav

SIX = {
    "openai": "openai/gpt-5.4",
    "anthropic": "anthropic/claude-sonnet-4-6",
    "gemini": "gemini/gemini-3-flash-preview",
    "xai": "xai/grok-3-mini",
    "deepseek": "deepseek/deepseek-v4-pro",
    "openrouter": "openrouter/deepseek/deepseek-chat",
}
EXTRA = ["xai/grok-4.20-0309-reasoning", "openrouter/openai/gpt-5.4", "openai/no-such-model"]


# ================================================================ fake endpoints
def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") for p in content or [] if isinstance(p, dict) and p.get("type") == "text")


def _parts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for m in messages if isinstance(m.get("content"), list) for p in m["content"] if isinstance(p, dict)]


class FakeEndpoints:
    """``/poor/v1`` and ``/openai/v1`` (the rich one: it also speaks the simulator's control protocol)."""

    def __init__(self) -> None:
        self.fault: list[str] = []
        self.image_fetches = 0
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_post("/{mode}/v1/chat/completions", self.chat)
            app.router.add_get("/_sim/stats", self.stats)
            app.router.add_post("/_sim/faults", self.faults)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = self._runner.addresses[0][1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mode}/v1"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response({"faults": [], "simulated": True})

    async def faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fault = list((body.get("faults") or {}).get("sequence", []))
        return web.json_response({"ok": True})

    @staticmethod
    def _reply(content: str | None, *, n: int = 1, tool_calls: list | None = None, logprobs: bool = False,
               finish: str = "stop") -> dict[str, Any]:
        choices = []
        for i in range(n):
            msg: dict[str, Any] = {"role": "assistant", "content": content if n == 1 else f"{content} #{i}"}
            if tool_calls:
                msg["tool_calls"] = tool_calls
            ch: dict[str, Any] = {"index": i, "message": msg, "finish_reason": finish}
            if logprobs:
                ch["logprobs"] = {"content": [{"token": "Blue", "logprob": -0.1, "top_logprobs": []}]}
            choices.append(ch)
        return {"id": "fake-1", "object": "chat.completion", "model": "fake", "choices": choices,
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}

    async def chat(self, request: web.Request) -> web.StreamResponse:
        rich = request.match_info["mode"] == "openai"
        hdrs = {"x-multimodel-simulated": "true"} if rich else {}
        body = await request.json()
        msgs = body["messages"]
        roles = [m.get("role") for m in msgs]
        last = _text(next((m["content"] for m in reversed(msgs) if m.get("role") == "user"), ""))
        parts = _parts(msgs)

        def ok(payload: dict[str, Any]) -> web.Response:
            return web.Response(body=orjson.dumps(payload), content_type="application/json", headers=hdrs)

        def bad(message: str, status: int = 400) -> web.Response:
            return web.Response(status=status, body=orjson.dumps({"error": {"message": message, "type": "x"}}),
                                content_type="application/json", headers=hdrs)

        if rich and self.fault:
            self.fault.pop(0)
            return bad("slow down", 429)  # no retry-after anywhere
        if "wizard" in roles:
            return web.Response(status=400, text="bad role", headers=hdrs) if rich else ok(self._reply("hi"))
        if rich and body.get("reasoning_effort"):
            return bad("reasoning_effort is not supported")
        if rich and body.get("stream"):
            call = {"index": 0, "id": "call_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
            delta = {"tool_calls": [call]} if body.get("tools") else {"role": "assistant", "content": "one two"}
            chunk = {"choices": [{"index": 0, "delta": delta}]}
            finish = "tool_calls" if body.get("tools") else "stop"
            fin = {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
            text = b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in (chunk, fin)) + b"data: [DONE]\n\n"
            return web.Response(body=text, content_type="text/event-stream", headers=hdrs)
        if "tool" in roles:
            return bad("role tool is not supported") if rich else ok(self._reply("The code is TR-5531."))
        if body.get("tools"):
            if not rich:
                return ok(self._reply("I cannot use tools."))
            calls = [{"id": "call_1", "type": "function", "function": {"name": "get_weather",
                                                                      "arguments": '{"city": "Paris"}'}}]
            return ok(self._reply(None, tool_calls=calls, finish="tool_calls"))
        mid_system = any(r == "system" for r in roles[1:]) and roles[0] == "system"
        if mid_system:
            return ok(self._reply("AFTER" if rich else "NONE"))
        rf = body.get("response_format") or {}
        if rf.get("type") == "json_object":
            return ok(self._reply('```json\n{"city": "Paris", "country": "France"}\n```' if rich else "Paris."))
        if rf.get("type") == "json_schema":
            return ok(self._reply('{"city": "Paris"}' if rich else "Paris."))
        images = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
        if images:
            if not rich:
                return ok(self._reply("I cannot see any image."))
            for url in images:
                if url.startswith("http://"):
                    async with aiohttp.ClientSession() as s, s.get(url) as r:
                        assert (await r.read()).startswith(b"\x89PNG")
                        self.image_fetches += 1
            return ok(self._reply("Red."))
        if parts:
            return ok(self._reply("I cannot open attachments."))
        if "colour" in last and "Invent" in last:
            seed = body.get("seed")
            return ok(self._reply(f"Seeded colour {seed}." if rich and seed is not None else uuid.uuid4().hex))
        n = body.get("n") or 1
        return ok(self._reply("Blue.", n=n if rich else 1, logprobs=bool(rich and body.get("logprobs"))))


# ================================================================ fixtures
@pytest.fixture(scope="module")
def client():
    c = mm.Client.simulated(latency_scale=0)
    yield c
    c.sim.stop()


@pytest.fixture(scope="module")
def matrix(client):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return probe_matrix(client, [*SIX.values(), *EXTRA], timeout=20)


@pytest.fixture(scope="module")
def fakes():
    f = FakeEndpoints()
    prices = {"input": 0.0, "output": 0.0}
    c = mm.Client(providers={
        "rich": {"base_url": f.url("openai"), "api_key": "sk-richfakekey123456", "dialect": "openai",
                 "prices": {"o9-fake": prices}},
        "poor": {"base_url": f.url("poor"), "api_key": "sk-poorfakekey123456", "dialect": "openai",
                 "prices": {"gpt-4o-fake": prices}},
    }, cache=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rich = probe(c, "rich/o9-fake", timeout=10)
        poor = probe(c, "poor/gpt-4o-fake", timeout=10)
    yield rich, poor, f
    f.stop()


def row(df, capability: str) -> dict[str, Any]:
    sub = df[df["capability"] == capability]
    assert len(sub) == 1, capability
    return sub.iloc[0].to_dict()


def cell(matrix, dialect_or_model: str, capability: str) -> dict[str, Any]:
    model = SIX.get(dialect_or_model, dialect_or_model)
    long = long_form(matrix)
    return row(long[long["model"] == model], capability)


def status(matrix, dialect_or_model: str, capability: str) -> str:
    return cell(matrix, dialect_or_model, capability)["status"]


# ================================================================ shape of the table
def test_probe_table_shape_and_statuses(client):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = probe(client, "openai/gpt-4.1-mini", timeout=20)
    assert list(df.columns) == ["model", "capability", "status", "evidence", "latency_s", "detail", "documented"]
    assert list(df["capability"]) == list(CAPABILITIES)
    assert set(df["status"]) <= set(STATUSES)
    assert df["latency_s"].notna().all() and (df["latency_s"] >= 0).all()
    assert df.attrs["simulated"] is True
    assert (df["evidence"].str.len() > 0).all()


def test_matrix_wide_long_and_chart(matrix):
    models = [*SIX.values(), *EXTRA]
    assert list(matrix.columns) == models and list(matrix.index) == list(CAPABILITIES)
    long = long_form(matrix)
    assert len(long) == len(models) * len(CAPABILITIES)
    assert list(long.columns) == ["model", "capability", "status", "evidence", "latency_s", "detail", "documented"]
    assert pd.concat([matrix, matrix], axis=1).shape == (len(CAPABILITIES), 2 * len(models))  # attrs stay safe
    assert set(long["status"]) <= set(STATUSES)
    fig = plot_probe_matrix(matrix[list(SIX.values())])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(CAPABILITIES)
    assert len(ax.get_xticklabels()) == 6
    assert ax.images and "SIMULATED" in ax.get_title()
    assert plot_probe_matrix(long).axes  # the long form works too
    with pytest.raises(mm.ConfigError):
        plot_probe_matrix("not a frame")
    text = format_probe(long)
    assert len(text.splitlines()) == len(long) and "anthropic/claude-sonnet-4-6" in text


def test_subset_and_caller_mistakes(client):
    df = probe(client, "openai/gpt-4.1-mini", capabilities=["plain_completion", "logprobs"])
    assert list(df["capability"]) == ["plain_completion", "logprobs"]
    with pytest.raises(mm.ConfigError):
        probe(client, "openai/gpt-4.1-mini", capabilities=["telepathy"])
    with pytest.raises(mm.ConfigError):
        probe(client, "nowhere/model")
    with pytest.raises(mm.ConfigError):
        probe_matrix(client, "openai/gpt-4.1-mini")


def test_crashing_probe_becomes_unknown(client, monkeypatch):
    from multimodel.probe import battery

    async def boom(ctx):
        raise RuntimeError("probe exploded")

    groups = tuple(battery.CheckGroup(g.caps, boom, g.steps, g.last) if "json_mode" in g.caps else g
                   for g in battery.GROUPS)
    monkeypatch.setattr(battery, "GROUPS", groups)
    df = probe(client, "openai/gpt-4.1-mini", capabilities=["json_mode", "plain_completion"])
    r = row(df, "json_mode")
    assert r["status"] == "unknown" and "RuntimeError: probe exploded" in r["detail"]
    assert row(df, "plain_completion")["status"] == "supported"


def test_timeout_becomes_unknown(client):
    client.sim.set_faults({"hang": 1.0}, provider="openai", model="gpt-4.1-mini")
    try:
        df = probe(client, "openai/gpt-4.1-mini", capabilities=["logprobs"], timeout=0.3)
    finally:
        client.sim.set_faults(None, provider="openai", model="gpt-4.1-mini")
    r = row(df, "logprobs")
    assert r["status"] == "unknown" and "timeout" in r["detail"]


# ================================================================ each probe: supported vs not
def test_plain_completion(matrix):
    for d in SIX:
        assert status(matrix, d, "plain_completion") == "supported", d
    c = cell(matrix, "openai/no-such-model", "plain_completion")
    assert c["status"] == "rejected" and "does not exist" in c["evidence"]


def test_streaming(matrix, fakes):
    _, poor, _ = fakes
    for d in SIX:  # the simulator streams on every dialect
        assert status(matrix, d, "streaming") == "supported", d
    assert "chunks" in cell(matrix, "openai", "streaming")["evidence"]
    assert row(poor, "streaming")["status"] == "ignored"  # a JSON body for stream=true
    rich, _, _ = fakes
    assert row(rich, "streaming")["status"] == "partial"  # the whole answer in one chunk


def test_stream_include_usage(matrix, fakes):
    rich, poor, _ = fakes
    for d in SIX:  # every simulated dialect sends a usage chunk when asked
        assert status(matrix, d, "stream_include_usage") == "supported", d
    assert "choices: []" in cell(matrix, "openai", "stream_include_usage")["evidence"]
    assert "usage on" in cell(matrix, "gemini", "stream_include_usage")["evidence"]  # usage rides on every chunk
    assert row(rich, "stream_include_usage")["status"] == "ignored"
    assert row(poor, "stream_include_usage")["status"] == "ignored"


def test_system_mid_conversation(matrix, fakes):
    rich, poor, _ = fakes
    c = cell(matrix, "anthropic", "system_mid_conversation")
    assert c["status"] == "partial" and "hoisted" in c["detail"] and "ZEBRA-42" in c["evidence"]
    for d in ("openai", "gemini", "xai", "deepseek", "openrouter"):
        c = cell(matrix, d, "system_mid_conversation")
        assert c["status"] == "supported" and "in place" in c["detail"], d
    # a real model's own account: AFTER = in place, NONE = dropped
    assert row(rich, "system_mid_conversation")["status"] == "supported"
    assert row(poor, "system_mid_conversation")["status"] == "ignored"


def test_developer_role(matrix):
    c = cell(matrix, "deepseek", "developer_role")
    assert c["status"] == "rejected" and "unknown variant `developer`" in c["evidence"]
    for d in ("openai", "anthropic", "gemini", "xai", "openrouter"):
        assert status(matrix, d, "developer_role") == "supported", d


def test_tool_calling(matrix, fakes):
    _, poor, _ = fakes
    for d in ("openai", "anthropic", "xai", "deepseek", "openrouter"):
        assert status(matrix, d, "tool_calling") == "supported", d
    c = cell(matrix, "gemini", "tool_calling")  # finish_reason "stop" with tool calls: detected and reported
    assert c["status"] == "partial" and "finish_reason='stop'" in c["evidence"]
    assert "'stop' with tool calls" in c["detail"]
    c = cell(matrix, "xai/grok-4.20-0309-reasoning", "tool_calling")  # grok-4 family: finish_reason ""
    assert c["status"] == "partial" and "finish_reason=''" in c["evidence"]
    assert row(poor, "tool_calling")["status"] == "ignored"
    assert "toolu_01" in cell(matrix, "anthropic", "tool_calling")["evidence"]  # native id style


def test_parallel_tool_calls(matrix, fakes):
    _, poor, _ = fakes
    for d in SIX:  # the simulator makes parallel calls on every dialect
        c = cell(matrix, d, "parallel_tool_calls")
        assert c["status"] == "supported" and "2 calls" in c["evidence"], d
    assert row(poor, "parallel_tool_calls")["status"] == "ignored"


def test_tool_result_round_trip(matrix, fakes):
    rich, poor, _ = fakes
    for d in SIX:  # ids echoed and the result used, everywhere in the simulator (Gemini's signature included)
        c = cell(matrix, d, "tool_result_round_trip")
        assert c["status"] == "supported" and "TR-5531" in c["evidence"], d
    c = row(rich, "tool_result_round_trip")
    assert c["status"] == "rejected" and "role tool is not supported" in c["evidence"]
    assert row(poor, "tool_result_round_trip")["status"] == "unknown"  # no call in the first turn


def test_streamed_tool_calls(matrix, fakes):
    rich, poor, _ = fakes
    c = cell(matrix, "openai", "streamed_tool_calls")
    assert c["status"] == "supported" and "fragment" in c["evidence"]
    c = cell(matrix, "xai", "streamed_tool_calls")
    assert c["status"] == "supported" and "whole in one chunk" in c["evidence"]
    c = cell(matrix, "gemini", "streamed_tool_calls")
    assert c["status"] == "partial" and "index missing" in c["evidence"] and "finish_reason='stop'" in c["evidence"]
    assert row(rich, "streamed_tool_calls")["status"] == "supported"
    assert row(poor, "streamed_tool_calls")["status"] == "ignored"


def test_json_mode_and_structured_outputs(matrix, fakes):
    rich, poor, _ = fakes
    for d in ("openai", "gemini", "xai", "deepseek", "openrouter"):
        assert status(matrix, d, "json_mode") == "supported", d
    for d in ("openai", "gemini", "xai", "openrouter"):
        assert status(matrix, d, "structured_outputs") == "supported", d
    c = cell(matrix, "deepseek", "structured_outputs")  # json_schema: 400 on DeepSeek's Chat Completions
    assert c["status"] == "rejected" and "This response_format type is unavailable now" in c["evidence"]
    assert status(matrix, "anthropic", "json_mode") == "ignored"  # response_format: ignored by the compat layer
    assert status(matrix, "anthropic", "structured_outputs") == "ignored"
    assert row(rich, "json_mode")["status"] == "partial" and "code fence" in row(rich, "json_mode")["detail"]
    r = row(rich, "structured_outputs")
    assert r["status"] == "partial" and "zq_code" in r["detail"]
    assert row(poor, "json_mode")["status"] == "ignored"


def test_image_inputs(matrix, fakes):
    rich, poor, f = fakes
    for d in ("openai", "anthropic", "gemini", "xai/grok-4.20-0309-reasoning", "openrouter/openai/gpt-5.4"):
        c = cell(matrix, d, "image_data_url")
        assert c["status"] == "supported" and "I see 1 image (image/png, 79 bytes)" in c["evidence"], d
    for d in ("openai", "anthropic", "xai/grok-4.20-0309-reasoning", "openrouter/openai/gpt-5.4"):
        c = cell(matrix, d, "image_http_url")
        assert c["status"] == "supported" and "I see 1 image (linked http://127.0.0.1:" in c["evidence"], d
        assert "never fetched" in c["detail"], d  # the simulator does not fetch
    c = cell(matrix, "gemini", "image_http_url")  # only https:// links
    assert c["status"] == "rejected" and "Unsupported file URI type: http://" in c["evidence"]
    for cap in ("image_data_url", "image_http_url"):  # text-only models
        c = cell(matrix, "deepseek", cap)
        assert c["status"] == "rejected" and "unknown variant `image_url`" in c["evidence"]
        c = cell(matrix, "xai", cap)  # grok-3-mini
        assert c["status"] == "rejected" and "content elements of type image" in c["evidence"]
        c = cell(matrix, "openrouter", cap)  # deepseek upstream
        assert c["status"] == "rejected" and "No endpoints found that support image input" in c["evidence"]
        assert "HTTP 404" in c["detail"]
    assert row(poor, "image_data_url")["status"] == "ignored"
    r = row(rich, "image_http_url")  # a local endpoint that really fetches the 127.0.0.1 URL
    assert r["status"] == "supported" and "fetched the URL 1 time" in r["detail"] and f.image_fetches >= 1


def test_audio_and_file_inputs(matrix, fakes):
    _, poor, _ = fakes
    c = cell(matrix, "gemini", "audio_input")
    assert c["status"] == "supported" and "I hear 1 audio clip (wav, 4,844 bytes)" in c["evidence"]
    assert status(matrix, "anthropic", "audio_input") == "ignored"  # stripped by the compat layer
    c = cell(matrix, "openai", "audio_input")  # only gpt-audio takes input_audio
    assert c["status"] == "rejected" and "input_audio is only supported by certain models" in c["evidence"]
    c = cell(matrix, "deepseek", "audio_input")
    assert c["status"] == "rejected" and "HTTP 422" in c["detail"] and "`input_audio`" in c["evidence"]
    for d in ("xai", "xai/grok-4.20-0309-reasoning"):
        assert "content elements of type audio" in cell(matrix, d, "audio_input")["evidence"], d
    for d in ("openrouter", "openrouter/openai/gpt-5.4"):
        c = cell(matrix, d, "audio_input")
        assert c["status"] == "rejected" and "No endpoints found that support input audio" in c["evidence"], d
    # file (PDF) parts: read by OpenAI and Gemini, parsed by OpenRouter for any model, ignored by Anthropic's
    # compatibility layer (its request table), rejected by xAI and DeepSeek
    for d in ("openai", "gemini", "openrouter", "openrouter/openai/gpt-5.4"):
        c = cell(matrix, d, "file_input")
        assert c["status"] == "supported" and "I read 1 PDF (probe.pdf, 603 bytes)" in c["evidence"], d
    assert status(matrix, "anthropic", "file_input") == "ignored"
    for d in ("xai", "xai/grok-4.20-0309-reasoning", "deepseek"):
        assert status(matrix, d, "file_input") == "rejected", d
    assert row(poor, "audio_input")["status"] == "ignored"
    assert row(poor, "file_input")["status"] == "ignored"


def test_reasoning_request(matrix, fakes):
    rich, poor, _ = fakes
    for d in SIX:
        assert status(matrix, d, "reasoning_request") == "supported", d
    assert '"thinking"' in cell(matrix, "anthropic", "reasoning_request")["evidence"]
    assert "thinking_config" in cell(matrix, "gemini", "reasoning_request")["evidence"]
    assert row(rich, "reasoning_request")["status"] == "rejected"
    # a model the catalogue does not list on a user's endpoint: reasoning_effort is sent as given (no guess by
    # name), and the endpoint takes it without a sign of reasoning
    r = row(poor, "reasoning_request")
    assert r["status"] == "supported" and "reasoning_effort" in r["evidence"]
    assert "reasoning_tokens=None, reasoning text not returned" in r["detail"]


def test_reasoning_text(matrix):
    assert status(matrix, "anthropic", "reasoning_text") == "ignored"  # never returned by the compat layer
    assert status(matrix, "openai", "reasoning_text") == "ignored"  # hidden on Chat Completions
    assert "reasoning_content" in cell(matrix, "deepseek", "reasoning_text")["evidence"]
    assert "reasoning_content" in cell(matrix, "xai", "reasoning_text")["evidence"]
    assert "<thought> tags" in cell(matrix, "gemini", "reasoning_text")["evidence"]
    assert "reasoning_details[reasoning.text]" in cell(matrix, "openrouter", "reasoning_text")["evidence"]
    for d in ("gemini", "xai", "deepseek", "openrouter"):
        assert status(matrix, d, "reasoning_text") == "supported", d
    c = cell(matrix, "openrouter/openai/gpt-5.4", "reasoning_text")  # only an encrypted blob
    assert c["status"] == "partial" and "reasoning.encrypted" in c["evidence"]


def test_reasoning_tokens(matrix):
    for d in ("openai", "xai", "deepseek", "openrouter"):
        assert status(matrix, d, "reasoning_tokens") == "supported", d
    assert status(matrix, "anthropic", "reasoning_tokens") == "ignored"
    c = cell(matrix, "gemini", "reasoning_tokens")  # only derivable from total_tokens
    assert c["status"] == "partial" and "total_tokens" in c["evidence"]


def test_cached_tokens(matrix):
    for d in ("openai", "xai", "deepseek", "openrouter"):
        c = cell(matrix, d, "cached_tokens")
        assert c["status"] == "supported" and "1st cached=0" in c["evidence"], d
    assert "prompt_cache_hit_tokens" in cell(matrix, "deepseek", "cached_tokens")["evidence"]
    for d in ("anthropic", "gemini"):
        assert status(matrix, d, "cached_tokens") == "ignored", d


def test_cost_reported(matrix):
    c = cell(matrix, "openrouter", "cost_reported")
    assert c["status"] == "supported" and '"cost"' in c["evidence"]
    assert "cost_in_usd_ticks" in cell(matrix, "xai", "cost_reported")["evidence"]
    for d in ("openai", "anthropic", "gemini", "deepseek"):
        c = cell(matrix, d, "cost_reported")
        assert c["status"] == "ignored" and "price table" in c["detail"], d


def test_n_greater_than_one(matrix, fakes):
    rich, poor, _ = fakes
    c = cell(matrix, "anthropic", "n_gt_1")
    assert c["status"] == "rejected" and "n=1" in c["evidence"]
    for d in ("openai", "anthropic", "gemini", "xai", "deepseek"):  # the simulator rejects n > 1 there
        assert status(matrix, d, "n_gt_1") == "rejected", d
    c = cell(matrix, "openrouter", "n_gt_1")  # n is not in OpenRouter's schema: one choice comes back
    assert c["status"] == "ignored" and c["evidence"] == "1 choice(s)"
    assert row(rich, "n_gt_1")["status"] == "supported"
    assert row(poor, "n_gt_1")["status"] == "ignored"


def test_seed(matrix, fakes):
    rich, poor, _ = fakes
    # honoured (mixed into the sampling) by OpenAI, xAI and OpenRouter's OpenAI upstream
    for d in ("openai", "xai", "xai/grok-4.20-0309-reasoning", "openrouter/openai/gpt-5.4"):
        c = cell(matrix, d, "seed")
        assert c["status"] == "supported" and "seed 98765: different" in c["evidence"], d
    # ignored by Anthropic and DeepSeek (and so by OpenRouter's DeepSeek upstream): the simulator samples, so
    # the same seed twice gives two different answers, as on the real endpoints
    for d in ("anthropic", "deepseek", "openrouter"):
        c = cell(matrix, d, "seed")
        assert c["status"] == "ignored" and "seed 1234 twice: different" in c["evidence"], d
    c = cell(matrix, "gemini", "seed")
    assert c["status"] == "rejected" and 'Unknown name "seed": Cannot find field.' in c["evidence"]
    assert row(rich, "seed")["status"] == "supported"
    assert row(poor, "seed")["status"] == "ignored"


def test_logprobs(matrix, fakes):
    rich, _, _ = fakes
    for d in ("openai", "xai", "deepseek", "openrouter", "openrouter/openai/gpt-5.4"):
        c = cell(matrix, d, "logprobs")
        assert c["status"] == "supported" and '"logprob":-' in c["evidence"] and '"bytes":[' in c["evidence"], d
    c = cell(matrix, "anthropic", "logprobs")  # "logprobs: Ignored", response logprobs "Always empty"
    assert c["status"] == "ignored" and c["evidence"] == "no logprobs field"
    c = cell(matrix, "gemini", "logprobs")
    assert c["status"] == "rejected" and 'Unknown name "logprobs"' in c["evidence"]
    r = row(rich, "logprobs")
    assert r["status"] == "supported" and "logprob" in r["evidence"]


def test_error_shape(matrix, fakes):
    rich, poor, _ = fakes
    for d in ("openai", "anthropic", "deepseek", "openrouter"):
        c = cell(matrix, d, "error_shape")
        assert c["status"] == "supported" and "OpenAI-style" in c["detail"], d
    assert "code:int" in cell(matrix, "openrouter", "error_shape")["detail"]
    c = cell(matrix, "gemini", "error_shape")
    assert c["status"] == "partial" and "list-shaped" in c["detail"]
    c = cell(matrix, "xai", "error_shape")
    assert c["status"] == "partial" and "error as a string" in c["detail"]
    assert row(rich, "error_shape")["status"] == "partial" and "plain text" in row(rich, "error_shape")["detail"]
    assert row(poor, "error_shape")["status"] == "ignored"


def test_retry_after_429(matrix, fakes, client):
    rich, poor, _ = fakes
    for d in SIX:  # injected through the simulator's faults; every dialect sends retry-after
        c = cell(matrix, d, "retry_after_429")
        assert c["status"] == "supported" and "retry-after" in c["evidence"], d
    assert "list-shaped" in cell(matrix, "gemini", "retry_after_429")["detail"]
    assert client.sim.stats()["faults"] == []  # the fault scope was restored
    r = row(rich, "retry_after_429")  # simulator protocol, 429 without retry-after
    assert r["status"] == "partial" and "without a retry-after" in r["detail"]
    r = row(poor, "retry_after_429")  # a real endpoint is never rate-limited on purpose
    assert r["status"] == "unknown" and r["evidence"] == "not tested"


def test_keys_never_in_output(fakes):
    rich, poor, _ = fakes
    for df in (rich, poor):
        text = df.to_string()
        assert "richfakekey" not in text and "poorfakekey" not in text
    assert scrub("key sk-abcdefgh12345678 leaked", ("zzzz",)) == "key sk-*** leaked"
    assert scrub("skip_thought_signature_validator") == "skip_thought_signature_validator"
    assert "secret-value" not in scrub("x secret-value y", ("secret-value",))


def test_media_helpers_are_valid():
    import io
    import wave
    import zlib

    png = sample_png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and zlib.decompress(png[png.index(b"IDAT") + 4:-16])
    with wave.open(io.BytesIO(sample_wav())) as w:
        assert w.getnchannels() == 1 and w.getnframes() > 0
    pdf = sample_pdf()
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref:].startswith(b"xref") and b"PDF-7731" in pdf
    assert id_style("chatcmpl-abc") == "chatcmpl-*" and id_style("1da67a87-8701-4f0d-9c98-1a1cc30a4d52") == "uuid"


# ================================================================ diff
def test_diff_gateway_vs_direct_flags_structure(client):
    d = diff(client, "openrouter/deepseek/deepseek-v4-flash", "deepseek/deepseek-flash",
             ["Why is the sky blue?", "What is 2+2?"], temperature=0, seed=7)
    assert d.structure_differs
    fields = d.fields_differing("structure")
    for f in ("usage fields", "cost_source", "response id format", "raw fields"):
        assert f in fields, f
    usage = d.df[(d.df["field"] == "usage fields")].iloc[0]
    assert "usage.cost" in usage["a"] and "usage.prompt_cache_hit_tokens" in usage["b"]
    ids = d.df[(d.df["field"] == "response id format")].iloc[0]
    assert (ids["a"], ids["b"]) == ("gen-*", "uuid")
    assert set(d.pairs["cost_source_a"]) == {"provider"} and set(d.pairs["cost_source_b"]) == {"price_table"}
    assert d.content_differs  # the simulated answer names the model it came from
    assert (d.pairs["similarity"] < 1).all() and (d.pairs["similarity"] > 0).all()
    text = d.summary()
    assert "usage fields differs on 2/2" in text and "SIMULATED" in text


def test_diff_endpoint_against_itself_is_clean(client):
    prompts = ["Why is the sky blue?", [{"role": "system", "content": "Be brief."},
                                        {"role": "user", "content": "Name a planet."}]]
    for stream in (False, True):
        d = diff(client, "deepseek/deepseek-flash", "deepseek/deepseek-flash", prompts, temperature=0, seed=7,
                 stream=stream)
        assert d.identical and not d.content_differs and not d.structure_differs, d.df
        assert d.pairs["content_exact"].all() and (d.pairs["similarity"] == 1.0).all()
        assert "no differences" in d.summary()


def test_diff_tool_calls_and_errors(client):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    d = diff(client, "gemini/gemini-3-flash-preview", "openai/gpt-4.1-mini", "What is the weather in Paris?",
             tools=tools)
    nf = d.df[d.df["field"] == "native finish_reason"].iloc[0]
    assert (nf["a"], nf["b"]) == ("stop", "tool_calls")
    assert "tool call id format" in d.fields_differing()
    client.sim.set_faults({"server_error": 1.0}, provider="xai")
    try:
        d = diff(client, "xai/grok-3-mini", "openai/gpt-4.1-mini", "hi", retries=0)
    finally:
        client.sim.set_faults(None, provider="xai")
    assert d.errors_differ and not d.content_differs  # content is only compared when both answered
    with pytest.raises(mm.ConfigError):
        diff(client, "openai/gpt-4.1-mini", "openai/gpt-4.1-mini", [])


def test_diff_whitespace_only_difference():
    from multimodel.probe.diff import DiffReport
    from multimodel.results import Result

    a = Result(model="p/a", provider="p", content="Hello  world.\n", finish_reason="stop")
    b = Result(model="p/b", provider="p", content="Hello world.", finish_reason="stop")
    d = DiffReport("p/a", "p/b", ["hi"], [a], [b], {})
    r = d.df.iloc[0]
    assert r["aspect"] == "content" and r["detail"] == "whitespace only"
    assert bool(d.pairs["content_normalized_equal"].iloc[0]) and not bool(d.pairs["content_exact"].iloc[0])


# ================================================================ latency
def test_latency_percentiles_tokens_and_error_rate():
    c = mm.Client.simulated(latency_scale=0.05, answer_tokens=60)
    try:
        c.sim.set_faults({"sequence": ["ok", "server_error", "ok", "ok", "server_error"]}, provider="openai")
        rep = latency(c, "openai/gpt-4.1-mini", n=20, concurrency=5, warmup=0)
    finally:
        c.sim.stop()
    p = rep.percentiles()
    for metric in ("ttft_s", "e2e_s"):
        vals = list(p[metric])
        assert vals == sorted(vals) and vals[0] > 0, (metric, vals)
    assert (p["e2e_s"] >= p["ttft_s"]).all()
    assert rep.stats.loc["openai/gpt-4.1-mini", "errors"] == 2 and rep.error_rate == pytest.approx(0.1)
    tps = rep.stats.loc["openai/gpt-4.1-mini", "tokens_per_s_p50"]
    assert 110 / 0.05 / 3 < tps < 110 / 0.05 * 3  # the simulated model's 110 tokens/s at latency_scale 0.05
    assert rep.overhead is None and len(rep.df) == 20
    assert "ttft p50/p90/p95/p99" in rep.summary()


def test_latency_overhead_ci_contains_the_true_difference():
    # gateway and direct on the same upstream: the simulator adds 0.12 s x latency_scale of TTFT at the
    # gateway, and nothing per token (same tokens/s). Sequential and interleaved, so the run is reproducible.
    scale = 0.1
    c = mm.Client.simulated(latency_scale=scale, answer_tokens=8)
    try:
        rep = latency(c, "openrouter/openai/gpt-4.1-mini", n=20, concurrency=1,
                      baseline="openai/gpt-4.1-mini")
    finally:
        c.sim.stop()
    truth = 0.12 * scale
    for metric in ("ttft_s", "e2e_s"):
        o = rep.overhead.loc[metric]
        assert o["ci_low"] <= truth <= o["ci_high"], (metric, dict(o))
        assert o["ci_low"] > 0  # the gateway is measurably slower
    assert "overhead ttft_s" in rep.summary()
    with pytest.raises(mm.ConfigError):
        latency(c, "openai/gpt-4.1-mini", n=0)


def test_bootstrap_median_diff_covers_a_known_shift():
    import numpy as np

    rng = np.random.default_rng(1)
    a, b = rng.normal(0.50, 0.05, 300), rng.normal(0.40, 0.05, 300)
    est, lo, hi = bootstrap_median_diff(a, b)
    assert lo < 0.10 < hi and lo < est < hi and hi - lo < 0.03
    assert all(np.isnan(bootstrap_median_diff([], [1.0])))


# ================================================================ the probe against the documented tables
# (capability, documented, observed) pairs that agree: the probe reads tool calls that work with a documented quirk
# (Gemini's finish_reason "stop", xAI's "", whole-chunk streaming: the tables' notes) as "partial". One is a
# simulator limit (in the closing note): it answers n > 1 with a 400 on every dialect but OpenRouter. (An ignored
# seed is observed as "ignored" since the simulator samples.)
_SIM_LIMITS = {("n_gt_1", "supported", "rejected"), ("tool_calling", "supported", "partial"),
               ("streamed_tool_calls", "supported", "partial")}


def test_probe_agrees_with_the_capability_tables_on_the_simulator(matrix):
    """Each probe row carries the table's entry; on the simulator (which follows the tables) every
    documented status that the probe can observe must match what it observed."""
    long = long_form(matrix)
    checked = 0
    mismatches = []
    for rec in long.to_dict("records"):
        doc = rec["documented"]
        if rec["model"] == "openai/no-such-model" or not isinstance(doc, str) or doc == "unknown" or \
                rec["status"] == "unknown":
            continue
        if (rec["capability"], doc, rec["status"]) in _SIM_LIMITS:
            continue
        checked += 1
        if rec["status"] != doc:
            mismatches.append((rec["model"], rec["capability"], doc, rec["status"], rec["evidence"][:80]))
    assert mismatches == [], "\n".join(map(str, mismatches))
    assert checked >= 60
    assert "[documented: supported]" in format_probe(long[long["model"] == SIX["openai"]])  # n > 1: rejected
