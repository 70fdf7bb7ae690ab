"""EventLog: the role Kafka plays. Named topics split into partitions.

Semantics every adapter keeps:

- ``append`` with a key always lands in the same partition for that key
  (Kafka's default partitioner: murmur2 of the key, positive, modulo the
  partition count); records without a key are spread over partitions.
  Order is kept within a partition; offsets start at 0 and grow by 1.
- An append that returned is durable: it is never lost and never duplicated.
- A consumer group shares a topic's partitions among its live members; each
  partition belongs to at most one member at a time. A member that stops
  heartbeating (polling) for ``session_timeout_ms`` loses its partitions.
- Consumers commit offsets after processing (the offset committed is the
  next one to read). A member that takes over a partition starts at the
  group's committed offset, else at ``auto_offset_reset`` (earliest/latest).
- ``read`` replays any partition from any retained offset, outside any group.
- Records older than the topic's retention may be deleted; ``offsets`` reports
  the earliest retained and the next offset to be written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from reelstack.errors import ConflictError, ReelstackError
from reelstack.ports.lifecycle import Lifecycle

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic to create: name, partition count, retention and replication."""

    name: str
    partitions: int = 1
    retention_ms: int | None = None
    replication_factor: int = 1


@dataclass(frozen=True, slots=True, order=True)
class TopicPartition:
    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where an appended record landed."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int


class Consumer(Protocol):
    """One member of a consumer group."""

    @property
    def member_id(self) -> str: ...

    async def start(self) -> None:
        """Join the group."""
        ...

    async def stop(self) -> None:
        """Leave the group so its partitions move to the other members at once."""
        ...

    async def poll(self, *, max_records: int = 500, timeout_s: float = 1.0) -> list[Record]:
        """Heartbeat, rebalance if membership changed, and return the next records.

        Waits up to ``timeout_s`` for records; returns an empty list if none came.
        """
        ...

    async def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Commit the given next-offsets, or the position after the last polled records.

        Raises NotAssignedError for a partition the group gave to another member.
        """
        ...

    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions this member owns now."""
        ...

    async def seek(self, tp: TopicPartition, offset: int) -> None:
        """Read ``tp`` from ``offset`` at the next poll."""
        ...


class EventLog(Lifecycle, Protocol):
    async def create_topic(self, spec: TopicSpec) -> None:
        """Create a topic; no-op if it exists with the same partition count.

        Raises ConflictError if it exists with another partition count.
        """
        ...

    async def list_topics(self) -> list[TopicSpec]: ...

    async def append(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | None = None,
        timestamp_ms: int | None = None,
    ) -> RecordMetadata:
        """Append one record durably. Raises NotFoundError for an unknown topic."""
        ...

    async def append_many(
        self, topic: str, records: Sequence[tuple[bytes | None, bytes]]
    ) -> list[RecordMetadata]:
        """Append ``(key, value)`` records durably, all or none, in order per partition."""
        ...

    async def read(
        self, tp: TopicPartition, offset: int, *, max_records: int = 500
    ) -> list[Record]:
        """Replay records of one partition from ``offset``, outside any group."""
        ...

    async def offsets(self, tp: TopicPartition) -> tuple[int, int]:
        """Return (earliest retained offset, next offset to be written)."""
        ...

    def consumer(
        self,
        group: str,
        topics: Sequence[str],
        *,
        member_id: str | None = None,
        session_timeout_ms: int = 10_000,
        auto_offset_reset: Literal["earliest", "latest"] = "earliest",
    ) -> Consumer:
        """Return a new member of ``group`` reading ``topics`` (call ``start``)."""
        ...

    async def enforce_retention(self) -> int:
        """Delete records past their topic's retention; return how many went."""
        ...


# -- helpers every consumer of the port shares --------------------------------------


async def ensure_topic(log_port: EventLog, spec: TopicSpec, *, pause_s: float) -> None:
    """Create ``spec``'s topic, retrying every ``pause_s`` while the log is unreachable.

    A topic made by someone with another partition count is kept: records are
    keyed, so any count works.
    """
    while True:
        try:
            await log_port.create_topic(spec)
            return
        except ConflictError as exc:
            log.info("topic %s exists already: %s", spec.name, exc)
            return
        except ReelstackError as exc:
            log.warning("cannot create topic %s yet: %s", spec.name, exc)
            await asyncio.sleep(pause_s)


async def rewind(consumer: Consumer, pending: Sequence[Record]) -> None:
    """Move each partition's position back to its first record in ``pending``.

    A poll moves every partition past what it returned; records not handled
    are read again at the next poll.
    """
    first: dict[TopicPartition, int] = {}
    for record in pending:
        tp = TopicPartition(record.topic, record.partition)
        first[tp] = min(first.get(tp, record.offset), record.offset)
    for tp, offset in first.items():
        try:
            await consumer.seek(tp, offset)
        except ReelstackError as exc:
            # Not ours any more (a rebalance): its new owner starts at the
            # committed offset, which is before these records.
            log.info("cannot rewind %s[%d] to %d: %s", tp.topic, tp.partition, offset, exc)
