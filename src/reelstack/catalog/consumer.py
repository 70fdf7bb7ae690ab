"""The background task applying media's title announcements (``media.titles``).

One consumer group (``catalog.consumer_group``) shares the topic's
partitions among the catalog's instances. A record's offset is committed
only after it is applied (or found unreadable), so a crash replays it; a
replay is harmless, as an announcement applies only over an older version.
When the store or the log fails, the record is read again after
``catalog.retry_s``; the instance is not failed for an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from reelstack.catalog import announcements, service
from reelstack.catalog import settings as catalog_settings
from reelstack.catalog.context import CatalogContext
from reelstack.errors import InvalidRequestError, ReelstackError
from reelstack.ports import log as log_port
from reelstack.ports.log import Consumer, Record, TopicPartition, TopicSpec

log = logging.getLogger(__name__)

TITLES_PARTITIONS = 4
"""Partitions of ``media.titles``; media creates the topic with the same count."""


async def ensure_topic(ctx: CatalogContext, topic: str) -> None:
    """Create the announcements topic, retrying while the log is unreachable."""
    pause = ctx.config.get(catalog_settings.CATALOG_RETRY_S)
    await log_port.ensure_topic(ctx.log, TopicSpec(topic, TITLES_PARTITIONS), pause_s=pause)


async def run(ctx: CatalogContext, *, stop: asyncio.Event | None = None) -> None:
    """Apply announcements until cancelled (or ``stop`` is set)."""
    topic = ctx.config.get(catalog_settings.CATALOG_TITLES_TOPIC)
    group = ctx.config.get(catalog_settings.CATALOG_CONSUMER_GROUP)
    pause = ctx.config.get(catalog_settings.CATALOG_RETRY_S)
    await ensure_topic(ctx, topic)
    consumer = ctx.log.consumer(group, [topic])
    await consumer.start()
    try:
        while stop is None or not stop.is_set():
            try:
                records = await consumer.poll(max_records=100, timeout_s=1.0)
            except ReelstackError as exc:
                log.warning("cannot poll %s: %s", topic, exc)
                await asyncio.sleep(pause)
                continue
            for index, record in enumerate(records):
                if not await _process(ctx, consumer, record):
                    # The poll moved every partition's position past what it
                    # returned: rewind each to its first record not applied.
                    await log_port.rewind(consumer, records[index:])
                    await asyncio.sleep(pause)
                    break
    finally:
        with contextlib.suppress(ReelstackError):
            await consumer.stop()


async def _process(ctx: CatalogContext, consumer: Consumer, record: Record) -> bool:
    """Apply one record and commit past it; False if it must be read again."""
    tp = TopicPartition(record.topic, record.partition)
    try:
        event = announcements.decode(record.value)
    except InvalidRequestError as exc:
        log.error(
            "skipping an unreadable announcement at %s[%d]@%d: %s",
            tp.topic,
            tp.partition,
            record.offset,
            exc,
        )
    else:
        try:
            applied = await service.apply_announcement(ctx=ctx, event=event)
        except ReelstackError as exc:
            log.warning(
                "cannot apply %s of %s (version %d) yet: %s",
                event.type.value,
                event.title_id,
                event.version,
                exc,
            )
            return False
        log.info(
            "%s %s of %s version %d",
            "applied" if applied else "ignored (not newer)",
            event.type.value,
            event.title_id,
            event.version,
        )
    try:
        await consumer.commit({tp: record.offset + 1})
    except ReelstackError as exc:
        # The record is applied; read again after a restart it changes nothing.
        log.warning("cannot commit %s[%d]@%d: %s", tp.topic, tp.partition, record.offset, exc)
    return True
