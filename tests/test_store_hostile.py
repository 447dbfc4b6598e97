"""The cache against files and neighbours that are not kind to it (multimodel/store.py), on real SQLite files:

- a damaged file (random bytes, a truncated database, a stale -wal beside it) is moved aside, never deleted, and a
  fresh cache starts, with one warning naming both paths;
- someone else's database, a newer multimodel's, a folder, a place that cannot be created: ConfigError saying what
  to do, the file untouched;
- a file another program holds locked at opening: ConfigError, the file as it was.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import warnings
from pathlib import Path

import pytest

import multimodel as mm
from multimodel.results import Result
from multimodel.store import OUR_TABLES, SCHEMA_VERSION, ResultCache


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
        conn.execute("CREATE TABLE claims (key TEXT PRIMARY KEY)")  # a table this version does not know yet
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


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="permissions do not bind root or work so on Windows")
def test_a_folder_that_cannot_be_written_is_refused(tmp_path):
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(mm.ConfigError, match="cannot write in the folder"):
            ResultCache(folder / "cache.sqlite")
    finally:
        folder.chmod(0o755)


# ---------------------------------------------------------------------------------- locked at opening
def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another connection to the file that holds its write lock until released."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


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
