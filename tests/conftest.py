"""Fixtures shared by the simulator's wire tests (used by modules that ask for them)."""

from __future__ import annotations

import pytest

import multimodel.sim as msim


@pytest.fixture(scope="module")
def sim():
    """One simulator per test module, at zero latency."""
    with msim.start(latency_scale=0) as s:
        yield s


@pytest.fixture
def clean_sim(sim):
    """Counters, faults and limits reset before each test."""
    sim.reset()
    return sim
