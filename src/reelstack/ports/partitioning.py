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

import bisect
import functools
import itertools
import struct
from collections.abc import Callable, Sequence

SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF
# Kafka's producer batch.size default: bytes a sticky partition takes before moving on.
DEFAULT_STICKY_BYTES = 16384
# Keys whose partition is remembered; past this the memo starts over.
DEFAULT_MEMO_KEYS = 65536


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


class Partitioner:
    """Kafka's default partitioner for one topic of ``partitions`` partitions.

    Keyed records: :func:`partition_for_key`, memoized for up to ``memo_keys``
    keys (event keys such as profile ids repeat, and murmur2 in Python costs
    about a microsecond). Keyless records: sticky, moving to the next
    partition once ``sticky_bytes`` went to the current one; ``start`` is the
    first partition (pick it at random so processes do not all begin at 0).
    """

    __slots__ = ("_current", "_filled", "_memo", "_memo_keys", "_sticky_bytes", "partitions")

    def __init__(
        self,
        partitions: int,
        *,
        sticky_bytes: int = DEFAULT_STICKY_BYTES,
        start: int = 0,
        memo_keys: int = DEFAULT_MEMO_KEYS,
    ) -> None:
        if partitions < 1 or sticky_bytes < 1:
            raise ValueError("partitions and sticky_bytes must be >= 1")
        self.partitions = partitions
        self._sticky_bytes = sticky_bytes
        self._current = start % partitions
        self._filled = 0
        self._memo: dict[bytes, int] = {}
        self._memo_keys = memo_keys

    @property
    def remembered_keys(self) -> int:
        """How many keys' partitions the memo holds now."""
        return len(self._memo)

    def for_key(self, key: bytes) -> int:
        """Return the partition of a keyed record."""
        partition = self._memo.get(key)
        if partition is None:
            partition = partition_for_key(key, self.partitions)
            if len(self._memo) >= self._memo_keys:
                self._memo.clear()
            self._memo[key] = partition
        return partition

    def for_keys(self, keys: Sequence[bytes]) -> list[int]:
        """Return the partitions of keyed records (no None among ``keys``)."""
        memo = self._memo
        missing = set(keys).difference(memo)
        if missing:
            if len(memo) + len(missing) > self._memo_keys:
                memo.clear()
                missing = set(keys)
            for key in missing:
                memo[key] = partition_for_key(key, self.partitions)
        return list(map(memo.__getitem__, keys))

    def keyless(self, size: int) -> int:
        """Return the partition of one keyless record of ``size`` bytes."""
        if self._filled >= self._sticky_bytes:
            self._current = (self._current + 1) % self.partitions
            self._filled = 0
        self._filled += size
        return self._current

    def keyless_runs(self, sizes: Sequence[int]) -> list[tuple[int, int, int]]:
        """Place keyless records of ``sizes`` bytes, as ``(partition, start, stop)`` runs.

        The same placement as calling :meth:`keyless` per record, found by
        bisecting the running total of sizes instead of a loop per record.
        """
        totals = list(itertools.accumulate(sizes, initial=0))
        runs: list[tuple[int, int, int]] = []
        start, count = 0, len(sizes)
        while start < count:
            if self._filled >= self._sticky_bytes:
                self._current = (self._current + 1) % self.partitions
                self._filled = 0
            # The run ends after the record that brings the partition to sticky_bytes.
            stop = bisect.bisect_left(
                totals, totals[start] + self._sticky_bytes - self._filled, start + 1
            )
            stop = min(stop, count)
            runs.append((self._current, start, stop))
            self._filled += totals[stop] - totals[start]
            start = stop
        return runs
