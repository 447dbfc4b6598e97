"""Unit tests of the Responses API client: the translation of a Chat Completions request into a Responses body
(input items, reasoning settings, store/include, tools, calls and their outputs, reasoning item echo, warnings),
the reader of its events and bodies (every event kind, usage, errors, hostile types), and keys never in a Result."""

from __future__ import annotations

import warnings
from typing import Any

import orjson
import pytest

import multimodel as mm
from multimodel.apis import get_api
from multimodel.apis.responses import RESPONSES, input_items, to_responses
from multimodel.providers import get_dialect
from multimodel.wire.accumulate import MalformedResponse
from multimodel.wire.responses import ResponsesAccumulator

KEY = "sk-test-responses-0123456789abcdef"


def prepare(model: str, messages: Any = "hi", provider: str = "openai", **kw: Any) -> Any:
    return prepare_noted(model, messages, provider, **kw)[0]


def prepare_noted(model: str, messages: Any = "hi", provider: str = "openai", **kw: Any) -> tuple[Any, list[str]]:
    """The prepared request, and the warnings preparing it gave."""
    client = mm.Client(providers={provider: {"api": "responses", "api_key": KEY}}, cache=False)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            req = client.prepare(f"{provider}/{model}", messages, **kw)
        return req, [str(w.message) for w in caught]
    finally:
        client.close()


# ---------------------------------------------------------------------------- the request
def test_registered_and_addressed():
    assert get_api("responses") is RESPONSES
    assert RESPONSES.url("https://api.openai.com/v1") == "https://api.openai.com/v1/responses"
    assert RESPONSES.headers("k")["Authorization"] == "Bearer k"
    req = prepare("gpt-5-mini")
    assert req.url == "https://api.openai.com/v1/responses" and req.api.name == "responses"


def test_reasoning_effort_asks_for_summary_and_encrypted_content_without_storage():
    body = prepare("gpt-5-mini", reasoning="high", stream=True).body
    assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    assert body["store"] is False and body["include"] == ["reasoning.encrypted_content"]
    assert body["stream"] is True and "stream_options" not in body and "messages" not in body
    assert "reasoning_effort" not in body


def test_a_model_that_never_reasons_gets_no_reasoning_settings():
    body = prepare("gpt-4o-mini").body
    assert "reasoning" not in body and "include" not in body and body["store"] is False


def test_input_items_keep_roles_parts_calls_and_outputs_in_order():
    pdf = {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}}
    image = {"type": "image_url", "image_url": {"url": "https://x.test/a.png", "detail": "low"}}
    reasoning_item = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAA"}
    messages = [
        {"role": "developer", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "look"}, image, pdf]},
        {"role": "assistant", "content": "calling", "reasoning_items": [reasoning_item],
         "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "42"}]},
        {"role": "system", "content": "late system note"},
    ]
    items = input_items(messages, lambda m: None)
    assert items == [
        {"role": "developer", "content": "be brief"},
        {"role": "user", "content": [{"type": "input_text", "text": "look"},
                                     {"type": "input_image", "image_url": "https://x.test/a.png", "detail": "low"},
                                     {"type": "input_file", "file_data": "data:application/pdf;base64,JVBERi0=",
                                      "filename": "a.pdf"}]},
        reasoning_item,
        {"role": "assistant", "content": [{"type": "output_text", "text": "calling"}]},
        {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{\"a\":1}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "42"},
        {"role": "system", "content": "late system note"},
    ]


def test_audio_part_is_dropped_with_a_note():
    notes: list[str] = []
    items = input_items([{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AA",
                                                                                              "format": "wav"}}]}],
                        notes.append)
    assert items == [{"role": "user", "content": []}] and "input_audio" in notes[0]


