"""Storage of the sample service: the ``hello_visits`` table, behind the sql port.

The table itself is created by the service's Alembic branch (``hello/migrations``);
this is SQLAlchemy Core's view of it, declared on the shared metadata.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.db import metadata
from reelstack.hello.schemas import Visit

visits = Table(
    "hello_visits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("visited_at", DateTime(timezone=True), nullable=False),
)


async def add(session: AsyncSession, *, name: str, at: datetime) -> Visit:
    """Insert one visit and return it with its id."""
    result = await session.execute(
        insert(visits).values(name=name, visited_at=at).returning(visits.c.id)
    )
    return Visit(id=result.scalar_one(), name=name, visited_at=at)


async def newest(session: AsyncSession, *, limit: int) -> list[Visit]:
    """Return the newest ``limit`` visits, newest first."""
    rows = await session.execute(
        select(visits.c.id, visits.c.name, visits.c.visited_at)
        .order_by(visits.c.id.desc())
        .limit(limit)
    )
    return [Visit(id=row.id, name=row.name, visited_at=row.visited_at) for row in rows]


async def count(session: AsyncSession) -> int:
    """Return how many visits there are."""
    result = await session.execute(select(func.count()).select_from(visits))
    return int(result.scalar_one())
