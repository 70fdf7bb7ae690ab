"""Topics on a Kafka cluster: creation, listing, limits and retention, through the admin API.

The admin client's calls return futures (awaited on the loop) except the
metadata call, which blocks and so runs on a call thread.

Brokers learn of a new topic one by one, a little after its creation returned,
and metadata and settings are read from any of them: a listing waits until
it shows every topic this instance created or used (read your own writes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from confluent_kafka import KafkaException
from confluent_kafka import TopicPartition as KafkaPartition

# confluent-kafka re-exports these without saying so (no __all__).
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    ClusterMetadata,
    ConfigResource,
    NewTopic,
    OffsetSpec,
    TopicMetadata,
)

from reelstack.adapters.log.kafka_client import (
    RECORD_OVERHEAD,
    CallThread,
    kafka_error,
    translated,
)
from reelstack.errors import ConflictError, NotFoundError, UnavailableError
from reelstack.ports.log import TopicSpec

T = TypeVar("T")

log = logging.getLogger(__name__)

# How often a new topic's metadata is asked for until every partition has a leader.
_SETTLE_INTERVAL_S = 0.02


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """What an append needs to know of a topic: its partitions and its record limit."""

    partitions: int
    record_limit: int


class KafkaAdmin:
    """Topic operations of one KafkaEventLog."""

    def __init__(self, client: AdminClient, servers: str, timeout_s: float) -> None:
        self._client = client
        self._servers = servers
        self._timeout_s = timeout_s
        self._thread = CallThread("kafka-admin")
        self._topics: dict[str, TopicInfo] = {}
        self._broker_defaults: dict[str, str] | None = None

    async def _await(self, doing: str, future: Future[T]) -> T:
        try:
            return await asyncio.wrap_future(future)
        except KafkaException as exc:
            raise translated(exc, doing) from exc

    async def _metadata(self, topic: str | None, timeout_s: float) -> ClusterMetadata:
        doing = "read cluster metadata" if topic is None else f"look up topic {topic!r}"
        return await self._thread.run(
            f"{doing} at {self._servers}", self._client.list_topics, topic, timeout_s
        )

    async def ping(self, timeout_s: float) -> None:
        """Return if a broker answers; UnavailableError naming the servers if none does."""
        try:
            metadata = await self._metadata(None, timeout_s)
        except UnavailableError as exc:
            raise UnavailableError(
                f"Kafka at {self._servers} is unreachable within {timeout_s}s: {exc}"
            ) from exc
        if not metadata.brokers:
            raise UnavailableError(f"Kafka at {self._servers} lists no brokers")

    # -- one topic ---------------------------------------------------------------------

    async def topic(self, name: str, max_record_bytes: int) -> TopicInfo:
        """Partitions and record limit of ``name`` (cached); NotFoundError if none."""
        info = self._topics.get(name)
        if info is not None:
            return info
        metadata = await self._metadata(name, self._timeout_s)
        found = metadata.topics.get(name)
        if found is None or found.error is not None:
            error = None if found is None else found.error
            reason = "" if error is None else f": {error.str()}"
            raise NotFoundError(f"topic {name!r} does not exist at {self._servers}{reason}")
        configs = await self._configs([name])
        limit = int(configs[name].get("max.message.bytes", max_record_bytes + RECORD_OVERHEAD))
        info = TopicInfo(len(found.partitions), min(max_record_bytes, limit - RECORD_OVERHEAD))
        self._topics[name] = info
        return info

    async def create_topic(
        self,
        name: str,
        *,
        partitions: int,
        replication_factor: int,
        retention_ms: int,
        max_message_bytes: int,
    ) -> None:
        """Create ``name`` with at least ``replication_factor`` replicas (0: brokers' default).

        No-op if it exists with ``partitions``; ConflictError if with another count.
        """
        defaults = await self._defaults()
        replicas = max(replication_factor, int(defaults.get("default.replication.factor", "1")))
        config = {"retention.ms": str(retention_ms), "max.message.bytes": str(max_message_bytes)}
        # A topic with fewer replicas than the brokers' min.insync.replicas could never be written.
        if replicas < int(defaults.get("min.insync.replicas", "1")):
            config["min.insync.replicas"] = str(replicas)
        futures = self._client.create_topics(
            [NewTopic(name, partitions, replicas, config=config)],
            operation_timeout=self._timeout_s,
            request_timeout=self._timeout_s,
        )
        try:
            await self._await(f"create topic {name!r}", futures[name])
        except ConflictError:
            existing = await self._settled(name)
            if len(existing.partitions) != partitions:
                raise ConflictError(
                    f"topic {name!r} exists with {len(existing.partitions)} partitions, "
                    f"not {partitions}"
                ) from None
            return
        await self._settled(name)
        self._topics[name] = TopicInfo(partitions, max_message_bytes - RECORD_OVERHEAD)

    async def _settled(self, name: str) -> TopicMetadata:
        """Wait until the metadata shows every partition of ``name`` with a leader."""
        deadline = time.monotonic() + self._timeout_s
        while True:
            metadata = await self._metadata(name, self._timeout_s)
            found = metadata.topics.get(name)
            if (
                found is not None
                and found.error is None
                and found.partitions
                and all(p.leader >= 0 and p.error is None for p in found.partitions.values())
            ):
                return found
            if time.monotonic() > deadline:
                raise UnavailableError(
                    f"topic {name!r} has no leader for every partition after {self._timeout_s}s"
                )
            await asyncio.sleep(_SETTLE_INTERVAL_S)

    async def _defaults(self) -> dict[str, str]:
        """The brokers' topic defaults (read once from the first broker listed)."""
        if self._broker_defaults is None:
            metadata = await self._metadata(None, self._timeout_s)
            broker = min(metadata.brokers)
            resource = ConfigResource(ConfigResource.Type.BROKER, str(broker))
            futures = self._client.describe_configs([resource], request_timeout=self._timeout_s)
            entries = await self._await("read the brokers' settings", futures[resource])
            self._broker_defaults = {
                key: str(entries[key].value)
                for key in ("default.replication.factor", "min.insync.replicas")
                if key in entries and entries[key].value is not None
            }
        return self._broker_defaults

    # -- every topic -----------------------------------------------------------------

    async def _configs(self, names: Iterable[str]) -> dict[str, dict[str, str]]:
        resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in names]
        if not resources:
            return {}
        futures = self._client.describe_configs(resources, request_timeout=self._timeout_s)
        out: dict[str, dict[str, str]] = {}
        for resource, future in futures.items():
            try:
                entries = await asyncio.wrap_future(future)
            except KafkaException as exc:
                error = kafka_error(exc)
                if error is not None and error.code() == error.UNKNOWN_TOPIC_OR_PART:
                    continue  # deleted meanwhile
                raise translated(exc, f"read the settings of topic {resource.name!r}") from exc
            out[resource.name] = {
                key: str(entry.value) for key, entry in entries.items() if entry.value is not None
            }
        return out

    async def _user_topics(self) -> tuple[dict[str, TopicMetadata], dict[str, dict[str, str]]]:
        """Every topic but Kafka's internal ones, and their settings."""
        deadline = time.monotonic() + self._timeout_s
        while True:
            metadata = await self._metadata(None, self._timeout_s)
            topics = {
                name: topic
                for name, topic in metadata.topics.items()
                if not name.startswith("__") and topic.error is None
            }
            configs = await self._configs(topics)
            # A broker that has not caught up yet misses a topic, or its settings.
            missing = [name for name in self._topics if name not in configs]
            if not missing:
                return topics, configs
            if time.monotonic() > deadline:
                log.warning("topics %s are gone (deleted?): listing without them", missing)
                for name in missing:
                    self._topics.pop(name, None)
                return topics, configs
            await asyncio.sleep(_SETTLE_INTERVAL_S)

    async def list_topics(self) -> list[TopicSpec]:
        """Every topic but Kafka's internal ones, with its partitions, retention and replicas."""
        topics, configs = await self._user_topics()
        specs = []
        for name in sorted(topics):
            topic = topics[name]
            retention = int(configs.get(name, {}).get("retention.ms", "-1"))
            replicas = max((len(p.replicas) for p in topic.partitions.values()), default=1)
            specs.append(
                TopicSpec(
                    name,
                    partitions=len(topic.partitions),
                    retention_ms=retention if retention > 0 else None,
                    replication_factor=replicas,
                )
            )
        return specs

    async def delete_expired(self, now_ms: int) -> int:
        """Move each partition's start past its records older than the topic's retention."""
        topics, configs = await self._user_topics()
        cutoffs: dict[KafkaPartition, int] = {}
        for name, topic in topics.items():
            config = configs.get(name, {})
            retention = int(config.get("retention.ms", "-1"))
            if retention < 0 or "delete" not in config.get("cleanup.policy", "delete"):
                continue
            for partition in topic.partitions:
                cutoffs[KafkaPartition(name, partition)] = now_ms - retention
        if not cutoffs:
            return 0
        first: OffsetSpec = OffsetSpec.earliest()  # type: ignore[no-untyped-call]
        end: OffsetSpec = OffsetSpec.latest()  # type: ignore[no-untyped-call]
        earliest = await self._list_offsets(dict.fromkeys(cutoffs, first))
        latest = await self._list_offsets(dict.fromkeys(cutoffs, end))
        first_kept = await self._list_offsets(
            {tp: OffsetSpec.for_timestamp(cutoff) for tp, cutoff in cutoffs.items()}
        )
        targets: dict[KafkaPartition, int] = {}
        for tp, kept in first_kept.items():
            # -1: no record is that new, so every record up to the end is expired.
            target = latest[tp] if kept < 0 else kept
            if tp in earliest and target > earliest[tp]:
                targets[tp] = target
        if not targets:
            return 0
        futures = self._client.delete_records(
            [KafkaPartition(tp.topic, tp.partition, offset) for tp, offset in targets.items()],
            request_timeout=self._timeout_s,
            operation_timeout=self._timeout_s,
        )
        removed = 0
        for tp, future in futures.items():
            key = KafkaPartition(tp.topic, tp.partition)
            try:
                deleted: Any = await asyncio.wrap_future(future)
            except KafkaException as exc:
                raise translated(exc, f"delete old records of {tp.topic}[{tp.partition}]") from exc
            removed += int(deleted.low_watermark) - earliest[key]
        return removed

    async def _list_offsets(
        self, specs: dict[KafkaPartition, OffsetSpec]
    ) -> dict[KafkaPartition, int]:
        futures = self._client.list_offsets(specs, request_timeout=self._timeout_s)
        out: dict[KafkaPartition, int] = {}
        for tp, future in futures.items():
            try:
                result: Any = await asyncio.wrap_future(future)
            except KafkaException as exc:
                error = kafka_error(exc)
                if error is not None and error.code() == error.UNKNOWN_TOPIC_OR_PART:
                    continue  # deleted meanwhile
                raise translated(exc, f"list offsets of {tp.topic}[{tp.partition}]") from exc
            out[KafkaPartition(tp.topic, tp.partition)] = int(result.offset)
        return out
