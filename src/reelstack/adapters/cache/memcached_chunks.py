"""Values larger than one memcached item, split into chunks under a manifest.

A chunked value is stored as its chunks, each under a key of its own, and then
a manifest under the value's key (memcached flags say which is which). The
manifest names the write's random version, the value's length, the chunk
count and a CRC-32 of the whole value. Chunk keys carry the version, so a
reader holding one write's manifest can only find that write's chunks: it
never joins chunks of two writes, and a lost chunk or a wrong checksum makes
the whole value a miss, never a truncated value.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass

_LAYOUT = struct.Struct(">4s8sQII")
_MAGIC = b"RSC1"


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a reader needs to find and check the chunks of one write."""

    version: bytes
    length: int
    count: int
    checksum: int

    def pack(self) -> bytes:
        return _LAYOUT.pack(_MAGIC, self.version, self.length, self.count, self.checksum)

    @classmethod
    def unpack(cls, data: bytes) -> Manifest | None:
        """The manifest in ``data``; None if ``data`` is not one."""
        if len(data) != _LAYOUT.size:
            return None
        magic, version, length, count, checksum = _LAYOUT.unpack(data)
        if magic != _MAGIC:
            return None
        return cls(version, length, count, checksum)

    def chunk_keys(self, key: bytes) -> list[bytes]:
        """The keys of this write's chunks of ``key``'s value, in order."""
        # The key itself may take all 250 bytes, so chunk keys carry a digest of
        # it; the random version keeps two keys with one digest apart.
        digest = (zlib.crc32(key).to_bytes(4, "big") + len(key).to_bytes(1, "big")).hex()
        version = self.version.hex()
        return [
            b"~chunk:%s:%s:%d" % (digest.encode(), version.encode(), i) for i in range(self.count)
        ]

    def join(self, parts: list[bytes]) -> bytes | None:
        """The value from its chunks; None unless length and checksum match."""
        value = b"".join(parts)
        if len(value) != self.length or zlib.crc32(value) != self.checksum:
            return None
        return value


def split(key: bytes, value: bytes, chunk_bytes: int) -> tuple[Manifest, dict[bytes, bytes]]:
    """A new write's manifest and its chunks by key."""
    count = -(-len(value) // chunk_bytes)
    manifest = Manifest(os.urandom(8), len(value), count, zlib.crc32(value))
    names = manifest.chunk_keys(key)
    chunks = {name: value[i * chunk_bytes : (i + 1) * chunk_bytes] for i, name in enumerate(names)}
    return manifest, chunks
