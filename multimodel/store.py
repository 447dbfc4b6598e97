"""On-disk response cache: SQLite from the standard library, WAL mode, keyed by a hash of the request.

Several kernels may share one file: WAL lets readers and one writer work at once, and every write is
a single INSERT OR REPLACE in its own transaction, so a killed process never leaves a half-written row.
The key is a hash of provider, endpoint, model and body; the API key is never part of it or stored.

One schema, built by numbered migrations (as simonw/llm does): ``MIGRATIONS[i]`` takes a file from
version ``i`` to ``i + 1`` (``PRAGMA user_version``), each in its own ``BEGIN IMMEDIATE`` transaction so
two processes opening an old file at once apply it once. Every table is added by a migration.

What happens to a file that is not a usable cache, decided per case:

- a folder, a place that cannot be created or written, a file that is not a regular file: ConfigError saying what
  to pass instead (there is nothing to repair);
- a damaged file (random bytes, a truncated or malformed SQLite file: SQLite refuses its header or its schema):
  renamed to ``<name>.corrupt-<time>`` with its journal files, never deleted, and a fresh cache started, with a
  RuntimeWarning naming both paths (SQLite cannot use it in place; the copy is kept for whoever recovers it). It
  is inspected through a read-only connection, so SQLite neither checkpoints into it nor deletes its -wal;
- someone else's SQLite database (tables multimodel never creates, or no ``results`` table of ours): ConfigError,
  the file left untouched, since moving it would take the owner's data from where their program looks for it;
- a newer multimodel's cache (``user_version`` above ours): ConfigError, left untouched, since that version still
  uses it and may have it open at this moment;
- a file another program holds locked while it is opened: ConfigError after the busy timeout (nothing is lost yet).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from multimodel.errors import ConfigError, warn_user
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

#: every table a migration creates, with the columns it has had from the start: anything else in the file (or one
#: of these without those columns) means the database is someone else's. A new migration's table goes here too.
OUR_TABLES: dict[str, frozenset[str]] = {
    "results": frozenset({"key", "created", "model", "result"}),
    "repairs": frozenset({"provider", "base_url", "model", "repair", "created"}),
}

#: how long one write (or the opening) waits for another process's lock before the retries below
BUSY_TIMEOUT_S = 5.0

_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_CORRUPT, _SQLITE_NOTADB = 5, 6, 11, 26


def _newer(found: int) -> ConfigError:
    """The refusal of a file a newer multimodel wrote: this code would write it with the wrong shape."""
    return ConfigError(f"the cache file has schema version {found}, newer than this multimodel's "
                       f"{SCHEMA_VERSION}: upgrade multimodel or pass another cache= path")


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the file to SCHEMA_VERSION; returns the version it had. A newer file than this code knows
    raises ConfigError rather than being written with the wrong shape."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise _newer(found)
    if found == SCHEMA_VERSION:
        return found  # up to date: no write lock taken, so opening works while another process writes
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


# ---------------------------------------------------------------------------------- what an error means
def _error_code(err: sqlite3.Error) -> int | None:
    """The primary SQLite result code of an error (the extended code's low byte), or None if unknown."""
    code = getattr(err, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _is_lock(err: sqlite3.Error) -> bool:
    """Whether another connection's lock caused the error (worth waiting for, unlike damage or a full disk)."""
    return _error_code(err) in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in str(err)


def _is_damage(err: sqlite3.Error) -> bool:
    """Whether SQLite found the file is not a database or is malformed."""
    return _error_code(err) in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or any(
        text in str(err) for text in ("not a database", "malformed"))


# ---------------------------------------------------------------------------------- opening
def _check_location(path: Path) -> None:
    """ConfigError saying what to do for a path SQLite could only fail on: a folder, a place that cannot be written."""
    advice = "pass cache= a file path in a folder you can write, or cache=False for no cache"
    if path.is_dir():
        raise ConfigError(f"the cache path {path} is a folder, not a file: pass a file path such as "
                          f"{path / 'cache.sqlite'}, or cache=False for no cache")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot create the folder {path.parent} for the cache ({err.strerror or err}): "
                          f"{advice}") from None
    if path.exists() and not path.is_file():
        raise ConfigError(f"the cache path {path} is not a regular file: {advice}")
    if not os.access(path.parent, os.W_OK | os.X_OK):  # SQLite keeps its -wal and -shm files next to the cache
        raise ConfigError(f"cannot write in the folder {path.parent}, where the cache and its journal live: {advice}")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise ConfigError(f"cannot read and write the cache file {path}: make it writable, or {advice}")


def _diagnose(conn: sqlite3.Connection, path: Path) -> sqlite3.DatabaseError | None:
    """None for a file this code can use as its cache (an empty one too); SQLite's error for a damaged one, which
    is set aside; ConfigError for someone else's database or a newer multimodel's, which are left alone."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
                 if not row[0].startswith("sqlite_")]  # SQLite's own (sqlite_sequence, sqlite_stat1) are anyone's
        columns = {name: {row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')}
                   for name in names if name in OUR_TABLES}
    except sqlite3.DatabaseError as err:
        if _is_damage(err) and not _is_lock(err):
            return err
        raise
    ours = "results" in columns and columns["results"] >= OUR_TABLES["results"]
    if version > SCHEMA_VERSION and ours:
        raise _newer(version)
    strangers = sorted(name for name in names if not (name in columns and columns[name] >= OUR_TABLES[name]))
    if strangers or (version > 0 and not ours):
        what = f"tables multimodel does not create ({', '.join(strangers)})" if strangers else "no multimodel cache"
        raise ConfigError(f"{path} is a SQLite database with {what}, so it is not a multimodel cache and was left "
                          "untouched: pass another cache= path (or cache=False for no cache)")
    return None


def _set_aside(path: Path) -> Path | None:
    """Rename a damaged cache file and its journal files to ``<name>.corrupt-<time>``; None if another process
    moved it first. The -wal holds the latest rows, and SQLite deletes one it finds beside a new file."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside, n = path.with_name(f"{path.name}.corrupt-{stamp}"), 1
    while aside.exists():
        aside, n = path.with_name(f"{path.name}.corrupt-{stamp}-{n}"), n + 1
    moved = None
    try:
        for suffix in ("", "-wal", "-shm", "-journal"):
            source = path.with_name(path.name + suffix)
            if suffix == "" or source.exists():
                source.rename(aside.with_name(aside.name + suffix))
                moved = aside
    except FileNotFoundError:
        return moved
    except OSError as err:
        raise ConfigError(f"the cache file {path} is damaged and could not be moved aside ({err.strerror or err}): "
                          "move or delete it (and its -wal file) yourself, or pass another cache= path") from None
    return moved


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode that waits ``busy_timeout`` seconds for another process's lock."""
    return sqlite3.connect(path, timeout=busy_timeout, check_same_thread=False, isolation_level=None)


def _inspect(path: Path, busy_timeout: float) -> sqlite3.DatabaseError | None:
    """_diagnose through a read-only connection: SQLite deletes the -wal of a file it finds damaged when a writable
    connection closes, and that file holds the latest rows of whoever wants to recover them."""
    if not path.exists():
        return None
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", timeout=busy_timeout, uri=True)
    try:
        return _diagnose(conn, path)
    finally:
        conn.close()


def _prepare(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """The writable connection to a file that passed inspection: WAL mode, then the migrations."""
    conn = _connect(path, busy_timeout)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _refusal(path: Path, err: sqlite3.Error, busy_timeout: float) -> ConfigError:
    """The ConfigError for an error SQLite gave while opening: a lock held too long, or a file it cannot use."""
    if _is_lock(err):
        return ConfigError(f"the cache file {path} is locked by another program (waited {busy_timeout:g} s): "
                           "close that program, or pass another cache= path, or cache=False")
    return ConfigError(f"cannot use {path} as the cache ({err}): pass another cache= path, or cache=False for no cache")


def _open(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A connection to a usable, migrated cache at ``path``: a damaged file is set aside first (with a warning);
    a foreign or newer one, a locked one or one SQLite cannot open is refused with ConfigError."""
    _check_location(path)
    for _ in range(3):
        try:
            damage = _inspect(path, busy_timeout)
            if damage is None:
                return _prepare(path, busy_timeout)
        except sqlite3.DatabaseError as err:
            if not _is_damage(err) or _is_lock(err):  # damage the schema did not show is met by the migration
                raise _refusal(path, err, busy_timeout) from None
            damage = err
        except sqlite3.Error as err:
            raise _refusal(path, err, busy_timeout) from None
        aside = _set_aside(path)
        if aside is not None:
            warn_user(f"the cache file {path} could not be read as a database ({damage}); it was moved to {aside} "
                      "and a new cache started in its place", RuntimeWarning)
    raise ConfigError(f"the cache file {path} stays unreadable after moving damaged copies aside: "
                      "pass another cache= path, or cache=False for no cache")




class ResultCache:
    """Successful Results by request hash; a hit is replayed with ``cached=True``."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float | None = None) -> None:
        """Open (or create) the cache file; ``busy_timeout`` (default BUSY_TIMEOUT_S) bounds a wait for a lock."""
        self.path = Path(path)
        busy_timeout = BUSY_TIMEOUT_S if busy_timeout is None else busy_timeout
        self._lock = threading.Lock()
        self._conn = _open(self.path, busy_timeout)

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
