"""SqliteEventLog: the EventLog port on one SQLite file (``sqlite:///PATH``).

The embedded stand-in for Kafka. The platform runs every service as separate
processes, and they all share this one file: appends from any process get
distinct, gapless offsets; consumer groups span processes. The storage layout
is described in :mod:`reelstack.adapters.log.store`, the group protocol in
:mod:`reelstack.adapters.log.group`.

Every write is one ``BEGIN IMMEDIATE`` transaction (writers queue on the file's
lock, waiting up to the busy timeout, never failing with "database is
locked"); all SQLite calls run on one dedicated thread per instance, off the
event loop. An ``append_many`` is one transaction writing one record batch
per partition it touches, so its cost per record is mostly the bytes.

Durability: WAL with ``synchronous=NORMAL``. A committed transaction is in the
WAL file (in the OS page cache) before ``append`` returns, so it survives the
crash or kill of any process; only a power loss or OS crash may drop the last
transactions, since the WAL is synced at checkpoints, not at every commit.
That is Kafka's own default (it acknowledges once a write is in the page
cache and leaves flushing to the OS), and it costs a fraction of ``FULL``'s
fsync per append.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
import weakref
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Literal

from reelstack import settings
from reelstack.adapters.log import (
    DEFAULT_MAX_RECORD_BYTES,
    check_topic_name,
    check_topic_spec,
    codec,
)
from reelstack.adapters.log.batching import check_records, place
from reelstack.adapters.log.sqlite_consumer import SqliteConsumer
from reelstack.adapters.log.store import (
    SCHEMA,
    SCHEMA_VERSION,
    TOPIC_COLUMNS,
    Topic,
    append_batches,
    read_partition,
    topic_from_row,
    trim,
)
from reelstack.adapters.sqlite_common import (
    BUSY_TIMEOUT_S,
    SqliteConnection,
    execute_script,
    path_from_setting,
)
from reelstack.config import Config
from reelstack.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    UnavailableError,
)
from reelstack.ports.log import Consumer, Record, RecordMetadata, TopicPartition, TopicSpec
from reelstack.ports.partitioning import Partitioner

log = logging.getLogger(__name__)

# Kafka's default log.retention.hours (7 days).
DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000


class SqliteEventLog:
    """The EventLog port on one SQLite file shared by this host's processes.

    ``path`` is the file (created with its folders); ``retention_ms`` applies
    to topics created without one; ``max_record_bytes`` bounds a record's key
    plus value; ``busy_timeout_s`` is how long a write waits for another
    process's write lock. A topic's ``replication_factor`` is recorded and
    listed, but the embedded log keeps one copy, on this host.
    """

    def __init__(
        self,
        path: Path,
        *,
        retention_ms: int = DEFAULT_RETENTION_MS,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> None:
        if retention_ms <= 0 or max_record_bytes <= 0:
            raise ValueError("retention_ms and max_record_bytes must be > 0")
        self.path = path
        self.retention_ms = retention_ms
        self.max_record_bytes = max_record_bytes
        self.db = SqliteConnection(path, busy_timeout_s=busy_timeout_s)
        self._topics: dict[str, Topic] = {}
        self._partitioners: dict[str, Partitioner] = {}
        self._consumers: weakref.WeakSet[SqliteConsumer] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"SqliteEventLog({str(self.path)!r})"

    # -- lifecycle -----------------------------------------------------------------

    async def open(self) -> None:
        await self.db.open(self._setup)

    def _setup(self, conn: sqlite3.Connection) -> None:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise UnavailableError(
                f"log file {self.path} has format {version}; this reelstack reads "
                f"up to {SCHEMA_VERSION}: upgrade reelstack"
            )
        execute_script(conn, SCHEMA)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    async def close(self) -> None:
        """Leave the groups of this instance's started consumers, then close the file."""
        if self.db.is_open:
            for consumer in list(self._consumers):
                try:
                    await consumer.stop()
                except UnavailableError as exc:
                    log.warning("%r could not leave its group on close: %s", consumer, exc)
        await self.db.close()

    async def ping(self) -> None:
        await self.db.ping()

    def track(self, consumer: SqliteConsumer) -> None:
        """Remember a started consumer so ``close`` makes it leave its group."""
        self._consumers.add(consumer)

    def untrack(self, consumer: SqliteConsumer) -> None:
        self._consumers.discard(consumer)

    # -- topics ----------------------------------------------------------------------

    async def create_topic(self, spec: TopicSpec) -> None:
        """Create a topic; no-op if it exists with the same partition count."""
        name = check_topic_spec(spec)

        def work(conn: sqlite3.Connection) -> Topic:
            row = conn.execute(
                f"SELECT {TOPIC_COLUMNS} FROM log_topics WHERE name = ?", (name,)
            ).fetchone()
            if row is not None:
                return topic_from_row(row)
            topic_id = conn.execute(
                "INSERT INTO log_topics (name, partitions, retention_ms, replication_factor, "
                "created_ms) VALUES (?, ?, ?, ?, ?)",
                (name, spec.partitions, spec.retention_ms, spec.replication_factor, _now_ms()),
            ).lastrowid
            conn.executemany(
                "INSERT INTO log_partitions (topic_id, partition, earliest, next_offset) "
                "VALUES (?, ?, 0, 0)",
                [(topic_id, partition) for partition in range(spec.partitions)],
            )
            return Topic(
                int(topic_id or 0),
                name,
                spec.partitions,
                spec.retention_ms,
                spec.replication_factor,
            )

        topic = await self.db.write(work, action=f"create topic {name!r}")
        self._topics[name] = topic
        if topic.partitions != spec.partitions:
            raise ConflictError(
                f"topic {name!r} exists with {topic.partitions} partitions, not {spec.partitions}"
            )

    async def list_topics(self) -> list[TopicSpec]:
        def work(conn: sqlite3.Connection) -> list[Topic]:
            return [
                topic_from_row(row)
                for row in conn.execute(f"SELECT {TOPIC_COLUMNS} FROM log_topics ORDER BY name")
            ]

        topics = await self.db.read(work, action="list topics")
        self._topics.update((topic.name, topic) for topic in topics)
        return [topic.spec for topic in topics]

    async def topic(self, name: str) -> Topic:
        """Return a topic's row (cached: topics never change); NotFoundError if none."""
        topic = self._topics.get(name)
        if topic is not None:
            return topic
        check_topic_name(name)

        def work(conn: sqlite3.Connection) -> Topic | None:
            row = conn.execute(
                f"SELECT {TOPIC_COLUMNS} FROM log_topics WHERE name = ?", (name,)
            ).fetchone()
            return None if row is None else topic_from_row(row)

        found = await self.db.read(work, action=f"look up topic {name!r}")
        if found is None:
            raise NotFoundError(f"topic {name!r} does not exist in {self.path}")
        self._topics[name] = found
        return found

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
        """Append ``(key, value)`` records durably, all or none, in order per partition."""
        return await self._append(topic, records, None)

    async def _append(
        self,
        name: str,
        records: Sequence[tuple[bytes | None, bytes]],
        timestamp_ms: int | None,
    ) -> list[RecordMetadata]:
        topic = await self.topic(name)
        if not records:
            return []
        keys, values = check_records(name, records, self.max_record_bytes)
        partitioner = self._partitioners.get(name)
        if partitioner is None:
            partitioner = self._partitioners[name] = Partitioner(
                topic.partitions, start=random.randrange(topic.partitions)
            )
        placement = place(partitioner, keys, values)
        encoded = [
            (batch.partition, len(batch.values), codec.encode(batch.values, batch.keys))
            for batch in placement.batches
        ]
        stamp = _now_ms() if timestamp_ms is None else timestamp_ms
        bases = await self.db.write(
            partial(append_batches, topic_id=topic.topic_id, batches=encoded, timestamp_ms=stamp),
            action=f"append to topic {name!r}",
        )
        return placement.metadata(name, bases, stamp)

    # -- reading ---------------------------------------------------------------------

    async def _partition(self, tp: TopicPartition) -> Topic:
        topic = await self.topic(tp.topic)
        if not isinstance(tp.partition, int) or not 0 <= tp.partition < topic.partitions:
            raise NotFoundError(
                f"topic {tp.topic!r} has partitions 0 to {topic.partitions - 1}, "
                f"not {tp.partition!r}"
            )
        return topic

    async def read(
        self, tp: TopicPartition, offset: int, *, max_records: int = 500
    ) -> list[Record]:
        """Replay records of one partition from ``offset``, outside any group.

        An offset retention already passed reads from the earliest retained one.
        """
        topic = await self._partition(tp)
        if not isinstance(offset, int) or offset < 0:
            raise InvalidRequestError(f"offset must be an int >= 0, got {offset!r}")
        if max_records < 1:
            raise InvalidRequestError(f"max_records must be >= 1, got {max_records}")
        return await self.db.read(
            partial(
                read_partition,
                topic=topic,
                partition=tp.partition,
                offset=offset,
                max_records=max_records,
                where=str(self.path),
            ),
            action=f"read {tp.topic}[{tp.partition}]",
        )

    async def offsets(self, tp: TopicPartition) -> tuple[int, int]:
        """Return (earliest retained offset, next offset to be written)."""
        topic = await self._partition(tp)

        def work(conn: sqlite3.Connection) -> tuple[int, int]:
            earliest, next_offset = conn.execute(
                "SELECT earliest, next_offset FROM log_partitions "
                "WHERE topic_id = ? AND partition = ?",
                (topic.topic_id, tp.partition),
            ).fetchone()
            return int(earliest), int(next_offset)

        return await self.db.read(work, action=f"read the offsets of {tp.topic}[{tp.partition}]")

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
        return SqliteConsumer(
            self,
            group,
            topics,
            member_id=member_id,
            session_timeout_ms=session_timeout_ms,
            auto_offset_reset=auto_offset_reset,
        )

    async def enforce_retention(self) -> int:
        """Delete records past their topic's retention; return how many went.

        Whole batches go, from the front of each partition, as Kafka deletes
        whole segments: a record may outlive its retention a little, never the
        reverse.
        """
        await self.list_topics()
        removed = 0
        for topic in list(self._topics.values()):
            retention = topic.retention_ms or self.retention_ms
            cutoff = _now_ms() - retention
            gone = await self.db.write(
                partial(
                    trim, topic_id=topic.topic_id, partitions=topic.partitions, cutoff_ms=cutoff
                ),
                action=f"enforce retention on topic {topic.name!r}",
            )
            if gone:
                log.info(
                    "log %s: retention removed %d records of topic %r", self.path, gone, topic.name
                )
            removed += gone
        return removed


def _now_ms() -> int:
    return int(time.time() * 1000)


def from_url(url: str, config: Config) -> SqliteEventLog:
    """Build a SqliteEventLog from ``sqlite:///PATH``, with the configured default retention."""
    return SqliteEventLog(
        path_from_setting(url, config, settings.LOG_URL),
        retention_ms=config.get(settings.LOG_RETENTION_MS),
    )