def test_tools_tool_choice_limits_and_format_are_renamed():
    schema = {"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}, "strict": True}}
    tools = [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"},
                                               "strict": True}}]
    body = prepare("gpt-4.1", tools=tools, tool_choice={"type": "function", "function": {"name": "f"}},
                   max_tokens=50, response_format=schema, temperature=0.2).body
    assert body["tools"] == [{"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"},
                              "strict": True}]
    assert body["tool_choice"] == {"type": "function", "name": "f"}
    assert body["max_output_tokens"] == 50 and "max_tokens" not in body
    assert body["text"] == {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"},
                                       "strict": True}}
    assert body["temperature"] == 0.2
    assert RESPONSES.carries("response_format", body) and not RESPONSES.carries("seed", body)


def test_parameters_the_api_lacks_are_removed_with_a_warning():
    body = prepare("gpt-4.1", stop=["x"], seed=3, n=1, on_unsupported="warn").body
    for key in ("stop", "seed", "n"):
        assert key not in body
    notes = " ".join(prepare_noted("gpt-4.1", stop=["x"], seed=3, on_unsupported="warn")[1])
    assert "stop" in notes and "seed" in notes


def test_logprobs_become_an_include_entry():
    body = prepare("gpt-4.1", logprobs=True, top_logprobs=3).body
    assert body["include"] == ["message.output_text.logprobs"] and body["top_logprobs"] == 3
    assert RESPONSES.carries("logprobs", body) and RESPONSES.carries("top_logprobs", body)


def test_xai_takes_logprobs_as_a_flag_and_no_summary_setting():
    body = prepare("grok-4.20-0309-non-reasoning", provider="xai", logprobs=True, top_logprobs=20,
                   on_unsupported="warn").body
    assert body["logprobs"] is True and body["top_logprobs"] == 8 and "include" not in body
    assert RESPONSES.carries("logprobs", body)
    body = prepare("grok-4.3", provider="xai", reasoning="high").body
    assert "summary" not in body.get("reasoning", {})


def test_openrouter_reasoning_object_and_deepseek_thinking_switch():
    chat = {"model": "m", "messages": [], "reasoning": {"max_tokens": 2000}}
    assert to_responses(chat, True, print)["reasoning"] == {"max_tokens": 2000, "summary": "auto"}
    chat = {"model": "m", "messages": [], "thinking": {"type": "disabled"}}
    body = to_responses(chat, False, print)
    assert body["reasoning"] == {"effort": "none"} and "thinking" not in body and "include" not in body
    ds = get_dialect("deepseek").build_body("deepseek-v4-flash", [{"role": "user", "content": "hi"}], stream=False,
                                            reasoning="high", tools=None, params={}, options={}, warn=print)
    assert to_responses(ds, True, print)["reasoning"] == {"effort": "high", "summary": "auto"}


def test_store_true_is_overridden_and_extra_keys_pass_through():
    notes: list[str] = []
    body = to_responses({"model": "m", "messages": [], "store": True, "provider": {"only": ["x"]}}, False,
                        notes.append)
    assert body["store"] is False and body["provider"] == {"only": ["x"]} and "store=false" in notes[0]


def test_capability_tables_of_the_responses_api():
    client = mm.Client(providers={"openai": {"api_key": KEY}}, cache=False)
    responses = mm.Client(providers={"openai": {"api_key": KEY, "api": "responses"}}, cache=False)
    try:
        resp, chat = responses.capabilities("openai/gpt-5"), client.capabilities("openai/gpt-5")
        assert resp.features["seed"].status == "rejected" and chat.features["seed"].status == "supported"
        assert resp.features["n_gt_1"].status == "rejected"
        assert resp.features["file_input"].status == "supported"
        assert responses.capabilities("openai/gpt-audio").features["audio_input"].status == "rejected"
        assert client.capabilities("openai/gpt-audio").features["audio_input"].status == "supported"
    finally:
        client.close()
        responses.close()


def test_the_key_is_only_in_the_authorization_header():
    req = prepare("gpt-5-mini", reasoning="low")
    assert KEY not in orjson.dumps(req.body).decode() and req.headers["Authorization"] == f"Bearer {KEY}"


