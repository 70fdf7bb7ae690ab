"""Computing every region's and maturity level's rows ahead of any request.

A round (every ``recommendations.build_s``) sums the play counts (trending:
every region's last 24 hours; top 10 and the order inside genre rows: the
region's last 7 days), asks catalog which titles each maturity level may
see in each region, and writes, per region and level, the rows (trending,
top 10, genre rows) and each title's "because you watched" list. The rows
also go to the cache, where a request finds them when the store is slow or
down. Until the batch jobs of the data platform exist, this is the model:
popularity, and likeness by shared genres.

Instances build the same rows from the same data; a second copy of a round
writes what the first wrote.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import orjson

from reelstack.errors import ReelstackError
from reelstack.ports import Cache, WideColumnStore
from reelstack.recommendations import tables
from reelstack.recommendations.counting import REGIONS_BUCKET
from reelstack.recommendations.models import MATURITY_LEVELS, CatalogTitle, Item, Row

log = logging.getLogger(__name__)

TRENDING_HOURS = 24
TOP_HOURS = 7 * 24
TOP_SIZE = 10


class CatalogSource(Protocol):
    """What catalog lets a maturity level see in a region."""

    async def titles(self, *, maturity: str, region: str) -> list[CatalogTitle]: ...


@dataclass(frozen=True)
class Shape:
    """How many titles a row holds and how many genre rows there are."""

    row_size: int = 20
    genre_rows: int = 8


def cache_key(region: str, maturity: str) -> str:
    """Where the last rows built for a region and level are cached (the fallback)."""
    return f"recommendations:rows:{region}:{maturity}"


async def counts(
    store: WideColumnStore, *, regions: Sequence[str], last_hour: int, hours: int
) -> dict[str, int]:
    """Play starts per title over ``hours`` hours up to ``last_hour``, in ``regions``."""
    out: dict[str, int] = defaultdict(int)
    for region in regions:
        for hour in range(last_hour - hours + 1, last_hour + 1):
            rows = await store.query(tables.PLAY_COUNTS.name, {"region": region, "hour": hour})
            for row in rows:
                out[str(row["title_id"])] += int(row["plays"])
    return dict(out)


async def regions(store: WideColumnStore, default_region: str) -> list[str]:
    """The regions plays came from, and the default one."""
    rows = await store.query(tables.REGIONS.name, {"bucket": REGIONS_BUCKET})
    return sorted({default_region, *(str(row["region"]) for row in rows)})


def _items(
    titles: Sequence[CatalogTitle], plays: Mapping[str, int]
) -> tuple[dict[Item, int], dict[Item, str], dict[Item, set[str]]]:
    popularity: dict[Item, int] = defaultdict(int)
    names: dict[Item, str] = {}
    genres: dict[Item, set[str]] = defaultdict(set)
    for title in titles:
        item = title.item
        popularity[item] += plays.get(title.id, 0)
        names[item] = title.item_name
        genres[item].update(title.genres)
    return dict(popularity), names, dict(genres)


def build(
    titles: Sequence[CatalogTitle],
    *,
    region: str,
    regional: Mapping[str, int],
    everywhere: Mapping[str, int],
    shape: Shape,
) -> tuple[list[Row], dict[Item, tuple[str, list[Item]]]]:
    """Return one region and level's rows and each item's "because you watched" list."""
    local, names, genres = _items(titles, regional)
    trending, _, _ = _items(titles, everywhere)

    def ranked(pool: Mapping[Item, int], size: int) -> list[Item]:
        hot = [item for item, n in pool.items() if n > 0]
        return sorted(hot, key=lambda i: (-pool[i], names[i], i.id))[:size]

    rows: list[Row] = []
    if hot := ranked(trending, shape.row_size):
        rows.append(Row("trending", "Trending now", hot))
    if top := ranked(local, TOP_SIZE):
        rows.append(Row("top10", f"Top 10 in {region}", top))
    by_genre: dict[str, list[Item]] = defaultdict(list)
    for item, held in genres.items():
        for genre in held:
            by_genre[genre].append(item)
    weight = {g: sum(local[i] for i in items) for g, items in by_genre.items()}
    for genre in sorted(by_genre, key=lambda g: (-weight[g], g))[: shape.genre_rows]:
        items = sorted(by_genre[genre], key=lambda i: (-local[i], names[i], i.id))
        rows.append(Row(f"genre:{genre}", genre, items[: shape.row_size]))
    similar: dict[Item, tuple[str, list[Item]]] = {}
    for item, held in genres.items():
        shared = {
            other: len(held & theirs)
            for other, theirs in genres.items()
            if other != item and held & theirs
        }
        alike = sorted(shared, key=lambda o: (-shared[o], -local[o], names[o], o.id))
        similar[item] = (names[item], alike[: shape.row_size])
    return rows, similar


async def write(
    store: WideColumnStore,
    cache: Cache,
    *,
    region: str,
    maturity: str,
    rows: Sequence[Row],
    similar: Mapping[Item, tuple[str, list[Item]]],
) -> None:
    """Replace the stored rows and likeness lists of a region and level; cache the rows."""
    now_us = time.time_ns() // 1000
    built_s = now_us // 1_000_000
    partition = {"region": region, "maturity": maturity}
    # The new rows first (at now_us + 1), then the partition's tombstone at
    # now_us: it removes only what is older (positions past the new count),
    # as a write-time reconciliation does. The other order left a moment in
    # which a reader found the partition empty: a home page with no rows.
    for position, row in enumerate(rows):
        await store.upsert(
            tables.ROWS.name,
            partition
            | {
                "position": position,
                "row_id": row.id,
                "name": row.name,
                "items": orjson.dumps([i.to_json() for i in row.items]).decode(),
                "built_at": built_s,
            },
            timestamp_us=now_us + 1,
        )
    await store.delete(tables.ROWS.name, partition, timestamp_us=now_us)
    for item, (name, alike) in similar.items():
        await store.upsert(
            tables.SIMILAR.name,
            partition
            | {
                "item_id": f"{item.kind}:{item.id}",
                "name": name,
                "items": orjson.dumps([i.to_json() for i in alike]).decode(),
            },
            timestamp_us=now_us + 1,
        )
    await store.delete(tables.SIMILAR.name, partition, timestamp_us=now_us)
    cached = {"rows": [row.to_json() for row in rows], "built_at": built_s}
    await cache.set(cache_key(region, maturity), orjson.dumps(cached), ttl_s=tables.ROWS_TTL_S)


async def build_round(
    *,
    store: WideColumnStore,
    cache: Cache,
    catalog: CatalogSource,
    default_region: str,
    shape: Shape,
    now: float | None = None,
) -> int:
    """Compute and write every region's and level's rows; return how many sets were written."""
    hour = int((time.time() if now is None else now) // 3600)
    found = await regions(store, default_region)
    everywhere = await counts(store, regions=found, last_hour=hour, hours=TRENDING_HOURS)
    written = 0
    for region in found:
        regional = await counts(store, regions=[region], last_hour=hour, hours=TOP_HOURS)
        for maturity in MATURITY_LEVELS:
            titles = await catalog.titles(maturity=maturity, region=region)
            rows, similar = build(
                titles, region=region, regional=regional, everywhere=everywhere, shape=shape
            )
            await write(store, cache, region=region, maturity=maturity, rows=rows, similar=similar)
            written += 1
    return written


async def run(
    *,
    store: WideColumnStore,
    cache: Cache,
    catalog: CatalogSource,
    default_region: str,
    shape: Shape,
    interval_s: float,
    pause_s: float,
) -> None:
    """Build rows every ``interval_s`` until cancelled; the last rows stay when a round fails."""
    while True:
        try:
            await build_round(
                store=store,
                cache=cache,
                catalog=catalog,
                default_region=default_region,
                shape=shape,
            )
        except ReelstackError as exc:
            log.warning("cannot build the home page rows yet: %s", exc)
            await asyncio.sleep(pause_s)
            continue
        await asyncio.sleep(interval_s)
