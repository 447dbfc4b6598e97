"""Client behaviour over a real loopback server: validation, retries, timeouts, cache, key hygiene, Jupyter."""

from __future__ import annotations

import asyncio
import math
import warnings

import pytest

import multimodel as mm
from tests.scripted_server import ScriptedServer, Step, chat_body, json_step, sse_step

CANARY = "sk-canary-7f3a9c1e2b4d"


@pytest.fixture
def server():
    srv = ScriptedServer()
    yield srv
    srv.stop()


def make_client(server: ScriptedServer, **kw) -> mm.Client:
    entry = {"base_url": server.base_url, "api_key": CANARY, "dialect": kw.pop("dialect", "openai"),
             "prices": {"m": {"input": 1.0, "cached_input": 0.5, "output": 2.0}}}
    return mm.Client(providers={"loc": entry}, cache=kw.pop("cache", False), **kw)


# ---------------------------------------------------------------- bad input never reaches the wire
@pytest.mark.parametrize(
    ("model", "prompt", "kwargs", "fragment"),
    [
        ("nope/m", "hi", {}, "unknown provider 'nope'"),
        ("loc", "hi", {}, "must be 'provider/model-id'"),
        ("loc/m", "   ", {}, "prompt is empty"),
        ("loc/m", [], {}, "messages list is empty"),
        ("loc/m", [{"role": "wizard", "content": "x"}], {}, "role 'wizard'"),
        ("loc/m", [{"role": "tool", "content": "x"}], {}, "tool_call_id"),
        ("loc/m", [{"content": "x"}], {}, "role None"),
        ("loc/m", "hi", {"tools": [{"type": "function", "function": {"name": "f", "parameters": "str"}}]},
         "JSON Schema object"),
        ("loc/m", "hi", {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}]},
         "JSON Schema object"),
        ("loc/m", "hi", {"reasoning": "extreme"}, "reasoning='extreme'"),
        ("loc/m", "hi", {"reasoning": -5}, "must be positive"),
        ("loc/m", "hi", {"temprature": 0.5}, "unknown parameter"),
    ],
)
def test_caller_mistakes_raise_config_error_before_sending(server, model, prompt, kwargs, fragment):
    client = make_client(server)
    with pytest.raises(mm.ConfigError, match=fragment.replace("(", r"\(").replace("[", r"\[")):
        client.complete(model, prompt, **kwargs)
    assert server.requests == []


