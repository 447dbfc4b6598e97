"""Batch runs when things go wrong around them: the Batch API calls themselves failing (a create whose answer is
lost after the provider made the batch, polls and downloads answered 5xx, 429 or 404), a process killed or
interrupted mid-run, a re-run that is not the same call, results that lack lines, rows past the budget. The rule
each test holds: a batch the provider made is found and collected, never paid twice, and a row is re-sent only
when the provider said its line failed (or the batch is gone)."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from typing import Any

import pandas as pd
import pytest

import multimodel as mm
from multimodel.batch_plan import split_modes
from tests.test_evaluate_batch import (
    KILL_SCRIPT,
    ROOT,
    client,
    kill_after_submission,
    quiet_evaluate,
    sim_process,
    sim_stats,
)


# ---------------------------------------------------------------------- failures of the Batch API calls themselves
class FlakyBatchCalls:
    """Wraps a client's transport: ``rule(method, url, n)`` (n: the how-many-th call of that method whose URL
    matched ``pattern``) returns None (pass through), an HTTP status to answer instead, "timeout"/"reset" to raise
    below HTTP, or ("after", kind) to send the call through first (the provider acts on it) and then lose the
    answer. ``delay_s`` holds each matching call back that long first."""

    def __init__(self, inner: Any, pattern: str, rule: Any, delay_s: float = 0.0, on_delay: Any = None) -> None:
        self.inner, self.pattern, self.rule, self.delay_s, self.on_delay = inner, pattern, rule, delay_s, on_delay
        self.counts: dict[str, int] = {}
        self.times: list[float] = []

    async def _call(self, method: str, url: str, send: Any) -> Any:
        import asyncio

        from multimodel.transport import ReplayTransport, Reply, TransportError

        if not re.search(self.pattern, url):
            return await send()
        n = self.counts[method] = self.counts.get(method, 0) + 1
        self.times.append(time.monotonic())
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
            if self.on_delay is not None:
                self.on_delay()
        what = self.rule(method, url, n)
        if what is None:
            return await send()
        if isinstance(what, tuple):  # the provider got the call; its answer is lost
            resp = await send()
            await resp.read()
            resp.close()
            what = what[1]
        if what in ("timeout", "reset"):
            raise TransportError("timeout" if what == "timeout" else "connection", f"{method} {url}: injected {what}")
        status, headers = (what, {"retry-after": "1"}) if what == 429 else (what, {})
        body = json.dumps({"error": {"message": f"injected {status}", "type": "server_error"}}).encode()
        return await ReplayTransport(lambda *_: Reply(status, headers, body)).get(url, {}, 10)

    async def post(self, url: str, headers: Any, payload: bytes, timeout: Any) -> Any:
        return await self._call("POST", url, lambda: self.inner.post(url, headers, payload, timeout))

    async def get(self, url: str, headers: Any, timeout: Any) -> Any:
        return await self._call("GET", url, lambda: self.inner.get(url, headers, timeout))

    async def delete(self, url: str, headers: Any, timeout: Any) -> Any:
        return await self.inner.delete(url, headers, timeout)


def flaky(c: mm.Client, pattern: str, rule: Any, **kw: Any) -> FlakyBatchCalls:
    c.runner.transport = FlakyBatchCalls(c.runner.transport, pattern, rule, **kw)
    return c.runner.transport


CREATE, POLL, CONTENT = r"/batches$", r"/batches/[^/]+$", r"/files/[^/]+/content$"
ONE = ["openai/gpt-4.1-mini"]


@pytest.fixture
def fast_polls(monkeypatch):
    import multimodel.batch_runs as br

    monkeypatch.setattr(br, "POLL_FIRST_S", 0.05)
    monkeypatch.setattr(br, "POLL_MAX_S", 0.1)
    monkeypatch.setattr(br, "RECORD_RETRY_S", (0.01, 0.01))
    monkeypatch.setattr(br, "FIND_WAITS_S", (0.0, 0.05))
    monkeypatch.setattr(br, "MISSING_RETRY_S", 0.05)
    return br


def test_claims_are_renewed_while_a_slow_submission_runs(tmp_path):
    """A create slower than the lease: another owner that tries the rows meanwhile finds them held, so it cannot
    submit them too (before, the run renewed its claims only once every batch was submitted)."""
    path = tmp_path / "c.sqlite"
    seen: list[str] = []
    with client(cache=str(path), batch_s=0.3) as c:
        def intrude() -> None:
            with sqlite3.connect(path) as conn:
                keys = [k for (k,) in conn.execute("SELECT key FROM claims")]
            seen.extend(c.runner.cache.claim(key, "otherhost:1:intruder", 30.0).status for key in keys)

        flaky(c, CREATE, lambda *_: None, delay_s=1.5, on_delay=intrude)
        ev, _ = quiet_evaluate(c, [f"Lease question {i}" for i in range(12)], ONE, mode="batch", max_tokens=16,
                               claim_lease_s=0.3)
        stats = c.sim.stats()
    assert len(seen) == 12 and set(seen) == {"held"}, seen  # 1.5 s after the claims, past five leases
    assert ev.df["error_kind"].isna().all() and stats["by_api"] == {"batch": 12}


@pytest.mark.parametrize("choice", ["error", "live"])
def test_create_that_times_out_after_the_provider_created_the_batch_is_found_by_its_tag_and_collected(choice, tmp_path):
    """The create's answer is lost after the provider made the batch: the run finds it in the provider's list by the
    tag its create carried (metadata mm_tag), records it in the intent's place and collects it: one batch, paid once,
    every row answered, nothing live."""
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        calls = flaky(c, CREATE, lambda method, url, n: ("after", "timeout") if method == "POST" else None)
        ev, _ = quiet_evaluate(c, [f"Ambiguous question {i}" for i in range(10)], ONE, mode="batch", max_tokens=16,
                               on_batch_failure=choice)
        stats = c.sim.stats()
        recorded = c.batches(ev.run_id)
    assert calls.counts["POST"] == 1  # one create, never repeated
    assert stats["batches"]["batches"] == 1 and stats["by_api"] == {"batch": 10}
    df = ev.df
    assert df["error_kind"].isna().all() and (df["mode"] == "batch").all()
    assert set(df["batch_id"]) == set(recorded["batch_id"]) and len(recorded) == 1  # the intent replaced
    assert recorded["collected"].notna().all() and "creating" not in set(recorded["state"])


def test_a_lost_create_the_list_cannot_settle_is_never_resent_and_a_rerun_finds_the_batch(tmp_path, fast_polls):
    """The create's answer is lost and the provider's list cannot be read either: the rows are error rows
    (batch_may_exist), not sent live, and the intent stays recorded; the same call later looks again, finds the
    batch, and collects it without creating another."""
    prompts = [f"Unsettled question {i}" for i in range(6)]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        inner = c.runner.transport
        flaky(c, r"/batches(\?.*)?$", lambda method, url, n: ("after", "reset") if method == "POST" else 503)
        ev, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16, on_batch_failure="live")
        assert c.sim.stats()["by_api"].get("chat") is None  # not re-sent live
        df = ev.df
        assert (df["error_kind"] == "connection").all() and (df["error_provider_code"] == "batch_may_exist").all()
        assert df["error_message"].str.contains("could not be read").all()
        assert list(c.batches(ev.run_id)["state"]) == ["creating"]
        c.runner.transport = inner  # the list is readable again
        again, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16, on_batch_failure="live")
        stats = c.sim.stats()
        recorded = c.batches(ev.run_id)
    assert again.df["error_kind"].isna().all() and (again.df["mode"] == "batch").all()
    assert stats["batches"]["batches"] == 1 and stats["by_api"] == {"batch": 6}
    assert len(recorded) == 1 and recorded["state"].iloc[0] != "creating" and recorded["collected"].notna().all()


def test_an_intent_whose_create_never_reached_the_provider_is_dropped_and_the_rows_submitted(tmp_path, fast_polls):
    """A create that failed before the provider saw it (the list shows no batch with its tag): the re-run submits
    the rows once, and the stale intent is gone."""
    prompts = [f"Never created {i}" for i in range(4)]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        inner = c.runner.transport
        flaky(c, r"/batches(\?.*)?$", lambda method, url, n: "reset" if method == "POST" else 503)
        ev, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16)
        assert (ev.df["error_provider_code"] == "batch_may_exist").all() and c.sim.stats()["batches"]["batches"] == 0
        c.runner.transport = inner
        again, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16)
        stats = c.sim.stats()
        recorded = c.batches(ev.run_id)
    assert again.df["error_kind"].isna().all() and stats["batches"]["batches"] == 1
    assert len(recorded) == 1 and recorded["state"].iloc[0] != "creating"


@pytest.mark.parametrize("model", ["anthropic-messages/claude-haiku-4-5", "gemini/gemini-3-flash-preview"])
def test_a_create_answered_5xx_after_accepting_is_found_by_time_and_size_where_no_tag_comes_back(model, tmp_path):
    """Message Batches take no metadata, and Gemini's compatibility layer is not known to return it: the batch is
    found by its creation time and its request count."""
    provider = model.split("/")[0].split("-")[0]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        c.sim.set_batch_faults({"create_5xx_after_accept": 1}, provider=provider)
        ev, _ = quiet_evaluate(c, [f"Lost create {i}" for i in range(7)], [model], mode="batch", max_tokens=16)
        stats = c.sim.stats()
    assert stats["batches"]["batches"] == 1 and stats["by_api"] == {"batch": 7}
    assert ev.df["error_kind"].isna().all() and (ev.df["mode"] == "batch").all()


def test_two_same_size_batches_one_create_lost_the_other_recorded_is_told_apart(tmp_path, fast_polls):
    """Two models, the same prompts: two Message Batches of one size in the same second. The one whose create
    answered 500 is found by time and size once the other's record excludes it, not left ambiguous."""
    models = ["anthropic-messages/claude-haiku-4-5", "anthropic-messages/claude-sonnet-4-6"]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.5) as c:
        c.sim.set_batch_faults({"create_5xx_after_accept": 1}, provider="anthropic")
        ev, _ = quiet_evaluate(c, [f"Twin {i}" for i in range(5)], models, mode="batch", max_tokens=16)
        stats = c.sim.stats()
        recorded = c.batches(ev.run_id)
    assert stats["batches"]["batches"] == 2 and stats["by_api"] == {"batch": 10}
    assert ev.df["error_kind"].isna().all() and len(recorded) == 2 and recorded["batch_id"].nunique() == 2
    assert ev.df.groupby("model")["batch_id"].nunique().to_dict() == dict.fromkeys(models, 1)


def test_a_failure_of_multimodel_while_submitting_leaves_error_rows_not_a_stack_trace(monkeypatch, tmp_path):
    from multimodel.batchapi.openai_files import OpenAIFilesProtocol

    async def broken(self: Any, *args: Any, **kw: Any) -> Any:
        raise KeyError("request_counts")

    monkeypatch.setattr(OpenAIFilesProtocol, "submit", broken)
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        ev, _ = quiet_evaluate(c, ["s1", "s2"], ["openai/gpt-4.1-mini", "deepseek/deepseek-flash"], mode="batch",
                               max_tokens=8, on_batch_failure="live")
        stats = c.sim.stats()
        recorded = c.batches(ev.run_id)
    gpt = ev.df[ev.df["model"] == "openai/gpt-4.1-mini"]
    assert (gpt["error_kind"] == "internal").all() and (gpt["error_provider_code"] == "batch_may_exist").all()
    assert ev.df.loc[ev.df["model"] == "deepseek/deepseek-flash", "error_kind"].isna().all()  # the live rows kept
    assert stats["by_api"] == {"chat": 2} and list(recorded["state"]) == ["creating"]  # looked for by a re-run


def test_deadline_s_ends_the_wait_for_rows_another_process_holds(tmp_path):
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        from multimodel.batch import plan

        _, slots, _ = plan(c.requests, ["h1", "h2"], ONE, repeats=1, routes=None, fallbacks=None,
                           params={"max_tokens": 8})
        for slot in slots:  # a live process elsewhere holds both rows for an hour
            assert c.runner.cache.claim(slot.req.cache_key, "otherhost:1:other", 3600.0).status == "mine"
        t0 = time.monotonic()
        ev, _ = quiet_evaluate(c, ["h1", "h2"], ONE, mode="batch", max_tokens=8, deadline_s=1.0)
        wall = time.monotonic() - t0
        stats = c.sim.stats()
    assert wall < 10 and (ev.df["error_kind"] == "deadline").all()
    assert stats["batches"]["batches"] == 0 and "chat" not in stats["by_api"]


