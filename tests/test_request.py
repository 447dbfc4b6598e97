"""The request layer (multimodel/request.py), offline: argument validation, what ``RequestPreparer.prepare``
builds (url, headers, body, payload), the cache key, warn-once, and the ``on_unsupported`` policy."""

from __future__ import annotations

import warnings

import orjson
import pytest

import multimodel as mm
from multimodel.config import build_provider
from multimodel.providers.capabilities import UnsupportedInputError
from multimodel.request import (
    REQUEST_PARAMS,
    RequestPreparer,
    check_reasoning,
    check_request,
    check_tools,
    normalize_messages,
    quiet,
)
from multimodel.sim.media import sample_png, sample_wav

SECRET = "sk-canary-request-7f3a"
WAV = sample_wav()
PNG = sample_png()


@pytest.fixture
def providers():
    provs = {name: build_provider(name, {"api_key": SECRET}) for name in ("openai", "anthropic", "deepseek")}
    provs["local"] = build_provider("local", {"base_url": "http://127.0.0.1:9/v1/", "api_key": "local-key",
                                              "default_headers": {"X-Team": "research"}, "timeout": 5})
    return provs


@pytest.fixture
def preparer(providers):
    return RequestPreparer(providers)


def param_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, mm.ParamWarning)]


# ---------------------------------------------------------------------------------- normalize_messages
def test_a_string_becomes_one_user_message():
    assert normalize_messages("Why is the sky blue?") == [{"role": "user", "content": "Why is the sky blue?"}]


def test_text_and_parts_become_one_user_message_with_parts():
    image = mm.image(PNG)
    (msg,) = normalize_messages(["What is this?", image])
    assert msg["role"] == "user"
    assert msg["content"][0] == {"type": "text", "text": "What is this?"}
    assert msg["content"][1] is image
    (msg,) = normalize_messages(image)  # one bare part
    assert msg == {"role": "user", "content": [image]}
    (msg,) = normalize_messages(("a", "b"))  # a tuple is a list
    assert msg["content"] == [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]


def test_a_messages_list_is_kept_as_given():
    msgs = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None,
             "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
            {"role": "developer", "content": "rules"}]
    out = normalize_messages(msgs)
    assert out == msgs
    assert all(a is b for a, b in zip(out, msgs, strict=True))


@pytest.mark.parametrize(("prompt", "message"), [
    ("", "the prompt is empty: pass a non-empty string or a list of messages"),
    ("   \n", "the prompt is empty: pass a non-empty string or a list of messages"),
    ([], "the messages list is empty: add at least one {'role': 'user', 'content': ...}"),
    ([""], "the prompt is empty: pass some text or an image, audio clip or PDF"),
    (42, "prompt must be a string, a list of text and parts like ['Describe this', mm.image('cat.png')], or a list "
         "of messages like [{'role': 'user', 'content': '...'}]; got int"),
    ({"role": "user", "content": "hi"}, "got dict"),
    (["hi", {"role": "user", "content": "there"}], "the prompt mixes messages ({'role': ...}) with bare text or parts"),
    ([{"role": "user", "content": "a"}, "b"], "either pass one list of text and parts (one user message)"),
    ([7], "messages[0] must be a dict with 'role' and 'content', got int"),
    ([{"role": "robot", "content": "x"}],
     "messages[0] has role 'robot'; use one of ['assistant', 'developer', 'function', 'system', 'tool', 'user']"),
    ([{"content": "x"}], "messages[0] has role None"),
    ([{"role": "user", "content": "ok"}, {"role": "assistant"}],
     "messages[1] (assistant) needs 'content' or 'tool_calls'"),
    ([{"role": "tool", "content": "42"}], "messages[0] (tool) needs the 'tool_call_id' of the call it answers"),
    ([{"role": "user", "content": 3}], "messages[0].content must be a string or a list of content parts, got int"),
    ([{"role": "user", "content": " "}], "messages[0] (user) has empty content"),
    ([{"role": "user"}], "messages[0] (user) has empty content"),
    ([{"role": "user", "content": [{"type": "image_url"}]}], "messages[0].content: an image_url part needs"),
])
def test_each_malformed_prompt_is_refused_with_its_fix(prompt, message):
    with pytest.raises(mm.ConfigError) as exc:
        normalize_messages(prompt)
    assert message in str(exc.value)


