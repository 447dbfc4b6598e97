"""The cache against files and neighbours that are not kind to it (multimodel/store.py), on real SQLite files:

- a damaged file (random bytes, a truncated database, a stale -wal beside it) is moved aside, never deleted, and a
  fresh cache starts, with one warning naming both paths;
- someone else's database, a newer multimodel's, a folder, a place that cannot be created: ConfigError saying what
  to do, the file untouched;
- another connection holding the write lock: writes wait, then keep the answers in memory and never raise; every
  answer reaches the file once the lock is gone (next write, flush, close, or the cache being collected);
- damage met in the middle of a run: a read is a miss, a write waits in memory, each with a warning.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sqlite3
import sys
import threading
import time
import warnings
import weakref
from pathlib import Path

import pytest

import multimodel as mm
import multimodel.store as store
from multimodel.results import Result
from multimodel.store import OUR_TABLES, QUICK_PATIENCE_S, RETRY_DELAYS_S, SCHEMA_VERSION, ResultCache


def answer(i: int | str) -> Result:
    return Result(model="openai/gpt-5.4", provider="openai", content=f"answer {i}")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def keys_on_disk(path: Path) -> set[str]:
    """What another process would find in the file (a reader of a WAL file is not blocked by the writer)."""
    conn = sqlite3.connect(path, timeout=5)
    try:
        return {row[0] for row in conn.execute("SELECT key FROM results")}
    finally:
        conn.close()


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def aside_files(path: Path) -> list[Path]:
    """The set-aside copies of a cache file (not their journal files)."""
    return sorted(p for p in path.parent.iterdir()
                  if p.name.startswith(f"{path.name}.corrupt-") and not p.name.endswith(("-wal", "-shm", "-journal")))


def cache_warnings(caught: list[warnings.WarningMessage], text: str) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning) and text in str(w.message)]


def real_cache_file(path: Path, rows: int) -> None:
    cache = ResultCache(path)
    for i in range(rows):
        cache.put(f"k{i}", Result(model="m/x", provider="m", content="x" * 400))
    cache.close()


# ---------------------------------------------------------------------------------- damaged files are set aside
@pytest.mark.parametrize("content", [
    os.urandom(8192),
    b"prompt,model\nwhy is the sky blue?,openai/gpt-5.4\n",
    b"SQLite format 3\x00" + os.urandom(4000),  # the magic string, then garbage
], ids=["random-bytes", "text", "sqlite-header-then-garbage"])
def test_a_file_that_is_not_a_database_is_set_aside_and_a_new_cache_starts(tmp_path, content):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(content)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = ResultCache(path)
    try:
        [aside] = aside_files(path)
        assert aside.read_bytes() == content  # moved, not deleted or rewritten
        [message] = cache_warnings(caught, "could not be read as a database")
        assert str(path) in message and str(aside) in message
        assert user_version(path) == SCHEMA_VERSION and len(cache) == 0
        cache.put("k", answer(1))
        assert cache.get("k").content == "answer 1"
        assert keys_on_disk(path) == {"k"}
    finally:
        cache.close()


def test_a_truncated_cache_is_set_aside_with_its_bytes(tmp_path):
    path = tmp_path / "cache.sqlite"
    real_cache_file(path, 300)
    half = path.read_bytes()[: path.stat().st_size // 2]
    path.write_bytes(half)
    with pytest.warns(RuntimeWarning, match="could not be read as a database") as caught:
        cache = ResultCache(path)
    try:
        [aside] = aside_files(path)
        assert aside.read_bytes() == half
        assert str(aside) in str(caught[0].message)
        assert len(cache) == 0 and cache.get("k1") is None
        cache.put("k1", answer(1))
        assert keys_on_disk(path) == {"k1"}
    finally:
        cache.close()


def test_a_damaged_files_wal_moves_with_it_and_is_not_deleted(tmp_path):
    source = tmp_path / "source.sqlite"
    writer = sqlite3.connect(source, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE results (key TEXT PRIMARY KEY, created REAL NOT NULL, model TEXT NOT NULL, "
                   "result BLOB NOT NULL)")
    for i in range(50):
        writer.execute("INSERT INTO results VALUES (?, 0, 'm', ?)", (f"s{i}", "x" * 300))
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # the next change stays in the -wal while this connection is open
    writer.execute("UPDATE results SET result = ? WHERE key = 's10'", ("latest " * 40,))
    path = tmp_path / "cache.sqlite"
    damaged = os.urandom(100) + source.read_bytes()[100:]  # the header overwritten, the pages as they were
    wal = Path(f"{source}-wal").read_bytes()
    writer.close()
    assert b"latest" in wal
    path.write_bytes(damaged)
    Path(f"{path}-wal").write_bytes(wal)
    with pytest.warns(RuntimeWarning, match="could not be read as a database"):
        cache = ResultCache(path)
    try:
        [aside] = aside_files(path)
        assert aside.read_bytes() == damaged
        assert Path(f"{aside}-wal").read_bytes() == wal  # kept with its file (SQLite deletes it if it closes the file)
        assert len(cache) == 0 and keys_on_disk(path) == set()
    finally:
        cache.close()


def test_an_empty_file_is_a_new_cache_without_a_warning(tmp_path):
    path = tmp_path / "cache.sqlite"
    path.touch()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache = ResultCache(path)
    cache.close()
    assert aside_files(path) == [] and user_version(path) == SCHEMA_VERSION


def test_damage_twice_keeps_both_copies(tmp_path):
    path = tmp_path / "cache.sqlite"
    first, second = os.urandom(3000), os.urandom(5000)
    for content in (first, second):
        path.write_bytes(content)
        with pytest.warns(RuntimeWarning, match="moved to"):
            ResultCache(path).close()
    assert sorted(p.read_bytes() for p in aside_files(path)) == sorted([first, second])


# ---------------------------------------------------------------------------------- others' files are refused
def test_someone_elses_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('Ada')")
    before, listing = digest(path), sorted(os.listdir(tmp_path))
    with pytest.raises(mm.ConfigError) as exc:
        ResultCache(path)
    message = str(exc.value)
    assert str(path) in message and "customers" in message and "another cache= path" in message
    assert digest(path) == before and sorted(os.listdir(tmp_path)) == listing  # no aside, no -wal, no change
    with pytest.raises(mm.ConfigError, match="not a multimodel cache"):
        mm.Client(cache=str(path))


def test_a_results_table_that_is_not_ours_is_refused_not_migrated(tmp_path):
    path = tmp_path / "experiment.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE results (id INTEGER PRIMARY KEY, score REAL)")
        conn.execute("INSERT INTO results (score) VALUES (0.5)")
    before = digest(path)
    with pytest.raises(mm.ConfigError, match=r"tables multimodel does not create \(results\)"):
        ResultCache(path)
    assert digest(path) == before
    with sqlite3.connect(path) as conn:
        assert [row[1] for row in conn.execute("PRAGMA table_info(results)")] == ["id", "score"]  # no run_id added


def test_another_programs_versioned_database_is_not_called_a_newer_cache(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 42")
    with pytest.raises(mm.ConfigError) as exc:
        ResultCache(path)
    assert "not a multimodel cache" in str(exc.value) and "upgrade" not in str(exc.value)
    assert user_version(path) == 42


def test_a_newer_multimodels_cache_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "future.sqlite"
    real_cache_file(path, 3)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE future_things (key TEXT PRIMARY KEY)")  # a table this version does not know yet
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = digest(path)
    with pytest.raises(mm.ConfigError, match="upgrade multimodel or pass another cache= path"):
        ResultCache(path)
    assert digest(path) == before and aside_files(path) == []
    assert keys_on_disk(path) == {"k0", "k1", "k2"}


def test_the_known_tables_are_the_ones_the_migrations_build(tmp_path):
    path = tmp_path / "fresh.sqlite"
    ResultCache(path).close()
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == set(OUR_TABLES)
        for name, required in OUR_TABLES.items():
            assert required <= {row[1] for row in conn.execute(f"PRAGMA table_info({name})")}


# ---------------------------------------------------------------------------------- places that cannot be a cache
def test_a_folder_is_refused_with_what_to_pass_instead(tmp_path):
    folder = tmp_path / "caches"
    folder.mkdir()
    with pytest.raises(mm.ConfigError) as exc:
        ResultCache(folder)
    assert str(exc.value) == (f"the cache path {folder} is a folder, not a file: pass a file path such as "
                              f"{folder / 'cache.sqlite'}, or cache=False for no cache")
    assert list(folder.iterdir()) == []
    with pytest.raises(mm.ConfigError, match="is a folder"):
        mm.Client(cache=str(folder))


def test_a_parent_that_cannot_be_created_is_refused(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file where the cache folder would go")
    with pytest.raises(mm.ConfigError) as exc:
        ResultCache(blocker / "cache.sqlite")
    assert f"cannot create the folder {blocker}" in str(exc.value)
    assert "cache=False" in str(exc.value)
    assert blocker.read_text() == "a file where the cache folder would go"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_path_that_is_not_a_regular_file_is_refused(tmp_path):
    fifo = tmp_path / "cache.sqlite"
    os.mkfifo(fifo)
    with pytest.raises(mm.ConfigError, match="is not a regular file"):
        ResultCache(fifo)


def test_a_folder_that_cannot_be_written_is_refused(tmp_path, monkeypatch):
    """Checked with os.access as the store does; patched here so the test binds root (CI) as it binds a user."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == folder else real_access(p, mode, **kw))
    with pytest.raises(mm.ConfigError, match="cannot write in the folder"):
        ResultCache(folder / "cache.sqlite")
    assert not (folder / "cache.sqlite").exists()


