"""On-disk response cache: SQLite from the standard library, WAL mode, keyed by a hash of the request.

Several kernels may share one file: WAL lets readers and one writer work at once, and every write is
a single INSERT OR REPLACE in its own transaction (writes that waited for a lock go together in one), so a
killed process never leaves a half-written row.
The key is a hash of provider, endpoint, model and body; the API key is never part of it or stored.

One schema, built by numbered migrations (as simonw/llm does): ``MIGRATIONS[i]`` takes a file from
version ``i`` to ``i + 1`` (``PRAGMA user_version``), each in its own ``BEGIN IMMEDIATE`` transaction so
two processes opening an old file at once apply it once. Every table is added by a migration.

The cache never costs the caller an answer. What happens to a file that is not a usable cache, decided per case:

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

Checking the header and the schema costs the same for any file size; damage deeper in the file is met during the
run instead, where a read is a miss and a write waits in memory, each with one warning.

Processes running one evaluation share its rows through claims: before a row is sent, its process claims the row's
key (``claims``: owner token, lease expiry) in one short ``BEGIN IMMEDIATE``; another process that finds a live
claim waits for the answer or for the lease to lapse (a killed owner), then takes it over. ``answers`` records which
cache key answered a row with fallbacks, so a re-run serves it without sending the failing primary again. Claims
follow the same rules as writes: a claim a lock stops is skipped (the row is sent without one), never an error.

Once open, a write that meets a lock is retried with backoff, bounded by the busy timeout plus a few short waits,
and never raises: what cannot be written waits in memory (and is served by reads) until the next write,
``flush()`` or ``close()`` (also run at exit or when the cache is collected) gets it onto disk.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multimodel.errors import CacheWarning, ConfigError, warn_user
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


def _m004_claims(conn: sqlite3.Connection) -> None:
    """Claims on requests about to be sent, so processes running one evaluation send each row once: the owner (a
    random token per run) and when its lease expires (wall-clock seconds; a killed owner's claim then lapses)."""
    conn.execute("CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires REAL NOT NULL)")


def _m005_answers(conn: sqlite3.Connection) -> None:
    """Which cache key answered a row with fallbacks (its primary's or a fallback's), so a re-run serves the row
    from the cache instead of sending the failing primary again (errors are never cached)."""
    conn.execute("CREATE TABLE IF NOT EXISTS answers (slot TEXT PRIMARY KEY, key TEXT NOT NULL, created REAL NOT NULL)")


def _m006_batches(conn: sqlite3.Connection) -> None:
    """Provider Batch API jobs an evaluation submitted, written the moment each is created, so a re-run after a
    crash or kill -9 polls and collects them instead of submitting (and paying) again. ``job`` is the BatchJob as
    JSON (no credential: the key comes from the provider's config at each call); ``custom_ids`` its lines."""
    conn.execute("CREATE TABLE IF NOT EXISTS batches (batch_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, "
                 "provider TEXT NOT NULL, model TEXT NOT NULL, api TEXT NOT NULL, job TEXT NOT NULL, "
                 "custom_ids TEXT NOT NULL, state TEXT NOT NULL, created REAL NOT NULL, collected REAL)")
    conn.execute("CREATE INDEX IF NOT EXISTS batches_run ON batches (run_id)")


#: applied in order; never edit or reorder a released one, append a new one
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_m001_results, _m002_run_id, _m003_repairs,
                                                                   _m004_claims, _m005_answers, _m006_batches)
SCHEMA_VERSION = len(MIGRATIONS)

#: every table a migration creates, with the columns it has had from the start: anything else in the file (or one
#: of these without those columns) means the database is someone else's. A new migration's table goes here too.
OUR_TABLES: dict[str, frozenset[str]] = {
    "results": frozenset({"key", "created", "model", "result"}),
    "repairs": frozenset({"provider", "base_url", "model", "repair", "created"}),
    "claims": frozenset({"key", "owner", "expires"}),
    "answers": frozenset({"slot", "key", "created"}),
    "batches": frozenset({"batch_id", "run_id", "provider", "model", "api", "job", "custom_ids", "state", "created",
                          "collected"}),
}

