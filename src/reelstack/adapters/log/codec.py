"""The byte layout of one stored record batch (one ``log_batches.payload``).

Like Kafka, the log stores record batches, not single records: one append
writes one batch per partition it touches, so a batch of a thousand records
costs one row, one index entry and one blob write. Every record of a batch
shares the batch's timestamp (the port gives ``append_many`` no per-record
timestamps), which lives in the batch's row.

Layout, little-endian::

    u8   format   (1)
    u8   flags    (bit 0: the batch has keys)
    u32  count
    i32  key length   x count   (only with keys; -1 is "no key")
    u32  value length x count
    the keys, one after the other (only with keys)
    the values, one after the other

Lengths first, in fixed-width arrays, and keys apart from values: a writer
packs and joins each part in one C call, and a reader unpacks the lengths in
one call and slices out just the records it wants (a consumer often starts in
the middle of a batch).
"""

from __future__ import annotations

import functools
import itertools
import struct
from collections.abc import Callable, Iterable, Sequence

from reelstack.adapters.log.records import make_record
from reelstack.errors import StoreCorruptError
from reelstack.ports.log import Record

FORMAT = 1
_HAS_KEYS = 0x01
_HEAD = struct.Struct("<BBI")


@functools.lru_cache(maxsize=1024)
def _array(code: str, count: int) -> struct.Struct:
    return struct.Struct(f"<{count}{code}")


def encode(values: Sequence[bytes], keys: Sequence[bytes | None] | None = None) -> bytes:
    """Return the payload of a batch of records (``keys``: None if none has a key)."""
    count = len(values)
    value_lengths = _array("I", count).pack(*map(len, values))
    if keys is None:
        return b"".join((_HEAD.pack(FORMAT, 0, count), value_lengths, *values))
    key_lengths = _array("i", count).pack(*[-1 if key is None else len(key) for key in keys])
    return b"".join(
        (
            _HEAD.pack(FORMAT, _HAS_KEYS, count),
            key_lengths,
            value_lengths,
            *[key for key in keys if key],
            *values,
        )
    )


def decode(
    payload: bytes,
    *,
    topic: str,
    partition: int,
    base_offset: int,
    timestamp_ms: int,
    start: int,
    stop: int,
    where: Callable[[], str],
) -> list[Record]:
    """Return records ``start`` to ``stop`` (indexes within the batch) of ``payload``.

    ``where`` names the store for the error raised if the payload is damaged.
    """
    try:
        fmt, flags, count = _HEAD.unpack_from(payload, 0)
        if fmt != FORMAT:
            raise ValueError(f"unknown batch format {fmt}")
        at = _HEAD.size
        key_lengths: tuple[int, ...] = ()
        if flags & _HAS_KEYS:
            key_lengths = _array("i", count).unpack_from(payload, at)
            at += 4 * count
        value_lengths: tuple[int, ...] = _array("I", count).unpack_from(payload, at)
        at += 4 * count
    except (struct.error, ValueError) as exc:
        raise StoreCorruptError(where(), f"record batch at offset {base_offset}: {exc}") from None
    stop = min(stop, count)
    offsets = range(base_offset + start, base_offset + stop)
    if key_lengths:
        every_key = min(key_lengths) >= 0
        key_sizes = key_lengths if every_key else [max(size, 0) for size in key_lengths]
        keys_at = at + sum(key_sizes[:start])
        at += sum(key_sizes)
        key_ends = itertools.pairwise(itertools.accumulate(key_sizes[start:stop], initial=keys_at))
        keys: Iterable[bytes | None]
        if every_key:
            keys = [payload[begin:end] for begin, end in key_ends]
        else:
            keys = [
                None if size < 0 else payload[begin:end]
                for size, (begin, end) in zip(key_lengths[start:stop], key_ends, strict=True)
            ]
    else:
        keys = itertools.repeat(None, stop - start)
    ends = list(
        itertools.accumulate(value_lengths[start:stop], initial=at + sum(value_lengths[:start]))
    )
    if ends[-1] > len(payload):
        raise StoreCorruptError(where(), f"record batch at offset {base_offset} is truncated")
    return [
        make_record(topic, partition, offset, key, payload[begin:end], timestamp_ms)
        for offset, key, (begin, end) in zip(offsets, keys, itertools.pairwise(ends), strict=True)
    ]
