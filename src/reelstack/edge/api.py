"""The edge's management routes (the chassis port); viewers use the serving listener."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from reelstack.chassis.route_deps import context_dep
from reelstack.edge import service
from reelstack.edge.context import EdgeContext
from reelstack.edge.schemas import TITLE_PATTERN, EdgeStatus, FillIn, FillOut, PurgeOut

EdgeDep = Annotated[EdgeContext, Depends(context_dep(EdgeContext))]


def make_router() -> APIRouter:
    """Return ``GET /edge/status``, ``POST /edge/fill`` and ``DELETE /edge/titles/{title}``."""
    router = APIRouter(prefix="/edge", tags=["edge"])

    @router.get("/status")
    async def status(ctx: EdgeDep) -> EdgeStatus:
        """The edge's health, hit ratios, origin offload, cache fill and traffic."""
        return service.status(ctx=ctx)

    @router.post("/fill")
    async def fill(body: FillIn, ctx: EdgeDep) -> FillOut:
        """Run a fill round now: the titles given, or the region's popular ones."""
        return await service.fill(ctx=ctx, titles=body.titles)

    @router.delete("/titles/{title}")
    async def purge(title: Annotated[str, Path(pattern=TITLE_PATTERN)], ctx: EdgeDep) -> PurgeOut:
        """Drop every file of the title from this edge's cache (an unknown title: 0 files)."""
        return service.purge(ctx=ctx, title=title)

    return router
