"""Backoff bounds (pacing and learning from responses: tests/test_pacing.py)."""

from __future__ import annotations

import pytest

from multimodel.runner import backoff_delay


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 12])
def test_backoff_is_bounded_jittered_and_honours_retry_after(attempt):
    delays = [backoff_delay(attempt, None) for _ in range(200)]
    assert all(0 <= d <= min(30.0, 0.5 * 2 ** (attempt - 1)) for d in delays)
    assert len(set(delays)) > 100  # full jitter, not a fixed schedule
    assert all(backoff_delay(attempt, 3.0) >= 3.0 for _ in range(50))
    assert backoff_delay(attempt, 10_000.0) == 120.0
