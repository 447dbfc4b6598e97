"""The simulator's Anthropic Messages API (Anthropic's own and DeepSeek's Anthropic-format endpoint), over real HTTP:
shapes against the real recordings in tests/corpus_native/, strict checks with the providers' error texts, thinking
signatures, the tool loop, faults and limits in the native envelope, and DeepSeek's documented differences."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from multimodel.sim.dialects.messages import AnthropicMessages, DeepSeekMessages
from multimodel.sim.media import sample_pdf, sample_png
from multimodel.sim.plan import SimError
from tests.test_sim import chat, user

CORPUS = Path(__file__).parent / "corpus_native"
HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
DS_HEADERS = {"x-api-key": "sk-ds-test"}
EMPTY_TOOL = {"name": "fixed_version", "description": "Return a fixed version", "input_schema": {
    "type": "object", "properties": {}}}
WEATHER = {"name": "get_weather", "description": "Weather for a city", "input_schema": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
THINK = {"type": "enabled", "budget_tokens": 1024}
_HTTP = httpx.Client()

pytestmark = pytest.mark.usefixtures("clean_sim")


def post(sim, body: dict[str, Any], *, dialect: str = "anthropic", headers: dict[str, str] | None = None
         ) -> httpx.Response:
    default = HEADERS if dialect == "anthropic" else DS_HEADERS
    base = sim.base_url(dialect, "messages")  # the clients' rule: a base ending in /v1 gets /messages
    url = f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"
    return _HTTP.post(url, json=body,
                      headers=default if headers is None else headers, timeout=10)


def ask(text: str, **kw: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-5", "max_tokens": 4096, "messages": [{"role": "user", "content": text}], **kw}


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs; each data line must follow an ``event:`` line naming the same type."""
    out = []
    name = None
    for line in text.split("\n"):
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            obj = json.loads(line[6:])
            assert name == obj["type"], (name, obj)
            out.append((name, obj))
            name = None
        else:
            assert line == "", line  # no comments, no [DONE]
    return out


