"""The Batch API client layer (multimodel/batchapi/) against the simulator over HTTP: submit, poll, collect for
OpenAI, Anthropic, xAI, Gemini and OpenRouter; every line answered once and read exactly as the same request answered
live (non-streamed) on a fresh simulator with the same seed; the batch price; per-line failures, expiry, a refused
batch, cancel; splitting by the limits; keys never on a row; no live chat request."""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web

import multimodel as mm
from multimodel import pricing
from multimodel.batchapi import BatchLimits, get_protocol, group_lines, protocol_for, split
from multimodel.batchapi.base import (
    EXPIRED,
    BatchAPIError,
    BatchJob,
    batch_result,
    display_url,
    multipart,
    url_secrets,
)
from multimodel.batchapi.openai_files import _refused_rows, status_of
from multimodel.errors import ConfigError
from multimodel.redact import scrub_text
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
        assert r.batch_wait_s is not None and 0 <= r.batch_wait_s < 30  # whole seconds at OpenAI: may be 0
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


# ---------------------------------------------------------------- finding the batch an ambiguous create made
def _submit(c: mm.Client, lines: list[tuple[str, Any]], tag: str | None = None) -> BatchJob:
    cfg = lines[0][1].provider
    return run_sync(protocol_for(cfg).submit(cfg, c.runner.transport, lines, tag=tag))


def _find(c: mm.Client, lines: list[tuple[str, Any]], tag: str, since: float, exclude: Any = ()) -> list[BatchJob]:
    cfg = lines[0][1].provider
    return run_sync(protocol_for(cfg).find(cfg, c.runner.transport, lines, tag=tag, since=since, exclude=exclude))


@pytest.mark.parametrize("model", ["openai/gpt-4.1-mini", "xai/grok-4.3"])
def test_find_tells_two_tagged_batches_apart_by_their_metadata_tag(model):
    with client(batch_s=5.0) as c:
        since = time.time()
        first = [(f"a{i}", c.prepare(model, f"first {i}")) for i in range(3)]
        second = [(f"b{i}", c.prepare(model, f"second {i}")) for i in range(3)]  # the same size: only the tag differs
        job_a, job_b = _submit(c, first, tag="mm-tag-first"), _submit(c, second, tag="mm-tag-second")
        assert job_a.extra == {"tag": "mm-tag-first"}
        base = c.providers[model.split("/")[0]].base_url
        sent = HTTP.get(f"{base}/batches/{job_a.batch_id}", headers={"Authorization": "Bearer x"}).json()
        assert sent["metadata"] == {"client": "multimodel", "mm_tag": "mm-tag-first"}
        found_a = _find(c, first, "mm-tag-first", since)
        found_b = _find(c, second, "mm-tag-second", since)
        assert _find(c, first, "mm-tag-nobody-used", since) == []
        assert _find(c, first, "mm-tag-first", since, exclude={job_a.batch_id}) == []
    assert [j.batch_id for j in found_a] == [job_a.batch_id] and [j.batch_id for j in found_b] == [job_b.batch_id]
    got = found_a[0]
    assert got.custom_ids == job_a.custom_ids and got.input_file_id == job_a.input_file_id
    assert got.model_id == job_a.model_id and got.api == "chat" and got.url == job_a.url
    assert got.extra == {"tag": "mm-tag-first"} and got.protocol == job_a.protocol
    assert abs(got.submitted_at - job_a.submitted_at) <= 1.0  # the provider's created_at (whole seconds)


def test_find_anthropic_by_creation_time_and_size_with_excluded_ids_skipped():
    model = "anthropic-messages/claude-haiku-4-5"
    with client(batch_s=5.0) as c:
        since = time.time()
        two, three = prepared(c, model, 2), [(f"t{i}", c.prepare(model, f"three {i}")) for i in range(3)]
        job2, job3 = _submit(c, two, tag="ignored-by-anthropic"), _submit(c, three)
        assert job2.extra == {"tag": "ignored-by-anthropic"}
        found2, found3 = _find(c, two, "any", since), _find(c, three, "any", since)
        assert _find(c, two, "any", since, exclude={job2.batch_id}) == []
        assert _find(c, two, "any", since - 3600) == []  # created more than 120 s before this create: not its batch
        assert _find(c, [*two, *three[:2]], "any", since) == []  # no batch of four lines
    assert [j.batch_id for j in found2] == [job2.batch_id] and [j.batch_id for j in found3] == [job3.batch_id]
    assert found3[0].custom_ids == ["t0", "t1", "t2"] and found3[0].api == "messages"
    assert found3[0].url == job3.url and abs(found3[0].submitted_at - job3.submitted_at) <= 1.0


