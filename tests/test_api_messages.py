"""Anthropic's Messages API, client side: the translation of a request into a Messages body, the reader of its
events and whole bodies, its errors, its URL and headers, and the Messages rules of Anthropic and DeepSeek.
(tests/test_corpus_messages.py replays the real recordings; these tests pin each rule on its own.)"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import multimodel as mm
from multimodel.apis import get_api
from multimodel.apis.messages import ANSWER_TOKENS, MESSAGES, MessagesAPI
from multimodel.providers.capabilities import UnsupportedInputError
from multimodel.wire.accumulate import MalformedResponse
from multimodel.wire.errors import error_from_http
from multimodel.wire.messages import MessagesAccumulator, messages_usage
from multimodel.wire.usage import normalize_usage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay_server import ReplayServer

KEY = "sk-ant-test-0123456789abcdef"
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                           "required": ["city"]}}}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def client(dialect: str = "anthropic", base_url: str = "http://127.0.0.1:9/v1") -> mm.Client:
    return mm.Client(providers={"p": {"base_url": base_url, "api_key": KEY, "dialect": dialect, "api": "messages"}},
                     cache=False)


def prepare(model: str, prompt: Any, dialect: str = "anthropic", **kwargs: Any) -> tuple[Any, list[str]]:
    """(PreparedRequest, the warnings it raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        req = client(dialect).prepare(f"p/{model}", prompt, **kwargs)
    return req, [str(w.message) for w in caught]


# ---------------------------------------------------------------------------------------------- url, headers
@pytest.mark.parametrize(("base", "url"), [
    ("https://api.anthropic.com/v1", "https://api.anthropic.com/v1/messages"),
    ("https://api.anthropic.com/v1/", "https://api.anthropic.com/v1/messages"),
    ("https://api.deepseek.com/anthropic", "https://api.deepseek.com/anthropic/v1/messages"),
    ("https://openrouter.ai/api", "https://openrouter.ai/api/v1/messages"),
])
def test_url_adds_messages_to_a_v1_base_and_v1_messages_to_any_other(base, url):
    assert MESSAGES.url(base) == url


def test_the_key_travels_in_x_api_key_with_the_version_and_never_in_authorization():
    assert get_api("messages") is MESSAGES and isinstance(MESSAGES, MessagesAPI)
    headers = MESSAGES.headers(KEY)
    assert headers == {"x-api-key": KEY, "anthropic-version": "2023-06-01", "Content-Type": "application/json"}
    req, _ = prepare("claude-sonnet-4-6", "hi")
    assert req.headers["x-api-key"] == KEY and "Authorization" not in req.headers
    assert KEY in req.secrets and KEY not in repr(req)


# ---------------------------------------------------------------------------------------------- the body
def test_system_and_developer_messages_are_hoisted_into_top_level_system_blocks():
    req, _ = prepare("claude-sonnet-4-6", [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello."}, {"role": "developer", "content": "Answer in French."},
        {"role": "user", "content": "bye"}])
    body = req.body
    assert body["system"] == [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Answer in French."}]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1] == {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]}
    assert body["max_tokens"] == ANSWER_TOKENS and "stream" not in body and "stream_options" not in body


def test_images_by_data_url_and_by_http_url_become_image_blocks():
    req, notes = prepare("claude-sonnet-4-6", [{"role": "user", "content": [
        {"type": "text", "text": "Compare"}, mm.image(PNG, detail="high"), mm.image("https://example.org/a.jpg")]}])
    blocks = req.body["messages"][0]["content"]
    assert blocks[0] == {"type": "text", "text": "Compare"}
    assert blocks[1]["type"] == "image" and blocks[1]["source"]["type"] == "base64"
    assert blocks[1]["source"]["media_type"] == "image/png" and blocks[1]["source"]["data"]
    assert blocks[2] == {"type": "image", "source": {"type": "url", "url": "https://example.org/a.jpg"}}
    assert any("detail 'high'" in n for n in notes)


def test_a_pdf_becomes_a_document_block_on_anthropic_and_is_refused_on_deepseeks_endpoint():
    req, _ = prepare("claude-sonnet-4-6", ["Summarize", mm.pdf(PDF, filename="paper.pdf")])
    doc = req.body["messages"][0]["content"][1]
    assert doc["type"] == "document" and doc["title"] == "paper.pdf"
    assert doc["source"]["type"] == "base64" and doc["source"]["media_type"] == "application/pdf"
    with pytest.raises(UnsupportedInputError, match="document"):
        prepare("deepseek-flash", ["Summarize", mm.pdf(PDF)], dialect="deepseek")


def test_audio_is_refused_before_the_body_and_dropped_with_a_warning_when_sent_anyway():
    clip = {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
    with pytest.raises(UnsupportedInputError):
        prepare("claude-sonnet-4-6", [{"role": "user", "content": [{"type": "text", "text": "hi"}, clip]}])
    req, notes = prepare("claude-sonnet-4-6", [{"role": "user", "content": [{"type": "text", "text": "hi"}, clip]}],
                         on_unsupported="send")
    assert req.body["messages"][0]["content"] == [{"type": "text", "text": "hi"}]
    assert any("'input_audio' part" in n for n in notes)


@pytest.mark.parametrize(("choice", "parallel", "want"), [
    ("auto", None, {"type": "auto"}),
    ("none", None, {"type": "none"}),
    ("required", None, {"type": "any"}),
    ({"type": "function", "function": {"name": "get_weather"}}, None, {"type": "tool", "name": "get_weather"}),
    (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
    ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
])
def test_tools_and_tool_choice_take_the_messages_shapes(choice, parallel, want):
    params = {k: v for k, v in (("tool_choice", choice), ("parallel_tool_calls", parallel)) if v is not None}
    req, _ = prepare("claude-sonnet-4-6", "weather?", tools=[WEATHER], **params)
    assert req.body["tools"] == [{"name": "get_weather", "description": "Weather in a city",
                                  "input_schema": WEATHER["function"]["parameters"]}]
    assert req.body["tool_choice"] == want


def test_consecutive_tool_results_go_in_one_user_message_before_the_next_user_text():
    messages = [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "toolu_1", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "toolu_2", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "21C"},
        {"role": "tool", "tool_call_id": "toolu_2", "content": [{"type": "text", "text": "25C"}]},
        {"role": "user", "content": "And which is warmer?"},
    ]
    req, _ = prepare("claude-sonnet-4-6", messages, tools=[WEATHER])
    turns = req.body["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert turns[1]["content"] == [
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}}]
    assert turns[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "21C"},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "25C"}]},
        {"type": "text", "text": "And which is warmer?"}]


