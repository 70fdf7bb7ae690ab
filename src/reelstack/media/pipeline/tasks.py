"""Tasks on ``media.tasks`` and events on ``media.progress``: their shape and where they go.

A task names a job and a step: ``job`` (probe, plan, fan out), ``part`` (encode
one chunk, or the audio) or ``package`` (join, package, publish). Tasks carry
no state of their own: the job's row in the relational store says what is
done, so any worker can take any task, and a redelivered one finds its work
already recorded.

Parts are spread over the topic's partitions by a low-discrepancy sequence,
not by hashing: part ``i`` goes to partition ``floor(v(i) * P)`` where ``v`` is
the base-2 van der Corput sequence (0, 1/2, 1/4, 3/4, 1/8, ...). The workers
of the group hold contiguous ranges of partitions, so consecutive parts land
with different workers and any number of workers gets a near-equal share of
a job's chunks (plain round-robin would give the first worker the first P/W
chunks). Each job starts the sequence at its ordinal (how many jobs came
before it): any run of 2^m consecutive points still falls once in each of
2^m equal ranges, and the work left over when a job's parts do not divide
evenly among the workers (a longer chunk, the audio) lands with the next
worker for the next job, instead of with the same one every time. The event log port pins
Kafka's partitioner, so a key that lands on a chosen partition can be
computed once per partition.
"""

from __future__ import annotations

import functools
import itertools
import json
from dataclasses import dataclass

from reelstack.media.pipeline.jobtypes import (
    PROGRESS_PARTITIONS,
    PROGRESS_RETENTION_MS,
    PROGRESS_TOPIC,
    TASKS_TOPIC,
    ProgressEvent,
)
from reelstack.ports.log import EventLog, TopicSpec
from reelstack.ports.partitioning import partition_for_key

KINDS = ("job", "part", "package")


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work for a media worker."""

    kind: str
    job_id: str
    part: str | None = None
    """The chunk (``c0003``) or ``audio``, for a ``part`` task."""
    slot: int = 0
    """Spreads parts over partitions: the part's index in the job."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown task kind {self.kind!r}")
        if (self.kind == "part") != (self.part is not None):
            raise ValueError("a part task, and only a part task, names a part")

    def encode(self) -> bytes:
        """The task as the log stores it."""
        data: dict[str, object] = {"kind": self.kind, "job_id": self.job_id}
        if self.part is not None:
            data["part"] = self.part
            data["slot"] = self.slot
        return json.dumps(data, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Task:
        """Read a task; ValueError if it is not one."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("a task is a JSON object")
        return cls(
            kind=str(data["kind"]),
            job_id=str(data["job_id"]),
            part=None if data.get("part") is None else str(data["part"]),
            slot=int(data.get("slot", 0)),
        )


@functools.cache
def key_for_partition(partition: int, partitions: int) -> bytes:
    """A short key that Kafka's partitioner sends to ``partition`` of ``partitions``."""
    for n in itertools.count():
        key = f"p{partition}-{n}".encode()
        if partition_for_key(key, partitions) == partition:
            return key
    raise AssertionError("unreachable")


def van_der_corput(index: int) -> float:
    """The ``index``-th point of the base-2 van der Corput sequence in [0, 1)."""
    value, denominator = 0.0, 1.0
    while index:
        denominator *= 2
        index, bit = divmod(index, 2)
        value += bit / denominator
    return value


def partition_for_slot(slot: int, partitions: int) -> int:
    """The partition part number ``slot`` of a job goes to."""
    return min(partitions - 1, int(van_der_corput(slot) * partitions))


async def _partitions(log: EventLog, topic: str) -> int:
    for spec in await log.list_topics():
        if spec.name == topic:
            return spec.partitions
    return 1


async def enqueue(log: EventLog, *tasks: Task) -> None:
    """Append tasks: parts spread over the partitions, others keyed by job id."""
    if not tasks:
        return
    partitions = await _partitions(log, TASKS_TOPIC)
    records: list[tuple[bytes | None, bytes]] = []
    for task in tasks:
        if task.kind == "part":
            key = key_for_partition(partition_for_slot(task.slot, partitions), partitions)
        else:
            key = task.job_id.encode()
        records.append((key, task.encode()))
    await log.append_many(TASKS_TOPIC, records)


async def ensure_topics(log: EventLog, *, task_partitions: int) -> None:
    """Create the pipeline's topics if missing."""
    await log.create_topic(TopicSpec(TASKS_TOPIC, task_partitions))
    await log.create_topic(
        TopicSpec(PROGRESS_TOPIC, PROGRESS_PARTITIONS, retention_ms=PROGRESS_RETENTION_MS)
    )


async def publish_event(log: EventLog, event: ProgressEvent) -> None:
    """Append a progress event, keyed by job so one job's events stay in order."""
    await log.append(PROGRESS_TOPIC, event.encode(), key=event.job_id.encode())
