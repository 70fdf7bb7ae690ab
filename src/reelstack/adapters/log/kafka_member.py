"""What a Kafka group member knows, shared by its fetch thread and the event loop.

The fetch thread buffers records and applies rebalances; the event loop takes
records and asks what to commit. Every change happens under one lock, held
for a few list operations and never across a request to Kafka.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from functools import partial

from confluent_kafka import Consumer as KafkaClient
from confluent_kafka import Message
from confluent_kafka import TopicPartition as KafkaPartition

from reelstack.adapters.log.kafka_client import retrying
from reelstack.adapters.log.records import make_record
from reelstack.ports.log import Record, TopicPartition


def _tp(record: Record) -> TopicPartition:
    return TopicPartition(record.topic, record.partition)


class MemberState:
    """A member's partitions, buffered records, read positions and committed offsets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer: deque[Record] = deque()
        # Replaced, never changed in place, so readers on other threads see a whole set.
        self.held: frozenset[TopicPartition] = frozenset()
        # Next offset to read, per partition polled since it was (re)gained.
        self._positions: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}

    def buffered(self) -> int:
        return len(self._buffer)

    # -- the fetch thread ----------------------------------------------------------------

    def put(self, records: list[Record]) -> bool:
        """Buffer fetched records of held partitions; whether any was kept."""
        with self._lock:
            held = self.held
            before = len(self._buffer)
            # A record fetched before a rebalance took its partition away is not ours.
            self._buffer.extend(r for r in records if _tp(r) in held)
            return len(self._buffer) > before

    def gain(self, tps: Iterable[TopicPartition]) -> None:
        """The group gave these partitions: they are read from the committed offset."""
        gained = frozenset(tps)
        with self._lock:
            for tp in gained:
                self._positions.pop(tp, None)
                self._committed.pop(tp, None)
            self.held = self.held | gained

    def lose(self, tps: Iterable[TopicPartition]) -> None:
        """These partitions went elsewhere: forget their positions and buffered records."""
        lost = frozenset(tps)
        with self._lock:
            self.held = self.held - lost
            for tp in lost:
                self._positions.pop(tp, None)
            if any(_tp(r) in lost for r in self._buffer):
                self._buffer = deque(r for r in self._buffer if _tp(r) not in lost)

    def moved(self, tp: TopicPartition, offset: int) -> None:
        """``tp`` is read from ``offset`` next: what was buffered of it is dropped."""
        with self._lock:
            self._buffer = deque(r for r in self._buffer if _tp(r) != tp)
            self._positions[tp] = offset

    def clear(self) -> None:
        with self._lock:
            self.held = frozenset()
            self._positions.clear()
            self._buffer.clear()

    # -- the application ---------------------------------------------------------------

    def take(self, max_records: int) -> list[Record]:
        """Up to ``max_records`` buffered records; positions move past them."""
        with self._lock:
            buffer = self._buffer
            count = min(max_records, len(buffer))
            if not count:
                return []
            records = [buffer.popleft() for _ in range(count)]
            positions = self._positions
            for record in records:
                positions[_tp(record)] = record.offset + 1
        return records

    def to_commit(
        self, offsets: dict[TopicPartition, int] | None
    ) -> tuple[dict[TopicPartition, int], list[TopicPartition]]:
        """What a commit sends (default: positions not committed yet), and partitions not held."""
        with self._lock:
            if offsets is None:
                offsets = {
                    tp: offset
                    for tp, offset in self._positions.items()
                    if tp in self.held and self._committed.get(tp) != offset
                }
            return offsets, [tp for tp in offsets if tp not in self.held]

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        with self._lock:
            self._committed.update(offsets)

    def fenced(self, tps: Iterable[TopicPartition]) -> None:
        """The group refused a commit for these: not this member's until handed out again."""
        self.lose(tps)


def pin_latest(
    client: KafkaClient, partitions: list[KafkaPartition], timeout: float
) -> list[KafkaPartition]:
    """The partitions at the group's committed offsets, else at their ends (now)."""
    pinned = []
    for tp in retrying(lambda: client.committed(partitions, timeout=timeout), timeout):
        offset = tp.offset
        if offset < 0:
            _, offset = retrying(
                partial(
                    client.get_watermark_offsets,
                    KafkaPartition(tp.topic, tp.partition),
                    timeout=timeout,
                    cached=False,
                ),
                timeout,
            )
        pinned.append(KafkaPartition(tp.topic, tp.partition, offset))
    return pinned


def record_of(message: Message) -> Record:
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    assert topic is not None and partition is not None and offset is not None
    return make_record(
        topic, partition, offset, message.key(), message.value() or b"", message.timestamp()[1]
    )


def names(tps: Iterable[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(tps)) or "nothing"
