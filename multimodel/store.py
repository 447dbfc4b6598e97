"""On-disk response cache: SQLite from the standard library, WAL mode, keyed by a hash of the request.

Several kernels may share one file: WAL lets readers and one writer work at once, and every write is
a single INSERT OR REPLACE in its own transaction, so a killed process never leaves a half-written row.
The key is a hash of provider, endpoint, model and body; the API key is never part of it or stored.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

from multimodel.results import Result

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key TEXT PRIMARY KEY,
    created REAL NOT NULL,
    model TEXT NOT NULL,
    run_id TEXT,
    result BLOB NOT NULL
)
"""


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
        self._conn.execute(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(results)")}
        if "run_id" not in columns:  # a file from before run ids were recorded
            self._conn.execute("ALTER TABLE results ADD COLUMN run_id TEXT")

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
    from multimodel.errors import ConfigError

    raise ConfigError(f"cache must be a file path, True or False, got {type(cache).__name__}")
