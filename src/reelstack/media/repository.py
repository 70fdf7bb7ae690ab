"""Storage of the media service: the ``media_titles`` table, behind the sql port.

The table is created by the Alembic migration ``0002_media_titles``; this is
SQLAlchemy Core's view of it. Every write runs inside ``Database.transaction``
(safe to run again), so a state change is a compare-and-set on ``state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    Row,
    String,
    Table,
    Text,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.db import metadata
from reelstack.errors import NotFoundError
from reelstack.media.models import Title, TitleKind, TitleMeta, TitleState

titles = Table(
    "media_titles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("synopsis", Text, nullable=False),
    Column("genres", JSON, nullable=False),
    Column("maturity_rating", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("series", String(300)),
    Column("season", Integer),
    Column("episode", Integer),
    Column("duration_s", Float),
    Column("probe", JSON),
    Column("rungs", JSON, nullable=False),
    Column("master_url", String(1024)),
    Column("dash_url", String(1024)),
    Column("poster_key", String(1024)),
    Column("backdrop_key", String(1024)),
    Column("trickplay_key", String(1024)),
    Column("subtitles", JSON, nullable=False),
    Column("fingerprint_key", String(1024)),
    Column("intro_start_s", Float),
    Column("intro_end_s", Float),
    Column("credits_start_s", Float),
    Column("state", String(16), nullable=False),
    Column("reason", Text),
    Column("upload_id", String(64), unique=True),
    Column("source_key", String(1024)),
    Column("job_id", String(128)),
    Column("claimed_by", String(200)),
    Column("claimed_until", Float),
    Column("extras_at", DateTime(timezone=True)),  # migration 0004
    Column("announced_at", DateTime(timezone=True)),  # migration 0005
    Column("account_id", String(128)),  # migration 0006
    Column("source_bytes", BigInteger),  # migration 0006
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "state"),
    Index("ix_media_titles_series", "series", "season", "episode"),
    Index("ix_media_titles_account", "account_id", "state"),
)

# Titles deleted whose removal is not on the log yet (migration 0005).
removed_titles = Table(
    "media_removed_titles",
    metadata,
    Column("title_id", String(32), primary_key=True),
    Column("version", BigInteger, nullable=False),
)

_FIELDS = tuple(name for name in Title.__dataclass_fields__)


def _aware(value: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they are stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _title(row: Row[Any]) -> Title:
    data = {name: getattr(row, name) for name in _FIELDS}
    data["kind"] = TitleKind(data["kind"])
    data["state"] = TitleState(data["state"])
    data["created_at"] = _aware(data["created_at"])
    data["updated_at"] = _aware(data["updated_at"])
    data["genres"] = list(data["genres"] or [])
    data["rungs"] = list(data["rungs"] or [])
    data["subtitles"] = list(data["subtitles"] or [])
    return Title(**data)


def _columns() -> list[Column[Any]]:
    return [titles.c[name] for name in _FIELDS]


async def create(
    session: AsyncSession,
    *,
    title_id: str,
    meta: TitleMeta,
    state: TitleState,
    upload_id: str | None = None,
    account_id: str | None = None,
    source_bytes: int | None = None,
) -> Title:
    """Insert a new title in ``state``."""
    now = datetime.now(UTC)
    await session.execute(
        insert(titles).values(
            id=title_id,
            name=meta.name,
            synopsis=meta.synopsis,
            genres=list(meta.genres),
            maturity_rating=meta.maturity_rating,
            kind=meta.kind.value,
            series=meta.series,
            season=meta.season,
            episode=meta.episode,
            rungs=[],
            subtitles=[],
            state=state.value,
            upload_id=upload_id,
            account_id=account_id,
            source_bytes=source_bytes,
            created_at=now,
            updated_at=now,
        )
    )
    return await get(session, title_id)


@dataclass(frozen=True, slots=True)
class Usage:
    """What one account has spent: its titles, uploads in flight, bytes, recent seconds."""

    titles: int
    uploads_in_flight: int
    source_bytes: int
    duration_s_since: float


async def usage(session: AsyncSession, *, account_id: str | None, since: datetime) -> Usage:
    """What ``account_id`` (None: titles of no account) spends; seconds counted since ``since``."""
    owned = (
        titles.c.account_id.is_(None) if account_id is None else titles.c.account_id == account_id
    )
    uploading = case((titles.c.state == TitleState.UPLOADING.value, 1), else_=0)
    recent = case((titles.c.created_at >= since, titles.c.duration_s), else_=0.0)
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(uploading), 0),
                func.coalesce(func.sum(titles.c.source_bytes), 0),
                func.coalesce(func.sum(recent), 0.0),
            ).where(owned)
        )
    ).one()
    return Usage(int(row[0]), int(row[1]), int(row[2]), float(row[3]))


async def get(session: AsyncSession, title_id: str) -> Title:
    """Return one title; NotFoundError if there is none."""
    row = (await session.execute(select(*_columns()).where(titles.c.id == title_id))).first()
    if row is None:
        raise NotFoundError(f"no title {title_id!r}")
    return _title(row)


async def find(session: AsyncSession, *, upload_id: str) -> Title | None:
    """Return the title an upload creates, if any."""
    row = (
        await session.execute(select(*_columns()).where(titles.c.upload_id == upload_id))
    ).first()
    return _title(row) if row is not None else None


async def list_titles(
    session: AsyncSession,
    *,
    state: TitleState | None = None,
    series: str | None = None,
    season: int | None = None,
    name: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Title]:
    """Return titles, series episodes in order, then the rest by name."""
    query = select(*_columns())
    if state is not None:
        query = query.where(titles.c.state == state.value)
    if series is not None:
        query = query.where(titles.c.series == series)
    if season is not None:
        query = query.where(titles.c.season == season)
    if name is not None:
        query = query.where(titles.c.name == name)
    query = query.order_by(
        titles.c.series, titles.c.season, titles.c.episode, titles.c.name, titles.c.id
    ).limit(limit)
    if offset:
        query = query.offset(offset)
    return [_title(row) for row in await session.execute(query)]


async def set_fields(
    session: AsyncSession,
    title_id: str,
    *,
    expect: tuple[TitleState, ...] = (),
    **values: Any,
) -> bool:
    """Update fields of a title, only if it is in one of ``expect`` (when given).

    Returns whether a row changed: False means the title moved on meanwhile.
    """
    for key in values:
        if key not in titles.c:
            raise ValueError(f"no column {key!r}")
    if isinstance(values.get("state"), TitleState):
        values["state"] = values["state"].value
    condition = titles.c.id == title_id
    if expect:
        condition = and_(condition, titles.c.state.in_([s.value for s in expect]))
    result = await session.execute(
        update(titles).where(condition).values(**values, updated_at=datetime.now(UTC))
    )
    return bool(getattr(result, "rowcount", 0))


def _unclaimed(now: float) -> Any:
    return or_(titles.c.claimed_until.is_(None), titles.c.claimed_until < now)


def _wanted(states: tuple[TitleState, ...], now: float, extras_owed: bool) -> Any:
    condition = and_(titles.c.state.in_([s.value for s in states]), _unclaimed(now))
    return and_(condition, titles.c.extras_at.is_(None)) if extras_owed else condition


async def claimable(
    session: AsyncSession,
    *,
    states: tuple[TitleState, ...],
    now: float,
    limit: int = 100,
    extras_owed: bool = False,
) -> list[str]:
    """Ids of titles in ``states`` that nobody holds a live claim on (a read).

    ``extras_owed``: only those whose extras were never finished.
    """
    rows = await session.execute(
        select(titles.c.id)
        .where(_wanted(states, now, extras_owed))
        .order_by(titles.c.updated_at)
        .limit(limit)
    )
    return [row.id for row in rows]


async def claim(
    session: AsyncSession,
    *,
    states: tuple[TitleState, ...],
    owner: str,
    now: float,
    lease_s: float,
    limit: int = 1,
    extras_owed: bool = False,
) -> list[str]:
    """Claim up to ``limit`` titles in ``states`` whose lease is free or expired.

    The claim is a compare-and-set on the lease, so two instances sweeping at
    once never both take the same title. ``extras_owed`` as for :func:`claimable`.
    """
    rows = await session.execute(
        select(titles.c.id, titles.c.claimed_until)
        .where(_wanted(states, now, extras_owed))
        .order_by(titles.c.updated_at)
        .limit(limit)
    )
    claimed: list[str] = []
    for row in rows.all():
        previous = titles.c.claimed_until.is_(None)
        if row.claimed_until is not None:
            previous = titles.c.claimed_until == row.claimed_until
        result = await session.execute(
            update(titles)
            .where(titles.c.id == row.id, previous)
            .values(claimed_by=owner, claimed_until=now + lease_s)
        )
        if getattr(result, "rowcount", 0):
            claimed.append(row.id)
    return claimed


async def release(session: AsyncSession, title_id: str, *, owner: str) -> None:
    """Give up the claim on a title, if this owner still holds it."""
    await session.execute(
        update(titles)
        .where(titles.c.id == title_id, titles.c.claimed_by == owner)
        .values(claimed_by=None, claimed_until=None)
    )


async def delete(session: AsyncSession, title_id: str) -> None:
    """Delete a title's row; one that was announced leaves its removal to announce."""
    row = (
        await session.execute(select(titles.c.announced_at).where(titles.c.id == title_id))
    ).first()
    await session.execute(titles.delete().where(titles.c.id == title_id))
    if row is not None and row.announced_at is not None:
        await session.execute(removed_titles.delete().where(removed_titles.c.title_id == title_id))
        await session.execute(
            insert(removed_titles).values(title_id=title_id, version=micros(datetime.now(UTC)))
        )


def micros(moment: datetime) -> int:
    """A title's version in announcements: a time in whole microseconds since the epoch."""
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond
