"""The on-disk cache (multimodel/store.py): round trips field by field, the run that wrote a row, misses for
rows that cannot be decoded, the numbered migrations (an old file is brought up to date and keeps its rows; a
newer one is refused), and where the cache lives by default."""

from __future__ import annotations

import math
import sqlite3
import sys
import time
from dataclasses import fields
from pathlib import Path

import orjson
import pytest

import multimodel as mm
import multimodel.store as store
from multimodel.results import Result, ResultError, ToolCall, results_to_frame
from multimodel.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Claim,
    ResultCache,
    claim_owner,
    default_cache_path,
    migrate,
    open_cache,
)


def full_result() -> Result:
    return Result(
        model="gemini/gemini-3-flash", provider="openrouter", response_model="anthropic/claude-4.7",
        content="Rayleigh scattering.", reasoning="Short wavelengths scatter more.",
        tool_calls=[ToolCall("call_1", "get_weather", {"city": "Paris"}, '{"city":"Paris"}',
                             extra={"extra_content": {"google": {"thought_signature": "SIG"}}}),
                    ToolCall("call_2", "broken", None, '{"city":')],
        finish_reason="tool_calls", native_finish_reason="tool_calls", prompt_tokens=120, completion_tokens=48,
        reasoning_tokens=30, cached_tokens=64, cost_usd=0.00123, cost_source="provider", ttft_s=0.25, ttfat_s=0.5,
        e2e_s=1.75, attempts=2, simulated=True, stream=True, request_id="gen-123", created_at=1_700_000_000.5,
        answered_by="openrouter/anthropic/claude-opus-4.7", dropped_inputs=["seed"], unverified_inputs=["audio_input"],
        route_reason="#1 of 2 eligible", logprobs=[{"token": "Ray", "logprob": -0.01}],
        provider_state={"reasoning_details": [{"type": "reasoning.text", "text": "..."}]},
        raw='data: {"id":"gen-123"}',
    )


def assert_same_fields(got: Result, want: Result) -> None:
    for f in fields(Result):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if isinstance(b, float) and math.isnan(b):
            assert isinstance(a, float) and math.isnan(a), f.name
        else:
            assert a == b, f.name


@pytest.fixture
def cache(tmp_path):
    c = ResultCache(tmp_path / "sub" / "cache.sqlite")  # the parent folder is created
    yield c
    c.close()


# ---------------------------------------------------------------------------------- round trips
def test_put_get_round_trip_keeps_every_field(cache):
    r = full_result()
    cache.put("k1", r)
    got = cache.get("k1")
    assert got is not r
    assert_same_fields(got, r)
    assert got.tool_calls[1].arguments is None and got.tool_calls[1].arguments_raw == '{"city":'
    assert got.tool_calls[0].extra == {"extra_content": {"google": {"thought_signature": "SIG"}}}


def test_nan_cost_and_empty_fields_survive(cache):
    r = Result(model="local/llama3", provider="local", content="hi")
    assert math.isnan(r.cost_usd)
    cache.put("k", r)
    got = cache.get("k")
    assert math.isnan(got.cost_usd) and got.cost_source is None
    assert_same_fields(got, r)
    stored = cache._conn.execute("SELECT result FROM results WHERE key = 'k'").fetchone()[0]
    assert b'"cost_usd":null' in bytes(stored)  # NaN is stored as null, not as invalid JSON


def test_an_error_round_trips(cache):
    r = Result(model="openai/gpt-5.4", provider="openai", finish_reason="error",
               error=ResultError("rate_limit", "slow down", status=429, retry_after_s=2.5, provider_code="rl"))
    cache.put("e", r)
    got = cache.get("e")
    assert got.error == ResultError("rate_limit", "slow down", 429, 2.5, "rl")
    assert_same_fields(got, r)


