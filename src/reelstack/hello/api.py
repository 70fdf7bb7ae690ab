"""Routes of the sample service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from reelstack.chassis.instance import InstanceIdentity
from reelstack.chassis.route_deps import CacheDep, SqlDep
from reelstack.config import Property
from reelstack.hello import service
from reelstack.hello.schemas import Greeting, Visit, VisitIn, Visits


def make_router(*, greeting: Property[str], identity: InstanceIdentity) -> APIRouter:
    """Return the hello routes bound to this app's greeting property and identity.

    The greeting handle and identity are bound here rather than injected with
    ``Depends``: ``GET /hello`` is the chassis benchmark's endpoint, and each
    FastAPI dependency costs about as much as the rest of the request.
    """
    router = APIRouter(prefix="/hello", tags=["hello"])

    @router.get("")
    async def hello(name: str = "") -> Greeting:
        """Greet ``name`` with the ``hello.greeting`` runtime property."""
        return service.greet(greeting=greeting, identity=identity, name=name)

    @router.get("/slow")
    async def slow(ms: Annotated[int, Query(ge=0, le=60_000)] = 1000) -> dict[str, int]:
        """Answer after ``ms`` milliseconds (used to observe draining on shutdown)."""
        await service.slow(ms=ms)
        return {"slept_ms": ms}

    @router.post("/visits", status_code=201)
    async def record_visit(visit: VisitIn, db: SqlDep, cache: CacheDep) -> Visit:
        """Record a visit in the relational store."""
        return await service.record_visit(db=db, cache=cache, name=visit.name)

    @router.get("/visits")
    async def list_visits(
        db: SqlDep, cache: CacheDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> Visits:
        """List the newest visits with the total count."""
        return await service.list_visits(db=db, cache=cache, limit=limit)

    return router
