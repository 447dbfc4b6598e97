"""The simulated Batch APIs over real HTTP (httpx against ``mm.sim.start``): each provider's lifecycle in the shapes
of the real recordings (/work/notes/issue19/recordings), validation failures with their documented codes, partial
failures, expiry, cancel, counting apart from live requests, determinism for a seed, and time compression."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

import multimodel.sim as msim
from multimodel.sim.batches import BatchFaults, parse_batch_faults

KEY = {"Authorization": "Bearer sk-test"}
AKEY = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
HTTP = httpx.Client(timeout=30.0)

# key sets of the real objects (recordings: openai_batch_lifecycle_completed.json, anthropic_message_batch_*.json);
# the OpenAI Batch object gained "model" and "usage" in 2026 (RESEARCH §1.3)
OPENAI_BATCH_KEYS = {"id", "object", "endpoint", "errors", "input_file_id", "completion_window", "status",
                     "output_file_id", "error_file_id", "created_at", "in_progress_at", "expires_at", "finalizing_at",
                     "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at", "request_counts",
                     "metadata"} | {"model", "usage"}
FILE_KEYS = {"object", "id", "purpose", "filename", "bytes", "created_at", "expires_at", "status", "status_details"}
OUTPUT_LINE_KEYS = {"id", "custom_id", "response", "error"}
ANTHROPIC_BATCH_KEYS = {"id", "type", "processing_status", "request_counts", "ended_at", "created_at", "expires_at",
                        "archived_at", "cancel_initiated_at", "results_url"}
ANTHROPIC_COUNTS = {"processing", "succeeded", "errored", "canceled", "expired"}
TERMINAL = {"completed", "failed", "expired", "cancelled"}


@pytest.fixture
def sim():
    with msim.start(latency_scale=0, batch_s=0.6, seed=3) as s:
        yield s


def chat_line(cid: str, text: str, model: str = "gpt-4.1-mini", url: str = "/v1/chat/completions") -> dict[str, Any]:
    return {"custom_id": cid, "method": "POST", "url": url,
            "body": {"model": model, "messages": [{"role": "user", "content": text}]}}


def jsonl(rows: list[Any]) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in rows)


def upload(sim, provider: str, data: bytes) -> dict[str, Any]:
    r = HTTP.post(f"{sim.base_url(provider)}/files", headers=KEY, files={"file": ("upload", data)},
                  data={"purpose": "batch"})
    assert r.status_code == 200, r.text
    return r.json()


def create(sim, provider: str, data: bytes, endpoint: str = "/v1/chat/completions", **extra: Any) -> dict[str, Any]:
    f = upload(sim, provider, data)
    r = HTTP.post(f"{sim.base_url(provider)}/batches", headers=KEY,
                  json={"input_file_id": f["id"], "endpoint": endpoint, "completion_window": "24h", **extra})
    assert r.status_code == 200, r.text
    return r.json()


def poll(sim, provider: str, bid: str, terminal: set[str] = TERMINAL, timeout: float = 20.0) -> tuple[dict, list]:
    """Poll until a terminal status; returns the last object and every object seen."""
    seen = []
    end = time.time() + timeout
    while time.time() < end:
        r = HTTP.get(f"{sim.base_url(provider)}/batches/{bid}", headers=KEY)
        assert r.status_code == 200, r.text
        seen.append(r.json())
        if seen[-1]["status"] in terminal:
            return seen[-1], seen
        time.sleep(0.02)
    raise AssertionError(f"batch {bid} still {seen[-1]['status']} after {timeout} s")


def content(sim, provider: str, fid: str | None) -> list[dict[str, Any]]:
    if fid is None:
        return []
    r = HTTP.get(f"{sim.base_url(provider)}/files/{fid}/content", headers=KEY)
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    return [json.loads(x) for x in r.text.splitlines()]


# Gemini: the compatibility layer serves batches but not Files; the JSONL goes up and the results come down through
# the native Files API (GEMINI_NO_FILES in multimodel/sim/batches.py)
GKEY = {"x-goog-api-key": "gm-test"}


def g_upload(sim, data: bytes) -> str:
    """The native resumable upload: start, then 'upload, finalize' at the session URL; the file's name."""
    r = HTTP.post(f"{sim.url}/gemini/upload/v1beta/files", headers={
        **GKEY, "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
        "X-Goog-Upload-Header-Content-Length": str(len(data)), "X-Goog-Upload-Header-Content-Type": "jsonl"},
        json={"file": {"display_name": "batch.jsonl"}})
    assert r.status_code == 200 and r.headers["X-Goog-Upload-Status"] == "active", r.text
    done = HTTP.post(r.headers["X-Goog-Upload-URL"], headers={
        **GKEY, "X-Goog-Upload-Command": "upload, finalize", "X-Goog-Upload-Offset": "0"}, content=data)
    assert done.status_code == 200 and done.headers["X-Goog-Upload-Status"] == "final", done.text
    return done.json()["file"]["name"]


def g_create(sim, data: bytes, **extra: Any) -> dict[str, Any]:
    """Gemini's hybrid flow: native upload, then the compatibility layer's batch create."""
    r = HTTP.post(f"{sim.base_url('gemini')}/batches", headers=KEY, json={
        "input_file_id": g_upload(sim, data), "endpoint": "/v1/chat/completions", "completion_window": "24h",
        **extra})
    assert r.status_code == 200, r.text
    return r.json()


def g_content(sim, name: str) -> list[dict[str, Any]]:
    r = HTTP.get(f"{sim.url}/gemini/download/v1beta/{name}:download?alt=media", headers=GKEY)
    assert r.status_code == 200, r.text
    return [json.loads(x) for x in r.text.splitlines()]


def statuses(seen: list[dict[str, Any]], key: str = "status") -> list[str]:
    out: list[str] = []
    for obj in seen:
        if not out or out[-1] != obj[key]:
            out.append(obj[key])
    return out


