"""Reading the catalog behind the sql port: titles as a viewer may see them.

Every viewer-facing query goes through :func:`visible`, so maturity, region
and publication are checked in one place, in SQL (before any limit, so a
kids profile's page is as full as anyone's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, exists, func, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.catalog.models import (
    CastMember,
    CastRole,
    Series,
    Title,
    TitleKind,
    Viewer,
    allowed_ratings,
)
from reelstack.catalog.tables import credits, genres, people, regions, series, titles


def visible(viewer: Viewer | None) -> ColumnElement[bool]:
    """The condition a title row meets when ``viewer`` may see it (None: studio, everything)."""
    if viewer is None:
        return true()
    condition: ColumnElement[bool] = titles.c.published.is_(True)
    allowed = allowed_ratings(viewer.maturity)
    if allowed is not None:
        condition = and_(condition, titles.c.maturity_rating.in_(sorted(allowed)))
    anywhere = not_(exists().where(regions.c.title_id == titles.c.id))
    here = exists().where(regions.c.title_id == titles.c.id, regions.c.region == viewer.region)
    return and_(condition, or_(anywhere, here))


_COLUMNS = (
    titles.c.id,
    titles.c.kind,
    titles.c.name,
    titles.c.synopsis,
    titles.c.maturity_rating,
    titles.c.published,
    titles.c.version,
    titles.c.series_id,
    series.c.name.label("series_name"),
    titles.c.season,
    titles.c.episode,
    titles.c.duration_s,
    titles.c.poster_key,
    titles.c.backdrop_key,
    titles.c.intro_start_s,
    titles.c.intro_end_s,
    titles.c.credits_start_s,
    titles.c.meta_edited,
    titles.c.created_at,
    titles.c.updated_at,
)


def _select() -> Any:
    return select(*_COLUMNS).select_from(
        titles.outerjoin(series, series.c.id == titles.c.series_id)
    )


def _title(row: Row[Any]) -> Title:
    data = row._asdict()
    data["kind"] = TitleKind(data["kind"])
    return Title(**data)


async def _hydrate(session: AsyncSession, found: list[Title]) -> list[Title]:
    """Fill in genres, regions and cast of ``found`` (three queries for any number)."""
    if not found:
        return found
    ids = [t.id for t in found]
    by_id = {t.id: t for t in found}
    for row in await session.execute(
        select(genres.c.title_id, genres.c.genre)
        .where(genres.c.title_id.in_(ids))
        .order_by(genres.c.genre)
    ):
        by_id[row.title_id].genres.append(row.genre)
    for row in await session.execute(
        select(regions.c.title_id, regions.c.region)
        .where(regions.c.title_id.in_(ids))
        .order_by(regions.c.region)
    ):
        by_id[row.title_id].regions.append(row.region)
    cast: dict[str, list[CastMember]] = defaultdict(list)
    for credit in await session.execute(
        select(credits.c.title_id, credits.c.role, credits.c.character, people.c.id, people.c.name)
        .join(people, people.c.id == credits.c.person_id)
        .where(credits.c.title_id.in_(ids))
        .order_by(credits.c.title_id, credits.c.position)
    ):
        cast[credit.title_id].append(
            CastMember(credit.id, credit.name, CastRole(credit.role), credit.character)
        )
    for title_id, members in cast.items():
        by_id[title_id].cast = members
    return found


async def get(session: AsyncSession, title_id: str, *, viewer: Viewer | None) -> Title | None:
    """Return one title if ``viewer`` may see it (None: any title, for the studio)."""
    row = (await session.execute(_select().where(titles.c.id == title_id, visible(viewer)))).first()
    if row is None:
        return None
    return (await _hydrate(session, [_title(row)]))[0]


async def many(session: AsyncSession, ids: Sequence[str], *, viewer: Viewer) -> list[Title]:
    """Return the titles of ``ids`` ``viewer`` may see, in the order of ``ids``."""
    if not ids:
        return []
    rows = await session.execute(_select().where(titles.c.id.in_(list(ids)), visible(viewer)))
    by_id = {row.id: _title(row) for row in rows}
    return await _hydrate(session, [by_id[i] for i in ids if i in by_id])


async def browse(
    session: AsyncSession,
    *,
    viewer: Viewer,
    genre: str | None,
    kind: TitleKind | None,
    limit: int,
    offset: int,
) -> tuple[list[Title], int]:
    """Return a page of the titles ``viewer`` may see, by name, and how many there are."""
    condition = visible(viewer)
    if genre is not None:
        condition = and_(
            condition,
            exists().where(genres.c.title_id == titles.c.id, genres.c.genre == genre),
        )
    if kind is not None:
        condition = and_(condition, titles.c.kind == kind.value)
    total = (
        await session.execute(select(func.count()).select_from(titles).where(condition))
    ).scalar_one()
    rows = await session.execute(
        _select().where(condition).order_by(titles.c.name, titles.c.id).limit(limit).offset(offset)
    )
    return await _hydrate(session, [_title(row) for row in rows]), int(total)


async def get_series(session: AsyncSession, series_id: str) -> Series | None:
    """Return a series by id."""
    row = (await session.execute(select(series).where(series.c.id == series_id))).first()
    return Series(row.id, row.name, row.synopsis) if row is not None else None


async def find_series(session: AsyncSession, name: str) -> Series | None:
    """Return a series by its exact name."""
    row = (await session.execute(select(series).where(series.c.name == name))).first()
    return Series(row.id, row.name, row.synopsis) if row is not None else None


async def episodes(session: AsyncSession, series_id: str, *, viewer: Viewer) -> list[Title]:
    """Return the episodes of a series ``viewer`` may see, by season and number."""
    rows = await session.execute(
        _select()
        .where(titles.c.series_id == series_id, visible(viewer))
        .order_by(titles.c.season, titles.c.episode, titles.c.id)
    )
    return await _hydrate(session, [_title(row) for row in rows])


async def next_episode_id(session: AsyncSession, title: Title, *, viewer: Viewer) -> str | None:
    """The id of the episode after ``title`` in its series that ``viewer`` may see."""
    if title.series_id is None or title.season is None or title.episode is None:
        return None
    found = await episode_after(
        session, title.series_id, title.season, title.episode, viewer=viewer
    )
    return found.id if found is not None else None


async def episode_after(
    session: AsyncSession, series_id: str, season: int, episode: int, *, viewer: Viewer
) -> Title | None:
    """The first episode after season ``season`` episode ``episode`` that ``viewer`` may see."""
    later = or_(
        titles.c.season > season,
        and_(titles.c.season == season, titles.c.episode > episode),
    )
    row = (
        await session.execute(
            _select()
            .where(titles.c.series_id == series_id, later, visible(viewer))
            .order_by(titles.c.season, titles.c.episode, titles.c.id)
            .limit(1)
        )
    ).first()
    return _title(row) if row is not None else None


async def genre_counts(session: AsyncSession, *, viewer: Viewer) -> list[tuple[str, int]]:
    """Return every genre with how many titles ``viewer`` may see in it, by name."""
    rows = await session.execute(
        select(genres.c.genre, func.count())
        .join(titles, titles.c.id == genres.c.title_id)
        .where(visible(viewer))
        .group_by(genres.c.genre)
        .order_by(genres.c.genre)
    )
    return [(row[0], int(row[1])) for row in rows]
