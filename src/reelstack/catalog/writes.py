"""Writing the catalog: media's announcements and the studio's edits.

Every function runs inside ``Database.transaction`` (safe to run again). An
announcement is applied only if its version is newer than the one held for
its title, so a replayed or late one changes nothing; a removal leaves the
row unpublished at its version, so an older publication arriving after it
cannot bring the title back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.catalog.models import (
    CastRole,
    EventType,
    TitleAssets,
    TitleEvent,
    TitleKind,
    TitleMeta,
)
from reelstack.catalog.repository import find_series
from reelstack.catalog.search import SearchIndex, search_text
from reelstack.catalog.tables import credits, genres, people, regions, series, titles
from reelstack.errors import NotFoundError


def new_id() -> str:
    """A fresh catalog-made id (series, people): 16 hex digits."""
    return uuid.uuid4().hex[:16]


async def ensure_series(session: AsyncSession, name: str, *, now: datetime) -> str:
    """Return the id of the series named ``name``, making it if there is none."""
    found = await find_series(session, name)
    if found is not None:
        return found.id
    series_id = new_id()
    await session.execute(
        insert(series).values(id=series_id, name=name, synopsis="", created_at=now, updated_at=now)
    )
    return series_id


async def _replace_genres(session: AsyncSession, title_id: str, names: Sequence[str]) -> None:
    await session.execute(delete(genres).where(genres.c.title_id == title_id))
    for genre in sorted(set(names)):
        await session.execute(insert(genres).values(title_id=title_id, genre=genre))


def _assets(assets: TitleAssets | None) -> dict[str, Any]:
    if assets is None:
        return {}
    return {
        "duration_s": assets.duration_s,
        "poster_key": assets.poster_key,
        "backdrop_key": assets.backdrop_key,
        "intro_start_s": assets.intro_start_s,
        "intro_end_s": assets.intro_end_s,
        "credits_start_s": assets.credits_start_s,
    }


async def apply(
    session: AsyncSession, *, event: TitleEvent, index: SearchIndex, now: datetime
) -> bool:
    """Apply one announcement if it is newer than what is held; return whether it was."""
    held = (
        await session.execute(
            select(titles.c.version, titles.c.meta_edited, titles.c.series_id).where(
                titles.c.id == event.title_id
            )
        )
    ).first()
    if held is not None and held.version >= event.version:
        return False
    if event.type is EventType.REMOVED or event.meta is None:
        await _remove(session, event, index, now, exists=held is not None)
        return True
    meta = event.meta
    values: dict[str, Any] = {"published": True, "version": event.version, "updated_at": now}
    values.update(_assets(event.assets))
    if held is None or not held.meta_edited:
        values.update(await _meta_values(session, meta, now))
    if held is None:
        values.setdefault("meta_edited", False)
        await session.execute(insert(titles).values(id=event.title_id, created_at=now, **values))
    else:
        await session.execute(update(titles).where(titles.c.id == event.title_id).values(**values))
    if held is None or not held.meta_edited:
        await _replace_genres(session, event.title_id, meta.genres)
        body = values["search_text"]
    else:
        # The studio's text stands; indexed again, as a removal dropped it.
        body = (
            await session.execute(select(titles.c.search_text).where(titles.c.id == event.title_id))
        ).scalar_one()
    await index.put(session, title_id=event.title_id, body=body)
    return True


async def _meta_values(session: AsyncSession, meta: TitleMeta, now: datetime) -> dict[str, Any]:
    series_id = await ensure_series(session, meta.series, now=now) if meta.series else None
    return {
        "kind": (TitleKind.EPISODE if meta.series else TitleKind.FILM).value,
        "name": meta.name,
        "synopsis": meta.synopsis,
        "maturity_rating": meta.maturity_rating,
        "series_id": series_id,
        "season": meta.season,
        "episode": meta.episode,
        "search_text": search_text(meta.name, meta.series),
    }


async def _remove(
    session: AsyncSession, event: TitleEvent, index: SearchIndex, now: datetime, *, exists: bool
) -> None:
    if exists:
        await session.execute(
            update(titles)
            .where(titles.c.id == event.title_id)
            .values(published=False, version=event.version, updated_at=now)
        )
    else:
        # A removal of a title never seen: remember its version, so the
        # publication it overtook, arriving later, is older and ignored.
        await session.execute(
            insert(titles).values(
                id=event.title_id,
                kind=TitleKind.FILM.value,
                name=event.title_id,
                synopsis="",
                maturity_rating="NC-17",
                published=False,
                version=event.version,
                meta_edited=False,
                search_text="",
                created_at=now,
                updated_at=now,
            )
        )
    await index.drop(session, title_id=event.title_id)


# -- the studio's edits --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetaEdit:
    """Fields a studio changes on a title; None leaves a field as it is."""

    name: str | None = None
    synopsis: str | None = None
    maturity_rating: str | None = None
    genres: tuple[str, ...] | None = None


async def _held(session: AsyncSession, title_id: str) -> Any:
    row = (
        await session.execute(
            select(titles.c.name, series.c.name.label("series_name"))
            .select_from(titles.outerjoin(series, series.c.id == titles.c.series_id))
            .where(titles.c.id == title_id)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no title {title_id!r}")
    return row


async def edit_meta(
    session: AsyncSession, *, title_id: str, edit: MetaEdit, index: SearchIndex, now: datetime
) -> None:
    """Change a title's metadata; media's later announcements no longer overwrite it."""
    held = await _held(session, title_id)
    values: dict[str, Any] = {"meta_edited": True, "updated_at": now}
    if edit.name is not None:
        values["name"] = edit.name
        values["search_text"] = search_text(edit.name, held.series_name)
    if edit.synopsis is not None:
        values["synopsis"] = edit.synopsis
    if edit.maturity_rating is not None:
        values["maturity_rating"] = edit.maturity_rating
    await session.execute(update(titles).where(titles.c.id == title_id).values(**values))
    if edit.genres is not None:
        await _replace_genres(session, title_id, edit.genres)
    if "search_text" in values:
        await index.put(session, title_id=title_id, body=values["search_text"])


async def set_regions(
    session: AsyncSession, *, title_id: str, codes: Sequence[str], now: datetime
) -> None:
    """Make a title available in ``codes`` only (empty: everywhere)."""
    await _held(session, title_id)
    await session.execute(delete(regions).where(regions.c.title_id == title_id))
    for code in sorted(set(codes)):
        await session.execute(insert(regions).values(title_id=title_id, region=code))
    await session.execute(update(titles).where(titles.c.id == title_id).values(updated_at=now))


async def set_cast(
    session: AsyncSession,
    *,
    title_id: str,
    cast: Sequence[tuple[str, CastRole, str | None]],
    now: datetime,
) -> None:
    """Replace a title's credits with ``cast`` (person's name, role, character), in order.

    A person is found by exact name, else made.
    """
    await _held(session, title_id)
    await session.execute(delete(credits).where(credits.c.title_id == title_id))
    for position, (name, role, character) in enumerate(cast):
        row = (await session.execute(select(people.c.id).where(people.c.name == name))).first()
        person_id = row.id if row is not None else new_id()
        if row is None:
            await session.execute(insert(people).values(id=person_id, name=name))
        await session.execute(
            insert(credits).values(
                title_id=title_id,
                position=position,
                person_id=person_id,
                role=role.value,
                character=character,
            )
        )
    await session.execute(update(titles).where(titles.c.id == title_id).values(updated_at=now))


async def set_withheld(
    session: AsyncSession, *, title_id: str, withheld: bool, now: datetime
) -> None:
    """Hold a title back from viewers (unpublish), or let them see it again."""
    await _held(session, title_id)
    await session.execute(
        update(titles).where(titles.c.id == title_id).values(withheld=withheld, updated_at=now)
    )


async def set_artwork(
    session: AsyncSession,
    *,
    title_id: str,
    poster_key: str | None,
    backdrop_key: str | None,
    now: datetime,
) -> None:
    """Point a title's poster and backdrop at published blobs (None leaves one as it is)."""
    await _held(session, title_id)
    values: dict[str, Any] = {"updated_at": now}
    if poster_key is not None:
        values["poster_key"] = poster_key
    if backdrop_key is not None:
        values["backdrop_key"] = backdrop_key
    await session.execute(update(titles).where(titles.c.id == title_id).values(**values))