# ---------------------------------------------------------------------------------- tools, reasoning, parameters
def test_check_tools_wraps_bare_function_dicts():
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    bare = {"name": "get_weather", "parameters": schema}
    assert check_tools([bare]) == [{"type": "function", "function": bare}]
    full = {"type": "function", "function": {"name": "get_weather", "parameters": schema}}
    assert check_tools([full]) == [full]
    assert check_tools(({"name": "noop"},)) == [{"type": "function", "function": {"name": "noop"}}]
    assert check_tools(None) is None
    assert check_tools([]) == []


@pytest.mark.parametrize(("tools", "message"), [
    ({"name": "f"}, "tools must be a list of {'type': 'function', 'function': {...}} definitions"),
    (["get_weather"], "tools[0] must be a dict, got str"),
    ([{"type": "function", "function": {}}], "tools[0] needs function.name, e.g. {'type': 'function', 'function': "
                                             "{'name': 'get_weather', 'parameters': {'type': 'object'"),
    ([{"type": "function", "function": {"name": ""}}], "tools[0] needs function.name"),
    ([{"type": "retrieval"}], "tools[0] needs function.name"),
    ([{"name": "ok"}, {"name": "f", "parameters": {"type": "array", "items": {}}}],
     "tools[1] (f): parameters must be a JSON Schema object ({'type': 'object', 'properties': {...}}), got {'type': "
     "'array'"),
    ([{"name": "f", "parameters": ["city"]}], "tools[0] (f): parameters must be a JSON Schema object"),
    ([{"name": "f", "parameters": "object"}], "got 'object'"),
])
def test_check_tools_refuses_what_is_not_a_function_with_an_object_schema(tools, message):
    with pytest.raises(mm.ConfigError) as exc:
        check_tools(tools)
    assert message in str(exc.value)


def test_check_reasoning_accepts_efforts_and_budgets():
    assert check_reasoning(None) is None
    assert check_reasoning("HIGH") == "high"
    assert check_reasoning("none") == "none"
    assert check_reasoning("xhigh") == "xhigh"
    assert check_reasoning(2048) == 2048


@pytest.mark.parametrize(("value", "message"), [
    (0, "a reasoning token budget must be positive, got 0"),
    (-5, "a reasoning token budget must be positive, got -5"),
    (True, "reasoning must be an effort ('low', 'medium', 'high', ...), a token budget, or None"),
    ("maximum", "reasoning='maximum': use one of ('none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'), an int "
                "token budget"),
    (1.5, "reasoning=1.5: use one of"),
])
def test_check_reasoning_refusals(value, message):
    with pytest.raises(mm.ConfigError) as exc:
        check_reasoning(value)
    assert message in str(exc.value)


def test_check_request_refuses_unknown_parameters_and_n_above_one():
    with pytest.raises(mm.ConfigError) as exc:
        check_request("hi", None, None, {"temprature": 0.2, "top_k": 3}, None, "raise")
    assert "unknown parameter(s) ['temprature', 'top_k']; pass provider-specific fields in extra_body={...}" in str(
        exc.value)
    with pytest.raises(mm.ConfigError) as exc:
        check_request("hi", None, None, {"n": 3}, None, "raise")
    assert "n=3: a Result holds one answer, so multimodel sends n=1" in str(exc.value)
    assert "evaluate(..., repeats=N)" in str(exc.value)
    with pytest.raises(mm.ConfigError, match=r"on_delta must be a callable taking \(kind, text\)"):
        check_request("hi", None, None, {}, "print", "raise")
    with pytest.raises(mm.ConfigError,
                       match=r"on_unsupported='ignore': use one of \('raise', 'warn', 'skip', 'send'\)"):
        check_request("hi", None, None, {}, None, "ignore")
    messages, tools, reasoning = check_request("hi", [{"name": "f"}], "LOW", {"n": 1, "seed": 3}, print, "warn")
    assert messages == [{"role": "user", "content": "hi"}]
    assert tools == [{"type": "function", "function": {"name": "f"}}]
    assert reasoning == "low"
    assert set(REQUEST_PARAMS) >= {"temperature", "max_tokens", "seed", "response_format", "extra_body"}


