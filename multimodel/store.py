"""On-disk response cache: SQLite from the standard library, WAL mode, keyed by a hash of the request.

Several kernels may share one file: WAL lets readers and one writer work at once, and every write is
a single INSERT OR REPLACE in its own transaction, so a killed process never leaves a half-written row.
The key is a hash of provider, endpoint, model and body; the API key is never part of it or stored.

One schema, built by numbered migrations (as simonw/llm does): ``MIGRATIONS[i]`` takes a file from
version ``i`` to ``i + 1`` (``PRAGMA user_version``), each in its own ``BEGIN IMMEDIATE`` transaction so
two processes opening an old file at once apply it once. Every table is added by a migration.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from multimodel.errors import ConfigError
from multimodel.results import Result


def _m001_results(conn: sqlite3.Connection) -> None:
    """The results table: one successful Result per request hash."""
    conn.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, created REAL NOT NULL, "
                 "model TEXT NOT NULL, result BLOB NOT NULL)")


def _m002_run_id(conn: sqlite3.Connection) -> None:
    """Which evaluation run wrote each row (a run's own rows are not cache replays on resume)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(results)")}
    if "run_id" not in columns:  # files written before migrations were numbered may have it already
        conn.execute("ALTER TABLE results ADD COLUMN run_id TEXT")


def _m003_repairs(conn: sqlite3.Connection) -> None:
    """Repairs a provider's 400 asked for, per endpoint and model, so the next kernel starts repaired."""
    conn.execute("CREATE TABLE IF NOT EXISTS repairs (provider TEXT NOT NULL, base_url TEXT NOT NULL, "
                 "model TEXT NOT NULL, repair TEXT NOT NULL, created REAL NOT NULL, "
                 "PRIMARY KEY (provider, base_url, model, repair))")


#: applied in order; never edit or reorder a released one, append a new one
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_m001_results, _m002_run_id, _m003_repairs)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file to SCHEMA_VERSION; returns the version it had. A newer file than this code knows
    raises ConfigError rather than being written with the wrong shape."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise ConfigError(f"the cache file has schema version {found}, newer than this multimodel's "
                          f"{SCHEMA_VERSION}: upgrade multimodel or pass another cache= path")
    while True:
        conn.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see the new version
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                conn.execute("COMMIT")
                return found
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def default_cache_path() -> Path:
    """The per-user cache location (XDG on Linux, ~/Library/Caches on macOS, LOCALAPPDATA on Windows)."""
    override = os.environ.get("MULTIMODEL_CACHE")
    if override:
        return Path(override)
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "multimodel" / "cache.sqlite"


class ResultCache:
    """Successful Results by request hash; a hit is replayed with ``cached=True``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        migrate(self._conn)

    def get(self, key: str) -> Result | None:
        """The stored Result for a request hash, or None."""
        hit = self.get_with_run(key)
        return hit[0] if hit else None

    def get_with_run(self, key: str) -> tuple[Result, str | None] | None:
        """The stored Result and the id of the evaluation run that produced it."""
        with self._lock:
            row = self._conn.execute("SELECT result, run_id FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return Result.from_json(row[0]), row[1]
        except (ValueError, TypeError):
            return None  # a row written by an incompatible version: treat as a miss

    def put(self, key: str, result: Result, run_id: str | None = None) -> None:
        """Store a successful Result; one statement, so a killed process never leaves half a row."""
        blob = result.to_json()
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO results (key, created, model, run_id, result) VALUES (?, ?, ?, ?, ?)",
                (key, time.time(), result.model, run_id, blob),
            )

    def repairs(self) -> list[tuple[str, str, str, str]]:
        """Every remembered repair: (provider, base_url, model id, the repair as JSON), oldest first."""
        with self._lock:
            return list(self._conn.execute(
                "SELECT provider, base_url, model, repair FROM repairs ORDER BY created, rowid"))

    def add_repair(self, provider: str, base_url: str, model: str, repair: str) -> None:
        """Remember one repair for an endpoint's model (once; one statement)."""
        with self._lock:
            self._conn.execute("INSERT OR IGNORE INTO repairs (provider, base_url, model, repair, created) "
                               "VALUES (?, ?, ?, ?, ?)", (provider, base_url, model, repair, time.time()))

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM results")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __repr__(self) -> str:
        return f"<ResultCache {self.path}>"


def open_cache(cache: str | os.PathLike[str] | bool | None) -> ResultCache | None:
    """``None``/``True`` → the default location; a path → that file; ``False`` → no cache."""
    if cache is False:
        return None
    if cache is None or cache is True:
        return ResultCache(default_cache_path())
    if isinstance(cache, str | os.PathLike):
        return ResultCache(cache)
    raise ConfigError(f"cache must be a file path, True or False, got {type(cache).__name__}")
