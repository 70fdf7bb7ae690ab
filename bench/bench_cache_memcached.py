"""Cache gets through MemcachedCache against the raw client library, same server, same run.

The adapter's figures: latency (p50, p99) and gets/s of ``get`` hits awaited
one after another, and gets/s with ``CONCURRENCY`` tasks at once, for a cache
with two zones reading from its local one. The anchor is aiomcache itself
(the client under the adapter) getting the same key with the same payload
from the same server over as many connections. Each figure is the best of
``ROUNDS``, the two sides taking turns. The ratio is adapter / anchor: for
latency lower is better, for gets/s higher (target >= 0.7). Starts the
memcached engine when it is not running (and stops it after).

    .venv/bin/python bench/bench_cache_memcached.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

# Run as `python bench/bench_cache_memcached.py`, the repository root is not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiomcache

import tools.engines
from bench.common import Result, header, report
from reelstack.adapters.cache.memcached import MemcachedCache

GETS = 20_000
CONCURRENCY = 16
POOL_SIZE = 4
PAYLOADS = (100, 4096)
ROUNDS = 3
KEY = "bench:title:1"


async def sequential(get: Callable[[], Awaitable[object]]) -> tuple[float, float, float]:
    """p50 and p99 in microseconds, and gets/s, of ``GETS`` gets awaited one after another."""
    for _ in range(1000):
        await get()
    samples = []
    begun = time.perf_counter()
    for _ in range(GETS):
        started = time.perf_counter()
        await get()
        samples.append(time.perf_counter() - started)
    rate = GETS / (time.perf_counter() - begun)
    samples.sort()
    return samples[len(samples) // 2] * 1e6, samples[len(samples) * 99 // 100] * 1e6, rate


async def concurrent(get: Callable[[], Awaitable[object]]) -> float:
    """Gets/s with ``CONCURRENCY`` tasks each getting in a loop."""

    async def worker() -> None:
        for _ in range(GETS // CONCURRENCY):
            await get()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return GETS // CONCURRENCY * CONCURRENCY / (time.perf_counter() - started)


def _server(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


async def measure(addresses: dict[str, str], size: int) -> dict[str, list[float]]:
    """Raw client and adapter: p50 us, p99 us, gets/s alone and in ``CONCURRENCY`` tasks."""
    value = os.urandom(size)
    raw = aiomcache.Client(*_server(addresses["a"]), pool_size=POOL_SIZE)
    zones = {zone: [_server(address)] for zone, address in addresses.items()}
    cache = MemcachedCache(zones, zone="a", pool_size=POOL_SIZE)
    await cache.open()
    try:
        await cache.set(KEY, value)
        key = KEY.encode()
        assert await raw.get(key) == value and await cache.get(KEY) == value

        async def raw_get() -> object:
            return await raw.get(key)

        async def cache_get() -> object:
            return await cache.get(KEY)

        best: dict[str, list[float]] = {}
        for _ in range(ROUNDS):
            for name, get in (("raw", raw_get), ("adapter", cache_get)):
                p50, p99, alone = await sequential(get)
                together = await concurrent(get)
                old = best.get(name, [float("inf"), float("inf"), 0.0, 0.0])
                best[name] = [
                    min(old[0], p50),
                    min(old[1], p99),
                    max(old[2], alone),
                    max(old[3], together),
                ]
        return best
    finally:
        await cache.close()
        await raw.close()


def main() -> None:
    header()
    running = {name for name, state in tools.engines.load_state().items() if state.processes}
    states = tools.engines.up(["memcached"])
    try:
        env = states["memcached"].env
        addresses = {z: env[f"REELSTACK_TEST_MEMCACHED_{z.upper()}"] for z in ("a", "b")}
        anchor = "raw aiomcache get, same server"
        for size in PAYLOADS:
            best = asyncio.run(measure(addresses, size))
            raw_p50, raw_p99, raw_alone, raw_together = best["raw"]
            p50, p99, alone, together = best["adapter"]
            label = f"memcached cache get, {size} B hits, 2 zones"
            tasks = f"{label}: {CONCURRENCY} tasks"
            report(Result(f"{label}: p50", p50, "us", anchor, raw_p50))
            report(Result(f"{label}: p99", p99, "us", anchor, raw_p99, "< 1000 us"))
            report(Result(f"{label}: one task", alone, "gets/s", anchor, raw_alone, ">= 0.7"))
            report(Result(tasks, together, "gets/s", anchor, raw_together, ">= 0.7"))
    finally:
        if "memcached" not in running:
            tools.engines.down(["memcached"])


if __name__ == "__main__":
    main()
