"""Studio routes of the catalog, under ``/catalog/studio``: edit what viewers browse.

The gateway lets only a studio or admin token through (the spec's
``role=studio/admin`` route); the service checks the ``x-roles`` header the
gateway sets as well, so a request that reached it another way is refused too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path

from reelstack.catalog import service
from reelstack.catalog.context import CatalogContext, CatalogDep
from reelstack.catalog.models import Title
from reelstack.catalog.schemas import (
    ID_PATTERN,
    ArtworkIn,
    CastIn,
    MetaIn,
    RegionsIn,
    StudioTitleOut,
    TitleOut,
)
from reelstack.catalog.writes import MetaEdit
from reelstack.chassis.caller import CallerDep

STUDIO_ROLES = frozenset({"studio", "admin"})
TitleId = Annotated[str, Path(pattern=ID_PATTERN)]


async def require_studio(caller: CallerDep) -> None:
    """Refuse (403) a caller whose token holds neither the studio nor the admin role."""
    if not caller.roles & STUDIO_ROLES:
        raise HTTPException(403, "a studio or admin token is needed")


def _out(title: Title, ctx: CatalogContext) -> StudioTitleOut:
    view = TitleOut.of(title, ctx, next_episode_id=None)
    return StudioTitleOut(
        **view.model_dump(),
        published=title.published,
        withheld=title.withheld,
        visible=title.published and not title.withheld,
        version=title.version,
        meta_edited=title.meta_edited,
    )


def make_router() -> APIRouter:
    """Return the studio routes."""
    router = APIRouter(
        prefix="/catalog/studio", tags=["catalog studio"], dependencies=[Depends(require_studio)]
    )

    @router.get("/titles/{title_id}")
    async def get_title(title_id: TitleId, ctx: CatalogDep) -> StudioTitleOut:
        """Any title, published or not, whatever its rating and regions."""
        return _out(await service.studio_title(ctx=ctx, title_id=title_id), ctx)

    @router.patch("/titles/{title_id}")
    async def edit(title_id: TitleId, meta: MetaIn, ctx: CatalogDep) -> StudioTitleOut:
        """Change name, synopsis, rating or genres (media's later metadata no longer applies)."""
        edit = MetaEdit(
            name=meta.name,
            synopsis=meta.synopsis,
            maturity_rating=meta.maturity_rating,
            genres=tuple(meta.genres) if meta.genres is not None else None,
        )
        return _out(await service.edit_meta(ctx=ctx, title_id=title_id, edit=edit), ctx)

    @router.put("/titles/{title_id}/regions")
    async def regions(title_id: TitleId, body: RegionsIn, ctx: CatalogDep) -> StudioTitleOut:
        """Make a title available in these regions only (empty: everywhere)."""
        title = await service.set_regions(ctx=ctx, title_id=title_id, codes=body.regions)
        return _out(title, ctx)

    @router.put("/titles/{title_id}/cast")
    async def cast(title_id: TitleId, body: CastIn, ctx: CatalogDep) -> StudioTitleOut:
        """Replace a title's cast and crew, in billing order."""
        credits = [(c.name.strip(), c.role, c.character) for c in body.cast]
        return _out(await service.set_cast(ctx=ctx, title_id=title_id, cast=credits), ctx)

    @router.post("/titles/{title_id}/publish")
    async def publish(title_id: TitleId, ctx: CatalogDep) -> StudioTitleOut:
        """Let viewers see a title media has published (409 while it has no files)."""
        return _out(await service.set_withheld(ctx=ctx, title_id=title_id, withheld=False), ctx)

    @router.post("/titles/{title_id}/unpublish")
    async def unpublish(title_id: TitleId, ctx: CatalogDep) -> StudioTitleOut:
        """Hold a title back from every viewer; media's later announcements keep it held."""
        return _out(await service.set_withheld(ctx=ctx, title_id=title_id, withheld=True), ctx)

    @router.put("/titles/{title_id}/artwork")
    async def artwork(title_id: TitleId, body: ArtworkIn, ctx: CatalogDep) -> StudioTitleOut:
        """Point the poster or backdrop at a published image."""
        title = await service.set_artwork(
            ctx=ctx, title_id=title_id, poster_key=body.poster_key, backdrop_key=body.backdrop_key
        )
        return _out(title, ctx)

    return router
