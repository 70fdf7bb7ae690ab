"""The producing half of KafkaEventLog: records out, delivery reports back to their appends.

``Producer.produce`` only queues a record in librdkafka (about a
microsecond), so it is called on the event loop. Delivery reports are served
on the loop as well: while appends are waiting, a timer polls the producer
every millisecond without blocking (``poll(0)``), and each report lands in
its append's tally; the append resumes once all of its records are reported.
Nothing crosses threads, so the reports cost no locking and no thread hand-offs.

An append's metadata is rebuilt in input order from the reports: the adapter
chose each record's partition, and within a partition Kafka gives an
append's records increasing offsets in the order they were produced.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import operator
from collections.abc import Iterable
from typing import Any

from confluent_kafka import TIMESTAMP_LOG_APPEND_TIME, KafkaError, Message, Producer

from reelstack.adapters.log.kafka_client import translate, translated
from reelstack.adapters.log.records import make_metadata
from reelstack.errors import UnavailableError
from reelstack.ports.log import RecordMetadata

log = logging.getLogger(__name__)

# How often waiting appends have their delivery reports served.
TICK_S = 0.001
# How long an append waits before retrying when librdkafka's queue is full.
FULL_QUEUE_WAIT_S = 0.002

_offset_of = Message.offset
_partition_of = Message.partition
_timestamp_of = Message.timestamp
_first = operator.itemgetter(0)
_second = operator.itemgetter(1)


class _Tally:
    """One append's records in flight."""

    __slots__ = ("acked", "errors", "future", "left")

    def __init__(self, future: asyncio.Future[None], count: int) -> None:
        self.future = future
        self.left = count
        self.acked: list[Message] = []
        self.errors: list[KafkaError] = []

    def report(self, err: KafkaError | None, msg: Message) -> None:
        """A delivery report (served on the event loop by ``poll``)."""
        if err is None:
            self.acked.append(msg)
        else:
            self.errors.append(err)
        self.left -= 1
        if self.left == 0 and not self.future.done():
            self.future.set_result(None)


class KafkaProducer:
    """An idempotent producer whose delivery reports are served on the event loop."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._producer = Producer(config)
        self._waiting = 0
        self._timer: asyncio.TimerHandle | None = None
        self._idle: asyncio.Event | None = None

    def _tick(self) -> None:
        self._timer = None
        self._producer.poll(0)
        if self._waiting:
            self._timer = asyncio.get_running_loop().call_later(TICK_S, self._tick)

    async def send(
        self,
        topic: str,
        keys: list[bytes | None] | None,
        values: list[bytes],
        partitions: list[int],
        timestamp_ms: int | None,
    ) -> list[RecordMetadata]:
        """Produce the records to their partitions; return their metadata in input order.

        Raises (translated) if any record is not acknowledged: the others may be durable.
        """
        loop = asyncio.get_running_loop()
        count = len(values)
        tally = _Tally(loop.create_future(), count)
        report = tally.report
        produce = self._producer.produce
        key_list: Iterable[bytes | None] = (
            keys if keys is not None else itertools.repeat(None, count)
        )
        self._waiting += 1
        if self._idle is not None:
            self._idle.clear()
        if self._timer is None:
            self._timer = loop.call_later(TICK_S, self._tick)
        try:
            index = 0
            while index < count:
                todo = zip(
                    range(index, count),
                    values[index:],
                    itertools.islice(key_list, index, None),
                    partitions[index:],
                    strict=True,
                )
                try:
                    if timestamp_ms is None:
                        for index, value, key, partition in todo:  # noqa: B007 - resumed below
                            produce(topic, value, key, partition, on_delivery=report)
                    else:
                        for index, value, key, partition in todo:  # noqa: B007 - resumed below
                            produce(
                                topic,
                                value,
                                key,
                                partition,
                                on_delivery=report,
                                timestamp=timestamp_ms,
                            )
                    index = count
                except BufferError:
                    # librdkafka's queue is full: let deliveries make room, then go on
                    # from the record it refused.
                    await asyncio.sleep(FULL_QUEUE_WAIT_S)
                except Exception as exc:
                    tally.left -= count - index
                    raise translated(
                        exc, f"append to topic {topic!r} (record {index + 1} of {count} refused)"
                    ) from exc
            await tally.future
        finally:
            self._waiting -= 1
            if not self._waiting and self._idle is not None:
                self._idle.set()
        if tally.errors:
            failed = len(tally.errors)
            what = (
                f"append to topic {topic!r}"
                if count == 1
                else f"append to topic {topic!r}: {failed} of {count} records not acknowledged"
            )
            raise translate(tally.errors[0], what)
        return _metadata(topic, tally.acked, partitions, timestamp_ms)

    async def close(self, timeout_s: float) -> None:
        """Wait for the appends in flight (up to ``timeout_s``), then drop the producer."""
        if self._waiting:
            self._idle = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout_s)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        left = len(self._producer)
        if left:
            log.warning("Kafka producer closed with %d records not acknowledged", left)
        self._producer.purge()
        self._producer.poll(0)

    def outstanding(self) -> int:
        """Records queued or in flight."""
        return len(self._producer)


def _metadata(
    topic: str, acked: list[Message], partitions: list[int], timestamp_ms: int | None
) -> list[RecordMetadata]:
    """Each record's metadata in input order, from the reports of its append.

    Reports sorted by (partition, offset) line up with the input positions sorted
    by partition (a stable sort keeps the input order within each): Kafka gave
    each partition's records of this append increasing offsets in produce order.
    """
    count = len(partitions)
    if acked[0].timestamp()[0] == TIMESTAMP_LOG_APPEND_TIME or timestamp_ms is None:
        stamps: Iterable[int] = map(_second, map(_timestamp_of, acked))
    else:
        stamps = itertools.repeat(timestamp_ms, count)
    reported = sorted(zip(map(_partition_of, acked), map(_offset_of, acked), stamps, strict=True))
    order = sorted(range(count), key=partitions.__getitem__)
    if list(map(_first, reported)) != list(map(partitions.__getitem__, order)):
        raise UnavailableError(
            f"append to topic {topic!r}: the delivery reports do not match the records sent"
        )
    _, lined_up = zip(*sorted(zip(order, reported, strict=True)), strict=True)
    placed, offsets, stamped = zip(*lined_up, strict=True)
    return list(map(make_metadata, itertools.repeat(topic), placed, offsets, stamped))
