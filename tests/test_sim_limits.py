"""The simulator's resource limits: what it holds while running, and what a client's mistake costs it.

- Lifecycle: ``Client.simulated(**options)`` starts a simulator of the client's own and stops it when the client
  is closed or dropped; without options every client shares one. Measured as file descriptors and threads.
- Request size: each provider's own limit and answer (413, or Gemini's 400), decided from Content-Length before
  the body is read, or while reading a chunked one, never by buffering the whole body.
- Client mistakes never get a 500: a bad query parameter on the control endpoints is a 400.
"""

from __future__ import annotations

import gc
import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import multimodel as mm
import multimodel.sim as msim


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# ---------------------------------------------------------------- lifecycle
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_dropped_simulated_clients_release_their_simulators():
    """200 clients with options, each dropped: fds and threads stay bounded (were +1,200 fds and +200 threads)."""
    warm = mm.Client.simulated(seed=-1, latency_scale=0)  # first use opens the I/O loop and its session
    assert warm.complete("deepseek/deepseek-flash", "hi").error is None
    warm.close()
    gc.collect()
    fds0, threads0 = _fds(), threading.active_count()
    most_fds = most_threads = 0
    for i in range(200):
        client = mm.Client.simulated(seed=i, latency_scale=0)
        if i % 20 == 0:  # some of them talk to their simulator over pooled connections
            assert client.complete("deepseek/deepseek-flash", "hi").error is None
        del client
        most_fds, most_threads = max(most_fds, _fds()), max(most_threads, threading.active_count())
    gc.collect()
    assert most_fds <= fds0 + 12 and most_threads <= threads0 + 3, (fds0, most_fds, threads0, most_threads)
    for _ in range(50):  # a stopping simulator's thread finishes on its own loop
        if threading.active_count() <= threads0:
            break
        threading.Event().wait(0.02)
    assert threading.active_count() <= threads0 and _fds() <= fds0 + 2


def test_close_and_with_stop_the_clients_own_simulator():
    with mm.Client.simulated(seed=3, latency_scale=0) as client:
        handle = client.sim
        assert handle.running and handle.owner is client
    assert not handle.running
    other = mm.Client.simulated(latency_scale=0)
    kept = other.sim
    other.close()
    other.close()  # twice is harmless
    assert not kept.running


def test_clients_without_options_share_one_simulator_that_close_leaves_running():
    a, b = mm.Client.simulated(), mm.Client.simulated()
    try:
        assert a.sim is b.sim and a.sim.owner is None
        a.close()
        assert b.sim.running  # others still use it
    finally:
        b.close()


def test_a_simulator_the_user_started_is_what_clients_without_options_use():
    with msim.start(latency_scale=0, seed=9) as mine:
        assert mm.Client.simulated().sim is mine
        owned = mm.Client.simulated(seed=9, latency_scale=0)
        assert owned.sim is not mine and msim.shared() is mine  # a client's own simulator is never shared
        owned.close()


def test_a_bound_simulator_stops_when_its_owner_is_collected():
    class Owner:
        pass

    owner = Owner()
    handle = msim.start(latency_scale=0).bind(owner)
    assert handle.owner is owner
    del owner
    gc.collect()
    handle.stop()  # waits for the thread the collection already told to stop
    assert not handle.running and handle.owner is None


# ---------------------------------------------------------------- request size
HEAD = b'{"model":"%s","messages":[{"role":"user","content":"'
TAIL = b'"}]}'
TOO_LARGE = {  # dialect: (model, status, what the answer says)
    "openai": ("gpt-4.1-mini", 413, "<title>413 Request Entity Too Large</title>"),
    "anthropic": ("claude-haiku-4-5", 413,
                  '{"error":{"type":"request_too_large","message":"Request exceeds the maximum size"}}'),
    "gemini": ("gemini-3-flash-preview", 400, "Request payload size exceeds the limit: 100000000 bytes."),
    "xai": ("grok-3-mini", 413, '"error":"Request Entity Too Large"'),
    "deepseek": ("deepseek-flash", 413, "<center>openresty</center>"),
    "openrouter": ("openai/gpt-4.1-mini", 413, '"error":{"message":"Request payload too large","code":413}'),
}


def _padded(model: str, filler: int, piece: int = 1 << 20) -> Iterator[bytes]:
    """A chat body with ``filler`` bytes of text, produced piece by piece (the test never holds it whole)."""
    yield HEAD % model.encode()
    for start in range(0, filler, piece):
        yield b"a" * min(piece, filler - start)
    yield TAIL


def _post(sim, dialect: str, content: Iterator[bytes], length: int | None = None) -> httpx.Response:
    headers = {"Authorization": "Bearer sk-test", "Content-Type": "application/json"}
    if length is not None:
        headers["Content-Length"] = str(length)
    return httpx.post(f"{sim.base_url(dialect)}/chat/completions", content=content, headers=headers, timeout=60)


