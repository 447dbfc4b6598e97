"""Each simulated dialect's distinctive wire details (provider-quirks.md sections 1-7), checked with plain httpx."""

from __future__ import annotations

import json
import re
import uuid

import pytest

import multimodel.sim as msim
from tests.test_sim import chat, data_chunks, deltas, stream, streamed, user

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {
    "type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}}}
ASK = user("What's the weather in Paris?")
USAGE = {"stream_options": {"include_usage": True}}


# `sim` (one simulator per module) and `clean_sim` (reset before each test) come from tests/conftest.py
pytestmark = pytest.mark.usefixtures("clean_sim")


def price(dialect: str, model: str) -> tuple[float, float, float]:
    p = msim.CATALOGUE[(dialect, model)].price
    return (p[0] / 1e6, p[1] / 1e6, p[2] / 1e6)


# ================================================================ OpenAI
def test_openai_reasoning_counted_not_shown(sim):
    b = chat(sim, "openai", {"model": "gpt-5-mini", "messages": user("Why is the sky blue?")}).json()
    msg, u = b["choices"][0]["message"], b["usage"]
    assert set(msg) == {"role", "content", "refusal", "annotations"}  # no reasoning text anywhere
    r = u["completion_tokens_details"]["reasoning_tokens"]
    assert r > 0
    assert u["completion_tokens"] == r + len(msg["content"].split(" "))  # reasoning INSIDE completion_tokens
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]
    assert b["model"] == "gpt-5-mini-2025-08-07" and b["id"].startswith("chatcmpl-")
    # effort scales reasoning; gpt-5.4 defaults to none
    lo = chat(sim, "openai", {"model": "gpt-5-mini", "messages": user("q"), "reasoning_effort": "minimal"}).json()
    hi = chat(sim, "openai", {"model": "gpt-5-mini", "messages": user("q"), "reasoning_effort": "high"}).json()
    assert lo["usage"]["completion_tokens_details"]["reasoning_tokens"] < \
        hi["usage"]["completion_tokens_details"]["reasoning_tokens"]
    g = chat(sim, "openai", {"model": "gpt-5.4", "messages": user("q")}).json()
    assert g["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0
    g = chat(sim, "openai", {"model": "gpt-5.4", "messages": user("q"), "reasoning_effort": "xhigh"}).json()
    assert g["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_openai_reasoning_models_reject_max_tokens_and_temperature(sim):
    r = chat(sim, "openai", {"model": "gpt-5.4", "messages": user("q"), "max_tokens": 100})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                   "'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens",
        "code": "unsupported_parameter"}
    r = chat(sim, "openai", {"model": "gpt-5-mini", "messages": user("q"), "temperature": 0})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unsupported_value"
    assert "Only the default (1) value is supported." in r.json()["error"]["message"]
    assert chat(sim, "openai", {"model": "gpt-5-mini", "messages": user("q"), "temperature": 1}).status_code == 200
    ok = chat(sim, "openai", {"model": "gpt-5-mini", "messages": user("q"), "max_completion_tokens": 50})
    assert ok.json()["usage"]["completion_tokens"] == 50 and ok.json()["choices"][0]["finish_reason"] == "length"
    assert chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("q"), "max_tokens": 5}).status_code == 200
    r = chat(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("q"), "reasoning_effort": "low"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unsupported_parameter"
    r = chat(sim, "openai", {"model": "gpt-5-mini", "messages": user("q"), "reasoning_effort": "none"})
    assert r.status_code == 400  # models before gpt-5.1 do not support none
    dev = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "q"}]
    assert chat(sim, "openai", {"model": "gpt-5.4", "messages": dev}).status_code == 200  # developer is native


