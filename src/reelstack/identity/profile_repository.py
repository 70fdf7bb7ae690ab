"""Storage of profiles: the ``identity_profiles`` table, every query scoped to one account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.db import UtcDateTime, metadata
from reelstack.identity.models import Maturity, Profile

profiles = Table(
    "identity_profiles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(32), nullable=False, index=True),
    Column("name", String(50), nullable=False),
    Column("avatar", String(50), nullable=False),
    Column("language", String(35), nullable=False),
    Column("maturity", String(16), nullable=False),
    Column("kids", Boolean(), nullable=False),
    Column("pin_hash", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)


def _profile(row: Any) -> Profile:
    return Profile(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        avatar=row.avatar,
        language=row.language,
        maturity=Maturity(row.maturity),
        kids=bool(row.kids),
        has_pin=row.pin_hash is not None,
    )


async def add(
    session: AsyncSession, *, profile: Profile, pin_hash: str | None, at: datetime
) -> None:
    """Insert a profile."""
    await session.execute(
        insert(profiles).values(
            id=profile.id,
            account_id=profile.account_id,
            name=profile.name,
            avatar=profile.avatar,
            language=profile.language,
            maturity=profile.maturity.value,
            kids=profile.kids,
            pin_hash=pin_hash,
            created_at=at,
        )
    )


async def of_account(session: AsyncSession, account_id: str) -> list[Profile]:
    """Return an account's profiles, oldest first."""
    rows = await session.execute(
        select(profiles)
        .where(profiles.c.account_id == account_id)
        .order_by(profiles.c.created_at, profiles.c.id)
    )
    return [_profile(row) for row in rows]


async def count(session: AsyncSession, account_id: str, *, kids: bool | None = None) -> int:
    """Return how many profiles an account has (only kids ones, or only others, if asked)."""
    stmt = select(func.count()).where(profiles.c.account_id == account_id)
    if kids is not None:
        stmt = stmt.where(profiles.c.kids == kids)
    return int((await session.execute(stmt)).scalar_one())


async def get(
    session: AsyncSession, *, account_id: str, profile_id: str
) -> tuple[Profile, str | None] | None:
    """Return the account's profile ``profile_id`` and its PIN hash, or None (another's too)."""
    row = (
        await session.execute(
            select(profiles).where(profiles.c.id == profile_id, profiles.c.account_id == account_id)
        )
    ).first()
    return None if row is None else (_profile(row), row.pin_hash)


async def change(
    session: AsyncSession, *, account_id: str, profile_id: str, values: dict[str, Any]
) -> None:
    """Update the account's profile ``profile_id`` with ``values`` (column names)."""
    await session.execute(
        update(profiles)
        .where(profiles.c.id == profile_id, profiles.c.account_id == account_id)
        .values(**values)
    )


async def remove(session: AsyncSession, *, account_id: str, profile_id: str) -> int:
    """Delete the account's profile ``profile_id``; return how many rows went (0 or 1)."""
    result = await session.execute(
        delete(profiles).where(profiles.c.id == profile_id, profiles.c.account_id == account_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
