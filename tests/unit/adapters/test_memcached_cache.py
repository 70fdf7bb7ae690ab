"""MemcachedCache against a scripted memcached: timeouts, expiry, chunking, key placement."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

pytest.importorskip("aiomcache")

from reelstack.adapters.cache.memcached import MemcachedCache
from reelstack.adapters.cache.memcached_chunks import Manifest, split
from reelstack.adapters.cache.memcached_servers import (
    RELATIVE_LIMIT_S,
    Server,
    Zone,
    memcached_expiry,
    parse_zones,
)
from reelstack.errors import UnavailableError
from tests.support.wait import eventually


class ScriptedMemcached:
    """A memcached that answers ``get``/``gets`` with each key's own name, one command at a time.

    A key starting with ``slow`` is answered only after ``delay_s``, as a
    server does when it stalls; replies on one connection keep their order.
    """

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.server: asyncio.Server | None = None
        self.stalled = 0  # slow requests received so far

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        host, port = self.server.sockets[0].getsockname()[:2]
        self.address: tuple[str, int] = (host, port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                words = line.split()
                if words[:2] == [b"stats", b"settings"]:
                    writer.write(b"STAT item_size_max 1048576\r\nEND\r\n")
                elif words[:1] in ([b"get"], [b"gets"]):
                    if words[1].startswith(b"slow"):
                        self.stalled += 1
                        await asyncio.sleep(self.delay_s)
                    cas = b" 1" if words[0] == b"gets" else b""
                    reply = b"".join(
                        b"VALUE %s 0 %d%s\r\n%s\r\n" % (key, len(key), cas, key)
                        for key in words[1:]
                    )
                    writer.write(reply + b"END\r\n")
                else:
                    writer.write(b"ERROR\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedMemcached]:
    server = ScriptedMemcached(delay_s=0.5)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def test_a_reply_that_came_too_late_is_never_taken_for_the_next_calls(
    scripted: ScriptedMemcached,
) -> None:
    cache = MemcachedCache(
        {"a": [scripted.address]}, zone="a", timeout_s=0.1, down_s=0.001, pool_size=1
    )
    await cache.open()
    try:
        with pytest.raises(UnavailableError, match="within 100 ms"):
            await cache.get("slow-key")
        await eventually(lambda: not cache.failing_servers(), "the server back in use")
        # Reusing the cut connection would read "slow-key"'s late reply here.
        assert await cache.get("next") == b"next"
        assert await cache.get_many(["one", "two"]) == {"one": b"one", "two": b"two"}
    finally:
        await cache.close()


async def test_a_caller_cancelled_mid_reply_leaves_no_stale_reply(
    scripted: ScriptedMemcached,
) -> None:
    cache = MemcachedCache({"a": [scripted.address]}, zone="a", timeout_s=5, pool_size=1)
    await cache.open()
    try:
        call = asyncio.ensure_future(cache.get("slow-key"))
        # The request is on the wire, its reply not yet.
        await eventually(lambda: scripted.stalled, "the request at the server")
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert await cache.get("after") == b"after"
    finally:
        await cache.close()


def test_ttls_become_whole_seconds_never_shorter_and_unix_times_past_30_days() -> None:
    assert memcached_expiry(None, None) == 0
    assert memcached_expiry(float("inf"), None) == 0
    assert memcached_expiry(0.3, None) == 2
    assert memcached_expiry(2, None) == 3
    assert memcached_expiry(None, 10) == 11
    assert memcached_expiry(RELATIVE_LIMIT_S - 1, None) == RELATIVE_LIMIT_S
    month = 31 * 24 * 3600
    assert abs(memcached_expiry(month, None) - (time.time() + month)) < 5
    assert memcached_expiry(100 * 365 * 24 * 3600, None) == 0, "past 2038: never expires"


def test_chunks_split_and_join_back_and_a_changed_chunk_is_refused() -> None:
    value = bytes(range(256)) * 40
    manifest, chunks = split(b"k", value, 1000)
    assert manifest.count == 11 and len(chunks) == 11
    assert list(chunks) == manifest.chunk_keys(b"k")
    assert all(len(key) < 250 for key in manifest.chunk_keys(b"k" * 250))
    assert Manifest.unpack(manifest.pack()) == manifest
    assert manifest.join(list(chunks.values())) == value
    parts = list(chunks.values())
    parts[3] = b"x" * len(parts[3])
    assert manifest.join(parts) is None
    assert manifest.join(parts[:-1]) is None
    other, _ = split(b"k", value, 1000)
    assert set(other.chunk_keys(b"k")).isdisjoint(manifest.chunk_keys(b"k"))
    assert Manifest.unpack(b"not a manifest") is None


def test_keys_spread_over_a_zone_and_stay_put_when_a_server_joins() -> None:
    servers = [Server("127.0.0.1", port, 1) for port in (1, 2, 3)]
    keys = [f"key-{i}".encode() for i in range(3000)]
    three = Zone("a", servers)
    placed = {k: three.server_for(k) for k in keys}
    counts = [sum(1 for s in placed.values() if s is server) for server in servers]
    assert all(800 < count < 1200 for count in counts), counts
    four = Zone("a", [*servers, Server("127.0.0.1", 4, 1)])
    moved = [k for k in keys if four.server_for(k) is not placed[k]]
    assert 500 < len(moved) < 1000, "about a quarter move, all to the new server"
    assert all(four.server_for(k).port == 4 for k in moved)


def test_zones_are_read_from_the_url() -> None:
    assert parse_zones("memcached://a=h:1,h:2;b=[::1]:3", "a") == {
        "a": [("h", 1), ("h", 2)],
        "b": [("::1", 3)],
    }
    assert parse_zones("memcached://h:1", "z") == {"z": [("h", 1)]}
    for url in (
        "memcached://a=h",
        "memcached://a=h:0",
        "memcached://=h:1",
        "memcached://a=h:1;a=h:2",
    ):
        with pytest.raises(ValueError):
            parse_zones(url, "a")