def test_openai_stream_shapes(sim):
    r, ev = stream(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("hi"), **USAGE})
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-ratelimit-limit-requests"] and r.headers["openai-version"] == "2020-10-01"
    chunks = data_chunks(ev)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert all("usage" in c and c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop" and chunks[-2]["choices"][0]["delta"] == {}
    assert ev[-1] == ("done", None) and all("obfuscation" in c for c in chunks)
    _, ev = stream(sim, "openai", {"model": "gpt-4.1-mini", "messages": user("hi")})
    assert all("usage" not in c for c in data_chunks(ev))  # no usage chunk unless asked


def test_openai_streamed_tool_call_fragments(sim):
    _, ev = stream(sim, "openai", {"model": "gpt-4.1-mini", "messages": ASK, "tools": [WEATHER, TIME]})
    ds = deltas(data_chunks(ev))
    assert ds[0] == {"role": "assistant", "content": None}
    frags = [tc for d in ds for tc in d.get("tool_calls", [])]
    firsts = [f for f in frags if "id" in f]
    assert [f["index"] for f in firsts] == [0, 1]
    for f in firsts:
        assert re.fullmatch(r"call_[A-Za-z0-9]{24}", f["id"])
        assert f["type"] == "function" and f["function"]["arguments"] == ""
    rest = [f for f in frags if "id" not in f]
    assert rest and all("name" not in f["function"] and isinstance(f["index"], int) for f in rest)
    args0 = "".join(f["function"]["arguments"] for f in frags if f["index"] == 0)
    assert json.loads(args0) == {"city": "Paris"}
    assert data_chunks(ev)[-1]["choices"][0]["finish_reason"] == "tool_calls"


# ================================================================ Anthropic compat
def test_anthropic_no_reasoning_fields_and_hoisting(sim):
    msgs = [{"role": "system", "content": "Alpha rule."}, {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"}, {"role": "developer", "content": "Beta rule."},
            {"role": "user", "content": "second question"}]
    b = chat(sim, "anthropic", {"model": "claude-sonnet-4-6", "messages": msgs, "reasoning_effort": "high",
                                "thinking": {"type": "enabled", "budget_tokens": 2048}}).json()
    msg = b["choices"][0]["message"]
    assert set(msg) == {"role", "content"}
    assert set(b["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}  # *_details absent
    assert b["usage"]["completion_tokens"] > len(msg["content"].split(" "))  # thinking counted, never shown
    assert b["model"] == "claude-sonnet-4-6" and b["id"].startswith("msg_01")
    # all system/developer messages hoisted into one system prompt
    assert "Alpha rule. Beta rule." in msg["content"]
    o = chat(sim, "openai", {"model": "gpt-5.4", "messages": msgs}).json()["choices"][0]["message"]["content"]
    assert "Alpha rule." in o and "Beta rule." not in o  # in place elsewhere
    plain = chat(sim, "anthropic", {"model": "claude-sonnet-4-6", "messages": user("q"),
                                    "reasoning_effort": "high"}).json()
    assert plain["usage"]["completion_tokens"] == len(plain["choices"][0]["message"]["content"].split(" "))


def test_anthropic_rejections_and_ignores(sim):
    r = chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("q"), "n": 2})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    assert chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("q"), "temperature": 1.7,
                                   "response_format": {"type": "json_object"}, "seed": 3,
                                   "logprobs": True}).status_code == 200
    r = chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("q"),
                                "thinking": {"type": "enabled", "budget_tokens": 100}})
    assert r.status_code == 400
    r = chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("q"), "max_tokens": 1500,
                                "thinking": {"type": "enabled", "budget_tokens": 2000}})
    assert r.status_code == 400 and "budget_tokens" in r.json()["error"]["message"]
    r = chat(sim, "anthropic", {"model": "claude-haiku-4-5", "messages": user("q")})
    assert r.headers["request-id"].startswith("req_") and r.headers["x-ratelimit-limit-tokens"]


def test_anthropic_tool_calls(sim):
    b = chat(sim, "anthropic", {"model": "claude-opus-4-7", "messages": ASK, "tools": [WEATHER]}).json()
    ch = b["choices"][0]
    assert ch["finish_reason"] == "tool_calls"
    assert re.fullmatch(r"toolu_01[A-Za-z0-9]{22}", ch["message"]["tool_calls"][0]["id"])
    assert ch["message"]["content"].startswith("[simulated claude-opus-4-7]")  # text before the call
    _, ev = stream(sim, "anthropic", {"model": "claude-opus-4-7", "messages": ASK, "tools": [WEATHER], **USAGE})
    calls = [tc for d in deltas(data_chunks(ev)) for tc in d.get("tool_calls", [])]
    assert {c["index"] for c in calls} == {1}  # block index: text block 0, tool block 1
    assert data_chunks(ev)[-1]["choices"] == []


# ================================================================ Gemini compat
GOOGLE_THOUGHTS = {"extra_body": {"google": {"thinking_config": {"include_thoughts": True}}}}


