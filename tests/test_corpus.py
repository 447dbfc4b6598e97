"""Conformance suite: every real recording in tests/corpus/ through the real client.

Each recording is served by a loopback aiohttp server (tests/replay_server.py) with its recorded
status, headers and body bytes; the client is pointed at it with the provider and dialect the
recording came from, and the normalized Result is compared field by field with
tests/corpus_expectations.py. All mismatches of one file are reported together.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import math
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from corpus_expectations import (  # noqa: E402
    BUILTIN_DIALECTS,
    EXPECTATIONS,
    SYNTH,
    Expect,
    Long,
)
from replay_server import CORPUS_DIR, ReplayServer, load_recordings  # noqa: E402

RECORDINGS = load_recordings()
ALL_IDS = sorted(set(RECORDINGS) | set(EXPECTATIONS))

# Does a tool call count as the first "answer" token for ttfat_s? Decided: yes. ttfat_s is the first
# answer-channel output, text or tool call, so for a reasoning model that ends in a tool call it marks
# where the reasoning stopped (s06, s08, s11) instead of being None.
TOOL_CALL_IS_ANSWER = True

# Streaming dialects whose providers only report usage on a stream when asked via stream_options.
ASKS_FOR_STREAM_USAGE = {"openai", "deepseek", "xai", "openrouter"}


def provider_name_for(rec: dict[str, Any]) -> str:
    """The brief's rule: a built-in's name when the recording comes from one, else the generic 'rec'."""
    first = rec["provider"].split()[0].strip().lower()
    return first if first in BUILTIN_DIALECTS else "rec"


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def server():
    srv = ReplayServer(RECORDINGS).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def mm():
    mod = importlib.import_module("multimodel")
    assert hasattr(mod, "Client"), "multimodel.Client is missing"
    return mod


# ---------------------------------------------------------------------------- the corpus itself
def test_corpus_has_38_recordings_and_one_expectation_each():
    assert len(RECORDINGS) == 38, f"expected 38 recordings in {CORPUS_DIR}, found {len(RECORDINGS)}"
    missing = sorted(set(RECORDINGS) - set(EXPECTATIONS))
    extra = sorted(set(EXPECTATIONS) - set(RECORDINGS))
    assert not missing, f"recordings without an expectation: {missing}"
    assert not extra, f"expectations without a recording: {extra}"
    assert (CORPUS_DIR / "INDEX.md").is_file()
    for file_id, exp in EXPECTATIONS.items():
        assert exp.why.strip(), f"{file_id}: empty why"
        assert exp.provider == provider_name_for(RECORDINGS[file_id]), f"{file_id}: provider name"


# ---------------------------------------------------------------------------- comparison helpers
def _text_problems(field: str, got: Any, want: str | Long | None) -> list[str]:
    if want is None:
        return [] if got is None else [f"{field}: expected None, got {_short(got)}"]
    if not isinstance(got, str):
        return [f"{field}: expected a str, got {_short(got)}"]
    if isinstance(want, str):
        return [] if got == want else [f"{field}: expected {want!r}, got {_short(got)}"]
    probs = []
    if len(got) != want.length:
        probs.append(f"{field}: expected length {want.length}, got {len(got)}")
    if not got.startswith(want.prefix):
        probs.append(f"{field}: expected prefix {want.prefix!r}, got {got[: len(want.prefix)]!r}")
    if not got.endswith(want.suffix):
        probs.append(f"{field}: expected suffix {want.suffix!r}, got {got[-len(want.suffix) :]!r}")
    digest = hashlib.sha256(got.encode("utf-8")).hexdigest()[:16]
    if not probs and digest != want.sha256_16:
        probs.append(f"{field}: same length/prefix/suffix but sha256 {digest} != {want.sha256_16} (middle differs)")
    return probs


def _short(v: Any, n: int = 160) -> str:
    s = repr(v)
    if len(s) > n:
        s = s[: n // 2] + f" ...<{len(s)} chars>... " + s[-n // 2 :]
    return s


def _tool_call_problems(got_calls: Any, want_calls: list) -> list[str]:
    if not isinstance(got_calls, list):
        return [f"tool_calls: expected a list, got {_short(got_calls)}"]
    probs = []
    if len(got_calls) != len(want_calls):
        probs.append(
            f"tool_calls: expected {len(want_calls)} call(s) {[c.name for c in want_calls]}, "
            f"got {len(got_calls)} {[getattr(c, 'name', c) for c in got_calls]}"
        )
    for i, (g, w) in enumerate(zip(got_calls, want_calls, strict=False)):
        p = f"tool_calls[{i}]"
        if g.name != w.name:
            probs.append(f"{p}.name: expected {w.name!r}, got {g.name!r}")
        if g.arguments != w.arguments:
            probs.append(f"{p}.arguments: expected {w.arguments!r}, got {_short(g.arguments)}")
        if g.arguments_raw != w.arguments_raw:
            probs.append(f"{p}.arguments_raw: expected {w.arguments_raw!r}, got {_short(g.arguments_raw)}")
        if w.id is SYNTH:
            if not isinstance(g.id, str) or not g.id:
                probs.append(f"{p}.id: expected a synthesized non-empty id, got {g.id!r}")
        elif g.id != w.id:
            probs.append(f"{p}.id: expected {w.id!r}, got {g.id!r}")
    ids = [getattr(g, "id", None) for g in got_calls]
    if any(not isinstance(x, str) or not x for x in ids):
        probs.append(f"tool_calls: every id must be a non-empty str, got {ids!r}")
    if len(set(ids)) != len(ids):
        probs.append(f"tool_calls: ids must be unique, got {ids!r}")
    return probs


def _cost_problems(r: Any, exp: Expect) -> list[str]:
    cost, src = r.cost_usd, r.cost_source
    c = exp.cost
    is_nan = isinstance(cost, float) and math.isnan(cost)
    unknown_ok = is_nan and src is None
    table_ok = src == "price_table" and isinstance(cost, float) and math.isfinite(cost) and cost > 0
    desc = f"cost_usd={cost!r} cost_source={src!r}"
    if c.mode == "provider":
        ok = (
            src == "provider"
            and isinstance(cost, (int, float))
            and not is_nan
            and math.isclose(cost, c.value, rel_tol=1e-9, abs_tol=1e-15)
        )
        return [] if ok else [f"cost: expected provider-reported {c.value!r}, got {desc}"]
    if c.mode == "price_table":
        return [] if table_ok else [f"cost: expected cost_source 'price_table' and cost > 0, got {desc}"]
    if c.mode == "unknown":
        return [] if unknown_ok else [f"cost: expected NaN with cost_source None, got {desc}"]
    if c.mode == "table_or_unknown":
        return [] if (table_ok or unknown_ok) else [f"cost: expected price_table > 0 or NaN/None, got {desc}"]
    raise AssertionError(f"unknown cost mode {c.mode}")


def _error_problems(got: Any, exp: Expect) -> list[str]:
    want = exp.error
    if want is None:
        return [] if got is None else [f"error: expected None, got {got!r}"]
    if got is None:
        return [f"error: expected kind {want.kind!r} status {want.status!r}, got None"]
    probs = []
    for attr in ("kind", "status", "provider_code", "retry_after_s"):
        g, w = getattr(got, attr), getattr(want, attr)
        if g != w:
            probs.append(f"error.{attr}: expected {w!r}, got {g!r}")
    msg = got.message
    if not isinstance(msg, str):
        probs.append(f"error.message: expected a str, got {msg!r}")
    else:
        for piece in want.message_contains:
            if piece not in msg:
                probs.append(f"error.message: expected to contain {piece!r}, got {_short(msg, 400)}")
    return probs


def _timing_problems(r: Any, rec: dict[str, Any], exp: Expect) -> list[str]:
    t, a, e = r.ttft_s, r.ttfat_s, r.e2e_s
    has_answer = exp.content != "" or (TOOL_CALL_IS_ANSWER and bool(exp.tool_calls))
    desc = f"ttft_s={t!r} ttfat_s={a!r} e2e_s={e!r}"
    probs = []
    if any(v is not None and not (isinstance(v, (int, float)) and v >= 0) for v in (t, a, e)):
        return [f"timing: values must be None or >= 0, got {desc}"]
    if rec["response"]["status"] != 200:
        # An HTTP error carries no token: no answer time; whatever else is set must be ordered.
        if a is not None:
            probs.append(f"timing: HTTP error must have ttfat_s None, got {desc}")
        if t is not None and e is not None and t > e:
            probs.append(f"timing: ttft_s > e2e_s on an HTTP error, {desc}")
        return probs
    if rec["streaming"]:
        if t is None or e is None or not (0 <= t <= e):
            probs.append(f"timing: streaming needs 0 <= ttft_s <= e2e_s, got {desc}")
        if has_answer:
            if a is None or t is None or e is None or not (t <= a <= e):
                probs.append(f"timing: answer text arrived, needs ttft_s <= ttfat_s <= e2e_s, got {desc}")
        elif a is not None:
            probs.append(f"timing: no answer text (rule 8), ttfat_s must be None, got {desc}")
        return probs
    if e is None or t is not None or a is not None:
        probs.append(f"timing: non-streaming needs e2e_s and no ttft_s/ttfat_s (never observed), got {desc}")
    return probs


def _request_problems(received: list, rec: dict[str, Any], name: str, model: str) -> list[str]:
    if len(received) != 1:
        return [f"request: expected exactly 1 request to the server (retries=0), got {len(received)}"]
    req = received[0]
    probs = []
    if req.method != "POST" or not req.path.endswith("/v1/chat/completions"):
        probs.append(f"request: expected POST .../v1/chat/completions, got {req.method} {req.path}")
    body = req.json
    if not isinstance(body, dict):
        return [*probs, f"request: body is not a JSON object: {req.body[:200]!r}"]
    if body.get("model") != model:
        probs.append(f"request: expected model {model!r}, got {body.get('model')!r}")
    if rec["streaming"]:
        if body.get("stream") is not True:
            probs.append(f"request: streaming recording but the client sent stream={body.get('stream')!r}")
        if name in ASKS_FOR_STREAM_USAGE:
            so = body.get("stream_options")
            if not (isinstance(so, dict) and so.get("include_usage") is True):
                probs.append(f"request: {name} stream without stream_options.include_usage=true (got {so!r})")
    elif body.get("stream") not in (None, False):
        probs.append(f"request: non-streaming recording but the client sent stream={body.get('stream')!r}")
    return probs


def check_result(r: Any, exp: Expect, rec: dict[str, Any], name: str, model: str, received: list) -> list[str]:
    probs: list[str] = []

    def eq(field: str, want: Any) -> None:
        got = getattr(r, field)
        if got != want or isinstance(got, bool) != isinstance(want, bool):
            probs.append(f"{field}: expected {want!r}, got {_short(got)}")

    eq("model", f"{name}/{model}")
    eq("provider", name)
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
    probs += _timing_problems(r, rec, exp)
    raw = r.raw
    if raw is None or (hasattr(raw, "__len__") and len(raw) == 0):
        probs.append(f"raw: expected the provider's own JSON/SSE, got {_short(raw)}")
    if getattr(r, "attempts", 1) != 1:
        probs.append(f"attempts: expected 1 with retries=0, got {r.attempts!r}")
    if getattr(r, "cached", False) is not False:
        probs.append(f"cached: expected False with cache=False, got {r.cached!r}")
    probs += _request_problems(received, rec, name, model)
    return probs


# ---------------------------------------------------------------------------- the suite
def recorded_before_retirement(provider: str, model: str) -> dict[str, Any]:
    """A recording of a model retired since (deepseek-reasoner, o3-mini) is replayed as sent then: the client
    would refuse it today, so the replay asks it to send the request as given."""
    from multimodel import catalogue

    match = catalogue.find(provider, model)
    return {"on_unsupported": "send"} if match is not None and match.info.status == "retired" else {}


def replay_case(file_id: str) -> tuple[dict[str, Any], Any, str, str, str, list[dict[str, Any]]]:
    """(recording, expectation, provider name, dialect, model id, messages) to replay one recording with."""
    rec = RECORDINGS[file_id]
    exp = EXPECTATIONS[file_id]
    name = exp.provider
    dialect = name if name in BUILTIN_DIALECTS else "openai"
    messages = copy.deepcopy((rec["request"].get("json") or {}).get("messages")) or [
        {"role": "user", "content": "hello"}
    ]
    return rec, exp, name, dialect, rec["model"], messages


@pytest.mark.parametrize("file_id", ALL_IDS)
def test_recording(file_id: str, server: ReplayServer, mm: Any) -> None:
    assert file_id in RECORDINGS, f"{file_id}: expectation without a recording in {CORPUS_DIR}"
    assert file_id in EXPECTATIONS, f"{file_id}: recording without an expectation in corpus_expectations.py"
    rec, exp, name, dialect, model, messages = replay_case(file_id)

    server.clear(file_id)
    client = mm.Client(
        providers={name: {"base_url": server.base_url(file_id), "api_key": "test-key", "dialect": dialect}},
        cache=False,
    )
    try:
        r = client.complete(f"{name}/{model}", messages, stream=rec["streaming"], retries=0,
                            **recorded_before_retirement(name, model))
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()

    problems = check_result(r, exp, rec, name, model, server.received(file_id))
    assert not problems, f"{file_id} ({exp.why})\n  " + "\n  ".join(problems)
