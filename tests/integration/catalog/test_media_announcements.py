"""Media announces its titles on the log and the catalog follows, losing nothing.

One SQLite store holds both services' tables (as ``sql.url`` does), one
embedded log carries ``media.titles``; the announcer rounds and the
catalog's consumer run as their background tasks would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.adapters.blob.local import LocalBlobStore
from reelstack.adapters.log.sqlite import SqliteEventLog
from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.catalog import consumer
from reelstack.catalog import repository as catalog_repository
from reelstack.catalog.context import CatalogContext
from reelstack.catalog.models import Title as CatalogTitle
from reelstack.config import Config
from reelstack.errors import UnavailableError
from reelstack.media import announce
from reelstack.media import repository as media_repository
from reelstack.media import service as media_service
from reelstack.media.context import MediaContext
from reelstack.media.models import TitleMeta, TitleState
from reelstack.ports.log import RecordMetadata
from tests.integration.catalog.engines import ENGINES
from tests.support.wait import eventually

TOPIC = "media.titles"


class DownLog:
    """A log whose appends fail, as when the brokers are unreachable."""

    async def append(self, topic: str, value: bytes, *, key: bytes | None = None) -> Any:
        raise UnavailableError("log down")

    async def append_many(
        self, topic: str, records: Sequence[tuple[bytes | None, bytes]]
    ) -> list[RecordMetadata]:
        raise UnavailableError("log down")


@dataclass
class Both:
    db: SqlAlchemyDatabase
    log: SqliteEventLog
    media: MediaContext
    catalog: CatalogContext

    async def announce(self, log: Any = None) -> int:
        return await announce.announce_round(ctx=self.media, log_port=log or self.log, topic=TOPIC)

    async def held(self, title_id: str) -> CatalogTitle | None:
        async with self.db.session() as session:
            return await catalog_repository.get(session, title_id, viewer=None)


@pytest.fixture(params=sorted(ENGINES))
async def both(
    request: pytest.FixtureRequest, tmp_path: Path, config: Config
) -> AsyncIterator[Both]:
    async with ENGINES[request.param](tmp_path) as db:
        async for made in _both(db, tmp_path, config):
            yield made


async def _both(db: SqlAlchemyDatabase, tmp_path: Path, config: Config) -> AsyncIterator[Both]:
    log = SqliteEventLog(tmp_path / "log.db")
    blob = LocalBlobStore(tmp_path / "blobs")
    await db.open()
    await log.open()
    await blob.open()
    try:
        await db.migrate("media")
        await db.migrate("catalog")
        media = MediaContext.build(config, db=db, blob=blob, encoder=None, owner="m1")  # type: ignore[arg-type]
        catalog = CatalogContext(config=config, db=db, log=log)
        await consumer.ensure_topic(catalog, TOPIC)
        yield Both(db, log, media, catalog)
    finally:
        await blob.close()
        await log.close()
        await db.close()


async def _make(both: Both, title_id: str, name: str, state: TitleState) -> None:
    meta = TitleMeta(name=name, genres=("Drama",), maturity_rating="PG")

    async def work(session: AsyncSession) -> None:
        await media_repository.create(session, title_id=title_id, meta=meta, state=state)

    await both.db.transaction(work)


async def _set(both: Both, title_id: str, **values: Any) -> None:
    async def work(session: AsyncSession) -> None:
        await media_repository.set_fields(session, title_id, **values)

    await both.db.transaction(work)


async def test_published_changed_and_removed_titles_reach_the_catalog_through_an_outage(
    both: Both,
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(both.catalog, stop=stop))
    try:
        await _make(both, "t1", "Draft", TitleState.UPLOADING)
        assert await both.announce() == 0, "nothing is announced before it is ready"
        await _set(both, "t1", state=TitleState.READY, poster_key="media/t1/artwork/p.jpg")
        assert await both.announce() == 1
        assert await both.announce() == 0, "announced once"

        async def held_name() -> str | None:
            title = await both.held("t1")
            return title.name if title is not None and title.published else None

        await eventually(held_name, "the publication", done=lambda name: name == "Draft")

        # The log is down when the title changes: nothing is marked announced...
        await _set(both, "t1", name="Final Cut")
        with pytest.raises(UnavailableError):
            await both.announce(DownLog())
        # ...so the next round, with the log back, announces it.
        assert await both.announce() == 1
        await eventually(held_name, "the change", done=lambda name: name == "Final Cut")

        await media_service.delete_title(ctx=both.media, title_id="t1")
        assert await both.announce() == 1
        assert await both.announce() == 0

        async def removed() -> bool:
            title = await both.held("t1")
            return title is not None and not title.published

        await eventually(removed, "the removal")
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
