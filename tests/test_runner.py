"""Provider gates: rpm/tpm sliding windows, pauses learned from responses, backoff bounds."""

from __future__ import annotations

import asyncio
import time

import pytest

from multimodel import runner
from multimodel.runner import ProviderGate, SlidingWindow, backoff_delay


def test_sliding_window_admits_a_burst_then_waits_for_the_oldest_to_expire():
    w = SlidingWindow(3)
    for t in (0.0, 1.0, 2.0):
        assert w.wait_time(1, t) == 0
        w.add(1, t)
    # the event at t=0 leaves the window at t=60, plus a 0.5 s margin for connection set-up
    assert w.wait_time(1, 10.0) == pytest.approx(50.5)
    assert w.wait_time(1, 60.0) == pytest.approx(0.5)
    assert w.wait_time(1, 60.5) == 0
    w2 = SlidingWindow(100)
    w2.add(80, 0.0)
    w2.add(15, 5.0)
    assert w2.wait_time(10, 6.0) == pytest.approx(54.5)  # needs the 80 at t=0 to expire
    w2.adjust_last(-10)  # the 15-token estimate was really 5
    assert w2.wait_time(10, 6.0) == 0


def test_gate_paces_requests_to_its_rpm(monkeypatch):
    monkeypatch.setattr(runner, "_WINDOW_S", 0.4)
    gate_holder: dict[str, ProviderGate] = {}

    async def main() -> float:
        gate = gate_holder["g"] = ProviderGate("p", concurrency=50, rpm=5)
        t0 = time.monotonic()

        async def one() -> None:
            await gate.acquire(1)
            gate.release(1, None)

        await asyncio.gather(*(one() for _ in range(12)))
        return time.monotonic() - t0

    elapsed = asyncio.run(main())
    assert elapsed >= 0.8 - 0.02  # 12 requests at 5 per 0.4 s window need two refills (plus margins)
    assert elapsed < 2.0


def test_gate_learns_pauses_and_limits_from_responses():
    gate = ProviderGate("p", concurrency=4)
    now = time.monotonic()
    gate.observe(429, {}, 2.0)
    assert gate.pause_until == pytest.approx(now + 2.0, abs=0.05) and gate.rate_limited == 1
    gate.observe(200, {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s",
                       "x-ratelimit-limit-requests": "500"}, None)
    assert gate.pause_until == pytest.approx(now + 300.0, abs=0.05)  # capped at 5 minutes
    assert gate.rpm is not None and gate.rpm.limit == 500 and gate.learned_rpm == 500
    other = ProviderGate("q", concurrency=4)
    assert other.pause_until == 0.0  # a throttled provider never slows another


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 12])
def test_backoff_is_bounded_jittered_and_honours_retry_after(attempt):
    delays = [backoff_delay(attempt, None) for _ in range(200)]
    assert all(0 <= d <= min(30.0, 0.5 * 2 ** (attempt - 1)) for d in delays)
    assert len(set(delays)) > 100  # full jitter, not a fixed schedule
    assert all(backoff_delay(attempt, 3.0) >= 3.0 for _ in range(50))
    assert backoff_delay(attempt, 10_000.0) == 120.0
