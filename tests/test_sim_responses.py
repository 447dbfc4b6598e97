"""The simulator's Responses API (OpenAI, xAI) over real HTTP: shapes against the real recordings in
tests/corpus_native (event sequences and key sets, not values), visible reasoning summaries, encrypted reasoning
carried to the next turn, the function-call loop, OpenAI's validation errors, limits and faults."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_sim import KEY, chat, user

CORPUS = Path(__file__).parent / "corpus_native"
WEATHER = {"type": "function", "name": "get_weather", "description": "Weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
ASK = "What's the weather in Paris?"
ENC = ["reasoning.encrypted_content"]
_HTTP = httpx.Client(timeout=10.0)

pytestmark = pytest.mark.usefixtures("clean_sim")


def post(sim, dialect: str, body: dict[str, Any], *, key: str | None = KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return _HTTP.post(f"{sim.base_url(dialect, 'responses')}/responses", json=body, headers=headers)


def events(text: str) -> list[tuple[str | None, dict[str, Any]]]:
    """(the ``event:`` line's name or None, the data object) per SSE event; raises on a [DONE] or a bad frame."""
    out: list[tuple[str | None, dict[str, Any]]] = []
    for frame in text.split("\n\n"):
        if not frame.strip():
            continue
        name = None
        data = None
        for line in frame.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                assert line != "data: [DONE]", "a Responses stream from OpenAI/xAI has no [DONE]"
                data = json.loads(line[6:])
        assert data is not None, frame
        out.append((name, data))
    return out


def shape(seq: list[dict[str, Any]]) -> list[str]:
    """Event types with runs of the same delta type collapsed: the sequence's shape, whatever its length."""
    out: list[str] = []
    for e in seq:
        t = e["type"]
        if not (out and out[-1] == t and t.endswith(".delta")):
            out.append(t)
    return out


def recorded(name: str) -> tuple[dict[str, Any], list[dict[str, Any]] | dict[str, Any]]:
    """A recording's request JSON and its response: the list of data objects (stream) or the body."""
    path = next(CORPUS.glob(f"{name}_*.json"))
    rec = json.loads(path.read_text())
    body = rec["response"]["body"]
    if rec["streaming"]:
        return rec["request"].get("json") or {}, [json.loads(line[6:]) for line in body.split("\n")
                                                  if line.startswith("data: {")]
    return rec["request"].get("json") or {}, json.loads(body)


def key_sets(seq: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Keys of each event type (and of its item/part) across a stream."""
    out: dict[str, set[str]] = {}
    for e in seq:
        keys = set(e) - {"obfuscation"}
        for sub in ("item", "part"):
            if isinstance(e.get(sub), dict):
                keys |= {f"{sub}.{k}" for k in e[sub] if k != "encrypted_content"}
        out.setdefault(e["type"] + (":" + e["item"]["type"] if "item" in e else ""), set()).update(keys)
    return out


def stream_of(sim, dialect: str, body: dict[str, Any]) -> tuple[httpx.Response, list[dict[str, Any]]]:
    r = post(sim, dialect, {**body, "stream": True})
    assert r.status_code == 200, r.text
    evs = events(r.text)
    return r, [d for _, d in evs]


def err(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["error"]


# ================================================================ shapes against the recordings
def test_openai_stream_function_call_matches_r02(sim):
    _, real = recorded("r02")
    r, seq = stream_of(sim, "openai", {"model": "gpt-5-mini", "input": [{"role": "user", "content": ASK}],
                                       "tools": [WEATHER]})
    assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert shape(seq) == shape(real)
    assert key_sets(seq) == key_sets(real)
    assert [e["sequence_number"] for e in seq] == list(range(len(seq)))
    for name, data in events(r.text):
        assert name == data["type"]  # "event: <type>" before every data line (r02)
    deltas = [e for e in seq if e["type"].endswith(".delta")]
    assert deltas and all(isinstance(e["obfuscation"], str) and e["obfuscation"] for e in deltas)
    assert re.fullmatch(r"resp_[0-9a-f]{48}", seq[0]["response"]["id"])
    done = seq[-1]["response"]
    call = done["output"][1]
    assert call["type"] == "function_call" and call["call_id"].startswith("call_") and call["id"].startswith("fc_")
    assert json.loads(call["arguments"])["city"]
    assert "".join(e["delta"] for e in deltas) == call["arguments"]
    u = done["usage"]
    assert u["output_tokens_details"]["reasoning_tokens"] > 0 and u["total_tokens"] == u["input_tokens"] + \
        u["output_tokens"]
    assert set(u) == set(real[-1]["response"]["usage"])


def test_openai_nonstream_summary_encrypted_call_matches_r05(sim):
    _, real = recorded("r05")
    assert isinstance(real, dict)
    b = post(sim, "openai", {"model": "gpt-5", "input": [{"role": "user", "content": ASK}], "tools": [WEATHER],
                             "reasoning": {"effort": "low", "summary": "detailed"}, "include": ENC,
                             "instructions": "Use the tools."}).json()
    assert set(real) <= set(b) and set(b) - set(real) <= {"prompt_cache_retention"}
    assert [o["type"] for o in b["output"]] == [o["type"] for o in real["output"]]
    for ours, theirs in zip(b["output"], real["output"], strict=True):
        assert set(ours) == set(theirs)
    assert set(b["usage"]) == set(real["usage"]) and b["status"] == "completed"
    assert b["reasoning"] == {"effort": "low", "summary": "detailed"} and b["instructions"] == "Use the tools."
    summary = b["output"][0]["summary"]
    assert summary and all(p["type"] == "summary_text" and p["text"] for p in summary)
    assert b["output"][0]["encrypted_content"].startswith("gAAAAAB")


def test_openai_stream_summary_then_call_matches_r01(sim):
    _, real = recorded("r01")
    _, seq = stream_of(sim, "openai", {"model": "gpt-5-mini", "input": ASK, "tools": [WEATHER], "store": False,
                                       "include": ENC, "reasoning": {"effort": "high", "summary": "auto"}})
    assert shape(seq) == shape(real)
    added, done = seq[2]["item"], next(e["item"] for e in seq if e["type"] == "response.output_item.done")
    assert added["encrypted_content"] != done["encrypted_content"]  # a new blob at done (r01, r06)
    text = "".join(e["delta"] for e in seq if e["type"] == "response.reasoning_summary_text.delta")
    assert text and done["summary"] == [{"type": "summary_text", "text": text}]
    assert seq[-1]["response"]["output"][0] == done


def test_two_turn_function_call_loop_matches_r03(sim):
    _, real = recorded("r03")
    turn1 = post(sim, "openai", {"model": "gpt-5-mini", "input": ASK, "tools": [WEATHER], "store": False,
                                 "include": ENC}).json()
    items = turn1["output"]
    assert [o["type"] for o in items] == ["reasoning", "function_call"]
    out = {"type": "function_call_output", "call_id": items[1]["call_id"], "output": '{"temp_c": 21}'}
    body = {"model": "gpt-5-mini", "input": [{"role": "user", "content": ASK}, *items, out], "tools": [WEATHER],
            "store": False, "include": ENC}
    _, seq = stream_of(sim, "openai", body)
    assert shape(seq) == shape(real)
    assert key_sets(seq) == key_sets(real)
    msg = seq[-1]["response"]["output"][-1]
    assert msg["type"] == "message" and msg["content"][0]["text"]
    assert post(sim, "openai", body).json()["output"][-1]["type"] == "message"  # and not streamed


def test_encrypted_reasoning_without_summary_matches_r06(sim):
    _, real = recorded("r06")
    _, seq = stream_of(sim, "openai", {"model": "gpt-5", "input": ASK, "tools": [WEATHER], "include": ENC,
                                       "reasoning": {"effort": "low"}, "tool_choice": "required"})
    assert shape(seq) == shape(real)
    assert not any("reasoning_summary" in e["type"] for e in seq)  # no summary asked: no reasoning events
    assert seq[-1]["response"]["output"][0]["summary"] == []


def test_xai_stream_matches_r10(sim):
    _, real = recorded("r10")
    _, seq = stream_of(sim, "xai", {"model": "grok-4.3", "input": "Why is the sky blue?", "store": False,
                                    "include": ENC, "reasoning": {"effort": "high"}})
    assert shape(seq) == shape(real)
    assert key_sets(seq) == key_sets(real)
    rid = seq[0]["response"]["id"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", rid)
    items = [e["item"] for e in seq if e["type"].startswith("response.output_item")]
    assert items[0]["id"] == f"rs_{rid}" and "encrypted_content" not in items[0]  # not at added (r10)
    assert "encrypted_content" in items[1] and items[2]["id"] == f"msg_{rid}"
    assert not any("obfuscation" in e for e in seq)
    assert set(seq[-1]["response"]["usage"]) == set(real[-1]["response"]["usage"])
    assert "usage" not in seq[0]["response"]  # r10: created has no usage key


# ================================================================ reasoning visible, encrypted reasoning verified
def test_reasoning_summary_visible_only_when_asked(sim):
    on = post(sim, "openai", {"model": "gpt-5.4", "input": "Why is the sky blue?",
                              "reasoning": {"effort": "high", "summary": "auto"}}).json()
    assert on["output"][0]["type"] == "reasoning" and on["output"][0]["summary"][0]["text"]
    off = post(sim, "openai", {"model": "gpt-5.4", "input": "Why is the sky blue?",
                               "reasoning": {"effort": "high"}}).json()
    assert off["output"][0]["summary"] == [] and off["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
    none = post(sim, "openai", {"model": "gpt-5.4", "input": "q"}).json()  # gpt-5.4 defaults to effort none
    assert [o["type"] for o in none["output"]] == ["message"]
    plain = post(sim, "openai", {"model": "gpt-4.1-mini", "input": "q"}).json()
    assert plain["reasoning"] == {"effort": None, "summary": None} and len(plain["output"]) == 1


def _turn_two(sim, items: list[dict[str, Any]], **extra: Any) -> httpx.Response:
    call = next(o for o in items if o["type"] == "function_call")
    out = {"type": "function_call_output", "call_id": call["call_id"], "output": "21 C"}
    return post(sim, "openai", {"model": "gpt-5-mini", "input": [{"role": "user", "content": ASK}, *items, out],
                                "tools": [WEATHER], **extra})


def test_encrypted_content_verified_on_the_next_turn(sim):
    items = post(sim, "openai", {"model": "gpt-5-mini", "input": ASK, "tools": [WEATHER], "store": False,
                                 "include": ENC}).json()["output"]
    assert _turn_two(sim, items, store=False).status_code == 200
    rs = items[0]
    blob = rs["encrypted_content"]
    forged = blob[:40] + ("A" if blob[40] != "A" else "B") + blob[41:]
    e = err(_turn_two(sim, [{**rs, "encrypted_content": forged}, items[1]], store=False), 400)
    assert e == {"message": f"The encrypted content for item {rs['id']} could not be verified. Reason: Encrypted "
                            "content could not be decrypted or parsed.", "type": "invalid_request_error",
                 "param": None, "code": "invalid_encrypted_content"}
    no_id = {k: v for k, v in rs.items() if k != "id"}
    e = err(_turn_two(sim, [{**no_id, "encrypted_content": "gAAAAABnotreal"}, items[1]], store=False), 400)
    assert e["message"] == "The encrypted content gAAA...real could not be verified."
    bare = {"id": rs["id"], "type": "reasoning", "summary": []}
    e = err(_turn_two(sim, [bare, items[1]], store=False), 404)
    assert e["message"] == (f"Item with id '{rs['id']}' not found. Items are not persisted when `store` is set to "
                            "false. Try again with `store` set to true, or remove this item from your input.")


def test_stored_reasoning_id_accepted_and_unknown_refused(sim):
    items = post(sim, "openai", {"model": "gpt-5-mini", "input": ASK, "tools": [WEATHER]}).json()["output"]
    assert "encrypted_content" not in items[0]  # not included unless asked
    assert _turn_two(sim, items).status_code == 200  # store on: the id alone is found
    e = err(_turn_two(sim, [{**items[0], "id": "rs_" + "0" * 48}, items[1]]), 404)
    assert e["message"] == f"Item with id 'rs_{'0' * 48}' not found."
    e = err(_turn_two(sim, [{k: v for k, v in items[0].items() if k != "summary"}, items[1]]), 400)
    assert e["message"] == "Missing required parameter: 'input[1].summary'."
    lone = post(sim, "openai", {"model": "gpt-5-mini", "input": [{"role": "user", "content": ASK}, items[0],
                                                                 {"role": "user", "content": "and Rome?"}]})
    assert err(lone, 400) == {"message": f"Item '{items[0]['id']}' of type 'reasoning' was provided without its "
                                         "required following item.", "type": "invalid_request_error",
                              "param": "input", "code": None}


def test_unmatched_function_call_output_refused(sim):
    r = post(sim, "openai", {"model": "gpt-5-mini", "input": [
        {"role": "user", "content": ASK}, {"type": "function_call_output", "call_id": "call_nope", "output": "x"}]})
    assert err(r, 400) == {"message": "No tool call found for function call output with call_id call_nope.",
                           "type": "invalid_request_error", "param": "input", "code": None}


def test_xai_encrypted_reasoning_round_trip(sim):
    body = {"model": "grok-4.3", "input": ASK, "tools": [{**WEATHER}], "store": False, "include": ENC,
            "reasoning": {"effort": "low"}}
    out = post(sim, "xai", body).json()["output"]
    call = next(o for o in out if o["type"] == "function_call")
    assert re.fullmatch(r"call-[0-9a-f]{8}-0", call["call_id"])
    follow = [{"role": "user", "content": ASK}, *out,
              {"type": "function_call_output", "call_id": call["call_id"], "output": "21 C"}]
    assert post(sim, "xai", {**body, "input": follow}).status_code == 200
    dropped = [x for x in follow if x.get("type") != "reasoning"]  # xAI: 200 without them (its docs)
    assert post(sim, "xai", {**body, "input": dropped}).status_code == 200
    forged = [{**x, "encrypted_content": "AAAA"} if x.get("type") == "reasoning" else x for x in follow]
    r = post(sim, "xai", {**body, "input": forged})
    assert r.status_code == 400 and set(r.json()) == {"code", "error"}
    openai_blob = post(sim, "openai", {"model": "gpt-5-mini", "input": "q", "include": ENC, "store": False}).json()
    alien = [{**x, "encrypted_content": openai_blob["output"][0]["encrypted_content"]}
             if x.get("type") == "reasoning" else x for x in follow]
    assert post(sim, "xai", {**body, "input": alien}).status_code == 400  # another provider's blob


# ================================================================ validation errors
@pytest.mark.parametrize("name,value", [("messages", [{"role": "user", "content": "q"}]), ("max_tokens", 50),
                                        ("stop", ["x"]), ("seed", 1), ("n", 1), ("reasoning_effort", "low"),
                                        ("response_format", {"type": "json_object"})])
def test_chat_parameters_are_unknown_here(sim, name, value):
    e = err(post(sim, "openai", {"model": "gpt-4.1-mini", "input": "q", name: value}), 400)
    assert e == {"message": f"Unknown parameter: '{name}'.", "type": "invalid_request_error", "param": name,
                 "code": "unknown_parameter"}


def test_validation_errors_in_openais_words(sim):
    def e(body: dict[str, Any], status: int = 400) -> dict[str, Any]:
        return err(post(sim, "openai", {"model": "gpt-5-mini", "input": "q", **body}), status)

    assert e({"temperature": -1, "model": "gpt-4o"})["message"] == (  # r07 verbatim
        "Invalid 'temperature': decimal below minimum value. Expected a value >= 0, but got -1 instead.")
    assert e({"max_output_tokens": 8}) == {
        "message": "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 8 "
                   "instead.", "type": "invalid_request_error", "param": "max_output_tokens",
        "code": "integer_below_min_value"}
    assert e({"tools": [{"type": "function", "function": {"name": "f"}}]})["message"] == \
        "Missing required parameter: 'tools[0].name'."
    got = e({"model": "gpt-4.1-mini", "reasoning": {"effort": "low"}})
    assert got == {"message": "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
                   "type": "invalid_request_error", "param": "reasoning.effort", "code": "unsupported_parameter"}
    assert e({"model": "gpt-5.4", "reasoning": {"effort": "minimal"}})["message"] == (
        "Unsupported value: 'reasoning.effort' does not support 'minimal' with this model. Supported values are: "
        "'none', 'low', 'medium', 'high', and 'xhigh'.")
    assert e({"reasoning": {"summary": "verbose"}})["param"] == "reasoning.summary"
    assert e({"reasoning": {"max_tokens": 100}})["message"] == "Unknown parameter: 'reasoning.max_tokens'."
    assert e({"temperature": 0.5}) == {"message": "Unsupported parameter: 'temperature' is not supported with this "
                                                  "model.", "type": "invalid_request_error", "param": "temperature",
                                       "code": None}
    bad_part = {"input": [{"role": "assistant", "content": [{"type": "input_text", "text": "hi"}]}]}
    assert e(bad_part)["message"] == "Invalid value: 'input_text'. Supported values are: 'output_text' and 'refusal'."
    assert e({"input": [{"role": "tool", "content": "x"}]})["param"] == "input[0].role"
    assert e({"input": []})["code"] == "empty_array"
    assert e({"input": 5})["code"] == "invalid_type"
    assert e({"previous_response_id": "resp_abc"}, 404)["code"] == "previous_response_not_found"
    assert err(post(sim, "openai", {"input": "q"}), 400)["message"] == "Missing required parameter: 'model'."
    assert e({"model": "gpt-nope"}, 404)["code"] == "model_not_found"


def test_reasoning_with_tools_accepted_here_but_not_on_chat(sim):
    assert chat(sim, "openai", {"model": "gpt-5.4", "messages": user(ASK), "reasoning_effort": "high", "tools": [
        {"type": "function", "function": {k: v for k, v in WEATHER.items() if k != "type"}}]}).status_code == 400
    r = post(sim, "openai", {"model": "gpt-5.4", "input": ASK, "tools": [WEATHER], "reasoning": {"effort": "high"}})
    assert r.status_code == 200 and r.json()["output"][-1]["type"] == "function_call"
    ok = chat(sim, "openai", {"model": "gpt-5-mini", "messages": user("q")}).json()  # chat as before
    assert ok["object"] == "chat.completion" and set(ok["choices"][0]["message"]) == {
        "role", "content", "refusal", "annotations"}


def test_max_output_tokens_makes_it_incomplete(sim):
    b = post(sim, "openai", {"model": "gpt-5-mini", "input": "q", "max_output_tokens": 16}).json()
    assert b["status"] == "incomplete" and b["incomplete_details"] == {"reason": "max_output_tokens"}
    assert b["usage"]["output_tokens"] == 16 and b["max_output_tokens"] == 16
    _, seq = stream_of(sim, "openai", {"model": "gpt-4.1-mini", "input": "q", "max_output_tokens": 16})
    assert seq[-1]["type"] == "response.incomplete" and seq[-1]["response"]["status"] == "incomplete"
    assert seq[-1]["response"]["output"][0]["status"] == "incomplete"


# ================================================================ limits and faults in the Responses shape
def test_auth_rate_limits_and_server_errors(sim):
    assert err(post(sim, "openai", {"model": "gpt-4.1-mini", "input": "q"}, key=None), 401)["type"] == \
        "invalid_request_error"
    sim.set_limits(rpm=1, provider="openai")
    assert post(sim, "openai", {"model": "gpt-4.1-mini", "input": "q"}).status_code == 200
    r = post(sim, "openai", {"model": "gpt-4.1-mini", "input": "q"})
    assert err(r, 429)["code"] == "rate_limit_exceeded"
    assert r.headers["retry-after"] and r.headers["x-ratelimit-limit-requests"] == "1"
    sim.reset()
    sim.set_faults({"server_error": 1.0}, provider="openai")
    r = post(sim, "openai", {"model": "gpt-4.1-mini", "input": "q"})
    assert r.status_code in (500, 502, 503) and r.json()["error"]["type"] == "server_error"
    sim.reset()
    sim.set_faults({"rate_limit": 1.0}, provider="xai")
    r = post(sim, "xai", {"model": "grok-4.3", "input": "q"})
    assert r.status_code == 429 and r.json()["code"] == "resource-exhausted"


def test_stream_error_event_then_response_failed_like_r08(sim):
    _, real = recorded("r08")
    sim.set_faults({"stream_error": 1.0}, provider="openai")
    r = post(sim, "openai", {"model": "gpt-4.1-mini", "input": "q", "stream": True})
    evs = events(r.text)
    seq = [d for _, d in evs]
    assert [n for n, _ in evs[-2:]] == ["error", "response.failed"]
    assert [e["sequence_number"] for e in seq] == list(range(len(seq)))
    assert set(seq[-2]) == set(real[-2]) and set(seq[-2]["error"]) == set(real[-2]["error"])
    failed = seq[-1]["response"]
    assert failed["status"] == "failed" and failed["usage"] is None and set(failed["error"]) == {"code", "message"}
    assert set(failed) == set(real[-1]["response"])
    assert sim.requests()[-1]["api"] == "responses"
