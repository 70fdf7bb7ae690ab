"""Use cases of the sample service."""

from __future__ import annotations

import asyncio

from reelstack.chassis.identity import Identity
from reelstack.config import Property
from reelstack.hello.schemas import Greeting


def greet(*, greeting: Property[str], identity: Identity, name: str) -> Greeting:
    """Greet ``name`` with the current greeting property."""
    text = f"{greeting.get()} {name}" if name else greeting.get()
    return Greeting(greeting=text, instance=identity.instance, zone=identity.zone)


async def slow(*, ms: int) -> None:
    """Wait ``ms`` milliseconds: a request that is in flight long enough to observe."""
    await asyncio.sleep(ms / 1000)