def test_missing_key_names_the_environment_variable(monkeypatch):
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    client = mm.Client(cache=False)
    with pytest.raises(mm.ConfigError, match="XAI_API_KEY"):
        client.complete("xai/grok-3-mini", "hi")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(mm.ConfigError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        client.complete("gemini/gemini-3-flash-preview", "hi")


def test_config_errors_are_value_errors_and_unknown_settings_are_named():
    assert issubclass(mm.ConfigError, ValueError)
    with pytest.raises(mm.ConfigError, match="unknown setting"):
        mm.Client(providers={"x": {"base_url": "http://127.0.0.1:1/v1", "apikey": "k"}})
    with pytest.raises(mm.ConfigError, match="needs a base_url"):
        mm.Client(providers={"ollama": {"api_key": "k"}})
    with pytest.raises(mm.ConfigError, match="unknown dialect"):
        mm.Client(providers={"x": {"base_url": "http://127.0.0.1:1/v1", "dialect": "claude"}})


def test_model_id_keeps_slashes_after_the_provider(server):
    client = make_client(server)
    client.complete("loc/anthropic/claude-opus-4.7", "hi")
    assert server.requests[0]["model"] == "anthropic/claude-opus-4.7"


# ---------------------------------------------------------------- results, usage, cost
def test_non_streaming_result_fields_and_price_table_cost(server):
    server.default = json_step(chat_body("four", usage={
        "prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500,
        "prompt_tokens_details": {"cached_tokens": 400}}))
    r = make_client(server).complete("loc/m", "2+2?")
    assert r.error is None and r.content == "four" and r.finish_reason == "stop"
    assert (r.prompt_tokens, r.completion_tokens, r.cached_tokens) == (1000, 500, 400)
    # 600 uncached × $1/M + 400 cached × $0.5/M + 500 output × $2/M
    assert r.cost_usd == pytest.approx((600 * 1.0 + 400 * 0.5 + 500 * 2.0) / 1e6)
    assert r.cost_source == "price_table"
    assert r.ttft_s is None and r.ttfat_s is None and r.e2e_s > 0  # not streamed: no first token was seen
    assert r.attempts == 1 and r.cached is False


def test_unknown_price_is_nan_with_a_warning_never_zero(server):
    client = mm.Client(providers={"loc": {"base_url": server.base_url, "api_key": "k"}}, cache=False)
    with pytest.warns(mm.PriceWarning, match="no price for loc/unpriced-model"):
        r = client.complete("loc/unpriced-model", "hi")
    assert math.isnan(r.cost_usd) and r.cost_source is None


def test_streaming_timing_reasoning_then_answer(server):
    chunks = [{"model": "m", "choices": [{"index": 0, "delta": {"reasoning_content": "think"}}]}]
    chunks += [{"model": "m", "choices": [{"index": 0, "delta": {"content": w}}]} for w in ("a", "b", "c")]
    chunks += [{"model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
               {"model": "m", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}]
    server.default = sse_step(chunks, part_delay_s=0.03)
    r = make_client(server).complete("loc/m", "hi", stream=True)
    assert r.content == "abc" and r.reasoning == "think"
    assert r.ttft_s < r.ttfat_s <= r.e2e_s
    assert r.ttfat_s - r.ttft_s >= 0.02  # the answer started one 30 ms step after the reasoning
    assert r.itl_s == pytest.approx((r.e2e_s - r.ttft_s) / 3)
    assert r.output_tps == pytest.approx(4 / (r.e2e_s - r.ttft_s))
    assert server.requests[0]["stream"] is True
    assert server.requests[0]["stream_options"] == {"include_usage": True}


def test_think_tags_split_across_deltas_go_to_reasoning(server):
    pieces = ["<th", "ink>plan ", "it</th", "ink>\n\nAnswer", " here"]
    server.default = sse_step([{"choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces])
    r = make_client(server).complete("loc/m", "hi", stream=True)
    assert r.reasoning == "plan it"
    assert r.content == "Answer here"


def test_tool_call_fragments_with_index_reuse_and_new_id(server):
    chunks = [
        {"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_a", "type": "function", "function": {"name": "f", "arguments": "{\"x\""}}]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}}]},
        # a different id at the same index is a new call (Gemini paths send index 0 for every call)
        {"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "call_b", "function": {"name": "g", "arguments": "{}"}}]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    server.default = sse_step(chunks)
    r = make_client(server).complete("loc/m", "hi", stream=True)
    assert [(c.id, c.name, c.arguments) for c in r.tool_calls] == [("call_a", "f", {"x": 1}), ("call_b", "g", {})]
    assert r.finish_reason == "tool_calls"  # "stop" beside tool calls is normalized
    assert r.ttfat_s is not None  # a tool call is the answer channel


def test_invalid_tool_arguments_keep_raw_and_parse_to_none(server):
    body = chat_body("")
    body["choices"][0]["message"]["tool_calls"] = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]
    server.default = json_step(body)
    r = make_client(server).complete("loc/m", "hi")
    assert r.tool_calls[0].arguments is None and r.tool_calls[0].arguments_raw == "{not json"


# ---------------------------------------------------------------- failures become error rows
def test_retry_after_is_honoured_and_attempts_counted(server):
    server.script = [json_step({"error": {"message": "slow down", "type": "rate_limit_exceeded"}}, status=429,
                               headers={"retry-after": "0.3"})]
    r = make_client(server).complete("loc/m", "hi")
    assert r.error is None and r.attempts == 2
    assert len(server.requests) == 2


def test_non_retryable_errors_fail_fast(server):
    server.default = json_step({"error": {"message": "bad key", "type": "invalid_request_error",
                                          "code": "invalid_api_key"}}, status=401)
    r = make_client(server).complete("loc/m", "hi")
    assert r.error.kind == "auth" and r.error.status == 401 and r.attempts == 1
    assert r.finish_reason == "error" and len(server.requests) == 1


def test_insufficient_quota_429_is_billing_not_retried(server):
    server.default = json_step({"error": {"message": "quota", "type": "insufficient_quota",
                                          "code": "insufficient_quota"}}, status=429)
    r = make_client(server).complete("loc/m", "hi")
    assert r.error.kind == "billing" and r.attempts == 1


def test_hang_becomes_timeout_error_not_exception(server):
    server.default = Step(hang=True)
    r = make_client(server).complete("loc/m", "hi", timeout=0.5, retries=0)
    assert r.error.kind == "timeout" and r.finish_reason == "error"


def test_connection_refused_becomes_connection_error():
    client = mm.Client(providers={"dead": {"base_url": "http://127.0.0.1:9/v1", "api_key": "k"}}, cache=False)
    r = client.complete("dead/m", "hi", retries=0)
    assert r.error.kind == "connection"


def test_malformed_chunk_is_a_stream_error_with_partial_content(server):
    server.default = sse_step([{"choices": [{"index": 0, "delta": {"content": "par"}}]}, b"{broken"])
    r = make_client(server).complete("loc/m", "hi", stream=True, retries=0)
    assert r.error.kind == "stream" and r.content == "par" and r.finish_reason == "error"


@pytest.mark.parametrize(
    ("status", "body", "kind", "code", "fragment"),
    [
        (400, [{"error": {"code": 400, "message": "Name cannot be empty.", "status": "INVALID_ARGUMENT"}}],
         "bad_request", "INVALID_ARGUMENT", "Name cannot be empty"),
        (400, {"code": "Client specified an invalid argument", "error": "Incorrect API key provided: ba***na."},
         "bad_request", "Client specified an invalid argument", "Incorrect API key"),
        (529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
         "overloaded", "overloaded_error", "Overloaded"),
        (402, {"error": {"message": "Insufficient Balance", "type": "unknown_error", "code": "invalid_request_error"}},
         "billing", "invalid_request_error", "Insufficient Balance"),
        (403, {"error": {"code": 403, "message": "flagged", "metadata": {"reasons": ["violence"]}}},
         "content_filter", "403", "flagged"),
    ],
)
def test_error_body_shapes(server, status, body, kind, code, fragment):
    server.default = json_step(body, status=status)
    r = make_client(server).complete("loc/m", "hi", retries=0)
    assert (r.error.kind, r.error.status, r.error.provider_code) == (kind, status, code)
    assert fragment in r.error.message


def test_gemini_retry_delay_in_body(server):
    body = [{"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED",
                       "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}]}}]
    server.default = json_step(body, status=429)
    r = make_client(server).complete("loc/m", "hi", retries=0)
    assert r.error.kind == "rate_limit" and r.error.retry_after_s == 17.0


# ---------------------------------------------------------------- cache
def test_cache_hit_sends_nothing_and_keeps_original_timings(server, tmp_path):
    path = tmp_path / "c.sqlite"
    client = make_client(server, cache=str(path))
    first = client.complete("loc/m", "hi", temperature=0)
    second = client.complete("loc/m", "hi", temperature=0)
    assert len(server.requests) == 1
    assert second.cached is True and first.cached is False
    assert second.e2e_s == first.e2e_s and second.cost_usd == first.cost_usd and second.content == first.content
    client.complete("loc/m", "hi", temperature=0.5)  # different parameters → a different request
    assert len(server.requests) == 2
    # a fresh client (new kernel) reads the same file
    again = make_client(server, cache=str(path)).complete("loc/m", "hi", temperature=0)
    assert again.cached and len(server.requests) == 2


def test_errors_are_not_cached(server, tmp_path):
    server.script = [json_step({"error": {"message": "boom"}}, status=500)]
    client = make_client(server, cache=str(tmp_path / "c.sqlite"))
    assert client.complete("loc/m", "hi", retries=0).error is not None
    assert client.complete("loc/m", "hi", retries=0).error is None
    assert len(server.requests) == 2


# ---------------------------------------------------------------- keys never leak
def test_canary_key_appears_nowhere(server, tmp_path, caplog):
    path = tmp_path / "c.sqlite"
    server.script = [json_step({"error": {"message": "bad"}}, status=400)]
    client = make_client(server, cache=str(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bad = client.complete("loc/m", "hi", retries=0)
        good = client.complete("loc/m", [{"role": "developer", "content": "be brief"},
                                         {"role": "user", "content": "hi"}])
        cmp = client.compare("hi", models=["loc/m", "loc/m2"])
    texts = [repr(client), repr(client.providers["loc"]), repr(bad), repr(good), repr(bad.error), str(bad.error),
             bad.to_json().decode(), good.to_json().decode(), repr(cmp), cmp._repr_html_(),
             cmp.df.to_csv(), cmp.df.to_json(), caplog.text, *[str(w.message) for w in caught]]
    for text in texts:
        assert CANARY not in text
    assert CANARY.encode() not in path.read_bytes()
    assert server.headers[0]["Authorization"] == f"Bearer {CANARY}"  # it was sent, to the provider only


# ---------------------------------------------------------------- the sync API inside a running loop (Jupyter)
def test_sync_call_works_inside_a_running_event_loop(server):
    client = make_client(server)

    async def notebook_cell():
        # a Jupyter kernel runs cells inside an event loop; the sync API must still work there
        r = client.complete("loc/m", "hi")
        r2 = await client.acomplete("loc/m", "hi again")
        return r, r2

    r, r2 = asyncio.run(notebook_cell())
    assert r.content == "hello" and r2.content == "hello"


def test_compare_keeps_order_and_isolates_failures(server):
    server.script = [json_step({"error": {"message": "down"}}, status=500, headers={})] * 3
    client = mm.Client(providers={
        "a": {"base_url": server.base_url, "api_key": "k", "prices": {"m": {"input": 1, "output": 1}}},
        "b": {"base_url": "http://127.0.0.1:9/v1", "api_key": "k"},
    }, cache=False)
    cmp = client.compare("hi", models=["b/m", "a/m"], retries=0)
    assert [r.model for r in cmp.results] == ["b/m", "a/m"]
    assert cmp.df["error_kind"].tolist() == ["connection", "server"]
    assert list(cmp.df.columns[:4]) == ["model", "answered_by", "content", "ttft_s"]  # what a researcher scans first


def test_openai_client_points_at_the_provider(server):
    sdk = make_client(server).openai_client("loc")
    assert str(sdk.base_url).rstrip("/") == server.base_url
    out = sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert out.choices[0].message.content == "hello"


def test_on_delta_reports_text_as_it_streams(server):
    chunks = [{"choices": [{"index": 0, "delta": {"reasoning": "hmm"}}]}]
    chunks += [{"choices": [{"index": 0, "delta": {"content": w}}]} for w in ("x", "y")]
    server.default = sse_step(chunks, part_delay_s=0.01)
    seen: list[tuple[str, str]] = []
    r = make_client(server).complete("loc/m", "hi", stream=True, on_delta=lambda k, t: seen.append((k, t)))
    assert seen == [("reasoning", "hmm"), ("content", "x"), ("content", "y")]
    assert r.content == "xy"

    def broken(kind, text):
        raise RuntimeError("view crashed")

    with pytest.warns(RuntimeWarning, match="switched off"):
        r = make_client(server).complete("loc/m", "hi", stream=True, on_delta=broken)
    assert r.error is None and r.content == "xy"


def test_param_warning_points_at_the_callers_line(server):
    client = make_client(server)
    with pytest.warns(mm.ParamWarning) as record:
        client.evaluate(["hi"], ["loc/gpt-5.4"], max_tokens=10, progress=False)
    mine = [w for w in record if issubclass(w.category, mm.ParamWarning)]
    assert mine and all(w.filename == __file__ for w in mine)  # the user's code, not multimodel/evaluation.py


def test_auto_picks_the_simulator_without_keys(monkeypatch):
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    c = mm.Client.auto(["openai/gpt-5.4", "xai/grok-3-mini"], latency_scale=0)
    assert c.simulated and c.missing_keys == ["xai"]
    real = mm.Client.auto(["openai/gpt-5.4"], cache=False)
    assert not real.simulated and real.missing_keys == []
    monkeypatch.setenv("MULTIMODEL_SIMULATE", "1")
    assert mm.Client.auto(["openai/gpt-5.4"], latency_scale=0).simulated