# ---------------------------------------------------------------------------- the reader
def feed(events: list[dict[str, Any]]) -> ResponsesAccumulator:
    acc = ResponsesAccumulator()
    for n, event in enumerate(events):
        acc.add_chunk(event, float(n))
    acc.finish()
    return acc


def _final(status: str = "completed", output: list | None = None, **extra: Any) -> dict[str, Any]:
    usage = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4}, "output_tokens": 7,
             "output_tokens_details": {"reasoning_tokens": 3}, "total_tokens": 17, "cost": 0.5}
    return {"type": f"response.{status}", "response": {"id": "resp_1", "model": "m-1", "status": status,
                                                         "usage": usage, "output": output or [], **extra}}


def test_every_event_kind_fills_the_result():
    acc = feed([
        {"type": "response.created", "response": {"id": "resp_1", "model": "m-0", "status": "in_progress"}},
        {"type": "response.in_progress", "response": {"id": "resp_1", "model": "m-0"}},
        {"type": "response.output_item.added", "output_index": 0, "item": {"id": "rs_1", "type": "reasoning",
                                                                            "summary": []}},
        {"type": "response.reasoning_summary_part.added", "item_id": "rs_1", "summary_index": 0},
        {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "summary_index": 0, "delta": "one"},
        {"type": "response.reasoning_summary_text.done", "item_id": "rs_1", "summary_index": 0, "text": "one"},
        {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "summary_index": 1, "delta": "two"},
        {"type": "response.output_item.done", "output_index": 0,
         "item": {"id": "rs_1", "type": "reasoning", "encrypted_content": "FINAL",
                  "summary": [{"type": "summary_text", "text": "one"}, {"type": "summary_text", "text": "two"}]}},
        {"type": "response.output_item.added", "output_index": 1, "item": {"id": "msg_1", "type": "message"}},
        {"type": "response.content_part.added", "item_id": "msg_1", "content_index": 0},
        {"type": "response.output_text.delta", "item_id": "msg_1", "content_index": 0, "delta": "Hel",
         "logprobs": [{"token": "Hel", "logprob": -0.1, "top_logprobs": []}]},
        {"type": "response.output_text.delta", "item_id": "msg_1", "content_index": 0, "delta": "lo"},
        {"type": "response.output_text.done", "item_id": "msg_1", "content_index": 0, "text": "Hello"},
        {"type": "response.output_item.added", "output_index": 2,
         "item": {"id": "fc_1", "type": "function_call", "call_id": "call_9", "name": "f", "arguments": ""}},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "{\"a\""},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": ":1}"},
        {"type": "response.function_call_arguments.done", "item_id": "fc_1", "arguments": "{\"a\":1}"},
        _final(),
    ])
    assert acc.ended and acc.content_text() == "Hello" and acc.reasoning_text() == "one\n\ntwo"
    assert [(c.id, c.name, c.arguments) for c in acc.tool_calls()] == [("call_9", "f", {"a": 1})]
    assert acc.finish_raw == "completed" and acc.finish_reason(True) == "tool_calls"
    assert acc.response_model == "m-1" and acc.logprobs == [{"token": "Hel", "logprob": -0.1, "top_logprobs": []}]
    assert acc.usage["prompt_tokens"] == 10 and acc.usage["completion_tokens"] == 7 and acc.usage["cost"] == 0.5
    assert acc.usage["prompt_tokens_details"] == {"cached_tokens": 4}
    assert acc.usage["completion_tokens_details"] == {"reasoning_tokens": 3}
    assert acc.first_token_t == 4.0 and acc.first_answer_t == 10.0
    state = RESPONSES.echo_state(get_dialect("openai"), acc)
    assert state == {"reasoning_items": [{"id": "rs_1", "type": "reasoning", "encrypted_content": "FINAL",
                                          "summary": [{"type": "summary_text", "text": "one"},
                                                      {"type": "summary_text", "text": "two"}]}]}


