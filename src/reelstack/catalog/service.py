"""Use cases of the catalog: browsing, search, My List, thumbs, studio edits, announcements.

A title the viewer may not see (unpublished, above the profile's maturity,
not available in its region) is answered exactly as one that does not
exist, everywhere: a kids profile cannot tell a mature title is there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import groupby

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.catalog import profiles, repository, search, writes
from reelstack.catalog.context import CatalogContext
from reelstack.catalog.models import CastRole, Series, Title, TitleEvent, TitleKind, Viewer
from reelstack.catalog.title_cache import visible_to
from reelstack.errors import ConflictError, InvalidRequestError, NotFoundError

log = logging.getLogger(__name__)

MAX_LIST = 500
"""Titles a profile's My List holds at most."""

NO_TITLE = "no such title"


def _missing(title_id: str) -> NotFoundError:
    # The same words whatever the reason: the answer must not tell them apart.
    return NotFoundError(f"{NO_TITLE}: {title_id!r}")


# -- browsing ------------------------------------------------------------------------


async def get_title(
    *, ctx: CatalogContext, viewer: Viewer, title_id: str
) -> tuple[Title, str | None]:
    """Return a title the viewer may see, with the id of its next episode."""
    async with ctx.db.session() as session:
        found = await repository.get_with_next(session, title_id, viewer=viewer)
    if found is None:
        raise _missing(title_id)
    return found


async def browse(
    *,
    ctx: CatalogContext,
    viewer: Viewer,
    genre: str | None,
    kind: TitleKind | None,
    limit: int,
    offset: int,
) -> tuple[list[Title], int]:
    """Return a page of the titles the viewer may see, by name, and their total."""
    async with ctx.db.session() as session:
        return await repository.browse(
            session, viewer=viewer, genre=genre, kind=kind, limit=limit, offset=offset
        )


async def titles_by_ids(*, ctx: CatalogContext, viewer: Viewer, ids: Sequence[str]) -> list[Title]:
    """Return the titles of ``ids`` the viewer may see, in the order asked (one query).

    For callers resolving many titles at once (a page of rows): the others
    are simply absent, as if they did not exist.
    """
    return await _visible_titles(ctx=ctx, viewer=viewer, ids=list(dict.fromkeys(ids)))


async def _visible_titles(*, ctx: CatalogContext, viewer: Viewer, ids: list[str]) -> list[Title]:
    """The titles of ``ids`` the viewer may see, in order: from the cache, the rest from SQL."""
    cache = ctx.titles
    found, missing = cache.get_many(ids)
    if missing:
        generation = cache.generation
        async with ctx.db.session() as session:
            read = await repository.whole(session, missing)
        cache.put(read, generation=generation)
        found.update((title.id, title) for title in read)
    return [found[i] for i in ids if i in found and visible_to(found[i], viewer)]


async def get_series(
    *, ctx: CatalogContext, viewer: Viewer, series_id: str
) -> tuple[Series, list[tuple[int | None, list[Title]]]]:
    """Return a series and its seasons' episodes the viewer may see (404 if none)."""
    async with ctx.db.session() as session:
        found = await repository.get_series(session, series_id)
        episodes = await repository.episodes(session, series_id, viewer=viewer)
    if found is None or not episodes:
        raise NotFoundError(f"no such series: {series_id!r}")
    seasons = [(number, list(group)) for number, group in groupby(episodes, lambda t: t.season)]
    return found, seasons


async def episode_after(
    *, ctx: CatalogContext, viewer: Viewer, series_id: str, season: int, episode: int
) -> Title:
    """Return the episode the viewer may see after the given one (404 at the series' end)."""
    async with ctx.db.session() as session:
        found = await repository.episode_after(session, series_id, season, episode, viewer=viewer)
    if found is None:
        raise NotFoundError(f"no episode after S{season}E{episode} of series {series_id!r}")
    return found


async def genres(*, ctx: CatalogContext, viewer: Viewer) -> list[tuple[str, int]]:
    """Return the genres with titles the viewer may see, and how many."""
    async with ctx.db.session() as session:
        return await repository.genre_counts(session, viewer=viewer)


async def find(*, ctx: CatalogContext, viewer: Viewer, query: str, limit: int) -> list[Title]:
    """Return the titles the viewer may see best matching ``query`` (typos forgiven)."""
    async with ctx.db.session() as session:
        ids = await search.find(
            ctx.index, session, query=query, where=repository.visible(viewer), limit=limit
        )
        return await repository.many(session, ids, viewer=viewer)


# -- My List and thumbs ------------------------------------------------------------------


def _profile(viewer: Viewer) -> tuple[str, str]:
    if viewer.account is None or viewer.profile is None:
        raise NotFoundError("no such profile")
    return viewer.account, viewer.profile


async def _seen(session: AsyncSession, viewer: Viewer, title_id: str) -> None:
    if await repository.get(session, title_id, viewer=viewer) is None:
        raise _missing(title_id)


async def my_list(*, ctx: CatalogContext, viewer: Viewer) -> list[Title]:
    """Return the titles on the profile's list that it may see, in the order added."""
    account, profile = _profile(viewer)
    async with ctx.db.session() as session:
        ids = await profiles.list_ids(session, account=account, profile=profile)
    return await _visible_titles(ctx=ctx, viewer=viewer, ids=list(dict.fromkeys(ids)))


