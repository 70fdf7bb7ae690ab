"""The catalog on a real SQLite store (and log) in a temporary folder, and ways to fill it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from reelstack import migrations, services
from reelstack.adapters.log.sqlite import SqliteEventLog
from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.bootstrap import Adapters
from reelstack.catalog import announcements, service
from reelstack.catalog.app import create_app
from reelstack.catalog.context import CatalogContext
from reelstack.config import Config
from tests.unit.chassis.conftest import started

PACKAGE = "reelstack.catalog"


def database(url_or_path: Path | str) -> SqlAlchemyDatabase:
    """Return an unopened store that migrates every branch, catalog's included."""
    specs = services.specs((PACKAGE,)).values()
    url = url_or_path if isinstance(url_or_path, str) else f"sqlite+aiosqlite:///{url_or_path}"
    return SqlAlchemyDatabase(url, version_locations=migrations.version_locations(specs))


def event(
    title_id: str,
    version: int,
    *,
    type: str = "title.published",
    name: str = "A Film",
    rating: str = "PG",
    genres: tuple[str, ...] = ("Drama",),
    series: str | None = None,
    season: int | None = None,
    episode: int | None = None,
    poster_key: str | None = None,
    synopsis: str = "",
) -> bytes:
    """One announcement as media writes it to ``media.titles``."""
    removed = type == "title.removed"
    return orjson.dumps(
        {
            "type": type,
            "v": 1,
            "title_id": title_id,
            "version": version,
            "at": "2026-12-06T21:00:00+00:00",
            "meta": None
            if removed
            else {
                "name": name,
                "synopsis": synopsis,
                "genres": list(genres),
                "maturity_rating": rating,
                "series": series,
                "season": season,
                "episode": episode,
            },
            "assets": None
            if removed
            else {
                "duration_s": 60.0,
                "poster_key": poster_key,
                "backdrop_key": None,
                "intro_start_s": 5.0,
                "intro_end_s": 20.0,
                "credits_start_s": 50.0,
            },
        }
    )


async def publish(ctx: CatalogContext, value: bytes) -> bool:
    """Apply one announcement the way the consumer does."""
    return await service.apply_announcement(ctx=ctx, event=announcements.decode(value))


async def fill(ctx: CatalogContext) -> None:
    """A small catalog: films of every level, a series with a mature episode, a US-only film."""
    await publish(ctx, event("kidsfilm", 1, name="Bluey Day", rating="TV-Y", genres=("Kids",)))
    await publish(ctx, event("famfilm", 1, name="Family Trip", rating="PG", genres=("Comedy",)))
    await publish(ctx, event("teenfilm", 1, name="Teen Spirit", rating="PG-13"))
    await publish(
        ctx, event("adultfilm", 1, name="Dark Matter", rating="TV-MA", genres=("Thriller",))
    )
    for number, rating in ((1, "TV-G"), (2, "TV-MA"), (3, "TV-G")):
        await publish(
            ctx,
            event(
                f"ep{number}",
                1,
                name=f"Episode {number}",
                rating=rating,
                genres=("Kids",),
                series="Stranger Things",
                season=1,
                episode=number,
            ),
        )


@pytest.fixture
def config(make_config: Callable[..., Config]) -> Config:
    return make_config()


@pytest.fixture
async def app_and_client(
    config: Config, tmp_path: Path
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    adapters = Adapters(
        config,
        _built={"sql": database(tmp_path / "sql.db"), "log": SqliteEventLog(tmp_path / "log.db")},
    )
    app = create_app(config, adapters=adapters, consume=False)
    async for client in started(app):
        yield app, client


@pytest.fixture
def client(app_and_client: tuple[Any, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_and_client[1]


@pytest.fixture
async def ctx(app_and_client: tuple[Any, httpx.AsyncClient]) -> CatalogContext:
    from reelstack.chassis.app import chassis_of

    return chassis_of(app_and_client[0]).context_as(CatalogContext)


def viewer(
    maturity: str | None = None,
    region: str | None = None,
    account: str = "acc1",
    profile: str | None = "prof1",
) -> dict[str, str]:
    """The identity headers the gateway sets for a caller."""
    headers = {"x-account-id": account}
    if profile is not None:
        headers["x-profile-id"] = profile
    if maturity is not None:
        headers["x-maturity"] = maturity
    if region is not None:
        headers["x-region"] = region
    return headers


KIDS = viewer("kids", profile="kid1")
ADULT = viewer("adults")
STUDIO = {"x-account-id": "studio1", "x-roles": "studio"}