def test_with_a_budget_running_the_same_call_again_gets_further(tmp_path):
    from multimodel.batch import plan
    from multimodel.batch_plan import estimate_batch_cost

    prompts = [f"Budget again {i}" for i in range(10)]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        _, slots, _ = plan(c.requests, prompts, ONE, repeats=1, routes=None, fallbacks=None,
                           params={"max_tokens": 64})
        budget = estimate_batch_cost(split_modes(slots, "batch").batch[:4])[0]
        runs = [quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=64, budget_usd=budget,
                               budget_override=True)[0] for _ in range(3)]
        stats = c.sim.stats()
    assert [int(r.df["error_kind"].isna().sum()) for r in runs] == [4, 8, 10]  # rows in the cache cost nothing
    assert stats["by_api"] == {"batch": 10} and stats["batches"]["batches"] == 3


def test_create_refused_with_a_4xx_is_still_resent_live_when_asked():
    with client(batch_s=0.3) as c:
        flaky(c, CREATE, lambda *_: 400)
        ev, _ = quiet_evaluate(c, [f"Refused question {i}" for i in range(6)], ONE, mode="batch", max_tokens=16,
                               on_batch_failure="live")
        stats = c.sim.stats()
    assert stats["batches"]["batches"] == 0 and stats["by_api"] == {"chat": 6}
    assert ev.df["error_kind"].isna().all() and (ev.df["mode"] == "live").all()


