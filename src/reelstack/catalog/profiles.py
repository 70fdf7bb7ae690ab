"""Storage of each profile's My List and thumbs, behind the sql port.

Rows are keyed by account and profile, so a profile id guessed under
another account reaches only the caller's own (empty) rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.catalog.tables import my_list, thumbs


async def list_ids(session: AsyncSession, *, account: str, profile: str) -> list[str]:
    """The title ids on a profile's list, in the order they were added."""
    rows = await session.execute(
        select(my_list.c.title_id)
        .where(my_list.c.account_id == account, my_list.c.profile_id == profile)
        .order_by(my_list.c.added_at, my_list.c.title_id)
    )
    return [row.title_id for row in rows]


async def list_size(session: AsyncSession, *, account: str, profile: str) -> int:
    """How many titles a profile's list holds."""
    result = await session.execute(
        select(func.count())
        .select_from(my_list)
        .where(my_list.c.account_id == account, my_list.c.profile_id == profile)
    )
    return int(result.scalar_one())


async def add(
    session: AsyncSession, *, account: str, profile: str, title_id: str, now: datetime
) -> bool:
    """Put a title on a profile's list; False if it was there already (its place is kept)."""
    key = (
        my_list.c.account_id == account,
        my_list.c.profile_id == profile,
        my_list.c.title_id == title_id,
    )
    if (await session.execute(select(my_list.c.title_id).where(*key))).first() is not None:
        return False
    await session.execute(
        insert(my_list).values(
            account_id=account, profile_id=profile, title_id=title_id, added_at=now
        )
    )
    return True


async def remove(session: AsyncSession, *, account: str, profile: str, title_id: str) -> bool:
    """Take a title off a profile's list; False if it was not on it."""
    result = await session.execute(
        delete(my_list).where(
            my_list.c.account_id == account,
            my_list.c.profile_id == profile,
            my_list.c.title_id == title_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def get_thumb(session: AsyncSession, *, account: str, profile: str, title_id: str) -> int:
    """A profile's thumb on a title: 1 up, -1 down, 0 none."""
    row = (
        await session.execute(
            select(thumbs.c.value).where(
                thumbs.c.account_id == account,
                thumbs.c.profile_id == profile,
                thumbs.c.title_id == title_id,
            )
        )
    ).first()
    return int(row.value) if row is not None else 0


async def set_thumb(
    session: AsyncSession, *, account: str, profile: str, title_id: str, value: int, now: datetime
) -> None:
    """Set (1, -1) or clear (0) a profile's thumb on a title."""
    key = (
        thumbs.c.account_id == account,
        thumbs.c.profile_id == profile,
        thumbs.c.title_id == title_id,
    )
    if value == 0:
        await session.execute(delete(thumbs).where(*key))
        return
    result = await session.execute(update(thumbs).where(*key).values(value=value, updated_at=now))
    if not getattr(result, "rowcount", 0):
        await session.execute(
            insert(thumbs).values(
                account_id=account,
                profile_id=profile,
                title_id=title_id,
                value=value,
                updated_at=now,
            )
        )
