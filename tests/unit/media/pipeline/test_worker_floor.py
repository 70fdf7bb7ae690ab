"""Issue 11: below the free-disk floor a worker waits with its tasks, it does not fail them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from reelstack.media.pipeline.worker import Worker
from reelstack.media.source.refusals import Refusals


class WatchingConsumer:
    """Counts polls; asks for stop after ``rounds`` of them."""

    def __init__(self, stop: asyncio.Event, rounds: int) -> None:
        self.stop = stop
        self.rounds = rounds
        self.task_polls = 0  # polls that may hand the worker a task
        self.heartbeats = 0  # timeout_s=0 polls that keep the member alive

    async def start(self) -> None:
        return None

    async def stop_consumer(self) -> None:
        return None

    async def poll(self, *, max_records: int, timeout_s: float) -> list[Any]:
        if timeout_s == 0:
            self.heartbeats += 1
        else:
            self.task_polls += 1
        if self.heartbeats + self.task_polls >= self.rounds:
            self.stop.set()
        return []


def _worker(tmp_path: Path, consumer: WatchingConsumer, floor: int) -> Worker:
    log = SimpleNamespace(
        consumer=lambda *a, **k: SimpleNamespace(
            start=consumer.start, stop=consumer.stop_consumer, poll=consumer.poll
        )
    )
    ctx = SimpleNamespace(adapters=SimpleNamespace(log=log), worker_id="w1", work_root=tmp_path)
    return Worker(
        ctx,  # type: ignore[arg-type]
        session_timeout_ms=400,
        min_free_bytes=floor,
        refusals=Refusals(),
    )


def test_a_worker_below_the_floor_takes_no_task_and_keeps_its_membership(tmp_path: Path) -> None:
    stop = asyncio.Event()
    consumer = WatchingConsumer(stop, rounds=3)
    worker = _worker(tmp_path, consumer, floor=10**18)
    asyncio.run(worker.run(stop))
    assert consumer.task_polls == 0 and consumer.heartbeats == 3
    assert worker.paused is not None and "floor" in worker.paused
    assert worker.refusals.count("disk_floor_pause") == 1  # once per pause, not per round


def test_a_worker_above_the_floor_takes_tasks(tmp_path: Path) -> None:
    stop = asyncio.Event()
    consumer = WatchingConsumer(stop, rounds=2)
    worker = _worker(tmp_path, consumer, floor=1)
    asyncio.run(worker.run(stop))
    assert consumer.task_polls == 2 and worker.paused is None
