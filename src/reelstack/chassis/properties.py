"""Runtime properties: a small SQLite store shared by every process on the host.

``reelstack config set`` writes here; every instance polls it (Archaius'
polling source) and applies what changed to its :class:`Config`, so a new
value reaches running instances without a restart. A value set for one
service beats the same key set globally.

The store is one file, ``<home>/data/properties.db``, in WAL mode so readers
never wait for the writer, with a busy timeout so concurrent writers queue
instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from reelstack import settings
from reelstack.config import Config, SettingsRegistry, validate_runtime
from reelstack.errors import StoreCorruptError, UnavailableError

log = logging.getLogger(__name__)

GLOBAL = "*"  # the scope of a property that applies to every service
BUSY_TIMEOUT_MS = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS properties (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (scope, key)
)
"""


def default_path(config: Config) -> Path:
    """Return where the host's property store lives for this configuration."""
    return Path(config.get(settings.HOME)) / "data" / "properties.db"


class PropertyStore:
    """Runtime property values by scope (a service name, or every service)."""

    def __init__(self, path: Path, registry: SettingsRegistry = settings.REGISTRY) -> None:
        self.path = path
        self.registry = registry

    @classmethod
    def for_config(cls, config: Config) -> PropertyStore:
        """Return the store under this configuration's home."""
        return cls(default_path(config), config.registry)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per call: calls are rare (one read per poll) and it
        # keeps the store safe to use from any thread.
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise UnavailableError(f"cannot open property store {self.path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_SCHEMA)
            yield conn
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise UnavailableError(f"property store {self.path}: {exc}") from exc
            raise StoreCorruptError(str(self.path), str(exc)) from exc
        finally:
            conn.close()

    def set(self, key: str, raw: str, service: str | None = None) -> None:
        """Set ``key`` to ``raw`` for ``service`` (or globally); ConfigError if invalid."""
        validate_runtime(self.registry, key, raw)
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO properties (scope, key, value, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (service or GLOBAL, key, raw, time.time()),
            )

    def unset(self, key: str, service: str | None = None) -> bool:
        """Remove ``key`` for ``service`` (or globally); return whether it was set."""
        with self._connect() as conn:
            cursor = conn.execute(
                "DELETE FROM properties WHERE scope = ? AND key = ?", (service or GLOBAL, key)
            )
            return cursor.rowcount > 0

    def values_for(self, service: str) -> dict[str, str]:
        """Return the values that apply to ``service``: its own beat the global ones."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT scope, key, value FROM properties WHERE scope IN (?, ?)",
                (GLOBAL, service),
            ).fetchall()
        values: dict[str, str] = {}
        for scope, key, value in rows:
            if scope == GLOBAL:
                values.setdefault(key, value)
            else:
                values[key] = value
        return values

    def all(self) -> list[tuple[str, str, str, float]]:
        """Return every property as ``(scope, key, value, updated_at)``, sorted."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT scope, key, value, updated_at FROM properties ORDER BY scope, key"
            ).fetchall()
        return [(str(s), str(k), str(v), float(u)) for s, k, v, u in rows]


class PropertyPoller:
    """Reads the store every ``interval_s`` and applies changes to a running Config."""

    def __init__(
        self, store: PropertyStore, config: Config, service: str, interval_s: float
    ) -> None:
        self.store = store
        self.config = config
        self.service = service
        self.interval_s = interval_s
        self._last: dict[str, str] | None = None
        self._task: asyncio.Task[None] | None = None

    async def poll_once(self) -> list[str]:
        """Read the store once and apply it; return the keys whose value changed."""
        values = await asyncio.to_thread(self.store.values_for, self.service)
        if values == self._last:
            return []
        self._last = values
        changed = self.config.apply_runtime(values)
        if changed:
            log.info("runtime properties changed: %s", ", ".join(changed), extra={"keys": changed})
        return changed

    async def _run(self) -> None:
        failing = False
        while True:
            try:
                await self.poll_once()
                failing = False
            except (UnavailableError, StoreCorruptError) as exc:
                # Keep serving with the values we have; say so once, not every poll.
                if not failing:
                    log.warning("cannot read runtime properties: %s", exc)
                failing = True
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        """Start polling in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="property-poller")

    async def stop(self) -> None:
        """Stop polling."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