# ---------------------------------------------------------------------------------- prepare
def test_prepare_builds_url_headers_body_and_payload(preparer):
    req = preparer.prepare("openai/gpt-4.1-mini", "hi", temperature=0.5, seed=7)
    assert req.model == "openai/gpt-4.1-mini" and req.model_id == "gpt-4.1-mini"
    assert req.provider.name == "openai" and req.dialect.name == "openai"
    assert req.url == "https://api.openai.com/v1/chat/completions"
    assert req.headers == {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"}
    assert req.body == {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}],
                        "temperature": 0.5, "seed": 7}
    assert req.payload == orjson.dumps(req.body)
    assert req.stream is False and "stream" not in req.body
    assert (req.dropped, req.unverified, req.skip, req.route_reason, req.salt) == ([], [], None, None, "")


def test_prepare_a_stream_to_a_custom_endpoint(preparer):
    req = preparer.prepare("local/llama3.3:70b", [{"role": "user", "content": "hi"}], stream=True, max_tokens=9)
    assert req.url == "http://127.0.0.1:9/v1/chat/completions"
    assert req.headers == {"Authorization": "Bearer local-key", "Content-Type": "application/json",
                           "X-Team": "research"}
    assert req.body == {"model": "llama3.3:70b", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 9,
                        "stream": True, "stream_options": {"include_usage": True}}
    assert req.payload == orjson.dumps(req.body)
    assert req.stream is True
    assert req.timeout == mm.Timeout(total=5.0, connect=5.0, idle=5.0)  # the provider entry's timeout


def test_the_key_is_only_in_the_headers(preparer):
    req = preparer.prepare("openai/gpt-4.1-mini", "hi")
    assert req.headers["Authorization"] == f"Bearer {SECRET}"
    assert SECRET.encode() not in req.payload
    assert SECRET not in repr(req) and SECRET not in str(req)
    assert repr(req) == "<PreparedRequest openai/gpt-4.1-mini stream=False>"
    assert SECRET not in repr(req.provider)


def test_retries_timeout_and_cache_defaults_and_overrides(providers):
    default = RequestPreparer(providers).prepare("openai/gpt-4.1-mini", "hi")
    assert (default.retries, default.timeout, default.use_cache) == (2, mm.Timeout(), True)
    per_call = RequestPreparer(providers).prepare("openai/gpt-4.1-mini", "hi", retries=0, timeout=3, cache=False)
    assert (per_call.retries, per_call.timeout.total, per_call.use_cache) == (0, 3, False)
    client_wide = RequestPreparer(providers, retries=5, timeout=7.5, cache=False)
    req = client_wide.prepare("openai/gpt-4.1-mini", "hi")
    assert (req.retries, req.timeout.total, req.use_cache) == (5, 7.5, False)
    req = client_wide.prepare("openai/gpt-4.1-mini", "hi", retries=1, timeout=2, cache=True)
    assert (req.retries, req.timeout.total, req.use_cache) == (1, 2, False)  # no cache at all stays no cache
    with pytest.raises(mm.ConfigError, match="retries must be a non-negative int, got -1"):
        RequestPreparer(providers, retries=-1)
    with pytest.raises(mm.ConfigError, match="retries must be a non-negative int, got True"):
        RequestPreparer(providers).prepare("openai/gpt-4.1-mini", "hi", retries=True)


def test_prepare_needs_a_key_and_a_known_provider(providers, monkeypatch):
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    providers["xai"] = build_provider("xai", None)
    prep = RequestPreparer(providers)
    with pytest.raises(mm.ConfigError, match="no API key for provider 'xai': set the environment variable XAI_API_KEY"):
        prep.prepare("xai/grok-4.3", "hi")
    with pytest.raises(mm.ConfigError, match="unknown provider 'mistral'"):
        prep.prepare("mistral/mistral-large", "hi")


