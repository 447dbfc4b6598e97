"""The Batch API client layer (multimodel/batchapi/) against the simulator over HTTP: submit, poll, collect for
OpenAI, Anthropic, xAI, Gemini and OpenRouter; every line answered once and read exactly as the same request answered
live (non-streamed) on a fresh simulator with the same seed; the batch price; per-line failures, expiry, a refused
batch, cancel; splitting by the limits; keys never on a row; no live chat request."""

from __future__ import annotations

import math
import time
from typing import Any

import httpx
import pytest

import multimodel as mm
from multimodel import pricing
from multimodel.batchapi import BatchLimits, get_protocol, group_lines, protocol_for, split
from multimodel.batchapi.base import EXPIRED, BatchJob, multipart
from multimodel.errors import ConfigError
from multimodel.transport import run_sync

SEED = 7
HTTP = httpx.Client(timeout=30.0)


def client(**sim: Any) -> mm.Client:
    return mm.Client.simulated(seed=SEED, latency_scale=0, batch_s=sim.pop("batch_s", 0.4), **sim)


def run_batch(c: mm.Client, lines: list[tuple[str, Any]], cancel_after: float | None = None):
    """Submit ``lines`` (custom_id, PreparedRequest), poll until ended (cancel after ``cancel_after`` s), collect."""
    cfg = lines[0][1].provider
    proto = protocol_for(cfg)
    assert proto is not None
    job = run_sync(proto.submit(cfg, c.runner.transport, lines))
    seen = []
    if cancel_after is not None:
        time.sleep(cancel_after)
        seen.append(run_sync(proto.cancel(cfg, c.runner.transport, job)))
    end = time.time() + 30
    while time.time() < end:
        seen.append(run_sync(proto.poll(cfg, c.runner.transport, job)))
        if seen[-1].terminal:
            break
        time.sleep(0.05)
    assert seen[-1].terminal and seen[-1].state == "ended"
    rows = run_sync(proto.collect(cfg, c.runner.transport, job, dict(lines)))
    return job, seen, rows


def prepared(c: mm.Client, model: str, n: int, **kw: Any) -> list[tuple[str, Any]]:
    return [(f"q-{i}", c.prepare(model, f"Batch question number {i}: name a colour.", **kw)) for i in range(n)]


def live_rows(model: str, n: int, **kw: Any) -> dict[str, mm.Result]:
    """The same requests answered live, non-streamed, by a fresh simulator with the same seed."""
    with client() as live:
        out = {f"q-{i}": live.complete(model, f"Batch question number {i}: name a colour.", **kw) for i in range(n)}
        assert set(live.sim.stats()["by_api"]) == {"chat" if "messages" not in model else "messages"}
    return out


def assert_same_answer(batch: mm.Result, live: mm.Result) -> None:
    assert live.error is None and batch.error is None, (live.error, batch.error)
    for name in ("content", "reasoning", "finish_reason", "prompt_tokens", "completion_tokens", "reasoning_tokens",
                 "cached_tokens", "response_model", "api"):
        assert getattr(batch, name) == getattr(live, name), name
    assert [(t.name, t.arguments) for t in batch.tool_calls] == [(t.name, t.arguments) for t in live.tool_calls]


def hand_cost(provider: str, model_id: str, r: mm.Result, factor: float) -> float:
    """Live list price of this usage (no cached tokens in these prompts) times the documented batch factor."""
    p = pricing.lookup(provider, model_id)
    assert p is not None and not r.cached_tokens
    return factor * (r.prompt_tokens * p.input_per_m + r.completion_tokens * p.output_per_m) / 1e6