@pytest.mark.parametrize("dialect", list(TOO_LARGE))
def test_a_body_over_the_providers_limit_is_refused_from_its_content_length(sim, dialect):
    """A 300 MB body answered 500 before (the whole body was buffered, then aiohttp refused it)."""
    from multimodel.sim.dialects import DIALECT_CLASSES

    model, status, says = TOO_LARGE[dialect]
    filler = 300_000_000
    length = len(HEAD % model.encode()) + filler + len(TAIL)
    assert length > DIALECT_CLASSES[dialect].max_request_bytes
    r = _post(sim, dialect, _padded(model, filler), length)
    assert r.status_code == status and says in r.text, (r.status_code, r.text[:200])
    assert sim.requests(1)[-1]["outcome"] == "too_large"


def test_a_chunked_body_is_refused_once_it_passes_the_limit(sim):
    r = _post(sim, "openrouter", _padded("openai/gpt-4.1-mini", 6 * 1024 * 1024))  # no Content-Length: chunked
    assert r.status_code == 413 and r.json()["error"]["code"] == 413
    r = _post(sim, "openrouter", _padded("openai/gpt-4.1-mini", 4 * 1024 * 1024))  # under OpenRouter's 5 MiB
    assert r.status_code == 200
    assert _post(sim, "deepseek", _padded("deepseek-flash", 100)).status_code == 200  # the connection serves on


def test_the_size_answer_comes_before_the_key_is_checked(sim):
    r = httpx.post(f"{sim.base_url('anthropic')}/chat/completions", content=_padded("claude-haiku-4-5", 33_000_000),
                   headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 413  # Cloudflare answers before the API looks for a key


# ---------------------------------------------------------------- control endpoints
@pytest.mark.parametrize("limit", ["abc", "1.5", "ten"])
def test_a_bad_query_parameter_is_a_400(sim, limit):
    r = httpx.get(f"{sim.url}/_sim/requests", params={"limit": limit})
    assert r.status_code == 400 and "limit must be an integer" in r.json()["error"]
    assert httpx.get(f"{sim.url}/_sim/requests", params={"limit": "2"}).status_code == 200


def test_control_payloads_are_capped_at_one_mib(sim):
    r = httpx.post(f"{sim.url}/_sim/faults", content=json.dumps({"faults": {"x": "a" * 2_000_000}}))
    assert r.status_code == 413


# ---------------------------------------------------------------- what the records keep
def test_records_keep_a_bounded_part_of_a_huge_model_name(clean_sim):
    """A 10 MB model name was kept whole in the request record (and the by_model counter) for good."""
    from multimodel.sim.server import MAX_RECORD_CHARS

    name = "m" * 10_000_000
    r = httpx.post(f"{clean_sim.base_url('openai')}/chat/completions", json={"model": name, "messages": [
        {"role": "user", "content": "hi"}]}, headers={"Authorization": "Bearer sk-test"}, timeout=60)
    assert r.status_code == 404  # OpenAI's model_not_found
    kept = clean_sim.requests(1)[-1]["model"]
    assert len(kept) < MAX_RECORD_CHARS + 30 and kept.startswith("m" * MAX_RECORD_CHARS) and "(+9999800 chars)" in kept
    assert list(clean_sim.stats()["by_model"]) == [kept]


def test_the_number_of_records_is_capped(monkeypatch):
    import multimodel.sim.server as server

    monkeypatch.setattr(server, "MAX_RECORDS", 5)
    with msim.start(latency_scale=0) as sim:
        for i in range(8):
            httpx.post(f"{sim.base_url('xai')}/chat/completions", json={"model": f"nope-{i}", "messages": [
                {"role": "user", "content": "hi"}]}, headers={"Authorization": "Bearer sk-test"})
        kept = sim.requests()
        assert [r["model"] for r in kept] == [f"nope-{i}" for i in range(3, 8)]  # the latest five
        assert sim.stats()["received"] == 8


# ---------------------------------------------------------------- malformed bodies: a 400, never a 500
MODELS = {"openai": "gpt-5.4", "anthropic": "claude-sonnet-4-6", "gemini": "gemini-3-flash-preview",
          "xai": "grok-4.3", "deepseek": "deepseek-flash", "openrouter": "anthropic/claude-sonnet-4.6"}
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city", "parameters": {
    "type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "Rome"]}, "days": {
        "type": "integer", "minimum": 1}}, "required": ["city"]}}}
SCHEMA = {"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": {
    "type": "object", "properties": {"text": {"type": "string"}, "n": {"type": "array", "items": {"type": "number"}}},
    "required": ["text"]}}}


_HTTP = httpx.Client(timeout=30)  # one client: a new one per request costs ~50 ms


