"""Conformance suite for the Messages API: every real Anthropic Messages recording (m01-m20 in tests/corpus_native/)
through the real client over loopback, compared field by field with tests/corpus_messages_expectations.py.

Each recording is replayed by tests/replay_server.py with its recorded status, headers and body; the client speaks
the Messages API to it (provider entry ``dialect="anthropic", api="messages"``). Where the recording holds its
request, the conversation the client sends is rebuilt from it (a turn-2 recording's assistant turn is the
client's own ``as_message()`` of the turn-1 recording, replayed first), and the request the client sent is compared
with the recorded one in its essential shape: turns and their blocks (thinking with signature before tool_use,
tool_result blocks in one user message), tools, thinking, stop sequences. All mismatches of one file are
reported together.
"""

from __future__ import annotations

import copy
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from corpus_messages_expectations import EXPECTATIONS, Block, MExpect  # noqa: E402
from replay_server import NATIVE_DIR, ReplayServer, load_recordings  # noqa: E402
from test_corpus import _error_problems, _short, _text_problems, _tool_call_problems  # noqa: E402

import multimodel as mm  # noqa: E402

RECORDINGS = {k: v for k, v in load_recordings(NATIVE_DIR).items() if k.startswith("m")}
NAME = "rec"


@pytest.fixture(scope="module")
def server():
    srv = ReplayServer(RECORDINGS).start()
    yield srv
    srv.stop()


def test_every_messages_recording_has_one_expectation():
    assert len(RECORDINGS) == 20, f"expected m01-m20 in {NATIVE_DIR}, found {sorted(RECORDINGS)}"
    assert sorted(RECORDINGS) == sorted(EXPECTATIONS)
    for file_id, exp in EXPECTATIONS.items():
        assert exp.why.strip(), file_id
        assert exp.turn_one is None or exp.turn_one in RECORDINGS, file_id


# ---------------------------------------------------------------------------------------------- replaying
def _client(server: ReplayServer, file_id: str) -> mm.Client:
    return mm.Client(providers={NAME: {"base_url": server.base_url(file_id), "api_key": "k", "dialect": "anthropic",
                                       "api": "messages"}}, cache=False)


def _retired(model: str) -> dict[str, Any]:
    """A model retired since the recording is sent as given (the client would refuse it today)."""
    from multimodel import catalogue

    match = catalogue.find("anthropic", model)
    return {"on_unsupported": "send"} if match is not None and match.info.status == "retired" else {}


