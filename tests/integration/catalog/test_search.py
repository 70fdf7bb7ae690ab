"""Search as you type on each engine: SQLite FTS5 (trigram) and PostgreSQL pg_trgm.

The same tests run on both, through the one interface; PostgreSQL gets a
database of its own, dropped afterwards, where an engine runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelstack.adapters.log.sqlite import SqliteEventLog
from reelstack.catalog import service
from reelstack.catalog.context import CatalogContext
from reelstack.catalog.models import Maturity, Viewer
from reelstack.catalog.writes import MetaEdit
from reelstack.config import Config
from reelstack.errors import InvalidRequestError
from tests.integration.catalog.engines import ENGINES
from tests.unit.catalog.conftest import event, publish


@pytest.fixture(params=sorted(ENGINES))
async def ctx(
    request: pytest.FixtureRequest, tmp_path: Path, config: Config
) -> AsyncIterator[CatalogContext]:
    async with ENGINES[request.param](tmp_path) as db:
        await db.open()
        try:
            await db.migrate("catalog")
            ctx = CatalogContext(
                config=config,
                db=db,
                log=SqliteEventLog(tmp_path / "log.db"),
            )
            for title_id, name, rating, series in (
                ("st1", "The Vanishing", "TV-14", "Stranger Things"),
                ("st2", "The Upside Down", "TV-14", "Stranger Things"),
                ("str", "Strangers on a Train", "PG", None),
                ("mat", "The Matrix", "R", None),
                ("mar", "Mary Poppins", "G", None),
                ("dino", "Dinosaur Train", "TV-Y", None),
            ):
                await publish(ctx, event(title_id, 1, name=name, rating=rating, series=series))
            yield ctx
        finally:
            await db.close()


async def names(ctx: CatalogContext, query: str, viewer: Viewer | None = None) -> list[str]:
    found = await service.find(ctx=ctx, viewer=viewer or Viewer(), query=query, limit=10)
    return [t.name for t in found]


async def test_a_typo_still_finds_the_title(ctx: CatalogContext) -> None:
    found = await names(ctx, "strnger things")
    assert found[:2] == ["The Upside Down", "The Vanishing"], "best matches first"
    assert "The Matrix" in await names(ctx, "matirx")
    assert await names(ctx, "mary popins") == ["Mary Poppins"]


async def test_search_as_you_type_matches_what_is_typed_so_far(ctx: CatalogContext) -> None:
    assert "Strangers on a Train" in await names(ctx, "strang")
    assert await names(ctx, "ma") == ["Mary Poppins", "The Matrix"]
    assert await names(ctx, "di") == ["Dinosaur Train"]
    assert await names(ctx, "zzzzqqq") == []


async def test_search_respects_the_profiles_maturity(ctx: CatalogContext) -> None:
    kids = Viewer(maturity=Maturity.KIDS)
    assert await names(ctx, "train", kids) == ["Dinosaur Train"]
    assert await names(ctx, "matrix", kids) == []
    assert await names(ctx, "strnger things", kids) == []
    older = Viewer(maturity=Maturity.OLDER_KIDS)
    assert sorted(await names(ctx, "train", older)) == ["Dinosaur Train", "Strangers on a Train"]


async def test_search_follows_renames_and_removals(ctx: CatalogContext) -> None:
    await service.edit_meta(ctx=ctx, title_id="mat", edit=MetaEdit(name="Reloaded"))
    assert await names(ctx, "reloded") == ["Reloaded"]
    assert await names(ctx, "matrix") == []
    await publish(ctx, event("mar", 2, type="title.removed"))
    assert await names(ctx, "mary poppins") == []
    # A title the studio renamed, removed and published again is found by its studio name.
    await publish(ctx, event("mat", 2, type="title.removed"))
    assert await names(ctx, "reloaded") == []
    await publish(ctx, event("mat", 3, name="The Matrix"))
    assert await names(ctx, "reloaded") == ["Reloaded"]


async def test_a_query_is_bounded(ctx: CatalogContext) -> None:
    with pytest.raises(InvalidRequestError, match="at most 100"):
        await names(ctx, "a" * 101)
    with pytest.raises(InvalidRequestError, match="letter"):
        await names(ctx, "!!!")
    # FTS and LIKE syntax in a query is just text.
    assert await names(ctx, '"the" OR * NEAR(%_') == []
