"""KafkaEventLog: the EventLog port on an Apache Kafka cluster (``kafka://HOST:PORT,...``).

The port's semantics, as Kafka keeps them here:

- Appends are acknowledged by every in-sync replica (``acks=all``) from an
  idempotent producer, so a retried batch is never written twice and each
  partition keeps its order. Keyed records go where Kafka's Java producer
  puts them (murmur2 of the key; the adapter places them itself with
  :mod:`reelstack.ports.partitioning`, as librdkafka's
  ``murmur2_random`` would); keyless ones stick to a partition for about 16
  KiB (KIP-794), so a large ``append_many`` spreads over the partitions.
- "All or none" for ``append_many`` means: every record is checked (types,
  size against the topic's ``max.message.bytes``, the topic exists) before
  the first one is sent, so nothing the broker would refuse on its own is
  half-written. A failure after sending (brokers unreachable past the
  request timeout, too few in-sync replicas for that long) raises
  UnavailableError saying how many records are not acknowledged; the rest
  of the batch may be durable. Kafka has no atomic multi-partition write
  without transactions, and transaction markers take offsets, which would
  break the port's gapless offsets.
- Consumer groups are Kafka's own (classic protocol, range assignment):
  see :mod:`reelstack.adapters.log.kafka_consumer`.
- ``read`` and ``offsets`` use a group-less reader; ``enforce_retention``
  moves each partition's start past the records older than the topic's
  ``retention.ms`` with DeleteRecords, exactly as far as the timestamp index
  says (the brokers also delete whole old segments on their own schedule).

confluent-kafka's ``produce`` only queues a record, so it is called on the
event loop, and delivery reports are served there too
(:mod:`reelstack.adapters.log.kafka_producer`). Blocking calls (metadata,
reads) run on call threads, a group member's on its fetch thread. Decisions
and their reasons: docs/adr/0005-kafka-event-log.md.

Settings: ``log.url`` (``kafka://HOST:PORT[,HOST:PORT...]``),
``log.retention_ms`` (topics created without a retention),
``log.replication_factor`` (at least this many replicas; 0: the brokers'
default), ``log.request_timeout_s`` and, where the brokers require SASL,
``log.sasl_mechanism``, ``log.sasl_username`` and ``log.sasl_password``.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from confluent_kafka.admin import AdminClient

from reelstack import settings
from reelstack.adapters.log import DEFAULT_MAX_RECORD_BYTES, check_topic_name, check_topic_spec
from reelstack.adapters.log.batching import check_records
from reelstack.adapters.log.kafka_admin import KafkaAdmin, TopicInfo
from reelstack.adapters.log.kafka_client import (
    RECORD_OVERHEAD,
    KafkaAuth,
    auth_from,
    base_config,
    note_refusal,
    servers_of,
)
from reelstack.adapters.log.kafka_consumer import KafkaConsumer
from reelstack.adapters.log.kafka_producer import KafkaProducer
from reelstack.adapters.log.kafka_reader import KafkaReader
from reelstack.config import Config
from reelstack.errors import ConfigError, InvalidRequestError, NotFoundError, UnavailableError
from reelstack.ports.log import Consumer, Record, RecordMetadata, TopicPartition, TopicSpec
from reelstack.ports.partitioning import Partitioner

log = logging.getLogger(__name__)

DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000
DEFAULT_REQUEST_TIMEOUT_S = 30.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class KafkaOptions:
    """How the adapter talks to the cluster and creates topics."""

    retention_ms: int = DEFAULT_RETENTION_MS
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    # At least this many replicas per topic created (0: the brokers' default.replication.factor).
    replication_factor: int = 0
    # How long an append may wait for its acknowledgement, and a metadata call for its answer.
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    # How long ``open`` and ``ping`` wait for the cluster to answer.
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    linger_ms: int = 5
    # SASL over plaintext (the brokers' internal listener); None: no authentication.
    auth: KafkaAuth | None = None


class KafkaEventLog:
    """The EventLog port on a Kafka cluster reached at ``bootstrap`` (``host:port`` each)."""

    def __init__(self, bootstrap: Sequence[str], options: KafkaOptions | None = None) -> None:
        if isinstance(bootstrap, str) or not bootstrap:
            raise ValueError("bootstrap must be a non-empty list of host:port")
        self.bootstrap = list(bootstrap)
        self.options = options or KafkaOptions()
        if self.options.retention_ms <= 0 or self.options.max_record_bytes <= 0:
            raise ValueError("retention_ms and max_record_bytes must be > 0")
        self.servers = servers_of(self.bootstrap)
        self._client_id = f"reelstack-{uuid.uuid4().hex[:8]}"
        self._producer: KafkaProducer | None = None
        self._admin: KafkaAdmin | None = None
        self._reader: KafkaReader | None = None
        self._partitioners: dict[str, Partitioner] = {}
        self._consumers: weakref.WeakSet[KafkaConsumer] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"KafkaEventLog({self.servers!r})"

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        """Connect; UnavailableError naming the bootstrap servers if no broker answers."""
        if self._producer is not None:
            return
        refusals: list[str] = []
        config = base_config(self.bootstrap, self.options.auth, f"{self._client_id}-admin")
        config["error_cb"] = partial(note_refusal, refusals)
        client = AdminClient(config)
        admin = KafkaAdmin(client, self.servers, self.options.request_timeout_s)
        try:
            await admin.ping(self.options.connect_timeout_s)
        except UnavailableError as exc:
            # librdkafka reports a refused login only as a transport failure; its
            # error callback, served here, says why.
            client.poll(0)
            if refusals:
                log.error("%r: Kafka refused our SASL login: %s", self, refusals[-1])
                raise UnavailableError(
                    f"{exc}; the brokers refused the SASL login: {refusals[-1]}"
                ) from exc
            raise
        self._admin = admin
        reader = self.consumer_config(f"{self._client_id}-reader", f"{self._client_id}-reader")
        # An offset retention passed meanwhile reads from the earliest retained record.
        reader["auto.offset.reset"] = "earliest"
        self._reader = KafkaReader(reader, self.options.request_timeout_s)
        self._producer = KafkaProducer(self._producer_config())

    def _producer_config(self) -> dict[str, Any]:
        return {
            **base_config(self.bootstrap, self.options.auth, f"{self._client_id}-producer"),
            "acks": "all",
            "enable.idempotence": True,
            "partitioner": "murmur2_random",
            "linger.ms": self.options.linger_ms,
            "message.timeout.ms": int(self.options.request_timeout_s * 1000),
            # A record the adapter accepts must never be refused by the client itself.
            "message.max.bytes": max(1_000_000, self.options.max_record_bytes + RECORD_OVERHEAD),
        }

    def consumer_config(self, group: str, client_id: str) -> dict[str, Any]:
        """Settings of a consumer in ``group`` (the caller adds the group's own)."""
        return {
            **base_config(self.bootstrap, self.options.auth, client_id),
            "group.id": group,
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "allow.auto.create.topics": False,
            # An idle fetch returns after 100 ms, so new assignments start fetching soon.
            "fetch.wait.max.ms": 100,
        }

    async def close(self) -> None:
        """Stop this instance's consumers, deliver what is queued, close the clients."""
        for consumer in list(self._consumers):
            try:
                await consumer.stop()
            except UnavailableError as exc:
                log.warning("%r could not leave its group on close: %s", consumer, exc)
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.close(self.options.request_timeout_s)
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        self._admin = None

    async def ping(self) -> None:
        await self._admin_client().ping(self.options.connect_timeout_s)

    def _admin_client(self) -> KafkaAdmin:
        if self._admin is None:
            raise UnavailableError(f"{self!r} is not open")
        return self._admin

    def track(self, consumer: KafkaConsumer) -> None:
        """Remember a started consumer so ``close`` makes it leave its group."""
        self._consumers.add(consumer)

    def untrack(self, consumer: KafkaConsumer) -> None:
        self._consumers.discard(consumer)

    # -- topics ----------------------------------------------------------------------

    async def create_topic(self, spec: TopicSpec) -> None:
        """Create a topic; no-op if it exists with the same partition count."""
        name = check_topic_spec(spec)
        await self._admin_client().create_topic(
            name,
            partitions=spec.partitions,
            replication_factor=max(spec.replication_factor, self.options.replication_factor),
            retention_ms=spec.retention_ms or self.options.retention_ms,
            max_message_bytes=self.options.max_record_bytes + RECORD_OVERHEAD,
        )

    async def list_topics(self) -> list[TopicSpec]:
        return await self._admin_client().list_topics()

    async def topic(self, name: str) -> TopicInfo:
        """A topic's partition count and record limit (cached); NotFoundError if none."""
        check_topic_name(name)
        return await self._admin_client().topic(name, self.options.max_record_bytes)

    # -- appending -------------------------------------------------------------------

    async def append(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | None = None,
        timestamp_ms: int | None = None,
    ) -> RecordMetadata:
        """Append one record durably. Raises NotFoundError for an unknown topic."""
        if timestamp_ms is not None and (not isinstance(timestamp_ms, int) or timestamp_ms < 0):
            raise InvalidRequestError(f"timestamp_ms must be an int >= 0, got {timestamp_ms!r}")
        written = await self._append(topic, ((key, value),), timestamp_ms)
        return written[0]

    async def append_many(
        self, topic: str, records: Sequence[tuple[bytes | None, bytes]]
    ) -> list[RecordMetadata]:
        """Append ``(key, value)`` records durably, in order per partition.

        Every record is checked before the first is sent (see the module's notes).
        """
        return await self._append(topic, records, None)

    async def _append(
        self,
        name: str,
        records: Sequence[tuple[bytes | None, bytes]],
        timestamp_ms: int | None,
    ) -> list[RecordMetadata]:
        producer = self._producer
        if producer is None:
            raise UnavailableError(f"{self!r} is not open")
        info = await self.topic(name)
        if not records:
            return []
        keys, values = check_records(name, records, info.record_limit)
        placed = self._place(name, info.partitions, keys, values)
        return await producer.send(name, keys, values, placed, timestamp_ms)

    def _place(
        self, name: str, partitions: int, keys: list[bytes | None] | None, values: list[bytes]
    ) -> list[int]:
        """Each record's partition, in input order (Kafka's default partitioner)."""
        partitioner = self._partitioners.get(name)
        if partitioner is None or partitioner.partitions != partitions:
            partitioner = self._partitioners[name] = Partitioner(
                partitions, start=random.randrange(partitions)
            )
        if keys is None:
            placed: list[int] = []
            for partition, start, stop in partitioner.keyless_runs(list(map(len, values))):
                placed += [partition] * (stop - start)
            return placed
        if None in keys:
            return [
                partitioner.keyless(len(value)) if key is None else partitioner.for_key(key)
                for key, value in zip(keys, values, strict=True)
            ]
        return partitioner.for_keys(keys)  # type: ignore[arg-type]

    # -- reading ---------------------------------------------------------------------

    async def _partition(self, tp: TopicPartition) -> TopicInfo:
        info = await self.topic(tp.topic)
        if not isinstance(tp.partition, int) or not 0 <= tp.partition < info.partitions:
            raise NotFoundError(
                f"topic {tp.topic!r} has partitions 0 to {info.partitions - 1}, "
                f"not {tp.partition!r}"
            )
        return info

    def _reader_client(self) -> KafkaReader:
        if self._reader is None:
            raise UnavailableError(f"{self!r} is not open")
        return self._reader

    async def read(
        self, tp: TopicPartition, offset: int, *, max_records: int = 500
    ) -> list[Record]:
        """Replay records of one partition from ``offset``, outside any group.

        An offset retention already passed reads from the earliest retained one.
        """
        await self._partition(tp)
        if not isinstance(offset, int) or offset < 0:
            raise InvalidRequestError(f"offset must be an int >= 0, got {offset!r}")
        if max_records < 1:
            raise InvalidRequestError(f"max_records must be >= 1, got {max_records}")
        return await self._reader_client().read(tp, offset, max_records)

    async def offsets(self, tp: TopicPartition) -> tuple[int, int]:
        """Return (earliest retained offset, next offset to be written)."""
        await self._partition(tp)
        return await self._reader_client().watermarks(tp)

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
        return KafkaConsumer(
            self,
            group,
            topics,
            member_id=member_id,
            session_timeout_ms=session_timeout_ms,
            auto_offset_reset=auto_offset_reset,
        )

    async def enforce_retention(self) -> int:
        """Delete records past their topic's retention; return how many went.

        For each partition, every record before the first one not older than the
        topic's ``retention.ms`` goes (Kafka's timestamp index finds it), so a
        record may outlive its retention behind a newer one, never the reverse.
        """
        removed = await self._admin_client().delete_expired(int(time.time() * 1000))
        if removed:
            log.info("%r: retention removed %d records", self, removed)
        return removed


def from_url(url: str, config: Config) -> KafkaEventLog:
    """Build a KafkaEventLog from ``kafka://HOST:PORT[,HOST:PORT...]`` and the log settings."""
    rest = url.split("://", 1)[1] if "://" in url else url
    servers = [s.strip() for s in rest.strip("/").split(",") if s.strip()]
    if not servers or any(":" not in s for s in servers):
        raise ConfigError(
            settings.LOG_URL.key, url, "log.url", "expected kafka://HOST:PORT[,HOST:PORT...]"
        )
    return KafkaEventLog(
        servers,
        KafkaOptions(
            retention_ms=config.get(settings.LOG_RETENTION_MS),
            replication_factor=config.get(settings.LOG_REPLICATION_FACTOR),
            request_timeout_s=config.get(settings.LOG_REQUEST_TIMEOUT_S),
            auth=auth_from(config),
        ),
    )