def test_find_openrouter_by_model_time_and_size():
    model = "openrouter/openai/gpt-4.1-mini"
    with client(batch_s=5.0) as c:
        since = time.time()
        two, four = prepared(c, model, 2), [(f"f{i}", c.prepare(model, f"four {i}")) for i in range(4)]
        job2, job4 = _submit(c, two, tag="t"), _submit(c, four, tag="t")
        other_model = [(f"o{i}", c.prepare("openrouter/openai/gpt-5-mini", f"other {i}")) for i in range(2)]
        found2, found4 = _find(c, two, "t", since), _find(c, four, "t", since)
        assert [j.batch_id for j in _find(c, other_model, "t", since)] == []
    assert [j.batch_id for j in found2] == [job2.batch_id] and [j.batch_id for j in found4] == [job4.batch_id]


# ------------------------------------------ a tiny local provider, for what the simulator does not do
@contextmanager
def local_server(routes: dict[tuple[str, str], Any]):
    """An aiohttp app on loopback serving ``routes`` ((method, path) → handler); yields its base URL and the list of
    requests it received (method, path with query)."""
    hits: list[tuple[str, str]] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        hits.append((request.method, request.path_qs))
        return await handler(request)

    app = web.Application(middlewares=[record])
    for (method, path), handler in routes.items():
        app.router.add_route(method, path, handler)

    async def start() -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]

    runner, port = run_sync(start())
    try:
        yield f"http://127.0.0.1:{port}", hits
    finally:
        run_sync(runner.cleanup())


def local_client(provider: str, base_url: str) -> mm.Client:
    return mm.Client(providers={provider: {"base_url": base_url, "api_key": "sk-local-0123456789abcdef"}})


def _job_for(lines: list[tuple[str, Any]], batch_id: str = "batch_local",
             submitted_at: float | None = None) -> BatchJob:
    req = lines[0][1]
    return BatchJob(protocol="x", provider=req.provider.name, batch_id=batch_id, model_id=req.model_id,
                    api=req.api.name, url="http://example.invalid/v1/batches", custom_ids=[c for c, _ in lines],
                    submitted_at=time.time() - 5 if submitted_at is None else submitted_at)


def test_find_stops_at_old_batches_and_after_twenty_pages_and_raises_when_the_listing_fails():
    now = time.time()
    state = {"created": now, "fail": False}

    async def listing(request: web.Request) -> web.Response:
        if state["fail"]:
            return web.json_response({"error": {"message": "boom", "type": "server_error"}}, status=500)
        n = len([h for h in hits if h[1].startswith("/v1/batches")])
        obj = {"id": f"batch_{n}", "created_at": int(state["created"]), "metadata": {"mm_tag": "other"}}
        return web.json_response({"object": "list", "data": [obj], "has_more": True, "last_id": f"batch_{n}"})

    with local_server({("GET", "/v1/batches"): listing}) as (base, hits), local_client("openai", f"{base}/v1") as c:
        lines = [("a", c.prepare("openai/gpt-4.1-mini", "hi"))]
        assert _find(c, lines, "mine", now) == [] and len(hits) == 20  # has_more forever: 20 pages, no more
        assert hits[1][1] == "/v1/batches?limit=100&after=batch_1"
        hits.clear()
        state["created"] = now - 600  # every batch on the page older than since - 120 s: the first page is the last
        assert _find(c, lines, "mine", now) == [] and len(hits) == 1
        state["fail"] = True
        with pytest.raises(BatchAPIError) as failed:
            _find(c, lines, "mine", now)
        assert failed.value.error.status == 500


def test_openrouter_results_stop_when_next_cursor_repeats():
    async def batch(request: web.Request) -> web.Response:
        return web.json_response({"id": "batch_or", "status": "completed", "completed_at": int(time.time()),
                                  "request_counts": {"total": 2, "completed": 2, "failed": 0}})

    async def results(request: web.Request) -> web.Response:  # a server stuck on one cursor
        return web.json_response({"object": "list", "data": [], "has_more": True, "next_cursor": "c-1"})

    routes = {("GET", "/v1/batches/batch_or"): batch, ("GET", "/v1/batches/batch_or/results"): results}
    with local_server(routes) as (base, hits), local_client("openrouter", f"{base}/v1") as c:
        lines = [(f"q{i}", c.prepare("openrouter/openai/gpt-4.1-mini", f"hi {i}")) for i in range(2)]
        proto = get_protocol("openrouter")
        with pytest.raises(BatchAPIError) as stuck:
            run_sync(proto.collect(c.providers["openrouter"], c.runner.transport, _job_for(lines, "batch_or"),
                                   dict(lines)))
    assert stuck.value.error.kind == "malformed_response" and "next_cursor" in stuck.value.error.message
    assert len([h for h in hits if "/results" in h[1]]) == 2  # the first page, then c-1 answering c-1 again: stop


