"""Kafka's default partitioner, so a key lands where a Java producer would put it.

Keyed records go to ``toPositive(murmur2(key)) % partitions`` with murmur2
exactly as ``org.apache.kafka.common.utils.Utils.murmur2`` computes it (32-bit
signed arithmetic, seed ``0x9747b28c``): a topic filled by reelstack and then
by a Java, librdkafka (``murmur2_random``) or kafka-python producer keeps every
key in one partition.

Keyless records use Kafka's "uniform sticky" partitioner (KIP-480, KIP-794):
they stick to one partition until about ``batch_bytes`` went there, then move
to the next one. Records spread evenly over the partitions in the long run, and
a batch of appends becomes a few large per-partition batches instead of one
tiny batch per partition.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable

SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
# Kafka's producer batch.size default: bytes a sticky partition takes before moving on.
DEFAULT_STICKY_BYTES = 16384


def murmur2(data: bytes) -> int:
    """Return Kafka's murmur2 hash of ``data`` as a signed 32-bit int, like Java's."""
    length = len(data)
    h = SEED ^ length
    words = length >> 2
    # Unsigned 32-bit arithmetic throughout; the bit patterns equal Java's ints.
    if words:
        for k in _words(words)(data):
            k = (k * _M) & _MASK
            k = ((k ^ (k >> 24)) * _M) & _MASK
            h = ((h * _M) & _MASK) ^ k
    end = words << 2
    tail = length - end
    if tail:
        if tail == 3:
            h ^= data[end + 2] << 16
        if tail >= 2:
            h ^= data[end + 1] << 8
        h = ((h ^ data[end]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


@functools.lru_cache(maxsize=256)
def _words(count: int) -> Callable[[bytes], tuple[int, ...]]:
    """An unpacker of ``count`` little-endian 32-bit words (Java reads them so)."""
    return struct.Struct(f"<{count}I").unpack_from


def to_positive(number: int) -> int:
    """Kafka's ``Utils.toPositive``: clear the sign bit (not ``abs``)."""
    return number & 0x7FFFFFFF


def partition_for_key(key: bytes, partitions: int) -> int:
    """Return the partition Kafka's default partitioner picks for ``key``."""
    return to_positive(murmur2(key)) % partitions


class StickyPartitioner:
    """Pick partitions for keyless records of one topic, sticking per ``batch_bytes``."""

    __slots__ = ("_batch_bytes", "_current", "_filled")

    def __init__(self, *, batch_bytes: int = DEFAULT_STICKY_BYTES, start: int = 0) -> None:
        if batch_bytes <= 0:
            raise ValueError("batch_bytes must be > 0")
        self._batch_bytes = batch_bytes
        self._current = start
        self._filled = 0

    def partition(self, partitions: int, size: int) -> int:
        """Return the partition for a keyless record of ``size`` bytes."""
        if self._filled >= self._batch_bytes:
            self._current += 1
            self._filled = 0
        self._filled += size
        return self._current % partitions