def test_arguments_that_are_not_a_json_object_are_a_clear_error():
    bad = [{"role": "user", "content": "x"}, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "[1, 2]"}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "ok"}]
    with pytest.raises(mm.ConfigError, match="not a JSON object"):
        prepare("claude-sonnet-4-6", bad, tools=[WEATHER])


def test_thinking_blocks_go_back_first_and_unchanged_then_text_then_tool_use():
    blocks = [{"type": "thinking", "thinking": "Let me look.", "signature": "sig=="},
              {"type": "redacted_thinking", "data": "opaque=="}]
    messages = [{"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": "Checking.", "thinking_blocks": blocks, "tool_calls": [
                    {"id": "toolu_9", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "toolu_9", "content": "sunny"}]
    req, _ = prepare("claude-sonnet-4-6", messages, tools=[WEATHER], reasoning="low")
    assert req.body["messages"][1]["content"] == [*blocks, {"type": "text", "text": "Checking."},
                                                  {"type": "tool_use", "id": "toolu_9", "name": "get_weather",
                                                   "input": {}}]
    chat = mm.Client(providers={"c": {"base_url": "http://127.0.0.1:9/v1", "api_key": KEY, "dialect": "anthropic"}},
                     cache=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chat_req = chat.prepare("c/claude-sonnet-4-6", messages, tools=[WEATHER])
    assert "thinking_blocks" not in json.dumps(chat_req.body)  # Chat Completions leaves the other API's state out


@pytest.mark.parametrize(("model", "kwargs", "want"), [
    ("claude-sonnet-4-6", {}, ANSWER_TOKENS),
    ("claude-haiku-4-5", {"reasoning": 2048}, 2048 + ANSWER_TOKENS),
    ("claude-opus-4-8", {"reasoning": "max"}, 65536 + ANSWER_TOKENS),
    ("claude-opus-5", {}, 24576 + ANSWER_TOKENS),  # thinks unasked at its default effort (high)
    ("claude-sonnet-4-6", {"reasoning": 60000}, 64000),  # capped at the model's max_output_tokens
    ("claude-sonnet-4-6", {"max_tokens": 500}, 500),
    ("claude-haiku-4-5", {"reasoning": 2048, "max_tokens": 1000}, 3048),  # raised above the budget
])
def test_max_tokens_is_always_sent_by_the_documented_rule(model, kwargs, want):
    req, _ = prepare(model, "hi", **kwargs)
    assert req.body["max_tokens"] == want
    budget = req.body.get("thinking", {}).get("budget_tokens")
    assert budget is None or req.body["max_tokens"] > budget


def test_adaptive_thinking_asks_for_the_text_and_takes_the_effort_in_output_config():
    req, notes = prepare("claude-opus-4-8", "hi", reasoning="low")
    assert req.body["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert req.body["output_config"] == {"effort": "low"}
    assert not any("compatibility layer" in n for n in notes)
    req, _ = prepare("claude-opus-4-8", "hi", reasoning="high")  # its default effort: not repeated
    assert "output_config" not in req.body
    req, _ = prepare("claude-opus-4-8", "hi", reasoning="none")
    assert req.body["thinking"] == {"type": "disabled"}


def test_stop_user_structured_outputs_and_stream_take_their_messages_names():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    req, _ = prepare("claude-sonnet-4-6", "hi", stream=True, stop=["END", "STOP"], user="u-7", temperature=0.3,
                     response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}})
    body = req.body
    assert body["stop_sequences"] == ["END", "STOP"] and body["metadata"] == {"user_id": "u-7"}
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert body["stream"] is True and "stream_options" not in body and body["temperature"] == 0.3
    assert MESSAGES.carries("response_format", body) and not MESSAGES.carries("seed", {"seed": 1})


def test_what_the_api_cannot_carry_is_refused_or_dropped_with_a_warning_naming_it():
    with pytest.raises(UnsupportedInputError, match="seed"):
        prepare("claude-sonnet-4-6", "hi", seed=7)
    req, notes = prepare("claude-sonnet-4-6", "hi", seed=7, logprobs=True, presence_penalty=0.5,
                         response_format={"type": "json_object"}, on_unsupported="send")
    for gone in ("seed", "logprobs", "presence_penalty", "response_format"):
        assert gone not in req.body
    joined = " ".join(notes)
    assert "seed" in joined and "logprobs" in joined and "presence_penalty" in joined and "json_object" in joined


def test_extra_body_fields_anthropic_knows_pass_through():
    req, _ = prepare("claude-sonnet-4-6", "hi", extra_body={"top_k": 5, "cache_control": {"type": "ephemeral"}})
    assert req.body["top_k"] == 5 and req.body["cache_control"] == {"type": "ephemeral"}


def test_the_capability_tables_of_the_messages_api_differ_from_the_compatibility_layers():
    c = mm.Client(cache=False)
    assert c.capabilities("anthropic-messages/claude-sonnet-4-6").status("file_input") == "supported"
    assert c.capabilities("anthropic/claude-sonnet-4-6").status("file_input") == "ignored"
    assert c.capabilities("anthropic-messages/claude-sonnet-4-6").status("structured_outputs") == "supported"
    deepseek = c.capabilities("deepseek-messages/deepseek-flash")
    assert deepseek.status("file_input") == "rejected" and deepseek.status("structured_outputs") == "ignored"
    assert deepseek.status("image_data_url") == "supported"  # a vision model
    assert c.capabilities("deepseek-messages/deepseek-v4-pro").status("image_data_url") == "rejected"
    for name in ("anthropic-messages/claude-sonnet-4-6", "deepseek-messages/deepseek-flash"):
        caps = c.capabilities(name)
        assert all(s.source for s in caps.features.values())
        assert caps.status("seed") == caps.status("logprobs") == "ignored"


# ---------------------------------------------------------------------------------------------- DeepSeek
def test_deepseeks_endpoint_takes_thinking_and_effort_and_says_what_it_ignores():
    req, notes = prepare("deepseek-flash", [
        {"role": "developer", "content": "Be brief."}, {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "ok", "reasoning_content": "I thought.",
         "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"}],
        dialect="deepseek", reasoning="max", tools=[WEATHER], tool_choice="required", parallel_tool_calls=False)
    body = req.body
    assert body["thinking"]["type"] == "enabled" and body["output_config"] == {"effort": "max"}
    assert body["system"] == [{"type": "text", "text": "Be brief."}]
    assert body["messages"][1]["content"][0] == {"type": "thinking", "thinking": "I thought.", "signature": ""}
    assert body["tool_choice"] == {"type": "any"}
    joined = " ".join(notes)
    assert "disable_parallel_tool_use" in joined and "'auto'" in joined
    req, _ = prepare("deepseek-flash", "hi", dialect="deepseek", reasoning="none")
    assert req.body["thinking"] == {"type": "disabled"}


def test_the_built_in_pairs_speak_messages_at_their_documented_urls():
    c = mm.Client(cache=False)
    assert c.providers["anthropic-messages"].api == "messages"
    assert MESSAGES.url(c.providers["anthropic-messages"].base_url) == "https://api.anthropic.com/v1/messages"
    assert MESSAGES.url(c.providers["deepseek-messages"].base_url) == "https://api.deepseek.com/anthropic/v1/messages"


def test_a_generic_endpoint_gets_reasoning_as_a_thinking_budget():
    req, _ = prepare("some-model", "hi", dialect="openai", reasoning="low")
    assert req.body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert "reasoning_effort" not in req.body and req.body["max_tokens"] == 2048 + ANSWER_TOKENS


# ---------------------------------------------------------------------------------------------- the reader
def feed(events: list[dict[str, Any]]) -> MessagesAccumulator:
    acc = MessagesAccumulator()
    for i, event in enumerate(events):
        acc.add_chunk(event, float(i))
        if acc.ended or acc.error:
            break
    acc.finish()
    return acc


def _start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def _stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


STREAM = [
    {"type": "message_start", "message": {"id": "msg_1", "model": "claude-x-1", "content": [], "usage": {
        "input_tokens": 10, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 5, "output_tokens": 1}}},
    {"type": "ping"},
    _start(0, {"type": "thinking", "thinking": "", "signature": ""}),
    _delta(0, {"type": "thinking_delta", "thinking": "Think"}),
    _delta(0, {"type": "thinking_delta", "thinking": "ing."}),
    _delta(0, {"type": "signature_delta", "signature": "SIG"}),
    _stop(0),
    _start(1, {"type": "redacted_thinking", "data": "REDACTED"}),
    _stop(1),
    _start(2, {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}),
    _delta(2, {"type": "input_json_delta", "partial_json": '{"query": "x"}'}),
    _stop(2),
    _start(3, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}),
    _stop(3),
    _start(4, {"type": "text", "text": "", "citations": []}),
    _delta(4, {"type": "citations_delta", "citation": {"type": "web_search_result_location", "url": "u"}}),
    _delta(4, {"type": "text_delta", "text": "Sunny"}),
    _delta(4, {"type": "text_delta", "text": " today."}),
    _stop(4),
    _start(5, {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}),
    _delta(5, {"type": "input_json_delta", "partial_json": '{"ci'}),
    _delta(5, {"type": "input_json_delta", "partial_json": 'ty": "Paris"}'}),
    _stop(5),
    {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {
        "input_tokens": 12, "output_tokens": 40, "output_tokens_details": {"thinking_tokens": 9},
        "server_tool_use": {"web_search_requests": 1}}},
    {"type": "message_stop"},
    {"type": "content_block_delta", "index": 9, "delta": {"type": "text_delta", "text": "after the end"}},
]


def test_a_stream_of_every_event_kind_is_read_into_the_shared_fields():
    acc = feed(STREAM)
    assert acc.ended and acc.error is None
    assert acc.content_text() == "Sunny today." and acc.reasoning_text() == "Thinking."
    calls = acc.tool_calls()
    assert [(c.id, c.name, c.arguments, c.arguments_raw) for c in calls] == [
        ("toolu_1", "get_weather", {"city": "Paris"}, '{"city": "Paris"}')]  # the server tool is not a call
    assert acc.finish_raw == "tool_use" and acc.finish_reason(True) == "tool_calls"
    assert acc.native_state == [{"type": "thinking", "thinking": "Thinking.", "signature": "SIG"},
                                {"type": "redacted_thinking", "data": "REDACTED"}]
    assert MESSAGES.echo_state(None, acc) == {"thinking_blocks": acc.native_state}
    assert acc.response_model == "claude-x-1" and acc.response_id == "msg_1"
    assert acc.first_token_t == 3.0 and acc.first_answer_t == 16.0  # reasoning first, then the answer text
    usage = normalize_usage(acc.usage)  # message_delta's input 12 over message_start's 10; caches from the start
    assert (usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens) == (12 + 100 + 5, 40, 9)
    assert (usage.cached_tokens, usage.cache_write_tokens) == (100, 5)
    assert acc.usage["server_tool_use"] == {"web_search_requests": 1}


def test_withheld_and_redacted_thinking_count_for_time_to_first_token_and_show_nothing():
    acc = feed([_start(0, {"type": "thinking", "thinking": "", "signature": ""}),
                _delta(0, {"type": "signature_delta", "signature": "ONLY-SIG"}), _stop(0),
                _start(1, {"type": "text", "text": ""}), _delta(1, {"type": "text_delta", "text": "Hi"}), _stop(1),
                {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}}])
    assert acc.reasoning_text() is None and acc.first_token_t == 1.0 and acc.first_answer_t == 4.0
    assert acc.native_state == [{"type": "thinking", "thinking": "", "signature": "ONLY-SIG"}]
    acc = feed([_start(0, {"type": "redacted_thinking", "data": "X"}), _stop(0)])
    assert acc.reasoning_text() is None and acc.first_token_t == 0.0 and acc.first_answer_t is None
    assert MESSAGES.echo_state(None, MessagesAccumulator()) is None