def test_line_errors_keep_their_code_and_missing_lines_are_marked():
    now = int(time.time())
    batch_obj = {"id": "batch_l", "status": "completed", "output_file_id": "file-out", "error_file_id": "file-err",
                 "created_at": now - 30, "completed_at": now - 10,
                 "request_counts": {"total": 4, "completed": 0, "failed": 3}}
    errors = [{"custom_id": cid, "response": None, "error": {"code": code, "message": f"{code} said no"}}
              for cid, code in (("l0", "rate_limit_exceeded"), ("l1", "invalid_request"), ("l2", "odd_failure"))]

    async def batch(request: web.Request) -> web.Response:
        return web.json_response(batch_obj)

    async def content(request: web.Request) -> web.Response:
        rows = errors if request.match_info["fid"] == "file-err" else []
        return web.Response(body=b"".join(orjson.dumps(r) + b"\n" for r in rows))

    routes = {("GET", "/v1/batches/batch_l"): batch, ("GET", "/v1/files/{fid}/content"): content}
    with local_server(routes) as (base, _), local_client("openai", f"{base}/v1") as c:
        lines = [(f"l{i}", c.prepare("openai/gpt-4.1-mini", f"hi {i}")) for i in range(4)]
        job = _job_for(lines, "batch_l", submitted_at=now - 30)
        rows = run_sync(get_protocol("openai_files").collect(c.providers["openai"], c.runner.transport, job,
                                                             dict(lines)))
    kinds = {cid: (r.error.kind, r.error.provider_code) for cid, r in rows.items()}
    assert kinds == {"l0": ("rate_limit", "rate_limit_exceeded"), "l1": ("bad_request", "invalid_request"),
                     "l2": ("server", "odd_failure"), "l3": ("batch_failed", "batch_line_missing")}
    # batch_wait_s from the provider's completed_at, not from when the results were read
    assert all(r.batch_wait_s == pytest.approx(20.0) for r in rows.values())


