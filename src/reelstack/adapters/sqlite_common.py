"""What every SQLite-backed embedded store needs: open safely, share across processes.

Several OS processes on one host open the same file (each service runs as two
or more instances), so every store here:

- runs in WAL mode (readers never block the writer, nor the writer them) with a
  busy timeout, so a process that finds the write lock taken waits for it
  instead of failing with "database is locked";
- writes in ``BEGIN IMMEDIATE`` transactions: the write lock is taken at the
  start, so a read-then-write transaction never has to be aborted because
  another process committed between its read and its write;
- refuses a damaged file with :class:`StoreCorruptError` naming the path,
  rather than recreating it and silently losing what it held.

:class:`SqliteConnection` keeps one connection on one dedicated thread, so
blocking SQLite calls stay off the event loop and are serialized per process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sqlite3
import struct
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from reelstack.config import Config, Setting
from reelstack.errors import (
    ConfigError,
    ReelstackError,
    StoreCorruptError,
    UnavailableError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
BUSY_TIMEOUT_S = 10.0
# Attempts at a write that still found the database busy after the busy timeout
# (WAL recovery or a checkpoint can return SQLITE_BUSY without waiting).
WRITE_ATTEMPTS = 5

# Primary result codes (the low byte of an extended code).
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


def sqlite_path(url: str) -> Path:
    """Return the absolute file path of a ``sqlite:///abs/path.db`` URL.

    Raises ValueError with the reason when the URL names no absolute path.
    """
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(f"expected sqlite:///ABSOLUTE/PATH, got host {parts.netloc!r}")
    path = unquote(parts.path)
    if not path.startswith("/") or not path.strip("/"):
        raise ValueError("expected sqlite:///ABSOLUTE/PATH (three slashes, absolute path)")
    # "sqlite:///" + "/abs/path" (a path joined to the prefix) means /abs/path too.
    return Path("/" + path.lstrip("/"))


def check_file(path: Path) -> bool:
    """Raise StoreCorruptError unless ``path`` is missing, empty or looks like SQLite.

    Return True when the file looks doubtful without SQLite's locks (a short or
    blank header, or a page count that disagrees with the file's size): it may
    be truncated, or another process may be creating or checkpointing it. The
    caller then lets SQLite decide, under its locks, with an integrity check.
    """
    if path.is_dir():
        raise StoreCorruptError(str(path), "it is a directory, not a database file")
    try:
        with path.open("rb") as handle:
            header = handle.read(HEADER_SIZE)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise UnavailableError(f"cannot read store file {path}: {exc}") from exc
    if not header:
        return False  # SQLite treats an empty file as an empty database.
    if len(header) < HEADER_SIZE or not header.strip(b"\0"):
        # Perhaps another process is creating it: let SQLite judge, under its locks.
        return True
    if not header.startswith(SQLITE_MAGIC):
        raise StoreCorruptError(str(path), "it does not start with the SQLite header")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise StoreCorruptError(str(path), f"invalid page size {page_size} in the header")
    change_counter, pages = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    if size % page_size:
        return True
    # The in-header size is meaningful only when it was written with the counter.
    return bool(pages and valid_for == change_counter and pages * page_size > size)


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0)) & 0xFF


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` means another connection holds a lock we need."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    if _code(exc) in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return True
    text = str(exc)
    return "database is locked" in text or "database table is locked" in text


def is_corrupt(exc: BaseException) -> bool:
    """Whether ``exc`` means the file is damaged or not a database."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    if _code(exc) in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    text = str(exc)
    return "malformed" in text or "not a database" in text


def translate(exc: sqlite3.Error, path: Path, action: str) -> ReelstackError:
    """Return the reelstack error for a SQLite error met while doing ``action``."""
    if is_corrupt(exc):
        return StoreCorruptError(str(path), f"{action}: {exc}")
    if is_busy(exc):
        return UnavailableError(f"store {path} is locked by another process: cannot {action}")
    return UnavailableError(f"store {path}: cannot {action}: {exc}")


