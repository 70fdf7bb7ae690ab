"""Reading the catalog behind the sql port: titles as a viewer may see them.

Every viewer-facing query goes through :func:`visible`, so maturity, region
and publication are checked in one place, in SQL (before any limit, so a
kids profile's page is as full as anyone's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    Row,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.catalog.models import (
    CastMember,
    CastRole,
    Maturity,
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
    return _visible(viewer.maturity, literal(viewer.region, String), titles)


def _visible(
    maturity: Maturity, region: ColumnElement[str], table: FromClause
) -> ColumnElement[bool]:
    """:func:`visible` for ``table`` (titles or an alias of it), the region an expression."""
    condition: ColumnElement[bool] = and_(table.c.published.is_(True), table.c.withheld.is_(False))
    allowed = allowed_ratings(maturity)
    if allowed is not None:
        # The level's ratings are fixed: inline constants keep one compiled
        # statement per level instead of an expanding IN per execution.
        condition = and_(
            condition,
            table.c.maturity_rating.in_([literal_column(_quoted(r)) for r in sorted(allowed)]),
        )
    anywhere = not_(exists().where(regions.c.title_id == table.c.id))
    here = exists().where(regions.c.title_id == table.c.id, regions.c.region == region)
    return and_(condition, or_(anywhere, here))


def _quoted(rating: str) -> str:
    if "'" in rating:
        raise AssertionError(f"a rating with a quote: {rating!r}")  # the table is ours
    return f"'{rating}'"


_COLUMNS = (
    titles.c.id,
    titles.c.kind,
    titles.c.name,
    titles.c.synopsis,
    titles.c.maturity_rating,
    titles.c.published,
    titles.c.withheld,
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


def _details_statement() -> Any:
    """Genres, regions and cast of the titles ``:ids`` in one round trip (a UNION ALL).

    Rows are ``(title_id, part, position, text, role, character, person_id)``,
    ``part`` 1 genre, 2 region, 3 cast; built once, executed with ``ids``.
    """
    ids: BindParameter[str] = bindparam("ids", expanding=True)
    no_text = cast(null(), String)
    genre_rows = select(
        genres.c.title_id,
        literal_column("1").label("part"),
        literal_column("0").label("position"),
        genres.c.genre.label("text"),
        no_text.label("role"),
        no_text.label("character"),
        no_text.label("person_id"),
    ).where(genres.c.title_id.in_(ids))
    region_rows = select(
        regions.c.title_id,
        literal_column("2"),
        literal_column("0"),
        regions.c.region,
        no_text,
        no_text,
        no_text,
    ).where(regions.c.title_id.in_(ids))
    cast_rows = (
        select(
            credits.c.title_id,
            literal_column("3"),
            credits.c.position,
            people.c.name,
            credits.c.role,
            credits.c.character,
            people.c.id,
        )
        .join(people, people.c.id == credits.c.person_id)
        .where(credits.c.title_id.in_(ids))
    )
    both = union_all(genre_rows, region_rows, cast_rows).subquery()
    return select(both).order_by(both.c.title_id, both.c.part, both.c.position, both.c.text)


_DETAILS = _details_statement()


async def _hydrate(session: AsyncSession, found: list[Title]) -> list[Title]:
    """Fill in genres, regions and cast of ``found`` (one query for any number)."""
    if not found:
        return found
    by_id = {t.id: t for t in found}
    cast_of: dict[str, list[CastMember]] = defaultdict(list)
    for row in await session.execute(_DETAILS, {"ids": list(by_id)}):
        title = by_id[row.title_id]
        if row.part == 1:
            title.genres.append(row.text)
        elif row.part == 2:
            title.regions.append(row.text)
        else:
            cast_of[row.title_id].append(
                CastMember(row.person_id, row.text, CastRole(row.role), row.character)
            )
    for title_id, members in cast_of.items():
        by_id[title_id].cast = members
    return found


def _title_statement(maturity: Maturity) -> Any:
    """One title a viewer of ``maturity`` may see, with its next such episode's id.

    Parameters ``:title_id`` and ``:region``. The next episode is a correlated
    subquery, so a play start's title read is two round trips (this, then
    :data:`_DETAILS`), and the statement is built and compiled once per level.
    """
    region = bindparam("region", type_=String)
    after = titles.alias("following")
    later = or_(
        after.c.season > titles.c.season,
        and_(after.c.season == titles.c.season, after.c.episode > titles.c.episode),
    )
    following = (
        select(after.c.id)
        .where(after.c.series_id == titles.c.series_id, later, _visible(maturity, region, after))
        .order_by(after.c.season, after.c.episode, after.c.id)
        .limit(1)
        .correlate(titles)
        .scalar_subquery()
    )
    return (
        _select()
        .add_columns(following.label("next_episode_id"))
        .where(
            titles.c.id == bindparam("title_id", type_=String), _visible(maturity, region, titles)
        )
    )


_TITLE_FOR = {level: _title_statement(level) for level in Maturity}


async def get_with_next(
    session: AsyncSession, title_id: str, *, viewer: Viewer
) -> tuple[Title, str | None] | None:
    """Return a title ``viewer`` may see and the id of the next episode it may see, or None."""
    row = (
        await session.execute(
            _TITLE_FOR[viewer.maturity], {"title_id": title_id, "region": viewer.region}
        )
    ).first()
    if row is None:
        return None
    data = row._asdict()
    following: str | None = data.pop("next_episode_id")
    data["kind"] = TitleKind(data["kind"])
    return (await _hydrate(session, [Title(**data)]))[0], following


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


async def whole(session: AsyncSession, ids: Sequence[str]) -> list[Title]:
    """Return the titles of ``ids`` whatever their state, rating and regions (for a cache)."""
    if not ids:
        return []
    rows = await session.execute(_select().where(titles.c.id.in_(list(ids))))
    return await _hydrate(session, [_title(row) for row in rows])


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