async def add_to_list(*, ctx: CatalogContext, viewer: Viewer, title_id: str) -> bool:
    """Put a title the profile may see on its list; return whether it was new there."""
    account, profile = _profile(viewer)

    async def work(session: AsyncSession) -> bool:
        await _seen(session, viewer, title_id)
        if await profiles.list_size(session, account=account, profile=profile) >= MAX_LIST:
            raise ConflictError(f"My List holds at most {MAX_LIST} titles; remove one first")
        return await profiles.add(
            session, account=account, profile=profile, title_id=title_id, now=ctx.clock()
        )

    return await ctx.db.transaction(work)


async def remove_from_list(*, ctx: CatalogContext, viewer: Viewer, title_id: str) -> None:
    """Take a title off the profile's list (404 if it is not on it)."""
    account, profile = _profile(viewer)

    async def work(session: AsyncSession) -> bool:
        return await profiles.remove(session, account=account, profile=profile, title_id=title_id)

    if not await ctx.db.transaction(work):
        raise NotFoundError(f"title {title_id!r} is not on this profile's list")


async def thumb(*, ctx: CatalogContext, viewer: Viewer, title_id: str) -> int:
    """Return the profile's thumb on a title it may see: 1, -1 or 0 (none)."""
    account, profile = _profile(viewer)
    async with ctx.db.session() as session:
        await _seen(session, viewer, title_id)
        return await profiles.get_thumb(
            session, account=account, profile=profile, title_id=title_id
        )


async def set_thumb(*, ctx: CatalogContext, viewer: Viewer, title_id: str, value: int) -> None:
    """Set (1 up, -1 down) or clear (0) the profile's thumb on a title it may see."""
    if value not in (-1, 0, 1):
        raise InvalidRequestError("a thumb is up, down or none")
    account, profile = _profile(viewer)

    async def work(session: AsyncSession) -> None:
        await _seen(session, viewer, title_id)
        await profiles.set_thumb(
            session,
            account=account,
            profile=profile,
            title_id=title_id,
            value=value,
            now=ctx.clock(),
        )

    await ctx.db.transaction(work)


# -- media's announcements -------------------------------------------------------------


async def apply_announcement(*, ctx: CatalogContext, event: TitleEvent) -> bool:
    """Apply an announcement newer than the title's held version; return whether it was."""

    async def work(session: AsyncSession) -> bool:
        return await writes.apply(session, event=event, index=ctx.index, now=ctx.clock())

    try:
        return await ctx.db.transaction(work)
    finally:
        ctx.titles.invalidate()


# -- the studio ------------------------------------------------------------------------


async def studio_title(*, ctx: CatalogContext, title_id: str) -> Title:
    """Return any title, published or not, whatever its rating and regions."""
    async with ctx.db.session() as session:
        title = await repository.get(session, title_id, viewer=None)
    if title is None:
        raise _missing(title_id)
    return title


async def edit_meta(*, ctx: CatalogContext, title_id: str, edit: writes.MetaEdit) -> Title:
    """Change a title's name, synopsis, rating or genres."""

    async def work(session: AsyncSession) -> None:
        await writes.edit_meta(
            session, title_id=title_id, edit=edit, index=ctx.index, now=ctx.clock()
        )

    try:
        await ctx.db.transaction(work)
    finally:
        ctx.titles.invalidate()
    return await studio_title(ctx=ctx, title_id=title_id)


async def set_regions(*, ctx: CatalogContext, title_id: str, codes: Sequence[str]) -> Title:
    """Make a title available in ``codes`` only (empty: everywhere)."""

    async def work(session: AsyncSession) -> None:
        await writes.set_regions(session, title_id=title_id, codes=codes, now=ctx.clock())

    try:
        await ctx.db.transaction(work)
    finally:
        ctx.titles.invalidate()
    return await studio_title(ctx=ctx, title_id=title_id)


async def set_cast(
    *, ctx: CatalogContext, title_id: str, cast: Sequence[tuple[str, CastRole, str | None]]
) -> Title:
    """Replace a title's credits."""

    async def work(session: AsyncSession) -> None:
        await writes.set_cast(session, title_id=title_id, cast=cast, now=ctx.clock())

    try:
        await ctx.db.transaction(work)
    finally:
        ctx.titles.invalidate()
    return await studio_title(ctx=ctx, title_id=title_id)


async def set_withheld(*, ctx: CatalogContext, title_id: str, withheld: bool) -> Title:
    """Unpublish a title (withheld) or publish it again; only a ready title can be published."""

    async def work(session: AsyncSession) -> None:
        await writes.set_withheld(session, title_id=title_id, withheld=withheld, now=ctx.clock())

    if not withheld:
        title = await studio_title(ctx=ctx, title_id=title_id)
        if not title.published:
            raise ConflictError(
                f"title {title_id!r} has no published files yet: wait until media has encoded it"
            )
    try:
        await ctx.db.transaction(work)
    finally:
        ctx.titles.invalidate()
    return await studio_title(ctx=ctx, title_id=title_id)


async def set_artwork(
    *, ctx: CatalogContext, title_id: str, poster_key: str | None, backdrop_key: str | None
) -> Title:
    """Point a title's artwork at published images (keys media serves)."""
    for key in (poster_key, backdrop_key):
        if key is not None and ctx.url_for(key) is None:
            raise InvalidRequestError(f"artwork key {key!r} is not a published file")
        if key is not None and (".." in key.split("/") or "//" in key):
            raise InvalidRequestError(f"artwork key {key!r} is not a plain path")

    async def work(session: AsyncSession) -> None:
        await writes.set_artwork(
            session,
            title_id=title_id,
            poster_key=poster_key,
            backdrop_key=backdrop_key,
            now=ctx.clock(),
        )

    try:
        await ctx.db.transaction(work)
    finally:
        ctx.titles.invalidate()
    return await studio_title(ctx=ctx, title_id=title_id)