def test_gemini_uploads_natively_with_its_key_header_and_never_follows_a_session_url_to_another_host():
    """Gemini's compatibility layer has no Files route (batchapi/gemini.py): the JSONL goes to the native resumable
    upload at the API root, with x-goog-api-key (not a bearer); a session URL on another host is refused before
    the file (and the key) are sent there."""
    from multimodel.batchapi.gemini import native_root

    assert native_root("https://generativelanguage.googleapis.com/v1beta/openai/") == \
        "https://generativelanguage.googleapis.com"
    assert native_root("http://127.0.0.1:8787/gemini/v1") == "http://127.0.0.1:8787/gemini"
    seen: list[dict[str, str]] = []

    async def start(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response(headers={"X-Goog-Upload-URL": "http://elsewhere.example/upload?upload_id=1"})

    with local_server({("POST", "/upload/v1beta/files"): start}) as (base, hits), \
            local_client("gemini", f"{base}/v1beta/openai") as c:
        lines = [("g0", c.prepare("gemini/gemini-3-flash-preview", "hi"))]
        with pytest.raises(BatchAPIError) as refused:
            _submit(c, lines, tag="g")
    assert refused.value.error.kind == "malformed_response" and "own host" in refused.value.error.message
    assert hits == [("POST", "/upload/v1beta/files")]  # no file sent elsewhere, no create tried
    sent = {k.lower(): v for k, v in seen[0].items()}
    assert sent["x-goog-upload-protocol"] == "resumable" and sent["x-goog-upload-command"] == "start"
    assert sent["x-goog-api-key"] and "authorization" not in sent


# ---------------------------------------------------------------- keys in a base_url
def test_a_token_in_the_base_url_never_reaches_a_job_record_or_a_message():
    secret, user_secret = "SECRETQUERYTOKEN42", "SECRETUSERTOKEN42"
    assert display_url(f"https://u:{user_secret}@api.example.com:8443/v1/batches?key={secret}#x") == \
        "https://api.example.com:8443/v1/batches"
    assert secret not in scrub_text(f"echo {secret}", url_secrets(f"https://h/v1?key={secret}"))

    async def anything(request: web.Request) -> web.Response:
        return web.json_response({"error": {"message": f"unknown path {request.path_qs}"}}, status=404)

    with local_server({("GET", "/{tail:.*}"): anything, ("POST", "/{tail:.*}"): anything}) as (base, _), \
            local_client("openai", f"{base}/v1?key={secret}") as c:
        cfg = c.providers["openai"]
        lines = [("k0", c.prepare("openai/gpt-4.1-mini", "hi"))]
        proto = get_protocol("openai_files")
        job = proto.created({"id": "batch_k"}, cfg, lines, proto.collection_url(cfg), time.time(), tag="t")
        assert secret not in str(job.to_dict()) and job.url == f"{base}/v1"
        for attempt in (lambda: _submit(c, lines, tag="t"), lambda: _find(c, lines, "t", time.time())):
            with pytest.raises(BatchAPIError) as failed:
                attempt()
            assert failed.value.error.status == 404 and secret not in failed.value.error.message
            assert "[redacted]" in failed.value.error.message  # the server echoed the query: scrubbed
    with pytest.raises(ConfigError) as refused:  # credentials before the host: refused before anything is sent
        local_client("openai", f"http://user:{user_secret}@127.0.0.1:9/v1")
    assert user_secret not in str(refused.value) and "api_key" in str(refused.value)


# ---------------------------------------------------------------- the numbers
def test_apis_and_windows_per_provider():
    with client() as c:
        openai, openrouter = get_protocol("openai_files"), get_protocol("openrouter")
        assert openai.apis_for(c.providers["openai"]) == ("chat", "responses")
        assert get_protocol("gemini_files").apis_for(c.providers["gemini"]) == ("chat",)
        assert get_protocol("anthropic").apis_for(c.providers["anthropic-messages"]) == ("messages",)
        assert openai.limits_for(c.providers["openai"]).window_s == 24 * 3600
        assert get_protocol("anthropic").limits_for(c.providers["anthropic-messages"]).window_s == 24 * 3600
        assert openrouter.limits_for(c.providers["openrouter"]).window_s == 96 * 3600  # Google Vertex: up to 96 h
        # whose own cost figure in a batch line is the batch charge: OpenRouter's; xAI's is not known (the table)
        assert openrouter.reports_cost(c.providers["openrouter"])
        assert not openai.reports_cost(c.providers["xai"]) and not openai.reports_cost(c.providers["openai"])


@pytest.mark.parametrize("model", ["openai/gpt-4.1-mini", "anthropic-messages/claude-haiku-4-5"])
def test_batch_wait_is_the_providers_turnaround_not_the_read_time(model):
    with client() as c:
        lines = prepared(c, model, 3)
        cfg = lines[0][1].provider
        proto = protocol_for(cfg)
        job, seen, _ = run_batch(c, lines)
        assert (seen[-1].ended_at is not None and seen[0].ended_at is None) or seen[0].terminal
        time.sleep(1.5)  # read the results well after the batch ended
        read_at = time.time()
        rows = run_sync(proto.collect(cfg, c.runner.transport, job, dict(lines)))
    ended = seen[-1].ended_at
    assert ended <= read_at - 1.4
    for r in rows.values():
        assert r.batch_wait_s == pytest.approx(max(0.0, ended - job.submitted_at))
        assert r.batch_wait_s < read_at - job.submitted_at - 1.0


def test_a_messages_batch_line_writing_both_cache_retentions_is_priced_at_half_the_live_cost():
    model_id = "claude-sonnet-4-5"
    usage = {"input_tokens": 120, "cache_creation_input_tokens": 3000, "cache_read_input_tokens": 0,
             "output_tokens": 40, "cache_creation": {"ephemeral_5m_input_tokens": 1000,
                                                     "ephemeral_1h_input_tokens": 2000}}
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": model_id,
               "content": [{"type": "text", "text": "Blue."}], "stop_reason": "end_turn", "usage": usage}
    prompt = [{"role": "user", "content": [
        {"type": "text", "text": "a long document", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        {"type": "text", "text": "the question", "cache_control": {"type": "ephemeral"}}]}]
    with client() as c:
        req = c.prepare(f"anthropic-messages/{model_id}", prompt)
    assert pricing.cache_write_ttl(req.body) == "mixed"  # without the usage's split the cost would be unknown
    r = batch_result(req, _job_for([("m0", req)]), "m0", status=200, body=message)
    assert r.error is None and r.cache_write_tokens == 3000 and r.cost_source == "batch_price_table"
    live = pricing.request_cost(pricing.price_for(req.provider, model_id), prompt_tokens=3120, completion_tokens=40,
                                cached_tokens=0, cache_write_tokens=3000, cache_write_long_tokens=2000,
                                at=r.created_at, body=req.body)
    assert math.isfinite(r.cost_usd) and math.isfinite(live)
    assert r.cost_usd == pytest.approx(0.5 * live, rel=1e-9)


def test_a_refused_batch_whose_errors_is_a_list_still_gives_every_row_the_batch_error():
    with client() as c:
        lines = prepared(c, "openai/gpt-4.1-mini", 2)
    raw = {"id": "batch_r", "status": "failed", "errors": [{"code": "weird", "line": 1}], "failed_at": 1}
    status = status_of(raw, 2)
    assert status.error is not None and status.ended_at == 1.0
    rows = _refused_rows(_job_for(lines, "batch_r"), dict(lines), status)
    assert set(rows) == {"q-0", "q-1"} and all(r.error.kind == "batch_failed" for r in rows.values())
