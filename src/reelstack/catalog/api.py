"""Viewer routes of the catalog, under ``/catalog``: browse, search, My List, thumbs.

Who reads comes from the gateway's headers (it removes a client's own
copies and sets them from a verified token): ``x-maturity`` and ``x-region``
filter every read (absent: adults, and ``catalog.default_region``); the
profile routes need ``x-profile-id`` equal to the route's profile, else 404
as if it did not exist.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response

from reelstack.catalog import service
from reelstack.catalog.context import CatalogDep
from reelstack.catalog.models import Maturity, TitleKind, Viewer, check_region
from reelstack.catalog.schemas import (
    ID_PATTERN,
    GenreOut,
    GenresOut,
    SearchOut,
    SeasonOut,
    SeriesOut,
    ThumbIn,
    ThumbOut,
    TitleOut,
    TitlePage,
)
from reelstack.catalog.search import MAX_QUERY
from reelstack.chassis.caller import NO_ACCOUNT, CallerDep
from reelstack.chassis.responses import json_response
from reelstack.errors import InvalidRequestError

_ID = re.compile(ID_PATTERN)
TitleId = Annotated[str, Path(pattern=ID_PATTERN)]
ProfileId = Annotated[str, Path(pattern=ID_PATTERN)]


async def get_viewer(ctx: CatalogDep, caller: CallerDep) -> Viewer:
    """Return who reads, from the gateway's identity headers."""
    try:
        maturity = Maturity(caller.maturity) if caller.maturity else Maturity.ADULTS
    except ValueError:
        levels = ", ".join(m.value for m in Maturity)
        raise InvalidRequestError(f"x-maturity must be one of {levels}") from None
    region = check_region(caller.region) if caller.region else ctx.default_region
    account = caller.account if caller.account and _ID.match(caller.account) else None
    profile = caller.profile if caller.profile and _ID.match(caller.profile) else None
    return Viewer(maturity=maturity, region=region, account=account, profile=profile)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]

MAX_IDS = 100


def _id_list(raw: str) -> list[str]:
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    if not wanted or len(wanted) > MAX_IDS:
        raise InvalidRequestError(f"ids takes 1 to {MAX_IDS} comma-separated title ids")
    for title_id in wanted:
        if not _ID.match(title_id):
            raise InvalidRequestError(f"ids: {title_id[:64]!r} is not a title id")
    return wanted


async def get_profile_viewer(profile_id: ProfileId, viewer: ViewerDep) -> Viewer:
    """The viewer, if the route's profile is the token's (404 otherwise)."""
    if viewer.account is None:
        raise HTTPException(401, NO_ACCOUNT)
    if viewer.profile is None or viewer.profile != profile_id:
        raise HTTPException(404, "no such profile")
    return viewer


ProfileViewerDep = Annotated[Viewer, Depends(get_profile_viewer)]

_THUMB: dict[int, Literal["up", "down"] | None] = {1: "up", -1: "down", 0: None}


