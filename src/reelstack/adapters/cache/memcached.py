"""MemcachedCache: EVCache's model on memcached (``memcached://``), one pool per zone.

URL: ``memcached://a=HOST:PORT[,HOST:PORT];b=HOST:PORT[?OPTIONS]``: zones are
separated by ``;``, each named before ``=`` with its servers after it (a zone's
keys are spread over its servers by rendezvous hashing). A URL without zone
names, ``memcached://HOST:PORT[,HOST:PORT]``, is one zone: this instance's.
Options (integers): ``timeout_ms`` per call, connecting included (default 250;
a call is cut within a quarter more); ``down_ms``, how long a server that
failed is skipped, its calls failing at once (default 1000);
``pool_size``, connections per server (default 4); ``max_value_bytes``, the
largest value accepted (default 1 MiB, as the other caches); ``item_bytes``,
memcached's item size limit (default: asked of the servers at open).

What EVCache does, this does:

- Every write (``set``, ``delete``) goes to every zone at once. It succeeds
  when at least one zone took it; a zone that missed it (its server failing)
  may serve the value it had before until that expires or is evicted.
- Reads go to the zone of this instance (``service.zone``) first and fall
  back to the other zones, in URL order, on a miss or a failure. A read raises
  UnavailableError only when no zone answered at all.
- Zones named in ``cache.write_only_zones`` (a runtime setting) take writes but
  serve no reads: a new or emptied zone warms up before it is read.
- A value larger than one memcached item is stored in chunks under a
  manifest (:mod:`.memcached_chunks`): a reader never joins chunks of two
  writes, and a lost chunk is a miss in that zone, never a truncated value.
  Chunks of a replaced or deleted value are left to age out (TTL or LRU).
- TTLs: memcached counts whole seconds on its own clock, so a value lives at
  least ``ttl_s`` and at most about a second more. Past 30 days memcached reads
  the expiry as a Unix time, so such TTLs are sent as one (client and server
  clocks must agree).

The client is aiomcache (asyncio), chosen by measurement over pymemcache
behind threads: see docs/adr/0003-memcached-client.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from typing import Any

from reelstack import settings
from reelstack.adapters.cache import (
    DEFAULT_MAX_VALUE_BYTES,
    check_key,
    check_value,
    url_options,
)
from reelstack.adapters.cache.memcached_chunks import Manifest, split
from reelstack.adapters.cache.memcached_servers import (
    MANIFEST,
    Flagged,
    Server,
    Servers,
    Stored,
    Zone,
    memcached_expiry,
    parse_zones,
)
from reelstack.config import Config
from reelstack.errors import ConfigError, UnavailableError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 0.25
DEFAULT_DOWN_S = 1.0
DEFAULT_POOL_SIZE = 4
DEFAULT_ITEM_BYTES = 1024 * 1024
# Room in an item for the key (up to 250 bytes) and memcached's item header.
ITEM_OVERHEAD = 1024
# Keys per multi-key get: one command line each.
GET_BATCH = 100


class MemcachedCache:
    """A Cache on memcached: zone-replicated writes, local-zone-first reads.

    ``zones`` maps each zone to its servers' ``(host, port)``; ``zone`` is this
    instance's zone. ``timeout_s`` bounds every call to a server (connecting
    included); a server that failed is skipped for ``down_s``.
    ``max_value_bytes`` is the largest value accepted; values over one item
    (``item_bytes``, asked of the servers when None) are chunked.
    """

    def __init__(
        self,
        zones: dict[str, list[tuple[str, int]]],
        *,
        zone: str,
        write_only_zones: Collection[str] = (),
        timeout_s: float = DEFAULT_TIMEOUT_S,
        down_s: float = DEFAULT_DOWN_S,
        pool_size: int = DEFAULT_POOL_SIZE,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        item_bytes: int | None = None,
        default_ttl_s: float | None = None,
    ) -> None:
        if not zones or not all(zones.values()):
            raise ValueError("every zone needs at least one server")
        if timeout_s <= 0 or down_s < 0 or pool_size <= 0 or max_value_bytes <= 0:
            raise ValueError("timeout_s, pool_size and max_value_bytes must be > 0, down_s >= 0")
        if item_bytes is not None and item_bytes < 1024:
            raise ValueError(f"item_bytes is {item_bytes}; memcached items hold at least 1024")
        self.zone = zone
        self.max_value_bytes = max_value_bytes
        self.default_ttl_s = default_ttl_s
        self.item_bytes = item_bytes
        self._servers = Servers(timeout_s=timeout_s, down_s=down_s)
        self._zones = [
            Zone(name, [Server(host, port, pool_size) for host, port in addresses])
            for name, addresses in zones.items()
        ]
        local = [z for z in self._zones if z.name == zone]
        self._read_order = local + [z for z in self._zones if z.name != zone]
        self._write_only: frozenset[str] = frozenset(write_only_zones)
        self._chunk_bytes = _chunk_size(item_bytes or DEFAULT_ITEM_BYTES)

    @property
    def write_only_zones(self) -> frozenset[str]:
        """Zones that take writes but serve no reads; may change while running."""
        return self._write_only

    @write_only_zones.setter
    def write_only_zones(self, zones: Collection[str]) -> None:
        self._write_only = frozenset(zones)
        log.info("cache zones written but not read: %s", sorted(self._write_only) or "none")

    def failing_servers(self) -> list[str]:
        """Addresses of the servers currently skipped because they failed."""
        now = time.monotonic()
        return [
            server.address
            for zone in self._zones
            for server in zone.servers
            if server.failing_until > now
        ]

    @property
    def _all_servers(self) -> list[Server]:
        return [server for zone in self._zones for server in zone.servers]

    async def open(self) -> None:
        """Ask every server its item size limit; raise UnavailableError if none answers."""
        replies = await asyncio.gather(
            *(
                self._servers.call(s, lambda c: c.stats(b"settings"), "stats settings")
                for s in self._all_servers
            ),
            return_exceptions=True,
        )
        for reply in replies:
            if isinstance(reply, BaseException) and not isinstance(reply, UnavailableError):
                raise reply
        answers = [r for r in replies if isinstance(r, dict)]
        if not answers:
            raise UnavailableError("no memcached server answered: " + "; ".join(map(str, replies)))
        if self.item_bytes is None:
            # The smallest limit, so every chunk fits on every server.
            limits = [limit for limit in map(_item_limit, answers) if limit]
            self.item_bytes = min(limits) if limits else DEFAULT_ITEM_BYTES
        self._chunk_bytes = _chunk_size(self.item_bytes)

    async def close(self) -> None:
        await self._servers.close(self._all_servers)

    async def ping(self) -> None:
        """Return if any server answers (the cache still works on one zone)."""
        replies = await asyncio.gather(
            *(self._servers.call(s, lambda c: c.version(), "version") for s in self._all_servers),
            return_exceptions=True,
        )
        if not any(isinstance(r, bytes | bytearray) for r in replies):
            raise UnavailableError("no memcached server answers: " + "; ".join(map(str, replies)))

    # -- reads ---------------------------------------------------------------------

    def _reading(self) -> list[Zone]:
        write_only = self._write_only
        if not write_only:
            return self._read_order
        return [zone for zone in self._read_order if zone.name not in write_only]

    async def get(self, key: str) -> bytes | None:
        check_key(key)
        k = key.encode()
        errors: list[str] = []
        answered = False
        for zone in self._reading():
            server = zone.server_for(k)
            try:
                stored = await self._servers.call(server, lambda c: c.get(k), "get")
                if isinstance(stored, Flagged):
                    stored = await self._assemble(zone, k, stored)
            except UnavailableError as exc:
                errors.append(f"zone {zone.name}: {exc}")
                continue
            answered = True
            if stored is not None:
                return stored
        if errors and not answered:
            raise UnavailableError(f"cache get {key!r}: no zone answered: {'; '.join(errors)}")
        return None

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        for key in keys:
            check_key(key)
        pending = [key.encode() for key in dict.fromkeys(keys)]
        hits: dict[bytes, bytes] = {}
        errors: list[str] = []
        answered = False
        for zone in self._reading():
            if not pending:
                break
            found, failed = await self._get_many_in(zone, pending)
            for k, stored in found.items():
                if isinstance(stored, bytes):
                    hits[k] = stored
            manifests = [(k, v) for k, v in found.items() if isinstance(v, Flagged)]
            assembled = await asyncio.gather(
                *(self._assemble(zone, k, v) for k, v in manifests), return_exceptions=True
            )
            for (k, _), value in zip(manifests, assembled, strict=True):
                if isinstance(value, bytes):
                    hits[k] = value
                elif isinstance(value, BaseException) and not isinstance(value, Exception):
                    raise value
            errors += [f"zone {zone.name}: {error}" for error in failed]
            answered = answered or len(failed) < len({zone.server_for(k) for k in pending})
            pending = [k for k in pending if k not in hits]
        if errors and not answered:
            raise UnavailableError(f"cache get_many: no zone answered: {'; '.join(errors)}")
        return {k.decode(): value for k, value in hits.items()}

    async def _get_many_in(
        self, zone: Zone, keys: Sequence[bytes]
    ) -> tuple[dict[bytes, Stored], list[str]]:
        """Multi-key gets on each server of ``zone``; return the hits and each failure."""
        by_server: dict[Server, list[bytes]] = {}
        for k in keys:
            by_server.setdefault(zone.server_for(k), []).append(k)
        batches = [
            (server, group[i : i + GET_BATCH])
            for server, group in by_server.items()
            for i in range(0, len(group), GET_BATCH)
        ]

        async def fetch(server: Server, batch: list[bytes]) -> tuple[Stored | None, ...]:
            return await self._servers.call(server, lambda c: c.multi_get(*batch), "get")

        replies = await asyncio.gather(
            *(fetch(server, batch) for server, batch in batches), return_exceptions=True
        )
        found: dict[bytes, Stored] = {}
        failed: dict[Server, str] = {}
        for (server, batch), reply in zip(batches, replies, strict=True):
            if isinstance(reply, UnavailableError):
                failed[server] = str(reply)
            elif isinstance(reply, BaseException):
                raise reply
            else:
                found.update((k, v) for k, v in zip(batch, reply, strict=True) if v is not None)
        return found, list(failed.values())

    async def _assemble(self, zone: Zone, k: bytes, stored: Flagged) -> bytes | None:
        """Join a chunked value from ``zone``; None if a chunk is gone or the sum is wrong."""
        manifest = Manifest.unpack(stored.data) if stored.flags == MANIFEST else None
        if manifest is None:
            log.warning("cache key %r holds a value this cache did not write; a miss", k)
            return None
        names = manifest.chunk_keys(k)
        chunks, failed = await self._get_many_in(zone, names)
        if failed:
            raise UnavailableError("; ".join(failed))
        parts = [chunks.get(name) for name in names]
        if not all(isinstance(part, bytes) for part in parts):
            return None  # a chunk was evicted or expired: the value is gone
        value = manifest.join([part for part in parts if isinstance(part, bytes)])
        if value is None:
            log.warning("cache key %r in zone %s: chunks fail their checksum; a miss", k, zone.name)
        return value

    # -- writes --------------------------------------------------------------------

    async def set(self, key: str, value: bytes, *, ttl_s: float | None = None) -> None:
        check_key(key)
        check_value(key, value, self.max_value_bytes)
        exptime = memcached_expiry(ttl_s, self.default_ttl_s)
        k = key.encode()
        if len(value) <= self._chunk_bytes:

            async def put(zone: Zone) -> None:
                server = zone.server_for(k)
                await self._servers.call(server, lambda c: c.set(k, value, exptime), "set")

        else:
            written, chunks = split(k, value, self._chunk_bytes)
            manifest = Flagged(written.pack(), MANIFEST)

            async def put(zone: Zone) -> None:
                await self._put_chunked(zone, k, chunks, manifest, exptime)

        await self._everywhere(put, f"set {key!r}")

    async def _put_chunked(
        self, zone: Zone, k: bytes, chunks: dict[bytes, bytes], manifest: Flagged, exptime: int
    ) -> None:
        def put(name: bytes, data: Stored) -> Awaitable[bool]:
            server = zone.server_for(name)
            return self._servers.call(server, lambda c: c.set(name, data, exptime), "set")

        try:
            # Chunks first: a reader who finds the manifest finds its chunks.
            await _all(put(name, data) for name, data in chunks.items())
            await put(k, manifest)
        except UnavailableError:
            # The zone may still hold the key's old value: try to drop it.
            try:
                server = zone.server_for(k)
                await self._servers.call(server, lambda c: c.delete(k), "delete")
            except UnavailableError as exc:
                log.debug("cache zone %s may keep a stale %r: %s", zone.name, k, exc)
            raise

    async def delete(self, key: str) -> None:
        check_key(key)
        k = key.encode()

        async def drop(zone: Zone) -> None:
            await self._servers.call(zone.server_for(k), lambda c: c.delete(k), "delete")

        await self._everywhere(drop, f"delete {key!r}")

    async def _everywhere(self, op: Callable[[Zone], Awaitable[None]], what: str) -> None:
        """Run ``op`` in every zone at once; fail only if no zone took it."""
        if len(self._zones) == 1:
            await op(self._zones[0])
            return
        results = await asyncio.gather(*(op(z) for z in self._zones), return_exceptions=True)
        failures: list[str] = []
        for zone, result in zip(self._zones, results, strict=True):
            if isinstance(result, UnavailableError):
                failures.append(f"zone {zone.name}: {result}")
            elif isinstance(result, BaseException):
                raise result
        if len(failures) == len(self._zones):
            raise UnavailableError(f"cache {what}: no zone took it: {'; '.join(failures)}")
        if failures:
            log.debug("cache %s missed zones: %s", what, "; ".join(failures))


async def _all(calls: Iterable[Awaitable[Any]]) -> None:
    """Await every call concurrently; raise the first failure after all have ended."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _chunk_size(item_bytes: int) -> int:
    """The most bytes of a value one item holds beside its key and header."""
    return max(item_bytes - ITEM_OVERHEAD, item_bytes // 2)


def _item_limit(stats: dict[bytes, bytes | None]) -> int:
    raw = stats.get(b"item_size_max")
    return int(raw) if raw and raw.isdigit() else 0


def from_url(url: str, config: Config) -> MemcachedCache:
    """Build a MemcachedCache from ``memcached://a=HOST:PORT;b=HOST:PORT[?OPTIONS]``."""
    source = config.resolved(settings.CACHE_URL).source
    zone = config.get(settings.SERVICE_ZONE)
    try:
        zones = parse_zones(url, zone)
    except ValueError as exc:
        raise ConfigError(settings.CACHE_URL.key, url, source, str(exc)) from None
    known = {"timeout_ms", "down_ms", "pool_size", "max_value_bytes", "item_bytes"}
    options = url_options(url, config, settings.CACHE_URL, known)
    write_only: frozenset[str] = config.get(settings.CACHE_WRITE_ONLY_ZONES)
    try:
        cache = MemcachedCache(
            zones,
            zone=zone,
            write_only_zones=write_only,
            timeout_s=options.get("timeout_ms", DEFAULT_TIMEOUT_S * 1000) / 1000,
            down_s=options.get("down_ms", DEFAULT_DOWN_S * 1000) / 1000,
            pool_size=options.get("pool_size", DEFAULT_POOL_SIZE),
            max_value_bytes=options.get("max_value_bytes", DEFAULT_MAX_VALUE_BYTES),
            item_bytes=options.get("item_bytes"),
        )
    except ValueError as exc:
        raise ConfigError(settings.CACHE_URL.key, url, source, str(exc)) from None

    def follow(key: str, value: Any) -> None:
        if key == settings.CACHE_WRITE_ONLY_ZONES.key:
            cache.write_only_zones = value

    config.on_change(follow)
    return cache
