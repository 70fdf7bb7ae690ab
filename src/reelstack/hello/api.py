"""Routes of the sample service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from reelstack.chassis.identity import Identity
from reelstack.config import Property
from reelstack.hello import service
from reelstack.hello.schemas import Greeting


def make_router(*, greeting: Property[str], identity: Identity) -> APIRouter:
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

    return router