def _chat(sim, dialect: str, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return _HTTP.post(f"{sim.base_url(dialect)}/chat/completions", content=content, timeout=30,
                      headers={"Authorization": "Bearer sk-test", "Content-Type": "application/json"})


def _accepted_body(sim, dialect: str) -> dict[str, Any]:
    """The richest request built from common pieces that this dialect's model answers with 200 (the fuzz's seed)."""
    from multimodel.sim.media import sample_png

    png = "data:image/png;base64," + __import__("base64").b64encode(sample_png()).decode()
    body: dict[str, Any] = {"model": MODELS[dialect], "messages": [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": None, "reasoning_content": "A tool knows.", "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "Sunny, 24 C"},
        {"role": "user", "content": [{"type": "text", "text": "And in Rome?"},
                                     {"type": "image_url", "image_url": {"url": png, "detail": "low"}}]}]}
    if _chat(sim, dialect, body).status_code != 200:  # no images, or no tool history, on this model
        body["messages"] = [body["messages"][0], {"role": "user", "content": [{"type": "text", "text": "Rome?"}]}]
    assert _chat(sim, dialect, body).status_code == 200
    extras = {"tools": [WEATHER], "tool_choice": "auto", "parallel_tool_calls": True, "max_tokens": 300,
              "temperature": 0.5, "top_p": 0.9, "stop": ["zzz"], "n": 1, "seed": 7, "logprobs": True, "top_logprobs": 2,
              "stream_options": {"include_usage": True}, "response_format": SCHEMA, "reasoning_effort": "low",
              "reasoning": {"effort": "low"}, "thinking": {"type": "enabled", "budget_tokens": 1024},
              "output_config": {"effort": "low"}, "user": "fuzz"}
    for key, value in extras.items():
        if _chat(sim, dialect, {**body, key: value}).status_code == 200:
            body[key] = value
    return body


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside ``obj`` (dict keys and list indexes), the root excluded."""
    out = []
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        out.append((*prefix, k))
        out.extend(_paths(v, (*prefix, k)))
    return out


def _random_json(rng: Any, depth: int = 0) -> Any:
    """A random JSON value of any type (nested objects and arrays, edge numbers and strings)."""
    kinds = ["null", "bool", "int", "float", "str"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, 1, -1, 2, 3, 7, 1024, -(2 ** 31), 2 ** 53, 2 ** 63 - 1, rng.randint(-10 ** 6, 10 ** 6)])
    if kind == "float":
        return rng.choice([0.0, -0.5, 0.5, 1.5, 2.0, 1e308, -1e-308, rng.uniform(-5, 5)])
    if kind == "str":
        return rng.choice(["", "x", "auto", "none", "low", "high", "function", "text", "image_url", "\u0000",
                           "é" * 50, "get_weather", "data:image/png;base64,AAAA", "a" * 5000])
    if kind == "list":
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["type", "text", "name", "url", "a", "function", "properties"]): _random_json(rng, depth + 1)
            for _ in range(rng.randint(0, 3))}


def _mutated(body: dict[str, Any], path: tuple, value: Any, delete: bool) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    node = out
    for key in path[:-1]:
        node = node[key]
    if delete:
        node.pop(path[-1])
    else:
        node[path[-1]] = value
    return out


@pytest.mark.parametrize("dialect", list(MODELS))
def test_fuzzed_chat_bodies_never_get_a_500(sim, dialect):
    """Every field of an accepted request, replaced by random JSON of every type or removed, streamed or not: the
    answer is the dialect's 4xx or a 200, never a 5xx (before: 998 of 29,310 such requests answered 500)."""
    import random

    rng = random.Random(f"fuzz:{dialect}")
    base = _accepted_body(sim, dialect)
    paths = _paths(base)
    cases = [(p, _random_json(rng), False) for p in paths for _ in range(4)] + [(p, None, True) for p in paths]
    cases += [(rng.choice(paths), _random_json(rng), rng.random() < 0.2) for _ in range(int(os.environ.get(
        "MULTIMODEL_FUZZ_EXTRA", "150")))]
    seen: dict[int, int] = {}
    for path, value, delete in cases:
        body = _mutated(base, path, value, delete)
        body["stream"] = rng.random() < 0.5 if "stream" not in path else body.get("stream")
        r = _chat(sim, dialect, body)
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert r.status_code < 500, (path, value, delete, r.status_code, r.text[:300])
        if r.status_code >= 400:
            assert r.content, (path, value)  # an error always says what is wrong
    assert seen.get(200, 0) > 0 and sum(seen.values()) >= 5 * len(paths), seen


