"""The pieces that keep a hostile server's answer harmless, one at a time and in process: credential scrubbing
(redact.py), the SSE decoder's limits and linear time, wrong JSON types read as ``malformed_response``, counts and
costs out of range, 3xx answers, and the bounds (mm.Timeout, mm.Limits) a caller sets. The end-to-end suite over a
loopback server is tests/test_hostile.py."""

from __future__ import annotations

import math
import time

import orjson
import pytest

import multimodel as mm
from multimodel.config import build_provider, coerce_timeout
from multimodel.exchange import send
from multimodel.redact import REDACTED, scrub, secrets_in
from multimodel.request import RequestPreparer
from multimodel.results import MAX_COUNT, ResultError, ToolCall
from multimodel.transport import ReplayTransport, Reply, TransportError, read_limited, run_sync, same_origin
from multimodel.wire.sse import SSEDecoder, SSELimitError
from multimodel.wire.usage import normalize_usage

KEY = "sk-hostile-units-0123456789"
JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream"}


@pytest.fixture
def preparer():
    providers = {"local": build_provider("local", {"base_url": "http://127.0.0.1:9/v1", "api_key": KEY,
                                                   "default_headers": {"X-Team-Token": "team-token-abcdef",
                                                                       "X-Team": "research-group",
                                                                       "X-Title": "short"},
                                                   "prices": {"m": {"input": 1.0, "output": 2.0}}})}
    return RequestPreparer(providers)


def run(req, handler):
    return run_sync(send(req, ReplayTransport(handler)))


def answer(**over) -> dict:
    body = {"id": "c", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant", "content": "fine"}}],
            "usage": {"prompt_tokens": 4, "completion_tokens": 2}}
    body.update(over)
    return body


# ---------------------------------------------------------------------------------- credentials
def test_secrets_are_every_credential_value_in_every_spelling():
    found = secrets_in({"Authorization": "Bearer sk-abc/def+ghi", "Content-Type": "application/json",
                        "X-Title": "a public title", "x-api-key": "short", "X-Custom-Secret": "custom-secret-1",
                        "X-Team": "research-group"})
    assert {"Bearer sk-abc/def+ghi", "sk-abc/def+ghi", "sk-abc%2Fdef%2Bghi", "custom-secret-1"} <= set(found)
    assert "application/json" not in found and "a public title" not in found and "short" not in found
    assert "research-group" not in found  # a header that names a team is not a credential
    assert [len(s) for s in found] == sorted((len(s) for s in found), reverse=True)  # longest first


def test_scrub_reaches_into_containers_and_dataclasses_and_copies_only_what_changed():
    secrets = ("topsecret-value",)
    call = ToolCall(id="topsecret-value", name="f", arguments={"k": ["x topsecret-value y"]}, arguments_raw="{}")
    clean = {"a": [1, "no secret here"], "b": None}
    assert scrub(clean, secrets) is clean
    assert scrub({"topsecret-value": 1}, secrets) == {REDACTED: 1}
    scrub(call, secrets)
    assert call.id == REDACTED and call.arguments == {"k": [f"x {REDACTED} y"]}


def test_an_echoed_key_leaves_no_trace_in_the_result(preparer):
    req = preparer.prepare("local/m", "hi")
    echo = f"Bearer {KEY} and team-token-abcdef"
    body = orjson.dumps({"error": {"message": f"invalid key {echo}", "code": KEY}})
    r = run(req, lambda u, h, p: Reply(401, {**JSON, "x-request-id": h["Authorization"]}, body))
    assert r.error.kind == "auth"
    text = repr(r) + str(r.to_dict()) + r.raw + (r.request_id or "") + r.error.message + str(r.error.provider_code)
    assert KEY not in text and "team-token-abcdef" not in text and text.count(REDACTED) >= 4


def test_a_key_echoed_in_the_answer_and_a_tool_call_is_scrubbed_too(preparer):
    req = preparer.prepare("local/m", "hi", stream=True)
    calls = [{"index": 0, "id": KEY, "type": "function", "function": {"name": "f", "arguments": f'{{"k": "{KEY}"}}'}}]
    stream = [b"data: " + orjson.dumps({"choices": [{"index": 0, "delta": d, "finish_reason": f}]}) + b"\n\n"
              for d, f in (({"content": f"key={KEY[:10]}"}, None), ({"content": KEY[10:]}, None),
                           ({"tool_calls": calls}, "tool_calls"))]
    seen: list[str] = []
    req.on_delta = lambda kind, text: seen.append(text)
    r = run(req, lambda u, h, p: Reply(200, SSE, [*stream, b"data: [DONE]\n\n"]))
    assert r.content == f"key={REDACTED}" and r.tool_calls[0].arguments == {"k": REDACTED}
    assert KEY not in r.raw and r.tool_calls[0].id != KEY
    assert "".join(seen) == f"key={REDACTED}" and seen[0] == "key="  # the live view: the split key held back, then


