"""Contract of the Cache port, run against every adapter.

A real engine joins by adding a factory to ``FACTORIES`` (skipping itself
where the engine is not reachable).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.adapters.cache import memory, sqlite
from reelstack.adapters.cache.memory import MemoryCache
from reelstack.adapters.cache.sqlite import SqliteCache
from reelstack.config import Config
from reelstack.errors import (
    ConfigError,
    InvalidRequestError,
    RecordTooLargeError,
    StoreCorruptError,
)
from reelstack.ports import Cache
from tests.contract.conftest import barrier, in_processes
from tests.support.wait import eventually

MIB = 1024 * 1024


def _memory(tmp_path: Path) -> Cache:
    return MemoryCache()


def _sqlite(tmp_path: Path) -> Cache:
    return SqliteCache(tmp_path / "data" / "cache.db")


def _memcached(tmp_path: Path) -> Cache:
    from tests.contract.memcached_support import memcached_cache

    return memcached_cache()


FACTORIES: dict[str, Callable[[Path], Cache]] = {
    "memory": _memory,
    "sqlite": _sqlite,
    "memcached": _memcached,
}


@pytest.fixture(params=sorted(FACTORIES))
async def cache(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Cache]:
    adapter = FACTORIES[request.param](tmp_path)
    await adapter.open()
    try:
        yield adapter
    finally:
        await adapter.close()


async def test_set_then_get_returns_the_bytes_and_a_miss_is_none(cache: Cache) -> None:
    assert await cache.get("title:1") is None
    await cache.set("title:1", b"\x00binary\xff")
    assert await cache.get("title:1") == b"\x00binary\xff"
    await cache.set("title:1", b"newer")
    assert await cache.get("title:1") == b"newer"
    await cache.set("empty", b"")
    assert await cache.get("empty") == b""


async def test_delete_forgets_the_key_and_tolerates_a_missing_one(cache: Cache) -> None:
    await cache.set("k", b"v")
    await cache.delete("k")
    assert await cache.get("k") is None
    await cache.delete("never-set")


async def test_get_many_returns_only_the_hits(cache: Cache) -> None:
    await cache.set("a", b"1")
    await cache.set("b", b"2")
    assert await cache.get_many(["a", "missing", "b", "a"]) == {"a": b"1", "b": b"2"}
    assert await cache.get_many([]) == {}


async def test_values_expire_after_their_ttl(cache: Cache) -> None:
    # Long enough that a loaded machine still reads the value before it goes.
    await cache.set("short", b"s", ttl_s=2)
    await cache.set("long", b"l", ttl_s=60)
    await cache.set("forever", b"f")
    assert await cache.get("short") == b"s"
    await eventually(lambda: cache.get("short"), "the value to expire", done=lambda v: v is None)
    assert await cache.get_many(["short", "long", "forever"]) == {"long": b"l", "forever": b"f"}


async def test_setting_again_replaces_the_ttl(cache: Cache) -> None:
    await cache.set("k", b"v1", ttl_s=0.3)
    await cache.set("k", b"v2", ttl_s=60)
    await asyncio.sleep(0.4)  # past the first TTL: the second one must hold
    assert await cache.get("k") == b"v2"


@pytest.mark.parametrize("ttl", [0, -1, -0.5])
async def test_a_ttl_that_is_not_positive_is_refused(cache: Cache, ttl: float) -> None:
    with pytest.raises(InvalidRequestError, match="ttl"):
        await cache.set("k", b"v", ttl_s=ttl)
    assert await cache.get("k") is None


async def test_a_key_of_250_bytes_is_accepted(cache: Cache) -> None:
    key = "k" * 250
    await cache.set(key, b"v")
    assert await cache.get(key) == b"v"


@pytest.mark.parametrize(
    "key",
    ["k" * 251, "has space", "tab\there", "new\nline", "nul\x00", "caf\u00e9", "", "del\x7f"],
    ids=["too-long", "space", "tab", "newline", "nul", "non-ascii", "empty", "del"],
)
async def test_a_key_breaking_the_memcached_rule_is_refused_by_name(cache: Cache, key: str) -> None:
    shown = repr(key[:40])[1:-1] if key else "empty"
    with pytest.raises(InvalidRequestError, match="key") as info:
        await cache.set(key, b"v")
    assert shown in str(info.value)
    with pytest.raises(InvalidRequestError):
        await cache.get(key)
    with pytest.raises(InvalidRequestError):
        await cache.get_many(["fine", key])
    with pytest.raises(InvalidRequestError):
        await cache.delete(key)


async def test_a_value_over_the_limit_is_refused_and_the_old_value_kept(cache: Cache) -> None:
    await cache.set("big", b"old")
    with pytest.raises(RecordTooLargeError, match="big"):
        await cache.set("big", b"x" * (MIB + 1))
    assert await cache.get("big") == b"old"
    await cache.set("big", b"x" * MIB)
    assert await cache.get("big") == b"x" * MIB


# -- adapter-specific: bounds, sharing between processes, damaged files ----------


async def test_memory_cache_evicts_the_least_recently_used() -> None:
    cache = MemoryCache(max_items=3)
    await cache.open()
    for key in ("a", "b", "c"):
        await cache.set(key, b"v")
    assert await cache.get("a") == b"v"  # "b" is now the least recently used
    await cache.set("d", b"v")
    assert await cache.get_many(["a", "b", "c", "d"]) == {"a": b"v", "c": b"v", "d": b"v"}


async def test_memory_cache_stays_under_its_byte_bound() -> None:
    cache = MemoryCache(max_bytes=10_000, max_value_bytes=1_000)
    await cache.open()
    for i in range(100):
        await cache.set(f"k{i}", b"x" * 900)
    assert cache.size_bytes <= 10_000
    assert await cache.get("k99") == b"x" * 900
    assert await cache.get("k0") is None


async def test_sqlite_cache_stays_under_its_byte_bound_evicting_old_entries(
    tmp_path: Path,
) -> None:
    cache = SqliteCache(tmp_path / "c.db", max_bytes=100_000, max_value_bytes=10_000)
    await cache.open()
    try:
        for i in range(60):
            await cache.set(f"k{i}", bytes([i]) * 5_000)
        assert await cache.size_bytes() <= 100_000
        assert await cache.get("k59") == bytes([59]) * 5_000
        assert await cache.get("k0") is None
    finally:
        await cache.close()


async def test_two_sqlite_caches_on_one_file_see_one_cache(tmp_path: Path) -> None:
    first, second = SqliteCache(tmp_path / "c.db"), SqliteCache(tmp_path / "c.db")
    await first.open()
    await second.open()
    try:
        await first.set("shared", b"from-first")
        assert await second.get("shared") == b"from-first"
        await second.delete("shared")
        assert await first.get("shared") is None
    finally:
        await first.close()
        await second.close()


def _write_many(path: str, rendezvous: str, worker: int, count: int) -> int:
    """Set ``count`` keys of its own and one shared key, racing the other workers."""

    async def main() -> int:
        cache = SqliteCache(Path(path))
        await cache.open()
        try:
            barrier(Path(rendezvous), "start", 2)
            for i in range(count):
                await cache.set(f"w{worker}:{i}", f"{worker}:{i}".encode(), ttl_s=600)
                await cache.set("shared", f"{worker}".encode())
        finally:
            await cache.close()
        return os.getpid()

    return asyncio.run(main())


@pytest.mark.slow
async def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    count = 300
    pids = await in_processes(
        _write_many, [(str(path), str(tmp_path / "meet"), w, count) for w in (1, 2)]
    )
    assert len(set(pids)) == 2
    cache = SqliteCache(path)
    await cache.open()
    try:
        keys = [f"w{w}:{i}" for w in (1, 2) for i in range(count)]
        hits = await cache.get_many(keys)
        assert hits == {key: key[1:].encode() for key in keys}
        assert await cache.get("shared") in (b"1", b"2")
    finally:
        await cache.close()


async def test_sqlite_cache_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(StoreCorruptError) as info:
        await SqliteCache(path).open()
    assert str(path) in str(info.value)
    assert path.stat().st_size == 8192, "the damaged file is left for inspection"


async def test_sqlite_cache_refuses_a_truncated_database(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    cache = SqliteCache(path)
    await cache.open()
    for i in range(200):
        await cache.set(f"k{i}", os.urandom(2000))
    await cache.close()
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 2)
    with pytest.raises(StoreCorruptError) as info:
        await SqliteCache(path).open()
    assert str(path) in str(info.value)


def test_from_url_builds_each_cache_from_its_setting(tmp_path: Path) -> None:
    config = Config.load(settings.REGISTRY, environ={"REELSTACK_HOME": str(tmp_path)})
    default = sqlite.from_url(config.get(settings.CACHE_URL), config)
    assert default.path == tmp_path / "data" / "cache.db"
    assert memory.from_url("memory://?max_items=5", config).max_items == 5
    with pytest.raises(ConfigError, match=r"cache\.url.*colour"):
        memory.from_url("memory://?colour=red", config)
    with pytest.raises(ConfigError, match="ABSOLUTE"):
        sqlite.from_url("sqlite://relative.db", config)
