from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from reelstack.chassis.collector import SAFETY_THRESHOLD, PacedCollector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def make_cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


async def test_collects_cycles_on_its_timetable_not_by_count(restore_gc: None) -> None:
    collector = PacedCollector(interval_s=0.05)
    collector.start()
    try:
        assert gc.get_threshold()[0] == SAFETY_THRESHOLD
        assert gc.get_freeze_count() > 0  # what existed at start is out of sight
        cycle = make_cycle()
        # Allocations far past CPython's default count (700) do not collect it...
        keep = [[] for _ in range(5_000)]
        assert cycle() is not None
        # ...the next tick does.
        for _ in range(100):
            if cycle() is None:
                break
            await asyncio.sleep(0.02)
        assert cycle() is None
        assert collector.collections >= 1
        del keep
    finally:
        await collector.stop()


async def test_stop_gives_back_the_thresholds(restore_gc: None) -> None:
    gc.set_threshold(700, 10, 10)
    collector = PacedCollector(interval_s=10)
    collector.start()
    assert gc.get_threshold() == (SAFETY_THRESHOLD, 10, 10)
    await collector.stop()
    assert gc.get_threshold() == (700, 10, 10)
    await collector.stop()  # twice is harmless


def test_every_nth_collection_is_a_full_one(restore_gc: None) -> None:
    collector = PacedCollector(interval_s=1, full_every=3)
    for _ in range(7):
        collector.collect_once()
    assert (collector.collections, collector.full_collections) == (7, 2)


@pytest.mark.parametrize(("interval_s", "full_every"), [(0, 60), (-1, 60), (1, 0)])
def test_refuses_a_timetable_that_would_never_run(interval_s: float, full_every: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        PacedCollector(interval_s=interval_s, full_every=full_every)
