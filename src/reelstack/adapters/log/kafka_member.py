"""What a Kafka group member knows, shared by its fetch thread and the event loop.

The fetch thread buffers records and applies rebalances; the event loop takes
records and asks what to commit. Every change happens under one lock, held
for a few list operations and never across a request to Kafka.

Rebalances reach the fetch thread at any moment, not only inside the
application's ``poll`` (as the embedded adapter's steps do): a partition may be
revoked, and even handed back, while the application still processes records
it polled before. Its progress on such a partition ends with the hold it was
made under: the partition restarts at the group's committed offset, so
committing that progress (as the default position, or as an explicit offset)
is refused with NotAssignedError until the application polls again and so
sees the new assignment.

The event loop hands its other librdkafka calls (``seek``, ``commit``) to the
fetch thread through :class:`FetchThreadCalls`.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial

from confluent_kafka import Consumer as KafkaClient
from confluent_kafka import KafkaException, Message
from confluent_kafka import TopicPartition as KafkaPartition

from reelstack.adapters.log.kafka_client import kafka_error, retrying, translate
from reelstack.adapters.log.records import make_record
from reelstack.errors import ReelstackError
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
        # Since the application last polled: partitions it lost (maybe regained since),
        # and the uncommitted positions it had polled them to.
        self._lost: set[TopicPartition] = set()
        self._orphans: dict[TopicPartition, int] = {}

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

    def lose(self, tps: Iterable[TopicPartition], *, told: bool = False) -> None:
        """These partitions went elsewhere: forget their positions and buffered records.

        What the application polled of them and did not commit can no longer be
        committed (unless ``told``: it was just refused, and the application knows).
        """
        with self._lock:
            lost = self.held & frozenset(tps)
            if not lost:
                return
            self.held = self.held - lost
            self._lost |= lost
            for tp in lost:
                position = self._positions.pop(tp, None)
                if not told and position is not None and position != self._committed.get(tp):
                    self._orphans[tp] = position
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
            self._lost.clear()
            self._orphans.clear()

    # -- the application ---------------------------------------------------------------

    def take(self, max_records: int) -> list[Record]:
        """Up to ``max_records`` buffered records; positions move past them.

        The application polls: from now on it knows the current assignment, and
        what it lost before is forgotten (as a poll that rebalances does in Kafka's
        own clients).
        """
        with self._lock:
            self._lost.clear()
            self._orphans.clear()
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
        """What a commit sends, and the partitions that make it refused.

        By default it sends the positions not committed yet, and is refused for
        the partitions lost with uncommitted progress since the last poll (told
        once). Given offsets are refused for any partition not held now or lost
        since the last poll.
        """
        with self._lock:
            held = self.held
            if offsets is None:
                todo = {
                    tp: offset
                    for tp, offset in self._positions.items()
                    if tp in held and self._committed.get(tp) != offset
                }
                refused = sorted(self._orphans)
                self._orphans.clear()
                return todo, refused
            return offsets, [tp for tp in offsets if tp not in held or tp in self._lost]

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        with self._lock:
            self._committed.update(offsets)

    def fenced(self, tps: Iterable[TopicPartition]) -> None:
        """The group refused a commit for these: not this member's until handed out again."""
        self.lose(tps, told=True)


class FetchThreadCalls:
    """Calls queued for a member's fetch thread, which runs them between two polls."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    async def call(self, doing: str, work: Callable[[], None]) -> None:
        """Queue ``work`` and wait until it ran; Kafka errors translated, naming ``doing``."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def command() -> None:
            failure: Exception | None = None
            try:
                work()
            except KafkaException as exc:
                error = kafka_error(exc)
                failure = translate(error, doing) if error is not None else exc
            except ReelstackError as exc:
                failure = exc
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, done, failure)

        self._queue.put(command)
        await done

    def run(self) -> None:
        """Run the queued calls (on the fetch thread, or once it ended)."""
        while True:
            try:
                command = self._queue.get_nowait()
            except queue.Empty:
                return
            command()


def _settle(future: asyncio.Future[None], failure: Exception | None) -> None:
    if future.done():
        return
    if failure is None:
        future.set_result(None)
    else:
        future.set_exception(failure)


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