def grammar(evs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The event sequence without pings, each run of same-kind deltas collapsed: the shape, not the values."""
    out: list[str] = []
    for name, obj in evs:
        if name == "ping":
            continue
        tag = name
        if name == "content_block_start":
            tag = f"start:{obj['content_block']['type']}"
        elif name == "content_block_delta":
            tag = f"delta:{obj['delta']['type']}"
        if not out or out[-1] != tag or not tag.startswith("delta:"):
            out.append(tag)
    return out


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def recording(prefix: str) -> dict[str, Any]:
    return json.loads(next(CORPUS.glob(f"{prefix}_*.json")).read_text())


def blocks_by_type(evs: list[tuple[str, dict[str, Any]]]) -> dict[str, tuple[frozenset[str], tuple[str, ...]]]:
    """Per block type: the keys of its content_block_start and its collapsed delta types."""
    starts: dict[int, dict[str, Any]] = {}
    deltas: dict[int, list[str]] = {}
    for name, obj in evs:
        if name == "content_block_start":
            starts[obj["index"]] = obj["content_block"]
        elif name == "content_block_delta":
            seq = deltas.setdefault(obj["index"], [])
            if not seq or seq[-1] != obj["delta"]["type"]:
                seq.append(obj["delta"]["type"])
    return {b["type"]: (frozenset(b), tuple(deltas.get(i, ()))) for i, b in starts.items()}


def assert_native_error(r: httpx.Response, status: int, type_: str, message: str | None = None) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"type", "error", "request_id"} and body["type"] == "error"
    assert set(body["error"]) == {"type", "message"} and body["error"]["type"] == type_
    assert body["request_id"].startswith("req_011") and r.headers["request-id"] == body["request_id"]
    if message is not None:
        assert body["error"]["message"] == message


# ================================================================ shapes against the real recordings
def test_stream_matches_the_recorded_thinking_stream(sim):
    """m01: message_start, a thinking block (deltas then exactly one signature), a text block, message_delta,
    message_stop; every data line after its event line; the native headers only."""
    rec = events(recording("m01")["response"]["body"])
    r = post(sim, ask("Two names for a pet pelican, be brief", thinking=THINK, stream=True))
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream; charset=utf-8"
    mine = events(r.text)
    assert grammar(mine) == grammar(rec) == [
        "message_start", "start:thinking", "delta:thinking_delta", "delta:signature_delta", "content_block_stop",
        "start:text", "delta:text_delta", "content_block_stop", "message_delta", "message_stop"]
    assert blocks_by_type(mine) == blocks_by_type(rec)
    assert [n for n, _ in mine].count("ping") == 1 and mine[2][0] == "ping"  # m01: right after the first start
    start, rec_start = mine[0][1]["message"], rec[0][1]["message"]
    assert set(start) - {"stop_details"} == set(rec_start) and next(iter(start)) == "model"
    assert set(start["usage"]) == set(rec_start["usage"])
    delta = mine[-2][1]
    assert set(delta["usage"]) == set(rec[-2][1]["usage"]) | {"output_tokens_details"}
    thinking = "".join(o["delta"]["thinking"] for n, o in mine if o.get("delta", {}).get("type") == "thinking_delta")
    assert thinking.startswith("[simulated reasoning]")
    assert delta["usage"]["output_tokens_details"]["thinking_tokens"] == len(
        [o for n, o in mine if o.get("delta", {}).get("type") == "thinking_delta"])
    rl = {k for k in r.headers if k.startswith("anthropic-ratelimit-")}
    assert len(rl) == 12 and not any(k.startswith("x-ratelimit") for k in r.headers)
    assert r.headers["request-id"].startswith("req_011") and "openai-version" not in r.headers


def test_stream_tool_use_matches_the_recorded_tool_streams(sim):
    """m05/m07: tool_use blocks start with input {} and caller, an empty input is one "" fragment; thinking first."""
    rec = blocks_by_type(events(recording("m07")["response"]["body"]))
    body = ask("Use the fixed_version tool, then tell me the version.", thinking=THINK, tools=[EMPTY_TOOL],
               stream=True)
    mine_evs = events(post(sim, body).text)
    mine = blocks_by_type(mine_evs)
    assert mine["thinking"] == rec["thinking"] and mine["tool_use"] == rec["tool_use"]
    frags = [o["delta"]["partial_json"] for n, o in mine_evs if o.get("delta", {}).get("type") == "input_json_delta"]
    assert frags == [""]
    assert mine_evs[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert grammar(mine_evs)[1] == "start:thinking"
    # two tools, arguments streamed as fragments that concatenate to the input
    evs = events(post(sim, ask("Weather in Paris and the version?", tools=[WEATHER, EMPTY_TOOL], stream=True)).text)
    starts = [o["content_block"] for n, o in evs if n == "content_block_start"]
    assert [b["type"] for b in starts] == ["text", "tool_use", "tool_use"]
    args = "".join(o["delta"]["partial_json"] for n, o in evs if o.get("index") == 1 and n == "content_block_delta")
    assert set(json.loads(args)) == {"city"} and starts[1]["id"].startswith("toolu_01")


def test_nonstream_matches_the_recorded_body(sim):
    """m09: [thinking {thinking, signature}, text, tool_use {id, name, input}], stop_reason tool_use, same usage."""
    rec = json.loads(recording("m09")["response"]["body"])
    r = post(sim, ask("What is the weather in the user's city?", thinking=THINK, tools=[WEATHER]))
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    b = r.json()
    assert set(b) == set(rec) and b["type"] == "message" and b["id"].startswith("msg_01")
    assert [c["type"] for c in b["content"]] == [c["type"] for c in rec["content"]]
    assert [set(c) for c in b["content"]] == [set(c) for c in rec["content"]]
    assert b["stop_reason"] == "tool_use" and b["stop_sequence"] is None
    assert set(b["usage"]) == set(rec["usage"]) | {"output_tokens_details"}
    assert b["content"][2]["input"]["city"] and b["content"][0]["thinking"]


# ================================================================ thinking and its signature
def _turn_two(first: dict[str, Any], content: list[dict[str, Any]], result_id: str | None = None,
              **kw: Any) -> dict[str, Any]:
    tool_id = result_id or next(c["id"] for c in first["content"] if c["type"] == "tool_use")
    return ask("", thinking=THINK, tools=[WEATHER], **kw) | {"messages": [
        {"role": "user", "content": "What is the weather in the user's city?"},
        {"role": "assistant", "content": content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "Sunny, 21C"}]}]}


def test_a_two_turn_tool_loop_with_thinking_verifies_the_signature(sim):
    first = post(sim, ask("What is the weather in the user's city?", thinking=THINK, tools=[WEATHER])).json()
    ok = post(sim, _turn_two(first, first["content"]))
    assert ok.status_code == 200, ok.text
    assert ok.json()["stop_reason"] == "end_turn" and ok.json()["content"][-1]["type"] == "text"
    forged = [dict(first["content"][0], signature="EqQBCkgIARAB" + "A" * 60), *first["content"][1:]]
    assert_native_error(post(sim, _turn_two(first, forged)), 400, "invalid_request_error",
                        "messages.1.content.0: Invalid `signature` in `thinking` block")
    edited = [dict(first["content"][0], thinking=first["content"][0]["thinking"] + " "), *first["content"][1:]]
    assert post(sim, _turn_two(first, edited)).status_code == 400
    unsigned = [{"type": "thinking", "thinking": "x"}, *first["content"][1:]]
    assert_native_error(post(sim, _turn_two(first, unsigned)), 400, "invalid_request_error",
                        "messages.1.content.0.signature: Field required")
    dropped = post(sim, _turn_two(first, first["content"][1:]))
    assert_native_error(dropped, 400, "invalid_request_error")
    assert dropped.json()["error"]["message"].startswith(
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When `thinking` "
        "is enabled, a final `assistant` message must start with a thinking block")
    redacted = [{"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"}, *first["content"][1:]]
    assert post(sim, _turn_two(first, redacted)).status_code == 400  # never issued by this simulator
    # without thinking the same history is fine (blocks of earlier turns are not the final assistant message)
    no_think = _turn_two(first, first["content"][1:])
    del no_think["thinking"]
    assert post(sim, no_think).status_code == 200


def test_a_streamed_signature_verifies_on_the_next_turn(sim):
    evs = events(post(sim, ask("What is the weather in the user's city?", thinking=THINK, tools=[WEATHER],
                               stream=True)).text)
    thinking = "".join(o["delta"].get("thinking", "") for n, o in evs if n == "content_block_delta")
    sig = [o["delta"]["signature"] for n, o in evs if o.get("delta", {}).get("type") == "signature_delta"]
    tool = next(o["content_block"] for n, o in evs if n == "content_block_start"
                and o["content_block"]["type"] == "tool_use")
    args = "".join(o["delta"]["partial_json"] for n, o in evs if o.get("delta", {}).get("type") == "input_json_delta")
    content = [{"type": "thinking", "thinking": thinking, "signature": sig[0]},
               {"type": "tool_use", "id": tool["id"], "name": tool["name"], "input": json.loads(args)}]
    assert len(sig) == 1
    assert post(sim, _turn_two({}, content, result_id=tool["id"], stream=True)).status_code == 200
    other = AnthropicMessages()  # another simulator's secret: its signatures do not verify here
    content[0]["signature"] = other.sign("claude-sonnet-4-5", thinking)
    assert post(sim, _turn_two({}, content, result_id=tool["id"])).status_code == 400


def test_thinking_visibility_follows_the_model_and_the_request(sim):
    b = post(sim, {**ask("Why is the sky blue?"), "model": "claude-sonnet-5-5"}).json()  # Claude 5: on by default
    assert b["content"][0]["type"] == "thinking" and b["content"][0]["thinking"]
    b = post(sim, ask("Why is the sky blue?")).json()  # Sonnet 4.5: off unless asked
    assert [c["type"] for c in b["content"]] == ["text"] and "output_tokens_details" not in b["usage"]
    b = post(sim, ask("Why is the sky blue?", thinking={**THINK, "display": "omitted"})).json()
    assert b["content"][0]["thinking"] == "" and b["content"][0]["signature"]
    assert b["usage"]["output_tokens_details"]["thinking_tokens"] > 0
    b = post(sim, {**ask("q"), "model": "claude-opus-4-7", "thinking": {"type": "adaptive"},
                   "output_config": {"effort": "high"}}).json()
    assert b["content"][0]["type"] == "thinking"
    r = post(sim, {**ask("q"), "model": "claude-opus-4-7", "thinking": THINK})  # adaptive-only model
    assert_native_error(r, 400, "invalid_request_error", '"thinking.type.enabled" is not supported for this model. '
                        'Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.')


# ================================================================ the tool loop
def test_tool_results_must_answer_the_previous_turn(sim):
    first = post(sim, ask("What is the weather in Paris?", tools=[WEATHER])).json()
    tool_id = next(c["id"] for c in first["content"] if c["type"] == "tool_use")
    loop = {**ask(""), "tools": [WEATHER], "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": first["content"]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "Sunny"}]}]}
    ok = post(sim, loop)
    assert ok.status_code == 200 and ok.json()["stop_reason"] == "end_turn"
    assert "Sunny" in ok.json()["content"][0]["text"] or ok.json()["content"][0]["text"]
    loop["messages"][2]["content"][0]["tool_use_id"] = "toolu_01NotIssuedAnywhere0000"
    assert_native_error(post(sim, loop), 400, "invalid_request_error",
                        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: "
                        "toolu_01NotIssuedAnywhere0000. Each `tool_result` block must have a corresponding "
                        "`tool_use` block in the previous message.")
    loop["messages"][2] = {"role": "user", "content": "never mind"}
    assert_native_error(post(sim, loop), 400, "invalid_request_error",
                        f"messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: "
                        f"{tool_id}. Each `tool_use` block must have a corresponding `tool_result` block in the next "
                        "message.")


# ================================================================ validation
@pytest.mark.parametrize(("change", "headers", "status", "message"), [
    ({}, {"x-api-key": "k"}, 400, "anthropic-version: header is required"),
    ({}, {"x-api-key": "k", "anthropic-version": "2024-01-01"}, 400,
     'anthropic-version: "2024-01-01" is not a valid version'),
    ({"max_tokens": None}, None, 400, "max_tokens: Field required"),
    ({"max_tokens": "10"}, None, 400, "max_tokens: Input should be a valid integer"),
    ({"messages": []}, None, 400, "messages: at least one message is required"),
    ({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]}, None, 400,
     'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" '
     'as an input message role.'),
    ({"temperature": 1.5}, None, 400, "temperature: Input should be less than or equal to 1"),
    ({"thinking": {"type": "enabled", "budget_tokens": 500}}, None, 400,
     "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"),
    ({"thinking": {"type": "enabled", "budget_tokens": 5000}, "max_tokens": 2000}, None, 400, None),
    ({"model": "claude-opus-4-6", "output_config": {"effort": "xhigh"}}, None, 400,
     "This model does not support effort level 'xhigh'. Supported levels: high, low, max, medium."),  # m11
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]}, None, 400,
     "messages.0.content.0.text: text content blocks must be non-empty"),
    ({"messages": [{"role": "user", "content": [{"type": "audio", "data": "x"}]}]}, None, 400, None),
    ({"tools": [{"name": "f"}]}, None, 400, "tools.0.custom.input_schema: Field required"),
    ({"model": "claude-sonnet-4-5", "temperature": 0.5, "top_p": 0.9}, None, 400,
     "`temperature` and `top_p` cannot both be specified for this model. Please use only one."),
    ({"model": "claude-opus-4-7", "temperature": 0.5}, None, 400, "`temperature` is deprecated for this model."),
])
def test_each_invalid_request_gets_anthropics_answer(sim, change, headers, status, message):
    body = {k: v for k, v in {**ask("hello"), **change}.items() if v is not None}
    assert_native_error(post(sim, body, headers=headers), status, "invalid_request_error", message)


def test_model_and_key_errors(sim):
    assert_native_error(post(sim, {**ask("hi"), "model": "claude-sonet-4-5"}), 404, "not_found_error",
                        "model: claude-sonet-4-5")  # m12
    assert_native_error(post(sim, {**ask("hi"), "model": "claude-3-opus-20240229"}), 404, "not_found_error")
    assert_native_error(post(sim, ask("hi"), headers={"anthropic-version": "2023-06-01"}), 401,
                        "authentication_error", "x-api-key header is required")
    bearer = {"Authorization": "Bearer sk-ant-test", "anthropic-version": "2023-06-01"}
    assert post(sim, ask("hi"), headers=bearer).status_code == 401  # the native API reads x-api-key
    assert_native_error(post(sim, ask("hi"), headers={**HEADERS, "x-api-key": "invalid-key"}), 401,
                        "authentication_error", "invalid x-api-key")


def test_media_pdfs_are_read_natively(sim):
    import base64
    pdf = base64.b64encode(sample_pdf()).decode()
    png = base64.b64encode(sample_png()).decode()
    body = ask("") | {"messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": pdf}},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
        {"type": "text", "text": "What do you see?"}]}]}
    r = post(sim, body)
    assert r.status_code == 200, r.text
    assert sim.requests()[-1]["received"] == {"images": 1, "audio": 0, "pdfs": 1}
    assert sim.requests()[-1]["api"] == "messages"
    body["messages"][0]["content"][1]["source"]["media_type"] = "image/bmp"
    assert_native_error(post(sim, body), 400, "invalid_request_error")


def test_max_tokens_and_stop_sequences(sim):
    b = post(sim, ask("Explain tides", max_tokens=5)).json()
    assert b["stop_reason"] == "max_tokens" and b["usage"]["output_tokens"] == 5
    full = post(sim, ask("Explain tides in the ocean", temperature=0)).json()["content"][0]["text"]
    word = full.split(" ")[4]
    b = post(sim, ask("Explain tides in the ocean", temperature=0, stop_sequences=[word])).json()
    assert b["stop_reason"] == "stop_sequence" and b["stop_sequence"] == word
    assert word not in b["content"][0]["text"] and full.startswith(b["content"][0]["text"])
    evs = events(post(sim, ask("Explain tides in the ocean", temperature=0, stop_sequences=[word],
                               stream=True)).text)
    assert evs[-2][1]["delta"]["stop_sequence"] == word
    b = post(sim, ask("Explain tides", max_tokens=0)).json()  # 0 only warms the cache
    assert b["content"] == [] and b["stop_reason"] == "max_tokens" and b["usage"]["output_tokens"] == 0


def test_prompt_caching_only_when_asked(sim):
    long_text = "Please explain what Python is and its main use cases. " * 120
    cached = ask("") | {"system": [{"type": "text", "text": long_text, "cache_control": {"type": "ephemeral"}}],
                        "messages": [{"role": "user", "content": "Short answer please."}]}
    first = post(sim, cached).json()["usage"]
    second = post(sim, cached).json()["usage"]
    assert first["cache_creation_input_tokens"] > 1000 and first["cache_read_input_tokens"] == 0
    assert second["cache_read_input_tokens"] > 1000
    total = [u["input_tokens"] + u["cache_read_input_tokens"] + u["cache_creation_input_tokens"]
             for u in (first, second)]
    assert total[0] == total[1]
    plain = dict(cached, system=long_text)
    u = post(sim, plain).json()["usage"]
    assert u["cache_read_input_tokens"] == u["cache_creation_input_tokens"] == 0 and u["input_tokens"] == total[0]


def test_count_tokens_agrees_with_the_reported_input():
    d = AnthropicMessages()
    body = ask("How many tokens is this?") | {"system": "Be brief.", "tools": [WEATHER]}
    n = d.count_tokens({k: v for k, v in body.items() if k != "max_tokens"}, HEADERS)["input_tokens"]
    assert n > 0
    import multimodel.sim as msim
    with msim.start(latency_scale=0) as s:
        assert post(s, body).json()["usage"]["input_tokens"] == n
    with pytest.raises(SimError) as e:
        d.count_tokens({"model": "claude-nope", "messages": user("x")}, HEADERS)
    assert e.value.status == 404
    with pytest.raises(SimError) as e:
        d.count_tokens({"model": "claude-sonnet-4-5", "messages": user("x")}, {"x-api-key": "k"})
    assert e.value.status == 400 and b"anthropic-version" in e.value.body
    with pytest.raises(SimError) as e:
        DeepSeekMessages().count_tokens({"model": "deepseek-flash", "messages": user("x")}, DS_HEADERS)
    assert e.value.status == 404


# ================================================================ faults and limits in the native envelope
def test_faults_and_limits_answer_in_the_messages_envelope(sim):
    sim.set_faults({"rate_limit": 1.0}, provider="anthropic")
    r = post(sim, ask("hi"))
    assert_native_error(r, 429, "rate_limit_error")
    assert int(r.headers["retry-after"]) >= 1 and r.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert not any(k.startswith("x-ratelimit") for k in r.headers)
    sim.set_faults({"overloaded": 1.0}, provider="anthropic")
    assert_native_error(post(sim, ask("hi")), 529, "overloaded_error", "Overloaded")
    sim.set_faults({"server_error": 1.0}, provider="anthropic")
    r = post(sim, ask("hi"))
    assert r.status_code in (500, 502, 503) and r.json()["error"]["type"] == "api_error"
    sim.set_faults({"stream_error": 1.0}, provider="anthropic")
    text = post(sim, ask("Tell me about tides", stream=True)).text
    evs = events(text)
    assert evs[-1] == ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert "message_stop" not in [n for n, _ in evs]
    sim.set_faults({"malformed_chunk": 1.0}, provider="anthropic")
    lines = [ln for ln in post(sim, ask("Tell me about tides", stream=True)).text.split("\n") if ln]
    bad = [ln for ln in lines if ln.startswith("data: ") and not _parses(ln[6:])]
    assert len(bad) == 1 and all(ln.startswith(("event: ", "data: ")) for ln in lines)
    sim.set_faults(None, provider="anthropic")
    sim.set_limits(rpm=1, provider="anthropic")
    assert post(sim, ask("one")).status_code == 200
    r = post(sim, ask("two"))
    assert_native_error(r, 429, "rate_limit_error")
    assert r.headers["retry-after"] and r.headers["anthropic-ratelimit-requests-limit"] == "1"


def test_a_body_too_large_is_refused_before_anything_else(sim):
    r = _HTTP.post(f"{sim.base_url('anthropic', 'messages')}/messages", content=b"x" * 32_000_001,
                   headers={**HEADERS, "content-type": "application/json"}, timeout=30)
    assert r.status_code == 413 and r.json()["error"]["type"] == "request_too_large"


# ================================================================ the request schema: extra inputs are refused
@pytest.mark.parametrize(("change", "message"), [
    ({"seed": 1}, "seed: Extra inputs are not permitted"),
    ({"reasoning_effort": "high"}, "reasoning_effort: Extra inputs are not permitted"),
    ({"extra_body": {"x": 1}}, "extra_body: Extra inputs are not permitted"),  # Aider-AI/aider#3367
    ({"response_format": {"type": "json_object"}}, "response_format: Extra inputs are not permitted"),  # oli#7
    ({"context_management": {"edits": []}}, "context_management: Extra inputs are not permitted"),  # beta only
    ({"metadata": {"user_id": "u-1", "foo": "x"}}, "metadata.foo: Extra inputs are not permitted"),
    ({"metadata": {"user_id": 5}}, "metadata.user_id: Input should be a valid string"),
    ({"metadata": "u-1"}, "metadata: Input should be a valid dictionary"),
    ({"tools": [{**WEATHER, "parameters": WEATHER["input_schema"]}]},
     "tools.0.custom.parameters: Extra inputs are not permitted"),
    ({"tools": [EMPTY_TOOL, {"name": "f", "input_schema": {"type": "object"}, "function": {"name": "f"}}]},
     "tools.1.custom.function: Extra inputs are not permitted"),
    ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},  # OpenAI's shape
     "tools.0: Input tag 'function' found using 'type' does not match any of the expected tags: 'bash_20250124', "
     "'code_execution_20250522', 'code_execution_20250825', 'code_execution_20260120', 'custom', 'memory_20250818', "
     "'text_editor_20250124', 'text_editor_20250429', 'text_editor_20250728', 'tool_search_tool_bm25', "
     "'tool_search_tool_bm25_20251119', 'tool_search_tool_regex', 'tool_search_tool_regex_20251119', "
     "'web_fetch_20250910', 'web_fetch_20260209', 'web_search_20250305'"),  # dirac-run/dirac#57 (its tail cut)
])
def test_anthropic_refuses_keys_outside_its_request_schema(sim, change, message):
    assert_native_error(post(sim, ask("hello") | change), 400, "invalid_request_error", message)
    web_search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
    assert post(sim, ask("hello", tools=[web_search])).status_code == 200  # server tools keep their own fields


def test_every_documented_field_is_taken_and_beta_fields_need_a_beta_header(sim):
    full = ask("hello") | {
        "system": [{"type": "text", "text": "Be brief."}], "stop_sequences": ["###"], "stream": False,
        "temperature": 0.5, "top_k": 40, "metadata": {"user_id": "u-1"}, "service_tier": "auto",
        "inference_geo": "global", "cache_control": {"type": "ephemeral"}, "container": None,
        "output_config": {"effort": "high"}, "thinking": {"type": "disabled"}, "tool_choice": {"type": "auto"},
        "tools": [WEATHER | {"strict": True, "cache_control": {"type": "ephemeral"}, "defer_loading": False,
                             "input_examples": [{"city": "Paris"}], "eager_input_streaming": False,
                             "allowed_callers": ["direct"], "type": "custom"}]}
    assert post(sim, full | {"model": "claude-sonnet-4-6"}).status_code == 200
    beta = ask("hello") | {"context_management": {"edits": []}}
    assert post(sim, beta).status_code == 400
    assert post(sim, beta, headers={**HEADERS, "anthropic-beta": "context-management-2025-06-27"}).status_code == 200


def test_deepseek_keeps_accepting_what_its_table_ignores(sim):
    """DeepSeek's table lists container, mcp_servers, service_tier and top_k as Ignored and documents no refusal of
    other keys, so its endpoint takes them (and a forced tool_choice with thinking: "any" is handled as auto)."""
    body = ask("hi") | {"model": "deepseek-flash", "seed": 1, "mcp_servers": [], "service_tier": "auto",
                        "container": "c", "top_k": 3, "metadata": {"user_id": "u", "foo": "x"},
                        "thinking": {"type": "enabled"}, "temperature": 0.3, "tools": [WEATHER | {"strict": True}],
                        "tool_choice": {"type": "any"}}
    r = post(sim, body, dialect="deepseek")
    assert r.status_code == 200, r.text
    assert post(sim, body | {"model": "claude-sonnet-4-5"}).status_code == 400  # Anthropic refuses the same body


# ================================================================ thinking with sampling and forced tools
TEMPERATURE_WITH_THINKING = (
    "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. Please consult our "
    "documentation at https://platform.claude.com/docs/en/build-with-claude/extended-thinking")
TOP_K_WITH_THINKING = (
    "`top_k` must be unset when thinking is enabled. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
    "#important-considerations-when-using-extended-thinking")
FORCED = "Thinking may not be enabled when tool_choice forces tool use."
ADAPTIVE = {"type": "adaptive"}


@pytest.mark.parametrize(("model", "thinking", "change", "message"), [
    ("claude-sonnet-4-5", THINK, {"temperature": 0.2}, TEMPERATURE_WITH_THINKING),
    ("claude-sonnet-4-6", ADAPTIVE, {"temperature": 0}, TEMPERATURE_WITH_THINKING),
    # Opus 4.8 refuses temperature anyway; with thinking asked the thinking text comes first (modelparams.dev#214)
    ("claude-opus-4-8", ADAPTIVE, {"temperature": 0.5}, TEMPERATURE_WITH_THINKING),
    ("claude-haiku-4-5", THINK, {"top_k": 5}, TOP_K_WITH_THINKING),
    ("claude-opus-4-6", ADAPTIVE, {"top_k": 1}, TOP_K_WITH_THINKING),
    ("claude-haiku-4-5", THINK, {"tools": [WEATHER], "tool_choice": {"type": "any"}}, FORCED),
    ("claude-sonnet-4-6", ADAPTIVE, {"tools": [WEATHER], "tool_choice": {"type": "tool", "name": "get_weather"}},
     FORCED),
    # Claude 5 thinks unasked: a forced tool is refused without a thinking field too
    ("claude-sonnet-5-5", None, {"tools": [WEATHER], "tool_choice": {"type": "any"}}, FORCED),
    # ...while temperature meets the model's own refusal first when thinking was not asked (pr-agent#2456)
    ("claude-opus-5", None, {"temperature": 0.5}, "`temperature` is deprecated for this model."),
    ("claude-opus-4-8", None, {"temperature": 0.5}, "`temperature` is deprecated for this model."),
])
def test_thinking_refuses_sampling_changes_and_forced_tools(sim, model, thinking, change, message):
    body = ask("What is the weather in Paris?") | {"model": model, "max_tokens": 8192} | change
    if thinking is not None:
        body["thinking"] = thinking
    assert_native_error(post(sim, body), 400, "invalid_request_error", message)


@pytest.mark.parametrize("change", [
    {"temperature": 1}, {"temperature": 1.0, "tools": [WEATHER], "tool_choice": {"type": "auto"}},
    {"tools": [WEATHER], "tool_choice": {"type": "none"}}, {"top_p": 0.95},
])
def test_thinking_takes_the_defaults_and_unforced_tools(sim, change):
    body = ask("What is the weather in Paris?", thinking=THINK) | change
    assert post(sim, body).status_code == 200
    off = ask("What is the weather in Paris?") | {"temperature": 0.2, "top_k": 5, "tools": [WEATHER],
                                                  "tool_choice": {"type": "any"}}
    assert post(sim, off).status_code == 200  # without thinking the same sampling and forced tool are fine


# ================================================================ m02: the blank text block before adaptive thinking
def test_adaptive_thinking_on_opus_4_6_streams_the_recorded_blank_block_first(sim):
    """m02 (claude-opus-4-6, thinking adaptive, temperature 1.0, streamed): its own request is accepted and answered
    with the recording's block sequence, a text block holding only "\n\n" first; other models and other thinking
    types keep thinking first, and a non-streamed body keeps its plain shape (no recording shows otherwise)."""
    rec = recording("m02")
    r = post(sim, rec["request"]["json"])
    assert r.status_code == 200, r.text
    evs = events(r.text)
    assert grammar(evs) == grammar(events(rec["response"]["body"]))
    first = [o["delta"]["text"] for n, o in evs if n == "content_block_delta" and o["index"] == 0]
    assert first == ["\n\n"] and evs[2][0] == "ping"
    body = rec["request"]["json"]
    for other in ({**body, "model": "claude-sonnet-4-6"}, {**body, "thinking": THINK}):
        assert grammar(events(post(sim, other).text))[1] == "start:thinking"
    whole = post(sim, {**body, "stream": False}).json()
    assert [c["type"] for c in whole["content"]] == ["thinking", "text"]


# ================================================================ what the client sends still gets through
def test_what_the_client_builds_for_every_simulated_claude_model_is_accepted(sim):
    """For each simulated Claude model: a plain request, reasoning on, reasoning off (where the model can stop
    thinking; elsewhere the client refuses it before sending), tools with and without reasoning, streamed and not,
    temperature unset: the strict endpoint answers every one."""
    import warnings

    import multimodel as mm
    from multimodel.sim.catalogue import models_for, rules_of

    client = mm.Client(providers={"anthropic-messages": {
        "base_url": sim.base_url("anthropic", "messages"), "api_key": "sk-ant-sim-0123456789abcdef",
        "dialect": "anthropic", "api": "messages"}}, cache=False)
    tool = {"type": "function", "function": {"name": WEATHER["name"], "description": WEATHER["description"],
                                             "parameters": WEATHER["input_schema"]}}
    variants = [{}, {"reasoning": "high"}, {"reasoning": "none"}, {"tools": [tool]},
                {"tools": [tool], "reasoning": "high"}, {"user": "researcher-1"}]
    models = models_for("anthropic")
    assert len(models) >= 10
    sent = 0
    for m in models:
        for kw in variants:
            for stream in (False, True):
                name = f"anthropic-messages/{m.id}"
                if kw.get("reasoning") == "none" and not rules_of("anthropic", m.id).can_disable:
                    with pytest.raises(mm.ConfigError):
                        client.complete(name, "What's the weather in Paris?", stream=stream, **kw)
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", mm.ParamWarning)
                    r = client.complete(name, "What's the weather in Paris?", stream=stream, **kw)
                assert r.error is None, (m.id, kw, stream, r.error)
                sent += 1
    assert sent == len(sim.requests()) and sent > 100


# ================================================================ DeepSeek's Anthropic-format endpoint
def test_deepseek_takes_what_anthropic_refuses_where_its_docs_say_so(sim):
    no_version = ask("hi") | {"model": "deepseek-flash"}
    assert post(sim, no_version, dialect="deepseek").status_code == 200  # anthropic-version: Ignored
    assert post(sim, no_version, headers={"x-api-key": "k"}).status_code == 400  # Anthropic requires it
    bearer = {"Authorization": "Bearer sk-ds"}
    assert post(sim, no_version, dialect="deepseek", headers=bearer).status_code == 200
    loose = no_version | {"temperature": 1.5, "top_k": 5, "thinking": {"type": "enabled", "budget_tokens": 10}}
    b = post(sim, loose, dialect="deepseek").json()
    assert b["content"][0]["type"] == "thinking" and b["content"][0]["thinking"]  # budget_tokens ignored
    assert post(sim, loose | {"model": "claude-sonnet-4-5"}).status_code == 400


def test_deepseek_maps_claude_names_and_refuses_others(sim):
    b = post(sim, ask("hi") | {"model": "claude-opus-4-8"}, dialect="deepseek").json()
    assert b["model"] == "deepseek-v4-pro" and b["id"].startswith("msg_")
    assert post(sim, ask("hi") | {"model": "claude-haiku-4-5"}, dialect="deepseek").json()["model"] == \
        "deepseek-flash"
    r = post(sim, ask("hi") | {"model": "gpt-4o"}, dialect="deepseek")
    assert r.status_code == 400 and r.json()["error"]["message"] == "Model Not Exist"
    assert sim.requests()[-1]["model"] == "gpt-4o" and sim.requests()[-3]["model"] == "deepseek-v4-pro"


def test_deepseek_refuses_the_blocks_it_does_not_support(sim):
    base = ask("") | {"model": "deepseek-flash"}
    doc = base | {"messages": [{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "hi"}}]}]}
    r = post(sim, doc, dialect="deepseek")
    assert r.status_code == 400 and set(r.json()["error"]) == {"message", "type", "param", "code"}
    assert "unknown variant `document`" in r.json()["error"]["message"]
    assert post(sim, doc | {"model": "claude-sonnet-4-5"}).status_code == 200  # Anthropic reads documents
    system_role = base | {"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "hi"}]}
    r = post(sim, system_role, dialect="deepseek")
    assert r.json()["error"]["message"].startswith("Failed to deserialize the JSON body into the target type: "
                                                   "messages[0].role: unknown variant `system`, expected `user` or "
                                                   "`assistant` at line 1 column")
    redacted = base | {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [
        {"type": "redacted_thinking", "data": "abc"}, {"type": "text", "text": "ok"}]},
        {"role": "user", "content": "and?"}]}
    assert "unknown variant `redacted_thinking`" in post(sim, redacted, dialect="deepseek").json()["error"]["message"]


def test_deepseek_tool_loop_needs_the_thinking_back(sim):
    body = ask("What is the weather in Paris?", tools=[WEATHER]) | {"model": "deepseek-flash"}
    first = post(sim, body, dialect="deepseek").json()
    assert first["content"][0]["type"] == "thinking" and first["stop_reason"] == "tool_use"
    call = next(c for c in first["content"] if c["type"] == "tool_use")
    assert call["id"].startswith("call_00_")
    loop = body | {"messages": [body["messages"][0], {"role": "assistant", "content": first["content"]},
                                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"],
                                                              "content": "Sunny"}]}]}
    assert post(sim, loop, dialect="deepseek").status_code == 200
    loop["messages"][1]["content"] = [c for c in first["content"] if c["type"] != "thinking"]
    r = post(sim, loop, dialect="deepseek")
    assert r.status_code == 400 and r.json()["error"] == {
        "message": "The `content[].thinking` in the thinking mode must be passed back to the API.",
        "type": "invalid_request_error", "param": None, "code": "invalid_request_error"}
    evs = events(post(sim, body | {"stream": True}, dialect="deepseek").text.replace(": keep-alive\n", ""))
    assert grammar(evs)[:2] == ["message_start", "start:thinking"] and evs[-1][0] == "message_stop"


# ================================================================ the chat endpoints are unchanged
def test_the_chat_endpoints_behave_as_before(sim):
    b = chat(sim, "anthropic", {"model": "claude-sonnet-4-5", "messages": user("hi"),
                                "thinking": THINK, "max_tokens": 4000}).json()
    assert b["object"] == "chat.completion" and "reasoning_content" not in b["choices"][0]["message"]
    b = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": user("hi")}).json()
    assert b["choices"][0]["message"]["reasoning_content"]
    assert [r["api"] for r in sim.requests()] == ["chat", "chat"]


def test_count_tokens_is_served_over_http_by_anthropic_and_not_by_deepseek():
    """The route itself (the method is tested above): Anthropic answers {"input_tokens": N}; DeepSeek documents no
    such endpoint, so its path is a 404."""
    import httpx

    import multimodel as mm

    with mm.sim.start(latency_scale=0) as sim:
        body = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "How many tokens is this?"}]}
        headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
        got = httpx.post(f"{sim.url}/anthropic/v1/messages/count_tokens", json=body, headers=headers)
        assert got.status_code == 200 and isinstance(got.json()["input_tokens"], int) and got.json()["input_tokens"] > 0
        missing = httpx.post(f"{sim.url}/deepseek/anthropic/v1/messages/count_tokens",
                             json={**body, "model": "deepseek-flash"}, headers=headers)
        assert missing.status_code == 404
