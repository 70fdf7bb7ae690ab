"""MemcachedCache against a scripted memcached: late and cancelled replies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

pytest.importorskip("aiomcache")

from reelstack.adapters.cache.memcached import MemcachedCache
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
