"""Cache: the role EVCache plays. Bytes by key, with a TTL.

Keys are at most 250 bytes of printable ASCII without spaces (memcached's
rule, kept by every adapter so code that works embedded works on memcached).
A value over the adapter's size limit is refused with RecordTooLargeError,
never truncated. A cache may forget anything at any time: callers treat a
miss as normal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from reelstack.ports.lifecycle import Lifecycle


class Cache(Lifecycle, Protocol):
    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, *, ttl_s: float | None = None) -> None:
        """Store ``value``; it expires after ``ttl_s`` seconds (None: adapter default)."""
        ...

    async def delete(self, key: str) -> None: ...

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Return the hits among ``keys``; misses are absent."""
        ...
