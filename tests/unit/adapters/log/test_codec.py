"""Record batches: what the log stores per append and partition, and how it reads them back."""

from __future__ import annotations

import dataclasses
import random

import pytest

from reelstack.adapters.log import codec
from reelstack.adapters.log.batching import check_records, place
from reelstack.adapters.log.records import make_metadata, make_record
from reelstack.errors import InvalidRequestError, RecordTooLargeError, StoreCorruptError
from reelstack.ports.log import Record, RecordMetadata
from reelstack.ports.partitioning import Partitioner


def _decode(payload: bytes, start: int = 0, stop: int = 1_000_000) -> list[Record]:
    return codec.decode(
        payload,
        topic="plays",
        partition=3,
        base_offset=100,
        timestamp_ms=1234,
        start=start,
        stop=stop,
        where=lambda: "/data/log.db",
    )


def test_batches_round_trip_keys_values_and_any_slice() -> None:
    rng = random.Random(5)
    for _ in range(300):
        count = rng.randint(1, 25)
        shape = rng.choice(["keyless", "keyed", "mixed"])
        keys: list[bytes | None] = [
            None
            if shape == "keyless" or (shape == "mixed" and rng.random() < 0.5)
            else rng.randbytes(rng.randint(0, 12))
            for _ in range(count)
        ]
        values = [rng.randbytes(rng.randint(0, 40)) for _ in range(count)]
        payload = codec.encode(values, None if shape == "keyless" else keys)
        start = rng.randint(0, count - 1)
        stop = rng.randint(start + 1, count + 3)
        records = _decode(payload, start, stop)
        assert records == [
            Record("plays", 3, 100 + i, keys[i], values[i], 1234)
            for i in range(start, min(stop, count))
        ]


def test_an_empty_key_stays_distinct_from_no_key() -> None:
    records = _decode(codec.encode([b"a", b"b"], [b"", None]))
    assert [r.key for r in records] == [b"", None]


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p[: len(p) - 3],  # cut short
        lambda p: p[:4],  # header cut
        lambda p: b"\x09" + p[1:],  # a format this code does not know
    ],
)
def test_a_damaged_batch_is_reported_as_a_corrupt_store(damage: object) -> None:
    payload = codec.encode([b"value-1", b"value-2"], [b"k", None])
    with pytest.raises(StoreCorruptError) as info:
        _decode(damage(payload))  # type: ignore[operator]
    assert "/data/log.db" in str(info.value)


def test_fast_builders_make_objects_equal_to_the_constructors() -> None:
    record = make_record("plays", 1, 7, b"k", b"v", 99)
    assert record == Record("plays", 1, 7, b"k", b"v", 99)
    assert hash(record) == hash(Record("plays", 1, 7, b"k", b"v", 99))
    assert type(record) is Record
    metadata = make_metadata("plays", 2, 8, 99)
    assert metadata == RecordMetadata("plays", 2, 8, 99)
    assert type(metadata) is RecordMetadata
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.offset = 3  # type: ignore[misc]


def test_check_records_refuses_bad_shapes_types_and_sizes() -> None:
    with pytest.raises(InvalidRequestError):
        check_records("t", [(None, b"ok"), (None, "text")], 100)  # type: ignore[list-item]
    with pytest.raises(InvalidRequestError):
        check_records("t", [("key", b"ok")], 100)  # type: ignore[list-item]
    with pytest.raises(InvalidRequestError):
        check_records("t", [(None, b"ok", b"extra")], 100)  # type: ignore[list-item]
    with pytest.raises(RecordTooLargeError):
        check_records("t", [(None, b"x" * 50), (b"k" * 60, b"x" * 41)], 100)
    assert check_records("t", [(None, b"x" * 100)], 100) == (None, [b"x" * 100])


def test_placement_groups_per_partition_and_maps_offsets_back_in_input_order() -> None:
    rng = random.Random(9)
    for _ in range(200):
        partitioner = Partitioner(rng.randint(1, 5), sticky_bytes=rng.randint(1, 60))
        count = rng.randint(1, 30)
        keyed = rng.random() < 0.7
        keys: list[bytes | None] = [
            rng.choice([None, b"a", b"b", b"c"]) if keyed else None for _ in range(count)
        ]
        values = [rng.randbytes(rng.randint(0, 20)) for _ in range(count)]
        placement = place(partitioner, keys if keyed else None, values)
        bases = [rng.randint(0, 500) for _ in placement.batches]
        metadata = placement.metadata("t", bases, 42)
        base_of = {b.partition: base for b, base in zip(placement.batches, bases, strict=True)}
        seen: dict[int, int] = {}
        for i, md in enumerate(metadata):
            rank = seen.get(md.partition, 0)
            seen[md.partition] = rank + 1
            assert md.offset == base_of[md.partition] + rank
            batch = next(b for b in placement.batches if b.partition == md.partition)
            assert batch.values[rank] == values[i]
            assert (batch.keys[rank] if batch.keys is not None else None) == keys[i]
        assert sorted(seen.items()) == sorted(
            (b.partition, len(b.values)) for b in placement.batches
        )