# ---------------------------------------------------------------- OpenAI and Anthropic end to end
@pytest.mark.parametrize(("model", "provider", "model_id", "kw"), [
    ("openai/gpt-4.1-mini", "openai", "gpt-4.1-mini", {}),
    ("anthropic-messages/claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5", {"reasoning": 2048, "max_tokens": 4096}),
])
def test_every_line_answered_once_as_live_at_half_price(model, provider, model_id, kw):
    n = 12
    with client() as c:
        lines = prepared(c, model, n, **kw)
        job, seen, rows = run_batch(c, lines)
        assert set(rows) == {cid for cid, _ in lines} and len(rows) == n
        assert c.sim.stats()["by_api"] == {"batch": n}  # no live chat or messages request at all
        assert c.sim.stats()["received"] == n
    assert seen[-1].succeeded == n and seen[-1].total == n
    live = live_rows(model, n, **kw)
    for cid, r in rows.items():
        assert_same_answer(r, live[cid])
        assert r.mode == "batch" and r.batch_id == job.batch_id and r.custom_id == cid
        assert r.ttft_s is None and r.ttfat_s is None and r.e2e_s is None and r.stream is False
        assert r.batch_wait_s is not None and 0 < r.batch_wait_s < 30
        assert r.cost_source == "batch_price_table" and live[cid].cost_source == "price_table"
        assert r.cost_usd == pytest.approx(hand_cost(provider, model_id, r, 0.5), rel=1e-9)
        assert r.cost_usd == pytest.approx(0.5 * live[cid].cost_usd, rel=1e-9)
    if "reasoning" in kw:
        assert all(r.reasoning for r in rows.values())  # Messages thinking text, as live
    row = next(iter(rows.values())).to_dict()  # the DataFrame's columns
    assert row["mode"] == "batch" and row["batch_id"] == job.batch_id and row["ttft_s"] is None


def test_tool_calls_come_back_as_live():
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    with client() as c:
        lines = [(f"t{i}", c.prepare("openai/gpt-4.1-mini", f"What is the weather in city {i}? Use the tool.",
                                     tools=tools)) for i in range(3)]
        _, _, rows = run_batch(c, lines)
    with client() as live:
        ref = {f"t{i}": live.complete("openai/gpt-4.1-mini", f"What is the weather in city {i}? Use the tool.",
                                      tools=tools) for i in range(3)}
    for cid, r in rows.items():
        assert_same_answer(r, ref[cid])
        assert r.tool_calls and r.finish_reason == "tool_calls"


# ---------------------------------------------------------------- failures
def _files(c: mm.Client, job: BatchJob) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    base = c.sim.base_url("openai")
    h = {"Authorization": "Bearer x"}
    obj = HTTP.get(f"{base}/batches/{job.batch_id}", headers=h).json()
    err = HTTP.get(f"{base}/files/{obj['error_file_id']}/content", headers=h).text.splitlines()
    return obj, [httpx.Response(200, content=x).json() for x in err]


def test_two_percent_failed_lines_are_exactly_the_error_rows_with_their_status():
    with client() as c:
        c.sim.set_batch_faults({"line_4xx": 0.02, "line_5xx": 0.01}, provider="openai")
        lines = prepared(c, "openai/gpt-4.1-mini", 100)
        job, seen, rows = run_batch(c, lines)
        _, err_lines = _files(c, job)
    failed = {x["custom_id"]: x["response"]["status_code"] for x in err_lines}
    assert len(failed) == 3 and sorted(failed.values()) == [400, 400, 500]
    assert all(x["error"] is None for x in err_lines)  # model-level failures: error null, status in response
    errors = {cid: r for cid, r in rows.items() if r.error is not None}
    assert {cid: r.error.status for cid, r in errors.items()} == failed
    assert {r.error.kind for r in errors.values()} == {"bad_request", "server"}
    assert all(r.finish_reason == "error" and math.isnan(r.cost_usd) and r.mode == "batch" for r in errors.values())
    assert sum(1 for r in rows.values() if r.error is None and r.content) == 97
    assert seen[-1].succeeded == 97 and seen[-1].failed == 3


@pytest.mark.parametrize("model", ["openai/gpt-4.1-mini", "anthropic-messages/claude-haiku-4-5"])
def test_an_expired_batch_gives_expired_rows_for_what_it_did_not_run(model):
    with client() as c:
        c.sim.set_batch_faults({"expire_after": 0.5})
        _, seen, rows = run_batch(c, prepared(c, model, 10))
    expired = [r for r in rows.values() if r.error is not None]
    assert len(expired) == 5 and all(r.error.kind == EXPIRED for r in expired)
    assert sum(1 for r in rows.values() if r.error is None and r.cost_source == "batch_price_table") == 5
    # OpenAI counts expired lines under request_counts.failed (the rows say which); Anthropic counts them apart
    assert seen[-1].succeeded == 5 and seen[-1].expired + seen[-1].failed == 5