def test_an_interrupt_during_the_create_still_records_the_batch(tmp_path, fast_polls):
    from multimodel.batch import plan

    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        flaky(c, CREATE, lambda *_: None, delay_s=1.0)
        _, slots, _ = plan(c.requests, ["a", "b", "c"], ONE, repeats=1, routes=None, fallbacks=None,
                           params={"max_tokens": 8})
        handle = fast_polls.BatchHandle(c.runner, split_modes(slots, "batch").batch, "intr", 30.0)
        time.sleep(0.4)  # the create is in flight
        answered, failed, interrupted = handle.abandon()
        recorded = c.batches("intr")
        stats = c.sim.stats()
    assert interrupted and not answered and not failed
    assert stats["batches"]["batches"] == 1 and len(recorded) == 1  # created, and recorded despite the cancel
    assert recorded["requests"].iloc[0] == 3 and recorded["collected"].isna().all()


def test_a_batch_record_the_cache_refuses_is_written_again_or_named_in_a_warning(tmp_path, fast_polls, monkeypatch):
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        real = c.runner.cache.add_batch
        tries: list[int] = []

        def locked_twice(run_id: str, job: dict, state: str = "submitted") -> bool:
            if state == "creating":  # the intent before the create: written at once
                return real(run_id, job, state)
            tries.append(1)
            return real(run_id, job, state) and len(tries) > 2

        monkeypatch.setattr(c.runner.cache, "add_batch", locked_twice)
        ev, texts = quiet_evaluate(c, ["r1", "r2"], ONE, mode="batch", max_tokens=8)
        assert len(tries) == 3 and ev.df["error_kind"].isna().all()
        assert not [t for t in texts if "could not be written" in t]
        monkeypatch.setattr(c.runner.cache, "add_batch",
                            lambda run_id, job, state="submitted": state == "creating" and real(run_id, job, state))
        ev, texts = quiet_evaluate(c, ["r3", "r4"], ONE, mode="batch", max_tokens=8)
    warned = [t for t in texts if "could not be written to the cache" in t]
    assert len(warned) == 1 and ev.df["batch_id"].iloc[0] in warned[0]  # it names the batch to cancel
    assert ev.df["error_kind"].isna().all()  # the batch still runs and is collected


def test_results_download_reset_once_is_retried_and_every_row_collected(fast_polls):
    with client(batch_s=0.3) as c:
        calls = flaky(c, CONTENT, lambda method, url, n: "reset" if n == 1 else None)
        ev, _ = quiet_evaluate(c, [f"Download question {i}" for i in range(30)], ONE, mode="batch", max_tokens=16,
                               on_batch_failure="live")
        stats = c.sim.stats()
    assert calls.counts["GET"] >= 2
    assert ev.df["error_kind"].isna().all() and (ev.df["mode"] == "batch").all()
    assert stats["by_api"] == {"batch": 30}  # nothing re-sent live


