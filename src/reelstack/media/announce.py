"""Announcing titles to the catalog on the log (``media.titles``, schema v1).

The titles table is its own outbox: a title is announced after the write
that changed it, by a background round that compares its ``updated_at`` with
``announced_at`` (the ``updated_at`` last announced). A log that is down
when a title changes loses nothing: the round fails, logs why, and the next
one announces it. A deleted title leaves a row in ``media_removed_titles``
(written in the deleting transaction) until its removal is on the log.

Only ``ready`` titles are published; a published title that leaves
``ready`` is announced removed. The version is ``updated_at`` in
microseconds, so the catalog applies each change once, whatever is
announced twice (two instances, a crash between append and mark).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import ConflictError, ReelstackError
from reelstack.media import repository
from reelstack.media import settings as media_settings
from reelstack.media.context import MediaContext
from reelstack.media.models import Title, TitleState
from reelstack.media.repository import micros, removed_titles, titles
from reelstack.ports import EventLog
from reelstack.ports.log import TopicSpec

log = logging.getLogger(__name__)

TITLES_PARTITIONS = 4
"""Partitions of the titles topic; the catalog creates it with the same count."""
BATCH = 100


def announcement(kind: str, title_id: str, version: int, title: Title | None) -> bytes:
    """One announcement as the shared contract writes it."""
    body: dict[str, Any] = {
        "type": kind,
        "v": 1,
        "title_id": title_id,
        "version": version,
        "at": datetime.now(UTC).isoformat(),
        "meta": None,
        "assets": None,
    }
    if title is not None:
        body["meta"] = {
            "name": title.name,
            "synopsis": title.synopsis,
            "genres": list(title.genres),
            "maturity_rating": title.maturity_rating,
            "series": title.series,
            "season": title.season,
            "episode": title.episode,
        }
        body["assets"] = {
            "duration_s": title.duration_s,
            "poster_key": title.poster_key,
            "backdrop_key": title.backdrop_key,
            "intro_start_s": title.intro_start_s,
            "intro_end_s": title.intro_end_s,
            "credits_start_s": title.credits_start_s,
        }
    return orjson.dumps(body)


async def _pending(session: AsyncSession) -> tuple[list[tuple[Title, Any]], list[Any]]:
    ready = titles.c.state == TitleState.READY.value
    unannounced = or_(titles.c.announced_at.is_(None), titles.c.announced_at != titles.c.updated_at)
    changed = or_(
        and_(ready, unannounced),
        and_(~ready, titles.c.announced_at.is_not(None)),
    )
    rows = await session.execute(
        select(titles.c.id, titles.c.announced_at).where(changed).limit(BATCH)
    )
    found = [(await repository.get(session, row.id), row.announced_at) for row in rows.all()]
    removals = list((await session.execute(select(removed_titles).limit(BATCH))).all())
    return found, removals


async def announce_round(*, ctx: MediaContext, log_port: EventLog, topic: str) -> int:
    """Announce every title changed since its last announcement; return how many were."""
    async with ctx.db.session() as session:
        found, removals = await _pending(session)
    done = 0
    for title, announced_at in found:
        version = micros(title.updated_at)
        if title.state is TitleState.READY:
            kind = "title.changed" if announced_at is not None else "title.published"
            value = announcement(kind, title.id, version, title)
            mark: datetime | None = title.updated_at
        else:
            value = announcement("title.removed", title.id, version, None)
            mark = None
        await log_port.append(topic, value, key=title.id.encode())
        await ctx.db.transaction(_marker(title.id, title.updated_at, mark))
        done += 1
    for row in removals:
        value = announcement("title.removed", row.title_id, row.version, None)
        await log_port.append(topic, value, key=row.title_id.encode())
        await ctx.db.transaction(_forget(row.title_id, row.version))
        done += 1
    return done


def _marker(title_id: str, updated_at: datetime, mark: datetime | None) -> Any:
    async def work(session: AsyncSession) -> None:
        # Only if the title did not change meanwhile: else the next round
        # announces the newer state.
        await session.execute(
            update(titles)
            .where(titles.c.id == title_id, titles.c.updated_at == updated_at)
            .values(announced_at=mark)
        )

    return work


def _forget(title_id: str, version: int) -> Any:
    async def work(session: AsyncSession) -> None:
        await session.execute(
            delete(removed_titles).where(
                removed_titles.c.title_id == title_id, removed_titles.c.version == version
            )
        )

    return work


async def run_announcer(ctx: MediaContext, log_port: EventLog) -> None:
    """Announce changed titles every ``media.announce_s`` until cancelled."""
    topic = ctx.config.get(media_settings.MEDIA_TITLES_TOPIC)
    interval = ctx.config.get(media_settings.MEDIA_ANNOUNCE_S)
    created = False
    while True:
        try:
            if not created:
                try:
                    await log_port.create_topic(TopicSpec(topic, TITLES_PARTITIONS))
                except ConflictError as exc:
                    log.info("topic %s exists already: %s", topic, exc)
                created = True
            # A backlog (the log was down a while) goes in a few rounds at once.
            for _ in range(10):
                if await announce_round(ctx=ctx, log_port=log_port, topic=topic) < BATCH:
                    break
        except ReelstackError as exc:
            # The log or the store is down: what is unannounced stays so.
            log.warning("cannot announce titles to %s yet: %s", topic, exc)
        await asyncio.sleep(interval)
