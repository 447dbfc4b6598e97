"""Request shaping per provider: each quirk in research/provider-quirks.md turned into the body we send."""

from __future__ import annotations

import warnings

import pytest

import multimodel as mm
from multimodel.results import Result, ToolCall
from multimodel.wire.sse import SSEDecoder

CITY = {"type": "object", "properties": {"city": {"type": "string"}}}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "strict": True, "parameters": CITY}}]


@pytest.fixture(scope="module")
def client():
    providers = {name: {"api_key": "k"} for name in ("openai", "anthropic", "gemini", "xai", "deepseek", "openrouter")}
    return mm.Client(providers=providers, cache=False)


def body(client, model, prompt="hi", **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = client.prepare(model, prompt, **kw)
    return req.body, [str(w.message) for w in caught if issubclass(w.category, mm.ParamWarning)]


def test_openai_reasoning_model_renames_max_tokens_and_drops_temperature(client):
    b, notes = body(client, "openai/gpt-5.4", max_tokens=100, temperature=0.2, reasoning="high")
    assert b["max_completion_tokens"] == 100 and "max_tokens" not in b
    assert "temperature" not in b and b["reasoning_effort"] == "high"
    assert notes == [
        "openai/gpt-5.4: renamed max_tokens to max_completion_tokens: gpt-5.4 rejects max_tokens",
        "openai/gpt-5.4: dropped temperature: not taken by gpt-5.4 while it reasons (https://developers.openai.com/api/docs/guides/latest-model)",
    ]
    b, notes = body(client, "openai/gpt-4.1-mini", max_tokens=100, temperature=0.2)
    assert b["max_tokens"] == 100 and b["temperature"] == 0.2 and "reasoning_effort" not in b and notes == []
    with pytest.raises(mm.ConfigError, match=r"openai/gpt-4\.1-mini is not a reasoning model: leave reasoning= out"):
        client.prepare("openai/gpt-4.1-mini", "hi", reasoning="high")


def test_anthropic_thinking_budget_temperature_and_strict(client):
    b, notes = body(client, "anthropic/claude-sonnet-4-6", reasoning="medium", temperature=1.5,
                    max_tokens=1000, tools=TOOLS)
    assert b["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert b["max_tokens"] == 9192  # must exceed the thinking budget
    assert "temperature" not in b  # thinking takes only temperature 1 (platform.claude.com extended-thinking)
    assert "strict" not in b["tools"][0]["function"]
    assert "reasoning_effort" not in b
    # one note per change, saying what was renamed, raised, capped or dropped, and why
    assert sorted(notes) == sorted([
        "anthropic/claude-sonnet-4-6: dropped tools[].function.strict: Anthropic's compatibility layer ignores "
        "strict (no schema guarantee)",
        "anthropic/claude-sonnet-4-6: raised max_tokens to 9192: it must exceed the thinking budget (8192)",
        "anthropic/claude-sonnet-4-6: dropped temperature: not taken by claude-sonnet-4-6 while it reasons "
        "(https://platform.claude.com/docs/en/build-with-claude/extended-thinking)",
    ])
    b, _ = body(client, "anthropic/claude-sonnet-4-6", reasoning="medium", temperature=1)
    assert b["temperature"] == 1  # the one value thinking takes is kept


def test_anthropic_mid_conversation_system_as_user_option():
    c = mm.Client(providers={"anthropic": {"api_key": "k", "options": {"mid_system": "user"}}}, cache=False)
    msgs = [{"role": "system", "content": "top"}, {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"}, {"role": "system", "content": "now French"},
            {"role": "user", "content": "c"}]
    b = c.prepare("anthropic/claude-sonnet-4-6", msgs).body
    assert b["messages"][0] == {"role": "system", "content": "top"}
    assert b["messages"][3]["role"] == "user" and "now French" in b["messages"][3]["content"]
    default = mm.Client(providers={"anthropic": {"api_key": "k"}}, cache=False)
    assert default.prepare("anthropic/claude-sonnet-4-6", msgs).body["messages"][3]["role"] == "system"


def test_gemini_thinking_config_never_with_reasoning_effort(client):
    b, _ = body(client, "gemini/gemini-3-flash-preview", reasoning="low")
    assert "reasoning_effort" not in b
    assert b["extra_body"]["google"]["thinking_config"] == {"include_thoughts": True, "thinking_level": "low"}
    b, _ = body(client, "gemini/gemini-2.5-flash", reasoning=3000)
    assert b["extra_body"]["google"]["thinking_config"]["thinking_budget"] == 3000


def test_gemini_echo_adds_tool_names_and_signature(client):
    msgs = [{"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
            {"role": "developer", "content": "be brief"}]
    b, _ = body(client, "gemini/gemini-3-flash-preview", msgs, tools=TOOLS)
    assert b["messages"][2]["name"] == "get_weather"
    assert b["messages"][1]["tool_calls"][0]["extra_content"]["google"]["thought_signature"]
    assert b["messages"][3]["role"] == "system"


def test_xai_reasoning_models_drop_stop_and_penalties(client):
    b, notes = body(client, "xai/grok-3-mini", stop=["x"], presence_penalty=0.5, reasoning="high", tools=TOOLS)
    assert "stop" not in b and "presence_penalty" not in b and b["reasoning_effort"] == "high"
    assert "strict" not in b["tools"][0]["function"]
    assert sorted(notes) == sorted([
        "xai/grok-3-mini: dropped tools[].function.strict: xAI does not take strict in function definitions",
        "xai/grok-3-mini: dropped presence_penalty, stop: not taken by grok-3-mini (https://docs.x.ai/developers/model-capabilities/text/reasoning)",
    ])
    with pytest.raises(mm.ConfigError, match=r"xai/grok-4\.20-0309-reasoning always reasons and takes no reasoning"):
        client.prepare("xai/grok-4.20-0309-reasoning", "hi", reasoning="high")
    with pytest.raises(mm.ConfigError, match="xai/grok-4-1-fast-reasoning was retired on 2026-05-15"):
        client.prepare("xai/grok-4-1-fast-reasoning", "hi")
    b, notes = body(client, "xai/grok-4.3", reasoning="medium")
    assert b["reasoning_effort"] == "medium" and notes == []
    b, notes = body(client, "xai/grok-4.7", reasoning="xhigh")
    assert b["reasoning_effort"] == "xhigh" and notes == []
    with pytest.raises(mm.ConfigError, match="takes reasoning= 'low', 'medium', 'high', 'xhigh', not 'none'"):
        client.prepare("xai/grok-4.7", "hi", reasoning="none")
    b, _ = body(client, "xai/grok-4.20-0309-non-reasoning", stop=["x"])
    assert b["stop"] == ["x"]


@pytest.mark.parametrize("effort", ["none", "medium"])
def test_xai_effort_a_model_does_not_take_is_refused_naming_the_ones_it_does(client, effort):
    """grok-3-mini takes only low and high: another effort is refused before sending (it used to be mapped with a
    note, which still sent reasoning the caller asked not to pay for)."""
    with pytest.raises(mm.ConfigError, match=f"xai/grok-3-mini takes reasoning= 'low', 'high', not '{effort}'"):
        client.prepare("xai/grok-3-mini", "hi", reasoning=effort)


def test_deepseek_developer_role_and_reasoning_content_echo(client):
    msgs = [{"role": "developer", "content": "rules"}, {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "", "reasoning_content": "thought",
             "tool_calls": [{"id": "call_00_x", "type": "function", "function": {"name": "get_weather",
                                                                                 "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_00_x", "content": "sunny"}]
    b, _ = body(client, "deepseek/deepseek-flash", msgs, tools=TOOLS, reasoning="low")
    assert b["messages"][0]["role"] == "system"
    assert b["messages"][2]["reasoning_content"] == "thought"
    assert b["thinking"] == {"type": "enabled"} and b["reasoning_effort"] == "low"
    b, _ = body(client, "deepseek/deepseek-flash", msgs[:3])  # no tools: leave reasoning_content out
    assert "reasoning_content" not in b["messages"][2]


def test_openrouter_reasoning_object(client):
    assert body(client, "openrouter/anthropic/claude-sonnet-4.6", reasoning=2000)[0]["reasoning"] == {
        "max_tokens": 2000}
    b, _ = body(client, "openrouter/openai/gpt-5.4", reasoning="high")
    assert b["reasoning"] == {"effort": "high"} and b["model"] == "openai/gpt-5.4"


def test_as_message_carries_echo_state():
    r = Result(model="gemini/x", provider="gemini", content="",
               tool_calls=[ToolCall(id="c1", name="f", arguments={}, arguments_raw="{}",
                                    extra={"extra_content": {"google": {"thought_signature": "SIG"}}})],
               provider_state={"reasoning_content": "why"})
    msg = r.as_message()
    assert msg["role"] == "assistant" and msg["content"] is None
    assert msg["tool_calls"][0]["extra_content"]["google"]["thought_signature"] == "SIG"
    assert msg["tool_calls"][0]["function"] == {"name": "f", "arguments": "{}"}
    assert msg["reasoning_content"] == "why"


@pytest.mark.parametrize("split", [1, 2, 3, 7, 50])
def test_sse_decoder_is_independent_of_how_bytes_are_split(split):
    stream = (b": OPENROUTER PROCESSING\n\n data: {\"a\":1}\r\n\r\nevent: error\ndata: {\"b\":\n"
              b"data: 2}\n\n: keep-alive\n\ndata: [DONE]\n\n")
    dec = SSEDecoder()
    events = []
    for i in range(0, len(stream), split):
        events += dec.feed(stream[i:i + split])
    events += dec.close()
    assert events == [(b"", b'{"a":1}'), (b"error", b'{"b":\n2}'), (b"", b"[DONE]")]


@pytest.mark.parametrize("split", [1, 5, 13, 4096])
def test_sse_fast_path_matches_the_line_parser(split):
    stream = b"data: {\"a\":1}\n\ndata: {\"b\":2}\n\n\n\ndata: x\ndata: y\n\n: ping\n\ndata:{\"c\":3}\n\ndata: [DONE]"
    dec = SSEDecoder()
    events = []
    for i in range(0, len(stream), split):
        events += dec.feed(stream[i:i + split])
    events += dec.close()
    assert events == [(b"", b'{"a":1}'), (b"", b'{"b":2}'), (b"", b"x\ny"), (b"", b'{"c":3}'), (b"", b"[DONE]")]
