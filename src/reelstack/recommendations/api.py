"""Routes of the recommendations service, under ``/recommendations``.

The profile in the path must be the token's (the gateway's ``x-profile-id``):
any other is 404, as if it did not exist; no account is 401.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from reelstack.chassis.caller import CallerDep
from reelstack.recommendations import service
from reelstack.recommendations.context import RecommendationsDep
from reelstack.recommendations.schemas import HomeOut

ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
ProfileId = Annotated[str, Path(pattern=ID_PATTERN)]


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

    return router
