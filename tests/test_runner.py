"""Backoff bounds (pacing and learning from responses: tests/test_pacing.py), and fallbacks: a row keeps the model
as requested in ``model`` and names the one that answered in ``answered_by``."""

from __future__ import annotations

import orjson
import pytest

from multimodel import exchange
from multimodel.config import build_provider
from multimodel.request import RequestPreparer
from multimodel.runner import Runner, backoff_delay
from multimodel.store import ResultCache
from multimodel.transport import ReplayTransport, Reply, run_sync


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 12])
def test_backoff_is_bounded_jittered_and_honours_retry_after(attempt):
    delays = [backoff_delay(attempt, None) for _ in range(200)]
    assert all(0 <= d <= min(30.0, 0.5 * 2 ** (attempt - 1)) for d in delays)
    assert len(set(delays)) > 100  # full jitter, not a fixed schedule
    assert all(backoff_delay(attempt, 3.0) >= 3.0 for _ in range(50))
    assert backoff_delay(attempt, 10_000.0) == 120.0


# ---------------------------------------------------------------------------------- fallbacks: who answered
JSON = {"content-type": "application/json"}


def answering(url, headers, payload):
    """A provider that knows one model, "good" (reporting itself as "good-2026"), and rejects the others with a 404
    (not retryable: the chain moves on at once)."""
    model = orjson.loads(payload)["model"]
    if model != "good":
        return Reply(404, JSON, orjson.dumps({"error": {"message": f"The model `{model}` does not exist",
                                                        "code": "model_not_found"}}))
    return Reply(200, JSON, orjson.dumps({"model": "good-2026", "choices": [{"index": 0, "message": {
        "content": "from good"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}))


@pytest.fixture
def preparer():
    return RequestPreparer({"p": build_provider("p", {"base_url": "http://127.0.0.1:9/v1", "api_key": "k" * 12})})


def chain(runner, preparer, *models, prompt="hi"):
    first, *rest = (preparer.prepare(m, prompt, retries=0) for m in models)
    return run_sync(runner.execute_with_fallbacks(first, rest))


def test_a_fallbacks_answer_keeps_the_model_as_requested(preparer):
    sent = []
    runner = Runner(preparer.providers, None, ReplayTransport(lambda u, h, p: sent.append(p) or answering(u, h, p)))
    r = chain(runner, preparer, "p/retired", "p/good")
    assert (r.error, r.content) == (None, "from good")
    assert (r.model, r.answered_by, r.response_model) == ("p/retired", "p/good", "good-2026")
    assert r.attempts == 2 and len(sent) == 2
    row = r.to_dict()
    assert (row["model"], row["answered_by"]) == ("p/retired", "p/good") and "fallback_from" not in row


def test_without_a_fallback_the_model_answered_itself(preparer):
    sent = []
    runner = Runner(preparer.providers, None, ReplayTransport(lambda u, h, p: sent.append(p) or answering(u, h, p)))
    r = chain(runner, preparer, "p/good", "p/other")
    assert (r.model, r.answered_by, r.response_model, len(sent)) == ("p/good", "p/good", "good-2026", 1)
    plain = run_sync(runner.execute(preparer.prepare("p/good", "no chain")))
    assert plain.answered_by == plain.model == "p/good"


def test_a_chain_that_fails_everywhere_names_the_last_model_tried(preparer):
    runner = Runner(preparer.providers, None, ReplayTransport(answering))
    r = chain(runner, preparer, "p/retired", "p/gone", "p/missing")
    assert r.error.kind == "not_found" and "`missing`" in r.error.message
    assert (r.model, r.answered_by, r.attempts) == ("p/retired", "p/missing", 3)


def test_a_row_never_sent_is_attributed_to_its_model(preparer):
    r = exchange.unsent(preparer.prepare("p/good", "hi"), "deadline", "not sent: the deadline passed")
    assert (r.model, r.answered_by, r.error.kind) == ("p/good", "p/good", "deadline")


def test_the_cache_keeps_each_answer_under_the_model_that_gave_it(preparer, tmp_path):
    """The fallback's answer is cached as its own request's (a direct call to it replays it as its own), and the
    chain replayed from the cache is attributed as when it was sent."""
    sent = []
    cache = ResultCache(tmp_path / "c.sqlite")
    try:
        runner = Runner(preparer.providers, cache,
                        ReplayTransport(lambda u, h, p: sent.append(p) or answering(u, h, p)))
        live = chain(runner, preparer, "p/retired", "p/good")
        again = chain(runner, preparer, "p/retired", "p/good")
        assert (live.cached, again.cached) == (False, True)
        assert (again.model, again.answered_by, again.content) == ("p/retired", "p/good", "from good")
        direct = run_sync(runner.execute(preparer.prepare("p/good", "hi", retries=0)))
        assert (direct.cached, direct.model, direct.answered_by) == (True, "p/good", "p/good")
        assert len(sent) == 3  # the live chain's two requests, and the failing primary again (errors are not cached)
    finally:
        cache.close()
