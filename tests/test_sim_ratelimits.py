"""The simulator's rate limits as providers enforce them: per-second buckets per key and model, each provider's
429 shape and headers, per-day quotas. Real HTTP to a loopback simulator at zero latency."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from multimodel.sim.ratelimit import MAX_BUCKETS, Limits, go_duration, next_midnight

MODELS = {"openai": "gpt-4.1-mini", "anthropic": "claude-haiku-4-5", "gemini": "gemini-3-flash-preview",
          "xai": "grok-3-mini", "deepseek": "deepseek-flash", "openrouter": "openai/gpt-4.1-mini"}
RPM = 1200  # one second's worth = 20 requests
SECOND = RPM // 60
_HTTP = httpx.Client(timeout=30)


def _chat(sim, dialect: str, model: str | None = None, key: str = "sk-test", **extra: Any) -> httpx.Response:
    body = {"model": model or MODELS[dialect], "messages": [{"role": "user", "content": "hi"}], **extra}
    return _HTTP.post(f"{sim.base_url(dialect)}/chat/completions", json=body,
                      headers={"Authorization": f"Bearer {key}"})


def _check_openai(r: httpx.Response) -> None:
    e = r.json()["error"]
    assert e["code"] == "rate_limit_exceeded" and e["type"] == "requests"
    assert e["message"].startswith("Rate limit reached for gpt-4.1-mini")
    assert r.headers["x-ratelimit-limit-requests"] == str(RPM) and r.headers["x-ratelimit-remaining-requests"] == "0"
    assert r.headers["x-ratelimit-reset-requests"].endswith("ms")  # under a second to the next request
    assert r.headers["retry-after"] == "1" and 1 <= int(r.headers["retry-after-ms"]) <= 1000


def _check_anthropic(r: httpx.Response) -> None:
    assert r.json()["error"]["type"] == "rate_limit_error"
    assert r.headers["anthropic-ratelimit-requests-limit"] == str(RPM)
    assert r.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert r.headers["x-ratelimit-limit-requests"] == str(RPM) and r.headers["retry-after"] == "1"
    for name in ("tokens", "input-tokens", "output-tokens"):
        assert f"anthropic-ratelimit-{name}-reset" in r.headers


def _check_gemini(r: httpx.Response) -> None:
    body = r.json()
    assert isinstance(body, list)
    err = body[0]["error"]
    assert err["code"] == 429 and err["status"] == "RESOURCE_EXHAUSTED"
    kinds = {d["@type"].rsplit(".", 1)[-1]: d for d in err["details"]}
    assert kinds["RetryInfo"]["retryDelay"] == "1s"
    violation = kinds["QuotaFailure"]["violations"][0]
    assert violation["quotaId"] == "GenerateRequestsPerMinutePerProjectPerModel"
    assert violation["quotaValue"] == str(RPM) and violation["quotaDimensions"]["model"] == MODELS["gemini"]
    assert "retry-after" not in r.headers and "x-ratelimit-limit-requests" not in r.headers


def _check_xai(r: httpx.Response) -> None:
    body = r.json()
    assert isinstance(body["error"], str) and "rate limit" in body["error"] and body["code"]
    assert "retry-after" not in r.headers and "x-ratelimit-limit-requests" not in r.headers  # none documented


def _check_deepseek(r: httpx.Response) -> None:
    assert r.json()["error"]["message"] == "Rate Limit Reached"
    assert not [h for h in r.headers if "ratelimit" in h or h == "retry-after"]  # DeepSeek sends none


def _check_openrouter(r: httpx.Response) -> None:
    e = r.json()["error"]
    assert e["code"] == 429 and e["message"].startswith("Rate limit exceeded: free-models-per-min")
    assert r.headers["X-RateLimit-Limit"] == str(RPM) and r.headers["X-RateLimit-Remaining"] == "0"
    reset_ms = int(r.headers["X-RateLimit-Reset"])
    assert -500 < reset_ms - time.time() * 1000 <= 1100  # milliseconds since the epoch, within a second of now
    assert e["metadata"]["headers"]["X-RateLimit-Reset"] == r.headers["X-RateLimit-Reset"]
    assert r.headers["Retry-After"] == "1"


CHECKS = {"openai": _check_openai, "anthropic": _check_anthropic, "gemini": _check_gemini, "xai": _check_xai,
          "deepseek": _check_deepseek, "openrouter": _check_openrouter}


@pytest.mark.parametrize("dialect", list(MODELS))
def test_a_burst_of_two_seconds_worth_is_cut_at_one_second(clean_sim, dialect):
    """40 requests at once under 1,200 rpm: about 20 pass (plus what refills meanwhile), the rest get the
    provider's own 429. The 60-second window let all 40 through."""
    clean_sim.set_limits(rpm=RPM, provider=dialect)
    t0 = time.monotonic()
    rs = [_chat(clean_sim, dialect) for _ in range(2 * SECOND)]
    refilled = (time.monotonic() - t0) * RPM / 60
    ok = [r for r in rs if r.status_code == 200]
    limited = [r for r in rs if r.status_code == 429]
    assert len(ok) + len(limited) == len(rs)
    assert SECOND <= len(ok) <= SECOND + refilled + 1, (len(ok), refilled)
    assert rs[:SECOND] == ok[:SECOND]  # the first second's worth all pass
    CHECKS[dialect](limited[-1])
    assert clean_sim.stats()["by_outcome"]["limited"] == len(limited)


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
def test_successful_answers_carry_the_limit_headers(clean_sim, dialect):
    clean_sim.set_limits(rpm=RPM, tpm=600_000, provider=dialect)
    r = _chat(clean_sim, dialect, max_tokens=100)
    assert r.status_code == 200
    assert r.headers["x-ratelimit-limit-requests"] == str(RPM)
    assert r.headers["x-ratelimit-remaining-requests"] == str(RPM - 1)
    assert r.headers["x-ratelimit-limit-tokens"] == "600000"
    assert 0 < 600_000 - int(r.headers["x-ratelimit-remaining-tokens"]) < 1000
    if dialect == "openai":  # one request at 1,200/min comes back in 50 ms
        assert r.headers["x-ratelimit-reset-requests"] in ("49ms", "50ms")
        assert 600_000 - int(r.headers["x-ratelimit-remaining-tokens"]) >= 100  # max_tokens is reserved
    else:
        assert r.headers["anthropic-ratelimit-requests-remaining"] == str(RPM - 1)


