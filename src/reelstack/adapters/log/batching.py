"""Turn one append's records into per-partition batches, and its offsets into metadata.

An ``append_many`` of a thousand records costs a few microseconds of Python
per record unless the per-record work is done by C loops (``map``, ``sorted``,
``itemgetter``, ``bytes.join``); this module keeps it there:

- keyless records are placed in whole runs by the sticky partitioner, each run
  one slice of the input;
- keyed records are placed through the partitioner's memo in one ``map``, then
  grouped by a stable sort on the partition, which keeps each key's order;
- the metadata comes back in input order, each record's offset being its
  partition's base offset plus its rank among that partition's records.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from operator import add, itemgetter

from reelstack.adapters.log.records import make_metadata
from reelstack.errors import InvalidRequestError, RecordTooLargeError
from reelstack.ports.log import RecordMetadata
from reelstack.ports.partitioning import Partitioner


def check_records(
    topic: str, records: Sequence[tuple[bytes | None, bytes]], limit: int
) -> tuple[list[bytes | None] | None, list[bytes]]:
    """Return the records' keys (None if none has one) and values, or raise for a bad one.

    RecordTooLargeError if a record's key plus value is over ``limit`` bytes.
    """
    try:
        keys, values = map(list, zip(*records, strict=True))
    except (TypeError, ValueError):
        raise InvalidRequestError(
            f"records for topic {topic!r} must be (key, value) pairs"
        ) from None
    # Type checks over the whole batch in C; the loops only name the culprit.
    if set(map(type, values)) != {bytes}:
        for value in values:
            if not isinstance(value, bytes):
                raise InvalidRequestError(f"record value must be bytes, got {type(value).__name__}")
    keyless = keys.count(None) == len(keys)
    if not keyless and not set(map(type, keys)) <= {bytes, type(None)}:
        for key in keys:
            if key is not None and not isinstance(key, bytes):
                raise InvalidRequestError(f"record key must be bytes, got {type(key).__name__}")
    if keyless:
        largest = max(map(len, values))
    elif None in keys:
        largest = max(map(_size, keys, values))
    else:
        largest = max(map(add, map(len, keys), map(len, values)))
    if largest > limit:
        raise RecordTooLargeError(
            f"a record of {largest} bytes for topic {topic!r} is over the {limit}-byte "
            "limit; nothing was written"
        )
    return (None if keyless else keys), values


def _size(key: bytes | None, value: bytes) -> int:
    return len(value) if key is None else len(key) + len(value)


@dataclass(frozen=True, slots=True)
class Batch:
    """The records of one append that go to one partition, in order."""

    partition: int
    keys: list[bytes | None] | None
    values: list[bytes]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an append's records go: ``batches``, and how to map offsets back."""

    batches: list[Batch]
    # Keyless: the sticky runs (partition, start, stop) in input order.
    runs: list[tuple[int, int, int]] | None = None
    # Keyed: each record's partition, in input order.
    placed: list[int] | None = None

    def metadata(self, topic: str, bases: Sequence[int], timestamp_ms: int) -> list[RecordMetadata]:
        """Return each record's metadata in input order, given each batch's base offset."""
        base_of = {batch.partition: base for batch, base in zip(self.batches, bases, strict=True)}
        if self.runs is not None:
            out: list[RecordMetadata] = []
            for partition, start, stop in self.runs:
                base = base_of[partition]
                base_of[partition] = base + stop - start
                out += map(
                    make_metadata,
                    itertools.repeat(topic),
                    itertools.repeat(partition),
                    range(base, base + stop - start),
                    itertools.repeat(timestamp_ms),
                )
            return out
        assert self.placed is not None
        following = {
            partition: itertools.count(base).__next__ for partition, base in base_of.items()
        }
        offsets = [following[partition]() for partition in self.placed]
        return list(
            map(
                make_metadata,
                itertools.repeat(topic),
                self.placed,
                offsets,
                itertools.repeat(timestamp_ms),
            )
        )


def place(
    partitioner: Partitioner, keys: list[bytes | None] | None, values: list[bytes]
) -> Placement:
    """Split one append's records into per-partition batches."""
    if keys is None:
        runs = partitioner.keyless_runs(list(map(len, values)))
        grouped: dict[int, list[bytes]] = {}
        for partition, start, stop in runs:
            grouped.setdefault(partition, []).extend(values[start:stop])
        return Placement([Batch(p, None, vs) for p, vs in grouped.items()], runs=runs)
    if None in keys:
        placed = [
            partitioner.keyless(len(value)) if key is None else partitioner.for_key(key)
            for key, value in zip(keys, values, strict=True)
        ]
    else:
        placed = partitioner.for_keys(keys)  # type: ignore[arg-type]
    counts = sorted(Counter(placed).items())
    if len(counts) == 1:
        return Placement([Batch(placed[0], keys, values)], placed=placed)
    # A stable sort on the partition keeps each partition's records in input order.
    order = sorted(range(len(placed)), key=placed.__getitem__)
    pick = itemgetter(*order)
    sorted_keys: tuple[bytes | None, ...] = pick(keys)
    sorted_values: tuple[bytes, ...] = pick(values)
    batches: list[Batch] = []
    start = 0
    for partition, count in counts:
        stop = start + count
        batches.append(
            Batch(partition, list(sorted_keys[start:stop]), list(sorted_values[start:stop]))
        )
        start = stop
    return Placement(batches, placed=placed)