def test_a_whole_message_is_read_as_the_stream_would_be():
    acc = MessagesAccumulator()
    acc.add_message({"id": "msg_2", "type": "message", "model": "m", "stop_reason": "max_tokens", "content": [
        {"type": "thinking", "thinking": "Hmm.", "signature": "S"}, {"type": "text", "text": "Partial"},
        {"type": "tool_use", "id": "toolu_2", "name": "f", "input": {"a": [1, 2]}},
        {"type": "server_tool_use", "id": "srvtoolu_2", "name": "web_search", "input": {"q": "x"}}],
        "usage": {"input_tokens": 4, "output_tokens": 8}}, 5.0)
    acc.finish()
    assert acc.content_text() == "Partial" and acc.reasoning_text() == "Hmm."
    assert [(c.name, c.arguments, c.arguments_raw) for c in acc.tool_calls()] == [("f", {"a": [1, 2]}, '{"a":[1,2]}')]
    assert acc.finish_reason(True) == "length" and acc.last_token_t == 5.0
    usage = normalize_usage(acc.usage)
    assert (usage.prompt_tokens, usage.cached_tokens, usage.reasoning_tokens) == (4, None, None)


@pytest.mark.parametrize(("error_type", "kind"), [
    ("overloaded_error", "overloaded"), ("rate_limit_error", "rate_limit"), ("api_error", "server"),
    ("invalid_request_error", "bad_request"), ("authentication_error", "auth"), ("permission_error", "auth"),
    ("not_found_error", "not_found"), ("request_too_large", "bad_request"), ("billing_error", "billing"),
])
def test_an_error_inside_the_stream_is_an_error_of_its_kind(error_type, kind):
    event = {"type": "error", "error": {"type": error_type, "message": "Something went wrong"}}
    acc = feed([STREAM[0], event, {"type": "message_stop"}])
    assert acc.error is not None and acc.error.kind == kind and acc.error.message == "Something went wrong"
    assert not acc.ended and acc.error.provider_code == error_type
    other = MessagesAccumulator()
    other.add_event_error(event)  # an `event: error` line
    assert other.error.kind == kind


