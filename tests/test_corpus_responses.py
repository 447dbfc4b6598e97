"""Conformance suite for the Responses API: every real r01–r15 recording in tests/corpus_native/ through the real
client (provider entry with ``api: "responses"``) over loopback, compared field by field with
tests/corpus_responses_expectations.py; all mismatches of one file are reported together. Where a request was
recorded, the translated request must have its essential shape (input items, function_call and
function_call_output with their call ids)."""

from __future__ import annotations

import copy
import hashlib
import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from corpus_expectations import Long  # noqa: E402
from corpus_responses_expectations import EXPECTATIONS, NExpect, RItem  # noqa: E402
from replay_server import NATIVE_DIR, ReplayServer, load_recordings  # noqa: E402
from test_corpus import (  # noqa: E402
    _cost_problems,
    _error_problems,
    _short,
    _text_problems,
    _timing_problems,
    _tool_call_problems,
    recorded_before_retirement,
)

RECORDINGS = {k: v for k, v in load_recordings(NATIVE_DIR).items() if k.startswith("r")}
ALL_IDS = sorted(set(RECORDINGS) | set(EXPECTATIONS))


@pytest.fixture(scope="module")
def server():
    srv = ReplayServer(RECORDINGS).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def mm():
    return importlib.import_module("multimodel")


def test_fifteen_responses_recordings_one_expectation_each():
    assert len(RECORDINGS) == 15, sorted(RECORDINGS)
    assert sorted(RECORDINGS) == sorted(EXPECTATIONS)
    for file_id, exp in EXPECTATIONS.items():
        assert exp.why.strip(), file_id
        assert exp.model == RECORDINGS[file_id]["model"], file_id


def _item_shape(item: dict[str, Any]) -> tuple[Any, ...] | None:
    """An input item's essential shape: (role, text) of a message, (type, call_id, name, arguments) of a call,
    (type, call_id, output) of its result; None for the empty user item llm-openai-plugin adds (r03)."""
    kind = item.get("type")
    if kind == "function_call":
        return (kind, item.get("call_id"), item.get("name"), item.get("arguments"))
    if kind == "function_call_output":
        return (kind, item.get("call_id"), item.get("output"))
    content = item.get("content")
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return None if content == "" else (item.get("role"), content)