def test_sustained_traffic_at_90_percent_sees_no_429(clean_sim):
    clean_sim.set_limits(rpm=RPM, provider="openai")
    interval = 60 / (0.9 * RPM)
    start = time.monotonic()
    codes = []
    for i in range(int(2.0 / interval)):  # ~2 s
        delay = start + i * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        codes.append(_chat(clean_sim, "openai").status_code)
    assert len(codes) >= 30 and set(codes) == {200}, codes.count(429)


def test_buckets_are_per_model_and_per_key(clean_sim):
    clean_sim.set_limits(rpm=60, provider="openai")  # one request a second
    assert _chat(clean_sim, "openai", "gpt-4.1-mini").status_code == 200
    assert _chat(clean_sim, "openai", "gpt-4.1-mini").status_code == 429
    assert _chat(clean_sim, "openai", "gpt-5.4").status_code == 200  # another model: its own bucket
    assert _chat(clean_sim, "openai", "gpt-4.1-mini", key="sk-other").status_code == 200  # another key
    assert _chat(clean_sim, "openai", "gpt-4.1-mini", key="sk-other").status_code == 429
    time.sleep(1.05)
    assert _chat(clean_sim, "openai", "gpt-4.1-mini").status_code == 200  # refilled after a second


def test_burst_option_holds_more(clean_sim):
    clean_sim.set_limits(rpm=60, provider="xai", burst=5)  # five seconds' worth
    codes = [_chat(clean_sim, "xai").status_code for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2
    assert clean_sim.stats()["limits"] == [{"provider": "xai", "model": None, "rpm": 60, "tpm": None, "rpd": None,
                                            "itpm": None, "otpm": None, "burst": 5.0}]
    r = httpx.post(f"{clean_sim.url}/_sim/faults", json={"limits": {"rpm": 60, "burst": 0}})
    assert r.status_code == 400 and "burst" in r.json()["error"]


def test_anthropic_reset_is_rfc3339_in_the_future(clean_sim):
    clean_sim.set_limits(rpm=60, provider="anthropic")
    assert _chat(clean_sim, "anthropic").status_code == 200
    r = _chat(clean_sim, "anthropic")
    assert r.status_code == 429
    now = datetime.now(UTC)
    reset = datetime.fromisoformat(r.headers["anthropic-ratelimit-requests-reset"].replace("Z", "+00:00"))
    assert reset.tzinfo is not None and r.headers["anthropic-ratelimit-requests-reset"].endswith("Z")
    assert 0 < (reset - now).total_seconds() <= 2.0
    assert int(r.headers["retry-after"]) == 1


def test_anthropic_counts_input_and_output_tokens_separately(clean_sim):
    """OTPM reserves max_tokens up front and gives back what the answer did not use (Anthropic's rate-limit page)."""
    clean_sim.set_limits(rpm=6000, itpm=600_000, otpm=6000, provider="anthropic")  # 100 output tokens a second
    r = _chat(clean_sim, "anthropic", max_tokens=4000)  # over the bucket: admitted only because it is full
    assert r.status_code == 200
    used = r.json()["usage"]["completion_tokens"]
    assert used < 4000
    r = _chat(clean_sim, "anthropic", max_tokens=50)  # the 4,000 reserve was settled to the real output
    assert r.status_code == (200 if used <= 50 else 429)
    r = _chat(clean_sim, "anthropic", max_tokens=5000)
    assert r.status_code == 429 and "output tokens" in r.json()["error"]["message"]
    assert r.headers["anthropic-ratelimit-output-tokens-limit"] == "6000"
    assert r.headers["anthropic-ratelimit-output-tokens-remaining"] == "0"


def test_gemini_per_day_quota_exhausted(clean_sim):
    clean_sim.set_limits(rpd=2, model="gemini-3-flash-preview")
    assert [_chat(clean_sim, "gemini").status_code for _ in range(2)] == [200, 200]
    r = _chat(clean_sim, "gemini")
    assert r.status_code == 429
    err = r.json()[0]["error"]
    assert err["status"] == "RESOURCE_EXHAUSTED" and "generate_content_requests_per_day" in err["message"]
    kinds = {d["@type"].rsplit(".", 1)[-1]: d for d in err["details"]}
    assert kinds["QuotaFailure"]["violations"][0]["quotaId"] == "GenerateRequestsPerDayPerProjectPerModel"
    from multimodel.sim.dialects.gemini import Gemini

    to_midnight = next_midnight(time.time(), Gemini.day_zone) - time.time()  # midnight Pacific
    assert abs(int(kinds["RetryInfo"]["retryDelay"].rstrip("s")) - to_midnight) <= 2
    assert _chat(clean_sim, "gemini", "gemini-2.5-flash").status_code == 200  # another model's quota


def test_openai_and_openrouter_per_day_quota(clean_sim):
    clean_sim.set_limits(rpd=1, provider="openai")
    clean_sim.set_limits(rpd=1, provider="openrouter")
    assert _chat(clean_sim, "openai").status_code == 200 and _chat(clean_sim, "openrouter").status_code == 200
    r = _chat(clean_sim, "openai")
    assert r.status_code == 429 and "requests per day (RPD)" in r.json()["error"]["message"]
    assert int(r.headers["retry-after"]) > 60  # the reset is far away (next midnight UTC)
    r = _chat(clean_sim, "openrouter")
    assert r.status_code == 429 and r.json()["error"]["message"].startswith("Rate limit exceeded: free-models-per-day")
    assert int(r.headers["X-RateLimit-Reset"]) > (time.time() + 60) * 1000


def test_openai_token_limit_counts_max_tokens(clean_sim):
    clean_sim.set_limits(tpm=60_000, provider="openai")  # 1,000 tokens a second
    assert _chat(clean_sim, "openai", max_tokens=900).status_code == 200
    r = _chat(clean_sim, "openai", max_tokens=900)  # the first reserved its max_tokens
    assert r.status_code == 429 and r.json()["error"]["type"] == "tokens"
    assert r.headers["x-ratelimit-remaining-tokens"] == "0"


def test_bucket_groups_are_bounded():
    limits = Limits()
    limits.set(rpm=60)
    for i in range(MAX_BUCKETS + 50):
        got = limits.check("openai", f"key{i}", ("m",), {"requests": 1}, "reserve", UTC, now=0.0, wall=0.0)
        assert got is not None and not got[0].limited
    assert len(limits._scopes[(None, None)].groups) == MAX_BUCKETS
    # the first keys were dropped (least recently used); a recent one is still limited
    again = limits.check("openai", f"key{MAX_BUCKETS + 49}", ("m",), {"requests": 1}, "reserve", UTC, 0.0, 0.0)
    assert again is not None and again[0].limited


@pytest.mark.parametrize(("seconds", "text"), [(0.25, "250ms"), (1, "1s"), (1.5, "1.5s"), (360, "6m0s"),
                                               (3723, "1h2m3s")])
def test_go_durations(seconds, text):
    assert go_duration(seconds) == text