@pytest.mark.parametrize(("status", "error_type", "kind"), [
    (400, "invalid_request_error", "bad_request"), (401, "authentication_error", "auth"),
    (403, "permission_error", "auth"), (404, "not_found_error", "not_found"), (413, "request_too_large", "bad_request"),
    (429, "rate_limit_error", "rate_limit"), (500, "api_error", "server"), (529, "overloaded_error", "overloaded"),
])
def test_anthropics_http_error_envelope_maps_to_the_right_kind(status, error_type, kind):
    body = json.dumps({"type": "error", "error": {"type": error_type, "message": f"msg {status}"},
                       "request_id": "req_011x"}).encode()
    err = error_from_http(status, {"retry-after": "7"} if status == 429 else {}, body)
    assert (err.kind, err.status, err.provider_code, err.message) == (kind, status, error_type, f"msg {status}")
    assert err.retry_after_s == (7.0 if status == 429 else None)


@pytest.mark.parametrize("event", [
    _delta(0, "not an object"),
    {"type": "content_block_delta", "index": "0", "delta": {"type": "text_delta", "text": "x"}},
    {"type": "content_block_start", "index": True, "content_block": {"type": "text"}},
    {"type": "content_block_start", "index": 0, "content_block": ["text"]},
    {"type": "message_start", "message": "msg"},
    {"type": 5},
])
def test_an_event_whose_types_leave_its_meaning_unclear_is_malformed(event):
    with pytest.raises(MalformedResponse):
        MessagesAccumulator().add_chunk(event, 0.0)