def test_get_with_run_len_replace_and_clear(cache):
    assert cache.get("missing") is None and cache.get_with_run("missing") is None
    assert len(cache) == 0
    cache.put("a", Result(model="openai/x", provider="openai", content="first"), run_id="run-1")
    cache.put("b", Result(model="openai/y", provider="openai", content="other"))
    result, run_id = cache.get_with_run("a")
    assert (result.content, run_id) == ("first", "run-1")
    assert cache.get_with_run("b")[1] is None
    assert len(cache) == 2
    cache.put("a", Result(model="openai/x", provider="openai", content="second"), run_id="run-2")
    assert len(cache) == 2
    result, run_id = cache.get_with_run("a")
    assert (result.content, run_id) == ("second", "run-2")
    row = cache._conn.execute("SELECT model, run_id FROM results WHERE key = 'a'").fetchone()
    assert row == ("openai/x", "run-2")
    cache.clear()
    assert len(cache) == 0 and cache.get("a") is None
    assert repr(cache) == f"<ResultCache {cache.path}>"


def test_rows_persist_across_opens(tmp_path):
    path = tmp_path / "c.sqlite"
    first = ResultCache(path)
    first.put("k", full_result(), run_id="r")
    first.close()
    again = ResultCache(path)
    try:
        got, run_id = again.get_with_run("k")
        assert_same_fields(got, full_result())
        assert run_id == "r"
    finally:
        again.close()


# ---------------------------------------------------------------------------------- rows that cannot be decoded
@pytest.mark.parametrize("blob", [
    b"not json at all",
    b'{"model": "openai/x"}',  # a required field missing
    b'{"model": "openai/x", "provider": "openai", "colour": "red"}',  # a field this version does not know
    b'{"model": "openai/x", "provider": "openai", "error": {"kind": "server"}}',  # an error without its message
    b'{"model": "openai/x", "provider": "openai", "tool_calls": [1]}',
    b'{"model": "openai/x", "provider": "openai", "cost_usd": "cheap"}',
    b"[1, 2]",
    b'"a string"',
    b"null",
    b"42",
])
def test_a_row_that_cannot_be_decoded_is_a_miss(cache, blob):
    cache._conn.execute("INSERT INTO results (key, created, model, result) VALUES ('bad', 0, 'm', ?)", (blob,))
    assert cache.get("bad") is None
    assert cache.get_with_run("bad") is None
    cache.put("bad", Result(model="openai/x", provider="openai", content="fresh"))  # and can be overwritten
    assert cache.get("bad").content == "fresh"


# ---------------------------------------------------------------------------------- migrations
def columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[1] for row in conn.execute("PRAGMA table_info(results)")]


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def test_schema_version_is_the_number_of_migrations():
    assert SCHEMA_VERSION == len(MIGRATIONS) == 6  # results, run_id, repairs, claims, answers, batches


def test_a_new_file_is_built_by_the_migrations(tmp_path):
    path = tmp_path / "new.sqlite"
    ResultCache(path).close()
    assert user_version(path) == SCHEMA_VERSION
    assert columns(path) == ["key", "created", "model", "result", "run_id"]


def test_a_version_0_file_without_run_id_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    old = full_result()
    with sqlite3.connect(path) as conn:  # the layout written before migrations were numbered
        conn.execute("CREATE TABLE results (key TEXT PRIMARY KEY, created REAL NOT NULL, model TEXT NOT NULL, "
                     "result BLOB NOT NULL)")
        conn.execute("INSERT INTO results VALUES ('old-key', 1.0, ?, ?)", (old.model, old.to_json()))
        conn.execute("INSERT INTO results VALUES ('old-2', 2.0, 'm', ?)",
                     (Result(model="m/x", provider="m").to_json(),))
    assert user_version(path) == 0 and "run_id" not in columns(path)
    cache = ResultCache(path)
    try:
        assert user_version(path) == SCHEMA_VERSION
        assert columns(path) == ["key", "created", "model", "result", "run_id"]
        assert len(cache) == 2
        got, run_id = cache.get_with_run("old-key")
        assert_same_fields(got, old)
        assert run_id is None
        cache.put("new", Result(model="m/y", provider="m"), run_id="r1")
        assert cache.get_with_run("new")[1] == "r1"
    finally:
        cache.close()


