"""What every catalog use case works with: settings, the relational store, the search index."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends

from reelstack.catalog import search
from reelstack.catalog import settings as catalog_settings
from reelstack.catalog.title_cache import TitleCache
from reelstack.chassis.route_deps import context_dep
from reelstack.config import Config
from reelstack.ports import Database, EventLog

MEDIA_URL_PREFIX = "/media"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CatalogContext:
    """The catalog service's settings and ports, for one process."""

    config: Config
    db: Database
    log: EventLog
    clock: Callable[[], datetime] = _now
    _index: search.SearchIndex | None = field(default=None, repr=False)
    _titles: TitleCache | None = field(default=None, repr=False)

    @property
    def titles(self) -> TitleCache:
        """This process's cache of whole titles (``catalog.title_cache_s``)."""
        if self._titles is None:
            ttl: float = self.config.get(catalog_settings.CATALOG_TITLE_CACHE_S)
            self._titles = TitleCache(ttl_s=ttl)
        return self._titles

    @property
    def index(self) -> search.SearchIndex:
        """The search index of the engine behind ``db`` (known once the store is open)."""
        if self._index is None:
            self._index = search.for_dialect(self.db.engine.dialect.name)
        return self._index

    @property
    def default_region(self) -> str:
        region: str = self.config.get(catalog_settings.CATALOG_DEFAULT_REGION)
        return region

    def url_for(self, key: str | None) -> str | None:
        """The path a published blob (artwork) is served at, as media serves it."""
        if key is None:
            return None
        prefix = str(self.config.get(catalog_settings.CATALOG_PUBLISHED_PREFIX)).rstrip("/") + "/"
        if not key.startswith(prefix):
            return None
        return f"{MEDIA_URL_PREFIX}/{key[len(prefix) :]}"


CatalogDep = Annotated[CatalogContext, Depends(context_dep(CatalogContext))]