def connect(path: Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """Open ``path`` (creating it and its folders) in WAL mode, checked for damage.

    The connection is in autocommit mode: use :func:`write` (``BEGIN
    IMMEDIATE``) for anything that writes. Raises StoreCorruptError naming the
    path if the file is damaged, UnavailableError if it cannot be opened.
    """
    suspicious = check_file(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnavailableError(f"cannot create the folder for store {path}: {exc}") from exc
    try:
        conn = sqlite3.connect(
            str(path), timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise translate(exc, path, "open") from exc
    deadline = time.monotonic() + busy_timeout_s
    try:
        while True:
            try:
                _prepare(conn, path, busy_timeout_s, suspicious)
                break
            except sqlite3.OperationalError as exc:
                # Two processes creating the file at once both want the exclusive
                # lock that switching to WAL takes; SQLite answers one of them
                # "busy" at once, without waiting, to break the deadlock.
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.03))
    except sqlite3.Error as exc:
        conn.close()
        raise translate(exc, path, "open") from exc
    except ReelstackError:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, path: Path, busy_timeout_s: float, suspicious: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise UnavailableError(f"store {path}: cannot switch to WAL mode (got {mode!r})")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Reading the schema catches a file whose first page is damaged.
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if suspicious:
        problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)").fetchall()]
        if problems != ["ok"]:
            raise StoreCorruptError(str(path), "; ".join(str(p) for p in problems))


def write(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` in a ``BEGIN IMMEDIATE`` transaction; commit, or roll back on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except Exception:
        # SQLite may already have rolled back (e.g. on SQLITE_FULL).
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run each statement of ``script`` inside the current transaction.

    ``Connection.executescript`` would commit first, escaping ``BEGIN IMMEDIATE``.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement at the end of the script: {statement!r}")


class SqliteConnection:
    """One SQLite connection used from one dedicated thread.

    Every call runs on that thread in submission order, so the connection is
    never shared between threads and the event loop never blocks on SQLite.
    """

    def __init__(self, path: Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    async def open(self, setup: Callable[[sqlite3.Connection], None] | None = None) -> None:
        """Open the file and run ``setup`` (schema creation) in a write transaction."""
        if self._conn is not None:
            return
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{self.path.name}")
        loop = asyncio.get_running_loop()
        conn: sqlite3.Connection | None = None
        try:
            conn = await loop.run_in_executor(
                executor, lambda: connect(self.path, busy_timeout_s=self.busy_timeout_s)
            )
        finally:
            if conn is None:
                executor.shutdown(wait=False)
        self._conn, self._executor = conn, executor
        if setup is not None:
            done = False
            try:
                await self.write(setup, action="create the schema")
                done = True
            finally:
                if not done:
                    await self.close()

    async def close(self) -> None:
        """Close the connection after the calls already submitted; safe to call twice."""
        conn, executor = self._conn, self._executor
        self._conn = self._executor = None
        if conn is None or executor is None:
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(executor, conn.close)
        except sqlite3.Error as exc:
            log.warning("closing store %s failed: %s", self.path, exc)
        finally:
            executor.shutdown(wait=False)

    def _require(self) -> tuple[sqlite3.Connection, ThreadPoolExecutor]:
        if self._conn is None or self._executor is None:
            raise UnavailableError(f"store {self.path} is not open")
        return self._conn, self._executor

    async def read(self, work: Callable[[sqlite3.Connection], T], *, action: str = "read") -> T:
        """Run ``work`` on the connection thread (autocommit: one statement, one snapshot)."""
        conn, executor = self._require()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor, work, conn)
        except sqlite3.Error as exc:
            raise translate(exc, self.path, action) from exc

    async def write(self, work: Callable[[sqlite3.Connection], T], *, action: str = "write") -> T:
        """Run ``work`` in a ``BEGIN IMMEDIATE`` transaction, retrying while busy."""
        conn, executor = self._require()
        loop = asyncio.get_running_loop()
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return await loop.run_in_executor(executor, write, conn, work)
            except sqlite3.Error as exc:
                if not is_busy(exc) or attempt == WRITE_ATTEMPTS:
                    raise translate(exc, self.path, action) from exc
                log.info("store %s busy (attempt %d), retrying: %s", self.path, attempt, exc)
                await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    async def ping(self) -> None:
        """Raise UnavailableError unless the file answers a trivial query."""
        if self._conn is None:
            raise UnavailableError(f"store {self.path} is not open")
        await self.read(lambda c: c.execute("SELECT 1").fetchone(), action="answer a ping")
        if not self.path.exists():
            raise UnavailableError(f"store file {self.path} was removed while open")


def path_from_setting(url: str, config: Config, setting: Setting[str]) -> Path:
    """Return the file path of ``url`` (a value of ``setting``); ConfigError if it has none."""
    try:
        return sqlite_path(url)
    except ValueError as exc:
        raise ConfigError(setting.key, url, config.resolved(setting).source, str(exc)) from None