def old_release_blob(result: Result, fallback_from: str | None) -> bytes:
    """``result`` as the release before ``answered_by`` wrote it to the cache: the same fields in the same order with
    ``fallback_from`` where ``answered_by`` is now, and ``model`` naming the model that answered."""
    old = {}
    for name, value in orjson.loads(result.to_json()).items():
        old.update({"fallback_from": fallback_from} if name == "answered_by" else {name: value})
    return orjson.dumps(old)


@pytest.mark.parametrize("layout", ["version 0", "current schema"])
def test_a_cache_written_before_answered_by_loads_with_the_model_as_requested(tmp_path, layout):
    """Rows the release before ``answered_by`` cached: a fallback's row (``model`` the fallback, ``fallback_from``
    the model as requested) reads as model = the model as requested, answered_by = the fallback; any other row as
    answered by its own model. Both in a file from before numbered migrations and in one at the current schema."""
    path = tmp_path / "before-answered-by.sqlite"
    if layout == "current schema":
        ResultCache(path).close()
    else:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE results (key TEXT PRIMARY KEY, created REAL NOT NULL, model TEXT NOT NULL, "
                         "result BLOB NOT NULL)")
    answered = Result(model="deepseek/deepseek-flash", provider="deepseek", response_model="deepseek-flash",
                      content="from the fallback", finish_reason="stop", cost_usd=0.0004, simulated=True)
    plain = Result(model="openai/gpt-5.4", provider="openai", content="its own answer", finish_reason="stop")
    conn = sqlite3.connect(path)
    try:
        with conn:  # what the old code wrote: its model column held Result.model
            conn.execute("INSERT INTO results (key, created, model, result) VALUES ('fb', 1.0, ?, ?)",
                         (answered.model, old_release_blob(answered, "anthropic/claude-haiku-4-5")))
            conn.execute("INSERT INTO results (key, created, model, result) VALUES ('plain', 2.0, ?, ?)",
                         (plain.model, old_release_blob(plain, None)))
        stored = conn.execute("SELECT result FROM results WHERE key = 'fb'").fetchone()[0]
        assert b'"fallback_from":"anthropic/claude-haiku-4-5"' in bytes(stored) and b"answered_by" not in bytes(stored)
    finally:
        conn.close()
    cache = ResultCache(path)
    try:
        assert user_version(path) == SCHEMA_VERSION and len(cache) == 2
        got = cache.get("fb")
        assert (got.model, got.answered_by) == ("anthropic/claude-haiku-4-5", "deepseek/deepseek-flash")
        assert (got.content, got.response_model, got.cost_usd) == ("from the fallback", "deepseek-flash", 0.0004)
        got = cache.get("plain")
        assert (got.model, got.answered_by, got.content) == ("openai/gpt-5.4", "openai/gpt-5.4", "its own answer")
        df = results_to_frame([cache.get("fb"), cache.get("plain")])
        assert df[["model", "answered_by"]].values.tolist() == [
            ["anthropic/claude-haiku-4-5", "deepseek/deepseek-flash"], ["openai/gpt-5.4", "openai/gpt-5.4"]]
        cache.put("plain", got)  # written back in this release's shape: answered_by, no fallback_from
        stored = orjson.loads(cache._conn.execute("SELECT result FROM results WHERE key = 'plain'").fetchone()[0])
        assert stored["answered_by"] == "openai/gpt-5.4" and "fallback_from" not in stored
    finally:
        cache.close()