def test_fields_of_the_wrong_type_are_ignored_where_the_meaning_stays_clear():
    start = {"type": "message_start", "message": {"model": 7, "usage": {"input_tokens": "12", "output_tokens": -1}}}
    acc = feed([start,
                _start(0, {"type": "text", "text": None}), _delta(0, {"type": "text_delta", "text": 42}),
                _delta(0, {"type": "text_delta", "text": "ok"}), {"type": "brand_new_event", "x": 1},
                {"type": "message_delta", "delta": {"stop_reason": 3}, "usage": "lots"}, {"type": "message_stop"}])
    assert acc.content_text() == "ok" and acc.response_model is None and acc.finish_raw is None
    usage = normalize_usage(acc.usage)
    assert usage.prompt_tokens is None and usage.completion_tokens is None
    with pytest.raises(MalformedResponse):
        MessagesAccumulator().add_message({"type": "message", "content": "text"}, 0.0)
    assert messages_usage("nope") is None


# ---------------------------------------------------------------------------------------------- keys
def test_the_key_never_reaches_a_result_even_when_the_endpoint_echoes_it():
    echo = {"type": "error", "error": {"type": "authentication_error", "message": f"invalid x-api-key {KEY}"}}
    stream = (f'event: message_start\ndata: {{"type":"message_start","message":{{"model":"m","usage":'
              f'{{"input_tokens":1,"output_tokens":1}}}}}}\n\n'
              f'event: content_block_start\ndata: {{"type":"content_block_start","index":0,"content_block":'
              f'{{"type":"text","text":""}}}}\n\n'
              f'event: content_block_delta\ndata: {{"type":"content_block_delta","index":0,"delta":'
              f'{{"type":"text_delta","text":"your key is {KEY}"}}}}\n\n'
              f'event: message_delta\ndata: {{"type":"message_delta","delta":{{"stop_reason":"end_turn"}},'
              f'"usage":{{"output_tokens":5}}}}\n\n'
              f'event: message_stop\ndata: {{"type":"message_stop"}}\n\n')
    recordings = {
        "e401": {"streaming": False, "response": {"status": 401, "headers": {"content-type": "application/json"},
                                                  "body": json.dumps(echo)}},
        "echo": {"streaming": True, "response": {"status": 200, "headers": {"content-type": "text/event-stream"},
                                                 "body": stream}},
    }
    srv = ReplayServer(recordings).start()
    try:
        for file_id, stream_flag in (("e401", False), ("echo", True)):
            c = mm.Client(providers={"p": {"base_url": srv.base_url(file_id), "api_key": KEY, "dialect": "anthropic",
                                           "api": "messages"}}, cache=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = c.complete("p/claude-sonnet-4-6", "hi", stream=stream_flag, retries=0)
            c.close()
            assert srv.received(file_id)[-1].headers["x-api-key"] == KEY
            dumped = r.to_json().decode() + repr(r) + r.to_frame().to_csv()
            assert KEY not in dumped and "[redacted]" in dumped
            assert r.api == "messages"
    finally:
        srv.stop()


def test_a_blank_text_block_before_adaptive_thinking_starts_no_answer_clock():
    """m02 (claude-opus-4-6, adaptive): block 0 is text "\\n\\n", then the thinking, then the answer. Fed one event per
    time step as the exchange stamps them, the blank block is no token at all: the first token is the first thinking
    delta, and the first answer token the first real text after it."""
    from multimodel.wire.sse import SSEDecoder

    rec = json.loads((Path(__file__).parent / "corpus_native" /
                      "m02_anthropic_opus46_stream_adaptive_thinking_text_before_thinking.json").read_text())
    acc = MessagesAccumulator()
    kinds = []
    for step, (_, payload) in enumerate(SSEDecoder().feed(rec["response"]["body"].encode())):
        obj = json.loads(payload)
        kinds.append((obj.get("type"), (obj.get("delta") or {}).get("type")))
        acc.add_chunk(obj, float(step))
    acc.finish()
    first_thinking = kinds.index(("content_block_delta", "thinking_delta"))
    text_deltas = [i for i, k in enumerate(kinds) if k == ("content_block_delta", "text_delta")]
    first_text = next(i for i in text_deltas if i > first_thinking)
    assert acc.first_token_t == first_thinking
    assert acc.first_answer_t == first_text > acc.first_token_t
    assert acc.content_text().startswith("\n\n1. **Captain Scoop**")  # the blank lines are kept, in front


def test_one_hour_cache_writes_are_priced_at_their_own_rate_from_the_split_anthropic_reports():
    """usage.cache_creation splits the writes by retention (5 minutes at 1.25x input, 1 hour at 2x): priced as
    reported, even for a request that marked both retentions (whose split the request alone cannot tell)."""
    from multimodel import pricing
    from multimodel.config import build_provider

    native = {"input_tokens": 10, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 3000,
              "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
              "output_tokens": 100}
    usage = normalize_usage(messages_usage(native))
    assert (usage.prompt_tokens, usage.cache_write_tokens, usage.cache_write_long_tokens) == (3010, 3000, 2000)
    price = pricing.price_for(build_provider("anthropic-messages", None), "claude-sonnet-4-5")
    both = {"system": [{"type": "text", "text": "a", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
                       {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}}]}
    cost = pricing.request_cost(price, prompt_tokens=3010, completion_tokens=100, cached_tokens=0,
                                cache_write_tokens=3000, cache_write_long_tokens=2000, body=both)
    assert cost == pytest.approx((10 * 3.0 + 1000 * 3.75 + 2000 * 6.0 + 100 * 15.0) / 1e6, rel=1e-12)
    unsplit = pricing.request_cost(price, prompt_tokens=3010, completion_tokens=100, cached_tokens=0,
                                   cache_write_tokens=3000, body=both)
    assert unsplit != unsplit  # NaN: without the provider's split, a request marking both cannot be priced


def test_a_forced_tool_while_claude_thinks_is_refused_before_sending():
    """Anthropic: 'Thinking may not be enabled when tool_choice forces tool use.' (extended-thinking docs): the
    client says so, with both ways out, instead of sending a request that can only come back as a 400."""
    client = mm.Client.simulated()
    with pytest.raises(mm.ConfigError, match=r"tool_choice='auto'.*reasoning='none'"):
        client.prepare("anthropic-messages/claude-sonnet-4-6", "weather?", tools=[{"type": "function", "function": {
            "name": "w", "parameters": {"type": "object", "properties": {}}}}], tool_choice="required",
            reasoning="high")
    ok = client.prepare("anthropic-messages/claude-sonnet-4-6", "weather?", tools=[{"type": "function", "function": {
        "name": "w", "parameters": {"type": "object", "properties": {}}}}], tool_choice="required")
    assert ok.body["tool_choice"] == {"type": "any"}
