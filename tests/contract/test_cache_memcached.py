"""MemcachedCache beyond the Cache contract: EVCache's zones on two real memcached servers.

The test servers are zones a and b (``python -m tools.engines up memcached``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

pytest.importorskip("aiomcache")

import tools.engines
from reelstack import settings
from reelstack.adapters.cache import memcached
from reelstack.adapters.cache.memcached import MemcachedCache
from reelstack.adapters.cache.memcached_chunks import Manifest
from reelstack.config import Config
from reelstack.errors import ConfigError, RecordTooLargeError
from tests.contract.memcached_support import (
    address,
    command,
    item_max,
    memcached_cache,
    raw_delete,
    raw_get,
    raw_set,
)
from tests.support.engines import embedded_only, missing


@pytest.fixture
async def cache() -> AsyncIterator[MemcachedCache]:
    """A cache as an instance in zone a sees it, on emptied servers."""
    adapter = memcached_cache("a")
    await adapter.open()
    try:
        yield adapter
    finally:
        await adapter.close()


def _text(server: tuple[str, int]) -> str:
    return f"{server[0]}:{server[1]}"


async def _only(zone: str, **options: object) -> MemcachedCache:
    """A cache that knows only ``zone``'s server (it never sees the other zone)."""
    options.setdefault("timeout_s", 2.0)
    adapter = MemcachedCache({zone: [address(zone)]}, zone=zone, **options)  # type: ignore[arg-type]
    await adapter.open()
    return adapter


async def test_a_write_through_zone_a_is_read_from_zone_b_alone(cache: MemcachedCache) -> None:
    reader = await _only("b")
    try:
        await cache.set("title:1", b"replicated")
        assert await reader.get("title:1") == b"replicated"
        await cache.set("title:1", b"replaced", ttl_s=60)
        assert await reader.get_many(["title:1", "nope"]) == {"title:1": b"replaced"}
        await cache.delete("title:1")
        assert await reader.get("title:1") is None
        assert raw_get(address("a"), "title:1") is None
    finally:
        await reader.close()


async def test_reads_go_to_the_local_zone_first_and_fall_back_on_a_miss(
    cache: MemcachedCache,
) -> None:
    await cache.set("k", b"both")
    raw_set(address("b"), "k", b"only-b")
    assert await cache.get("k") == b"both", "zone a is this instance's zone"
    raw_delete(address("a"), "k")
    assert await cache.get("k") == b"only-b", "a miss in zone a falls back to zone b"
    assert await cache.get_many(["k"]) == {"k": b"only-b"}


@pytest.fixture
def zone_a_stopped() -> Iterator[None]:
    """Stop zone a's server; start it again (and wait until it serves) afterwards."""
    if embedded_only() or "memcached" not in tools.engines.load_state():
        missing("stopping a zone needs the memcached engine (make engines-up)")
    tools.engines.stop_one("memcached", "memcached-a")
    try:
        yield
    finally:
        tools.engines.restart_process("memcached", "memcached-a")


async def test_with_the_local_zone_down_reads_and_writes_go_to_the_other_zone(
    zone_a_stopped: None,
) -> None:
    host, port = address("b")
    raw_set((host, port), "kept", b"in-b")
    adapter = MemcachedCache(
        {"a": [address("a")], "b": [(host, port)]}, zone="a", down_s=60, timeout_s=5
    )
    await adapter.open()  # zone b answers: that is enough
    try:
        assert await adapter.get("kept") == b"in-b"
        assert adapter.failing_servers() == [_text(address("a"))]
        await adapter.set("written", b"while-a-is-down")
        assert await adapter.get_many(["kept", "written", "nope"]) == {
            "kept": b"in-b",
            "written": b"while-a-is-down",
        }
        await adapter.delete("kept")
        assert raw_get((host, port), "kept") is None
        await adapter.ping()
    finally:
        await adapter.close()


