"""Kafka's default partitioner: a key lands where a Java producer would put it."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from reelstack.ports.partitioning import (
    Partitioner,
    murmur2,
    partition_for_key,
    to_positive,
)

# Apache Kafka's own UtilsTest.testMurmur2 values (Java ints).
KAFKA_MURMUR2 = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
]

# kafka-python's check against the Java producer's DefaultPartitioner, 1000 partitions.
JAVA_PARTITIONS_OF_1000 = [
    (b"", 681),
    (b"a", 524),
    (b"ab", 434),
    (b"abc", 107),
    (b"123456789", 566),
    (b"\x00 ", 742),
]


@pytest.mark.parametrize(("key", "expected"), KAFKA_MURMUR2)
def test_murmur2_equals_javas_utils_murmur2(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


@pytest.mark.parametrize(("key", "expected"), JAVA_PARTITIONS_OF_1000)
def test_key_lands_on_the_java_producers_partition(key: bytes, expected: int) -> None:
    assert partition_for_key(key, 1000) == expected


def test_to_positive_clears_the_sign_bit_rather_than_negating() -> None:
    assert to_positive(-1) == 0x7FFFFFFF
    assert to_positive(-973932308) == -973932308 & 0x7FFFFFFF
    assert to_positive(-973932308) != abs(-973932308)
    assert to_positive(12345) == 12345


def _int(value: int) -> int:
    """Wrap to a Java int."""
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _java_murmur2(data: bytes) -> int:
    """Utils.murmur2 transliterated line by line: signed ints, ``>>>``, fall-through switch."""
    length = len(data)
    m, r = 0x5BD1E995, 24
    h = _int(0x9747B28C ^ length)
    for i in range(length // 4):
        i4 = i * 4
        k = _int(
            (data[i4] & 0xFF)
            + ((data[i4 + 1] & 0xFF) << 8)
            + ((data[i4 + 2] & 0xFF) << 16)
            + ((data[i4 + 3] & 0xFF) << 24)
        )
        k = _int(k * m)
        k ^= (k & 0xFFFFFFFF) >> r
        k = _int(k * m)
        h = _int(h * m)
        h = _int(h ^ k)
    tail = length % 4
    if tail == 3:
        h = _int(h ^ ((data[(length & ~3) + 2] & 0xFF) << 16))
    if tail >= 2:
        h = _int(h ^ ((data[(length & ~3) + 1] & 0xFF) << 8))
    if tail >= 1:
        h = _int(h ^ (data[length & ~3] & 0xFF))
        h = _int(h * m)
    h = _int(h ^ ((h & 0xFFFFFFFF) >> 13))
    h = _int(h * m)
    return _int(h ^ ((h & 0xFFFFFFFF) >> 15))


def test_hash_matches_java_for_every_tail_length_and_high_bytes() -> None:
    # Bytes over 0x7f are where a port that forgets Java's signed bytes goes wrong.
    rng = random.Random(3)
    for length in range(64):
        for data in (bytes(range(0x80, 0x80 + length)), rng.randbytes(length)):
            assert murmur2(data) == _java_murmur2(data)


def test_keyed_placement_is_stable_and_uses_the_memo_within_its_bound() -> None:
    partitioner = Partitioner(6, memo_keys=8)
    keys = [b"profile-%d" % (i % 20) for i in range(200)]
    placed = partitioner.for_keys(keys)
    assert placed == [partition_for_key(key, 6) for key in keys]
    assert [partitioner.for_key(key) for key in keys] == placed
    # The memo starts over when full; it never holds more than one batch past its bound.
    assert partitioner.remembered_keys <= 20


def test_keyless_records_stick_to_a_partition_then_move_on() -> None:
    partitioner = Partitioner(4, sticky_bytes=1000, start=2)
    placed = [partitioner.keyless(100) for _ in range(40)]
    assert placed == [2] * 10 + [3] * 10 + [0] * 10 + [1] * 10


def test_keyless_records_spread_evenly_in_the_long_run() -> None:
    partitioner = Partitioner(5, sticky_bytes=2000)
    rng = random.Random(7)
    counts = Counter(partitioner.keyless(rng.randint(50, 350)) for _ in range(20_000))
    assert set(counts) == set(range(5))
    assert max(counts.values()) < 1.2 * min(counts.values())


def test_keyless_runs_place_exactly_as_one_record_at_a_time() -> None:
    rng = random.Random(11)
    for _ in range(300):
        partitions = rng.randint(1, 5)
        sticky = rng.randint(1, 800)
        start = rng.randint(0, 4)
        by_runs = Partitioner(partitions, sticky_bytes=sticky, start=start)
        one_by_one = Partitioner(partitions, sticky_bytes=sticky, start=start)
        for _ in range(4):
            sizes = [rng.randint(0, 300) for _ in range(rng.randint(0, 30))]
            runs = by_runs.keyless_runs(sizes)
            assert all(stop > begin for _, begin, stop in runs)
            flat = [partition for partition, begin, stop in runs for _ in range(begin, stop)]
            assert flat == [one_by_one.keyless(size) for size in sizes]


def test_partitioner_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        Partitioner(0)
    with pytest.raises(ValueError):
        Partitioner(3, sticky_bytes=0)
