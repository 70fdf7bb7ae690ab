"""The catalog's first revision copies every title media held, losing nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.catalog import repository as catalog_repository
from reelstack.catalog import search
from reelstack.catalog.models import Maturity, Viewer
from reelstack.media import repository as media_repository
from reelstack.media.models import TitleMeta, TitleState
from tests.unit.catalog.conftest import database


def micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


async def test_every_media_title_and_field_is_found_in_the_catalog(tmp_path: Path) -> None:
    await check_copy(database(tmp_path / "sql.db"))


async def check_copy(db: SqlAlchemyDatabase) -> None:
    """Migrate media, make titles by its schema, migrate catalog; compare every field."""
    await db.open()
    try:
        await db.migrate("media")
        episode = TitleMeta(
            name="Pilot",
            synopsis="It begins.",
            genres=("Sci-Fi", "Drama"),
            maturity_rating="TV-14",
            series="Night Shift",
            season=1,
            episode=1,
        )
        film = TitleMeta(name="Solo", synopsis="Alone.", genres=("Indie",), maturity_rating="R")
        draft = TitleMeta(name="Draft", maturity_rating="G")

        async def old_schema(session: AsyncSession) -> None:
            await media_repository.create(
                session, title_id="ep1", meta=episode, state=TitleState.UPLOADING
            )
            await media_repository.set_fields(
                session,
                "ep1",
                state=TitleState.READY,
                duration_s=1800.5,
                poster_key="media/ep1/artwork/poster.jpg",
                backdrop_key="media/ep1/artwork/backdrop.jpg",
                intro_start_s=3.0,
                intro_end_s=33.0,
                credits_start_s=1750.0,
            )
            await media_repository.create(
                session, title_id="film1", meta=film, state=TitleState.READY
            )
            await media_repository.create(
                session, title_id="draft1", meta=draft, state=TitleState.UPLOADING
            )

        await db.transaction(old_schema)
        async with db.session() as session:
            media = {t.id: t for t in await media_repository.list_titles(session)}
        await db.migrate("catalog")
        async with db.session() as session:
            held = {
                t: await catalog_repository.get(session, t, viewer=None)
                for t in ("ep1", "film1", "draft1")
            }
            kids_view = await catalog_repository.get(
                session, "ep1", viewer=Viewer(maturity=Maturity.KIDS)
            )
            found = await search.find(
                search.for_dialect(db.engine.dialect.name),
                session,
                query="nite shift",
                where=catalog_repository.visible(Viewer()),
                limit=5,
            )
        assert kids_view is None, "the rating came across and still filters"
        assert found == ["ep1"], "copied titles are searchable (draft1 is not published)"
        for title_id, copied in held.items():
            source = media[title_id]
            assert copied is not None, title_id
            assert (
                copied.name,
                copied.synopsis,
                sorted(copied.genres),
                copied.maturity_rating,
                copied.kind.value,
                copied.series_name,
                copied.season,
                copied.episode,
                copied.duration_s,
                copied.poster_key,
                copied.backdrop_key,
                copied.intro_start_s,
                copied.intro_end_s,
                copied.credits_start_s,
                copied.published,
                copied.version,
                copied.created_at,
                copied.updated_at,
            ) == (
                source.name,
                source.synopsis,
                sorted(source.genres),
                source.maturity_rating,
                source.kind.value,
                source.series,
                source.season,
                source.episode,
                source.duration_s,
                source.poster_key,
                source.backdrop_key,
                source.intro_start_s,
                source.intro_end_s,
                source.credits_start_s,
                source.state is TitleState.READY,
                micros(source.updated_at),
                source.created_at,
                source.updated_at,
            ), title_id
        assert held["ep1"] is not None and held["ep1"].series_id is not None
        assert held["ep1"].updated_at is not None and held["ep1"].updated_at.tzinfo is UTC
    finally:
        await db.close()