def test_a_batch_refused_at_validation_makes_every_row_an_error_naming_the_code():
    with client() as c:
        c.sim.set_batch_faults({"fail": True}, provider="openai")
        _, seen, rows = run_batch(c, prepared(c, "openai/gpt-4.1-mini", 6))
        assert c.sim.stats()["by_api"].get("batch", 0) == 0  # nothing was run
    assert seen[-1].provider_status == "failed" and seen[-1].error is not None
    assert len(rows) == 6
    for r in rows.values():
        assert r.error.kind == "batch_failed" and r.error.provider_code == "token_limit_exceeded"
        assert "token_limit_exceeded" in r.error.message and r.mode == "batch"


def test_anthropic_errored_lines_carry_the_native_error():
    with client() as c:
        c.sim.set_batch_faults({"line_5xx": 0.25}, provider="anthropic")
        _, _, rows = run_batch(c, prepared(c, "anthropic-messages/claude-haiku-4-5", 8))
    errors = [r.error for r in rows.values() if r.error is not None]
    assert len(errors) == 2 and all(e.kind == "server" and e.status == 500 for e in errors)


@pytest.mark.parametrize("model", ["openai/gpt-4.1-mini", "anthropic-messages/claude-haiku-4-5"])
def test_cancel_ends_the_batch_with_cancelled_rows_and_keeps_what_was_done(model):
    with client(batch_s=3.0) as c:
        _, seen, rows = run_batch(c, prepared(c, model, 200), cancel_after=0.9)
    assert seen[0].state == "running" and seen[0].provider_status in ("cancelling", "canceling")
    cancelled = [r for r in rows.values() if r.error is not None and r.error.kind == "batch_cancelled"]
    done = [r for r in rows.values() if r.error is None]
    assert cancelled and done and len(cancelled) + len(done) == 200
    assert seen[-1].cancelled == len(cancelled)


# ---------------------------------------------------------------- splitting
def test_split_cuts_by_request_count_and_by_bytes():
    with client() as c:
        lines = prepared(c, "openai/gpt-4.1-mini", 120)
        assert [len(b) for b in split(lines, BatchLimits(50, 10**9, "test"))] == [50, 50, 20]
        one = get_protocol("openai_files").line_bytes(*lines[0])
        by_bytes = split(lines, BatchLimits(10**6, 64 * 1024 + 10 * one + 5, "test"),
                         size=get_protocol("openai_files").line_bytes)
        assert all(len(b) <= 10 for b in by_bytes) and sum(len(b) for b in by_bytes) == 120
        assert [cid for b in by_bytes for cid, _ in b] == [cid for cid, _ in lines]  # order kept, none lost
        with pytest.raises(ConfigError, match="alone is"):
            split(lines, BatchLimits(10, 64 * 1024 + 10, "test"))


def test_a_120_line_job_split_at_50_runs_as_three_batches_and_answers_each_line_once():
    with client() as c:
        lines = prepared(c, "openai/gpt-4.1-mini", 120)
        rows: dict[str, mm.Result] = {}
        jobs = []
        for chunk in split(lines, BatchLimits(50, 10**9, "test")):
            job, _, got = run_batch(c, chunk)
            assert not set(got) & set(rows)
            rows.update(got)
            jobs.append(job)
        assert c.sim.stats()["by_api"] == {"batch": 120}
    assert len(jobs) == 3 and len({j.batch_id for j in jobs}) == 3 and len(rows) == 120
    assert all(r.error is None and r.batch_id in {j.batch_id for j in jobs} for r in rows.values())


def test_submit_refuses_what_one_batch_cannot_hold():
    with client() as c:
        openai = get_protocol("openai_files")
        cfg = c.providers["openai"]
        lines = prepared(c, "openai/gpt-4.1-mini", 2)
        with pytest.raises(ConfigError, match="appears twice"):
            openai.check_lines(cfg, [lines[0], ("q-0", lines[1][1])])
        mixed = [*lines, ("other", c.prepare("openai/gpt-5-mini", "hi"))]
        with pytest.raises(ConfigError, match="one model"):
            openai.check_lines(cfg, mixed)
        assert set(group_lines(mixed)) == {("openai", "gpt-4.1-mini", "chat"), ("openai", "gpt-5-mini", "chat")}
        with pytest.raises(ConfigError, match="Messages API bodies"):
            get_protocol("anthropic").check_lines(c.providers["anthropic"],
                                                  prepared(c, "anthropic/claude-haiku-4-5", 1))
        with pytest.raises(ConfigError, match="1 to 64"):
            get_protocol("anthropic").check_lines(c.providers["anthropic-messages"], [
                ("has space", c.prepare("anthropic-messages/claude-haiku-4-5", "hi"))])
        assert protocol_for(c.providers["deepseek"]) is None
        assert c.sim.stats()["received"] == 0