def test_the_live_view_holds_back_only_a_tail_that_could_begin_a_key():
    from multimodel.redact import open_tail
    secrets = ("sk-abcdefgh",)
    assert open_tail("hello s", secrets) == 1 and open_tail("hello sk-abc", secrets) == 6
    assert open_tail("hello sk-x", secrets) == 0 and open_tail("plain text", secrets) == 0


# ---------------------------------------------------------------------------------- the SSE decoder
def test_an_unterminated_line_costs_linear_time_and_stops_at_its_limit():
    decoder = SSEDecoder(max_line=64 * 2**20)
    piece = b"x" * 4096
    started = time.perf_counter()
    for _ in range(8 * 1024):  # 32 MiB in 4 KiB reads, no newline
        assert decoder.feed(piece) == []
    assert time.perf_counter() - started < 2.0  # quadratic joining took minutes here
    with pytest.raises(SSELimitError, match=r"Limits\.sse_line_bytes"):
        for _ in range(9 * 1024):
            decoder.feed(piece)


def test_an_event_of_many_data_lines_is_bounded_as_one_line():
    decoder = SSEDecoder(max_line=1000)
    with pytest.raises(SSELimitError):
        for _ in range(20):
            decoder.feed(b"data: " + b"y" * 100 + b"\n")


def test_events_split_anywhere_still_decode_and_the_tail_flushes():
    stream = b'data: {"a":1}\n\nevent: error\ndata: {"b":\ndata: 2}\n\n: c\r\ndata: last'
    for size in (1, 2, 3, 7, len(stream)):
        decoder = SSEDecoder()
        out = []
        for i in range(0, len(stream), size):
            out += decoder.feed(stream[i:i + size])
        out += decoder.close()
        assert out == [(b"", b'{"a":1}'), (b"error", b'{"b":\n2}'), (b"", b"last")], size


# ---------------------------------------------------------------------------------- wrong JSON types
@pytest.mark.parametrize("field", [
    {"choices": "abc"}, {"choices": {"index": 0}}, {"choices": 7}, {"choices": [1]}, {"choices": [None]},
    {"choices": [{"message": "hello", "finish_reason": "stop"}]},
    {"choices": [{"message": ["hello"], "finish_reason": "stop"}]},
    {"choices": [{"message": {"content": 5}, "finish_reason": "stop"}]},
    {"choices": [{"message": {"content": "x", "tool_calls": "call"}, "finish_reason": "stop"}]},
    {"choices": []},
])
def test_a_body_whose_types_hide_the_answer_is_malformed(preparer, field):
    r = run(preparer.prepare("local/m", "hi"), lambda u, h, p: Reply(200, JSON, orjson.dumps(answer(**field))))
    assert (r.error.kind, r.finish_reason) == ("malformed_response", "error")
    assert not r.error.retryable


@pytest.mark.parametrize("call", [
    {"id": ["a"], "function": {"name": "f", "arguments": "{}"}}, {"id": {"x": 1}, "function": "f"},
    {"id": 5, "function": {"name": 7, "arguments": [1, 2]}}, {"function": {"name": "f", "arguments": {"a": 1}}},
])
def test_tool_calls_with_odd_field_types_are_read_where_the_meaning_is_clear(preparer, call):
    body = answer(choices=[{"finish_reason": "tool_calls", "message": {"content": None, "tool_calls": [call]}}])
    r = run(preparer.prepare("local/m", "hi"), lambda u, h, p: Reply(200, JSON, orjson.dumps(body)))
    assert r.error is None and r.finish_reason == "tool_calls" and len(r.tool_calls) == 1
    assert isinstance(r.tool_calls[0].id, str) and isinstance(r.tool_calls[0].name, str)


