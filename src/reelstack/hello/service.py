"""Use cases of the sample service."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.chassis.instance import InstanceIdentity
from reelstack.config import Property
from reelstack.errors import ReelstackError
from reelstack.hello import repository
from reelstack.hello.schemas import Greeting, Visit, Visits
from reelstack.ports import Cache, Database

log = logging.getLogger(__name__)

COUNT_KEY = "hello:visits:count"
# A count cached just before a concurrent insert can lag by up to this long.
COUNT_TTL_S = 10.0


def greet(*, greeting: Property[str], identity: InstanceIdentity, name: str) -> Greeting:
    """Greet ``name`` with the current greeting property."""
    text = f"{greeting.get()} {name}" if name else greeting.get()
    return Greeting(greeting=text, instance=identity.instance, zone=identity.zone)


async def slow(*, ms: int) -> None:
    """Wait ``ms`` milliseconds: a request that is in flight long enough to observe."""
    await asyncio.sleep(ms / 1000)


async def record_visit(*, db: Database, cache: Cache, name: str) -> Visit:
    """Record a visit and drop the cached count."""

    async def work(session: AsyncSession) -> Visit:
        return await repository.add(session, name=name, at=datetime.now(UTC))

    visit = await db.transaction(work)
    try:
        await cache.delete(COUNT_KEY)
    except ReelstackError as exc:
        # The count expires within COUNT_TTL_S anyway; the visit is stored.
        log.warning("cannot drop the cached visit count: %s", exc)
    return visit


async def list_visits(*, db: Database, cache: Cache, limit: int) -> Visits:
    """Return the newest visits and the total count (the count cached)."""
    async with db.session() as session:
        newest = await repository.newest(session, limit=limit)
        total = await _cached_count(cache)
        if total is None:
            total = await repository.count(session)
            try:
                await cache.set(COUNT_KEY, str(total).encode(), ttl_s=COUNT_TTL_S)
            except ReelstackError as exc:
                log.warning("cannot cache the visit count: %s", exc)
    return Visits(count=total, visits=newest)


async def _cached_count(cache: Cache) -> int | None:
    try:
        raw = await cache.get(COUNT_KEY)
    except ReelstackError as exc:
        # A cache outage must not fail the request: read through to the store.
        log.warning("cannot read the cached visit count: %s", exc)
        return None
    return int(raw) if raw is not None else None
