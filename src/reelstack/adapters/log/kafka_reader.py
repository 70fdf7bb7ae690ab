"""Replay of one partition outside any group: ``read`` and ``offsets`` of KafkaEventLog.

One consumer that never joins its group (it is only assigned partitions) and
never commits. A read that continues where the last one stopped keeps the
assignment, so the records librdkafka already fetched ahead are used; any
other read assigns the partition at the offset asked for.
"""

from __future__ import annotations

import time

from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaPartition

from reelstack.adapters.log.kafka_client import CallThread, retrying
from reelstack.adapters.log.records import make_record
from reelstack.errors import UnavailableError
from reelstack.ports.log import Record, TopicPartition

# How long one wait for more fetched records lasts before checking the deadline again.
_WAIT_S = 0.05


class KafkaReader:
    """Reads partitions from given offsets with one assign-only consumer."""

    def __init__(self, config: dict[str, object], timeout_s: float) -> None:
        self._config = dict(config)
        self._timeout_s = timeout_s
        self._consumer: Consumer | None = None
        self._thread = CallThread("kafka-reader")
        # (topic, partition, next offset) the consumer is positioned at, if known.
        self._at: tuple[str, int, int] | None = None

    def _client(self) -> Consumer:
        if self._consumer is None:
            self._consumer = Consumer(self._config)
        return self._consumer

    async def watermarks(self, tp: TopicPartition) -> tuple[int, int]:
        """(earliest retained offset, next offset to be written) of ``tp``."""
        return await self._thread.run(
            f"read the offsets of {tp.topic}[{tp.partition}]", self._watermarks, tp
        )

    def _watermarks(self, tp: TopicPartition) -> tuple[int, int]:
        client = self._client()
        low, high = retrying(
            lambda: client.get_watermark_offsets(
                KafkaPartition(tp.topic, tp.partition), timeout=self._timeout_s, cached=False
            ),
            self._timeout_s,
        )
        return int(low), int(high)

    async def read(self, tp: TopicPartition, offset: int, max_records: int) -> list[Record]:
        """Up to ``max_records`` records of ``tp`` from ``offset`` (or the earliest retained)."""
        return await self._thread.run(
            f"read {tp.topic}[{tp.partition}]", self._read, tp, offset, max_records
        )

    def _read(self, tp: TopicPartition, offset: int, max_records: int) -> list[Record]:
        consumer = self._client()
        low, high = self._watermarks(tp)
        start = max(offset, low)
        if start >= high:
            return []
        stop = min(high, start + max_records)
        topic, partition = tp.topic, tp.partition
        # Unknown until this read succeeds.
        previous, self._at = self._at, None
        if previous != (topic, partition, start):
            consumer.assign([KafkaPartition(topic, partition, start)])
        out: list[Record] = []
        following = start
        deadline = time.monotonic() + self._timeout_s
        while following < stop:
            batch = consumer.consume(stop - following, _WAIT_S)
            for message in batch:
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        continue
                    raise KafkaException(error)
                at = message.offset()
                if at is None or at < following:
                    continue
                out.append(
                    make_record(
                        topic,
                        partition,
                        at,
                        message.key(),
                        message.value() or b"",
                        message.timestamp()[1],
                    )
                )
                following = at + 1
            if not batch:
                # Offsets may have gaps (compacted or transactional topics): the
                # consumer's position says how far it got.
                [position] = consumer.position([KafkaPartition(topic, partition)])
                if position.offset >= stop:
                    break
                if time.monotonic() > deadline:
                    raise UnavailableError(
                        f"read {topic}[{partition}] from {start}: only {len(out)} of "
                        f"{stop - start} records came within {self._timeout_s}s"
                    )
        self._at = (topic, partition, following)
        return out

    async def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await self._thread.run("close the reader", consumer.close)
        self._thread.shutdown()