def test_a_stream_whose_choices_are_a_number_is_malformed(preparer):
    stream = [b'data: {"choices": [{"index": 0, "delta": {"content": "a"}}]}\n\n', b'data: {"choices": 7}\n\n']
    r = run(preparer.prepare("local/m", "hi", stream=True), lambda u, h, p: Reply(200, SSE, stream))
    assert r.error.kind == "malformed_response" and r.content == "a"


@pytest.mark.parametrize("value", [2**64 - 1, 1e300, -5, 2.5, "12", True, [3], None, MAX_COUNT + 1])
def test_counts_out_of_range_or_of_another_type_are_missing(value):
    usage = normalize_usage({"prompt_tokens": value, "completion_tokens": 3, "total_tokens": value})
    assert usage.prompt_tokens is None and usage.completion_tokens == 3


def test_a_huge_count_is_missing_and_the_frame_still_builds(preparer):
    body = answer(usage={"prompt_tokens": 18446744073709551615, "completion_tokens": 1e300})
    r = run(preparer.prepare("local/m", "hi"), lambda u, h, p: Reply(200, JSON, orjson.dumps(body)))
    assert r.error is None and r.prompt_tokens is None and r.completion_tokens is None
    assert math.isnan(r.cost_usd)
    from multimodel.results import results_to_frame
    assert results_to_frame([r])["prompt_tokens"].isna().all()


@pytest.mark.parametrize("cost", [-1.0, 1e300, 10**400, "0.5", float("inf")])
def test_a_reported_cost_that_cannot_be_true_is_not_believed(cost):
    providers = {"openrouter": build_provider("openrouter", {"api_key": KEY})}
    req = RequestPreparer(providers).prepare("openrouter/openai/gpt-4.1-mini", "hi")
    raw = orjson.dumps(answer(usage={"prompt_tokens": 4, "completion_tokens": 2, "cost": 0})).replace(
        b'"cost":0', b'"cost":' + (str(cost).encode() if not isinstance(cost, str) else orjson.dumps(cost)))
    r = run(req, lambda u, h, p: Reply(200, JSON, raw))
    assert r.cost_source != "provider" and (math.isnan(r.cost_usd) or 0 <= r.cost_usd < 1)


# ---------------------------------------------------------------------------------- redirects, limits, timeouts
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_that_reaches_the_exchange_is_an_error_row(preparer, status):
    where = f"https://elsewhere.example/steal?k={KEY}"
    r = run(preparer.prepare("local/m", "hi"), lambda u, h, p: Reply(status, {"location": where}, b""))
    assert (r.error.kind, r.error.status, r.error.retryable) == ("redirect", status, False)
    assert "another origin" in r.error.message and KEY not in r.error.message


def test_origins():
    assert same_origin("http://a:80/v1", "http://a/v2") and same_origin("https://a/v1", "https://a:443/x")
    assert not same_origin("http://a/v1", "https://a/v1") and not same_origin("http://a/v1", "http://a:81/v1")
    assert not same_origin("http://a/v1", "http://b/v1") and not same_origin("http://a/v1", "http://a:x/v1")


def test_a_body_past_the_limit_stops_reading_there():
    pieces = iter([b"x" * 1000] * 1000)

    class Endless:
        async def chunks(self):
            for piece in pieces:
                yield piece

    with pytest.raises(TransportError) as exc:
        run_sync(read_limited(Endless(), 10_000))
    assert exc.value.kind == "too_large" and len(list(pieces)) == 989  # 11 pieces read, no more


def test_a_stream_past_the_limit_is_response_too_large(preparer):
    preparer.limits = mm.Limits(response_bytes=50_000, sse_line_bytes=10_000)
    event = b'data: {"choices": [{"index": 0, "delta": {"content": "%s"}}]}\n\n' % (b"z" * 1000)
    events = (event for _ in range(10**6))
    r = run(preparer.prepare("local/m", "hi", stream=True), lambda u, h, p: Reply(200, SSE, events))
    assert r.error.kind == "response_too_large" and "Limits.response_bytes" in r.error.message
    assert len(r.content) <= 50_000


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), True, "60", None,
                                   mm.Timeout(total=0), mm.Timeout(idle=-1), mm.Timeout(connect=float("nan"))])
def test_a_timeout_that_cannot_bound_a_call_is_refused(value):
    with pytest.raises(mm.ConfigError, match="positive"):
        coerce_timeout(value)