# ---------------------------------------------------------------------------------- the cache key
def test_cache_key_is_stable_keyless_and_salted(providers):
    a = RequestPreparer(providers).prepare("openai/gpt-4.1-mini", "hi", temperature=0)
    b = RequestPreparer(providers).prepare("openai/gpt-4.1-mini", "hi", temperature=0)
    assert a.cache_key == b.cache_key and len(a.cache_key) == 64
    other_key = {"openai": build_provider("openai", {"api_key": "a-different-key"})}
    assert RequestPreparer(other_key).prepare("openai/gpt-4.1-mini", "hi", temperature=0).cache_key == a.cache_key
    # what the provider receives changes the key; how we wait for it (retries, timeout) does not
    assert RequestPreparer(providers).prepare("openai/gpt-4.1-mini", "hi", temperature=1).cache_key != a.cache_key
    assert RequestPreparer(providers).prepare("openai/gpt-4.1-mini", "hi", temperature=0, retries=0,
                                              timeout=1).cache_key == a.cache_key
    elsewhere = {"openai": build_provider("openai", {"api_key": SECRET, "base_url": "http://127.0.0.1:1/v1"})}
    assert RequestPreparer(elsewhere).prepare("openai/gpt-4.1-mini", "hi", temperature=0).cache_key != a.cache_key
    salted = RequestPreparer(providers).prepare("openai/gpt-4.1-mini", "hi", temperature=0)
    salted.salt = "repeat-1"
    assert salted.cache_key != a.cache_key
    again = RequestPreparer(providers).prepare("openai/gpt-4.1-mini", "hi", temperature=0)
    again.salt = "repeat-1"
    assert again.cache_key == salted.cache_key
    assert SECRET not in a.cache_key


# ---------------------------------------------------------------------------------- warn once
RENAMED = "openai/gpt-5.4: renamed max_tokens to max_completion_tokens: gpt-5.4 rejects max_tokens"