def test_results_that_cannot_be_downloaded_end_as_errors_not_resent_and_a_rerun_collects_them(tmp_path, fast_polls):
    prompts = [f"Unreadable question {i}" for i in range(8)]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        inner = c.runner.transport
        calls = flaky(c, CONTENT, lambda *_: 503)
        ev, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16, on_batch_failure="live")
        assert calls.counts["GET"] == fast_polls.COLLECT_TRIES
        assert "chat" not in c.sim.stats()["by_api"]
        df = ev.df
        assert (df["error_kind"] == "server").all() and (df["error_provider_code"] == "batch_uncollected").all()
        assert df["error_message"].str.contains("run the same call again").all()
        assert c.batches(ev.run_id)["collected"].isna().all()
        c.runner.transport = inner  # the provider recovers: the same call collects the same batch
        again, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16, on_batch_failure="live")
        stats = c.sim.stats()
    assert again.df["error_kind"].isna().all() and stats["batches"]["batches"] == 1
    assert stats["by_api"] == {"batch": 8} and c.batches(ev.run_id)["collected"].notna().all()


def test_polls_answered_500_forever_end_as_error_rows_within_the_bound(fast_polls, monkeypatch):
    monkeypatch.setattr(fast_polls, "POLL_RETRY_GIVE_UP", 6)
    with client(batch_s=0.3) as c:
        calls = flaky(c, POLL, lambda *_: 500)
        t0 = time.monotonic()
        ev, _ = quiet_evaluate(c, ["p1", "p2", "p3"], ONE, mode="batch", max_tokens=8, on_batch_failure="live")
        wall = time.monotonic() - t0
        stats = c.sim.stats()
    assert calls.counts["GET"] == 6 and wall < 10
    assert (ev.df["error_kind"] == "server").all() and (ev.df["error_provider_code"] == "batch_uncollected").all()
    assert "chat" not in stats["by_api"]


def test_a_poll_answered_429_waits_out_its_retry_after(fast_polls):
    with client(batch_s=0.3) as c:
        calls = flaky(c, POLL, lambda method, url, n: 429 if n == 1 else None)
        ev, _ = quiet_evaluate(c, ["q1", "q2"], ONE, mode="batch", max_tokens=8)
    assert ev.df["error_kind"].isna().all()
    assert calls.times[1] - calls.times[0] >= 0.95  # retry-after: 1, not the 0.05 s backoff


def test_a_batch_that_never_ends_stops_at_the_deadline_and_stays_recorded(tmp_path, fast_polls):
    from multimodel.batch import plan

    with client(cache=str(tmp_path / "c.sqlite"), batch_s=3600) as c:
        _, slots, _ = plan(c.requests, ["d1", "d2"], ONE, repeats=1, routes=None, fallbacks=None,
                           params={"max_tokens": 8})
        t0 = time.monotonic()
        handle = fast_polls.BatchHandle(c.runner, split_modes(slots, "batch").batch, "late", 30.0,
                                        deadline=t0 + 1.0)
        answered, failed, interrupted = handle.wait(False, "t")
        wall = time.monotonic() - t0
        recorded = c.batches("late")
    assert wall < 5 and not interrupted and not failed  # not re-sent live: the batch runs (and is paid)
    assert {r.error.kind for r in answered.values()} == {"deadline"} and len(answered) == 2
    assert len(recorded) == 1 and recorded["collected"].isna().all()


# ---------------------------------------------------------------------- batches gone, incomplete, or unreadable
@pytest.mark.parametrize("choice", ["error", "live"])
def test_a_batch_the_provider_no_longer_knows_is_closed_as_lost_and_a_rerun_sends_its_rows(choice, tmp_path,
                                                                                           fast_polls, monkeypatch):
    """404 on every poll for LOST_AFTER_S: the record is closed as lost; its rows are error rows, not re-sent live
    (the batch may yet be paid), and the same call run again submits them in a new batch."""
    monkeypatch.setattr(fast_polls, "LOST_AFTER_S", 0.3)
    prompts = [f"Lost batch {i}" for i in range(5)]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        inner = c.runner.transport
        flaky(c, POLL, lambda *_: 404)
        ev, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16, on_batch_failure=choice)
        recorded = c.batches(ev.run_id)
        assert list(recorded["state"]) == ["lost"] and recorded["collected"].notna().all()
        assert (ev.df["error_provider_code"] == "batch_lost").all() and (ev.df["error_kind"] == "batch_failed").all()
        assert "chat" not in c.sim.stats()["by_api"]
        c.runner.transport = inner
        again, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16)
        stats = c.sim.stats()
    assert stats["batches"]["batches"] == 2 and again.df["error_kind"].isna().all()
    assert (again.df["mode"] == "batch").all() and stats["by_api"] == {"batch": 10}


