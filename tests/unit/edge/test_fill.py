"""Fill rounds: capped rate, within capacity, stopping on a full disk; the fill window loop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from reelstack.edge import cache as cache_module
from reelstack.edge.cache import DiskCache, RateLimit
from reelstack.edge.context import EdgeContext
from reelstack.edge.fill import fill_round
from reelstack.edge.models import EdgeStats
from tests.unit.edge.fakes import FakeOrigin

MB = 1_000_000


def context(tmp_path: Path, origin: FakeOrigin, *, capacity: int, rate: int) -> EdgeContext:
    stats = EdgeStats()
    cache = DiskCache(root=tmp_path / "cache", capacity=capacity, blob=origin, stats=stats)
    cache.free_margin = 0
    cache.scan()
    server: Any = None  # a fill round does not serve

    def no_client() -> Any:
        raise AssertionError("titles were given: recommendations is not asked")

    return EdgeContext(
        instance="edge-1",
        region="US",
        public_url="http://e",
        cache=cache,
        server=server,
        stats=stats,
        client=no_client,
        discovery=None,
        report_s=2,
        fill_window="",
        fill_rate_bytes_s=rate,
        fill_titles=20,
    )


async def test_rate_limit_sleeps_as_long_as_the_bytes_take_at_the_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    clock = [100.0]

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(cache_module.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(cache_module.asyncio, "sleep", sleep)
    limit = RateLimit(MB)
    for _ in range(10):
        await limit.take(MB // 2)
    assert sum(slept) == pytest.approx(5.0)


async def test_a_round_fills_within_capacity_and_skips_what_it_holds(tmp_path: Path) -> None:
    origin = FakeOrigin()
    for title in ("a", "b", "c"):
        for n in range(2):
            origin.add(f"media/{title}/j/v0/s{n}.m4s", b"x" * 300_000)
    ctx = context(tmp_path, origin, capacity=1_000_000, rate=1_000 * MB)
    report = await fill_round(ctx, ["a", "b", "c"])
    assert report.files == 3 and report.stopped == "capacity"
    assert ctx.cache.titles() == ["b", "a"] and ctx.cache.used == 900_000
    again = await fill_round(ctx, ["a"])
    assert again.files == 0 and again.held == 2


async def test_a_round_stops_on_a_full_disk_and_counts_origin_failures(tmp_path: Path) -> None:
    origin = FakeOrigin()
    origin.add("media/a/j/v0/s.m4s", b"x" * 1000)
    origin.add("media/b/j/v0/s.m4s", b"y" * 1000)
    ctx = context(tmp_path, origin, capacity=10 * MB, rate=1_000 * MB)
    origin.break_after = 0
    broken = await fill_round(ctx, ["a"])
    assert broken.failed == 1 and broken.files == 0 and ctx.cache.used == 0
    origin.break_after = None
    ctx.cache.free_margin = 1 << 62
    full = await fill_round(ctx, ["a", "b"])
    assert full.stopped == "disk full" and full.files == 0
    assert ctx.last_fill is full


async def test_rounds_run_one_at_a_time(tmp_path: Path) -> None:
    origin = FakeOrigin()
    origin.add("media/a/j/v0/s.m4s", b"x" * 1000)
    origin.gate = asyncio.Event()
    ctx = context(tmp_path, origin, capacity=10 * MB, rate=1_000 * MB)
    first = asyncio.create_task(fill_round(ctx, ["a"]))
    second = asyncio.create_task(fill_round(ctx, ["a"]))
    await asyncio.sleep(0)
    assert ctx.fill_lock.locked()
    origin.gate.set()
    one, two = await asyncio.gather(first, second)
    assert (one.files, two.files, two.held) == (1, 0, 1)
    assert origin.gets == 1
