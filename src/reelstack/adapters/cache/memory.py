"""MemoryCache: an in-process LRU with TTLs (``memory://``).

Bounded by item count and by bytes; the least recently used entries go first.
Each process has its own: use ``sqlite:///...`` when instances of a service
must see one cache.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from reelstack import settings
from reelstack.adapters.cache import (
    DEFAULT_MAX_VALUE_BYTES,
    check_key,
    check_value,
    expiry,
    url_options,
)
from reelstack.config import Config
from reelstack.errors import UnavailableError

DEFAULT_MAX_ITEMS = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Rough bookkeeping cost of one entry, so many tiny values still count.
ENTRY_OVERHEAD = 64


class MemoryCache:
    """An in-process LRU cache with per-entry TTLs.

    ``max_items`` and ``max_bytes`` bound the cache (keys, values and a small
    per-entry overhead count towards bytes); ``max_value_bytes`` is the largest
    value accepted; ``default_ttl_s`` applies when ``set`` is given no TTL
    (None: entries live until evicted).
    """

    def __init__(
        self,
        *,
        max_items: int = DEFAULT_MAX_ITEMS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        default_ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_items <= 0 or max_bytes <= 0 or max_value_bytes <= 0:
            raise ValueError("max_items, max_bytes and max_value_bytes must be > 0")
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.max_value_bytes = min(max_value_bytes, max_bytes)
        self.default_ttl_s = default_ttl_s
        self._clock = clock
        # key -> (value, expires_at or None); the order is least recently used first.
        self._entries: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()
        self._bytes = 0
        self._open = False

    @property
    def size_bytes(self) -> int:
        """Bytes the entries take, as counted against ``max_bytes``."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    async def open(self) -> None:
        self._open = True

    async def close(self) -> None:
        self._open = False
        self._entries.clear()
        self._bytes = 0

    async def ping(self) -> None:
        if not self._open:
            raise UnavailableError("memory cache is not open")

    async def get(self, key: str) -> bytes | None:
        check_key(key)
        return self._lookup(key, self._clock())

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        for key in keys:
            check_key(key)
        now = self._clock()
        hits: dict[str, bytes] = {}
        for key in keys:
            value = self._lookup(key, now)
            if value is not None:
                hits[key] = value
        return hits

    async def set(self, key: str, value: bytes, *, ttl_s: float | None = None) -> None:
        check_key(key)
        check_value(key, value, self.max_value_bytes)
        expires = expiry(ttl_s, self.default_ttl_s, self._clock())
        self._remove(key)
        self._entries[key] = (value, expires)
        self._bytes += _cost(key, value)
        while len(self._entries) > self.max_items or self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._remove(oldest)

    async def delete(self, key: str) -> None:
        check_key(key)
        self._remove(key)

    def _lookup(self, key: str, now: float) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires is not None and expires <= now:
            self._remove(key)
            return None
        self._entries.move_to_end(key)
        return value

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= _cost(key, entry[0])


def _cost(key: str, value: bytes) -> int:
    return len(key) + len(value) + ENTRY_OVERHEAD


def from_url(url: str, config: Config) -> MemoryCache:
    """Build a MemoryCache from ``memory://[?max_items=N&max_bytes=N&max_value_bytes=N]``."""
    options = url_options(
        url, config, settings.CACHE_URL, {"max_items", "max_bytes", "max_value_bytes"}
    )
    return MemoryCache(
        max_items=options.get("max_items", DEFAULT_MAX_ITEMS),
        max_bytes=options.get("max_bytes", DEFAULT_MAX_BYTES),
        max_value_bytes=options.get("max_value_bytes", DEFAULT_MAX_VALUE_BYTES),
    )
