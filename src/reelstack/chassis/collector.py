"""Garbage collection on a timetable, for the gateway's tail latency.

CPython's cycle collector runs by allocation count: the young generation
whenever container allocations outnumber deallocations by 700, older ones
every 10 of those. On a proxy serving thousands of requests per second the
count is reached many times a second, each run scans the objects of every
request then in flight, and the older runs also scan every connection's
objects: ``bench/bench_gateway.py`` measured runs of 1-5 ms several times a
second and full runs of 20-80 ms, which is the gateway's p99 at half its
saturation rate (added p99 2.3-12.9 ms with CPython's defaults; 1.0-1.3 ms
with the collector off).

So the gateway:

- freezes everything made at start-up (modules, apps, settings, which live
  as long as the process), so that no collection scans them again;
- raises the count at which CPython collects by itself to
  ``SAFETY_THRESHOLD``, a valve for a burst of allocations, not the rhythm;
- collects the young generations every ``interval_s`` (1 s by default),
  from the event loop between two events, and everything every
  ``full_every`` intervals.

Garbage in reference cycles (a closed connection's protocol, task and
parser) is then kept for at most one interval, or ``full_every`` intervals
once it has reached the old generation; everything else is freed at once
by reference counting as always.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from time import perf_counter

log = logging.getLogger(__name__)

SAFETY_THRESHOLD = 100_000  # net container allocations before CPython collects by itself
SLOW_S = 0.05  # a collection longer than this is logged


class PacedCollector:
    """Runs the cycle collector on a timetable instead of by allocation count."""

    def __init__(self, interval_s: float = 1.0, full_every: int = 60) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        if full_every < 1:
            raise ValueError("full_every must be at least 1")
        self.interval_s = interval_s
        self.full_every = full_every
        self.collections = 0
        self.full_collections = 0
        self.seconds = 0.0  # time spent collecting, all runs
        self._saved: tuple[int, int, int] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Freeze what exists now and collect on the timetable from here on."""
        if self._task is not None:
            return
        gc.collect()
        gc.freeze()
        self._saved = gc.get_threshold()
        gc.set_threshold(SAFETY_THRESHOLD, self._saved[1], self._saved[2])
        self._task = asyncio.get_running_loop().create_task(self._run(), name="paced-gc")

    async def stop(self) -> None:
        """Stop the timetable and give the collector back its own thresholds."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def collect_once(self) -> int:
        """Run one collection now: everything every ``full_every`` runs, else the young."""
        self.collections += 1
        full = self.collections % self.full_every == 0
        generation = 2 if full else 1
        began = perf_counter()
        found = gc.collect(generation)
        took = perf_counter() - began
        self.seconds += took
        if full:
            self.full_collections += 1
        if took > SLOW_S:
            log.warning(
                "garbage collection of generation %d took %.0f ms (%d unreachable objects)",
                generation,
                took * 1000,
                found,
            )
        return found

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            self.collect_once()
