"""A rebuild replaces a level's rows without a moment in which readers find none."""

from __future__ import annotations

from typing import Any

from reelstack.adapters.cache.memory import MemoryCache
from reelstack.adapters.widecolumn.sqlite import SqliteWideColumnStore
from reelstack.recommendations import builder, tables
from reelstack.recommendations.models import Item, Row

PARTITION = {"region": "US", "maturity": "kids"}


def rows(count: int, tag: str) -> list[Row]:
    return [Row(f"{tag}{n}", f"Row {n}", [Item("title", f"t{n}")]) for n in range(count)]


class Watched:
    """The store, with the level's stored rows counted after every write the builder makes."""

    def __init__(self, store: SqliteWideColumnStore) -> None:
        self.store = store
        self.seen: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def _count(self) -> None:
        self.seen.append(len(await self.store.query(tables.ROWS.name, PARTITION)))

    async def upsert(self, *args: Any, **kwargs: Any) -> None:
        await self.store.upsert(*args, **kwargs)
        await self._count()

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        await self.store.delete(*args, **kwargs)
        await self._count()


async def test_readers_never_see_an_empty_level_during_a_rebuild(
    store: SqliteWideColumnStore,
) -> None:
    cache = MemoryCache()
    await builder.write(store, cache, **PARTITION, rows=rows(4, "old"), similar={})
    watched = Watched(store)
    await builder.write(watched, cache, **PARTITION, rows=rows(2, "new"), similar={})  # type: ignore[arg-type]
    assert watched.seen and 0 not in watched.seen, watched.seen
    # The shorter set replaced the longer one whole: no old position is left.
    found = await store.query(tables.ROWS.name, PARTITION)
    assert [r["row_id"] for r in found] == ["new0", "new1"]
