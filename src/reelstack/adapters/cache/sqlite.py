"""SqliteCache: one cache file shared by every process on the host (``sqlite:///PATH``).

The cluster's default cache: the instances of a service are separate
processes, and they must see one cache (a visit recorded by one instance drops
the count the other would serve). Entries carry an absolute expiry in wall
time, which every process shares. The file is bounded in bytes: when a write
takes it over the limit, expired entries go first, then the least recently
used. Recency is recorded at most every ``TOUCH_S`` seconds per entry, so a
hot key does not turn every read into a write ("LRU-ish").
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from reelstack import settings
from reelstack.adapters.cache import (
    DEFAULT_MAX_VALUE_BYTES,
    check_key,
    check_value,
    expiry,
    url_options,
)
from reelstack.adapters.sqlite_common import (
    BUSY_TIMEOUT_S,
    SqliteConnection,
    execute_script,
    is_busy,
    path_from_setting,
)
from reelstack.config import Config

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
ENTRY_OVERHEAD = 64
TOUCH_S = 30.0
# Eviction brings the file down to this share of max_bytes, so it runs rarely.
LOW_WATER = 0.9
# About one set in this many also sweeps out expired entries.
SWEEP_EVERY = 256
IN_CHUNK = 500

SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_entries (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    size INTEGER NOT NULL,
    expires_at REAL,
    accessed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS cache_entries_accessed ON cache_entries (accessed_at);
CREATE INDEX IF NOT EXISTS cache_entries_expires ON cache_entries (expires_at)
    WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS cache_totals (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO cache_totals (id, bytes) VALUES (0, 0);
CREATE TRIGGER IF NOT EXISTS cache_entries_added AFTER INSERT ON cache_entries BEGIN
    UPDATE cache_totals SET bytes = bytes + new.size WHERE id = 0;
END;
CREATE TRIGGER IF NOT EXISTS cache_entries_removed AFTER DELETE ON cache_entries BEGIN
    UPDATE cache_totals SET bytes = bytes - old.size WHERE id = 0;
END;
CREATE TRIGGER IF NOT EXISTS cache_entries_resized AFTER UPDATE OF size ON cache_entries BEGIN
    UPDATE cache_totals SET bytes = bytes - old.size + new.size WHERE id = 0;
END;
"""


class SqliteCache:
    """A byte cache in one SQLite file, shared by the processes on this host.

    ``path`` is the file (created with its folders); ``max_bytes`` bounds the
    entries' keys, values and overhead; ``max_value_bytes`` is the largest
    value accepted; ``default_ttl_s`` applies when ``set`` is given no TTL
    (None: entries live until evicted).
    """

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        default_ttl_s: float | None = None,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> None:
        if max_bytes <= 0 or max_value_bytes <= 0:
            raise ValueError("max_bytes and max_value_bytes must be > 0")
        self.path = path
        self.max_bytes = max_bytes
        self.max_value_bytes = min(max_value_bytes, max_bytes)
        self.default_ttl_s = default_ttl_s
        self._db = SqliteConnection(path, busy_timeout_s=busy_timeout_s)

    async def open(self) -> None:
        await self._db.open(lambda conn: execute_script(conn, SCHEMA))

    async def close(self) -> None:
        await self._db.close()

    async def ping(self) -> None:
        await self._db.ping()

    async def size_bytes(self) -> int:
        """Bytes the entries take, as counted against ``max_bytes``."""

        def work(conn: sqlite3.Connection) -> int:
            return int(conn.execute("SELECT bytes FROM cache_totals WHERE id = 0").fetchone()[0])

        return await self._db.read(work, action="read the cache size")

    async def get(self, key: str) -> bytes | None:
        check_key(key)
        hits = await self._db.read(lambda conn: _read(conn, [key]), action="read the cache")
        return hits.get(key)

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        for key in keys:
            check_key(key)
        if not keys:
            return {}
        unique = list(dict.fromkeys(keys))
        return await self._db.read(lambda conn: _read(conn, unique), action="read the cache")

    async def set(self, key: str, value: bytes, *, ttl_s: float | None = None) -> None:
        check_key(key)
        check_value(key, value, self.max_value_bytes)
        now = time.time()
        expires = expiry(ttl_s, self.default_ttl_s, now)
        size = len(key) + len(value) + ENTRY_OVERHEAD
        sweep = random.randrange(SWEEP_EVERY) == 0

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO cache_entries (key, value, size, expires_at, accessed_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                "value = excluded.value, size = excluded.size, "
                "expires_at = excluded.expires_at, accessed_at = excluded.accessed_at",
                (key, value, size, expires, now),
            )
            if sweep:
                conn.execute("DELETE FROM cache_entries WHERE expires_at <= ?", (now,))
            self._evict(conn, now)

        await self._db.write(work, action="write to the cache")

    async def delete(self, key: str) -> None:
        check_key(key)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM cache_entries WHERE key = ?", (key,))

        await self._db.write(work, action="delete from the cache")

    def _evict(self, conn: sqlite3.Connection, now: float) -> None:
        total = int(conn.execute("SELECT bytes FROM cache_totals WHERE id = 0").fetchone()[0])
        if total <= self.max_bytes:
            return
        conn.execute("DELETE FROM cache_entries WHERE expires_at <= ?", (now,))
        target = int(self.max_bytes * LOW_WATER)
        total = int(conn.execute("SELECT bytes FROM cache_totals WHERE id = 0").fetchone()[0])
        victims: list[tuple[int]] = []
        oldest_first = conn.execute(
            "SELECT rowid, size FROM cache_entries ORDER BY accessed_at, rowid"
        )
        for rowid, size in oldest_first:
            if total <= target:
                break
            victims.append((rowid,))
            total -= size
        oldest_first.close()
        conn.executemany("DELETE FROM cache_entries WHERE rowid = ?", victims)
        log.debug(
            "cache %s: evicted %d entries to stay under %d bytes", self.path, len(victims), target
        )


def _read(conn: sqlite3.Connection, keys: list[str]) -> dict[str, bytes]:
    """Return the live entries among ``keys``, recording recency for stale ones."""
    now = time.time()
    hits: dict[str, bytes] = {}
    stale: list[tuple[float, str]] = []
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start : start + IN_CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT key, value, expires_at, accessed_at FROM cache_entries WHERE key IN ({marks})",
            chunk,
        ).fetchall()
        for key, value, expires_at, accessed_at in rows:
            if expires_at is not None and expires_at <= now:
                continue
            hits[key] = bytes(value)
            if accessed_at < now - TOUCH_S:
                stale.append((now, key))
    if stale:
        try:
            conn.executemany("UPDATE cache_entries SET accessed_at = ? WHERE key = ?", stale)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            # Recency is a hint for eviction; a busy file must not fail the read.
            log.debug("cache: not recording recency of %d entries: %s", len(stale), exc)
    return hits


def from_url(url: str, config: Config) -> SqliteCache:
    """Build a SqliteCache from ``sqlite:///PATH[?max_bytes=N&max_value_bytes=N]``."""
    path = path_from_setting(url, config, settings.CACHE_URL)
    options = url_options(url, config, settings.CACHE_URL, {"max_bytes", "max_value_bytes"})
    return SqliteCache(
        path,
        max_bytes=options.get("max_bytes", DEFAULT_MAX_BYTES),
        max_value_bytes=options.get("max_value_bytes", DEFAULT_MAX_VALUE_BYTES),
    )
