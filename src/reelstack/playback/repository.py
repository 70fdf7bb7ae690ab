"""Storage of plays: the ``playback_plays`` table, behind the sql port.

A play's row is its stream lease: it holds a slot of the account's plan
while ``ended_at`` is empty and ``expires_at`` is in the future. Taking a
slot counts the account's live rows and inserts one in the same
SERIALIZABLE transaction (:meth:`Database.transaction`), so two instances
cannot both take the last slot: SQLite runs write transactions one at a
time, PostgreSQL and CockroachDB abort one of two that read the same rows
and insert beside them (40001) and the port runs it again, when it sees the
other's row. See ADR 13.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Index,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.db import metadata
from reelstack.playback.models import Play

plays = Table(
    "playback_plays",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(128), nullable=False),
    Column("profile_id", String(128), nullable=False),
    Column("title_id", String(128), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("device_name", String(100), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
    Column("manifest", Text, nullable=False),
    # The DASH MPD of the same play (None: media published none for the title).
    Column("dash", Text, nullable=True),
    # Where the viewer was (the gateway's region) and when the play was put
    # on the log (``playback.plays``): the table is its own outbox.
    Column("region", String(16), nullable=True),
    Column("announced_at", Float, nullable=True),
    Index("ix_playback_plays_account_expires", "account_id", "expires_at"),
    Index("ix_playback_plays_announced", "announced_at", "started_at"),
)

_PLAY_COLUMNS: list[Column[Any]] = [
    plays.c.id,
    plays.c.account_id,
    plays.c.profile_id,
    plays.c.title_id,
    plays.c.device_id,
    plays.c.device_name,
    plays.c.started_at,
    plays.c.expires_at,
    plays.c.ended_at,
    plays.c.region,
]


def _play(row: Row[Any]) -> Play:
    return Play(
        id=row.id,
        account=row.account_id,
        profile=row.profile_id,
        title_id=row.title_id,
        device_id=row.device_id,
        device_name=row.device_name,
        started_at=row.started_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
        region=row.region,
    )


async def live_plays(session: AsyncSession, *, account: str, now: float) -> list[Play]:
    """Return the account's plays that hold a stream slot at ``now``, oldest first."""
    rows = await session.execute(
        select(*_PLAY_COLUMNS)
        .where(
            plays.c.account_id == account,
            plays.c.expires_at > now,
            plays.c.ended_at.is_(None),
        )
        .order_by(plays.c.started_at)
    )
    return [_play(row) for row in rows]


async def add_within(
    session: AsyncSession,
    *,
    play: Play,
    manifest: str,
    limit: int,
    now: float,
    dash: str | None = None,
) -> bool:
    """Insert a play only while the account holds fewer than ``limit`` live plays.

    The count and the insert are one statement (``INSERT ... SELECT ... WHERE
    (count) < limit``), so the lease's hot path is one round trip; it reads
    the account's rows inside the caller's SERIALIZABLE transaction as
    :func:`live_plays` would. Return whether the play was inserted.
    """
    live = (
        select(func.count())
        .select_from(plays)
        .where(
            plays.c.account_id == play.account,
            plays.c.expires_at > now,
            plays.c.ended_at.is_(None),
        )
        .scalar_subquery()
    )
    values = {
        "id": literal(play.id, String),
        "account_id": literal(play.account, String),
        "profile_id": literal(play.profile, String),
        "title_id": literal(play.title_id, String),
        "device_id": literal(play.device_id, String),
        "device_name": literal(play.device_name, String),
        "started_at": literal(play.started_at, Float),
        "expires_at": literal(play.expires_at, Float),
        "manifest": literal(manifest, Text),
        "dash": literal(dash, Text),
        "region": literal(play.region, String),
    }
    result = await session.execute(
        insert(plays).from_select(
            list(values), select(*[v.label(k) for k, v in values.items()]).where(live < limit)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def end_device(session: AsyncSession, *, account: str, device_id: str, at: float) -> None:
    """End the account's live plays on ``device_id`` at ``at`` (a device plays one thing)."""
    await session.execute(
        update(plays)
        .where(
            plays.c.account_id == account,
            plays.c.device_id == device_id,
            plays.c.expires_at > at,
            plays.c.ended_at.is_(None),
        )
        .values(ended_at=at)
    )


async def get(session: AsyncSession, play_id: str) -> Play | None:
    """Return a play by id (None if there is none)."""
    row = (await session.execute(select(*_PLAY_COLUMNS).where(plays.c.id == play_id))).first()
    return None if row is None else _play(row)


async def manifest(session: AsyncSession, play_id: str) -> str | None:
    """Return a play's manifest (None if there is no such play)."""
    result = await session.execute(select(plays.c.manifest).where(plays.c.id == play_id))
    found: str | None = result.scalar_one_or_none()
    return found


async def dash_manifest(session: AsyncSession, play_id: str) -> str | None:
    """Return a play's DASH manifest (None if there is no such play or it has none)."""
    result = await session.execute(select(plays.c.dash).where(plays.c.id == play_id))
    found: str | None = result.scalar_one_or_none()
    return found


async def extend(session: AsyncSession, *, play_id: str, expires_at: float) -> None:
    """Move a play's lease expiry."""
    await session.execute(update(plays).where(plays.c.id == play_id).values(expires_at=expires_at))


async def end(session: AsyncSession, *, play_ids: list[str], at: float) -> None:
    """End plays at ``at``: their slots are free at once."""
    if play_ids:
        await session.execute(
            update(plays)
            .where(plays.c.id.in_(play_ids), plays.c.ended_at.is_(None))
            .values(ended_at=at)
        )


async def has_live_play(
    session: AsyncSession, *, account: str, profile: str, title_id: str, now: float
) -> bool:
    """Whether the profile has a play of ``title_id`` holding a slot at ``now``."""
    result = await session.execute(
        select(plays.c.id)
        .where(
            plays.c.account_id == account,
            plays.c.profile_id == profile,
            plays.c.title_id == title_id,
            plays.c.expires_at > now,
            plays.c.ended_at.is_(None),
        )
        .limit(1)
    )
    return result.first() is not None


async def drop_older(session: AsyncSession, *, before: float) -> int:
    """Delete announced plays whose lease ran out before ``before``; return how many."""
    result = await session.execute(
        delete(plays).where(plays.c.expires_at < before, plays.c.announced_at.is_not(None))
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def unannounced(session: AsyncSession, *, limit: int) -> list[Play]:
    """Return up to ``limit`` plays not yet on the log, oldest first."""
    rows = await session.execute(
        select(*_PLAY_COLUMNS)
        .where(plays.c.announced_at.is_(None))
        .order_by(plays.c.started_at)
        .limit(limit)
    )
    return [_play(row) for row in rows]


async def mark_announced(session: AsyncSession, *, play_ids: list[str], at: float) -> None:
    """Record that these plays are on the log."""
    if play_ids:
        await session.execute(update(plays).where(plays.c.id.in_(play_ids)).values(announced_at=at))