def make_router() -> APIRouter:
    """Return the viewer routes."""
    router = APIRouter(prefix="/catalog", tags=["catalog"])

    @router.get("/titles")
    async def browse(
        ctx: CatalogDep,
        viewer: ViewerDep,
        genre: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
        kind: Annotated[TitleKind | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
        ids: Annotated[str | None, Query(max_length=MAX_IDS * 65)] = None,
    ) -> TitlePage:
        """List the titles the profile may see, by name; filter by genre and kind.

        ``ids`` (comma-separated, up to 100) asks for those titles instead, in
        that order: the ones the profile may not see are left out.
        """
        if ids is not None:
            wanted = _id_list(ids)
            found = await service.titles_by_ids(ctx=ctx, viewer=viewer, ids=wanted)
            items = [TitleOut.of(t, ctx, next_episode_id=None) for t in found]
            return TitlePage(total=len(items), offset=0, items=items)
        found, total = await service.browse(
            ctx=ctx, viewer=viewer, genre=genre, kind=kind, limit=limit, offset=offset
        )
        items = [TitleOut.of(t, ctx, next_episode_id=None) for t in found]
        return TitlePage(total=total, offset=offset, items=items)

    @router.get("/titles/{title_id}", response_model=TitleOut)
    async def get_title(title_id: TitleId, ctx: CatalogDep, viewer: ViewerDep) -> Response:
        """One title (404 if it does not exist or the profile may not see it)."""
        title, following = await service.get_title(ctx=ctx, viewer=viewer, title_id=title_id)
        # Every play start asks this: the model is built once and dumped with
        # orjson, not validated a second time as FastAPI's response model.
        out = TitleOut.of(title, ctx, next_episode_id=following)
        return json_response(out.model_dump(mode="json"))

    @router.get("/series/{series_id}")
    async def get_series(
        series_id: Annotated[str, Path(pattern=ID_PATTERN)], ctx: CatalogDep, viewer: ViewerDep
    ) -> SeriesOut:
        """A series with its seasons and the episodes the profile may see."""
        found, seasons = await service.get_series(ctx=ctx, viewer=viewer, series_id=series_id)
        return SeriesOut(
            id=found.id,
            name=found.name,
            synopsis=found.synopsis,
            seasons=[
                SeasonOut(
                    number=number,
                    episodes=[TitleOut.of(t, ctx, next_episode_id=None) for t in episodes],
                )
                for number, episodes in seasons
            ],
        )

    @router.get("/series/{series_id}/next")
    async def next_episode(
        series_id: Annotated[str, Path(pattern=ID_PATTERN)],
        ctx: CatalogDep,
        viewer: ViewerDep,
        season: Annotated[int, Query(ge=0, le=10_000)],
        episode: Annotated[int, Query(ge=0, le=10_000)],
    ) -> TitleOut:
        """The episode after season ``season`` episode ``episode`` (history's Next Up)."""
        found = await service.episode_after(
            ctx=ctx, viewer=viewer, series_id=series_id, season=season, episode=episode
        )
        return TitleOut.of(found, ctx, next_episode_id=None)

    @router.get("/genres")
    async def genres(ctx: CatalogDep, viewer: ViewerDep) -> GenresOut:
        """The genres of the titles the profile may see, with how many each."""
        found = await service.genres(ctx=ctx, viewer=viewer)
        return GenresOut(items=[GenreOut(name=name, count=count) for name, count in found])

    @router.get("/search")
    async def search(
        ctx: CatalogDep,
        viewer: ViewerDep,
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY)],
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> SearchOut:
        """Titles the profile may see matching what is typed so far, typos forgiven."""
        found = await service.find(ctx=ctx, viewer=viewer, query=q, limit=limit)
        return SearchOut(query=q, items=[TitleOut.of(t, ctx, next_episode_id=None) for t in found])

    profile = "/profiles/{profile_id}"

    @router.get(f"{profile}/my-list")
    async def my_list(ctx: CatalogDep, viewer: ProfileViewerDep) -> TitlePage:
        """The profile's list, in the order titles were added."""
        found = await service.my_list(ctx=ctx, viewer=viewer)
        items = [TitleOut.of(t, ctx, next_episode_id=None) for t in found]
        return TitlePage(total=len(items), offset=0, items=items)

    @router.put(f"{profile}/my-list/{{title_id}}")
    async def add(
        title_id: TitleId, ctx: CatalogDep, viewer: ProfileViewerDep, response: Response
    ) -> dict[str, str]:
        """Put a title on the profile's list (201; 200 if it was there: its place is kept)."""
        added = await service.add_to_list(ctx=ctx, viewer=viewer, title_id=title_id)
        response.status_code = 201 if added else 200
        return {"title_id": title_id}

    @router.delete(f"{profile}/my-list/{{title_id}}", status_code=204)
    async def remove(title_id: TitleId, ctx: CatalogDep, viewer: ProfileViewerDep) -> Response:
        """Take a title off the profile's list."""
        await service.remove_from_list(ctx=ctx, viewer=viewer, title_id=title_id)
        return Response(status_code=204)

    @router.get(f"{profile}/thumbs/{{title_id}}")
    async def get_thumb(title_id: TitleId, ctx: CatalogDep, viewer: ProfileViewerDep) -> ThumbOut:
        """The profile's thumb on a title (``null`` when none)."""
        value = await service.thumb(ctx=ctx, viewer=viewer, title_id=title_id)
        return ThumbOut(title_id=title_id, value=_THUMB[value])

    @router.put(f"{profile}/thumbs/{{title_id}}")
    async def put_thumb(
        title_id: TitleId, thumb: ThumbIn, ctx: CatalogDep, viewer: ProfileViewerDep
    ) -> ThumbOut:
        """Give a title a thumb up or down."""
        value = 1 if thumb.value == "up" else -1
        await service.set_thumb(ctx=ctx, viewer=viewer, title_id=title_id, value=value)
        return ThumbOut(title_id=title_id, value=thumb.value)

    @router.delete(f"{profile}/thumbs/{{title_id}}", status_code=204)
    async def clear_thumb(title_id: TitleId, ctx: CatalogDep, viewer: ProfileViewerDep) -> Response:
        """Clear the profile's thumb on a title."""
        await service.set_thumb(ctx=ctx, viewer=viewer, title_id=title_id, value=0)
        return Response(status_code=204)

    return router
