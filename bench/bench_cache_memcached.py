"""Cache gets through MemcachedCache against the raw client library, same server, same run.

The adapter's figures: latency (p50, p99) and gets/s of ``get`` hits awaited
one after another, and gets/s with ``CONCURRENCY`` tasks at once, for a cache
with two zones reading from its local one. The anchor is aiomcache itself
(the client under the adapter) getting the same key with the same payload
from the same server over as many connections.

The two sides take turns in short batches (``BATCH`` gets, ``BATCHES`` times
each), so a busy spell on a shared machine falls on both alike. Latency
percentiles come from every get of a side; gets/s from its median batch, so
a few batches slowed by other work on the machine do not decide it. The
ratio is adapter / anchor: for latency lower is better, for gets/s higher
(target >= 0.7). Starts the memcached engine when it is not running (and
stops it after).

    .venv/bin/python bench/bench_cache_memcached.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
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
from tools.engines.core import alive

BATCH = 400
BATCHES = 50
CONCURRENCY = 16
POOL_SIZE = 4
PAYLOADS = (100, 4096)
KEY = "bench:title:1"

Get = Callable[[], Awaitable[object]]


async def one_task(get: Get, samples: list[float]) -> float:
    """Run ``BATCH`` gets one after another, adding each latency to ``samples``; seconds."""
    begun = time.perf_counter()
    for _ in range(BATCH):
        started = time.perf_counter()
        await get()
        samples.append(time.perf_counter() - started)
    return time.perf_counter() - begun


async def many_tasks(get: Get) -> float:
    """Run ``BATCH`` gets spread over ``CONCURRENCY`` tasks at once; seconds."""

    async def worker() -> None:
        for _ in range(BATCH // CONCURRENCY):
            await get()

    begun = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - begun


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1e6


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

        sides: dict[str, Get] = {"raw": raw_get, "adapter": cache_get}
        for get in sides.values():  # warm up: connections open, code paths hot
            await one_task(get, [])
        samples: dict[str, list[float]] = {name: [] for name in sides}
        alone: dict[str, list[float]] = {name: [] for name in sides}
        together: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(BATCHES):
            for name, get in sides.items():
                alone[name].append(await one_task(get, samples[name]))
                together[name].append(await many_tasks(get))
        return {
            name: [
                _percentile(samples[name], 0.50),
                _percentile(samples[name], 0.99),
                BATCH / statistics.median(alone[name]),
                BATCH // CONCURRENCY * CONCURRENCY / statistics.median(together[name]),
            ]
            for name in sides
        }
    finally:
        await cache.close()
        await raw.close()


def main() -> None:
    header()
    running = {
        name
        for name, state in tools.engines.load_state().items()
        if state.processes and all(alive(process) for process in state.processes.values())
    }
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
