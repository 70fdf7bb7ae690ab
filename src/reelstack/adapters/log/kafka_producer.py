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
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from reelstack.adapters.log.kafka_client import translate, translated
from reelstack.adapters.log.records import make_metadata
from reelstack.errors import UnavailableError
from reelstack.ports.log import RecordMetadata

log = logging.getLogger(__name__)

# How often waiting appends have their delivery reports served.
TICK_S = 0.001
# How long an append waits before retrying when librdkafka's queue is full.
FULL_QUEUE_WAIT_S = 0.002

_first = operator.itemgetter(0)


class _Tally:
    """One append's records in flight."""

    __slots__ = ("acked", "errors", "future", "left")

    def __init__(self, future: asyncio.Future[None], count: int) -> None:
        self.future = future
        self.left = count
        # (partition, offset, timestamp) of each acknowledged record, as reported.
        self.acked: list[tuple[int, int, int]] = []
        self.errors: list[KafkaError] = []

    def report(self, err: KafkaError | None, msg: Message) -> None:
        """A delivery report (served on the event loop by ``poll``).

        Only the numbers are kept: holding on to librdkafka's message objects
        costs more than reading them here.
        """
        if err is None:
            self.acked.append((msg.partition(), msg.offset(), msg.timestamp()[1]))  # type: ignore[arg-type]
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
        stamp = timestamp_ms or 0
        self._waiting += 1
        if self._idle is not None:
            self._idle.clear()
        if self._timer is None:
            self._timer = loop.call_later(TICK_S, self._tick)
        try:
            todo = zip(
                values,
                keys if keys is not None else itertools.repeat(None, count),
                partitions,
                strict=True,
            )
            value, key, partition = values[0], None, partitions[0]
            refused: tuple[bytes, bytes | None, int] | None = None
            while True:
                try:
                    if refused is not None:
                        produce(topic, *refused, on_delivery=report, timestamp=stamp)
                        refused = None
                    if timestamp_ms is None:
                        for value, key, partition in todo:
                            produce(topic, value, key, partition, on_delivery=report)
                    else:
                        for value, key, partition in todo:
                            produce(
                                topic,
                                value,
                                key,
                                partition,
                                on_delivery=report,
                                timestamp=timestamp_ms,
                            )
                    break
                except BufferError:
                    # librdkafka's queue is full: let deliveries make room, then go on
                    # with the record it refused.
                    refused = (value, key, partition)
                    await asyncio.sleep(FULL_QUEUE_WAIT_S)
                except Exception as exc:
                    # Records queued before this one go on; nobody waits for their reports.
                    tally.left = -1
                    raise translated(
                        exc, f"append to topic {topic!r}: librdkafka refused a record"
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
        return _metadata(topic, tally.acked, partitions)

    async def close(self, timeout_s: float) -> None:
        """Wait for the appends in flight (up to ``timeout_s``), then drop the producer."""
        if self._waiting:
            self._idle = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout_s)
        if self._waiting:
            # Their callers get no answer: the records may or may not be written.
            log.warning(
                "Kafka producer closed with %d appends not acknowledged after %ss",
                self._waiting,
                timeout_s,
            )
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._producer.purge()
        self._producer.poll(0)


def _metadata(
    topic: str, acked: list[tuple[int, int, int]], partitions: list[int]
) -> list[RecordMetadata]:
    """Each record's metadata in input order, from the reports of its append.

    Reports sorted by (partition, offset) give each partition's records in the
    order they were produced: Kafka gave an append's records in one partition
    increasing offsets in that order.
    """
    acked.sort()
    if partitions[0] == partitions[-1] == acked[0][0] == acked[-1][0]:
        lined_up: Sequence[tuple[int, int, int]] = acked  # one partition: already in order
    else:
        following = {
            partition: iter(list(group)).__next__
            for partition, group in itertools.groupby(acked, key=_first)
        }
        try:
            lined_up = [following[partition]() for partition in partitions]
        except (KeyError, StopIteration):
            lined_up = []
    if len(lined_up) != len(partitions) or list(map(_first, lined_up)) != partitions:
        raise UnavailableError(
            f"append to topic {topic!r}: the delivery reports do not match the records sent"
        )
    _, offsets, stamps = zip(*lined_up, strict=True)
    return list(map(make_metadata, itertools.repeat(topic), partitions, offsets, stamps))
