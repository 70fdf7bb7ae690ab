"""Build the adapters a process needs from its settings.

Each port's adapter is chosen by the scheme of its URL setting and imported
only when chosen, so a vendor SDK is needed only by those who use its engine.
Nothing connects here: the ASGI lifespan (or the CLI) calls ``open``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from reelstack import settings
from reelstack.config import Config, Setting
from reelstack.errors import ConfigError
from reelstack.ports import BlobStore, Cache, Database, EventLog, Lifecycle, WideColumnStore

# scheme -> "module:factory"; each factory takes (url, config) and returns an adapter.
FACTORIES: dict[str, dict[str, str]] = {
    "log": {
        "sqlite": "reelstack.adapters.log.sqlite:from_url",
        "kafka": "reelstack.adapters.log.kafka:from_url",
    },
    "widecolumn": {
        "sqlite": "reelstack.adapters.widecolumn.sqlite:from_url",
        "cassandra": "reelstack.adapters.widecolumn.cassandra:from_url",
    },
    "sql": {
        "sqlite+aiosqlite": "reelstack.adapters.sql.sqlalchemy:from_url",
        "postgresql+asyncpg": "reelstack.adapters.sql.sqlalchemy:from_url",
        "cockroachdb+asyncpg": "reelstack.adapters.sql.sqlalchemy:from_url",
    },
    "cache": {
        "memory": "reelstack.adapters.cache.memory:from_url",
        "sqlite": "reelstack.adapters.cache.sqlite:from_url",
        "memcached": "reelstack.adapters.cache.memcached:from_url",
    },
    "blob": {
        "file": "reelstack.adapters.blob.local:from_url",
        "s3": "reelstack.adapters.blob.s3:from_url",
    },
}

URL_SETTINGS: dict[str, Setting[str]] = {
    "log": settings.LOG_URL,
    "widecolumn": settings.WIDECOLUMN_URL,
    "sql": settings.SQL_URL,
    "cache": settings.CACHE_URL,
    "blob": settings.BLOB_URL,
}


def build(role: str, config: Config) -> Any:
    """Build the adapter for ``role`` chosen by its URL setting."""
    setting = URL_SETTINGS[role]
    resolved = config.resolved(setting)
    url: str = resolved.value
    scheme = urlsplit(url).scheme
    target = FACTORIES[role].get(scheme)
    if target is None:
        raise ConfigError(setting.key, url, resolved.source, f"no {role} adapter for {scheme!r}")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            setting.key,
            url,
            resolved.source,
            f"the adapter for {scheme!r} is not installed ({exc}); "
            f"install reelstack with the extra for this engine",
        ) from exc
    return getattr(module, attr)(url, config)


@dataclass
class Adapters:
    """The adapters of one process, built lazily, opened and closed together."""

    config: Config
    _built: dict[str, Any] = field(default_factory=dict)

    def _get(self, role: str) -> Any:
        if role not in self._built:
            self._built[role] = build(role, self.config)
        return self._built[role]

    @property
    def log(self) -> EventLog:
        adapter: EventLog = self._get("log")
        return adapter

    @property
    def widecolumn(self) -> WideColumnStore:
        adapter: WideColumnStore = self._get("widecolumn")
        return adapter

    @property
    def sql(self) -> Database:
        adapter: Database = self._get("sql")
        return adapter

    @property
    def cache(self) -> Cache:
        adapter: Cache = self._get("cache")
        return adapter

    @property
    def blob(self) -> BlobStore:
        adapter: BlobStore = self._get("blob")
        return adapter

    def opened(self) -> dict[str, Lifecycle]:
        """The adapters built so far, by role."""
        return dict(self._built)

    async def open(self, roles: list[str]) -> None:
        """Build and open the adapters for ``roles``."""
        for role in roles:
            await self._get(role).open()

    async def close(self) -> None:
        """Close every adapter built so far, newest first."""
        for adapter in reversed(list(self._built.values())):
            await adapter.close()


def bootstrap(config: Config) -> Adapters:
    """Return the (unopened) adapters for this process's settings."""
    return Adapters(config)
