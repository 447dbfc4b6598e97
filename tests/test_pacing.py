"""Pacing as providers enforce limits (token buckets with a one-second burst), what providers say about their limits
(OpenAI/xAI/Groq, Anthropic RFC 3339, OpenRouter), throttles that do not spend the retry budget, a per-day quota
that ends a provider's rows, and the bounds: a call's timeout, a run's deadline."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from multidict import CIMultiDict

from multimodel.config import build_provider
from multimodel.pacing import ProviderGate, TokenBucket, read_limits, rfc3339_seconds
from multimodel.request import RequestPreparer
from multimodel.runner import Runner, execute_with_retries
from multimodel.transport import ReplayTransport, Reply, run_sync

JSON = {"content-type": "application/json"}
OK = orjson.dumps({"choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 3, "completion_tokens": 1}})


def test_a_bucket_lets_one_seconds_worth_go_then_paces_the_rest():
    bucket = TokenBucket(600)  # 10 a second (9.8 with the client's margin)
    now = bucket.stamp
    sent = 0
    while bucket.wait_time(1, now) == 0:
        bucket.add(1, now)
        sent += 1
    # one second's worth less a tenth of a second for connection set-up, not a minute's (a 60-second window let
    # 600 go at once): 9.8 - 0.98 = 8.82 tokens
    assert sent == 8
    assert bucket.wait_time(1, now) == pytest.approx((1 - (bucket.capacity - 0.98 - 8)) / bucket.rate)
    assert bucket.wait_time(1, now + 1.0) == 0
    assert bucket.tokens == pytest.approx(bucket.capacity)  # a second later the whole burst is there


def test_a_token_estimate_corrected_after_leaves_a_debt_or_a_credit():
    bucket = TokenBucket(60_000)  # 1,000 tokens a second
    now = bucket.stamp
    bucket.add(900, now)
    bucket.adjust(+500)  # 1,400 were used: a debt
    assert bucket.wait_time(100, now) > 0.4
    bucket.adjust(-1000)  # fewer than thought: given back, never beyond the burst
    assert bucket.tokens <= bucket.capacity


def test_a_gate_paces_a_burst_to_its_rpm():
    async def main() -> float:
        gate = ProviderGate("p", concurrency=50, rpm=1200)  # 20 a second
        t0 = time.monotonic()

        async def one() -> None:
            await gate.acquire(1)
            gate.release(1, None)

        await asyncio.gather(*(one() for _ in range(40)))
        return time.monotonic() - t0

    elapsed = asyncio.run(main())
    assert 0.9 < elapsed < 1.6  # ~20 at once, then 20 more at 19.6 a second


def test_limits_are_read_in_every_providers_spelling():
    now = time.time()
    reset = (datetime.fromtimestamp(now, UTC) + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    openai = read_limits({"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "499",
                          "x-ratelimit-reset-requests": "120ms", "x-ratelimit-limit-tokens": "30000",
                          "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s"})
    assert (openai["requests"].limit, openai["requests"].reset_s) == (500, pytest.approx(0.12))
    assert (openai["tokens"].remaining, openai["tokens"].reset_s) == (0, 360)
    anthropic = read_limits({"anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "0",
                             "anthropic-ratelimit-requests-reset": reset,
                             "anthropic-ratelimit-input-tokens-limit": "40000"}, now)
    assert anthropic["requests"].reset_s == pytest.approx(30, abs=1) and anthropic["input_tokens"].limit == 40000
    openrouter = read_limits(CIMultiDict({"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0",
                                          "X-RateLimit-Reset": str(int((now + 5) * 1000))}), now)
    assert openrouter["requests"].reset_s == pytest.approx(5, abs=0.01)
    assert read_limits({"x-ratelimit-limit-requests": "lots"}) == {}


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-29T12:00:30Z", 30.0), ("2026-11-29T13:00:30+01:00", 30.0), ("2026-11-29T11:59:00Z", 0.0),
    ("not a time", None), ("2026-11-29T12:00:30", None), (None, None),
])
def test_rfc3339_resets(value, expected):
    now = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC).timestamp()
    assert rfc3339_seconds(value, now) == (None if expected is None else pytest.approx(expected))


def test_a_gate_learns_a_per_minute_limit_per_model_and_pauses_at_zero():
    gate = ProviderGate("p", concurrency=4)
    gate.observe(200, {"x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "599",
                       "x-ratelimit-reset-requests": "100ms"}, None, model="m1")
    assert gate.learned["m1"]["requests"].limit == 600 and "m2" not in gate.learned
    gate.observe(200, {"x-ratelimit-limit-requests": "14400", "x-ratelimit-remaining-requests": "0",
                       "x-ratelimit-reset-requests": "2h"}, None, model="m2")  # Groq's requests are per day
    assert "requests" not in gate.learned.get("m2", {})
    assert gate.pause_until - time.monotonic() == pytest.approx(300, abs=1)  # remaining 0: pause (capped)
    configured = ProviderGate("q", concurrency=4, rpm=100)
    configured.observe(200, {"x-ratelimit-limit-requests": "600", "x-ratelimit-reset-requests": "1s"}, None, "m")
    assert configured.learned == {}  # the configured limit wins


def test_a_silent_throttle_cuts_the_rate_once_per_episode_and_answers_grow_it_back_additively():
    gate = ProviderGate("p", concurrency=4)
    now = time.monotonic()
    gate._sent.extend([now - 5.0] * 70 + [now - 0.1] * 30)  # 30 admitted in the last second: 1,800 a minute
    gate.observe(429, {}, None, model="m", sent_at=now - 0.1)
    adaptive = gate.adaptive["m"]
    assert adaptive.bucket.limit == pytest.approx(1800 * 0.7) and adaptive.bucket.tokens == 0
    assert gate.pause_until < now + 0.5  # an adapted rate paces; it needs no pause besides
    gate.observe(429, {}, None, model="m", sent_at=now - 0.05)  # sent before the cut: the same episode
    assert adaptive.bucket.limit == pytest.approx(1260)
    adaptive.grow(adaptive.cut_at + 0.5)  # half a second of answers: +5% of 1,800 a minute per second
    assert adaptive.bucket.limit == pytest.approx(1260 + 45)
    adaptive.grow(adaptive.grown_at + 30.0)  # a long quiet spell counts as one second, not thirty
    assert adaptive.bucket.limit == pytest.approx(1305 + 90)
    later = time.monotonic() + 0.001
    gate.observe(429, {}, None, model="m", sent_at=later)  # sent after the cut: a new episode
    assert adaptive.bucket.limit == pytest.approx(min(1395, 60.0 * 30) * 0.7)
    assert "requests" not in gate.learned.get("m", {})  # nothing was stated, so nothing is learned


def test_a_silent_throttle_with_little_traffic_pauses_a_second_instead_of_guessing_a_rate():
    gate = ProviderGate("p", concurrency=4)
    now = time.monotonic()
    gate._sent.extend([now] * 3)
    gate.observe(429, {}, None, model="m", sent_at=now)
    assert gate.adaptive == {} and gate.pause_until == pytest.approx(now + 1.0, abs=0.05)


def test_a_limit_learned_from_a_429_starts_with_what_the_provider_says_is_left():
    gate = ProviderGate("p", concurrency=64)
    gate.observe(429, {"x-ratelimit-limit-requests": "2400", "x-ratelimit-remaining-requests": "0",
                       "x-ratelimit-reset-requests": "25ms"}, 0.025, model="m")
    bucket = gate.learned["m"]["requests"]
    assert bucket.limit == 2400 and bucket.tokens == 0  # not a full second's burst of 39 more
    gate.observe(200, {"x-ratelimit-limit-requests": "2400", "x-ratelimit-remaining-requests": "2399",
                       "x-ratelimit-reset-requests": "25ms"}, None, model="m")
    assert bucket.tokens <= 1  # a large per-minute remainder does not refill the short bucket


# ---------------------------------------------------------------------------------- retries and bounds
@pytest.fixture
def preparer():
    return RequestPreparer({"p": build_provider("p", {"base_url": "http://127.0.0.1:9/v1", "api_key": "k" * 12})})


def replies(*items: Reply):
    it = iter(items)
    last = items[-1]
    sent = []

    def handler(url, headers, payload):
        sent.append(payload)
        return next(it, last)

    handler.sent = sent
    return handler


THROTTLE = Reply(429, {**JSON, "retry-after-ms": "20"}, b'{"error": {"message": "Rate limit reached", '
                                                         b'"code": "rate_limit_exceeded"}}')


def test_in_a_batch_throttles_do_not_spend_the_retry_budget(preparer):
    handler = replies(THROTTLE, THROTTLE, THROTTLE, Reply(200, JSON, OK))
    gate = ProviderGate("p", 4)
    r = run_sync(execute_with_retries(preparer.prepare("p/m", "hi", retries=0), gate, ReplayTransport(handler),
                                      batch=True))
    assert (r.error, r.content, r.attempts) == (None, "ok", 4)
    single = replies(THROTTLE, Reply(200, JSON, OK))  # a single call's retries=0 means one attempt
    r = run_sync(execute_with_retries(preparer.prepare("p/m", "hi", retries=0), gate, ReplayTransport(single)))
    assert (r.error.kind, r.attempts) == ("rate_limit", 1)


def test_a_single_call_waits_out_throttles_only_within_its_timeout(preparer):
    handler = replies(THROTTLE)
    t0 = time.monotonic()
    r = run_sync(execute_with_retries(preparer.prepare("p/m", "hi", timeout=0.5, retries=50), ProviderGate("p", 4),
                                      ReplayTransport(handler)))
    assert r.error.kind == "rate_limit" and time.monotonic() - t0 < 0.9 and len(handler.sent) >= 2


def test_a_batch_waits_out_throttles_until_its_deadline_then_rows_end_as_deadline(preparer):
    handler = replies(THROTTLE, THROTTLE, THROTTLE, Reply(200, JSON, OK))
    runner = Runner(preparer.providers, None, ReplayTransport(handler))
    t0 = time.monotonic()
    r = run_sync(runner.execute(preparer.prepare("p/m", "hi", timeout=0.05, retries=0), "run", deadline=t0 + 10))
    assert (r.error, r.attempts) == (None, 4)  # throttled past its 0.05 s timeout and its retries=0: still answered
    late = run_sync(runner.execute(preparer.prepare("p/m", "again"), "run", deadline=t0))
    assert (late.error.kind, late.attempts) == ("deadline", 0)


def test_a_per_day_quota_ends_the_providers_rows(preparer):
    day = Reply(429, JSON, b'[{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "Quota exceeded '
                           b'for metric: generate_content_requests, limit: GenerateRequestsPerDayPerProjectPerModel",'
                           b' "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", '
                           b'"retryDelay": "1s"}]}}]')
    handler = replies(day, Reply(200, JSON, OK))
    runner = Runner(preparer.providers, None, ReplayTransport(handler))
    first = run_sync(runner.execute(preparer.prepare("p/m", "hi"), "run"))
    assert first.error.kind == "quota_exhausted" and not first.error.retryable
    second = run_sync(runner.execute(preparer.prepare("p/m", "again"), "run"))
    assert (second.error.kind, second.attempts, len(handler.sent)) == ("quota_exhausted", 0, 1)


# ---------------------------------------------------------------------------------- evaluate()
def _client(handler):
    import multimodel as mm

    return mm.Client(providers={"p": {"base_url": "http://127.0.0.1:9/v1", "api_key": "k" * 12,
                                      "prices": {"m": {"input": 1.0, "output": 1.0}}}},
                     cache=False, transport=ReplayTransport(handler))


def test_evaluate_waits_out_throttles_without_spending_retries():
    calls: dict[bytes, int] = {}

    def handler(url, headers, payload):
        calls[payload] = calls.get(payload, 0) + 1
        return THROTTLE if calls[payload] <= 3 else Reply(200, JSON, OK)

    ev = _client(handler).evaluate(["a", "b", "c"], ["p/m"], retries=0, progress=False)
    assert list(ev.df["error_kind"].isna()) == [True] * 3 and sorted(calls.values()) == [4, 4, 4]


def test_evaluate_deadline_ends_rows_still_waiting_on_a_throttling_provider():
    t0 = time.monotonic()
    ev = _client(replies(THROTTLE)).evaluate([f"q{i}" for i in range(5)], ["p/m"], deadline_s=0.6, progress=False)
    assert time.monotonic() - t0 < 3.0
    assert set(ev.df["error_kind"]) <= {"rate_limit", "deadline"} and len(ev.df) == 5


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "60"])
def test_a_deadline_that_cannot_bound_a_run_is_refused(bad):
    import multimodel as mm

    with pytest.raises(mm.ConfigError, match="deadline_s"):
        _client(replies(Reply(200, JSON, OK))).evaluate(["a"], ["p/m"], deadline_s=bad, progress=False)


def test_a_gate_keeps_a_bounded_record_of_what_it_sent():
    # only a silent 429 trims the admission times, so a long run without one must not grow them for ever
    async def main() -> int:
        gate = ProviderGate("p", concurrency=4)
        for _ in range(25_000):
            await gate.acquire(1)
            gate.release(1, None)
        return len(gate._sent)

    assert asyncio.run(main()) == 10_000
