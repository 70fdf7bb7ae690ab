"""Use cases of the events service: check a batch, then append it whole or not at all."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson

from reelstack.events import fastpath
from reelstack.events.models import Caller, Rejection
from reelstack.events.schemas import check_event
from reelstack.ports import EventLog


def check_batch(*, events: Sequence[Any]) -> list[Rejection]:
    """Return why each refused event of ``events`` is refused (empty: all accepted)."""
    rejections = []
    for index, event in enumerate(events):
        rejection = check_event(index, event)
        if rejection is not None:
            rejections.append(rejection)
    return rejections


def to_records(
    *, events: Sequence[dict[str, Any]], caller: Caller, received_ms: int
) -> list[tuple[bytes | None, bytes]]:
    """Return the log records of checked ``events``: keyed by session, stamped with the caller.

    The caller's ids are written over the event (the schema already refused
    an event naming them), so the log holds who the gateway said sent it.
    """
    records: list[tuple[bytes | None, bytes]] = []
    for event in events:
        event["account"] = caller.account
        event["profile"] = caller.profile
        event["received_ms"] = received_ms
        records.append((event["session"].encode(), orjson.dumps(event)))
    return records


async def append(
    *, log: EventLog, topic: str, events: Sequence[dict[str, Any]], caller: Caller
) -> int:
    """Append checked ``events`` to ``topic``; return how many, once the append is durable.

    ``EventLog.append_many`` returns only after the write is durable, and
    writes all or none on the embedded log; on Kafka a failed append may
    have written part of the batch (the client retries it, and ``seq`` lets
    a consumer drop the duplicates).
    """
    records = to_records(events=events, caller=caller, received_ms=int(time.time() * 1000))
    await log.append_many(topic, records)
    return len(records)


async def append_decoded(*, log: EventLog, topic: str, events: list[Any], caller: Caller) -> int:
    """Append events :func:`fastpath.decode_valid` accepted; return how many, once durable.

    The records hold what :func:`append` would write for the same events.
    """
    records = fastpath.records(
        events,
        account=caller.account,
        profile=caller.profile,
        received_ms=int(time.time() * 1000),
    )
    await log.append_many(topic, records)
    return len(records)