def test_the_same_param_warning_is_given_once_per_preparer(providers):
    prep = RequestPreparer(providers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = prep.prepare("openai/gpt-5.4", "hi", max_tokens=50)
        prep.prepare("openai/gpt-5.4", "something else", max_tokens=80)
    assert param_warnings(caught) == [RENAMED]
    assert caught[0].filename == __file__  # pointed at the caller's line, not at multimodel's
    assert first.body["max_completion_tokens"] == 50 and "max_tokens" not in first.body
    with warnings.catch_warnings(record=True) as caught:  # a new preparer (a new client) warns again
        warnings.simplefilter("always")
        RequestPreparer(providers).prepare("openai/gpt-5.4", "hi", max_tokens=50)
    assert param_warnings(caught) == [RENAMED]


def test_quiet_is_silent_and_does_not_use_up_the_warning(providers):
    prep = RequestPreparer(providers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet():
            req = prep.prepare("openai/gpt-5.4", "hi", max_tokens=50)
            prep.warn_once("said inside quiet()")
        assert caught == []
        assert req.body["max_completion_tokens"] == 50  # shaped all the same
        prep.prepare("openai/gpt-5.4", "hi", max_tokens=50)
        prep.warn_once("one key", key="k")
        prep.warn_once("another message, same key", key="k")
    assert param_warnings(caught) == [RENAMED, "one key"]


# ---------------------------------------------------------------------------------- on_unsupported
def audio_prompt():
    return ["Transcribe this.", mm.audio(WAV)]


def test_on_unsupported_raise_names_what_would_be_lost(preparer):
    with pytest.raises(UnsupportedInputError) as exc:
        preparer.prepare("anthropic/claude-sonnet-4-6", audio_prompt())
    msg = str(exc.value)
    assert msg.startswith("anthropic/claude-sonnet-4-6 would not receive audio clip (audio/wav, 4.8 kB) "
                          "(Anthropic silently drops it")
    assert "Pass on_unsupported='warn' to send without it" in msg and "'skip' to skip the model" in msg
    assert isinstance(exc.value, mm.ConfigError)
    ((model, losses),) = exc.value.lost
    assert model == "anthropic/claude-sonnet-4-6"
    assert [loss.feature for loss in losses] == ["audio_input"]


def test_on_unsupported_warn_strips_the_part_and_says_so(preparer):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = preparer.prepare("anthropic/claude-sonnet-4-6", audio_prompt(), on_unsupported="warn")
        again = preparer.prepare("anthropic/claude-sonnet-4-6", audio_prompt(), on_unsupported="warn")
    notes = param_warnings(caught)
    assert len(notes) == 1  # warned once for the model and feature
    assert notes[0].startswith("anthropic/claude-sonnet-4-6 would not receive audio clip")
    assert notes[0].endswith("; sent without it (dropped_inputs=['audio_input'])")
    for r in (req, again):
        assert r.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Transcribe this."}]}]
        assert r.dropped == ["audio_input"] and r.skip is None
        assert r.audio_input is False  # the audio was removed: the price table prices what is sent
        assert b"input_audio" not in r.payload


def test_on_unsupported_skip_keeps_the_request_but_marks_it_unsent(preparer):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = preparer.prepare("anthropic/claude-sonnet-4-6", audio_prompt(), on_unsupported="skip")
    assert param_warnings(caught) == []
    assert req.skip is not None
    assert req.skip.startswith("not sent: anthropic/claude-sonnet-4-6 would not receive audio clip (audio/wav")
    assert req.dropped == ["audio_input"]


def test_on_unsupported_send_checks_nothing(preparer):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = preparer.prepare("anthropic/claude-sonnet-4-6", audio_prompt(), on_unsupported="send")
    assert param_warnings(caught) == []
    assert (req.dropped, req.unverified, req.skip) == ([], [], None)
    assert req.audio_input is True
    assert req.body["messages"][0]["content"][1]["type"] == "input_audio"
    assert b'"input_audio"' in req.payload


def test_a_parameter_the_dialect_removes_goes_through_the_same_policy(preparer):
    with pytest.raises(UnsupportedInputError, match=r"openai/gpt-5\.4 would not receive logprobs=True \(dropped "
                                                    r"logprobs: not taken by gpt-5\.4 while it reasons"):
        preparer.prepare("openai/gpt-5.4", "hi", reasoning="high", logprobs=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = preparer.prepare("openai/gpt-5.4", "hi", reasoning="high", logprobs=True, on_unsupported="warn")
    assert req.body == {"model": "gpt-5.4", "messages": [{"role": "user", "content": "hi"}],
                        "reasoning_effort": "high"}
    assert req.dropped == ["logprobs"]
    # one warning, the capability one, carrying the dialect's reason (no second ParamWarning for the same loss)
    assert param_warnings(caught) == [
        "openai/gpt-5.4 would not receive logprobs=True (dropped logprobs: not taken by gpt-5.4 while it reasons "
        "(https://developers.openai.com/api/docs/guides/latest-model)); sent without it (dropped_inputs=['logprobs'])"]
    skipped = preparer.prepare("openai/gpt-5.4", "hi", reasoning="high", logprobs=True, on_unsupported="skip")
    assert skipped.skip.startswith("not sent: openai/gpt-5.4 would not receive logprobs=True")


def test_an_unknown_capability_is_sent_and_listed_as_unverified(preparer):
    prompt = ["What is this?", mm.image(PNG)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = preparer.prepare("local/llava", prompt)
        preparer.prepare("local/llava", prompt)
    assert req.unverified == ["image_data_url"] and req.dropped == [] and req.skip is None
    assert req.body["messages"][0]["content"][1]["type"] == "image_url"
    (note,) = param_warnings(caught)
    assert note.startswith("local/llava: its capability table does not say whether it accepts image input as a "
                           "base64 data: URL")
    assert "providers={'local': {'capabilities': {'image_data_url': 'supported'}}}" in note
    declared = {"local": build_provider("local", {"base_url": "http://127.0.0.1:9/v1", "api_key": "k",
                                                  "capabilities": {"image_data_url": "supported"}})}
    assert RequestPreparer(declared).prepare("local/llava", prompt).unverified == []