def test_raw_reasoning_text_and_interleaved_items():
    acc = feed([
        {"type": "response.output_item.added", "output_index": 0, "item": {"id": "rs", "type": "reasoning"}},
        {"type": "response.reasoning_text.delta", "item_id": "rs", "content_index": 0, "delta": "think"},
        {"type": "response.output_item.added", "output_index": 1, "item": {"id": "m", "type": "message"}},
        {"type": "response.output_text.delta", "item_id": "m", "content_index": 0, "delta": "4"},
        {"type": "response.output_item.done", "output_index": 1, "item": {"id": "m", "type": "message", "content": [
            {"type": "output_text", "text": "4"}]}},
        {"type": "response.reasoning_text.delta", "item_id": "rs", "content_index": 0, "delta": "ing"},
        {"type": "response.reasoning_text.done", "item_id": "rs", "content_index": 0, "text": "thinking"},
        _final(),
    ])
    assert acc.reasoning_text() == "thinking" and acc.content_text() == "4"


def test_encrypted_only_reasoning_is_hidden_but_timed_and_echoed_final():
    acc = feed([
        {"type": "response.output_item.added", "output_index": 0,
         "item": {"id": "rs", "type": "reasoning", "encrypted_content": "ADDED"}},
        {"type": "response.output_item.done", "output_index": 0,
         "item": {"id": "rs", "type": "reasoning", "encrypted_content": "DONE", "summary": []}},
        {"type": "response.completed", "response": {"status": "completed", "output": []}},
    ])
    assert acc.reasoning_text() is None and acc.first_token_t == 1.0 and acc.first_answer_t is None
    assert acc.reasoning_items() == [{"id": "rs", "type": "reasoning", "encrypted_content": "DONE", "summary": []}]


def test_an_empty_reasoning_item_is_not_echoed():
    acc = feed([{"type": "response.output_item.done", "output_index": 0,
                 "item": {"id": "rs", "type": "reasoning", "summary": []}}, _final()])
    assert acc.reasoning_items() == [] and RESPONSES.echo_state(get_dialect("openai"), acc) is None


def test_incomplete_and_failed_responses():
    acc = feed([_final("incomplete", incomplete_details={"reason": "max_output_tokens"})])
    assert acc.finish_raw == "max_output_tokens" and acc.finish_reason(False) == "length"
    acc = feed([_final("incomplete", incomplete_details={"reason": "content_filter"})])
    assert acc.finish_reason(False) == "content_filter"
    acc = feed([_final("failed", error={"code": "server_error", "message": "boom"})])
    assert acc.ended and acc.error is not None and "boom" in acc.error.message
    assert acc.finish_reason(False) == "error"
    acc = feed([_final("failed")])
    assert acc.error is not None and acc.error.kind == "stream"


def test_error_event_shapes():
    acc = feed([{"type": "error", "error": {"type": "insufficient_quota", "code": "insufficient_quota",
                                             "message": "quota"}}])
    assert acc.error.provider_code == "insufficient_quota" and acc.error.kind == "billing"
    acc = ResponsesAccumulator()
    acc.add_event_error({"type": "error", "code": "rate_limit_exceeded", "message": "slow down"})
    assert acc.error.kind == "rate_limit" and "slow down" in acc.error.message


def test_whole_body():
    acc = ResponsesAccumulator()
    acc.add_message({"id": "r", "model": "m", "status": "completed", "output": [
        {"type": "reasoning", "id": "rs", "summary": [{"type": "summary_text", "text": "a"},
                                                      {"type": "summary_text", "text": "b"}]},
        {"type": "message", "content": [{"type": "output_text", "text": "hi",
                                         "logprobs": [{"token": "hi", "logprob": 0.0}]}]},
        {"type": "function_call", "id": "fc", "call_id": "c1", "name": "f", "arguments": "{}"}],
        "usage": {"input_tokens": 1, "output_tokens": 2}}, 5.0)
    acc.finish()
    assert acc.reasoning_text() == "a\n\nb" and acc.content_text() == "hi" and acc.tool_calls()[0].id == "c1"
    assert acc.logprobs == [{"token": "hi", "logprob": 0.0}] and acc.first_answer_t == 5.0
    assert acc.usage == {"prompt_tokens": 1, "completion_tokens": 2}