@pytest.mark.parametrize(("dialect", "check"), [
    ("openai", lambda b: b["error"] == {
        "message": "Invalid schema for function 'get_weather': 5 is not of type 'object'.",
        "type": "invalid_request_error", "param": "tools[0].function.parameters",
        "code": "invalid_function_parameters"}),
    ("anthropic", lambda b: b["error"]["message"].startswith("tools.0.custom.input_schema: JSON schema is invalid")),
    ("gemini", lambda b: b[0]["error"]["status"] == "INVALID_ARGUMENT"),
    ("xai", lambda b: isinstance(b["error"], str) and "5 is not of type 'object'" in b["error"]),
    ("deepseek", lambda b: "5 is not of type 'object'" in b["error"]["message"]),
    ("openrouter", lambda b: b["error"]["code"] == 400 and "5 is not of type" in b["error"]["message"]),
])
def test_a_tool_schema_with_properties_5_is_the_providers_400(sim, dialect, check):
    """It answered 500 (the simulator iterated over 5 while inventing the tool's arguments)."""
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
                                                                                  "properties": 5}}}
    r = _chat(sim, dialect, {"model": MODELS[dialect], "messages": [{"role": "user", "content": "Weather?"}],
                             "tools": [tool]})
    assert r.status_code == 400 and check(r.json()), r.text


@pytest.mark.parametrize(("field", "value", "says"), [
    ("temperature", "hot", "Invalid type for 'temperature': expected a decimal, but got a string instead."),
    ("max_tokens", 2.5, "Invalid type for 'max_tokens': expected an integer, but got a decimal instead."),
    ("stream", "yes", "Invalid type for 'stream': expected a boolean, but got a string instead."),
    ("tools", {"a": 1}, "Invalid type for 'tools': expected an array, but got an object instead."),
])
def test_a_field_of_the_wrong_type_is_openais_invalid_type(sim, field, value, says):
    r = _chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}], field: value})
    assert r.status_code == 400 and r.json()["error"] == {"message": says, "type": "invalid_request_error",
                                                          "param": field, "code": "invalid_type"}


def test_null_content_on_a_user_message_is_openais_real_400(sim):
    r = _chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": None}]})
    assert r.status_code == 400 and r.json()["error"] == {
        "message": "Invalid value for 'content': expected a string, got null.", "type": "invalid_request_error",
        "param": "messages.[0].content", "code": None}


def test_deepseek_words_a_wrong_type_like_serde(sim):
    r = _chat(sim, "deepseek", {"model": "deepseek-flash", "messages": [{"role": "user", "content": "hi"}],
                                "max_tokens": "ten"})
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("Failed to deserialize the JSON body into the target type: "
                                                   'max_tokens: invalid type: string "ten", expected u32 at line 1')


def test_what_anthropic_ignores_is_not_type_checked(sim):
    r = _chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "hi"}],
                                 "seed": "any", "logprobs": "yes", "response_format": 5})
    assert r.status_code == 200  # the compat page: these are ignored


def test_a_body_nested_too_deep_or_badly_compressed_is_a_400(sim):
    deep = b'{"model":"gpt-4.1-mini","messages":[{"role":"user","content":' + b"[" * 600 + b"]" * 600 + b"}]}"
    assert _chat(sim, "openai", deep).status_code == 400  # was a 500 (re-encoding hit orjson's depth limit)
    r = httpx.post(f"{sim.base_url('openai')}/chat/completions", content=b"not gzip", timeout=10,
                   headers={"Authorization": "Bearer sk-test", "Content-Encoding": "gzip"})
    assert r.status_code == 400  # was a 500


@pytest.mark.parametrize(("schema", "problem"), [
    ({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}, None),
    ({"type": ["string", "null"], "items": [{"type": "string"}], "exclusiveMinimum": True}, None),  # draft 4 forms
    (None, None),  # no parameters at all
    ({"properties": 5}, "5 is not of type 'object'"),
    ({"properties": {"city": "text"}}, "'text' is not of type 'object', 'boolean'"),
    ({"required": "city"}, "'city' is not of type 'array'"),
    ({"required": ["city", 1]}, "1 is not of type 'string'"),
    ({"type": "text"}, "'text' is not valid under any of the given schemas"),
    ({"anyOf": []}, "[] is too short"),
    ({"items": {"enum": 3}}, "3 is not of type 'array'"),
    ({"$defs": {"a": {"minimum": "0"}}}, "'0' is not of type 'number'"),
    ({"minItems": -1}, "-1 is less than the minimum of 0"),
])
def test_json_schema_problems_in_jsonschemas_words(schema, problem):
    from multimodel.sim.shape import schema_problem

    assert schema_problem(schema) == problem


def test_tools_that_are_not_functions_are_left_to_the_dialect(sim):
    r = _chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}],
                              "tools": [{"type": "custom", "custom": {"name": "grammar"}}]})
    assert r.status_code == 200
    r = _chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}],
                              "tools": [{"type": "function"}]})
    assert r.status_code == 400 and r.json()["error"]["message"] == "Missing required parameter: 'tools[0].function'."