def test_a_404_right_after_the_create_is_waited_out_not_taken_for_a_lost_batch(fast_polls):
    """Anthropic answers 404 on a retrieve just after the create for batches that then complete
    (anthropic-sdk-python#1432): the first polls' 404s are waited out and the batch is collected."""
    with client(batch_s=0.3) as c:
        calls = flaky(c, POLL, lambda method, url, n: 404 if n <= 6 else None)
        ev, _ = quiet_evaluate(c, [f"Early 404 {i}" for i in range(4)], ONE, mode="batch", max_tokens=16,
                               on_batch_failure="live")
        stats = c.sim.stats()
    assert calls.counts["GET"] > 6 and ev.df["error_kind"].isna().all() and (ev.df["mode"] == "batch").all()
    assert stats["by_api"] == {"batch": 4} and stats["batches"]["batches"] == 1


def test_lines_missing_from_a_completed_batch_wait_for_a_rerun_then_the_batch_is_closed(tmp_path, fast_polls):
    """Missing lines are error rows that are not re-sent, and the batch stays open; a re-run reads it again, and
    when the lines are still missing it closes the batch, so the run after sends those rows again."""
    prompts = [f"Missing line {i}" for i in range(20)]
    with client(cache=str(tmp_path / "c.sqlite"), batch_s=0.3) as c:
        c.sim.set_batch_faults({"drop_lines": 2}, provider="openai")
        ev, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16, on_batch_failure="live")
        stats = c.sim.stats()
        assert c.batches(ev.run_id)["collected"].isna().all()  # a re-run reads the batch again
        errors = ev.df[ev.df["error_kind"].notna()]
        assert len(errors) == 2 and (errors["error_provider_code"] == "batch_line_missing").all()
        assert (errors["mode"] == "batch").all() and "chat" not in stats["by_api"]  # not paid again live
        assert ev.df["error_kind"].isna().sum() == 18
        second, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16)
        assert c.batches(ev.run_id)["collected"].notna().all()  # read twice without them: closed
        assert second.df["error_message"].dropna().str.contains("batch is closed").all()
        assert second.df["error_kind"].notna().sum() == 2 and c.sim.stats()["batches"]["batches"] == 1
        c.sim.set_batch_faults(None, provider="openai")
        third, _ = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=16)
        stats = c.sim.stats()
    assert third.df["error_kind"].isna().all() and stats["batches"]["batches"] == 2
    assert stats["by_api"] == {"batch": 22}  # the 2 missing rows, once more, in a batch of their own


def test_an_unexpected_failure_while_following_one_batch_leaves_the_others_collected(monkeypatch, fast_polls):
    from multimodel.batchapi.anthropic import AnthropicBatchProtocol

    async def broken(self: Any, *args: Any, **kw: Any) -> Any:
        raise AttributeError("'list' object has no attribute 'get'")

    monkeypatch.setattr(AnthropicBatchProtocol, "collect", broken)
    with client(batch_s=0.3) as c:
        ev, _ = quiet_evaluate(c, ["u1", "u2", "u3"], ["openai/gpt-4.1-mini", "anthropic-messages/claude-haiku-4-5"],
                               mode="batch", max_tokens=8, on_batch_failure="live")
        stats = c.sim.stats()
    df = ev.df
    claude = df[df["model"] == "anthropic-messages/claude-haiku-4-5"]
    assert df.loc[df["model"] == "openai/gpt-4.1-mini", "error_kind"].isna().all()
    assert (claude["error_kind"] == "internal").all() and (claude["error_provider_code"] == "batch_uncollected").all()
    assert claude["error_message"].str.contains("AttributeError").all()
    assert stats["by_api"] == {"batch": 6}  # an unread batch is never re-sent live