def test_a_version_0_file_that_already_has_run_id_is_migrated_too(tmp_path):
    path = tmp_path / "old-with-run.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE results (key TEXT PRIMARY KEY, created REAL NOT NULL, model TEXT NOT NULL, "
                     "result BLOB NOT NULL, run_id TEXT)")
        conn.execute("INSERT INTO results VALUES ('k', 1.0, 'm/x', ?, 'run-0')",
                     (Result(model="m/x", provider="m", content="kept").to_json(),))
    cache = ResultCache(path)
    try:
        assert user_version(path) == SCHEMA_VERSION
        assert columns(path).count("run_id") == 1
        got, run_id = cache.get_with_run("k")
        assert (got.content, run_id) == ("kept", "run-0")
    finally:
        cache.close()


def test_migrate_returns_the_version_found_and_is_idempotent(tmp_path):
    conn = sqlite3.connect(tmp_path / "m.sqlite", isolation_level=None)
    try:
        assert migrate(conn) == 0
        assert migrate(conn) == SCHEMA_VERSION
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def test_a_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "future.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE results (key TEXT PRIMARY KEY, created REAL NOT NULL, model TEXT NOT NULL, "
                     "result BLOB NOT NULL, run_id TEXT, shiny TEXT)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(mm.ConfigError) as exc:
        ResultCache(path)
    assert str(exc.value) == (f"the cache file has schema version {SCHEMA_VERSION + 1}, newer than this multimodel's "
                              f"{SCHEMA_VERSION}: upgrade multimodel or pass another cache= path")
    assert user_version(path) == SCHEMA_VERSION + 1  # left as it was
    with pytest.raises(mm.ConfigError, match="upgrade multimodel or pass another cache= path"):
        mm.Client(cache=str(path))


def test_a_failing_migration_rolls_back(tmp_path, monkeypatch):
    import multimodel.store as store

    def broken(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration failed")

    monkeypatch.setattr(store, "MIGRATIONS", (store.MIGRATIONS[0], broken))
    monkeypatch.setattr(store, "SCHEMA_VERSION", 2)
    path = tmp_path / "rb.sqlite"
    with pytest.raises(RuntimeError, match="migration failed"):
        ResultCache(path)
    assert user_version(path) == 1  # the first migration committed, the broken one left no trace
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"results"}


# ---------------------------------------------------------------------------------- open_cache, default path
def test_open_cache_forms(tmp_path, monkeypatch):
    assert open_cache(False) is None
    path = tmp_path / "explicit.sqlite"
    c = open_cache(str(path))
    assert isinstance(c, ResultCache) and c.path == path
    c.close()
    c = open_cache(tmp_path / "as-path.sqlite")
    assert c.path == tmp_path / "as-path.sqlite"
    c.close()
    monkeypatch.setenv("MULTIMODEL_CACHE", str(tmp_path / "default.sqlite"))
    for value in (None, True):
        c = open_cache(value)
        assert c.path == tmp_path / "default.sqlite"
        c.close()


@pytest.mark.parametrize(("value", "type_name"), [(123, "int"), (0, "int"), (b"cache.sqlite", "bytes"),
                                                  (["a.sqlite"], "list")])
def test_open_cache_refuses_other_types(value, type_name):
    with pytest.raises(mm.ConfigError) as exc:
        open_cache(value)
    assert str(exc.value) == f"cache must be a file path, True or False, got {type_name}"


def test_default_cache_path_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MULTIMODEL_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_path() == tmp_path / "home" / ".cache" / "multimodel" / "cache.sqlite"
    monkeypatch.setenv("XDG_CACHE_HOME", "")  # empty counts as unset
    assert default_cache_path() == tmp_path / "home" / ".cache" / "multimodel" / "cache.sqlite"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_path() == tmp_path / "xdg" / "multimodel" / "cache.sqlite"
    monkeypatch.setenv("MULTIMODEL_CACHE", str(tmp_path / "mine.sqlite"))  # wins over XDG
    assert default_cache_path() == tmp_path / "mine.sqlite"
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.delenv("MULTIMODEL_CACHE")
    assert default_cache_path() == tmp_path / "home" / "Library" / "Caches" / "multimodel" / "cache.sqlite"


