"""Counting play starts (``playback.plays``) per region, hour and title.

One consumer group shares the topic's partitions among the instances. A
batch is counted into ``rec_play_counts`` and its offsets committed after:
a batch read again (a crash before the commit, a rebalance) adds nothing,
because each cell keeps the last offset of its log partition it counted.
(A play announced twice, after a crash of playback's announcer between its
append and its mark, is two records and counts twice: popularity, not
billing.) When the log or the store fails, the batch is read again after
``recommendations.retry_s``; the instance is not failed for an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable

import orjson

from reelstack.errors import ReelstackError
from reelstack.ports import WideColumnStore
from reelstack.ports.log import (
    Consumer,
    EventLog,
    Record,
    TopicPartition,
    TopicSpec,
    ensure_topic,
    rewind,
)
from reelstack.recommendations import tables
from reelstack.recommendations.models import Play

log = logging.getLogger(__name__)

PLAYS_PARTITIONS = 4
"""Partitions of ``playback.plays``; playback creates the topic with the same count."""
REGIONS_BUCKET = "all"
MAX_ID = 128


def decode(record: Record, *, default_region: str) -> Play | None:
    """The play a record announces, or None (logged) if it is not one we can count."""
    try:
        body = orjson.loads(record.value)
        if not isinstance(body, dict) or body.get("type") != "play.started" or body.get("v") != 1:
            raise ValueError("not a play.started v1 record")
        title = body["title_id"]
        started = float(body["started_at"])
        region = body.get("region") or default_region
        if not (isinstance(title, str) and 0 < len(title) <= MAX_ID):
            raise ValueError("title_id is not an id")
        if not (isinstance(region, str) and 0 < len(region) <= 16):
            raise ValueError("region is not a region")
    except (ValueError, KeyError, TypeError) as exc:
        log.error(
            "skipping an unreadable play at %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            exc,
        )
        return None
    return Play(region=region, hour=int(started // 3600), title_id=title)


async def count(store: WideColumnStore, records: Iterable[Record], *, default_region: str) -> int:
    """Count ``records`` into the store, each once; return how many were new."""
    cells: dict[tuple[str, int, str, int], list[int]] = defaultdict(list)
    for record in records:
        play = decode(record, default_region=default_region)
        if play is not None:
            cells[(play.region, play.hour, play.title_id, record.partition)].append(record.offset)
    added = 0
    latest: dict[str, int] = {}
    for (region, hour, title_id, partition), offsets in cells.items():
        key = {"region": region, "hour": hour, "title_id": title_id, "log_partition": partition}
        row = await store.get(tables.PLAY_COUNTS.name, key)
        last = -1 if row is None else int(row["last_offset"])
        new = [offset for offset in offsets if offset > last]
        if not new:
            continue
        plays = (0 if row is None else int(row["plays"])) + len(new)
        await store.upsert(tables.PLAY_COUNTS.name, key | {"plays": plays, "last_offset": max(new)})
        added += len(new)
        latest[region] = max(latest.get(region, hour), hour)
    for region, hour in latest.items():
        await store.upsert(
            tables.REGIONS.name, {"bucket": REGIONS_BUCKET, "region": region, "last_hour": hour}
        )
    return added


async def run(
    *,
    log_port: EventLog,
    store: WideColumnStore,
    topic: str,
    group: str,
    default_region: str,
    pause_s: float,
    stop: asyncio.Event | None = None,
) -> None:
    """Count play starts until cancelled (or ``stop`` is set)."""
    await ensure_topic(log_port, TopicSpec(topic, PLAYS_PARTITIONS), pause_s=pause_s)
    consumer = log_port.consumer(group, [topic])
    await consumer.start()
    try:
        while stop is None or not stop.is_set():
            try:
                records = await consumer.poll(max_records=500, timeout_s=1.0)
            except ReelstackError as exc:
                log.warning("cannot poll %s: %s", topic, exc)
                await asyncio.sleep(pause_s)
                continue
            if not records:
                continue
            try:
                await count(store, records, default_region=default_region)
            except ReelstackError as exc:
                log.warning("cannot count %d plays yet: %s", len(records), exc)
                await rewind(consumer, records)
                await asyncio.sleep(pause_s)
                continue
            await _commit(consumer, records)
    finally:
        with contextlib.suppress(ReelstackError):
            await consumer.stop()


async def _commit(consumer: Consumer, records: list[Record]) -> None:
    after: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        after[tp] = max(after.get(tp, 0), record.offset + 1)
    try:
        await consumer.commit(after)
    except ReelstackError as exc:
        # Counted already: read again after a restart, the cells' offsets skip them.
        log.warning("cannot commit counted plays: %s", exc)