#: how long one write (or the opening) waits for another process's lock before the retries below
BUSY_TIMEOUT_S = 5.0
#: the waits between the retries of a write that met a lock, after the busy timeout ran out
RETRY_DELAYS_S = (0.05, 0.15, 0.4)
#: while answers already wait in memory, a write waits this long at most (the lock is known to be held)
QUICK_PATIENCE_S = 0.05
#: how long taking or renewing a claim waits for a lock; past it the row is sent without one (never an error)
CLAIM_PATIENCE_S = 1.0

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


def _enter_wal(conn: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch a new file to WAL, waiting up to ``busy_timeout`` for another opener: the switch upgrades a read lock
    to a write lock, and SQLite answers a contested upgrade with "locked" at once instead of calling its busy
    handler, so two processes creating one cache together failed in milliseconds (1 open in ~300 did)."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if not _is_lock(err) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _prepare(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """The writable connection to a file that passed inspection: WAL mode, then the migrations."""
    conn = _connect(path, busy_timeout)
    try:
        _enter_wal(conn, busy_timeout)
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
                      "and a new cache started in its place", CacheWarning)
    raise ConfigError(f"the cache file {path} stays unreadable after moving damaged copies aside: "
                      "pass another cache= path, or cache=False for no cache")


# ---------------------------------------------------------------------------------- writing
def _warn(message: str) -> None:
    """A CacheWarning about the cache; logged instead if warnings are errors, since a write or read never raises."""
    try:
        warn_user(message, CacheWarning)
    except Warning:
        logging.getLogger("multimodel").warning(message)


_PUT_RESULT = "INSERT OR REPLACE INTO results (key, created, model, run_id, result) VALUES (?, ?, ?, ?, ?)"
_ADD_REPAIR = "INSERT OR IGNORE INTO repairs (provider, base_url, model, repair, created) VALUES (?, ?, ?, ?, ?)"
_PUT_ANSWER = "INSERT OR REPLACE INTO answers (slot, key, created) VALUES (?, ?, ?)"
_RELEASE = "DELETE FROM claims WHERE key = ? AND owner = ?"
_ADD_BATCH = ("INSERT OR IGNORE INTO batches (batch_id, run_id, provider, model, api, job, custom_ids, state, created, "
              "collected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


@dataclass(frozen=True)
class Claim:
    """What claim() found: ``answered`` (``answer_key`` holds the answer), ``mine`` (send it, the lease runs to
    ``expires``), ``held`` (another owner's live lease runs to ``expires``: wait), ``free`` (no claim could be
    written, a lock or damage: send without one rather than fail)."""

    status: str
    answer_key: str | None = None
    expires: float = 0.0


def claim_owner() -> str:
    """A new owner id for one run's claims: host, process id and a random token, so a waiter on the same host can
    see that a claimer has died (a restarted kernel, kill -9) and take its rows at once instead of waiting out the
    lease; two runs in one process are two owners."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(6)}"


def _owner_gone(owner: str) -> bool:
    """Whether an owner's process is known to have ended: same host, POSIX, and no such process. Anything unsure
    (another host, another user's process, a foreign id, Windows, where os.kill would end the process) is alive."""
    host, pid = [*owner.rsplit(":", 2), "", ""][:2]
    if os.name != "posix" or host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _live_other(row: Any, owner: str, now: float) -> bool:
    """Whether a claims row (owner, expires) is another owner's live lease, one that this run must wait for."""
    return row is not None and row[0] != owner and row[1] > now and not _owner_gone(str(row[0]))


def _stored_answer(conn: sqlite3.Connection, key: str) -> str | None:
    """The cache key holding the answer for ``key`` on disk: the one answers names, else ``key`` if it has a row."""
    row = conn.execute("SELECT key FROM answers WHERE slot = ?", (key,)).fetchone()
    if row is not None:
        return str(row[0])
    return key if conn.execute("SELECT 1 FROM results WHERE key = ?", (key,)).fetchone() else None


def _claim_in_transaction(conn: sqlite3.Connection, key: str, owner: str, lease_s: float) -> Claim:
    """Under one BEGIN IMMEDIATE: the answer if one arrived, else another owner's live claim, else ours (new, taken
    over from a lapsed lease, or renewed). Nothing awaits inside: the write lock is held for a few statements."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        answer = _stored_answer(conn, key)
        now = time.time()
        row = None if answer else conn.execute("SELECT owner, expires FROM claims WHERE key = ?", (key,)).fetchone()
        if answer is not None:
            found = Claim("answered", answer)
        elif _live_other(row, owner, now):
            found = Claim("held", expires=float(row[1]))
        else:
            conn.execute("INSERT OR REPLACE INTO claims (key, owner, expires) VALUES (?, ?, ?)",
                         (key, owner, now + lease_s))
            found = Claim("mine", expires=now + lease_s)
        conn.execute("COMMIT")
        return found
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class _Writer:
    """The connection, its lock, and the writes waiting in memory for it; holds no reference to the ResultCache,
    so the cache's finalizer can flush and close it at exit or when the cache is collected."""

    def __init__(self, conn: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
        self.conn, self.path, self.busy_timeout = conn, path, busy_timeout
        self.lock = threading.RLock()
        #: ("result", key) or ("repair", ...) -> (statement, parameters), in the order they were asked for
        self.pending: dict[tuple[str, ...], tuple[str, tuple[Any, ...]]] = {}
        self.warned: set[str] = set()
        self.closed = False
        self._patience_ms = int(busy_timeout * 1000)

    def answers_pending(self) -> int:
        """How many results wait in memory."""
        return sum(1 for kind, *_ in self.pending if kind == "result")

    def warn_once(self, topic: str, message: str) -> None:
        """One warning per topic per cache (a lock or damage would otherwise warn on every request)."""
        if topic not in self.warned:
            self.warned.add(topic)
            _warn(message)

    def write(self, slot: tuple[str, ...], statement: str, params: tuple[Any, ...]) -> None:
        """Queue one write behind the waiting ones and try them all; never raises."""
        with self.lock:
            self.pending.pop(slot, None)  # a newer write of the same row replaces the waiting one
            self.pending[slot] = (statement, params)
            waiting_before = len(self.pending) > 1
            err = self.flush(QUICK_PATIENCE_S if waiting_before else self.busy_timeout, retry=not waiting_before)
            if err is not None:
                self.warn_once("write", f"the cache {self.path} could not be written ({err}); "
                               f"{self.answers_pending()} answer(s) kept in memory, and the next write, flush() or "
                               "close() stores them with any that follow (the results returned are not affected)")

    def flush(self, patience: float, retry: bool = True) -> sqlite3.Error | None:
        """Write everything pending in one transaction, retrying a lock with backoff within ``patience`` seconds
        plus RETRY_DELAYS_S; the error that stopped it (what was not written stays pending), or None."""
        with self.lock:
            if not self.pending:
                return None
            if self.closed:
                return sqlite3.ProgrammingError("the cache is closed")
            deadline = time.monotonic() + patience
            delays = iter(RETRY_DELAYS_S if retry else ())
            wait = patience  # the first attempt waits it all; a retry only what is left of it
            while True:
                try:
                    self._set_patience(wait)
                    self._write_pending()
                except sqlite3.Error as err:
                    delay = next(delays, None) if _is_lock(err) else None
                    if delay is None:
                        return err
                    time.sleep(delay)
                    wait = deadline - time.monotonic()
                else:
                    self.warned.discard("write")  # the trouble is over: warn again if it comes back
                    return None

    def _set_patience(self, seconds: float) -> None:
        """Set SQLite's busy timeout for the next statement (only when it changes: a statement costs time)."""
        ms = max(0, int(seconds * 1000))
        if ms != self._patience_ms:
            self.conn.execute(f"PRAGMA busy_timeout = {ms}")
            self._patience_ms = ms

    def _write_pending(self) -> None:
        """One statement alone in autocommit, several in one transaction; pending is emptied only on success."""
        statements = list(self.pending.values())
        if len(statements) == 1:
            self.conn.execute(*statements[0])
        else:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for statement, params in statements:
                    self.conn.execute(statement, params)
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        self.pending.clear()

    def read(self, query: str, params: tuple[Any, ...] = ()) -> list[Any] | None:
        """The rows of a query, or None with one warning when a lock or damage stops it (the caller's miss)."""
        with self.lock:
            try:
                self._set_patience(self.busy_timeout)
                return self.conn.execute(query, params).fetchall()
            except sqlite3.Error as err:
                advice = " (the file is damaged: when no kernel uses it, move it away and a new cache will start)"
                self.warn_once("read", f"the cache {self.path} could not be read ({err}); treated as a miss, so the "
                               f"request is sent again{advice if _is_damage(err) else ''}")
                return None

    def close(self) -> None:
        """Write what waits (with the full patience), warn about anything that still could not be, and close."""
        with self.lock:
            if self.closed:
                return
            err = self.flush(self.busy_timeout)
            if err is not None:
                repairs = sum(1 for kind, *_ in self.pending if kind == "repair")
                _warn(f"{self.answers_pending()} answer(s)" + (f" and {repairs} repair(s)" if repairs else "") +
                      f" could not be written to the cache {self.path} ({err}) and are not cached; the results "
                      "returned were not affected")
            self.closed = True
            self.conn.close()


class ResultCache:
    """Successful Results by request hash; a hit is replayed with ``cached=True``."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float | None = None) -> None:
        """Open (or create) the cache file; ``busy_timeout`` (default BUSY_TIMEOUT_S) bounds a wait for a lock."""
        self.path = Path(path)
        busy_timeout = BUSY_TIMEOUT_S if busy_timeout is None else busy_timeout
        self._writer = _Writer(_open(self.path, busy_timeout), self.path, busy_timeout)
        self._conn = self._writer.conn
        self._lock = self._writer.lock
        self._finalizer = weakref.finalize(self, self._writer.close)  # flushes at exit or when collected

    def get(self, key: str) -> Result | None:
        """The stored Result for a request hash, or None."""
        hit = self.get_with_run(key)
        return hit[0] if hit else None

    def get_with_run(self, key: str) -> tuple[Result, str | None] | None:
        """The stored Result and the id of the evaluation run that produced it; a miss if the file cannot be read."""
        with self._lock:
            waiting = self._writer.pending.get(("result", key))
            if waiting is not None:
                row = (waiting[1][4], waiting[1][3])  # (result, run_id) of a write still in memory
            else:
                rows = self._writer.read("SELECT result, run_id FROM results WHERE key = ?", (key,))
                row = rows[0] if rows else None
        if row is None:
            return None
        try:
            return Result.from_json(row[0]), row[1]
        except (ValueError, TypeError):
            return None  # a row written by an incompatible version: treat as a miss

    def put(self, key: str, result: Result, run_id: str | None = None) -> None:
        """Store a successful Result; one statement, so a killed process never leaves half a row. Never raises:
        a write a lock or the disk refuses waits in memory for the next write, flush() or close()."""
        blob = result.to_json()
        self._writer.write(("result", key), _PUT_RESULT, (key, time.time(), result.model, run_id, blob))

    def flush(self) -> int:
        """Write the answers waiting in memory after a lock or a disk error; returns how many still wait."""
        self._writer.flush(self._writer.busy_timeout)
        return self._writer.answers_pending()

    def repairs(self) -> list[tuple[str, str, str, str]]:
        """Every remembered repair: (provider, base_url, model id, the repair as JSON), oldest first."""
        with self._lock:
            rows = self._writer.read("SELECT provider, base_url, model, repair FROM repairs ORDER BY created, rowid")
            waiting = [params[:4] for slot, (_, params) in self._writer.pending.items() if slot[0] == "repair"]
        return [tuple(row) for row in rows or ()] + [row for row in waiting if row not in (rows or ())]

    def add_repair(self, provider: str, base_url: str, model: str, repair: str) -> None:
        """Remember one repair for an endpoint's model (once; one statement; never raises, like put)."""
        self._writer.write(("repair", provider, base_url, model, repair), _ADD_REPAIR,
                           (provider, base_url, model, repair, time.time()))

    # ------------------------------------------------------------------ claims (processes sharing one evaluation)
    def answer_for(self, key: str) -> str | None:
        """The cache key holding the answer for a row key (itself, or the fallback answers names), or None; a
        write still waiting in memory counts, a read a lock stops is a miss."""
        with self._lock:
            waiting = self._writer.pending.get(("answer", key))
            if waiting is not None:
                return str(waiting[1][1])
            if ("result", key) in self._writer.pending:
                return key
            mapped = self._writer.read("SELECT key FROM answers WHERE slot = ?", (key,))
            if mapped:
                return str(mapped[0][0])
            stored = self._writer.read("SELECT 1 FROM results WHERE key = ?", (key,))
        return key if stored else None

    def claim(self, key: str, owner: str, lease_s: float) -> Claim:
        """Claim a row key for ``owner`` until now + ``lease_s`` unless it is answered or another owner's lease is
        live (a lapsed lease is taken over). A look first, then one short BEGIN IMMEDIATE; never raises: a lock
        that outlasts CLAIM_PATIENCE_S, or damage, gives ``free`` (send without a claim)."""
        answer = self.answer_for(key)
        if answer is not None:
            return Claim("answered", answer)
        with self._lock:
            held = self._writer.read("SELECT owner, expires FROM claims WHERE key = ?", (key,))
            if held and _live_other(held[0], owner, time.time()):
                return Claim("held", expires=float(held[0][1]))
            if self._writer.closed:
                return Claim("free")
            try:
                self._writer._set_patience(CLAIM_PATIENCE_S)
                return _claim_in_transaction(self._conn, key, owner, lease_s)
            except sqlite3.Error as err:
                self._writer.warn_once("claim", f"a row could not be claimed in the cache {self.path} ({err}); it is "
                                       "sent without a claim, so another process on this file may send it too")
                return Claim("free")

    def renew_claims(self, owner: str, lease_s: float) -> int:
        """Push every live claim of ``owner`` to now + ``lease_s`` in one statement; how many, or -1 when a lock or
        damage stopped it (never raises: the leases still run, and the next renewal tries again)."""
        with self._lock:
            if self._writer.closed:
                return -1
            try:
                self._writer._set_patience(CLAIM_PATIENCE_S)
                return self._conn.execute("UPDATE claims SET expires = ? WHERE owner = ?",
                                          (time.time() + lease_s, owner)).rowcount
            except sqlite3.Error:
                return -1

    def release_claim(self, key: str, owner: str) -> None:
        """Drop ``owner``'s claim on a row key (its answer was written, or it ended in an error, which is not
        cached); queued behind any write still waiting, so it never lands before that row's answer. Never raises."""
        self._writer.write(("claim", key), _RELEASE, (key, owner))

    def record_answer(self, key: str, answer_key: str) -> None:
        """Remember that the row key ``key`` was answered by the request cached under ``answer_key``. Never raises."""
        self._writer.write(("answer", key), _PUT_ANSWER, (key, answer_key, time.time()))

    # ------------------------------------------------------------------ Batch API jobs (durable across crashes)
    def add_batch(self, run_id: str, job: dict[str, Any], state: str = "submitted") -> bool:
        """Record a submitted batch (``job``: BatchJob.to_dict(), which holds no key) at once, with the full
        patience; whether it reached the disk (if not it waits in memory like an answer, and a warning says so)."""
        row = (job["batch_id"], run_id, job["provider"], job["model_id"], job["api"],
               json.dumps(job, sort_keys=True), json.dumps(job["custom_ids"]), state, time.time(), None)
        self._writer.write(("batch", job["batch_id"]), _ADD_BATCH, row)
        return ("batch", job["batch_id"]) not in self._writer.pending

    def set_batch_state(self, batch_id: str, state: str, *, collected: bool = False) -> None:
        """Record a batch's latest state (and, once its results are read and stored, that it was collected)."""
        if collected:
            self._writer.write(("batch-state", batch_id), "UPDATE batches SET state = ?, collected = ? "
                               "WHERE batch_id = ?", (state, time.time(), batch_id))
        else:
            self._writer.write(("batch-state", batch_id), "UPDATE batches SET state = ? WHERE batch_id = ?",
                               (state, batch_id))

    def drop_batch(self, batch_id: str) -> None:
        """Forget a recorded batch: an intent ("creating") once its batch is recorded under its own id, or found
        never made. Queued behind the record's own writes, so it never lands before them. Never raises."""
        self._writer.write(("batch-drop", batch_id), "DELETE FROM batches WHERE batch_id = ?", (batch_id,))

    def batch_ids(self) -> set[str]:
        """The ids of every batch recorded (collected or not, intents too), without decoding their jobs."""
        self.flush()
        rows = self._writer.read("SELECT batch_id FROM batches", ()) or []
        with self._lock:
            waiting = {slot[1] for slot in self._writer.pending if slot[0] == "batch"}
        return {row[0] for row in rows} | waiting

    def batches(self, run_id: str | None = None, *, open_only: bool = False) -> list[dict[str, Any]]:
        """The recorded batches (of one run, or all; with ``open_only`` only those not collected yet), oldest first:
        each a dict of the table's columns, ``job`` and ``custom_ids`` decoded; batches still waiting in memory for
        a lock included."""
        self.flush()
        conditions = [c for c in ("run_id = ?" if run_id is not None else "",
                                  "collected IS NULL" if open_only else "") if c]
        where = "WHERE " + " AND ".join(conditions) if conditions else ""
        params: tuple[Any, ...] = (run_id,) if run_id is not None else ()
        rows = self._writer.read(f"SELECT batch_id, run_id, provider, model, api, job, custom_ids, state, created, "
                                 f"collected FROM batches {where} ORDER BY created, rowid", params) or []
        with self._lock:
            waiting = [row for slot, (_, row) in self._writer.pending.items() if slot[0] == "batch"]
            dropped = {slot[1] for slot in self._writer.pending if slot[0] == "batch-drop"}
        names = ("batch_id", "run_id", "provider", "model", "api", "job", "custom_ids", "state", "created",
                 "collected")
        out = []
        for row in [*rows, *(w for w in waiting if run_id is None or w[1] == run_id)]:
            if row[0] in dropped:
                continue
            record = dict(zip(names, row, strict=True))
            record["job"], record["custom_ids"] = json.loads(record["job"]), json.loads(record["custom_ids"])
            out.append(record)
        return out

    def __len__(self) -> int:
        """Rows on disk plus answers still waiting in memory for a key the file does not have yet."""
        with self._lock:
            waiting = [slot[1] for slot in self._writer.pending if slot[0] == "result"]
            rows = self._writer.read("SELECT COUNT(*) FROM results")
            stored = 0
            for start in range(0, len(waiting), 500):
                chunk = waiting[start:start + 500]
                found = self._writer.read(f"SELECT COUNT(*) FROM results WHERE key IN ({','.join('?' * len(chunk))})",
                                          tuple(chunk))
                stored += found[0][0] if found else 0
        return (rows[0][0] if rows else 0) + len(waiting) - stored

    def clear(self) -> None:
        """Delete every stored and waiting result; raises RuntimeError if a lock outlasts the retries (nothing
        is half done then, so calling it again is safe)."""
        with self._lock:
            before = self._writer.pending
            self._writer.pending = {slot: w for slot, w in before.items() if slot[0] not in ("result", "answer")}
            self._writer.pending[("clear",)] = ("DELETE FROM results", ())
            self._writer.pending[("clear", "answers")] = ("DELETE FROM answers", ())  # they point at results
            err = self._writer.flush(self._writer.busy_timeout)
            if err is not None:
                self._writer.pending = before  # as it was: the waiting answers are kept
                raise RuntimeError(f"could not clear the cache {self.path} ({err}): close the program holding it "
                                   "and call clear() again") from None

    def close(self) -> None:
        """Write what waits in memory, then close the file (once; later calls do nothing)."""
        self._finalizer()

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
