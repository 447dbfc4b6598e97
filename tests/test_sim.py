"""multimodel.sim as a server: CLI, handle API, auth and key hygiene, faults, limits, counters, determinism.

Plain httpx against a running simulator (latency_scale=0), never the multimodel client.
Per-dialect wire details are in test_sim_dialects.py.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
import pytest

import multimodel.sim as msim

KEY = "sk-test-key"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIALECT_MODEL = {
    "openai": "gpt-4.1-mini",
    "anthropic": "claude-haiku-4-5",
    "gemini": "gemini-3-flash-preview",
    "xai": "grok-3-mini",
    "deepseek": "deepseek-flash",
    "openrouter": "openai/gpt-4.1-mini",
}


# ---------------------------------------------------------------- helpers (also used by test_sim_dialects)
_HTTP = httpx.Client(timeout=10.0)  # one client: creating one per call costs ~50 ms (SSL context)


def chat(sim, dialect: str, body: dict[str, Any], *, key: str | None = KEY, headers: dict[str, str] | None = None,
         timeout: float = 10.0) -> httpx.Response:
    h = dict(headers or {})
    if key is not None:
        h["Authorization"] = f"Bearer {key}"
    return _HTTP.post(f"{sim.base_url(dialect)}/chat/completions", json=body, headers=h, timeout=timeout)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def sse_events(text: str) -> list[tuple[str, Any]]:
    """("comment", line) / ("data", obj) / ("bad", raw) / ("done", None), in order."""
    out: list[tuple[str, Any]] = []
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith(":"):
            out.append(("comment", line))
        elif line.startswith("data: "):
            payload = line[6:]
            if payload == "[DONE]":
                out.append(("done", None))
                continue
            try:
                out.append(("data", json.loads(payload)))
            except json.JSONDecodeError:
                out.append(("bad", payload))
    return out


def data_chunks(events: list[tuple[str, Any]]) -> list[Any]:
    return [p for k, p in events if k == "data"]


def deltas(chunks: list[Any]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if isinstance(c, dict) and c.get("choices")]


def streamed(chunks: list[Any], field: str = "content") -> str:
    return "".join(d.get(field) or "" for d in deltas(chunks))


def stream(sim, dialect: str, body: dict[str, Any], **kw: Any) -> tuple[httpx.Response, list[tuple[str, Any]]]:
    r = chat(sim, dialect, {**body, "stream": True}, **kw)
    return r, sse_events(r.text)


# `sim` (one simulator per module) and `clean_sim` (reset before each test) come from tests/conftest.py
pytestmark = pytest.mark.usefixtures("clean_sim")


# ---------------------------------------------------------------- process and handle
def test_cli_prints_url_first_and_serves_until_terminated():
    proc = subprocess.Popen([sys.executable, "-m", "multimodel.sim", "--port", "0", "--latency-scale", "0",
                             "--seed", "3", "--faults", "rate_limit=0.0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and not url.endswith("/")
        st = httpx.get(f"{url}/_sim/stats", timeout=5).json()
        assert st["seed"] == 3 and st["received"] == 0
        r = httpx.post(f"{url}/openai/v1/chat/completions", json={"model": "gpt-4.1-mini", "messages": user("hi")},
                       headers={"Authorization": f"Bearer {KEY}"}, timeout=5)
        assert r.status_code == 200 and r.headers["x-multimodel-simulated"] == "true"
    finally:
        proc.terminate()
        rc = proc.wait(timeout=10)
    assert rc == 0


def test_cli_rejects_unknown_fault():
    r = subprocess.run([sys.executable, "-m", "multimodel.sim", "--port", "0", "--faults", "gremlins=0.5"],
                       capture_output=True, text=True, cwd=ROOT, timeout=20)
    assert r.returncode != 0 and "gremlins" in r.stderr


def test_handle_api_and_running():
    h = msim.start(latency_scale=0, seed=5)
    try:
        assert msim.running() is h
        assert h.base_url("gemini") == f"{h.url}/gemini/v1"
        with pytest.raises(ValueError):
            h.base_url("nope")
        with pytest.raises(ValueError, match="unknown fault"):
            h.set_faults({"gremlins": 0.5})
        with pytest.raises(ValueError):
            h.set_faults({"rate_limit": 0.7, "server_error": 0.7})
    finally:
        h.stop()
    assert not h.running
    assert msim.running() is not h


def test_catalogue_contents():
    ids = {(d, m) for d, m in msim.CATALOGUE}
    for need in [("openai", "gpt-5.4"), ("openai", "gpt-5-mini"), ("openai", "gpt-4.1-mini"),
                 ("anthropic", "claude-opus-4-7"), ("anthropic", "claude-sonnet-4-6"),
                 ("anthropic", "claude-haiku-4-5"), ("gemini", "gemini-3.1-pro-preview"),
                 ("gemini", "gemini-3-flash-preview"), ("xai", "grok-4.7"), ("xai", "grok-3-mini"),
                 ("deepseek", "deepseek-flash"), ("deepseek", "deepseek-v4-pro"), ("openrouter", "openai/gpt-5.4"),
                 ("openrouter", "anthropic/claude-sonnet-4.6"), ("openrouter", "google/gemini-3-flash-preview"),
                 ("openrouter", "x-ai/grok-4.7"), ("openrouter", "deepseek/deepseek-chat"),
                 ("openrouter", "deepseek/deepseek-r1")]:
        assert need in ids
    assert msim.CATALOGUE[("openai", "gpt-5.4")].price == (2.50, 0.25, 15.00)
    assert msim.CATALOGUE[("openrouter", "anthropic/claude-sonnet-4.6")].price == (3.00, 0.30, 15.00)
    # spellings the providers do not serve are not served here either (no leniency of the simulator's own)
    assert msim.resolve("anthropic", "claude-sonnet-4.6") is None  # Anthropic's ids use dashes
    assert msim.resolve("gemini", "gemini-3-flash") is None  # Google serves only the -preview id
    assert msim.resolve("openrouter", "anthropic/claude-sonnet-4-6") is None  # OpenRouter's slugs use dots
    assert msim.resolve("gemini", "gemini-3-flash-preview").id == "gemini-3-flash-preview"
    assert msim.resolve("deepseek", "deepseek-v4-flash").id == "deepseek-flash"  # DeepSeek's legacy name
    assert msim.resolve("xai", "grok-4-1-fast-reasoning") is None  # retired 2026-05-15
    assert msim.resolve("openai", "claude-sonnet-4-6") is None


def test_every_response_is_marked_simulated(sim):
    responses = [
        chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("hi")}),
        chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("hi")}, key=None),
        chat(sim, "gemini", {"model": "no-such-model", "messages": user("hi")}),
        httpx.get(f"{sim.base_url('xai')}/models", headers={"Authorization": f"Bearer {KEY}"}),
        httpx.get(f"{sim.url}/_sim/stats"),
        httpx.get(f"{sim.url}/nowhere"),
    ]
    for r in responses:
        assert r.headers.get("x-multimodel-simulated") == "true", r.url
    for d, m in DIALECT_MODEL.items():
        r = chat(sim, d, {"model": m, "messages": user("Tell me about volcanoes")})
        assert r.status_code == 200
        assert r.headers["x-sim-request-id"].startswith("sim-")
        text = json.dumps(r.json())
        assert f"[simulated {m}]" in text


@pytest.mark.parametrize(("dialect", "header"), [("openai", "x-request-id"), ("anthropic", "request-id"),
                                                  ("openrouter", "x-generation-id"), ("deepseek", "x-ds-trace-id"),
                                                  ("gemini", "x-request-id"), ("xai", "x-request-id")])
def test_request_id_header_names(sim, dialect, header):
    r = chat(sim, dialect, {"model": DIALECT_MODEL[dialect], "messages": user("hi")})
    assert r.headers[header]
    if dialect == "openrouter":
        assert r.headers[header] == r.json()["id"]
    if dialect == "anthropic":
        assert "x-request-id" not in r.headers


# ---------------------------------------------------------------- auth
@pytest.mark.parametrize(("dialect", "status", "check"), [
    ("openai", 401, lambda b: b["error"]["code"] == "invalid_api_key"),
    ("anthropic", 401, lambda b: b["error"]["type"] == "authentication_error"),
    ("gemini", 400, lambda b: b[0]["error"]["status"] == "INVALID_ARGUMENT"
     and b[0]["error"]["details"][0]["reason"] == "API_KEY_INVALID"),
    ("xai", 400, lambda b: isinstance(b["error"], str) and b["code"] == "invalid-argument"),
    ("deepseek", 401, lambda b: b["error"]["type"] == "authentication_error"),
    ("openrouter", 401, lambda b: b["error"]["code"] == 401),
])
def test_invalid_key(sim, dialect, status, check):
    r = chat(sim, dialect, {"model": DIALECT_MODEL[dialect], "messages": user("hi")}, key="invalid-key-123")
    assert r.status_code == status
    assert check(r.json())
    assert "invalid-key-123" not in r.text


@pytest.mark.parametrize("dialect", list(DIALECT_MODEL))
def test_missing_key(sim, dialect):
    r = chat(sim, dialect, {"model": DIALECT_MODEL[dialect], "messages": user("hi")}, key=None)
    assert r.status_code in (401, 403)
    body = r.json()
    assert body  # the dialect's own error shape
    r2 = chat(sim, dialect, {"model": DIALECT_MODEL[dialect], "messages": user("hi")}, key=None,
              headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r2.status_code == r.status_code
    assert sim.stats()["by_outcome"]["auth_error"] == 2


def test_canary_key_is_never_stored_logged_or_echoed(sim, caplog):
    canary = "sk-canary-5b9e1d77c3a04f"
    bad = "invalid-canary-3e8f0a6b21"
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    sim.set_faults({"sequence": ["ok", "rate_limit", "server_error", "stream_error"]})
    for d, m in DIALECT_MODEL.items():
        for k in (canary, bad):
            r = chat(sim, d, {"model": m, "messages": user("hi")}, key=k)
            seen.append(r.text + json.dumps(dict(r.headers)))
        r = chat(sim, d, {"model": m, "messages": user("hi"), "stream": True}, key=canary)
        seen.append(r.text + json.dumps(dict(r.headers)))
        r = chat(sim, d, {"model": "missing-model", "messages": user("hi")}, key=canary)
        seen.append(r.text)
    seen.append(json.dumps(sim.stats()))
    seen.append(json.dumps(sim.requests()))
    seen.append(httpx.get(f"{sim.url}/_sim/stats").text)
    seen.append(httpx.get(f"{sim.url}/_sim/requests").text)
    seen.append(caplog.text)
    blob = "\n".join(seen)
    assert sim.stats()["received"] == 24
    assert canary not in blob and bad not in blob
    assert canary[8:] not in blob and bad[8:] not in blob


# ---------------------------------------------------------------- unknown models
@pytest.mark.parametrize(("dialect", "status", "check"), [
    ("openai", 404, lambda b: b["error"]["code"] == "model_not_found" and "`gpt-9`" in b["error"]["message"]),
    ("anthropic", 404, lambda b: b["error"]["type"] == "not_found_error"),
    ("gemini", 404, lambda b: b[0]["error"]["status"] == "NOT_FOUND"),
    ("xai", 404, lambda b: isinstance(b["error"], str) and "gpt-9" in b["error"]),
    ("deepseek", 400, lambda b: b["error"]["message"] == "Model Not Exist"),
    ("openrouter", 400, lambda b: b["error"] == {"message": "gpt-9 is not a valid model ID", "code": 400}
     and b["user_id"]),
])
def test_unknown_model(sim, dialect, status, check):
    r = chat(sim, dialect, {"model": "gpt-9", "messages": user("hi")})
    assert r.status_code == status
    assert check(r.json())
    assert sim.stats()["by_outcome"] == {"not_found": 1}


def test_bad_bodies(sim):
    r = httpx.post(f"{sim.base_url('openai')}/chat/completions", content=b"{nope",
                   headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": []})
    assert r.status_code == 400 and r.json()["error"]["param"] == "messages"
    r = chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": [{"role": "wizard", "content": "x"}]})
    assert r.status_code == 400


@pytest.mark.parametrize("dialect", list(DIALECT_MODEL))
def test_models_list(sim, dialect):
    r = httpx.get(f"{sim.base_url(dialect)}/models", headers={"Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200
    body = r.json()
    ids = [m["id"] for m in body["data"]]
    expected = {m for d, m in msim.CATALOGUE if d == dialect}
    if dialect == "gemini":
        assert all(i.startswith("models/") for i in ids)
        ids = [i[7:] for i in ids]
    assert set(ids) == expected
    if dialect == "openrouter":
        assert float(body["data"][0]["pricing"]["prompt"]) > 0  # OpenRouter's list carries per-token prices
    if dialect == "anthropic":
        assert body["has_more"] is False and body["data"][0]["type"] == "model"
    if dialect in ("openai", "deepseek", "xai"):
        assert body["object"] == "list"


# ---------------------------------------------------------------- answers: content, length, determinism
def test_answer_quotes_prompt_and_length_controls(sim):
    r = chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("How do volcanoes form in Iceland?")})
    b = r.json()
    text = b["choices"][0]["message"]["content"]
    assert text.startswith("[simulated gpt-4.1-mini] ")
    assert "volcanoes form in Iceland" in text
    assert 40 <= b["usage"]["completion_tokens"] <= 150
    assert b["usage"]["completion_tokens"] == len(text.split(" "))  # one piece per word
    # exact length by header
    r = chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("hi")}, headers={"x-sim-answer-tokens": "7"})
    assert r.json()["usage"]["completion_tokens"] == 7
    assert r.json()["choices"][0]["finish_reason"] == "stop"
    # streamed pieces == tokens
    _, ev = stream(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("hi")},
                   headers={"x-sim-answer-tokens": "12"})
    pieces = [d["content"] for d in deltas(data_chunks(ev)) if d.get("content")]
    assert len(pieces) == 12
    # max_tokens caps, finish_reason length
    r = chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("hi"), "max_tokens": 5})
    assert r.json()["usage"]["completion_tokens"] == 5
    assert r.json()["choices"][0]["finish_reason"] == "length"
    # prompt tokens grow with the input (~chars/4)
    short = chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("hi")}).json()["usage"]["prompt_tokens"]
    long = chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("word " * 400)}).json()
    assert long["usage"]["prompt_tokens"] - short >= 450


def test_server_wide_answer_tokens():
    with msim.start(latency_scale=0, answer_tokens=9) as s:
        r = chat(s, "anthropic", {"model": "claude-haiku-4-5", "messages": user("hi")})
        assert r.json()["usage"]["completion_tokens"] == 9


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("id", "created")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def test_determinism_same_seed_same_bytes_different_seed_different_text():
    body = {"model": "deepseek-flash", "messages": user("Compare apples and oranges"), "stream": True,
            "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {
                "type": "object", "properties": {"fruit": {"type": "string"}}, "required": ["fruit"]}}}]}
    plain = {"model": "gpt-5-mini", "messages": user("Compare apples and oranges")}
    outs = []
    for seed in (1, 1, 2):
        with msim.start(latency_scale=0, seed=seed) as s:
            r1 = chat(s, "deepseek", body)
            r2 = chat(s, "openai", plain)
            outs.append((_strip(data_chunks(sse_events(r1.text))), _strip(r2.json())))
    assert outs[0] == outs[1]
    assert outs[0][1]["choices"][0]["message"]["content"] != outs[2][1]["choices"][0]["message"]["content"]
    tool_id = deltas(outs[0][0])
    assert any("tool_calls" in d for d in tool_id)


def test_tools_schema_valid_parallel_and_choice(sim):
    tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"},
                                             "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                                             "days": {"type": "integer", "minimum": 1, "maximum": 7}},
            "required": ["city", "unit", "days"], "additionalProperties": False}}},
        {"type": "function", "function": {"name": "get_time", "parameters": {
            "type": "object", "properties": {"timezone": {"type": "string"}, "utc": {"type": "boolean"},
                                             "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2}},
            "required": ["timezone", "utc", "tags"]}}},
    ]
    base = {"model": "gpt-4.1-mini", "messages": user("What is the weather in Lisbon?"), "tools": tools}
    m = chat(sim, "openai", base).json()["choices"][0]
    assert m["finish_reason"] == "tool_calls"
    calls = m["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_weather", "get_time"]  # parallel, mentioned one first
    w = json.loads(calls[0]["function"]["arguments"])
    assert w["city"] == "Lisbon" and w["unit"] in ("celsius", "fahrenheit") and 1 <= w["days"] <= 7
    t = json.loads(calls[1]["function"]["arguments"])
    assert isinstance(t["utc"], bool) and len(t["tags"]) >= 2 and isinstance(t["timezone"], str)
    one = chat(sim, "openai", {**base, "parallel_tool_calls": False}).json()["choices"][0]["message"]["tool_calls"]
    assert len(one) == 1
    none = chat(sim, "openai", {**base, "tool_choice": "none"}).json()["choices"][0]
    assert "tool_calls" not in none["message"] and none["finish_reason"] == "stop"
    named = chat(sim, "openai", {**base, "tool_choice": {"type": "function", "function": {"name": "get_time"}}})
    ch = named.json()["choices"][0]
    assert [c["function"]["name"] for c in ch["message"]["tool_calls"]] == ["get_time"]
    assert ch["finish_reason"] == "stop"  # OpenAI answers a forced named call with "stop" (quirks 1.4)
    # tool results -> an answer that uses them
    follow = base["messages"] + [{"role": "assistant", "content": None, "tool_calls": calls[:1]},
                                 {"role": "tool", "tool_call_id": calls[0]["id"], "content": '{"temp_c": 21}'}]
    ans = chat(sim, "openai", {**base, "messages": follow}).json()["choices"][0]
    assert ans["finish_reason"] == "stop"
    assert "get_weather" in ans["message"]["content"] and '{"temp_c": 21}' in ans["message"]["content"]


def test_images_acknowledged_or_rejected(sim):
    # the per-model matrix (every modality, status and body) is in test_sim_multimodal.py
    msg = [{"role": "user", "content": [{"type": "text", "text": "What is in this picture?"},
                                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]
    for d in ("openai", "anthropic", "gemini", "openrouter"):
        r = chat(sim, d, {"model": DIALECT_MODEL[d], "messages": msg})
        assert "I see 1 image (image/png, 3 bytes)." in r.json()["choices"][0]["message"]["content"], d
    r = chat(sim, "xai", {"model": "grok-3-mini", "messages": msg})  # text-only Grok
    assert r.status_code == 400 and "content elements of type image" in r.json()["error"]
    r = chat(sim, "deepseek", {"model": "deepseek-v4-pro", "messages": msg})  # text-only DeepSeek
    assert r.status_code == 400 and "unknown variant `image_url`" in r.json()["error"]["message"]
    audio = [{"role": "user", "content": [{"type": "text", "text": "Transcribe"},
                                          {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]}]
    assert "I hear 1 audio clip (wav, 3 bytes)." in chat(sim, "openai", {"model": "gpt-audio", "messages": audio}).text
    assert chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": audio}).status_code == 400
    r = chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": audio})  # stripped silently
    assert r.status_code == 200 and "audio clip" not in r.text


# ---------------------------------------------------------------- faults
BODY = {"model": "gpt-4.1-mini", "messages": user("hello there")}


@pytest.mark.parametrize(("dialect", "check"), [
    ("openai", lambda b: b["error"]["code"] == "rate_limit_exceeded"),
    ("anthropic", lambda b: b["error"]["type"] == "rate_limit_error"),
    ("gemini", lambda b: b[0]["error"]["status"] == "RESOURCE_EXHAUSTED"),
    ("xai", lambda b: isinstance(b["error"], str)),
    ("deepseek", lambda b: b["error"]["message"] == "Rate Limit Reached"),
    ("openrouter", lambda b: b["error"]["code"] == 429 and b["error"]["metadata"]["provider_name"] == "OpenAI"),
])
def test_fault_rate_limit(sim, dialect, check):
    sim.set_faults({"rate_limit": 1.0})
    r = chat(sim, dialect, {"model": DIALECT_MODEL[dialect], "messages": user("hi")})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert check(r.json())
    assert ("x-ratelimit-limit-requests" in r.headers) == (dialect in ("openai", "anthropic"))
    assert sim.stats()["by_outcome"] == {"rate_limit": 1}


def test_fault_server_error_and_overloaded(sim):
    sim.set_faults({"server_error": 1.0})
    statuses = {chat(sim, "openai", BODY).status_code for _ in range(12)}
    assert statuses <= {500, 502, 503} and len(statuses) >= 2
    sim.set_faults({"overloaded": 1.0})
    r = chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("hi")})
    assert r.status_code == 529 and r.json()["error"]["type"] == "overloaded_error"
    r = chat(sim, "openai", BODY)
    assert r.status_code == 503
    r = chat(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": user("hi")})
    assert r.status_code == 503 and r.json()[0]["error"]["status"] == "UNAVAILABLE"


@pytest.mark.parametrize("streamed", [False, True])
def test_fault_connection_reset(sim, streamed):
    sim.set_faults({"connection_reset": 1.0})
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        chat(sim, "openai", {**BODY, "stream": streamed})
    time.sleep(0.05)
    assert sim.stats()["by_outcome"] == {"connection_reset": 1}


def test_fault_hang_does_not_block_the_server(sim):
    sim.set_faults({"hang": 1.0}, provider="openai")
    t0 = time.perf_counter()
    box: dict[str, Any] = {}

    def hung() -> None:
        try:
            chat(sim, "openai", BODY, timeout=1.2)
        except httpx.ReadTimeout as e:
            box["exc"] = e

    th = threading.Thread(target=hung)
    th.start()
    time.sleep(0.1)
    r = chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("hi")})  # served meanwhile
    assert r.status_code == 200 and th.is_alive()
    th.join()
    assert time.perf_counter() - t0 >= 1.2
    assert isinstance(box.get("exc"), httpx.ReadTimeout)
    time.sleep(0.05)
    assert sim.stats()["by_outcome"] == {"hang": 1, "ok": 1}


def test_fault_stream_disconnect(sim):
    sim.set_faults({"stream_disconnect": 1.0})
    got: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
            "POST", f"{sim.base_url('openai')}/chat/completions", json={**BODY, "stream": True},
            headers={"Authorization": f"Bearer {KEY}"}) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            got.append(line)
    assert any('"content"' in g for g in got)  # part of the answer arrived
    assert not any("[DONE]" in g for g in got)
    with pytest.raises(httpx.RemoteProtocolError):
        chat(sim, "openai", BODY)  # non-stream: closed without a response
    assert sim.stats()["completed"] == 0


@pytest.mark.parametrize(("dialect", "check"), [
    ("openai", lambda e: e == {"error": {"message": "The server had an error while processing your request. "
                                                    "Sorry about that!", "type": "server_error", "param": None,
                                         "code": None}}),
    ("anthropic", lambda e: e["error"]["code"] == "api_error" and e["error"]["type"] == "invalid_request_error"),
    ("openrouter", lambda e: e["error"]["code"] == "server_error" and e["choices"][0]["finish_reason"] == "error"),
    ("xai", lambda e: isinstance(e["error"], str)),
    ("deepseek", lambda e: e["error"]["type"] == "unknown_error"),
    ("gemini", lambda e: e[0]["error"]["status"] == "INTERNAL"),
])
def test_fault_stream_error(sim, dialect, check):
    sim.set_faults({"stream_error": 1.0})
    r, ev = stream(sim, dialect, {"model": DIALECT_MODEL[dialect], "messages": user("hi")})
    assert r.status_code == 200
    chunks = data_chunks(ev)
    assert streamed(chunks) or streamed(chunks, "reasoning_content")  # some output first
    assert check(chunks[-1])
    assert ("done", None) not in ev
    assert sim.stats()["by_outcome"] == {"stream_error": 1}


def test_fault_stream_error_non_stream(sim):
    sim.set_faults({"stream_error": 1.0})
    assert chat(sim, "openai", BODY).status_code == 500
    r = chat(sim, "openrouter", {"model": "openai/gpt-4.1-mini", "messages": user("hi")})
    ch = r.json()["choices"][0]
    assert r.status_code == 200 and ch["finish_reason"] == "error" and ch["error"]["code"] == 502


def test_fault_malformed_chunk(sim):
    sim.set_faults({"malformed_chunk": 1.0})
    r, ev = stream(sim, "openai", BODY, headers={"x-sim-answer-tokens": "20"})
    assert [k for k, _ in ev].count("bad") == 1
    assert ev[-1] == ("done", None)
    assert len(streamed(data_chunks(ev)).split(" ")) == 20  # nothing lost for a client that skips the bad line
    r = chat(sim, "openai", BODY)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.text)
    assert sim.stats()["by_outcome"] == {"malformed_chunk": 2} and sim.stats()["completed"] == 0


def test_fault_content_filter(sim):
    sim.set_faults({"content_filter": 1.0})
    full = 30
    b = chat(sim, "openai", BODY, headers={"x-sim-answer-tokens": str(full)}).json()
    assert b["choices"][0]["finish_reason"] == "content_filter"
    assert 0 < len(b["choices"][0]["message"]["content"].split(" ")) < full
    g = chat(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": user("hi")}).json()
    assert g["choices"][0]["finish_reason"] == "content_filter" and not g["choices"][0]["message"].get("content")
    _, ev = stream(sim, "openrouter", {"model": "openai/gpt-4.1-mini", "messages": user("hi")})
    fins = [c["choices"][0]["finish_reason"] for c in data_chunks(ev) if c["choices"][0]["finish_reason"]]
    assert fins == ["content_filter"]


def test_fault_insufficient_system_resource_deepseek_only(sim):
    sim.set_faults({"insufficient_system_resource": 1.0})
    b = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": user("hi")}).json()
    assert b["choices"][0]["finish_reason"] == "insufficient_system_resource"
    assert chat(sim, "openai", BODY).status_code in (500, 502, 503)


def test_fault_sequence_and_scopes(sim):
    sim.set_faults({"sequence": ["rate_limit", "ok", "server_error"]}, provider="openai")
    codes = [chat(sim, "openai", BODY).status_code for _ in range(5)]
    assert codes[0] == 429 and codes[1] == 200 and codes[2] >= 500 and codes[3:] == [200, 200]
    sim.reset()
    sim.set_faults({"rate_limit": 1.0}, model="gpt-4.1-mini")
    sim.set_faults({"server_error": 1.0}, provider="anthropic")
    assert chat(sim, "openai", BODY).status_code == 429
    assert chat(sim, "openai", {"model": "gpt-5.4", "messages": user("hi")}).status_code == 200
    assert chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("hi")}).status_code >= 500
    assert chat(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": user("hi")}).status_code == 200
    sim.set_faults(None, model="gpt-4.1-mini")
    assert chat(sim, "openai", BODY).status_code == 200


def test_fault_probabilities_are_roughly_honoured():
    with msim.start(latency_scale=0, faults={"rate_limit": 0.3}, seed=11) as s:
        codes = [chat(s, "openai", BODY).status_code for _ in range(200)]
    assert 35 <= codes.count(429) <= 85


def test_control_endpoints_over_http(sim):
    r = httpx.post(f"{sim.url}/_sim/faults", json={"faults": {"sequence": ["overloaded"]}, "provider": "anthropic",
                                                   "model": None})
    assert r.status_code == 200 and r.json()["faults"][0]["provider"] == "anthropic"
    assert chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("hi")}).status_code == 529
    assert httpx.post(f"{sim.url}/_sim/faults", json={"faults": {"nope": 1}}).status_code == 400
    assert httpx.post(f"{sim.url}/_sim/faults", json={"limits": {"rpm": 0}}).status_code == 400
    r = httpx.post(f"{sim.url}/_sim/faults", json={"limits": {"rpm": 1}, "provider": "xai"})
    assert r.status_code == 200
    assert chat(sim, "xai", {"model": "grok-3-mini", "messages": user("hi")}).status_code == 200
    assert chat(sim, "xai", {"model": "grok-3-mini", "messages": user("hi")}).status_code == 429
    assert httpx.get(f"{sim.url}/_sim/requests", params={"limit": "1"}).json()[0]["outcome"] == "limited"
    assert httpx.post(f"{sim.url}/_sim/reset").json() == {"ok": True}
    assert httpx.get(f"{sim.url}/_sim/stats").json()["received"] == 0
    assert chat(sim, "xai", {"model": "grok-3-mini", "messages": user("hi")}).status_code == 200


# ---------------------------------------------------------------- limits
def test_rpm_limiter_with_headers(sim):
    """rpm=3 is one request per 20 s, as providers enforce it (a bucket of one second's worth, at least one request);
    the 60-second window this replaced let all three through at once."""
    sim.set_limits(rpm=3, provider="openai")
    rs = [chat(sim, "openai", BODY) for _ in range(5)]
    assert [r.status_code for r in rs] == [200, 429, 429, 429, 429]
    assert rs[0].headers["x-ratelimit-limit-requests"] == "3"
    assert rs[0].headers["x-ratelimit-remaining-requests"] == "2"  # the per-minute picture, as OpenAI reports it
    lim = rs[1]
    assert lim.json()["error"]["code"] == "rate_limit_exceeded"
    assert lim.headers["x-ratelimit-remaining-requests"] == "0"
    assert lim.headers["x-ratelimit-reset-requests"].endswith("s")
    assert 19 <= int(lim.headers["retry-after"]) <= 20
    assert 19_000 <= int(lim.headers["retry-after-ms"]) <= 20_000
    # other providers are unaffected; gemini answers its own 429 shape when limited
    assert chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("hi")}).status_code == 200
    sim.set_limits(rpm=1, model="gemini-3-flash-preview")
    g = [chat(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": user("hi")}) for _ in range(2)]
    assert g[1].status_code == 429 and g[1].json()[0]["error"]["status"] == "RESOURCE_EXHAUSTED"
    # Gemini documents no rate-limit headers: the delay is the body's RetryInfo (the retry-after sent before was
    # kinder than the provider)
    assert "x-ratelimit-limit-requests" not in g[1].headers and "retry-after" not in g[1].headers
    assert g[1].json()[0]["error"]["details"][-1]["retryDelay"] == "60s"
    st = sim.stats()
    assert st["by_outcome"]["limited"] == 5 and st["completed"] == 3


def test_tpm_limiter(sim):
    sim.set_limits(tpm=400, provider="anthropic")
    body = {"model": "claude-haiku-4-5", "messages": user("x " * 300), "max_tokens": 50}  # ~210 tokens each
    codes = [chat(sim, "anthropic", body).status_code for _ in range(3)]
    assert codes == [200, 429, 429]
    r = chat(sim, "anthropic", body)
    assert r.headers["x-ratelimit-limit-tokens"] == "400" and "x-ratelimit-reset-tokens" in r.headers
    assert r.headers["anthropic-ratelimit-input-tokens-limit"] == "400"


# ---------------------------------------------------------------- counters and records
def test_counters_and_duplicates(sim):
    b1 = {"model": "gpt-4.1-mini", "messages": user("one")}
    b2 = {"model": "gpt-4.1-mini", "messages": user("two")}
    chat(sim, "openai", b1)
    chat(sim, "openai", b2)
    assert sim.stats()["duplicates"] == 0
    chat(sim, "openai", {"messages": user("one"), "model": "gpt-4.1-mini"})  # same JSON, other key order
    assert sim.stats()["duplicates"] == 1
    chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("one")})
    sim.set_faults({"sequence": ["server_error"]})
    chat(sim, "deepseek", {"model": "deepseek-flash", "messages": user("three")})  # failed: not 'answered'
    chat(sim, "deepseek", {"model": "deepseek-flash", "messages": user("three")})  # its retry is not a duplicate
    st = sim.stats()
    assert st["received"] == 6 and st["completed"] == 5 and st["duplicates"] == 1
    assert st["by_dialect"] == {"openai": 3, "anthropic": 1, "deepseek": 2}
    assert st["by_model"]["gpt-4.1-mini"] == 3
    assert st["by_outcome"] == {"ok": 5, "server_error": 1}
    recs = sim.requests()
    assert len(recs) == 6
    r0 = recs[0]
    for k in ("id", "dialect", "model", "stream", "outcome", "received_at", "first_byte_at", "completed_at",
              "prompt_tokens", "completion_tokens"):
        assert k in r0
    assert r0["received_at"] <= r0["first_byte_at"] <= r0["completed_at"]
    assert recs[-2]["outcome"] == "server_error" and recs[-2]["completion_tokens"] is None
    sim.reset()
    assert sim.stats()["received"] == 0 and sim.requests() == [] and sim.stats()["faults"] == []


def test_latency_profile_is_applied():
    with msim.start(latency_scale=0.25, seed=1) as s:
        t0 = time.perf_counter()
        r = chat(s, "openai", {"model": "gpt-4.1-mini", "messages": user("hi"), "stream": True},
                 headers={"x-sim-answer-tokens": "20"})
        wall = time.perf_counter() - t0
        rec = s.requests()[-1]
    m = msim.CATALOGUE[("openai", "gpt-4.1-mini")]
    ttft = rec["first_token_at"] - rec["received_at"]
    lo = m.ttft_s * 0.25 * (1 - m.jitter) - 0.01
    assert lo <= ttft <= m.ttft_s * 0.25 * (1 + m.jitter) + 0.25
    gen = 20 * 0.25 / m.tokens_per_s
    assert wall >= lo + gen * 0.6
    assert r.status_code == 200 and rec["completed_at"] - rec["first_token_at"] >= gen * 0.5


def test_a_batch_line_is_answered_like_the_live_endpoint_but_counted_apart():
    """The hook the simulated Batch APIs use: one line through the same checks, models and body as a live request,
    counted under the API "batch" so a test can prove nothing went live."""
    import orjson

    from multimodel.sim.server import SimServer

    server = SimServer()
    status, body = server.answer_line(server.dialects["openai"], {
        "model": "gpt-5.4-mini", "messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 50})
    assert status == 200 and orjson.loads(body)["object"] == "chat.completion"
    status, body = server.answer_line(server.dialects["openai"], {"model": "no-such-model", "messages": []})
    assert status == 404 and b"does not exist" in body
    messages = server.api_dialects[("anthropic", "messages")]
    status, body = server.answer_line(messages, {"model": "claude-sonnet-4-6", "max_tokens": 50,
                                                 "messages": [{"role": "user", "content": "hi"}]},
                                      {"anthropic-version": "2023-06-01"})
    assert status == 200 and orjson.loads(body)["type"] == "message"
    stats = server.stats()
    assert stats["by_api"] == {"batch": 3} and stats["received"] == 3 and stats["completed"] == 2