# ---------------------------------------------------------------------------------- claims and answers
def test_a_claim_is_held_until_the_answer_is_written_and_released(tmp_path):
    path = tmp_path / "claims.sqlite"
    a, b = ResultCache(path), ResultCache(path)  # two processes' connections to one file
    try:
        mine = a.claim("k", "owner-a", 30)
        assert mine.status == "mine" and mine.expires > time.time() + 29
        assert a.claim("k", "owner-a", 30).status == "mine"  # the owner's own claim again: renewed
        held = b.claim("k", "owner-b", 30)
        assert held.status == "held" and held.expires == pytest.approx(mine.expires, abs=1)
        a.put("k", Result(model="m/x", provider="m", content="done"))
        a.release_claim("k", "owner-a")
        assert b.claim("k", "owner-b", 30) == Claim("answered", "k")
        assert b._conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    finally:
        a.close()
        b.close()


def test_a_lapsed_lease_is_taken_over_and_renewal_keeps_one_alive(tmp_path):
    path = tmp_path / "lease.sqlite"
    a, b = ResultCache(path), ResultCache(path)
    try:
        a.claim("dead", "owner-a", 0.05)
        a.claim("alive", "owner-a", 0.05)
        time.sleep(0.1)
        assert a.renew_claims("owner-a", 30) == 2  # a renewal reaches every claim of the owner
        assert b.claim("alive", "owner-b", 30).status == "held"
        a.claim("dead", "owner-a", 0.05)
        time.sleep(0.1)  # a killed owner: no renewal, the lease lapses
        taken = b.claim("dead", "owner-b", 30)
        assert taken.status == "mine"
        a.release_claim("dead", "owner-a")  # the old owner's late release leaves the new claim alone
        assert a.claim("dead", "owner-a", 30).status == "held"
        b.release_claim("dead", "owner-b")  # an error ends it: released, nothing cached, free for the next run
        assert a.claim("dead", "owner-a", 30).status == "mine"
    finally:
        a.close()
        b.close()


def test_a_fallbacks_answer_is_found_under_the_rows_key_until_cleared(cache):
    cache.put("fallback-key", Result(model="d/y", provider="d", content="from the fallback"))
    cache.record_answer("chain:row", "fallback-key")
    assert cache.answer_for("chain:row") == "fallback-key"
    assert cache.claim("chain:row", "anyone", 30) == Claim("answered", "fallback-key")
    assert cache.answer_for("fallback-key") == "fallback-key" and cache.answer_for("other") is None
    cache.clear()
    assert cache.answer_for("chain:row") is None


def test_a_claim_the_lock_refuses_is_skipped_not_raised(tmp_path, monkeypatch):
    path = tmp_path / "locked.sqlite"
    cache = ResultCache(path)
    monkeypatch.setattr(store, "CLAIM_PATIENCE_S", 0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writing for longer than a claim waits
        with pytest.warns(mm.CacheWarning, match="sent without a claim"):
            assert cache.claim("k", "owner", 30) == Claim("free")
        assert cache.renew_claims("owner", 30) == -1
        holder.execute("ROLLBACK")
        assert cache.claim("k", "owner", 30).status == "mine"
    finally:
        holder.close()
        cache.close()


def test_a_dead_claimers_rows_on_this_host_are_taken_at_once(tmp_path):
    import subprocess

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead = claim_owner().rsplit(":", 2)
    dead[1] = gone.stdout.strip()  # the same host, a process that has ended (restarted kernel, kill -9)
    cache = ResultCache(tmp_path / "dead.sqlite")
    try:
        assert cache.claim("k", ":".join(dead), 3600).status == "mine"
        alive = claim_owner()  # this process: alive, so its lease is waited for
        assert cache.claim("j", alive, 3600).status == "mine" and cache.claim("j", claim_owner(), 1).status == "held"
        assert cache.claim("k", claim_owner(), 30).status == "mine"  # not an hour's wait
    finally:
        cache.close()
