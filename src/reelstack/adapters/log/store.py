"""The log file's tables, and the statements that append, read and trim them.

Storage layout (one SQLite file in WAL mode, shared by this host's processes):

- ``log_topics (topic_id, name, partitions, retention_ms,
  replication_factor)``: one row per topic; topics are never deleted and their
  partition count never changes, so processes may cache these rows.
- ``log_partitions (topic_id, partition, earliest, next_offset)``: the
  offsets of each partition: the earliest retained and the next to write.
  An append bumps ``next_offset`` with ``UPDATE ... RETURNING``, so offsets are
  handed out under the write lock and never repeat, even across processes.
- ``log_batches (topic_id, partition, base_offset, last_offset, timestamp_ms,
  payload)``: the records, as record batches (see
  :mod:`reelstack.adapters.log.codec`), found by the unique index on
  ``(topic_id, partition, last_offset)``: the first batch whose
  ``last_offset`` is at or after an offset holds that offset.
- the consumer-group tables of :mod:`reelstack.adapters.log.group`.

Within a partition the batches cover ``earliest`` to ``next_offset - 1``
without gaps: retention deletes whole batches from the front only, as Kafka
deletes whole segments, so a batch that is old but follows a newer one waits
for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from reelstack.adapters.log import codec
from reelstack.adapters.log.group import GROUP_SCHEMA, generation
from reelstack.ports.log import Record, TopicSpec

SCHEMA_VERSION = 1

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS log_topics (
    topic_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    partitions INTEGER NOT NULL,
    retention_ms INTEGER,
    replication_factor INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log_partitions (
    topic_id INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    earliest INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_batches (
    topic_id INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    base_offset INTEGER NOT NULL,
    last_offset INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS log_batches_by_offset
    ON log_batches (topic_id, partition, last_offset);
"""
    + GROUP_SCHEMA
)


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic's row, as cached by every process that uses it."""

    topic_id: int
    name: str
    partitions: int
    retention_ms: int | None
    replication_factor: int

    @property
    def spec(self) -> TopicSpec:
        return TopicSpec(self.name, self.partitions, self.retention_ms, self.replication_factor)


TOPIC_COLUMNS = "topic_id, name, partitions, retention_ms, replication_factor"


def topic_from_row(row: Sequence[object]) -> Topic:
    topic_id, name, partitions, retention_ms, replication_factor = row
    return Topic(
        int(topic_id),  # type: ignore[call-overload]
        str(name),
        int(partitions),  # type: ignore[call-overload]
        None if retention_ms is None else int(retention_ms),  # type: ignore[call-overload]
        int(replication_factor),  # type: ignore[call-overload]
    )


def append_batches(
    conn: sqlite3.Connection,
    topic_id: int,
    batches: Sequence[tuple[int, int, bytes]],
    timestamp_ms: int,
) -> list[int]:
    """Store ``(partition, count, payload)`` batches; return each one's base offset."""
    bases: list[int] = []
    for partition, count, payload in batches:
        (next_offset,) = conn.execute(
            "UPDATE log_partitions SET next_offset = next_offset + ? "
            "WHERE topic_id = ? AND partition = ? RETURNING next_offset",
            (count, topic_id, partition),
        ).fetchall()[0]
        base = next_offset - count
        conn.execute(
            "INSERT INTO log_batches (topic_id, partition, base_offset, last_offset, "
            "timestamp_ms, payload) VALUES (?, ?, ?, ?, ?, ?)",
            (topic_id, partition, base, next_offset - 1, timestamp_ms, payload),
        )
        bases.append(base)
    return bases


def read_partition(
    conn: sqlite3.Connection,
    topic: Topic,
    partition: int,
    offset: int,
    max_records: int,
    where: str,
) -> list[Record]:
    """Return up to ``max_records`` records of one partition from ``offset`` on.

    An offset retention already passed reads from the earliest retained one.
    """
    out: list[Record] = []
    cursor = conn.execute(
        "SELECT base_offset, timestamp_ms, payload FROM log_batches "
        "WHERE topic_id = ? AND partition = ? AND last_offset >= ? "
        "ORDER BY last_offset LIMIT ?",
        (topic.topic_id, partition, offset, max_records),
    )
    try:
        for base, timestamp_ms, payload in cursor:
            start = offset - base if offset > base else 0
            need = max_records - len(out)
            out += codec.decode(
                payload,
                topic=topic.name,
                partition=partition,
                base_offset=base,
                timestamp_ms=timestamp_ms,
                start=start,
                stop=start + need,
                where=lambda: where,
            )
            if len(out) >= max_records:
                break
    finally:
        # An unfinished statement would hold its read snapshot (and block checkpoints).
        cursor.close()
    return out


def fetch(
    conn: sqlite3.Connection,
    *,
    group: str,
    plan: Sequence[tuple[Topic, int, int]],
    max_records: int,
    where: str,
) -> tuple[int, list[Record], list[tuple[str, int, int]]]:
    """Read for a consumer: the group's generation, then records from each planned position.

    ``plan`` is ``(topic, partition, position)`` in the order to serve them;
    returns the records and each read partition's next position.
    """
    current = generation(conn, group)
    records: list[Record] = []
    positions: list[tuple[str, int, int]] = []
    for topic, partition, position in plan:
        need = max_records - len(records)
        if need <= 0:
            break
        got = read_partition(conn, topic, partition, position, need, where)
        if got:
            records += got
            positions.append((topic.name, partition, got[-1].offset + 1))
    return current, records, positions


def trim(conn: sqlite3.Connection, topic_id: int, partitions: int, cutoff_ms: int) -> int:
    """Delete each partition's leading batches stamped before ``cutoff_ms``; return records gone."""
    removed = 0
    for partition in range(partitions):
        keep = conn.execute(
            "SELECT base_offset FROM log_batches WHERE topic_id = ? AND partition = ? "
            "AND timestamp_ms >= ? ORDER BY last_offset LIMIT 1",
            (topic_id, partition, cutoff_ms),
        ).fetchall()
        earliest, next_offset = conn.execute(
            "SELECT earliest, next_offset FROM log_partitions WHERE topic_id = ? AND partition = ?",
            (topic_id, partition),
        ).fetchall()[0]
        keep_from = int(keep[0][0]) if keep else int(next_offset)
        if keep_from <= earliest:
            continue
        conn.execute(
            "DELETE FROM log_batches WHERE topic_id = ? AND partition = ? AND last_offset < ?",
            (topic_id, partition, keep_from),
        )
        conn.execute(
            "UPDATE log_partitions SET earliest = ? WHERE topic_id = ? AND partition = ?",
            (keep_from, topic_id, partition),
        )
        # Offsets have no gaps, so what went is the distance the front moved.
        removed += keep_from - int(earliest)
    return removed
