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
    i32  key length  x count   (only with keys; -1 is "no key")
    u32  value length x count
    the records' bytes, one after the other: key (if any) then value

The lengths come first, in two fixed-width arrays, so a reader unpacks them in
one C call and slices out just the records it wants (a consumer often starts
in the middle of a batch).
"""

from __future__ import annotations

import functools
import itertools
import struct
from collections.abc import Callable, Sequence

from reelstack.errors import StoreCorruptError
from reelstack.ports.log import Record

FORMAT = 1
_HAS_KEYS = 0x01
_HEAD = struct.Struct("<BBI")


@functools.lru_cache(maxsize=1024)
def _array(code: str, count: int) -> struct.Struct:
    return struct.Struct(f"<{count}{code}")


def encode(keys: Sequence[bytes | None], values: Sequence[bytes]) -> bytes:
    """Return the payload of a batch of ``(keys[i], values[i])`` records."""
    count = len(values)
    if not any(key is not None for key in keys):
        return b"".join(
            (_HEAD.pack(FORMAT, 0, count), _array("I", count).pack(*map(len, values)), *values)
        )
    key_lengths = [-1 if key is None else len(key) for key in keys]
    parts: list[bytes] = [
        _HEAD.pack(FORMAT, _HAS_KEYS, count),
        _array("i", count).pack(*key_lengths),
        _array("I", count).pack(*map(len, values)),
    ]
    for key, value in zip(keys, values, strict=True):
        if key:
            parts.append(key)
        parts.append(value)
    return b"".join(parts)


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
        key_lengths: tuple[int, ...] | None = None
        if flags & _HAS_KEYS:
            key_lengths = _array("i", count).unpack_from(payload, at)
            at += 4 * count
        value_lengths: tuple[int, ...] = _array("I", count).unpack_from(payload, at)
        at += 4 * count
    except (struct.error, ValueError) as exc:
        raise StoreCorruptError(where(), f"record batch at offset {base_offset}: {exc}") from None
    stop = min(stop, count)
    out: list[Record] = []
    append = out.append
    if key_lengths is None:
        pos = at + sum(value_lengths[:start])
        offset = base_offset + start
        for size in value_lengths[start:stop]:
            end = pos + size
            append(Record(topic, partition, offset, None, payload[pos:end], timestamp_ms))
            pos = end
            offset += 1
    else:
        pos = at + sum(value_lengths[:start]) + sum(n for n in key_lengths[:start] if n > 0)
        offset = base_offset + start
        for key_size, size in itertools.islice(
            zip(key_lengths, value_lengths, strict=True), start, stop
        ):
            key: bytes | None = None
            if key_size >= 0:
                key = payload[pos : pos + key_size]
                pos += key_size
            end = pos + size
            append(Record(topic, partition, offset, key, payload[pos:end], timestamp_ms))
            pos = end
            offset += 1
    if pos > len(payload):
        raise StoreCorruptError(where(), f"record batch at offset {base_offset} is truncated")
    return out
