"""Through the real client against the simulator: every provider's answers, reasoning and tool loops."""

from __future__ import annotations

import math
import warnings

import pytest

import multimodel as mm

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"type": "string", "enum": ["c", "f"]}},
                   "required": ["city", "unit"]}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}}}

MODELS = {
    "openai": "openai/gpt-5.4",
    "anthropic": "anthropic/claude-sonnet-4-6",
    "gemini": "gemini/gemini-3-flash-preview",
    "xai": "xai/grok-3-mini",
    "deepseek": "deepseek/deepseek-flash",
    "openrouter": "openrouter/anthropic/claude-sonnet-4.6",
}
# gpt-5.4 refuses function tools while it reasons on Chat Completions ("Function tools with reasoning_effort are
# not supported for gpt-5.4 in /v1/chat/completions"): its tool loop runs with reasoning off
TOOL_REASONING = {"openai": "none"}


@pytest.fixture(scope="module")
def client():
    with mm.sim.start(latency_scale=0) as sim:
        c = mm.Client(providers={p: {"base_url": sim.base_url(p), "api_key": "k", "dialect": p} for p in MODELS},
                      cache=False)
        c.sim_handle = sim
        yield c


@pytest.mark.parametrize("provider", list(MODELS))
@pytest.mark.parametrize("stream", [False, True])
def test_multi_turn_tool_loop_works_on_every_provider(client, provider, stream):
    """as_message() carries the echo-back each provider needs (Gemini signatures, DeepSeek reasoning_content)."""
    model = MODELS[provider]
    messages = [{"role": "user", "content": "What's the weather in Paris and the time in Tokyo?"}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.ParamWarning)
        first = client.complete(model, messages, tools=[WEATHER, TIME], stream=stream,
                                reasoning=TOOL_REASONING.get(provider, "low"))
    assert first.error is None, first.error
    assert first.finish_reason == "tool_calls"
    assert first.tool_calls and len({c.id for c in first.tool_calls}) == len(first.tool_calls)
    for call in first.tool_calls:
        assert call.arguments is not None and call.name in ("get_weather", "get_time")
        if call.name == "get_weather":
            assert call.arguments["unit"] in ("c", "f") and isinstance(call.arguments["city"], str)
    messages.append(first.as_message())
    for call in first.tool_calls:
        messages.append({"role": "tool", "tool_call_id": call.id, "content": f"result of {call.name}: 21C sunny"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.ParamWarning)
        second = client.complete(model, messages, tools=[WEATHER, TIME], stream=stream,
                                 reasoning=TOOL_REASONING.get(provider, "low"))
    assert second.error is None, second.error
    assert second.finish_reason == "stop" and not second.tool_calls
    assert "21C sunny" in second.content


def test_gemini_missing_signature_is_a_400_and_the_client_fills_the_documented_dummy(client):
    """Gemini 400s a tool history without thought_signature; for a history from elsewhere the client sends
    Google's documented placeholder instead, so switching a conversation to Gemini still works."""
    import httpx

    first = client.complete(MODELS["gemini"], "weather in Paris?", tools=[WEATHER])
    msg = first.as_message()
    for call in msg["tool_calls"]:
        call.pop("extra_content", None)  # as if the turn had come from another provider
    messages = [{"role": "user", "content": "weather in Paris?"}, msg,
                {"role": "tool", "tool_call_id": first.tool_calls[0].id, "name": "get_weather", "content": "sunny"}]
    raw = httpx.post(f"{client.sim_handle.base_url('gemini')}/chat/completions", timeout=10,
                     headers={"Authorization": "Bearer k"},
                     json={"model": "gemini-3-flash-preview", "messages": messages, "tools": [WEATHER]})
    assert raw.status_code == 400 and isinstance(raw.json(), list)
    assert "thought_signature" in raw.json()[0]["error"]["message"]
    r = client.complete(MODELS["gemini"], messages, tools=[WEATHER], retries=0)
    assert r.error is None and "sunny" in r.content


@pytest.mark.parametrize(("model", "has_text", "provider_cost"), [
    ("openai/gpt-5.4", False, False),
    ("anthropic/claude-sonnet-4-6", False, False),
    ("gemini/gemini-3-flash-preview", True, False),
    ("xai/grok-3-mini", True, True),
    ("deepseek/deepseek-flash", True, False),
    ("openrouter/deepseek/deepseek-r1", True, True),
])
@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_usage_and_cost_per_provider(client, model, has_text, provider_cost, stream):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mm.ParamWarning)
        r = client.complete(model, "Why is the sky blue?", reasoning="high", stream=stream)  # every one takes it
    assert r.error is None, r.error
    assert r.simulated and r.content.startswith("[simulated")
    assert (r.reasoning is not None) == has_text
    if has_text:
        assert "[simulated" not in r.content[20:]  # reasoning text never leaks into the answer
    # completion_tokens always includes reasoning, whatever the provider counted
    if r.reasoning_tokens:
        assert r.completion_tokens >= r.reasoning_tokens
    assert r.prompt_tokens > 0 and r.completion_tokens > 0
    assert not math.isnan(r.cost_usd) and r.cost_usd > 0
    assert r.cost_source == ("provider" if provider_cost else "price_table")
    if stream and has_text:
        assert r.ttft_s <= r.ttfat_s <= r.e2e_s  # equal when one socket read carried both (latency 0)


def test_sim_records_match_client_usage(client):
    sim = client.sim_handle
    sim.reset()
    r = client.complete("xai/grok-3-mini", "Count to three", reasoning="high", stream=True)
    rec = sim.requests()[-1]
    assert rec["prompt_tokens"] == r.prompt_tokens
    # the simulator records every generated token; xAI's wire usage leaves reasoning out of
    # completion_tokens and the client folds it back in, so the two must agree exactly
    assert rec["reasoning_tokens"] > 0
    assert r.completion_tokens == rec["completion_tokens"]
    assert r.reasoning_tokens == rec["reasoning_tokens"]
    wire = next(line for line in r.raw.splitlines() if '"usage":{' in line and '"choices":[]' in line)
    assert f'"completion_tokens":{rec["completion_tokens"] - rec["reasoning_tokens"]}' in wire


def test_developer_role_reaches_deepseek_as_system(client):
    r = client.complete("deepseek/deepseek-flash", [{"role": "developer", "content": "Answer tersely."},
                                                   {"role": "user", "content": "hi"}])
    assert r.error is None  # the simulator rejects `developer` exactly like DeepSeek does


def test_simulated_client_labels_everything():
    c = mm.Client.simulated(latency_scale=0)
    cmp = c.compare("hello", ["openai/gpt-5-mini", "deepseek/deepseek-flash"])
    assert cmp.simulated and all(cmp.df["simulated"])
    assert "SIMULATED" in repr(cmp) and "SIMULATED" in cmp._repr_html_()


def test_gemini_streamed_echo_carries_only_the_signature(client):
    r = client.complete(MODELS["gemini"], "Why is the sky blue?", stream=True, reasoning="low")
    assert r.reasoning and not r.content.startswith("<thought>")
    state = r.as_message().get("extra_content")
    assert state is None or set(state["google"]) == {"thought_signature"}  # never the per-delta "thought" flag
    tools = client.complete(MODELS["gemini"], "weather in Paris?", tools=[WEATHER], stream=True, reasoning="low")
    for call in tools.as_message()["tool_calls"]:
        google = call.get("extra_content", {}).get("google", {})
        assert "thought" not in google
