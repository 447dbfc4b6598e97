"""The exchange layer over the transport seam, in-process (multimodel/exchange.py + transport.ReplayTransport):
one PreparedRequest → one Result with no server and no network. Whole JSON bodies, SSE streams delivered in
awkward pieces, HTTP errors seen by the observer, and each TransportError kind mapped to its error kind."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import orjson
import pytest

import multimodel as mm
from multimodel import pricing
from multimodel.config import build_provider
from multimodel.exchange import annotate, send, unsent
from multimodel.request import RequestPreparer
from multimodel.transport import ReplayTransport, Reply, TransportError, run_sync

JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream; charset=utf-8"}


@pytest.fixture
def preparer():
    providers = {name: build_provider(name, {"api_key": "sk-exchange"}) for name in ("openai", "deepseek")}
    providers["local"] = build_provider("local", {"base_url": "http://127.0.0.1:9/v1", "api_key": "k",
                                                  "prices": {"llama3": {"input": 1.0, "output": 2.0}}})
    return RequestPreparer(providers)


def body_json(content="Hello!", finish="stop", model="gpt-4.1-mini-2025-04-14", usage=True) -> bytes:
    choice = {"index": 0, "message": {"role": "assistant", "content": content}}
    if finish is not None:
        choice["finish_reason"] = finish
    body = {"id": "chatcmpl-1", "object": "chat.completion", "model": model, "choices": [choice]}
    if usage:
        body["usage"] = {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13}
    return orjson.dumps(body)


def chunk(delta=None, finish=None, usage=None, model="deepseek-flash") -> bytes:
    obj = {"id": "c1", "object": "chat.completion.chunk", "model": model,
           "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        obj["usage"] = usage
    return b"data: " + orjson.dumps(obj) + b"\n\n"


#: a DeepSeek-style reasoning stream: reasoning, a keep-alive comment, answer text with a multi-byte
#: character, the finish, the usage chunk, [DONE]
STREAM = b"".join([
    chunk({"role": "assistant", "reasoning_content": "Think"}),
    b": keep-alive\n\n",
    chunk({"reasoning_content": "ing."}),
    chunk({"content": "Caf"}),
    chunk({"content": "é ☕"}, finish="stop"),
    chunk(usage={"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12,
                 "completion_tokens_details": {"reasoning_tokens": 4}}),
    b"data: [DONE]\n\n",
])


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def run(req, handler, observe=None):
    return run_sync(send(req, ReplayTransport(handler), observe))


# ---------------------------------------------------------------------------------- whole bodies
def test_a_json_body_becomes_a_result(preparer):
    seen = []

    def handler(url, headers, payload):
        seen.append((url, dict(headers), payload))
        return Reply(200, {**JSON, "x-request-id": "req-42"}, body_json())

    observed = []
    req = preparer.prepare("openai/gpt-4.1-mini", "hi", temperature=0)
    r = run(req, handler, lambda status, headers, retry: observed.append((status, headers.get("x-request-id"),
                                                                          retry)))
    assert seen == [(req.url, req.headers, req.payload)]  # the seam carries exactly the prepared bytes
    assert observed == [(200, "req-42", None)]
    assert r.error is None
    assert (r.model, r.provider, r.response_model) == ("openai/gpt-4.1-mini", "openai", "gpt-4.1-mini-2025-04-14")
    assert (r.content, r.reasoning, r.tool_calls) == ("Hello!", None, [])
    assert (r.finish_reason, r.native_finish_reason) == ("stop", "stop")
    assert (r.prompt_tokens, r.completion_tokens, r.reasoning_tokens) == (10, 3, None)
    price = pricing.lookup("openai", "gpt-4.1-mini")
    assert r.cost_source == "price_table" and r.cost_usd == pytest.approx(price.cost(10, 3, None), rel=1e-12)
    assert r.request_id == "req-42" and r.stream is False and r.simulated is False
    assert r.raw == body_json().decode()
    assert r.ttft_s is None and r.ttfat_s is None and r.e2e_s >= 0  # a whole body: no first token was seen


def test_a_json_body_with_tool_calls(preparer):
    body = orjson.dumps({"model": "gpt-4.1-mini", "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None, "tool_calls": [
            {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'}},
            {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{bad"}}]}}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 9}})
    r = run(preparer.prepare("openai/gpt-4.1-mini", "weather?"), lambda u, h, p: Reply(200, JSON, body))
    assert r.finish_reason == "tool_calls" and r.content == ""
    assert [(c.id, c.name, c.arguments, c.arguments_raw) for c in r.tool_calls] == [
        ("call_a", "get_weather", {"city": "Oslo"}, '{"city":"Oslo"}'), ("call_b", "get_time", None, "{bad")]


def test_a_body_that_is_not_json_is_a_server_error(preparer):
    r = run(preparer.prepare("openai/gpt-4.1-mini", "hi"), lambda u, h, p: Reply(200, JSON, b"<html>oops</html>"))
    assert (r.error.kind, r.error.status) == ("server", 200)
    assert r.error.message == "the provider answered HTTP 200 with a body that is not a JSON object"
    assert r.finish_reason == "error" and r.raw == "<html>oops</html>"


def test_the_simulator_header_marks_the_row(preparer):
    r = run(preparer.prepare("openai/gpt-4.1-mini", "hi"),
            lambda u, h, p: Reply(200, {**JSON, "X-Multimodel-Simulated": "true"}, body_json()))
    assert r.simulated is True  # headers are case-insensitive


def test_a_complete_body_without_a_finish_reason_is_kept_with_it_empty(preparer):
    """DESIGN.md section 1: a complete non-streamed JSON body without a finish reason is kept with
    finish_reason empty (lenient servers do this), never reported as stop."""
    r = run(preparer.prepare("local/llama3", "hi"), lambda u, h, p: Reply(200, JSON, body_json(finish=None)))
    assert r.error is None and r.content == "Hello!"
    assert r.native_finish_reason is None
    assert r.finish_reason == ""


# ---------------------------------------------------------------------------------- streams
@pytest.mark.parametrize("size", [1, 2, 7, 33, 100, len(STREAM)])
def test_a_stream_in_awkward_pieces(preparer, size):
    parts = pieces(STREAM, size)
    if size < 100:  # lines, and the UTF-8 bytes of 'é' and '☕', really are split across pieces
        assert any(not p.endswith(b"\n") for p in parts)
    deltas = []
    req = preparer.prepare("deepseek/deepseek-flash", "hi", stream=True,
                           on_delta=lambda kind, text: deltas.append((kind, text)))
    r = run(req, lambda u, h, p: Reply(200, SSE, iter(parts)))
    assert r.error is None
    assert (r.reasoning, r.content) == ("Thinking.", "Café ☕")
    assert (r.finish_reason, r.native_finish_reason, r.response_model) == ("stop", "stop", "deepseek-flash")
    assert (r.prompt_tokens, r.completion_tokens, r.reasoning_tokens) == (5, 7, 4)
    assert r.cost_source == "price_table"
    assert r.cost_usd == pytest.approx(pricing.lookup("deepseek", "deepseek-flash").cost(5, 7, None), rel=1e-12)
    assert r.stream is True
    assert 0 <= r.ttft_s <= r.ttfat_s <= r.e2e_s
    assert "".join(t for k, t in deltas if k == "reasoning") == "Thinking."
    assert "".join(t for k, t in deltas if k == "content") == "Café ☕"
    assert r.raw.splitlines()[-1] == "[DONE]"
    assert r.raw.count("\n") == 5  # one line per data event, the comment left out


def test_a_stream_of_one_byte_pieces_with_crlf_line_ends(preparer):
    crlf = STREAM.replace(b"\n", b"\r\n")
    r = run(preparer.prepare("deepseek/deepseek-flash", "hi", stream=True),
            lambda u, h, p: Reply(200, SSE, iter(pieces(crlf, 1))))
    assert r.error is None and (r.reasoning, r.content) == ("Thinking.", "Café ☕")


def test_a_stream_that_ends_without_finish_or_done_is_truncated(preparer):
    """DESIGN.md section 1: a stream that ends with neither a finish_reason nor its end marker is an error of
    kind truncated."""
    cut = chunk({"content": "The answer is"}, model="llama3")
    r = run(preparer.prepare("local/llama3", "hi", stream=True), lambda u, h, p: Reply(200, SSE, [cut]))
    assert r.content == "The answer is"  # what arrived is kept
    assert r.error is not None and r.error.kind == "truncated"
    assert r.finish_reason == "error"


def test_a_stream_with_either_end_signal_is_complete(preparer):
    with_done = chunk({"content": "ok"}, model="llama3") + b"data: [DONE]\n\n"
    r = run(preparer.prepare("local/llama3", "hi", stream=True), lambda u, h, p: Reply(200, SSE, [with_done]))
    assert r.error is None and r.content == "ok" and r.finish_reason == "stop" and r.native_finish_reason is None
    with_finish = chunk({"content": "ok"}, finish="length", model="llama3")
    r = run(preparer.prepare("local/llama3", "hi", stream=True), lambda u, h, p: Reply(200, SSE, [with_finish]))
    assert r.error is None and r.finish_reason == "length"


def test_an_error_event_mid_stream(preparer):
    data = chunk({"content": "Hel"}) + b'event: error\ndata: {"error":{"message":"Overloaded","type":' \
                                       b'"overloaded_error"}}\n\n' + chunk({"content": "never read"})
    r = run(preparer.prepare("deepseek/deepseek-flash", "hi", stream=True),
            lambda u, h, p: Reply(200, SSE, pieces(data, 10)))
    assert (r.error.kind, r.error.message) == ("overloaded", "Overloaded")
    assert r.content == "Hel" and r.finish_reason == "error"


def test_a_malformed_chunk_ends_the_stream(preparer):
    data = chunk({"content": "Hel"}) + b"data: {not json\n\n" + chunk({"content": "lo"}, finish="stop")
    r = run(preparer.prepare("deepseek/deepseek-flash", "hi", stream=True), lambda u, h, p: Reply(200, SSE, [data]))
    assert r.error.kind == "stream"
    assert r.error.message == "malformed chunk in the stream: b'{not json'"
    assert r.content == "Hel"


# ---------------------------------------------------------------------------------- HTTP errors
def test_a_429_with_retry_after_is_seen_by_the_observer(preparer):
    error = (b'{"error":{"message":"Rate limit reached for gpt-4.1-mini","type":"requests",'
             b'"code":"rate_limit_exceeded"}}')
    observed = []
    r = run(preparer.prepare("openai/gpt-4.1-mini", "hi"),
            lambda u, h, p: Reply(429, {**JSON, "Retry-After": "7", "x-request-id": "req-429"}, error),
            lambda status, headers, retry: observed.append((status, headers.get("retry-after"), retry)))
    assert observed == [(429, "7", 7.0)]
    assert (r.error.kind, r.error.status, r.error.retry_after_s, r.error.provider_code) == (
        "rate_limit", 429, 7.0, "rate_limit_exceeded")
    assert r.error.message == "Rate limit reached for gpt-4.1-mini"
    assert r.finish_reason == "error" and r.request_id == "req-429"
    assert r.raw == error.decode()
    assert r.ttfat_s is None and r.ttft_s is None and r.e2e_s >= 0
    assert math.isnan(r.cost_usd) and r.cost_source is None


@pytest.mark.parametrize(("status", "kind"), [(400, "bad_request"), (401, "auth"), (404, "not_found"),
                                              (500, "server"), (503, "overloaded"), (529, "overloaded")])
def test_http_statuses_map_to_kinds(preparer, status, kind):
    r = run(preparer.prepare("openai/gpt-4.1-mini", "hi"),
            lambda u, h, p: Reply(status, JSON, b'{"error":{"message":"nope"}}'))
    assert (r.error.kind, r.error.status, r.error.message, r.error.retry_after_s) == (kind, status, "nope", None)


# ---------------------------------------------------------------------------------- transport failures
def raising(kind: str, message: str):
    def handler(url, headers, payload):
        raise TransportError(kind, message)

    return handler


def test_a_timeout(preparer):
    r = run(preparer.prepare("openai/gpt-4.1-mini", "hi", timeout=12), raising("timeout", "idle: too slow"))
    assert (r.error.kind, r.error.message, r.error.status) == (
        "timeout", "idle: too slow (limits: connect 10s, idle 12s, total 12s)", None)
    assert r.finish_reason == "error" and r.content == "" and r.e2e_s >= 0


def test_a_broken_body_is_a_stream_error(preparer):
    r = run(preparer.prepare("openai/gpt-4.1-mini", "hi"), raising("broken", "the connection broke mid-response"))
    assert (r.error.kind, r.error.message) == ("stream", "the connection broke mid-response")


def test_a_connection_failure_before_anything_arrived(preparer):
    r = run(preparer.prepare("deepseek/deepseek-flash", "hi", stream=True),
            raising("connection", "connection failed: refused"))
    assert (r.error.kind, r.error.message) == ("connection", "connection failed: refused")
    assert r.finish_reason == "error"


def test_a_connection_lost_after_the_stream_started_is_a_stream_error(preparer):
    def body() -> Iterator[bytes]:
        yield STREAM[:60]
        yield STREAM[60:len(chunk({"role": "assistant", "reasoning_content": "Think"})) + 20]
        raise TransportError("connection", "the server closed the connection before answering in full")

    r = run(preparer.prepare("deepseek/deepseek-flash", "hi", stream=True), lambda u, h, p: Reply(200, SSE, body()))
    assert (r.error.kind, r.error.message) == ("stream", "the server closed the connection before answering in full")
    assert r.reasoning == "Think" and r.content == ""  # what arrived is kept
    assert r.raw.startswith('{"id":"c1"')
    assert r.finish_reason == "error"


def test_a_timeout_mid_stream_is_still_a_timeout(preparer):
    def body() -> Iterator[bytes]:
        yield chunk({"content": "partial"})
        raise TransportError("timeout", "total: no complete answer within the total limit")

    r = run(preparer.prepare("deepseek/deepseek-flash", "hi", stream=True, timeout=mm.Timeout(total=3, idle=2)),
            lambda u, h, p: Reply(200, SSE, body()))
    assert (r.error.kind, r.error.message) == (
        "timeout", "total: no complete answer within the total limit (limits: connect 10s, idle 2s, total 3s)")
    assert r.content == "partial"


# ---------------------------------------------------------------------------------- unsent and annotate
def test_unsent_and_annotate(preparer):
    from multimodel.sim.media import sample_wav

    providers = {"anthropic": build_provider("anthropic", {"api_key": "k"})}
    req = RequestPreparer(providers).prepare("anthropic/claude-sonnet-4-6", ["hi", mm.audio(sample_wav())],
                                             on_unsupported="skip")
    row = unsent(req, "unsupported", req.skip)
    assert (row.error.kind, row.error.message, row.attempts, row.finish_reason) == (
        "unsupported", req.skip, 0, "error")
    assert row.dropped_inputs == ["audio_input"] and row.model == "anthropic/claude-sonnet-4-6"
    req2 = preparer.prepare("openai/gpt-4.1-mini", "hi")
    req2.route_reason = "cheapest"
    r = annotate(mm.Result(model="openai/gpt-4.1-mini", provider="openai"), req2)
    assert (r.dropped_inputs, r.unverified_inputs, r.route_reason) == ([], [], "cheapest")


# ---------------------------------------------------------------------------------- a whole client, no network
def test_a_client_on_a_replay_transport_answers_without_a_network(tmp_path):
    calls = []

    def handler(url, headers, payload):
        calls.append((url, headers["Authorization"], orjson.loads(payload)))
        return Reply(200, JSON, body_json(content="Replayed.", model="llama3"))

    client = mm.Client(providers={"replay": {"base_url": "http://replay.invalid/v1", "api_key": "k",
                                             "prices": {"llama3": {"input": 1.0, "output": 2.0}}}},
                       cache=str(tmp_path / "c.sqlite"), transport=ReplayTransport(handler))
    r = client.complete("replay/llama3", "hi", temperature=0)
    assert r.error is None and r.content == "Replayed." and r.cached is False and r.attempts == 1
    assert r.cost_usd == pytest.approx((10 * 1.0 + 3 * 2.0) / 1e6) and r.cost_source == "price_table"
    assert calls == [("http://replay.invalid/v1/chat/completions", "Bearer k",
                      {"model": "llama3", "messages": [{"role": "user", "content": "hi"}], "temperature": 0})]
    again = client.complete("replay/llama3", "hi", temperature=0)
    assert again.cached is True and again.content == "Replayed." and len(calls) == 1  # from the cache
    cmp = client.compare("hello", models=["replay/llama3"], live=False)
    assert cmp.df["content"].tolist() == ["Replayed."] and len(calls) == 2


def test_a_client_on_a_replay_transport_retries_a_failure(tmp_path):
    replies = [Reply(503, {**JSON, "retry-after": "0"}, b'{"error":{"message":"busy"}}'),
               Reply(200, JSON, body_json(content="second time", model="llama3"))]

    def handler(url, headers, payload):
        return replies.pop(0)

    client = mm.Client(providers={"replay": {"base_url": "http://replay.invalid/v1", "api_key": "k"}},
                       cache=False, transport=ReplayTransport(handler))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.PriceWarning)
        r = client.complete("replay/llama3", "hi", retries=1)
    assert r.error is None and r.content == "second time" and r.attempts == 2
    assert replies == []
