"""The simulator's resource limits: what it holds while running, and what a client's mistake costs it.

- Lifecycle: ``Client.simulated(**options)`` starts a simulator of the client's own and stops it when the client
  is closed or dropped; without options every client shares one. Measured as file descriptors and threads.
- Request size: each provider's own limit and answer (413, or Gemini's 400), decided from Content-Length before
  the body is read, or while reading a chunked one, never by buffering the whole body.
- Client mistakes never get a 500: a bad query parameter on the control endpoints is a 400.
"""

from __future__ import annotations

import gc
import json
import os
import threading
from collections.abc import Iterator

import httpx
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


# ---------------------------------------------------------------- request size
HEAD = b'{"model":"%s","messages":[{"role":"user","content":"'
TAIL = b'"}]}'
TOO_LARGE = {  # dialect: (model, status, what the answer says)
    "openai": ("gpt-4.1-mini", 413, "<title>413 Request Entity Too Large</title>"),
    "anthropic": ("claude-haiku-4-5", 413,
                  '{"error":{"type":"request_too_large","message":"Request exceeds the maximum size"}}'),
    "gemini": ("gemini-3-flash-preview", 400, "Request payload size exceeds the limit: 100000000 bytes."),
    "xai": ("grok-3-mini", 413, '"error":"Request Entity Too Large"'),
    "deepseek": ("deepseek-flash", 413, "<center>openresty</center>"),
    "openrouter": ("openai/gpt-4.1-mini", 413, '"error":{"message":"Request payload too large","code":413}'),
}


def _padded(model: str, filler: int, piece: int = 1 << 20) -> Iterator[bytes]:
    """A chat body with ``filler`` bytes of text, produced piece by piece (the test never holds it whole)."""
    yield HEAD % model.encode()
    for start in range(0, filler, piece):
        yield b"a" * min(piece, filler - start)
    yield TAIL


def _post(sim, dialect: str, content: Iterator[bytes], length: int | None = None) -> httpx.Response:
    headers = {"Authorization": "Bearer sk-test", "Content-Type": "application/json"}
    if length is not None:
        headers["Content-Length"] = str(length)
    return httpx.post(f"{sim.base_url(dialect)}/chat/completions", content=content, headers=headers, timeout=60)


@pytest.mark.parametrize("dialect", list(TOO_LARGE))
def test_a_body_over_the_providers_limit_is_refused_from_its_content_length(sim, dialect):
    """A 300 MB body answered 500 before (the whole body was buffered, then aiohttp refused it)."""
    from multimodel.sim.dialects import DIALECT_CLASSES

    model, status, says = TOO_LARGE[dialect]
    filler = 300_000_000
    length = len(HEAD % model.encode()) + filler + len(TAIL)
    assert length > DIALECT_CLASSES[dialect].max_request_bytes
    r = _post(sim, dialect, _padded(model, filler), length)
    assert r.status_code == status and says in r.text, (r.status_code, r.text[:200])
    assert sim.requests(1)[-1]["outcome"] == "too_large"


def test_a_chunked_body_is_refused_once_it_passes_the_limit(sim):
    r = _post(sim, "openrouter", _padded("openai/gpt-4.1-mini", 6 * 1024 * 1024))  # no Content-Length: chunked
    assert r.status_code == 413 and r.json()["error"]["code"] == 413
    r = _post(sim, "openrouter", _padded("openai/gpt-4.1-mini", 4 * 1024 * 1024))  # under OpenRouter's 5 MiB
    assert r.status_code == 200
    assert _post(sim, "deepseek", _padded("deepseek-flash", 100)).status_code == 200  # the connection serves on


def test_the_size_answer_comes_before_the_key_is_checked(sim):
    r = httpx.post(f"{sim.base_url('anthropic')}/chat/completions", content=_padded("claude-haiku-4-5", 33_000_000),
                   headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 413  # Cloudflare answers before the API looks for a key


# ---------------------------------------------------------------- control endpoints
@pytest.mark.parametrize("limit", ["abc", "1.5", "ten"])
def test_a_bad_query_parameter_is_a_400(sim, limit):
    r = httpx.get(f"{sim.url}/_sim/requests", params={"limit": limit})
    assert r.status_code == 400 and "limit must be an integer" in r.json()["error"]
    assert httpx.get(f"{sim.url}/_sim/requests", params={"limit": "2"}).status_code == 200


def test_an_oversized_control_payload_is_a_413_not_a_500(sim):
    r = httpx.post(f"{sim.url}/_sim/faults", content=json.dumps({"faults": {"x": "a" * 2_000_000}}))
    assert r.status_code == 413


# ---------------------------------------------------------------- what the records keep
def test_records_keep_a_bounded_part_of_a_huge_model_name(clean_sim):
    """A 10 MB model name was kept whole in the request record (and the by_model counter) for good."""
    from multimodel.sim.server import MAX_RECORD_CHARS

    name = "m" * 10_000_000
    r = httpx.post(f"{clean_sim.base_url('openai')}/chat/completions", json={"model": name, "messages": [
        {"role": "user", "content": "hi"}]}, headers={"Authorization": "Bearer sk-test"}, timeout=60)
    assert r.status_code == 404  # OpenAI's model_not_found
    kept = clean_sim.requests(1)[-1]["model"]
    assert len(kept) < MAX_RECORD_CHARS + 30 and kept.startswith("m" * MAX_RECORD_CHARS) and "(+9999800 chars)" in kept
    assert list(clean_sim.stats()["by_model"]) == [kept]


def test_the_number_of_records_is_capped(monkeypatch):
    import multimodel.sim.server as server

    monkeypatch.setattr(server, "MAX_RECORDS", 5)
    with msim.start(latency_scale=0) as sim:
        for i in range(8):
            httpx.post(f"{sim.base_url('xai')}/chat/completions", json={"model": f"nope-{i}", "messages": [
                {"role": "user", "content": "hi"}]}, headers={"Authorization": "Bearer sk-test"})
        kept = sim.requests()
        assert [r["model"] for r in kept] == [f"nope-{i}" for i in range(3, 8)]  # the latest five
        assert sim.stats()["received"] == 8