def test_a_number_is_the_total_and_bounds_the_other_parts():
    assert coerce_timeout(5) == mm.Timeout(total=5, connect=5, idle=5)
    assert coerce_timeout(1200) == mm.Timeout(total=1200, connect=10, idle=1200)  # a long think is not a stall
    assert mm.Timeout() == mm.Timeout(total=600, connect=10, idle=300)


@pytest.mark.parametrize("limits", [mm.Limits(response_bytes=0), mm.Limits(sse_line_bytes=1.5), {"response_bytes": 1}])
def test_limits_are_checked_when_the_client_is_built(limits):
    with pytest.raises(mm.ConfigError, match="Limits"):
        mm.Client(cache=False, limits=limits)


def test_an_internal_failure_is_an_error_row_not_an_exception(preparer, monkeypatch, caplog):
    from multimodel import runner as runner_module
    from multimodel.runner import Runner

    async def broken(*args, **kwargs):
        raise ValueError(f"our own bug, holding {KEY}")

    monkeypatch.setattr(runner_module.exchange, "send", broken)
    req = preparer.prepare("local/m", "hi")
    r = run_sync(Runner(preparer.providers, None, ReplayTransport(lambda u, h, p: Reply())).execute(req))
    assert (r.error.kind, r.attempts) == ("internal", 0) and "our own bug" in r.error.message
    assert KEY not in r.error.message and KEY not in caplog.text and "Traceback" in caplog.text
    assert isinstance(r.error, ResultError)


# ---------------------------------------------------------------------------------- the I/O thread
def test_a_callback_that_raises_systemexit_is_switched_off_and_the_call_completes(preparer):
    stream = [b'data: {"choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": "stop"}]}\n\n']
    req = preparer.prepare("local/m", "hi", stream=True)

    def exits(kind, text):
        raise SystemExit(3)

    req.on_delta = exits
    with pytest.warns(RuntimeWarning, match="switched off"):
        r = run(req, lambda u, h, p: Reply(200, SSE, stream))
    assert r.content == "a" and r.error is None
    assert run(preparer.prepare("local/m", "hi"), lambda u, h, p: Reply(200, JSON, orjson.dumps(answer()))).content


def test_a_systemexit_inside_the_loop_reaches_the_caller_and_the_loop_lives_on():
    from multimodel.transport import IO

    async def exits():
        raise SystemExit(4)

    loop = IO.ensure()
    with pytest.raises(SystemExit):
        run_sync(exits())
    assert IO.alive(loop)


def test_a_dead_io_loop_is_replaced_by_the_next_call(preparer):
    from multimodel.transport import IO

    old = IO.ensure()
    old.call_soon_threadsafe(old.stop)
    IO.thread.join(timeout=5)
    assert not IO.alive(old)
    r = run(preparer.prepare("local/m", "hi"), lambda u, h, p: Reply(200, JSON, orjson.dumps(answer())))
    assert r.content == "fine" and IO.loop is not old and IO.alive(IO.loop)


def test_an_absurd_retry_after_never_holds_a_later_call_past_its_timeout(preparer):
    from multimodel.runner import Runner

    replies = iter([Reply(429, {**JSON, "retry-after": "99999999999"}, b'{"error": {"message": "slow down"}}')])
    runner = Runner(preparer.providers, None, ReplayTransport(lambda u, h, p: next(replies)))
    first = run_sync(runner.execute(preparer.prepare("local/m", "hi", retries=0)))
    assert first.error.kind == "rate_limit" and first.attempts == 1
    started = time.perf_counter()
    later = run_sync(runner.execute(preparer.prepare("local/m", "again", timeout=5)))
    assert time.perf_counter() - started < 1.0
    assert (later.error.kind, later.attempts) == ("rate_limit", 0) and "longer than what is left" in later.error.message


# ---------------------------------------------------------------------------------- found in review
def test_a_key_past_a_clipping_point_is_scrubbed_whole(preparer):
    """Provider words are clipped after the scrub: a key that straddles the clip would otherwise leave a prefix."""
    req = preparer.prepare("local/m", "hi")
    rid = "r" * 190 + KEY
    r = run(req, lambda u, h, p: Reply(500, {"x-request-id": rid}, b"x" * 1990 + KEY.encode()))
    assert KEY[:8] not in (r.request_id or "") and KEY[:8] not in r.error.message
    assert len(r.request_id) <= 200 and len(r.error.message) <= 2010