# ---------------------------------------------------------------- xAI, Gemini, OpenRouter
@pytest.mark.parametrize(("model", "provider", "model_id", "factor"), [
    ("xai/grok-4.3", "xai", "grok-4.3", 0.8),  # "20% off every token type" (docs.x.ai pricing, price_rules.csv)
    ("gemini/gemini-3-flash-preview", "gemini", "gemini-3-flash-preview", 0.5),
])
def test_xai_and_gemini_through_their_files_routes(model, provider, model_id, factor):
    with client() as c:
        lines = prepared(c, model, 5)
        job, _, rows = run_batch(c, lines)
        assert c.sim.stats()["by_api"] == {"batch": 5}
    if provider == "gemini":
        assert job.batch_id.startswith("batches/") and job.input_file_id.startswith("files/")
    live = live_rows(model, 5)
    for cid, r in rows.items():
        assert_same_answer(r, live[cid])
        assert r.cost_source == "batch_price_table"
        assert r.cost_usd == pytest.approx(hand_cost(provider, model_id, r, factor), rel=1e-6)


def test_openrouter_inline_batch_reports_its_own_charge():
    model = "openrouter/openai/gpt-4.1-mini"
    with client() as c:
        _, _, rows = run_batch(c, prepared(c, model, 7))
        assert c.sim.stats()["by_api"] == {"batch": 7}
    live = live_rows(model, 7)
    for cid, r in rows.items():
        assert_same_answer(r, live[cid])
        assert r.cost_source == "provider" and live[cid].cost_source == "provider"
        assert r.cost_usd == pytest.approx(0.5 * live[cid].cost_usd, rel=1e-6)


# ---------------------------------------------------------------- keys
def test_keys_never_reach_a_row():
    key = "sk-batchsecret-0123456789abcdef"
    with client() as c:
        for name in ("openai", "anthropic-messages"):
            c.providers[name].api_key = key
        for model in ("openai/gpt-4.1-mini", "anthropic-messages/claude-haiku-4-5"):
            lines = [(f"k{i}", c.prepare(model, f"Repeat this back: {key} ({i})")) for i in range(3)]
            assert all(key in str(req.headers) for _, req in lines)
            _, _, rows = run_batch(c, lines)
            for r in rows.values():
                assert r.error is None and "[redacted]" in r.content  # the answer echoed the key: scrubbed
                assert key not in repr(r) and key not in str(r.to_dict()) and key not in (r.raw or "")


def test_multipart_body_is_well_formed():
    body, ctype = multipart({"purpose": "batch"}, "x.jsonl", b'{"a":1}\n')
    boundary = ctype.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode()) and body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="purpose"\r\n\r\nbatch\r\n' in body and b'filename="x.jsonl"' in body


def test_the_transport_deletes_an_ended_anthropic_batch_as_the_provider_documents():
    """DELETE is part of the transport for the Batch APIs (Anthropic: an ended batch is deleted, answering
    ``message_batch_deleted``; an unknown one is a 404 error with the provider's words)."""
    from multimodel.batchapi.base import BatchAPIError, call_json, headers_for

    with client() as c:
        job, _, _ = run_batch(c, prepared(c, "anthropic-messages/claude-haiku-4-5", 2))
        cfg = c.providers["anthropic-messages"]
        url = f"{cfg.base_url}/messages/batches/{job.batch_id}"
        gone = run_sync(call_json(c.runner.transport, "DELETE", url, headers_for(cfg, "messages")))
        assert gone == {"id": job.batch_id, "type": "message_batch_deleted"}
        with pytest.raises(BatchAPIError) as missing:
            run_sync(call_json(c.runner.transport, "DELETE", url, headers_for(cfg, "messages")))
        assert missing.value.error.status == 404