@pytest.mark.parametrize("body", [{"output": "text"}, {"output": [3]}, {"status": "completed"}])
def test_hostile_bodies_are_malformed(body):
    with pytest.raises(MalformedResponse):
        ResponsesAccumulator().add_message(body, 0.0)


def test_hostile_events_are_ignored_or_malformed():
    acc = feed([{"type": 7}, {"type": "response.output_text.delta", "delta": 5},
                {"type": "response.function_call_arguments.delta", "output_index": "x", "delta": ["a"]},
                {"type": "response.reasoning_summary_text.delta", "item_id": None, "summary_index": "0",
                 "delta": "r"},
                {"type": "response.created", "response": "nope"},
                {"type": "response.completed", "response": {"status": 3, "usage": "many", "output": "no"}}])
    assert acc.content_text() == "" and acc.reasoning_text() == "r" and acc.usage is None and acc.ended
    with pytest.raises(MalformedResponse):
        ResponsesAccumulator().add_chunk({"type": "response.output_item.added", "item": "x"}, 0.0)
    with pytest.raises(MalformedResponse):
        ResponsesAccumulator().add_chunk({"type": "response.completed"}, 0.0)


def test_simulated_transport_error_rows_never_hold_the_key():
    """A failed request through the Responses API (nothing listens on the port) becomes an error row; the key is
    in no field of it."""
    client = mm.Client(providers={"p": {"base_url": "http://127.0.0.1:9/v1", "api_key": KEY, "dialect": "openai",
                                        "api": "responses"}}, cache=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = client.complete("p/gpt-5-mini", "hi", retries=0, timeout=2)
    finally:
        client.close()
    assert r.error is not None and r.api == "responses"
    assert KEY not in r.to_json().decode() and KEY not in repr(r) and KEY not in str(r.to_dict())


def test_a_refusal_is_the_answer_shown_and_finishes_as_content_filter():
    """OpenAI's refusal (a ``refusal`` content part; ``response.refusal.delta``/``.done`` events when streamed,
    platform.openai.com/docs/guides/structured-outputs#refusals, read 2026-11-29) is neither lost nor a 'stop'."""
    words = "I'm sorry, I can't help with that."
    item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "refusal", "refusal": words}]}
    streamed = feed([
        {"type": "response.output_item.added", "output_index": 0, "item": {**item, "content": []}},
        {"type": "response.refusal.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "delta": words[:10]},
        {"type": "response.refusal.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "delta": words[10:]},
        {"type": "response.refusal.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "refusal": words},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        _final(output=[item]),
    ])
    whole = ResponsesAccumulator()
    whole.add_message({"id": "resp_1", "object": "response", "status": "completed", "model": "gpt-5.4",
                       "output": [item], "usage": None}, 1.0)
    whole.finish()
    for acc in (streamed, whole):
        assert acc.content_text() == words
        assert acc.finish_reason(False) == "content_filter"


def test_a_chat_completions_refusal_is_kept_too():
    from multimodel.wire.accumulate import Accumulator

    acc = Accumulator()
    acc.add_chunk({"choices": [{"index": 0, "delta": {"role": "assistant", "content": None, "refusal": "No."}}]}, 1.0)
    acc.add_chunk({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}, 2.0)
    acc.finish()
    assert (acc.content_text(), acc.finish_reason(False), acc.first_answer_t) == ("No.", "content_filter", 1.0)
    whole = Accumulator()
    whole.add_message({"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "refusal": "No."},
                                    "finish_reason": "stop"}]}, 1.0)
    whole.finish()
    assert (whole.content_text(), whole.finish_reason(False)) == ("No.", "content_filter")
