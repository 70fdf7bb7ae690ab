"""Putting plays on the log (``playback.plays``, schema v1) for popularity.

The plays table is its own outbox: a play start writes its row and nothing
else (its hot path is unchanged); a background round appends the plays not
yet announced, oldest first, and then marks them. A log that is down loses
nothing: the rows wait (and are not swept while they wait). A crash between
the append and the mark announces those plays again; a reader that must
count each play once keys on ``play_id``.

Each record is keyed by title, so one title's plays stay in one partition.
The region is the gateway's ``x-region`` when the play started (``null``
when none was set).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import ConflictError, ReelstackError
from reelstack.playback import repository
from reelstack.playback.models import Play
from reelstack.ports import EventLog
from reelstack.ports.log import TopicSpec

log = logging.getLogger(__name__)

PLAYS_PARTITIONS = 4
BATCH = 500


def record(play: Play) -> tuple[bytes, bytes]:
    """One play as the ``play.started`` v1 record: (key, value)."""
    body: dict[str, Any] = {
        "type": "play.started",
        "v": 1,
        "play_id": play.id,
        "account": play.account,
        "profile": play.profile,
        "title_id": play.title_id,
        "region": play.region,
        "device_id": play.device_id,
        "started_at": play.started_at,
    }
    return play.title_id.encode(), orjson.dumps(body)


async def announce_round(*, db: Any, log_port: EventLog, topic: str, now: float) -> int:
    """Append the oldest unannounced plays (up to ``BATCH``), then mark them; return how many."""
    async with db.session() as session:
        pending = await repository.unannounced(session, limit=BATCH)
    if not pending:
        return 0
    await log_port.append_many(topic, [record(play) for play in pending])
    ids = [play.id for play in pending]

    async def mark(session: AsyncSession) -> None:
        await repository.mark_announced(session, play_ids=ids, at=now)

    await db.transaction(mark)
    return len(pending)


async def run_announcer(
    *, db: Any, log_port: EventLog, topic: str, interval_s: float, clock: Any
) -> None:
    """Announce plays every ``interval_s`` until cancelled (the first round after one interval)."""
    created = False
    while True:
        await asyncio.sleep(interval_s)
        try:
            if not created:
                try:
                    await log_port.create_topic(TopicSpec(topic, PLAYS_PARTITIONS))
                except ConflictError as exc:
                    log.info("topic %s exists already: %s", topic, exc)
                created = True
            # A backlog (the log was down a while) drains a few batches a round.
            for _ in range(10):
                if await announce_round(db=db, log_port=log_port, topic=topic, now=clock()) < BATCH:
                    break
        except ReelstackError as exc:
            log.warning("cannot announce plays to %s yet: %s", topic, exc)
