"""The simulator's resource limits: what it holds while running, and what a client's mistake costs it.

- Lifecycle: ``Client.simulated(**options)`` starts a simulator of the client's own and stops it when the client
  is closed or dropped; without options every client shares one. Measured as file descriptors and threads.
"""

from __future__ import annotations

import gc
import os
import threading

import pytest

import multimodel as mm
import multimodel.sim as msim


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# ---------------------------------------------------------------- lifecycle
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_dropped_simulated_clients_release_their_simulators():
    """200 clients with options, each dropped: fds and threads stay bounded (were +1,200 fds and +200 threads)."""
    warm = mm.Client.simulated(seed=-1, latency_scale=0)  # first use opens the I/O loop and its session
    assert warm.complete("deepseek/deepseek-flash", "hi").error is None
    warm.close()
    gc.collect()
    fds0, threads0 = _fds(), threading.active_count()
    most_fds = most_threads = 0
    for i in range(200):
        client = mm.Client.simulated(seed=i, latency_scale=0)
        if i % 20 == 0:  # some of them talk to their simulator over pooled connections
            assert client.complete("deepseek/deepseek-flash", "hi").error is None
        del client
        most_fds, most_threads = max(most_fds, _fds()), max(most_threads, threading.active_count())
    gc.collect()
    assert most_fds <= fds0 + 12 and most_threads <= threads0 + 3, (fds0, most_fds, threads0, most_threads)
    for _ in range(50):  # a stopping simulator's thread finishes on its own loop
        if threading.active_count() <= threads0:
            break
        threading.Event().wait(0.02)
    assert threading.active_count() <= threads0 and _fds() <= fds0 + 2


def test_close_and_with_stop_the_clients_own_simulator():
    with mm.Client.simulated(seed=3, latency_scale=0) as client:
        handle = client.sim
        assert handle.running and handle.owner is client
    assert not handle.running
    other = mm.Client.simulated(latency_scale=0)
    kept = other.sim
    other.close()
    other.close()  # twice is harmless
    assert not kept.running


def test_clients_without_options_share_one_simulator_that_close_leaves_running():
    a, b = mm.Client.simulated(), mm.Client.simulated()
    try:
        assert a.sim is b.sim and a.sim.owner is None
        a.close()
        assert b.sim.running  # others still use it
    finally:
        b.close()


def test_a_simulator_the_user_started_is_what_clients_without_options_use():
    with msim.start(latency_scale=0, seed=9) as mine:
        assert mm.Client.simulated().sim is mine
        owned = mm.Client.simulated(seed=9, latency_scale=0)
        assert owned.sim is not mine and msim.shared() is mine  # a client's own simulator is never shared
        owned.close()


def test_a_bound_simulator_stops_when_its_owner_is_collected():
    class Owner:
        pass

    owner = Owner()
    handle = msim.start(latency_scale=0).bind(owner)
    assert handle.owner is owner
    del owner
    gc.collect()
    handle.stop()  # waits for the thread the collection already told to stop
    assert not handle.running and handle.owner is None