def test_gemini_thoughts_and_usage(sim):
    b = chat(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": user("Why is the sky blue?"),
                             **GOOGLE_THOUGHTS}).json()
    c = b["choices"][0]["message"]["content"]
    assert c.startswith("<thought>[simulated reasoning]") and "</thought>[simulated gemini-3-flash-preview]" in c
    u = b["usage"]
    answer = c.split("</thought>", 1)[1]
    assert u["completion_tokens"] == len(answer.split(" "))  # thoughts excluded...
    assert u["total_tokens"] > u["prompt_tokens"] + u["completion_tokens"]  # ...but in the total
    assert "completion_tokens_details" not in u
    plain = chat(sim, "gemini", {"model": "gemini-3.1-pro-preview", "messages": user("q")}).json()
    assert "<thought>" not in plain["choices"][0]["message"]["content"]
    pu = plain["usage"]
    assert pu["total_tokens"] > pu["prompt_tokens"] + pu["completion_tokens"]  # always thinks, hidden
    assert plain["model"] == "gemini-3.1-pro-preview"


def test_gemini_stream_thought_parts(sim):
    _, ev = stream(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": user("q"), **GOOGLE_THOUGHTS,
                                   **USAGE})
    chunks = data_chunks(ev)
    ds = deltas(chunks)
    thought = [d for d in ds if d.get("extra_content", {}).get("google", {}).get("thought")]
    assert thought[0]["content"].startswith("<thought>")
    first_answer = next(d for d in ds if d.get("content") and "extra_content" not in d)
    assert first_answer["content"].startswith("</thought>")
    assert any(d.get("extra_content", {}).get("google", {}).get("thought_signature") for d in ds)
    assert all("usage" in c for c in chunks)  # usage on every chunk when include_usage
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["choices"][0]["delta"] == {
        "role": "assistant"}


def test_gemini_effort_conflict_is_list_shaped_400(sim):
    body = {"model": "gemini-3-flash-preview", "messages": user("q"), "reasoning_effort": "low",
            "extra_body": {"google": {"thinking_config": {"thinking_level": "high"}}}}
    r = chat(sim, "gemini", body)
    assert r.status_code == 400
    assert isinstance(r.json(), list) and r.json()[0]["error"]["code"] == 400
    assert r.json()[0]["error"]["status"] == "INVALID_ARGUMENT"
    ok = {"model": "gemini-3-flash-preview", "messages": user("q"), "reasoning_effort": "low", **GOOGLE_THOUGHTS}
    assert chat(sim, "gemini", ok).status_code == 200


