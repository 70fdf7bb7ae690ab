"""Routes of the recommendations service, under ``/recommendations``.

The profile in the path must be the token's (the gateway's ``x-profile-id``):
any other is 404, as if it did not exist; no account is 401.

``/recommendations/popular`` is for the edges' fill, a call inside the mesh
that names nobody; through the gateway it needs role admin (the route says
so, and the route checks it again: a viewer's account without the role is
403, so a misrouted gateway does not open it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from reelstack.chassis.caller import CallerDep
from reelstack.recommendations import service
from reelstack.recommendations.context import RecommendationsDep
from reelstack.recommendations.schemas import HomeOut, PopularOut, PopularTitle

ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
REGION_PATTERN = r"^[A-Z]{2}$"
"""A region as the gateway names it (``gateway.region.*``): two capital letters."""
ProfileId = Annotated[str, Path(pattern=ID_PATTERN)]
Region = Annotated[str, Query(pattern=REGION_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=100)]
OPERATOR_ROLE = "admin"


def make_router() -> APIRouter:
    """Return the service's routes."""
    router = APIRouter(prefix="/recommendations", tags=["recommendations"])

    @router.get("/profiles/{profile_id}/rows")
    async def rows(profile_id: ProfileId, ctx: RecommendationsDep, caller: CallerDep) -> HomeOut:
        """The profile's home page rows; parts that failed are named in ``errors``."""
        caller.require_account()
        if caller.profile != profile_id:
            raise HTTPException(404, "no such profile")
        home = await service.home_rows(ctx=ctx, caller=caller)
        return HomeOut.model_validate(
            {
                "profile_id": profile_id,
                "region": home.region,
                "maturity": home.maturity,
                "fallback": home.fallback,
                "rows": [row.to_json() for row in home.rows],
                "errors": home.errors,
            }
        )

    @router.get("/popular")
    async def popular(
        region: Region, ctx: RecommendationsDep, caller: CallerDep, limit: Limit = 20
    ) -> PopularOut:
        """The region's most played titles over the last week (the edges' fill list)."""
        if caller.account is not None and OPERATOR_ROLE not in caller.roles:
            raise HTTPException(403, "popularity is for edges and operators")
        found = await service.popular(ctx=ctx, region=region, limit=limit)
        titles = [PopularTitle(id=title, plays=plays) for title, plays in found]
        return PopularOut(region=region, titles=titles)

    return router
