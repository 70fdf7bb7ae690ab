"""The recommendations service on the embedded stores, with catalog and history in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from reelstack.adapters.widecolumn.sqlite import SqliteWideColumnStore
from reelstack.chassis.caller import Caller
from reelstack.errors import UnavailableError
from reelstack.ports.log import Record
from reelstack.recommendations import tables
from reelstack.recommendations.models import MATURITY_LEVELS, CatalogTitle, Item, Watching

# name, genres, lowest level that may see it, series
CATALOG = {
    "space": ("Space Film", ("Sci-Fi", "Drama"), "teens", None),
    "robots": ("Robots", ("Sci-Fi",), "kids", None),
    "war": ("War Film", ("Drama", "War"), "adults", None),
    "e1": ("Pilot", ("Comedy",), "kids", ("show", "The Show")),
    "e2": ("Second", ("Comedy",), "kids", ("show", "The Show")),
    "gb-only": ("Local Film", ("Drama",), "kids", None),
}
REGIONS = {"gb-only": {"GB"}}


def visible(title_id: str, maturity: str, region: str) -> bool:
    lowest = CATALOG[title_id][2]
    allowed = MATURITY_LEVELS.index(maturity) >= MATURITY_LEVELS.index(lowest)
    return allowed and region in REGIONS.get(title_id, {region})


@dataclass
class FakeUpstreams:
    """Catalog and history as their APIs answer, in memory; each can be made to fail."""

    continuing: dict[str, list[Item]] = field(default_factory=dict)
    watched: dict[str, Item] = field(default_factory=dict)
    listed: dict[str, list[Item]] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    asked: list[tuple[str, str | None]] = field(default_factory=list)

    def _check(self, service: str) -> None:
        if service in self.down:
            raise UnavailableError(f"{service}: no instance is up")

    async def titles(self, *, maturity: str, region: str) -> list[CatalogTitle]:
        self._check("catalog")
        return [
            CatalogTitle(id, name, genres, *(series or (None, None)))
            for id, (name, genres, _, series) in CATALOG.items()
            if visible(id, maturity, region)
        ]

    async def watching(self, caller: Caller) -> Watching:
        self._check("history")
        self.asked.append(("watching", caller.profile))
        profile = caller.profile or ""
        return Watching(self.continuing.get(profile, []), self.watched.get(profile))

    async def my_list(self, caller: Caller) -> list[Item]:
        self._check("catalog")
        return self.listed.get(caller.profile or "", [])


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteWideColumnStore]:
    opened = SqliteWideColumnStore(tmp_path / "wide.db")
    await opened.open()
    try:
        for table in tables.ALL:
            await opened.create_table(table)
        yield opened
    finally:
        await opened.close()


def play_record(
    offset: int,
    title_id: str,
    *,
    region: str | None = "US",
    at: float = 1_800_000_000.0,
    partition: int = 0,
) -> Record:
    body = {
        "type": "play.started",
        "v": 1,
        "play_id": f"p{offset}",
        "account": "a",
        "profile": "p",
        "title_id": title_id,
        "region": region,
        "device_id": "tv",
        "started_at": at,
    }
    return Record("playback.plays", partition, offset, title_id.encode(), orjson.dumps(body), 0)