def test_gemini_tool_calls_and_thought_signature(sim):
    _, ev = stream(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": ASK, "tools": [WEATHER, TIME]})
    chunks = data_chunks(ev)
    tool_chunks = [d["tool_calls"] for d in deltas(chunks) if "tool_calls" in d]
    assert len(tool_chunks) == 1  # the whole call(s) in one chunk
    calls = tool_chunks[0]
    assert len(calls) == 2 and all("index" not in c for c in calls)
    assert all(re.fullmatch(r"function-call-\d{19}", c["id"]) for c in calls)
    assert json.loads(calls[0]["function"]["arguments"]) == {"city": "Paris"}
    sig = calls[0]["extra_content"]["google"]["thought_signature"]
    assert sig and "extra_content" not in calls[1]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"  # "stop" even with tool calls
    b = chat(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": ASK, "tools": [WEATHER]}).json()
    assert b["choices"][0]["finish_reason"] == "stop" and b["choices"][0]["message"]["tool_calls"]
    # follow-up: the signature must be echoed
    call = b["choices"][0]["message"]["tool_calls"][0]
    stripped = {k: v for k, v in call.items() if k != "extra_content"}
    turn = [{"role": "assistant", "tool_calls": [stripped]},
            {"role": "tool", "tool_call_id": call["id"], "name": "get_weather", "content": "sunny, 24C"}]
    r = chat(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": ASK + turn, "tools": [WEATHER]})
    assert r.status_code == 400
    assert "Function call is missing a thought_signature" in r.json()[0]["error"]["message"]
    turn[0]["tool_calls"] = [call]
    r = chat(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": ASK + turn, "tools": [WEATHER]})
    assert r.status_code == 200 and "sunny, 24C" in r.json()["choices"][0]["message"]["content"]
    # a tool message whose id matches no call and carries no name
    bad = [{"role": "assistant", "tool_calls": [call]}, {"role": "tool", "tool_call_id": "x", "content": "1"}]
    r = chat(sim, "gemini", {"model": "gemini-3-flash-preview", "messages": ASK + bad})
    assert r.status_code == 400 and "Name cannot be empty" in r.json()[0]["error"]["message"]


# ================================================================ xAI
def test_xai_usage_and_cost(sim):
    b = chat(sim, "xai", {"model": "grok-3-mini", "messages": user("Explain tides")}).json()
    msg, u = b["choices"][0]["message"], b["usage"]
    assert msg["reasoning_content"].startswith("[simulated reasoning]")
    r = u["completion_tokens_details"]["reasoning_tokens"]
    assert u["completion_tokens"] == len(msg["content"].split(" "))  # reasoning EXCLUDED
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"] + r
    p_in, _, p_out = price("xai", "grok-3-mini")
    assert u["cost_in_usd_ticks"] == round((u["prompt_tokens"] * p_in + (u["completion_tokens"] + r) * p_out) * 1e10)
    assert u["num_sources_used"] == 0 and set(u["prompt_tokens_details"]) == {
        "text_tokens", "audio_tokens", "image_tokens", "cached_tokens"}
    uuid.UUID(b["id"])
    g = chat(sim, "xai", {"model": "grok-4.20-reasoning", "messages": user("q")}).json()
    assert "reasoning_content" not in g["choices"][0]["message"]
    assert g["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0
    assert g["model"] == "grok-4.20-0309-reasoning"  # an alias is answered with the full id


def test_xai_errors_are_strings(sim):
    r = chat(sim, "xai", {"model": "grok-4.20-0309-reasoning", "messages": user("q"), "reasoning_effort": "high"})
    assert r.status_code == 400
    assert r.json() == {"code": "invalid-argument",
                        "error": "Model grok-4.20-0309-reasoning does not support parameter reasoningEffort."}
    assert chat(sim, "xai", {"model": "grok-3-mini", "messages": user("q"), "reasoning_effort": "high"}).status_code \
        == 200
    assert chat(sim, "xai", {"model": "grok-3-mini", "messages": user("q"), "reasoning_effort": "medium"}).status_code \
        == 400
    for extra in ({"stop": ["\n"]}, {"presence_penalty": 0.5}, {"frequency_penalty": 0.1}):
        r = chat(sim, "xai", {"model": "grok-3-mini", "messages": user("q"), **extra})
        assert r.status_code == 400 and isinstance(r.json()["error"], str)


def test_xai_stream_cumulative_usage_and_whole_tool_calls(sim):
    _, ev = stream(sim, "xai", {"model": "grok-3-mini", "messages": user("q"), **USAGE})
    chunks = data_chunks(ev)
    totals = [c["usage"]["total_tokens"] for c in chunks if c["choices"]]
    assert totals == sorted(totals) and len(set(totals)) > 5  # cumulative, on every chunk
    assert deltas(chunks)[0]["role"] == "assistant" and "reasoning_content" in deltas(chunks)[0]
    assert "finish_reason" not in chunks[1]["choices"][0]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["cost_in_usd_ticks"] > 0
    _, ev = stream(sim, "xai", {"model": "grok-3-mini", "messages": ASK, "tools": [WEATHER]})
    calls = [d["tool_calls"] for d in deltas(data_chunks(ev)) if "tool_calls" in d]
    assert len(calls) == 1 and json.loads(calls[0][0]["function"]["arguments"]) == {"city": "Paris"}
    assert re.fullmatch(r"call_\d{8}", calls[0][0]["id"])
    fin = [c["choices"][0]["finish_reason"] for c in data_chunks(ev) if c["choices"] and "finish_reason" in
           c["choices"][0]]
    assert fin == ["tool_calls"]
    b = chat(sim, "xai", {"model": "grok-4.3", "messages": ASK, "tools": [WEATHER]}).json()
    assert b["choices"][0]["finish_reason"] == "" and b["choices"][0]["message"]["tool_calls"]


# ================================================================ DeepSeek
def test_deepseek_reasoning_usage_and_ids(sim):
    r = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": user("Explain entropy")})
    assert r.text.startswith("\n")  # blank line(s) before a non-stream body
    assert r.headers["x-ds-trace-id"]
    b = r.json()
    uuid.UUID(b["id"])
    msg, u = b["choices"][0]["message"], b["usage"]
    assert msg["reasoning_content"].startswith("[simulated reasoning]")
    r_tok = u["completion_tokens_details"]["reasoning_tokens"]
    assert u["completion_tokens"] == r_tok + len(msg["content"].split(" "))
    assert u["prompt_cache_hit_tokens"] + u["prompt_cache_miss_tokens"] == u["prompt_tokens"]
    assert u["prompt_tokens_details"]["cached_tokens"] == u["prompt_cache_hit_tokens"]
    c = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": user("q"),
                               "thinking": {"type": "disabled"}}).json()
    assert "reasoning_content" not in c["choices"][0]["message"] and "completion_tokens_details" not in c["usage"]
    t = chat(sim, "deepseek", {"model": "deepseek-v4-pro", "messages": user("q"),
                               "thinking": {"type": "enabled"}}).json()
    assert t["choices"][0]["message"]["reasoning_content"]


def test_deepseek_prefix_cache_is_deterministic(sim):
    prefix = "Reference manual. " + "Rule number {}: keep the records tidy and dated. " * 60
    msgs1 = [{"role": "system", "content": prefix}, {"role": "user", "content": "Question A?"}]
    msgs2 = [{"role": "system", "content": prefix}, {"role": "user", "content": "Question B, different?"}]
    u1 = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": msgs1}).json()["usage"]
    u2 = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": msgs2}).json()["usage"]
    assert u1["prompt_cache_hit_tokens"] == 0
    assert u2["prompt_cache_hit_tokens"] > 0 and u2["prompt_cache_hit_tokens"] % 64 == 0
    assert u2["prompt_cache_hit_tokens"] < u2["prompt_tokens"]
    sim.reset()
    again = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": msgs2}).json()["usage"]
    assert again["prompt_cache_hit_tokens"] == 0


def test_deepseek_rejects_developer_role(sim):
    r = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": [
        {"role": "developer", "content": "Be brief."}, {"role": "user", "content": "q"}]})
    assert r.status_code == 400
    e = r.json()["error"]
    assert e["message"].startswith("Failed to deserialize the JSON body into the target type: messages[0].role: "
                                   "unknown variant `developer`, expected one of `system`, `user`, `assistant`, "
                                   "`tool`")
    assert re.search(r"at line 1 column \d+$", e["message"])
    assert e["type"] == "invalid_request_error" and e["code"] == "invalid_request_error"