class SilentServer:
    """Accepts connections (the kernel does) and never answers; counts them on demand."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.setblocking(False)
        self.accepted: list[socket.socket] = []

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()
        return host, port

    def connections(self) -> int:
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return len(self.accepted)
            self.accepted.append(conn)

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.sock.close()


async def test_a_server_that_stops_answering_costs_one_timeout_then_is_skipped() -> None:
    silent = SilentServer()
    memcached_cache("b", zones=("b",))  # empties zone b
    adapter = MemcachedCache(
        {"a": [silent.address], "b": [address("b")]},
        zone="a",
        timeout_s=1.0,
        down_s=600,
        pool_size=1,
    )
    try:
        await adapter.open()  # zone a times out once; zone b answers
        assert adapter.failing_servers() == [_text(silent.address)]
        for i in range(20):
            await adapter.set(f"k{i}", b"v")
            assert await adapter.get(f"k{i}") == b"v"
        assert silent.connections() == 1, "a failing server is not tried again in its window"
    finally:
        await adapter.close()
        silent.close()


async def test_a_write_only_zone_takes_writes_but_serves_no_reads() -> None:
    adapter = memcached_cache("a", write_only_zones={"a"})
    await adapter.open()
    try:
        await adapter.set("k", b"written")
        assert raw_get(address("a"), "k") == (0, b"written"), "zone a took the write"
        raw_set(address("a"), "k", b"only-in-a")
        assert await adapter.get("k") == b"written", "read from zone b, not zone a"
        raw_delete(address("b"), "k")
        assert await adapter.get("k") is None
        assert await adapter.get_many(["k"]) == {}
        adapter.write_only_zones = set()
        assert await adapter.get("k") == b"only-in-a"
    finally:
        await adapter.close()


def test_write_only_zones_follow_the_runtime_setting() -> None:
    a, b = (_text(address(zone)) for zone in "ab")
    config = Config.load(
        settings.REGISTRY,
        environ={
            "REELSTACK_CACHE_URL": f"memcached://a={a};b={b}?timeout_ms=100&down_ms=50",
            "REELSTACK_SERVICE_ZONE": "b",
            "REELSTACK_CACHE_WRITE_ONLY_ZONES": "a",
        },
    )
    adapter = memcached.from_url(config.get(settings.CACHE_URL), config)
    assert adapter.zone == "b"
    assert adapter.write_only_zones == {"a"}
    config.apply_runtime({"cache.write_only_zones": "b"})
    assert adapter.write_only_zones == {"b"}
    config.apply_runtime({})
    assert adapter.write_only_zones == {"a"}


def test_from_url_names_what_is_wrong(tmp_path: Path) -> None:
    config = Config.load(settings.REGISTRY, environ={"REELSTACK_HOME": str(tmp_path)})
    single = memcached.from_url("memcached://127.0.0.1:11211,127.0.0.1:11212", config)
    assert single.zone == "a" and single.write_only_zones == set()
    for url, reason in [
        ("memcached://a=127.0.0.1", "HOST:PORT"),
        ("memcached://a=h:1;a=h:2", "named twice"),
        ("memcached://a=h:1?colour=red", "colour"),
        ("memcached://", "no servers"),
        ("memcached://a=h:1?item_bytes=100", "1024"),
    ]:
        with pytest.raises(ConfigError, match=reason):
            memcached.from_url(url, config)


async def test_a_value_over_the_item_limit_is_chunked_and_read_back_intact() -> None:
    limit = item_max()
    adapter = memcached_cache("a", max_value_bytes=3 * limit)
    await adapter.open()
    reader_b = await _only("b")
    try:
        value = os.urandom(limit * 5 // 2)
        await adapter.set("big", value)
        flags, manifest = raw_get(address("a"), "big") or (0, b"")
        assert flags != 0 and len(manifest) < 100, "stored as a manifest, not one item"
        assert await adapter.get("big") == value
        assert await adapter.get_many(["big", "small"]) == {"big": value}
        assert await reader_b.get("big") == value, "chunks are replicated too"
        with pytest.raises(RecordTooLargeError) as info:
            await adapter.set("big", b"x" * (3 * limit + 1))
        assert str(3 * limit + 1) in str(info.value) and str(3 * limit) in str(info.value)
        assert await adapter.get("big") == value
    finally:
        await adapter.close()
        await reader_b.close()


async def test_a_reader_never_joins_chunks_of_two_writes_or_returns_part_of_a_value() -> None:
    limit = item_max()
    adapter = memcached_cache("a", max_value_bytes=3 * limit)
    await adapter.open()
    only_a = await _only("a", max_value_bytes=3 * limit)
    try:
        first, second = os.urandom(2 * limit), os.urandom(2 * limit)
        await adapter.set("big", first)
        old = raw_get(address("a"), "big")
        await adapter.set("big", second)
        assert old is not None
        # A reader that found the first write's manifest gets the first value whole.
        raw_set(address("a"), "big", old[1], flags=old[0])
        assert await only_a.get("big") == first
        # One of its chunks lost: a miss in zone a, never a shorter value...
        manifest = Manifest.unpack(old[1])
        assert manifest is not None and manifest.count == 3
        raw_delete(address("a"), manifest.chunk_keys(b"big")[1].decode())
        assert await only_a.get("big") is None
        assert await only_a.get_many(["big"]) == {}
        # ...and a reader knowing both zones finds the value in zone b.
        assert await adapter.get("big") == second
    finally:
        await adapter.close()
        await only_a.close()


async def test_ttls_past_30_days_are_sent_as_unix_times(cache: MemcachedCache) -> None:
    await cache.set("month", b"m", ttl_s=31 * 24 * 3600)
    await cache.set("ever", b"e", ttl_s=float("inf"))
    # Sent as a count of seconds, memcached would read 31 days as a time in 1970.
    assert await cache.get_many(["month", "ever"]) == {"month": b"m", "ever": b"e"}
    remaining = int(command(address("a"), b"mg month t").split()[1][1:])
    assert 31 * 24 * 3600 - 60 < remaining <= 31 * 24 * 3600 + 2
    assert command(address("b"), b"mg ever t") == b"HD t-1\r\n"