def test_a_header_that_is_not_utf8_cannot_break_the_cache_or_the_frame(preparer, tmp_path):
    from multimodel.results import results_to_frame
    from multimodel.store import ResultCache

    body = orjson.dumps(answer())
    r = run(preparer.prepare("local/m", "hi"), lambda u, h, p: Reply(200, {**JSON, "x-request-id": "req-\udcff"}, body))
    assert r.request_id == "req-\ufffd"
    ResultCache(tmp_path / "c.sqlite").put("k", r, None)
    assert len(results_to_frame([r])) == 1


def test_a_row_an_older_release_cached_is_scrubbed_and_its_counts_checked(preparer, tmp_path):
    from multimodel.results import Result, results_to_frame
    from multimodel.runner import Runner
    from multimodel.store import ResultCache

    cache = ResultCache(tmp_path / "old.sqlite")
    req = preparer.prepare("local/m", "hi")
    cache.put(req.cache_key, Result(model="local/m", provider="local", content=f"key {KEY}"), None)
    (stored,) = cache._conn.execute("SELECT result FROM results").fetchone()
    stored = bytes(stored).replace(b'"prompt_tokens":null', b'"prompt_tokens":18446744073709551615')
    assert b"18446744073709551615" in stored and KEY.encode() in stored
    cache._conn.execute("UPDATE results SET result = ?", (stored,))
    hit = run_sync(Runner(preparer.providers, cache, ReplayTransport(lambda u, h, p: Reply())).execute(req))
    assert hit.cached and hit.content == f"key {REDACTED}" and hit.prompt_tokens is None
    assert len(results_to_frame([hit])) == 1


@pytest.mark.parametrize("tail", [b'data: {"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": '
                                  b'"stop"}]}', b'event: message\ndata: {"choices": [{"index": 0, "delta": '
                                  b'{"content": "hi"}, "finish_reason": "stop"}]}\r\n'])
def test_a_last_event_without_its_blank_line_still_counts(preparer, tail):
    r = run(preparer.prepare("local/m", "hi", stream=True), lambda u, h, p: Reply(200, SSE, [tail]))
    assert (r.content, r.finish_reason, r.error) == ("hi", "stop", None)


def test_a_streamed_error_finish_without_an_error_object_is_an_error(preparer):
    stream = [b'data: {"choices": [{"index": 0, "delta": {"content": "par"}, "finish_reason": "error"}]}\n\n',
              b"data: [DONE]\n\n"]
    r = run(preparer.prepare("local/m", "hi", stream=True), lambda u, h, p: Reply(200, SSE, stream))
    assert r.error.kind == "stream" and r.error.retryable and r.finish_reason == "error"


def test_time_queued_behind_the_gate_is_not_the_calls_time(preparer):
    """With concurrency 1, the tenth request waits for nine others: its own total starts when it is admitted."""
    import asyncio

    from multimodel.runner import Runner

    providers = {"slow": build_provider("slow", {"base_url": "http://127.0.0.1:9/v1", "api_key": KEY,
                                                 "concurrency": 1})}
    slow = RequestPreparer(providers)

    async def handler_batch():
        async def delayed(url, headers, payload):
            await asyncio.sleep(0.1)
            return Reply(200, JSON, orjson.dumps(answer()))

        class Slow(ReplayTransport):
            async def post(self, url, headers, payload, timeout):
                from multimodel.transport import _ReplayResponse
                return _ReplayResponse(await delayed(url, headers, payload))

        runner = Runner(providers, None, Slow(lambda u, h, p: Reply()))
        reqs = [slow.prepare("slow/m", f"q{i}", timeout=0.5) for i in range(10)]
        return await asyncio.gather(*(runner.execute(r) for r in reqs))

    results = run_sync(handler_batch())
    assert [r.error for r in results] == [None] * 10  # 1 s of queue in all, each call well within its 0.5 s


def test_a_look_at_the_gates_from_another_loop_keeps_what_they_learned(preparer):
    import asyncio

    from multimodel.runner import Runner

    runner = Runner(preparer.providers, None, ReplayTransport(lambda u, h, p: Reply()))

    async def on_io():
        return runner.gate("local")

    gate = run_sync(on_io())
    gate.pause_until = time.monotonic() + 30

    async def from_a_notebook_cell():
        return runner.gate("local")

    assert asyncio.run(from_a_notebook_cell()) is gate