# ---------------------------------------------------------------- OpenAI Files + Batches
def test_openai_lifecycle_has_the_recorded_shapes_and_joins_on_custom_id(sim):
    rows = [chat_line(f"r{i}", f"question number {i}") for i in range(6)]
    f = upload(sim, "openai", jsonl(rows))
    assert set(f) == FILE_KEYS and f["purpose"] == "batch" and f["id"].startswith("file-") and f["expires_at"] is None
    again = HTTP.get(f"{sim.base_url('openai')}/files/{f['id']}", headers=KEY).json()
    assert again["expires_at"] == f["created_at"] + 2_592_000  # 30 days, as the recorded GET shows
    r = HTTP.post(f"{sim.base_url('openai')}/batches", headers=KEY, json={
        "input_file_id": f["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h",
        "metadata": {"run": "t1"}})
    b = r.json()
    assert set(b) == OPENAI_BATCH_KEYS and b["id"].startswith("batch_") and b["status"] == "validating"
    assert b["request_counts"] == {"total": 0, "completed": 0, "failed": 0} and b["metadata"] == {"run": "t1"}
    assert b["expires_at"] == b["created_at"] + 86_400
    assert sim.stats()["by_api"].get("batch", 0) == 0  # nothing is answered at creation
    final, seen = poll(sim, "openai", b["id"])
    order = statuses(seen)
    assert order == [s for s in ["validating", "in_progress", "finalizing", "completed"] if s in order]
    assert order[-1] == "completed" and "in_progress" in order
    assert all(o["request_counts"]["total"] == 0 for o in seen if o["status"] == "validating")
    assert final["request_counts"] == {"total": 6, "completed": 6, "failed": 0} and final["error_file_id"] is None
    t = final
    assert t["created_at"] <= t["in_progress_at"] <= t["finalizing_at"] <= t["completed_at"]
    assert final["usage"]["input_tokens"] > 0 and final["usage"]["total_tokens"] == (
        final["usage"]["input_tokens"] + final["usage"]["output_tokens"])
    r = HTTP.get(f"{sim.base_url('openai')}/files/{final['output_file_id']}/content", headers=KEY)
    assert r.headers["content-disposition"] == f'attachment; filename="{b["id"]}_output.jsonl"'
    out = [json.loads(x) for x in r.text.splitlines()]
    assert len(out) == 6 and all(set(x) == OUTPUT_LINE_KEYS for x in out)
    for x in out:
        assert x["id"].startswith("batch_req_") and x["error"] is None and x["response"]["status_code"] == 200
        body = x["response"]["body"]
        assert body["object"] == "chat.completion" and body["service_tier"] == "default"  # as recorded in batches
        assert f"question number {x['custom_id'][1:]}" in body["choices"][0]["message"]["content"]
    assert sum(x["response"]["body"]["usage"]["prompt_tokens"] for x in out) == final["usage"]["input_tokens"]
    # an uploaded input is not downloadable
    r = HTTP.get(f"{sim.base_url('openai')}/files/{f['id']}/content", headers=KEY)
    assert r.status_code == 400 and "purpose: batch" in r.json()["error"]["message"]


def test_the_responses_endpoint_runs_in_a_batch(sim):
    rows = [{"custom_id": "a", "method": "POST", "url": "/v1/responses",
             "body": {"model": "gpt-4.1-mini", "input": "hello there"}}]
    b = create(sim, "openai", jsonl(rows), endpoint="/v1/responses")
    final, _ = poll(sim, "openai", b["id"])
    (line,) = content(sim, "openai", final["output_file_id"])
    assert final["status"] == "completed" and line["response"]["body"]["object"] == "response"


def test_openai_batches_need_a_key_and_a_well_formed_create(sim):
    base = sim.base_url("openai")
    assert HTTP.get(f"{base}/batches").status_code == 401
    assert HTTP.post(f"{base}/files", files={"file": ("x", b"{}")}, data={"purpose": "batch"}).status_code == 401
    f = upload(sim, "openai", jsonl([chat_line("a", "hi")]))
    good = {"input_file_id": f["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    for change, param in (({"completion_window": "48h"}, "completion_window"), ({"endpoint": "/v1/nope"}, "endpoint"),
                          ({"input_file_id": None}, "input_file_id"), ({"metadata": {str(i): "v" for i in range(17)}},
                                                                       "metadata")):
        r = HTTP.post(f"{base}/batches", headers=KEY, json={**good, **change})
        assert r.status_code == 400 and r.json()["error"]["param"] == param, (change, r.text)
    r = HTTP.post(f"{base}/batches", headers=KEY, json={**good, "input_file_id": "file-nope"})
    assert r.status_code == 404
    r = HTTP.post(f"{base}/files", headers=KEY, files={"file": ("x", b"{}")}, data={"purpose": "fine-tune"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "purpose"
    assert HTTP.get(f"{sim.base_url('deepseek')}/batches", headers=KEY).status_code == 404  # DeepSeek has none


def _bad_files() -> list[tuple[str, bytes, int | None]]:
    ok = [chat_line(f"c{i}", "hi") for i in range(3)]
    many = jsonl([chat_line(f"c{i}", "x") for i in range(50_001)])
    return [
        ("invalid_json_line", jsonl([ok[0], b"{not json", ok[2]]), 2),
        ("duplicate_custom_id", jsonl([ok[0], ok[1], {**ok[2], "custom_id": "c0"}]), 3),
        ("url_mismatch", jsonl([ok[0], {**ok[1], "url": "/v1/embeddings"}]), 2),
        ("model_mismatch", jsonl([ok[0], chat_line("z", "hi", model="gpt-4o")]), 2),
        ("empty_file", b"\n", None),
        ("too_many_tasks", many, None),
    ]


@pytest.mark.parametrize(("code", "data", "line"), _bad_files(), ids=[c for c, _, _ in _bad_files()])
def test_a_malformed_file_fails_the_batch_with_its_documented_code(sim, code, data, line):
    b = create(sim, "openai", data)
    assert b["status"] == "validating"  # created first; the file is read while validating
    final, seen = poll(sim, "openai", b["id"])
    assert statuses(seen) == ["validating", "failed"] and final["failed_at"] is not None
    err = final["errors"]
    assert err["object"] == "list" and err["data"][0]["code"] == code and err["data"][0]["line"] == line
    assert set(err["data"][0]) == {"code", "line", "message", "param"}
    assert final["output_file_id"] is None and final["error_file_id"] is None and final["in_progress_at"] is None
    assert sim.stats()["by_api"].get("batch", 0) == 0  # no line of a failed batch ran


def test_partial_failures_land_in_the_error_file_with_their_status_code(sim):
    sim.set_batch_faults({"line_4xx": 0.1, "line_5xx": 0.06}, provider="openai")
    b = create(sim, "openai", jsonl([chat_line(f"p{i}", f"q{i}") for i in range(50)]))
    final, _ = poll(sim, "openai", b["id"])
    assert final["status"] == "completed" and final["request_counts"] == {"total": 50, "completed": 42, "failed": 8}
    out, err = content(sim, "openai", final["output_file_id"]), content(sim, "openai", final["error_file_id"])
    assert len(out) == 42 and len(err) == 8
    assert sorted(x["response"]["status_code"] for x in err) == [400] * 5 + [500] * 3
    assert all(x["error"] is None and "error" in x["response"]["body"] for x in err)  # model-level: error null
    assert {x["custom_id"] for x in out} | {x["custom_id"] for x in err} == {f"p{i}" for i in range(50)}
    assert sim.stats()["by_api"] == {"batch": 50}


def test_an_expired_batch_keeps_what_it_finished_and_expires_the_rest(sim):
    sim.set_batch_faults({"expire_after": 0.4}, provider="openai")
    b = create(sim, "openai", jsonl([chat_line(f"e{i}", f"q{i}") for i in range(10)]))
    final, seen = poll(sim, "openai", b["id"])
    assert statuses(seen)[-2:] == ["in_progress", "expired"] and final["expired_at"] is not None
    assert final["request_counts"] == {"total": 10, "completed": 4, "failed": 6}
    assert len(content(sim, "openai", final["output_file_id"])) == 4
    err = content(sim, "openai", final["error_file_id"])
    assert len(err) == 6 and all(x["response"] is None and x["error"]["code"] == "batch_expired" for x in err)


def test_a_batch_fault_can_fail_a_whole_batch_at_validation(sim):
    sim.set_batch_faults({"fail": True}, provider="openai")
    b = create(sim, "openai", jsonl([chat_line("a", "hi")]))
    final, _ = poll(sim, "openai", b["id"])
    assert final["status"] == "failed" and final["errors"]["data"][0]["code"] == "token_limit_exceeded"
    assert "Enqueued token limit reached for gpt-4.1-mini" in final["errors"]["data"][0]["message"]
    with pytest.raises(ValueError, match="unknown batch fault"):
        sim.set_batch_faults({"explode": 1})


def test_cancel_goes_through_cancelling_to_cancelled(sim):
    sim.set_batch_time(3.0)
    b = create(sim, "openai", jsonl([chat_line(f"c{i}", f"q{i}") for i in range(200)]))
    time.sleep(0.9)  # part-way through its lines
    r = HTTP.post(f"{sim.base_url('openai')}/batches/{b['id']}/cancel", headers=KEY)
    c = r.json()
    assert r.status_code == 200 and c["status"] == "cancelling" and c["cancelling_at"] is not None
    final, _ = poll(sim, "openai", b["id"])
    counts = final["request_counts"]
    assert final["status"] == "cancelled" and final["cancelled_at"] is not None and 0 < counts["completed"] < 200
    assert len(content(sim, "openai", final["output_file_id"])) == counts["completed"]  # partial results kept
    r = HTTP.post(f"{sim.base_url('openai')}/batches/{b['id']}/cancel", headers=KEY)
    assert r.status_code == 409
    assert HTTP.get(f"{sim.base_url('openai')}/batches/batch_nope", headers=KEY).status_code == 404


def test_list_is_a_cursor_page_newest_first(sim):
    ids = [create(sim, "openai", jsonl([chat_line("a", "hi")]))["id"] for _ in range(3)]
    base = sim.base_url("openai")
    page = HTTP.get(f"{base}/batches?limit=2", headers=KEY).json()
    assert page["object"] == "list" and [x["id"] for x in page["data"]] == ids[:0:-1] and page["has_more"]
    rest = HTTP.get(f"{base}/batches?limit=2&after={page['last_id']}", headers=KEY).json()
    assert [x["id"] for x in rest["data"]] == [ids[0]] and not rest["has_more"]


def test_xai_and_gemini_serve_the_same_calls_with_their_own_ids(sim):
    mixed = [chat_line("a", "hi", model="grok-3-mini"), chat_line("b", "hi", model="grok-4.3")]
    bx = create(sim, "xai", jsonl(mixed))  # xAI: one file may mix models (LiteLLM's xAI batch docs)
    fx, _ = poll(sim, "xai", bx["id"])
    assert fx["status"] == "completed" and fx["request_counts"]["completed"] == 2
    bg = g_create(sim, jsonl([chat_line("a", "hi", model="gemini-3-flash-preview")]))
    assert bg["id"].startswith("batches/") and bg["input_file_id"].startswith("files/")
    fg, _ = poll(sim, "gemini", bg["id"])
    assert fg["status"] == "completed" and fg["output_file_id"].startswith("files/")
    (line,) = g_content(sim, fg["output_file_id"])
    assert line["response"]["body"]["object"] == "chat.completion"
    assert HTTP.get(f"{sim.base_url('xai')}/batches/{bg['id']}", headers=KEY).status_code == 404  # per provider


# ---------------------------------------------------------------- Anthropic Message Batches
def a_req(cid: str, text: str, **params: Any) -> dict[str, Any]:
    return {"custom_id": cid, "params": {"model": "claude-haiku-4-5", "max_tokens": 64,
                                         "messages": [{"role": "user", "content": text}], **params}}


def a_create(sim, reqs: list[dict[str, Any]]) -> httpx.Response:
    return HTTP.post(f"{sim.base_url('anthropic')}/messages/batches", headers=AKEY, json={"requests": reqs})


def a_poll(sim, bid: str, timeout: float = 20.0) -> tuple[dict, list]:
    seen = []
    end = time.time() + timeout
    while time.time() < end:
        seen.append(HTTP.get(f"{sim.base_url('anthropic')}/messages/batches/{bid}", headers=AKEY).json())
        if seen[-1]["processing_status"] == "ended":
            return seen[-1], seen
        time.sleep(0.02)
    raise AssertionError(f"{bid} still {seen[-1]['processing_status']}")


def a_results(sim, batch: dict[str, Any]) -> dict[str, dict[str, Any]]:
    r = HTTP.get(batch["results_url"], headers=AKEY)
    assert r.status_code == 200 and r.headers["content-disposition"] == (
        f'attachment; filename="{batch["id"]}_results.jsonl"')
    return {x["custom_id"]: x["result"] for x in map(json.loads, r.text.splitlines())}


def test_anthropic_lifecycle_has_the_recorded_shapes(sim):
    r = a_create(sim, [a_req(f"q-{i}", f"question {i}") for i in range(4)] + [
        {"custom_id": "bad", "params": {"model": "claude-haiku-4-5", "messages": []}}])
    b = r.json()
    assert r.status_code == 200 and set(b) == ANTHROPIC_BATCH_KEYS and b["id"].startswith("msgbatch_")
    assert b["processing_status"] == "in_progress" and b["results_url"] is None
    assert b["request_counts"] == {"processing": 5, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    assert b["created_at"].endswith("+00:00") and b["expires_at"] > b["created_at"]
    final, seen = a_poll(sim, b["id"])
    assert statuses(seen, "processing_status") == ["in_progress", "ended"]
    assert all(o["request_counts"]["processing"] == 5 for o in seen[:-1])  # no partial progress, as recorded
    assert final["request_counts"] == {"processing": 0, "succeeded": 4, "errored": 1, "canceled": 0, "expired": 0}
    assert final["results_url"].startswith(sim.url) and final["ended_at"] is not None
    results = a_results(sim, final)
    assert set(results) == {"q-0", "q-1", "q-2", "q-3", "bad"}
    for i in range(4):
        msg = results[f"q-{i}"]["message"]
        assert results[f"q-{i}"]["type"] == "succeeded" and msg["type"] == "message"
        assert msg["usage"]["service_tier"] == "batch"  # the batch tier, where Anthropic shows it
        assert f"question {i}" in msg["content"][0]["text"]
    bad = results["bad"]
    assert bad["type"] == "errored" and bad["error"]["type"] == "error"
    assert bad["error"]["error"]["type"] == "invalid_request_error"
    assert sim.stats()["by_api"] == {"batch": 5}


def test_anthropic_create_is_refused_as_the_live_endpoint_refuses(sim):
    base = f"{sim.base_url('anthropic')}/messages/batches"
    body = {"requests": [a_req("a", "hi")]}
    assert HTTP.post(base, json=body, headers={"anthropic-version": "2023-06-01"}).status_code == 401
    r = HTTP.post(base, json=body, headers={"x-api-key": "k"})
    assert r.status_code == 400 and "anthropic-version" in r.json()["error"]["message"]
    for reqs, words in (([], "at least 1 item"), ([a_req("has space", "x")], "should match pattern"),
                        ([a_req("a", "x"), a_req("a", "y")], "Duplicate custom_id"),
                        ([a_req("x" * 65, "x")], "should match pattern"),
                        ([{"custom_id": "a", "params": {"max_tokens": 0, "model": "claude-haiku-4-5",
                                                        "messages": []}}], "max_tokens")):
        r = a_create(sim, reqs)
        assert r.status_code == 400 and words in r.json()["error"]["message"], (reqs, r.text)
        assert r.json()["type"] == "error"
    many = [{"custom_id": f"r{i}", "params": {}} for i in range(100_001)]
    r = a_create(sim, many)
    assert r.status_code == 400 and "at most 100000 items" in r.json()["error"]["message"]


def test_anthropic_cancel_list_delete(sim):
    sim.set_batch_time(3.0)
    b = a_create(sim, [a_req(f"r{i}", f"q{i}") for i in range(300)]).json()
    time.sleep(0.9)
    base = f"{sim.base_url('anthropic')}/messages/batches/{b['id']}"
    r = HTTP.delete(base, headers=AKEY)
    assert r.status_code == 400  # only an ended batch can be deleted
    c = HTTP.post(f"{base}/cancel", headers=AKEY).json()
    assert c["processing_status"] == "canceling" and c["cancel_initiated_at"] is not None
    assert c["request_counts"]["processing"] == 300
    final, _ = a_poll(sim, b["id"])
    counts = final["request_counts"]
    assert counts["canceled"] > 0 and counts["succeeded"] > 0 and counts["succeeded"] + counts["canceled"] == 300
    results = a_results(sim, final)
    assert sum(1 for x in results.values() if x == {"type": "canceled"}) == counts["canceled"]
    listed = HTTP.get(f"{sim.base_url('anthropic')}/messages/batches", headers=AKEY).json()
    assert [x["id"] for x in listed["data"]] == [b["id"]] and listed["has_more"] is False
    d = HTTP.delete(base, headers=AKEY)
    assert d.json() == {"id": b["id"], "type": "message_batch_deleted"}
    assert HTTP.get(base, headers=AKEY).status_code == 404


def test_anthropic_expiry_and_line_faults(sim):
    sim.set_batch_faults({"line_5xx": 0.2}, provider="anthropic")
    b = a_create(sim, [a_req(f"r{i}", f"q{i}") for i in range(10)]).json()
    final, _ = a_poll(sim, b["id"])
    assert final["request_counts"] == {"processing": 0, "succeeded": 8, "errored": 2, "canceled": 0, "expired": 0}
    errored = [x for x in a_results(sim, final).values() if x["type"] == "errored"]
    assert len(errored) == 2 and all(x["error"]["error"]["type"] == "api_error" for x in errored)
    sim.set_batch_faults({"expire_after": 0.5}, provider="anthropic")
    b = a_create(sim, [a_req(f"r{i}", f"q{i}") for i in range(10)]).json()
    final, _ = a_poll(sim, b["id"])
    assert final["request_counts"] == {"processing": 0, "succeeded": 5, "errored": 0, "canceled": 0, "expired": 5}
    assert sum(1 for x in a_results(sim, final).values() if x == {"type": "expired"}) == 5


# ---------------------------------------------------------------- OpenRouter inline batches
def test_openrouter_inline_batch_answers_202_and_reports_its_cost(sim):
    base = sim.base_url("openrouter")
    reqs = [{"custom_id": f"o{i}", "body": {"messages": [{"role": "user", "content": f"q{i}"}]}} for i in range(5)]
    r = HTTP.post(f"{base}/batches", headers=KEY, json={"endpoint": "/v1/chat/completions",
                                                        "model": "openai/gpt-4.1-mini", "requests": reqs})
    assert r.status_code == 202 and r.json()["status"] == "validating"
    final, _ = poll(sim, "openrouter", r.json()["id"])
    assert final["status"] == "completed" and final["request_counts"]["completed"] == 5
    page = HTTP.get(f"{base}/batches/{final['id']}/results?limit=3", headers=KEY).json()
    assert page["object"] == "list" and len(page["data"]) == 3 and page["has_more"]
    rest = HTTP.get(f"{base}/batches/{final['id']}/results?cursor={page['next_cursor']}", headers=KEY).json()
    rows = page["data"] + rest["data"]
    assert {x["custom_id"] for x in rows} == {f"o{i}" for i in range(5)} and not rest["has_more"]
    cost = sum(x["response"]["body"]["usage"]["cost"] for x in rows)
    assert final["usage"]["cost"] == pytest.approx(cost) and cost > 0
    too_many = [{"custom_id": f"o{i}", "body": {}} for i in range(5001)]
    r = HTTP.post(f"{base}/batches", headers=KEY, json={"model": "openai/gpt-4.1-mini", "requests": too_many})
    assert r.status_code == 400


# ---------------------------------------------------------------- counting, determinism, time
def test_batch_lines_never_count_as_live_requests(sim):
    b = create(sim, "openai", jsonl([chat_line(f"l{i}", "hi") for i in range(7)]))
    a = a_create(sim, [a_req("x", "hi")]).json()
    poll(sim, "openai", b["id"])
    a_poll(sim, a["id"])
    stats = sim.stats()
    assert stats["by_api"] == {"batch": 8} and stats["received"] == 8
    assert {r["api"] for r in sim.requests()} == {"batch"}


def _run_faulted(seed: int) -> tuple[list[str], list[str]]:
    with msim.start(latency_scale=0, batch_s=0.3, seed=seed,
                    batch_faults={"line_4xx": 0.25}) as s:
        b = create(s, "openai", jsonl([chat_line(f"d{i}", f"question {i}") for i in range(20)]))
        final, _ = poll(s, "openai", b["id"])
        failed = sorted(x["custom_id"] for x in content(s, "openai", final["error_file_id"]))
        out = sorted(content(s, "openai", final["output_file_id"]), key=lambda x: x["custom_id"])
        return failed, [x["response"]["body"]["choices"][0]["message"]["content"] for x in out]


def test_the_same_seed_fails_the_same_lines_and_gives_the_same_answers():
    first, second, other = _run_faulted(11), _run_faulted(11), _run_faulted(12)
    assert first == second and len(first[0]) == 5
    assert other[0] != first[0]


def test_a_thousand_line_batch_completes_within_the_compressed_time():
    with msim.start(latency_scale=0, batch_s=2.0) as s:
        b = create(s, "openai", jsonl([chat_line(f"k{i}", f"question {i}") for i in range(1000)]))
        t0 = time.time()
        final, _ = poll(s, "openai", b["id"], timeout=30)
        took = time.time() - t0
        assert final["request_counts"] == {"total": 1000, "completed": 1000, "failed": 0}
        assert took < 2.0 + 3.0, took  # 2 s of compressed window, plus the shared machine's slack
        assert len(content(s, "openai", final["output_file_id"])) == 1000


def test_results_do_not_keep_the_input_order_so_a_client_must_join_on_custom_id(sim):
    """OpenAI's guide: output order may differ from input order, join on custom_id (RESEARCH §1.2); Anthropic:
    results order not guaranteed (§4). The simulator's order is the seed's, the same on every read."""
    ids = [f"r{i}" for i in range(20)]
    batch = create(sim, "openai", jsonl([chat_line(cid, f"question {cid}") for cid in ids]))
    done, _ = poll(sim, "openai", batch["id"])
    got = [row["custom_id"] for row in content(sim, "openai", done["output_file_id"])]
    assert sorted(got) == sorted(ids) and got != ids
    assert [row["custom_id"] for row in content(sim, "openai", done["output_file_id"])] == got


# ---------------------------------------------------------------- faults of the Batch API calls themselves
# (issue 19: the calls fail as the providers' do, so a client can be tested against a create that made its batch
# but did not say so, polls and downloads that fail, batches that never settle, results that lack lines or are gone)
def or_create(sim, n: int, **extra: Any) -> httpx.Response:
    reqs = [{"custom_id": f"o{i}", "body": {"messages": [{"role": "user", "content": f"q{i}"}]}} for i in range(n)]
    return HTTP.post(f"{sim.base_url('openrouter')}/batches", headers=KEY,
                     json={"endpoint": "/v1/chat/completions", "model": "openai/gpt-4.1-mini", "requests": reqs,
                           **extra})


def raw_create(sim, provider: str, tag: str) -> httpx.Response:
    """One create of ``provider``'s dialect (a one-line batch tagged ``tag`` where the create takes metadata)."""
    if provider == "anthropic":
        return a_create(sim, [a_req("t", tag)])
    if provider == "openrouter":
        return or_create(sim, 1)
    data = jsonl([chat_line("t", tag, model=MODEL_OF[provider])])
    fid = g_upload(sim, data) if provider == "gemini" else upload(sim, provider, data)["id"]
    return HTTP.post(f"{sim.base_url(provider)}/batches", headers=KEY, json={
        "input_file_id": fid, "endpoint": "/v1/chat/completions", "completion_window": "24h",
        "metadata": {"mm_tag": tag}})


MODEL_OF = {"openai": "gpt-4.1-mini", "xai": "grok-3-mini", "gemini": "gemini-3-flash-preview"}


def listed(sim, provider: str) -> list[dict[str, Any]]:
    url = (f"{sim.base_url('anthropic')}/messages/batches" if provider == "anthropic"
           else f"{sim.base_url(provider)}/batches")
    r = HTTP.get(url, headers=AKEY if provider == "anthropic" else KEY)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def snapshot(sim) -> dict[str, Any]:
    return sim.stats()["batches"]


def test_every_new_batch_fault_is_off_by_default_and_validated_readably(sim):
    off = BatchFaults().as_dict()
    assert set(off) >= {"create_5xx_after_accept", "create_reset_after_accept", "poll_5xx", "poll_429",
                        "download_fail", "stuck", "drop_lines", "results_gone", "no_files", "no_cancel"}
    assert not any(off.values())  # all off (no_files None: the provider's own default)
    parse = parse_batch_faults
    for spec, words in (({"create_5xx_after_accept": True}, "whole number"), ({"drop_lines": -1}, "whole number"),
                        ({"download_fail": 1.5}, "whole number"), ({"poll_5xx": 2}, "in [0, 1]"),
                        ({"poll_5xx": 0.6, "poll_429": 0.6}, "poll_5xx + poll_429"),
                        ({"stuck": "validating"}, "finalizing, cancelling"), ({"results_gone": "yes"}, "true or false"),
                        ({"no_cancel": 1}, "true or false"), ({"poll_timeout": 0.1}, "unknown batch fault")):
        with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]").replace("+", r"\+")):
            parse(spec)
    sim.set_batch_faults({"poll_429": 0.5, "stuck": "finalizing", "drop_lines": 2}, provider="openai")
    (shown,) = snapshot(sim)["faults"]
    assert shown["provider"] == "openai" and shown["faults"]["poll_429"] == 0.5
    assert shown["faults"]["stuck"] == "finalizing" and shown["faults"]["drop_lines"] == 2


@pytest.mark.parametrize("provider", ["openai", "xai", "anthropic", "openrouter"])
def test_a_create_answered_500_after_accept_made_a_batch_the_list_shows(sim, provider):
    sim.set_batch_faults({"create_5xx_after_accept": 1}, provider=provider)
    r = raw_create(sim, provider, "first")
    assert r.status_code == 500, r.text
    body = r.json()
    assert body["type"] == "error" if provider == "anthropic" else "error" in body  # the provider's envelope
    (made,) = listed(sim, provider)  # the batch exists, runs, and is listed
    if provider in MODEL_OF:
        assert made["metadata"] == {"mm_tag": "first"}  # found again by its tag
    r2 = raw_create(sim, provider, "second")
    assert r2.status_code in (200, 202)  # one create only, then normal
    assert [b["id"] for b in listed(sim, provider)][1] == made["id"]  # newest first
    snap = snapshot(sim)
    assert snap["created"] == {provider: 2} and snap["faulted"] == {"create_5xx_after_accept": 1}
    if provider == "anthropic":
        final, _ = a_poll(sim, made["id"])
        assert final["request_counts"]["succeeded"] == 1
    else:
        final, _ = poll(sim, provider, made["id"])
        assert final["status"] == "completed" and final["request_counts"]["completed"] == 1


@pytest.mark.parametrize("provider", ["openai", "anthropic", "openrouter"])
def test_a_create_dropped_after_accept_is_a_reset_not_a_status(sim, provider):
    sim.set_batch_faults({"create_reset_after_accept": 2}, provider=provider)
    for _ in range(2):
        if provider == "anthropic":
            url, headers, body = (f"{sim.base_url('anthropic')}/messages/batches", AKEY,
                                  {"requests": [a_req("t", "hi")]})
        elif provider == "openrouter":
            url, headers, body = f"{sim.base_url('openrouter')}/batches", KEY, {
                "model": "openai/gpt-4.1-mini",
                "requests": [{"custom_id": "t", "body": {"messages": [{"role": "user", "content": "hi"}]}}]}
        else:
            f = upload(sim, "openai", jsonl([chat_line("t", "hi")]))
            url, headers, body = f"{sim.base_url('openai')}/batches", KEY, {
                "input_file_id": f["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h",
                "metadata": {"mm_tag": "lost"}}
        # no HTTP status at all: the connection is reset
        with httpx.Client(timeout=10.0) as c, pytest.raises(httpx.TransportError):
            c.post(url, headers=headers, json=body)
    assert raw_create(sim, provider, "third").status_code in (200, 202)
    made = listed(sim, provider)
    assert len(made) == 3  # the two unanswered creates made their batches all the same
    if provider == "openai":
        assert [b["metadata"]["mm_tag"] for b in made] == ["third", "lost", "lost"]
    snap = snapshot(sim)
    assert snap["created"] == {provider: 3} and snap["faulted"] == {"create_reset_after_accept": 2}


def _poll_outcomes(s, provider: str, bid: str, n: int) -> list[int]:
    url = (f"{s.base_url('anthropic')}/messages/batches/{bid}" if provider == "anthropic"
           else f"{s.base_url(provider)}/batches/{bid}")
    return [HTTP.get(url, headers=AKEY if provider == "anthropic" else KEY).status_code for _ in range(n)]


@pytest.mark.parametrize("provider", ["openai", "gemini", "anthropic"])
def test_polls_fail_with_503_and_429_in_seeded_fractions(sim, provider):
    sim.set_batch_faults({"poll_5xx": 0.25, "poll_429": 0.25}, provider=provider)
    made = raw_create(sim, provider, "p").json()
    codes = _poll_outcomes(sim, provider, made["id"], 200)
    assert set(codes) == {200, 429, 503}
    assert 30 <= codes.count(503) <= 70 and 30 <= codes.count(429) <= 70  # a quarter each, drawn from the seed
    url = (f"{sim.base_url('anthropic')}/messages/batches/{made['id']}" if provider == "anthropic"
           else f"{sim.base_url(provider)}/batches/{made['id']}")
    while True:
        r = HTTP.get(url, headers=AKEY if provider == "anthropic" else KEY)
        codes.append(r.status_code)
        if r.status_code == 429:
            break
    assert r.headers["retry-after"] == "1"
    body = r.json()
    if provider == "gemini":
        assert body[0]["error"]["status"] == "RESOURCE_EXHAUSTED"  # Gemini's list-shaped envelope
    elif provider == "anthropic":
        assert body["type"] == "error" and body["error"]["type"] == "rate_limit_error"
    else:
        assert body["error"]["code"] == "rate_limit_exceeded"
    faulted = snapshot(sim)["faulted"]
    assert faulted == {"poll_5xx": codes.count(503), "poll_429": codes.count(429)}  # each counted by its kind
    assert listed(sim, provider)[0]["id"] == made["id"]  # the list is not faulted: it is how a client recovers


def test_the_same_seed_fails_the_same_polls():
    def run() -> list[int]:
        with msim.start(latency_scale=0, batch_s=0.3, seed=11,
                        batch_faults={"poll_5xx": 0.3, "poll_429": 0.2}) as s:
            b = create(s, "openai", jsonl([chat_line("a", "hi")]))
            return _poll_outcomes(s, "openai", b["id"], 40)
    first = run()
    assert first == run() and 503 in first and 429 in first


def test_downloads_fail_with_503_for_the_first_n_then_serve(sim):
    sim.set_batch_faults({"download_fail": 2})  # every provider
    b = create(sim, "openai", jsonl([chat_line("a", "hi")]))
    final, _ = poll(sim, "openai", b["id"])
    url = f"{sim.base_url('openai')}/files/{final['output_file_id']}/content"
    assert [HTTP.get(url, headers=KEY).status_code for _ in range(3)] == [503, 503, 200]
    a = a_create(sim, [a_req("x", "hi")]).json()
    af, _ = a_poll(sim, a["id"])
    assert HTTP.get(af["results_url"], headers=AKEY).status_code == 200  # the two failures were used up
    sim.set_batch_faults({"download_fail": 1}, provider="anthropic")
    r = HTTP.get(af["results_url"], headers=AKEY)
    assert r.status_code == 503 and r.json()["type"] == "error"
    assert len(a_results(sim, af)) == 1
    sim.set_batch_faults({"download_fail": 1}, provider="openrouter")
    o = or_create(sim, 2).json()
    of, _ = poll(sim, "openrouter", o["id"])
    res = f"{sim.base_url('openrouter')}/batches/{of['id']}/results"
    assert [HTTP.get(res, headers=KEY).status_code for _ in range(2)] == [503, 200]
    assert snapshot(sim)["faulted"] == {"download_fail": 4}


def test_a_batch_stuck_in_finalizing_never_completes(sim):
    sim.set_batch_faults({"stuck": "finalizing"})
    b = create(sim, "openai", jsonl([chat_line(f"s{i}", "hi") for i in range(4)]))
    a = a_create(sim, [a_req("x", "hi")]).json()
    time.sleep(5 * 0.6)  # five times the batch's whole compressed window
    got = HTTP.get(f"{sim.base_url('openai')}/batches/{b['id']}", headers=KEY).json()
    assert got["status"] == "finalizing" and got["completed_at"] is None and got["output_file_id"] is None
    assert got["request_counts"] == {"total": 4, "completed": 4, "failed": 0}  # every line done, never finished
    ga = HTTP.get(f"{sim.base_url('anthropic')}/messages/batches/{a['id']}", headers=AKEY).json()
    assert ga["processing_status"] == "in_progress" and ga["results_url"] is None
    assert HTTP.get(f"{sim.base_url('anthropic')}/messages/batches/{a['id']}/results", headers=AKEY).status_code == 400


def test_a_batch_stuck_in_cancelling_never_becomes_cancelled(sim):
    sim.set_batch_time(3.0)
    sim.set_batch_faults({"stuck": "cancelling"})
    b = create(sim, "openai", jsonl([chat_line(f"s{i}", "hi") for i in range(300)]))
    a = a_create(sim, [a_req(f"r{i}", "hi") for i in range(300)]).json()
    time.sleep(0.6)
    assert HTTP.post(f"{sim.base_url('openai')}/batches/{b['id']}/cancel", headers=KEY).json()["status"] == "cancelling"
    HTTP.post(f"{sim.base_url('anthropic')}/messages/batches/{a['id']}/cancel", headers=AKEY)
    time.sleep(2 * 3.0)
    got = HTTP.get(f"{sim.base_url('openai')}/batches/{b['id']}", headers=KEY).json()
    assert got["status"] == "cancelling" and got["cancelled_at"] is None
    ga = HTTP.get(f"{sim.base_url('anthropic')}/messages/batches/{a['id']}", headers=AKEY).json()
    assert ga["processing_status"] == "canceling" and ga["ended_at"] is None


def test_drop_lines_leaves_lines_out_of_the_results_while_the_counts_keep_them(sim):
    sim.set_batch_faults({"drop_lines": 2})
    b = create(sim, "openai", jsonl([chat_line(f"d{i}", "hi") for i in range(6)]))
    final, _ = poll(sim, "openai", b["id"])
    assert final["request_counts"] == {"total": 6, "completed": 6, "failed": 0}
    out = content(sim, "openai", final["output_file_id"])
    assert len(out) == 4 and len({x["custom_id"] for x in out}) == 4  # two lines are simply missing
    a = a_create(sim, [a_req(f"r{i}", "hi") for i in range(5)]).json()
    af, _ = a_poll(sim, a["id"])
    assert af["request_counts"]["succeeded"] == 5 and len(a_results(sim, af)) == 3
    o = or_create(sim, 4).json()
    of, _ = poll(sim, "openrouter", o["id"])
    rows = HTTP.get(f"{sim.base_url('openrouter')}/batches/{of['id']}/results", headers=KEY).json()["data"]
    assert of["request_counts"]["completed"] == 4 and len(rows) == 2
    assert snapshot(sim)["faulted"] == {"drop_lines": 6}


def test_results_gone_answers_404_after_the_end_while_retrieve_still_works(sim):
    b = create(sim, "openai", jsonl([chat_line("g", "hi")]))
    final, _ = poll(sim, "openai", b["id"])
    a = a_create(sim, [a_req("x", "hi")]).json()
    af, _ = a_poll(sim, a["id"])
    sim.set_batch_faults({"results_gone": True})  # as if 30 days had passed
    assert HTTP.get(f"{sim.base_url('openai')}/batches/{b['id']}", headers=KEY).json()["status"] == "completed"
    r = HTTP.get(f"{sim.base_url('openai')}/files/{final['output_file_id']}/content", headers=KEY)
    assert r.status_code == 404 and r.json()["error"]["message"]
    assert HTTP.get(f"{sim.base_url('anthropic')}/messages/batches/{a['id']}", headers=AKEY).status_code == 200
    r = HTTP.get(af["results_url"], headers=AKEY)
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found_error"
    o = or_create(sim, 1).json()
    of, _ = poll(sim, "openrouter", o["id"])
    assert HTTP.get(f"{sim.base_url('openrouter')}/batches/{of['id']}/results", headers=KEY).status_code == 404


def test_without_files_or_cancel_the_compat_routes_answer_404_in_geminis_envelope(sim):
    b = g_create(sim, jsonl([chat_line("a", "hi", model="gemini-3-flash-preview")]))
    sim.set_batch_faults({"no_cancel": True}, provider="gemini")  # no_files is Gemini's default already
    base = sim.base_url("gemini")
    r = HTTP.post(f"{base}/files", headers=KEY, files={"file": ("upload", b"{}\n")}, data={"purpose": "batch"})
    assert r.status_code == 404 and r.json()[0]["error"]["status"] == "NOT_FOUND"
    assert HTTP.get(f"{base}/files/{b['input_file_id']}", headers=KEY).status_code == 404
    assert HTTP.get(f"{base}/files/{b['input_file_id']}/content", headers=KEY).status_code == 404
    r = HTTP.post(f"{base}/batches/{b['id']}/cancel", headers=KEY)
    assert r.status_code == 404 and r.json()[0]["error"]["code"] == 404
    final, _ = poll(sim, "gemini", b["id"])  # the batch itself runs on: create, retrieve and list are served
    assert final["status"] == "completed" and listed(sim, "gemini")[0]["id"] == b["id"]
    assert snapshot(sim)["faulted"] == {"no_files": 3, "no_cancel": 1}
    sim.set_batch_faults({"no_files": False}, provider="gemini")  # a test of a client's old path can have them
    assert len(content(sim, "gemini", final["output_file_id"])) == 1


def test_gemini_batches_go_through_the_native_files_api(sim):
    data = jsonl([chat_line(f"g{i}", f"q{i}", model="gemini-3-flash-preview") for i in range(3)])
    name = g_upload(sim, data)
    meta = HTTP.get(f"{sim.url}/gemini/v1beta/{name}", headers=GKEY).json()
    assert meta["name"] == name and meta["sizeBytes"] == str(len(data)) and meta["state"] == "ACTIVE"
    r = HTTP.get(f"{sim.url}/gemini/download/v1beta/{name}:download?alt=media", headers=GKEY)
    assert r.status_code == 400  # an uploaded input is not offered back
    assert HTTP.get(f"{sim.url}/gemini/v1beta/{name}:download?alt=media", headers=GKEY).status_code == 404
    assert HTTP.get(f"{sim.url}/gemini/v1beta/{name}").status_code in (401, 403)  # a key is needed
    assert HTTP.get(f"{sim.url}/gemini/v1beta/files/nope", headers=GKEY).status_code == 404
    r = HTTP.post(f"{sim.url}/gemini/upload/v1beta/files?upload_id=nope&upload_protocol=resumable",
                  headers={**GKEY, "X-Goog-Upload-Command": "upload, finalize"}, content=b"x")
    assert r.status_code == 400
    r = HTTP.post(f"{sim.url}/openai/upload/v1beta/files", headers=GKEY)
    assert r.status_code == 404  # Gemini's route only
    start = {**GKEY, "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"}
    assert HTTP.post(f"{sim.url}/gemini/upload/v1beta/files", headers=start).status_code == 400  # no declared size
    session = HTTP.post(f"{sim.url}/gemini/upload/v1beta/files",
                        headers={**start, "X-Goog-Upload-Header-Content-Length": "5"}).headers["X-Goog-Upload-URL"]
    short = HTTP.post(session, headers={**GKEY, "X-Goog-Upload-Command": "upload, finalize",
                                        "X-Goog-Upload-Offset": "0"}, content=b"abc")
    assert short.status_code == 400 and "declared 5" in short.text
    b = HTTP.post(f"{sim.base_url('gemini')}/batches", headers=KEY, json={
        "input_file_id": name, "endpoint": "/v1/chat/completions", "completion_window": "24h"}).json()
    final, _ = poll(sim, "gemini", b["id"])
    assert final["request_counts"] == {"total": 3, "completed": 3, "failed": 0}
    assert {x["custom_id"] for x in g_content(sim, final["output_file_id"])} == {"g0", "g1", "g2"}
    sim.set_batch_faults({"download_fail": 1, "results_gone": True}, provider="gemini")
    url = f"{sim.url}/gemini/download/v1beta/{final['output_file_id']}:download?alt=media"
    codes = [HTTP.get(url, headers=GKEY).status_code for _ in range(2)]
    assert codes == [503, 404]  # the native download carries the download faults too


# ---------------------------------------------------------------- lists and metadata, as a client recovers by them
@pytest.mark.parametrize("provider", ["openai", "xai"])
def test_openai_family_lists_are_documented_pages_and_echo_metadata(sim, provider):
    ids = [raw_create(sim, provider, f"tag{i}").json()["id"] for i in range(3)]
    got = HTTP.get(f"{sim.base_url(provider)}/batches/{ids[0]}", headers=KEY).json()
    assert got["metadata"] == {"mm_tag": "tag0"}
    page = HTTP.get(f"{sim.base_url(provider)}/batches?limit=2", headers=KEY).json()
    assert set(page) == {"object", "data", "first_id", "last_id", "has_more"} and page["object"] == "list"
    assert [b["id"] for b in page["data"]] == [ids[2], ids[1]] and page["has_more"] is True
    assert (page["first_id"], page["last_id"]) == (ids[2], ids[1])
    assert [b["metadata"]["mm_tag"] for b in page["data"]] == ["tag2", "tag1"]
    rest = HTTP.get(f"{sim.base_url(provider)}/batches?limit=2&after={page['last_id']}", headers=KEY).json()
    assert [b["id"] for b in rest["data"]] == [ids[0]] and rest["has_more"] is False


def test_geminis_compatibility_layer_lists_its_batches_without_the_metadata_sent(sim):
    ids = [raw_create(sim, "gemini", f"tag{i}").json()["id"] for i in range(2)]
    page = HTTP.get(f"{sim.base_url('gemini')}/batches?limit=5", headers=KEY).json()
    assert [b["id"] for b in page["data"]] == ids[::-1]
    assert [b["metadata"] for b in page["data"]] == [None, None]  # not known to be kept: held null, the strict guess


def test_openrouter_ignores_metadata_it_does_not_document(sim):
    r = or_create(sim, 1, metadata={"mm_tag": "x"})
    assert r.status_code == 202 and r.json()["metadata"] is None
    assert listed(sim, "openrouter")[0]["metadata"] is None  # a client cannot find an OpenRouter batch by a tag


def test_anthropic_list_pages_newest_first_with_after_id_and_before_id(sim):
    ids = [a_create(sim, [a_req("x", f"q{i}")]).json()["id"] for i in range(5)]
    url = f"{sim.base_url('anthropic')}/messages/batches"
    page = HTTP.get(f"{url}?limit=2", headers=AKEY).json()
    assert set(page) == {"data", "has_more", "first_id", "last_id"}
    assert [b["id"] for b in page["data"]] == [ids[4], ids[3]] and page["has_more"] is True
    nxt = HTTP.get(f"{url}?limit=2&after_id={page['last_id']}", headers=AKEY).json()
    assert [b["id"] for b in nxt["data"]] == [ids[2], ids[1]] and nxt["has_more"] is True
    back = HTTP.get(f"{url}?limit=2&before_id={nxt['first_id']}", headers=AKEY).json()
    assert [b["id"] for b in back["data"]] == [ids[4], ids[3]] and back["has_more"] is False
    back1 = HTTP.get(f"{url}?limit=1&before_id={ids[2]}", headers=AKEY).json()
    assert [b["id"] for b in back1["data"]] == [ids[3]] and back1["has_more"] is True
    created = [b["created_at"] for b in HTTP.get(url, headers=AKEY).json()["data"]]
    assert created == sorted(created, reverse=True)  # a client matches by created_at + request count