# ---------------------------------------------------------------------- what is planned before anything is sent
def test_a_request_bigger_than_a_batch_runs_live_with_a_note_before_anything_is_sent(monkeypatch):
    from multimodel.batchapi.base import ENVELOPE_BYTES, BatchLimits
    from multimodel.batchapi.openai_files import OpenAIFilesProtocol

    limits = dict(OpenAIFilesProtocol.limits)
    limits["openai"] = BatchLimits(50_000, ENVELOPE_BYTES + 3_000, "a test's small batch")
    monkeypatch.setattr(OpenAIFilesProtocol, "limits", limits)
    prompts = ["small one", "small two", "big " + "x" * 5_000]
    with client(batch_s=0.3) as c:
        ev, said = quiet_evaluate(c, prompts, ONE, mode="batch", max_tokens=8)
        stats = c.sim.stats()
    modes = dict(zip(ev.df["prompt_index"], ev.df["mode"], strict=True))
    assert modes == {0: "batch", 1: "batch", 2: "live"} and ev.df["error_kind"].isna().all()
    assert stats["by_api"] == {"batch": 2, "chat": 1}
    assert any("1 row(s) of openai/gpt-4.1-mini run live: one request is" in s and "bytes" in s for s in said)


def test_anthropic_chat_rows_in_batch_mode_say_how_to_batch_them():
    with client(batch_s=0.3) as c:
        ev, said = quiet_evaluate(c, ["n1", "n2"], ["anthropic/claude-haiku-4-5"], mode="batch", max_tokens=8)
    assert (ev.df["mode"] == "live").all()
    assert any("use anthropic-messages/claude-haiku-4-5 to batch them" in s for s in said)


def test_budget_override_submits_only_the_batch_rows_the_budget_covers(fast_polls):
    from multimodel.batch import plan
    from multimodel.batch_plan import estimate_batch_cost

    prompts = [f"Budgeted batch {i}" for i in range(10)]
    models = ["openai/gpt-4.1-mini", "deepseek/deepseek-flash"]
    with client(batch_s=0.3) as c:
        _, slots, _ = plan(c.requests, prompts, models, repeats=1, routes=None, fallbacks=None,
                           params={"max_tokens": 64})
        batch = split_modes(slots, "batch").batch
        budget = estimate_batch_cost(batch[:4])[0]  # four batch rows fit; the fifth does not, nor any live row
        ev, _ = quiet_evaluate(c, prompts, models, mode="batch", max_tokens=64, budget_usd=budget,
                               budget_override=True)
        stats = c.sim.stats()
    df = ev.df
    gpt, deepseek = df[df["model"] == models[0]], df[df["model"] == models[1]]
    assert gpt["error_kind"].isna().sum() == 4 and (gpt["error_kind"] == "budget").sum() == 6
    assert (deepseek["error_kind"] == "budget").all()
    assert stats["by_api"] == {"batch": 4} and df["cost_usd"].sum() <= budget


def test_kill_minus_nine_then_a_rerun_with_one_more_prompt_collects_the_recorded_batches(tmp_path):
    """A re-run that is not the same call (one more prompt: another run id) still picks up the batches the killed
    run recorded, by their rows, and submits only the new prompt's rows."""
    script, cache, out = tmp_path / "run.py", tmp_path / "cache.sqlite", tmp_path / "out.json"
    script.write_text(KILL_SCRIPT)
    with sim_process(4) as url:
        kill_after_submission(script, url, cache, out, "300")
        assert sim_stats(url)["batches"]["batches"] == 2
        subprocess.run([sys.executable, str(script), url, str(cache), str(out), "301"], cwd=ROOT, check=True,
                       timeout=120)
        after = sim_stats(url)
    rows = pd.DataFrame(json.loads(out.read_text()))
    assert len(rows) == 602 and not rows.duplicated(["qid", "model"]).any() and rows["error_kind"].isna().all()
    assert after["by_api"] == {"batch": 602}  # 600 lines of the killed run's batches, 2 for the new prompt
    assert after["batches"]["batches"] == 4
    assert rows.loc[rows["qid"] < 300, "batch_id"].nunique() == 2