def test_deepseek_tools_and_reasoning_passback(sim):
    b = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": ASK, "tools": [WEATHER, TIME]}).json()
    msg = b["choices"][0]["message"]
    calls = msg["tool_calls"]
    assert [c["index"] for c in calls] == [0, 1]
    assert re.fullmatch(r"call_00_[A-Za-z0-9]{24}", calls[0]["id"])
    assert re.fullmatch(r"call_01_[A-Za-z0-9]{24}", calls[1]["id"])
    assert calls[0]["function"]["arguments"] == '{"city": "Paris"}'
    assert msg["content"] and msg["reasoning_content"]
    results = [{"role": "tool", "tool_call_id": c["id"], "content": "ok"} for c in calls]
    without = [{"role": "assistant", "content": msg["content"], "tool_calls": calls}]
    r = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": ASK + without + results,
                               "tools": [WEATHER, TIME]})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "The reasoning_content in the thinking mode must be passed back to the API."
    with_rc = [{**without[0], "reasoning_content": msg["reasoning_content"]}]
    r = chat(sim, "deepseek", {"model": "deepseek-flash", "messages": ASK + with_rc + results,
                               "tools": [WEATHER, TIME]})
    assert r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "stop"


def test_deepseek_stream_shapes(sim):
    _, ev = stream(sim, "deepseek", {"model": "deepseek-flash", "messages": ASK, "tools": [WEATHER], **USAGE})
    assert ev[0] == ("comment", ": keep-alive")
    chunks = data_chunks(ev)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": None, "reasoning_content": ""}
    assert all(c["usage"] is None for c in chunks[:-1])
    assert streamed(chunks, "reasoning_content").startswith("[simulated reasoning]")
    frags = [tc for d in deltas(chunks) for tc in d.get("tool_calls", [])]
    assert frags[0]["id"].startswith("call_00_") and len(frags) > 2
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] == "tool_calls" and last["usage"]["prompt_cache_miss_tokens"] > 0
    assert last["choices"][0]["delta"] == {"content": "", "reasoning_content": None}


