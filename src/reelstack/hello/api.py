"""Routes of the sample service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from reelstack.chassis.deps import IdentityDep
from reelstack.config import Property
from reelstack.hello import service
from reelstack.hello.schemas import Greeting

router = APIRouter(prefix="/hello", tags=["hello"])


def get_greeting(request: Request) -> Property[str]:
    greeting: Property[str] = request.app.state.hello_greeting
    return greeting


GreetingDep = Annotated[Property[str], Depends(get_greeting)]


@router.get("")
async def hello(greeting: GreetingDep, identity: IdentityDep, name: str = "") -> Greeting:
    """Greet ``name`` with the ``hello.greeting`` runtime property."""
    return service.greet(greeting=greeting, identity=identity, name=name)


@router.get("/slow")
async def slow(ms: Annotated[int, Query(ge=0, le=60_000)] = 1000) -> dict[str, int]:
    """Answer after ``ms`` milliseconds (used to observe draining on shutdown)."""
    await service.slow(ms=ms)
    return {"slept_ms": ms}