def _chat_turns(recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A recorded request's text-only turns as Chat Completions messages."""
    out = []
    for m in recorded:
        content = m["content"]
        if isinstance(content, list):
            content = "".join(b["text"] for b in content if b.get("type") == "text")
        out.append({"role": m["role"], "content": content})
    return out


def replay(server: ReplayServer, file_id: str) -> tuple[Any, list[dict[str, Any]]]:
    """(Result, the messages sent): turn 1 first when the recording is a turn 2."""
    rec, exp = RECORDINGS[file_id], EXPECTATIONS[file_id]
    if exp.turn_one is not None:
        first, sent = replay(server, exp.turn_one)
        messages = [*sent, first.as_message()]
        messages += [{"role": "tool", "tool_call_id": call.id, "content": text}
                     for call, text in zip(first.tool_calls, exp.tool_results, strict=True)]
    else:
        recorded = (rec["request"].get("json") or {}).get("messages")
        messages = _chat_turns(recorded) if recorded else [{"role": "user", "content": "hello"}]
    client = _client(server, file_id)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = client.complete(f"{NAME}/{rec['model']}", copy.deepcopy(messages), stream=rec["streaming"],
                                     retries=0, **exp.call, **_retired(rec["model"]))
    finally:
        client.close()
    return result, messages


# ---------------------------------------------------------------------------------------------- checks
def _block_problems(got: Any, want: list[Block]) -> list[str]:
    blocks = (got or {}).get("thinking_blocks", [])
    if len(blocks) != len(want):
        return [f"provider_state.thinking_blocks: expected {len(want)} block(s), got {_short(blocks)}"]
    probs = []
    for i, (g, w) in enumerate(zip(blocks, want, strict=True)):
        where = f"thinking_blocks[{i}]"
        if g.get("type") != w.type:
            probs.append(f"{where}.type: expected {w.type!r}, got {g.get('type')!r}")
        if w.type == "thinking":
            probs += _text_problems(f"{where}.thinking", g.get("thinking"), w.text)
            probs += _text_problems(f"{where}.signature", g.get("signature"), w.signature)
        else:
            probs += _text_problems(f"{where}.data", g.get("data"), w.text)
    return probs


def _timing_problems(r: Any, rec: dict[str, Any], exp: MExpect) -> list[str]:
    t, a, e = r.ttft_s, r.ttfat_s, r.e2e_s
    desc = f"ttft_s={t!r} ttfat_s={a!r} e2e_s={e!r}"
    if rec["response"]["status"] != 200:
        return [] if a is None else [f"timing: an HTTP error has no answer time, got {desc}"]
    if not rec["streaming"]:
        return [] if t is None and a is None and e is not None else [f"timing: a whole body needs e2e only, {desc}"]
    answered = exp.content != "" or bool(exp.tool_calls)
    if t is None or e is None or not 0 <= t <= e or (answered and (a is None or not t <= a <= e)):
        return [f"timing: a stream needs 0 <= ttft_s <= ttfat_s <= e2e_s, got {desc}"]
    return []


def check_result(r: Any, exp: MExpect, rec: dict[str, Any]) -> list[str]:
    probs: list[str] = []
    for field in ("response_model", "finish_reason", "native_finish_reason", "prompt_tokens", "completion_tokens",
                  "reasoning_tokens", "cached_tokens", "cache_write_tokens"):
        got, want = getattr(r, field), getattr(exp, field)
        if got != want:
            probs.append(f"{field}: expected {want!r}, got {_short(got)}")
    if r.api != "messages":
        probs.append(f"api: expected 'messages', got {r.api!r}")
    probs += _text_problems("content", r.content, exp.content)
    probs += _text_problems("reasoning", r.reasoning, exp.reasoning)
    probs += _tool_call_problems(r.tool_calls, exp.tool_calls)
    probs += _error_problems(r.error, exp)
    probs += _block_problems(r.provider_state, exp.thinking_blocks)
    probs += _timing_problems(r, rec, exp)
    if not r.raw:
        probs.append("raw: expected the provider's own JSON/SSE")
    return probs


def _essential(messages: list[dict[str, Any]]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The turns as (role, blocks), each block by what the provider reads: whitespace-only text is left out."""
    out = []
    for m in messages:
        content = m["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        kept: list[tuple[Any, ...]] = []
        for b in blocks:
            kind = b.get("type")
            if kind == "text":
                kept += [("text", b["text"])] if b["text"].strip() else []
            elif kind == "thinking":
                kept.append(("thinking", b["thinking"], b["signature"]))
            elif kind == "redacted_thinking":
                kept.append(("redacted_thinking", b["data"]))
            elif kind == "tool_use":
                kept.append(("tool_use", b["id"], b["name"], b["input"]))
            elif kind == "tool_result":
                kept.append(("tool_result", b["tool_use_id"], b.get("content")))
            else:
                kept.append((kind,))
        out.append((m["role"], kept))
    return out


def request_problems(sent: Any, rec: dict[str, Any], exp: MExpect) -> list[str]:
    """The request the client sent against the recorded one, in its essential shape."""
    probs = []
    if sent.method != "POST" or not sent.path.endswith("/v1/messages"):
        probs.append(f"request: expected POST .../v1/messages, got {sent.method} {sent.path}")
    headers = {k.lower(): v for k, v in sent.headers.items()}
    auth = (headers.get("x-api-key"), headers.get("anthropic-version"), headers.get("authorization"))
    if auth != ("k", "2023-06-01", None):
        probs.append(f"request headers: expected x-api-key and anthropic-version, no Authorization; got {headers}")
    body, recorded = sent.json, (rec["request"] or {}).get("json")
    if not isinstance(body, dict) or not isinstance(body.get("max_tokens"), int):
        return [*probs, f"request: a JSON body with an int max_tokens, got {sent.body[:200]!r}"]
    if bool(body.get("stream")) != rec["streaming"]:
        probs.append(f"request.stream: expected {rec['streaming']}, got {body.get('stream')!r}")
    if not recorded:
        return probs
    if _essential(body["messages"]) != _essential(recorded["messages"]):
        probs.append(f"request.messages: expected {_short(_essential(recorded['messages']), 600)}, "
                     f"got {_short(_essential(body['messages']), 600)}")
    want_tools = [(t.get("name"), t.get("input_schema")) for t in recorded.get("tools", [])]
    got_tools = [(t.get("name"), t.get("input_schema")) for t in body.get("tools", [])]
    if "tools" not in exp.request_skips and got_tools != want_tools:
        probs.append(f"request.tools: expected {want_tools!r}, got {_short(body.get('tools'))}")
    for key in ("thinking", "stop_sequences", "tool_choice", "temperature", "max_tokens"):
        if key in exp.request_skips or (key in ("temperature", "max_tokens") and key not in exp.call):
            continue
        want, got = recorded.get(key), body.get(key)
        if key == "thinking" and isinstance(want, dict):
            want = {k: v for k, v in want.items() if k != "display"}
        if want != got:
            probs.append(f"request.{key}: expected {want!r}, got {got!r}")
    return probs


@pytest.mark.parametrize("file_id", sorted(EXPECTATIONS))
def test_messages_recording(file_id: str, server: ReplayServer) -> None:
    rec, exp = RECORDINGS[file_id], EXPECTATIONS[file_id]
    server.clear(file_id)
    result, _ = replay(server, file_id)
    problems = check_result(result, exp, rec)
    received = server.received(file_id)
    if len(received) != 1:
        problems.append(f"request: expected exactly 1 request with retries=0, got {len(received)}")
    else:
        problems += request_problems(received[0], rec, exp)
    assert not problems, f"{file_id} ({exp.why})\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("file_id", [f for f, e in sorted(EXPECTATIONS.items()) if e.turn_one])
def test_turn_two_sends_turn_ones_answer_back_as_recorded(file_id: str, server: ReplayServer) -> None:
    """The recorded turn-2 request's assistant turn is exactly what turn 1's answer echoes: thinking (text and
    signature) first, then text, then tool_use with the same ids and inputs; the tool results follow in one user
    message, in call order."""
    rec = RECORDINGS[file_id]
    server.clear(file_id)
    replay(server, file_id)
    sent = server.received(file_id)[-1].json["messages"]
    recorded = rec["request"]["json"]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"] == [m["role"] for m in recorded]
    assert _essential(sent)[1:] == _essential(recorded)[1:]
    results = [b for b in sent[2]["content"] if b["type"] == "tool_result"]
    assert results and results == sent[2]["content"]  # nothing but the results, one block per call
    thinking = [b for b in sent[1]["content"] if b["type"] == "thinking"]
    if thinking:  # m08, m10: the signed block leads the assistant turn, byte for byte as recorded
        assert sent[1]["content"][0] == {k: recorded[1]["content"][0][k] for k in ("type", "thinking", "signature")}


def test_cache_writes_and_reads_are_priced_at_their_own_rates(server):
    """m14 (input 3, cache read 1,111, cache write 418, output 33 on claude-sonnet-4-5) through the built-in
    anthropic-messages entry: cost = 3 x $3 + 1,111 x $0.30 + 418 x $3.75 (5-minute writes, 1.25 x input) + 33 x $15
    per million tokens (platform.claude.com pricing; prompt-caching#pricing)."""
    file_id = "m14_anthropic_sonnet45_cache_read_and_creation_usage"
    client = mm.Client(providers={"anthropic-messages": {"base_url": server.base_url(file_id), "api_key": "k"}},
                       cache=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = client.complete("anthropic-messages/claude-sonnet-4-5", "hello", retries=0)
    finally:
        client.close()
    assert r.error is None, r.error
    assert (r.prompt_tokens, r.cached_tokens, r.cache_write_tokens, r.completion_tokens) == (1532, 1111, 418, 33)
    assert r.cost_source == "price_table"
    assert r.cost_usd == pytest.approx((3 * 3.0 + 1111 * 0.30 + 418 * 3.75 + 33 * 15.0) / 1e6, rel=1e-12)