# ================================================================ OpenRouter
def test_openrouter_reasoning_text_for_anthropic_upstream(sim):
    b = chat(sim, "openrouter", {"model": "anthropic/claude-sonnet-4.6", "messages": user("q"),
                                 "reasoning": {"effort": "low"}}).json()
    assert b["provider"] == "Anthropic" and b["model"] == "anthropic/claude-sonnet-4.6"
    assert re.fullmatch(r"gen-\d+-[A-Za-z0-9]{20}", b["id"])
    ch = b["choices"][0]
    assert ch["native_finish_reason"] and ch["finish_reason"] == "stop"
    msg = ch["message"]
    assert msg["reasoning"].startswith("[simulated reasoning]")
    d = msg["reasoning_details"][0]
    assert d["type"] == "reasoning.text" and d["text"] == msg["reasoning"] and d["format"] == "anthropic-claude-v1"
    u = b["usage"]
    assert u["completion_tokens"] == u["completion_tokens_details"]["reasoning_tokens"] + len(
        msg["content"].split(" "))
    p_in, _, p_out = price("openrouter", "anthropic/claude-sonnet-4.6")
    assert u["cost"] == pytest.approx(u["prompt_tokens"] * p_in + u["completion_tokens"] * p_out)
    assert u["is_byok"] is False and u["cost_details"]["upstream_inference_cost"] is None
    assert u["cost_details"]["upstream_inference_prompt_cost"] == pytest.approx(u["prompt_tokens"] * p_in)
    # without a reasoning request, Claude does not think
    plain = chat(sim, "openrouter", {"model": "anthropic/claude-sonnet-4.6", "messages": user("q")}).json()
    assert plain["choices"][0]["message"]["reasoning"] is None
    # exclude: tokens spent, nothing returned
    ex = chat(sim, "openrouter", {"model": "deepseek/deepseek-r1", "messages": user("q"),
                                  "reasoning": {"exclude": True}}).json()
    assert ex["choices"][0]["message"]["reasoning"] is None and "reasoning_details" not in ex["choices"][0]["message"]
    assert ex["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_openrouter_openai_upstream_encrypted_only(sim):
    b = chat(sim, "openrouter", {"model": "openai/gpt-5-mini", "messages": user("q")}).json()
    msg = b["choices"][0]["message"]
    assert msg["reasoning"] is None
    assert [d["type"] for d in msg["reasoning_details"]] == ["reasoning.encrypted"]
    assert msg["reasoning_details"][0]["format"] == "openai-responses-v1"
    assert b["choices"][0]["native_finish_reason"] == "completed"
    assert b["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_openrouter_stream_shapes(sim):
    r, ev = stream(sim, "openrouter", {"model": "anthropic/claude-sonnet-4.6", "messages": user("q"),
                                       "reasoning": {"max_tokens": 2000}})
    assert r.headers["x-generation-id"].startswith("gen-")
    assert ev[0] == ("comment", ": OPENROUTER PROCESSING")
    chunks = data_chunks(ev)
    assert all(c["provider"] == "Anthropic" for c in chunks)
    assert streamed(chunks, "reasoning").startswith("[simulated reasoning]")
    dets = [d for x in deltas(chunks) for d in x.get("reasoning_details", [])]
    assert any(d.get("signature") for d in dets) and all(d["type"] == "reasoning.text" for d in dets)
    fin = chunks[-2]["choices"][0]
    assert fin["finish_reason"] == "stop" and fin["native_finish_reason"] == "end_turn"
    last = chunks[-1]  # usage chunk: ONE choice with an empty delta, not []
    assert len(last["choices"]) == 1 and last["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert last["usage"]["cost"] > 0
    assert ev[-1] == ("done", None)
    _, ev = stream(sim, "openrouter", {"model": "openai/gpt-4.1-mini", "messages": ASK, "tools": [WEATHER]})
    frags = [tc for d in deltas(data_chunks(ev)) for tc in d.get("tool_calls", [])]
    assert frags[0]["index"] == 0 and re.fullmatch(r"call_[A-Za-z0-9]{24}", frags[0]["id"])


def test_openrouter_error_shape(sim):
    r = chat(sim, "openrouter", {"model": "openai/gpt-4.1-mini", "messages": user("q")}, key="invalid-x")
    assert r.status_code == 401 and r.json()["error"]["code"] == 401
    sim.set_faults({"server_error": 1.0})
    r = chat(sim, "openrouter", {"model": "openai/gpt-4.1-mini", "messages": user("q")})
    assert r.status_code in (502, 503)
    e = r.json()
    assert e["error"]["code"] == r.status_code and "provider_name" in e["error"]["metadata"] and e["user_id"]