def _recorded_shape(rec: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The recorded request's input in essential shape; its ``instructions`` as the system message they are."""
    body = rec["request"]["json"]
    shape = [("system", body["instructions"])] if body.get("instructions") else []
    return shape + [s for s in map(_item_shape, body["input"]) if s is not None]


def _request_problems(received: list, rec: dict[str, Any], exp: NExpect) -> list[str]:
    if len(received) != 1:
        return [f"request: expected exactly 1 request (retries=0), got {len(received)}"]
    req = received[0]
    body = req.json if isinstance(req.json, dict) else {}
    probs = []
    if req.method != "POST" or not req.path.endswith("/v1/responses"):
        probs.append(f"request: expected POST .../v1/responses, got {req.method} {req.path}")
    if body.get("model") != exp.model or body.get("store") is not False:
        probs.append(f"request: model {body.get('model')!r} store {body.get('store')!r}")
    if "messages" in body or "stream_options" in body:
        probs.append(f"request: Chat Completions keys left in a Responses body: {sorted(body)}")
    if bool(body.get("stream")) != rec["streaming"] and rec["response"]["status"] == 200:
        probs.append(f"request: stream={body.get('stream')!r} for a streaming={rec['streaming']} recording")
    shape = [s for s in map(_item_shape, body.get("input") or []) if s is not None]
    if exp.request_items is not None:
        if shape != exp.request_items:
            probs.append(f"request: input shape {_short(shape, 600)} != expected {_short(exp.request_items, 600)}")
        if rec["request"].get("json") and _recorded_shape(rec) != exp.request_items:
            probs.append(f"request: the recorded input is {_short(_recorded_shape(rec), 600)}")
        recorded_tools = (rec["request"].get("json") or {}).get("tools")
        if recorded_tools is not None:
            ours = [{k: t.get(k) for k in ("type", "name", "description", "parameters", "strict")}
                    for t in body.get("tools") or []]
            theirs = [{k: t.get(k) for k in ("type", "name", "description", "parameters", "strict")}
                      for t in recorded_tools]
            if ours != theirs:
                probs.append(f"request: tools {_short(ours, 400)} != recorded {_short(theirs, 400)}")
    return probs


def _blob_problems(field: str, got: Any, want: str | Long | None) -> list[str]:
    if isinstance(want, Long) and isinstance(got, str):
        digest = hashlib.sha256(got.encode()).hexdigest()[:16]
        ok = len(got) == want.length and got.startswith(want.prefix) and digest == want.sha256_16
        return [] if ok else [f"{field}: expected {want.length} chars sha {want.sha256_16}, got {len(got)} {digest}"]
    return [] if got == want else [f"{field}: expected {want!r}, got {_short(got)}"]


def _state_problems(state: Any, want: list[RItem]) -> list[str]:
    if not want:
        return [] if state is None else [f"provider_state: expected None, got {_short(state)}"]
    items = state.get("reasoning_items") if isinstance(state, dict) else None
    if not isinstance(items, list) or len(items) != len(want):
        return [f"provider_state: expected {len(want)} reasoning item(s), got {_short(state)}"]
    probs = []
    for i, (got, w) in enumerate(zip(items, want, strict=True)):
        p = f"provider_state.reasoning_items[{i}]"
        if got.get("type") != "reasoning" or got.get("id") != w.id:
            probs.append(f"{p}: expected reasoning item {w.id!r}, got {got.get('type')!r} {got.get('id')!r}")
        probs += _blob_problems(f"{p}.encrypted_content", got.get("encrypted_content"), w.encrypted)
        if len(got.get("summary") or []) != w.summary_parts or bool(got.get("content")) != w.has_content:
            probs.append(f"{p}: summary/content {_short(got.get('summary'))} {_short(got.get('content'))}")
    return probs


def check(r: Any, exp: NExpect, rec: dict[str, Any], received: list) -> list[str]:
    probs: list[str] = []

    def eq(field: str, want: Any) -> None:
        got = getattr(r, field)
        if got != want:
            probs.append(f"{field}: expected {want!r}, got {_short(got)}")

    eq("model", f"{exp.provider}/{exp.model}")
    eq("api", "responses")
    eq("response_model", exp.response_model)
    probs += _text_problems("content", r.content, exp.content)
    probs += _text_problems("reasoning", r.reasoning, exp.reasoning)
    probs += _tool_call_problems(r.tool_calls, exp.tool_calls)
    eq("finish_reason", exp.finish_reason)
    eq("native_finish_reason", exp.native_finish_reason)
    for f in ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens"):
        eq(f, getattr(exp, f))
    probs += _cost_problems(r, exp)
    probs += _error_problems(r.error, exp)
    if exp.error is not None and rec["response"]["status"] == 200:  # failed before any token: none was timed
        if r.ttft_s is not None or r.ttfat_s is not None or r.e2e_s is None:
            probs.append(f"timing: a stream that failed before any token, got {r.ttft_s!r} {r.ttfat_s!r} {r.e2e_s!r}")
    else:
        probs += _timing_problems(r, rec, exp)
    probs += _state_problems(r.provider_state, exp.reasoning_items)
    if not r.raw:
        probs.append("raw: expected the provider's own JSON/SSE")
    probs += _request_problems(received, rec, exp)
    return probs


def replay(mm: Any, server: ReplayServer, file_id: str) -> Any:
    exp = EXPECTATIONS[file_id]
    rec = RECORDINGS[file_id]
    server.clear(file_id)
    client = mm.Client(providers={exp.provider: {"base_url": server.base_url(file_id), "api_key": "k",
                                                 "dialect": exp.dialect, "api": "responses"}}, cache=False)
    try:
        return client.complete(f"{exp.provider}/{exp.model}", copy.deepcopy(exp.messages), stream=rec["streaming"],
                               retries=0, tools=copy.deepcopy(exp.tools), reasoning=exp.reasoning_choice,
                               **copy.deepcopy(exp.params), **recorded_before_retirement(exp.dialect, exp.model))
    finally:
        client.close()


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("file_id", ALL_IDS)
def test_responses_recording(file_id: str, server: ReplayServer, mm: Any) -> None:
    assert file_id in RECORDINGS and file_id in EXPECTATIONS, file_id
    r = replay(mm, server, file_id)
    problems = check(r, EXPECTATIONS[file_id], RECORDINGS[file_id], server.received(file_id))
    assert not problems, f"{file_id} ({EXPECTATIONS[file_id].why})\n  " + "\n  ".join(problems)


@pytest.mark.filterwarnings("ignore")
def test_r02_answer_as_next_turn_gives_r03_request_shape(server: ReplayServer, mm: Any) -> None:
    """r02's Result, appended with as_message() and the tool's output, is the conversation r03 recorded: the
    translation sends r02's function_call (same call id and name) and a function_call_output for it."""
    turn1 = replay(mm, server, "r02_openai_gpt5mini_stream_function_call_obfuscation")
    assert turn1.error is None and turn1.provider_state is None  # an empty reasoning item is not echoed
    messages = [{"role": "user", "content": "Call simple_tool passing 5"}, turn1.as_message(),
                {"role": "tool", "tool_call_id": turn1.tool_calls[0].id, "content": "This is a simple tool, 5"}]
    client = mm.Client(providers={"openai": {"api": "responses", "api_key": "k"}}, cache=False)
    try:
        body = client.prepare("openai/gpt-5-mini", messages, tools=EXPECTATIONS[
            "r03_openai_gpt5mini_stream_after_function_call_output"].tools, stream=True).body
    finally:
        client.close()
    shape = [s for s in map(_item_shape, body["input"]) if s is not None]
    recorded = _recorded_shape(RECORDINGS["r03_openai_gpt5mini_stream_after_function_call_output"])
    assert [s[:3] for s in shape] == [s[:3] for s in recorded]  # arguments: ours as r02 sent them, no space
    assert shape[1] == ("function_call", "call_sNntVegw8ViC8Zc4EIjqEKbo", "simple_tool", "{\"number\":\"5\"}")
    assert body["store"] is False and body["include"] == ["reasoning.encrypted_content"]


@pytest.mark.filterwarnings("ignore")
def test_r05_reasoning_item_goes_back_before_its_call(server: ReplayServer, mm: Any) -> None:
    """r05's encrypted reasoning item, echoed through as_message(), precedes the function_call in the next request,
    unchanged (id, summary, encrypted_content)."""
    turn1 = replay(mm, server, "r05_openai_gpt5_reasoning_summary_encrypted_function_call_nonstream")
    exp = EXPECTATIONS["r05_openai_gpt5_reasoning_summary_encrypted_function_call_nonstream"]
    final = [o for o in __import__("json").loads(RECORDINGS[
        "r05_openai_gpt5_reasoning_summary_encrypted_function_call_nonstream"]["response"]["body"])["output"]
        if o["type"] == "reasoning"]
    messages = [*exp.messages, turn1.as_message(),
                {"role": "tool", "tool_call_id": turn1.tool_calls[0].id, "content": "ok"}]
    client = mm.Client(providers={"openai": {"api": "responses", "api_key": "k"}}, cache=False)
    try:
        body = client.prepare("openai/gpt-5", messages, tools=exp.tools, reasoning="low").body
    finally:
        client.close()
    kinds = [item.get("type") or item.get("role") for item in body["input"]]
    assert kinds == ["system", "user", "reasoning", "function_call", "function_call_output"]
    assert body["input"][2] == final[0]
