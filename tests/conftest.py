"""Fixtures shared by the simulator's wire tests (used by modules that ask for them)."""

from __future__ import annotations

import pytest

import multimodel.sim as msim


@pytest.fixture(scope="module")
def sim():
    """One simulator per test module, at zero latency."""
    with msim.start(latency_scale=0) as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (tests/chromium.py); the modules that ask for it skip without it."""
    from tests.chromium import launch

    with launch() as b:
        yield b


@pytest.fixture
def clean_sim(sim):
    """Counters, faults and limits reset before each test."""
    sim.reset()
    return sim


def pytest_addoption(parser):
    parser.addoption("--fuzz-full", action="store_true", default=False,
                     help="run tests/test_fuzz.py's property tests with 20x the examples "
                          "(or set MULTIMODEL_FUZZ_EXAMPLES=N for about N examples in all)")


def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: Hypothesis property tests fed through the transport seam")