# ---------------------------------------------------------------------------------- another writer holds the lock
def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another connection to the file that holds its write lock until released."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def release_later(conn: sqlite3.Connection, delay: float) -> threading.Thread:
    def release() -> None:
        time.sleep(delay)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    return thread


def test_answers_written_during_a_lock_all_reach_the_file_after_it(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = ResultCache(path, busy_timeout=0.2)
    cache.put("before", answer("before"))
    releaser = release_later(hold_write_lock(path), 3.0)
    took = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(16):
            started = time.monotonic()
            cache.put(f"k{i}", answer(i))
            took.append(time.monotonic() - started)
        assert releaser.is_alive(), "the lock was released before the writes: nothing was tested"
        assert keys_on_disk(path) == {"before"}  # nothing got through the lock...
        assert cache.get("k7").content == "answer 7"  # ...but every answer is served from memory
        assert cache.get_with_run("k15")[0].content == "answer 15"
        assert len(cache) == 17
        [message] = cache_warnings(caught, "could not be written")  # once, not once per answer
        assert str(path) in message and "1 answer(s) kept in memory" in message and "database is locked" in message
    assert took[0] < 0.2 + sum(RETRY_DELAYS_S) + 0.5  # bounded: the busy timeout plus a few retries
    assert max(took[1:]) < QUICK_PATIENCE_S + 0.25  # the lock is known: later answers do not wait it out again
    releaser.join()
    cache.put("after", answer("after"))  # the next write takes the waiting ones with it
    assert keys_on_disk(path) == {"before", "after"} | {f"k{i}" for i in range(16)}
    assert cache.flush() == 0 and len(cache) == 18
    assert cache.get("k3").content == "answer 3"
    cache.close()


def test_a_lock_released_within_the_busy_timeout_is_simply_waited_for(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = ResultCache(path, busy_timeout=5)
    releaser = release_later(hold_write_lock(path), 0.4)
    started = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.put("k", answer(1))
    assert time.monotonic() - started >= 0.3  # it waited for the lock...
    assert keys_on_disk(path) == {"k"}  # ...and wrote through it
    releaser.join()
    cache.close()


def test_flush_and_close_write_what_waits(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = ResultCache(path, busy_timeout=0.2)
    locker = hold_write_lock(path)
    with pytest.warns(RuntimeWarning, match="could not be written"):
        for i in range(3):
            cache.put(f"k{i}", answer(i))
    assert cache.flush() == 3  # still locked: nothing lost, nothing raised
    releaser = release_later(locker, 0.1)
    cache.close()  # waits the busy timeout and its retries: the lock is gone by then
    releaser.join()
    assert keys_on_disk(path) == {"k0", "k1", "k2"}
    cache.close()  # a second close does nothing


def test_a_lock_that_outlasts_close_warns_how_many_answers_were_not_cached(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = ResultCache(path, busy_timeout=0.1)
    locker = hold_write_lock(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(4):
            cache.put(f"k{i}", answer(i))
        cache.close()
        [message] = cache_warnings(caught, "are not cached")
    assert message.startswith(f"4 answer(s) could not be written to the cache {path}")
    locker.execute("COMMIT")
    locker.close()
    assert keys_on_disk(path) == set()
    again = ResultCache(path)  # the file itself is fine
    again.put("k", answer(1))
    assert keys_on_disk(path) == {"k"}
    again.close()


def test_warnings_turned_into_errors_do_not_make_a_write_raise(tmp_path, caplog):
    path = tmp_path / "cache.sqlite"
    cache = ResultCache(path, busy_timeout=0.1)
    locker = hold_write_lock(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.put("k", answer(1))  # the warning is logged instead of raised
    assert any("could not be written" in record.getMessage() for record in caplog.records)
    locker.execute("COMMIT")
    locker.close()
    assert cache.flush() == 0 and keys_on_disk(path) == {"k"}
    cache.close()


def test_a_collected_cache_writes_what_waits(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = ResultCache(path, busy_timeout=0.2)
    locker = hold_write_lock(path)
    with pytest.warns(RuntimeWarning, match="could not be written"):
        cache.put("k", answer(1))
    locker.execute("COMMIT")
    locker.close()
    gone = weakref.ref(cache)
    del cache
    gc.collect()
    assert gone() is None
    assert keys_on_disk(path) == {"k"}


def test_repairs_learned_during_a_lock_are_kept_and_written(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = ResultCache(path, busy_timeout=0.1)
    cache.add_repair("openai", "https://api.openai.com/v1", "gpt-5.4", '{"drop": "seed"}')
    locker = hold_write_lock(path)
    with pytest.warns(RuntimeWarning, match="could not be written"):
        cache.add_repair("openai", "https://api.openai.com/v1", "gpt-5.4", '{"drop": "top_p"}')
    assert [row[3] for row in cache.repairs()] == ['{"drop": "seed"}', '{"drop": "top_p"}']
    locker.execute("COMMIT")
    locker.close()
    assert cache.flush() == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM repairs").fetchone()[0] == 2
    cache.close()


def test_clear_under_a_lock_raises_and_keeps_the_waiting_answers(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = ResultCache(path, busy_timeout=0.1)
    cache.put("old", answer("old"))
    locker = hold_write_lock(path)
    with pytest.warns(RuntimeWarning, match="could not be written"):
        cache.put("new", answer("new"))
    with pytest.raises(RuntimeError, match="call clear\\(\\) again"):
        cache.clear()
    assert cache.get("new").content == "answer new" and cache.get("old").content == "answer old"
    locker.execute("COMMIT")
    locker.close()
    cache.clear()
    assert len(cache) == 0 and keys_on_disk(path) == set() and cache.flush() == 0
    cache.close()


def test_an_up_to_date_cache_opens_while_another_process_writes(tmp_path):
    path = tmp_path / "cache.sqlite"
    real_cache_file(path, 2)
    locker = hold_write_lock(path)
    try:
        cache = ResultCache(path, busy_timeout=0.1)  # no migration to do, so no write lock needed
        assert cache.get("k1") is not None and len(cache) == 2
    finally:
        locker.execute("COMMIT")
        locker.close()
    cache.close()


def test_an_old_file_locked_by_another_program_is_refused_at_open_and_left_as_it_was(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # version 0, rollback journal: the lock keeps readers out too
        conn.execute("CREATE TABLE results (key TEXT PRIMARY KEY, created REAL NOT NULL, model TEXT NOT NULL, "
                     "result BLOB NOT NULL)")
    locker = hold_write_lock(path)
    try:
        with pytest.raises(mm.ConfigError, match="is locked by another program") as exc:
            ResultCache(path, busy_timeout=0.1)
        assert str(path) in str(exc.value)
    finally:
        locker.execute("COMMIT")
        locker.close()
    assert user_version(path) == 0 and aside_files(path) == []
    ResultCache(path).close()  # once free, it migrates as usual
    assert user_version(path) == SCHEMA_VERSION


def test_an_evaluation_during_a_lock_loses_no_answer(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "cache.sqlite"
    client = mm.Client.simulated(cache=str(path), latency_scale=0)
    releaser = release_later(hold_write_lock(path), 4.0)
    prompts = [f"question {i}" for i in range(16)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ev = client.evaluate(prompts, ["openai/gpt-5.4"], max_tokens=16, progress=False)
    assert len(ev.results) == 16 and all(r.error is None for r in ev.results)
    locked_during_run = releaser.is_alive()
    releaser.join()
    assert client.cache.flush() == 0
    assert len(keys_on_disk(path)) == 16
    if locked_during_run:
        assert cache_warnings(caught, "could not be written")
    again = client.evaluate(prompts, ["openai/gpt-5.4"], max_tokens=16, progress=False, run_id="another run")
    assert all(r.cached for r in again.results)  # every answer is a hit now
    client.cache.close()


# ---------------------------------------------------------------------------------- damage met during a run
def test_damage_deep_in_the_file_makes_misses_and_waiting_writes_not_exceptions(tmp_path):
    path = tmp_path / "cache.sqlite"
    real_cache_file(path, 2000)
    pages = path.stat().st_size // 4096
    with path.open("r+b") as f:  # page 1 (header and schema) intact, the rows' pages overwritten
        for page in range(3, pages):
            f.seek(page * 4096)
            f.write(b"\xff" * 4096)
    cache = ResultCache(path)  # the header and schema read fine: the damage is met later
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cache.get("k1500") is None and cache.get("k5") is None
        [read] = cache_warnings(caught, "could not be read")
        assert str(path) in read and "damaged" in read
        cache.put("new", answer("new"))
        assert cache.get("new").content == "answer new"
        [write] = cache_warnings(caught, "could not be written")
        assert "malformed" in write and "1 answer(s) kept in memory" in write
        cache.close()
        assert cache_warnings(caught, "1 answer(s) could not be written")


@pytest.mark.skipif(sys.platform == "win32", reason="open files cannot be renamed on Windows")
def test_a_damaged_file_another_cache_moved_first_is_not_an_error(tmp_path, monkeypatch):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(os.urandom(4096))
    real_rename = Path.rename

    def someone_was_faster(self, target):  # another kernel sets the file aside between our check and our rename
        if self == path:
            real_rename(self, tmp_path / "theirs")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", someone_was_faster)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = ResultCache(path)
    monkeypatch.undo()
    assert cache_warnings(caught, "moved to") == []  # they warned, not us
    cache.put("k", answer(1))
    assert keys_on_disk(path) == {"k"}
    cache.close()


def test_a_new_file_another_opener_is_creating_is_waited_for_not_refused(tmp_path):
    # The switch to WAL upgrades a read lock, and SQLite refuses a contested upgrade at once (no busy handler):
    # two processes opening one new cache together used to fail in ~2 ms with "locked (waited 5 s)".
    path = tmp_path / "new.sqlite"
    creator = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    creator.execute("BEGIN IMMEDIATE")
    creator.execute("PRAGMA user_version = 0")
    timer = threading.Timer(0.5, lambda: creator.execute("COMMIT"))
    timer.start()
    started = time.monotonic()
    try:
        cache = ResultCache(path, busy_timeout=5)
    finally:
        timer.join()
        creator.close()
    assert 0.4 < time.monotonic() - started < 5
    cache.put("k", answer(1))
    cache.close()
    assert user_version(path) == SCHEMA_VERSION and ResultCache(path).get("k").content == "answer 1"


def test_a_new_file_locked_past_the_busy_timeout_is_refused_after_really_waiting(tmp_path):
    path = tmp_path / "new.sqlite"
    creator = sqlite3.connect(path, isolation_level=None)
    creator.execute("BEGIN IMMEDIATE")
    creator.execute("PRAGMA user_version = 0")
    started = time.monotonic()
    try:
        with pytest.raises(mm.ConfigError, match="is locked by another program"):
            ResultCache(path, busy_timeout=0.3)
        assert time.monotonic() - started >= 0.3
    finally:
        creator.execute("COMMIT")
        creator.close()
