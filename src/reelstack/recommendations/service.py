"""Use cases of the recommendations service: a profile's home page rows."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson

from reelstack.chassis.caller import Caller
from reelstack.errors import ReelstackError
from reelstack.recommendations import builder, tables
from reelstack.recommendations.builder import TOP_HOURS, cache_key
from reelstack.recommendations.context import RecommendationsContext
from reelstack.recommendations.models import MATURITY_LEVELS, Item, Row

log = logging.getLogger(__name__)

DEFAULT_MATURITY = "adults"
"""A request without x-maturity (no profile level): catalog reads it the same way."""


@dataclass
class Home:
    """A profile's rows, the parts that failed (named), and whether stored rows were missed."""

    region: str
    maturity: str
    rows: list[Row] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    fallback: bool = False

    def failed(self, part: str, exc: BaseException) -> None:
        detail = str(exc) or type(exc).__name__
        log.warning("home page part %s failed: %s", part, detail)
        self.errors.append({"part": part, "detail": detail})


def rows_key(caller: Caller, default_region: str) -> tuple[str, str]:
    """The region and maturity level whose rows the caller gets."""
    region = caller.region or default_region
    maturity = caller.maturity if caller.maturity in MATURITY_LEVELS else DEFAULT_MATURITY
    return region, maturity


async def _stored_rows(ctx: RecommendationsContext, region: str, maturity: str) -> list[Row]:
    found = await ctx.store.query(tables.ROWS.name, {"region": region, "maturity": maturity})
    return [
        Row(str(r["row_id"]), str(r["name"]), [Item.from_json(i) for i in orjson.loads(r["items"])])
        for r in found
    ]


async def _cached_rows(ctx: RecommendationsContext, region: str, maturity: str) -> list[Row]:
    raw = await ctx.cache.get(cache_key(region, maturity))
    if raw is None:
        raise LookupError("no rows are cached for this region and maturity level yet")
    data: dict[str, Any] = orjson.loads(raw)
    return [Row.from_json(row) for row in data["rows"]]


async def _because(ctx: RecommendationsContext, home: Home, watched: Item) -> Row | None:
    key = {
        "region": home.region,
        "maturity": home.maturity,
        "item_id": f"{watched.kind}:{watched.id}",
    }
    found = await ctx.store.get(tables.SIMILAR.name, key)
    if found is None:
        return None
    items = [Item.from_json(i) for i in orjson.loads(found["items"])]
    if not items:
        return None
    return Row(
        f"because:{watched.kind}:{watched.id}", f"Because you watched {found['name']}", items
    )


async def home_rows(*, ctx: RecommendationsContext, caller: Caller) -> Home:
    """Return the caller's rows; a part that fails is left out and named in ``errors``."""
    region, maturity = rows_key(caller, ctx.default_region)
    home = Home(region=region, maturity=maturity)
    up = ctx.upstreams
    stored, from_history, listed = await asyncio.gather(
        asyncio.wait_for(_stored_rows(ctx, region, maturity), ctx.store_timeout_s),
        up.watching(caller),
        up.my_list(caller),
        return_exceptions=True,
    )
    watching: list[Item] | BaseException
    watched: Item | BaseException | None
    if isinstance(from_history, BaseException):
        watching = watched = from_history
    else:
        watching, watched = from_history.continuing, from_history.last
    if isinstance(stored, BaseException):
        # The store is slow or down: the rows last built, from the cache.
        home.fallback = True
        home.failed("rows", stored if str(stored) else TimeoutError("the store is slow"))
        try:
            stored = await _cached_rows(ctx, region, maturity)
        except (ReelstackError, LookupError, ValueError) as exc:
            home.failed("fallback", exc)
            stored = []
    general = {row.id: row for row in stored}
    if isinstance(watching, BaseException):
        home.failed("continue_watching", watching)
    elif watching:
        home.rows.append(Row("continue_watching", "Continue watching", watching))
    for row_id in ("trending", "top10"):
        if row_id in general:
            home.rows.append(general.pop(row_id))
    if isinstance(watched, BaseException):
        home.failed("because_you_watched", watched)
    elif watched is not None and not home.fallback:
        try:
            because = await asyncio.wait_for(_because(ctx, home, watched), ctx.store_timeout_s)
        except (ReelstackError, TimeoutError) as exc:
            home.failed("because_you_watched", exc)
        else:
            if because is not None:
                home.rows.append(because)
    if isinstance(listed, BaseException):
        home.failed("my_list", listed)
    elif listed:
        home.rows.append(Row("my_list", "My List", listed))
    home.rows += list(general.values())
    return home


async def popular(*, ctx: RecommendationsContext, region: str, limit: int) -> list[tuple[str, int]]:
    """Return the region's most played titles over the last week, most played first.

    What edges fill ahead of demand, until the data platform predicts it:
    every maturity level's titles (an edge holds files, not what a profile
    may see), ties by id so two edges of a region fill the same titles.
    """
    hour = int(ctx.clock() // 3600)
    plays = await builder.counts(ctx.store, regions=[region], last_hour=hour, hours=TOP_HOURS)
    ranked = sorted(((t, n) for t, n in plays.items() if n > 0), key=lambda p: (-p[1], p[0]))
    return ranked[:limit]
