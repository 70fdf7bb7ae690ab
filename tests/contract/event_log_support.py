"""What the EventLog contract suite shares: consumer polling and worker processes.

Workers run in spawned processes: each is a module-level function given a
:class:`Place`, from which it opens its own instance of the adapter under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from reelstack.errors import NotAssignedError
from reelstack.ports.log import Consumer, EventLog, Record, TopicPartition
from tests.contract.conftest import barrier
from tests.support.wait import WITHIN_S, eventually

# Short enough for a test to wait out, long enough for a loaded 2-core machine.
SESSION_MS = 1500


@dataclass(frozen=True)
class Place:
    """An adapter factory (a module-level function) and its folder; picklable for workers."""

    factory: Callable[[Path], EventLog]
    folder: Path

    def new_log(self) -> EventLog:
        return self.factory(self.folder)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def read_all(event_log: EventLog, topic: str, partitions: int) -> dict[int, list[Record]]:
    """Every retained record of ``topic``, by partition."""
    out: dict[int, list[Record]] = {}
    for partition in range(partitions):
        tp = TopicPartition(topic, partition)
        earliest, end = await event_log.offsets(tp)
        records: list[Record] = []
        while earliest + len(records) < end:
            records += await event_log.read(tp, earliest + len(records), max_records=1000)
        out[partition] = records
    return out


async def poll_until(
    consumer: Consumer, done: Callable[[], bool], *, timeout_s: float = WITHIN_S
) -> list[Record]:
    """Poll ``consumer`` until ``done()``; return what it polled on the way."""
    got: list[Record] = []

    async def polled() -> bool:
        if done():
            return True
        got.extend(await consumer.poll(timeout_s=0.05))
        return False

    await eventually(
        polled,
        "the consumer's condition",
        within_s=timeout_s,
        interval_s=0,
        log=lambda: f"holds {consumer.assignment()}",
    )
    return got


async def drain(consumer: Consumer, count: int, *, timeout_s: float = WITHIN_S) -> list[Record]:
    """Poll until ``count`` records came, committing after each poll."""
    got: list[Record] = []

    async def polled() -> bool:
        if len(got) >= count:
            return True
        batch = await consumer.poll(timeout_s=0.2)
        got.extend(batch)
        if batch:
            await consumer.commit()
        return False

    await eventually(
        polled, f"{count} records", within_s=timeout_s, interval_s=0, log=lambda: f"got {len(got)}"
    )
    return got


@contextlib.contextmanager
def spawned(target: Callable[..., None], *args: Any) -> Iterator[BaseProcess]:
    """Run ``target(*args)`` in a fresh process; kill it on the way out, whatever happens."""
    process = multiprocessing.get_context("spawn").Process(target=target, args=args, daemon=True)
    process.start()
    try:
        yield process
    finally:
        if process.is_alive():
            process.kill()
        process.join(10)


def note(path: Path, entries: list[str]) -> None:
    """Append whole lines to ``path`` (flushed on close, so readers see them)."""
    with path.open("a") as fh:
        fh.writelines(entries)


def count_done(folder: Path) -> int:
    return sum(len(lines(path)) for path in folder.glob("done-*.txt"))


def lines(path: Path) -> list[str]:
    """The complete lines of a file another process is appending to."""
    if not path.exists():
        return []
    text = path.read_text()
    return text.split("\n")[:-1]


# -- workers (each runs in its own process) --------------------------------------------


def produce(place: Place, topic: str, meet: str, worker: int, count: int) -> int:
    """Append ``count`` numbered records (batches and singles) once every producer is ready."""

    async def run() -> None:
        event_log = place.new_log()
        await event_log.open()
        try:
            barrier(Path(meet), "produce", 2)
            for start in range(0, count, 50):
                if start % 100:
                    for i in range(start, start + 50):
                        await event_log.append(
                            topic, b"%d:%d" % (worker, i), key=b"w%d-%d" % (worker, i % 5)
                        )
                else:
                    await event_log.append_many(
                        topic,
                        [
                            (b"w%d-%d" % (worker, i % 5), b"%d:%d" % (worker, i))
                            for i in range(start, start + 50)
                        ],
                    )
        finally:
            await event_log.close()

    asyncio.run(run())
    return os.getpid()


def consume_and_count(place: Place, topic: str, group: str, folder: str, total: int) -> int:
    """Process records exactly once per commit until the group has done ``total``."""

    async def run() -> int:
        event_log = place.new_log()
        await event_log.open()
        out = Path(folder) / f"done-{os.getpid()}.txt"
        consumer = event_log.consumer(group, [topic], session_timeout_ms=3000)
        processed = 0
        try:
            await consumer.start()
            barrier(Path(folder), "joined", 2)
            deadline = time.monotonic() + 40
            while await asyncio.to_thread(count_done, Path(folder)) < total:
                if time.monotonic() > deadline:
                    raise TimeoutError("the group did not finish in time")
                batch = await consumer.poll(timeout_s=0.1, max_records=97)
                if not batch:
                    continue
                pending = [f"{r.partition}:{r.offset}:{r.value.decode()}\n" for r in batch]
                try:
                    await consumer.commit()
                except NotAssignedError:
                    continue  # another member owns these now: they are not ours to count
                await asyncio.to_thread(note, out, pending)
                processed += len(pending)
        finally:
            await consumer.stop()
            await event_log.close()
        return processed

    return asyncio.run(run())


def append_until_killed(place: Place, topic: str, acked: str) -> None:
    """Append forever, noting each record once its append returned."""

    async def run() -> None:
        event_log = place.new_log()
        await event_log.open()
        i = 0
        while True:
            md = await event_log.append(topic, b"%d" % i, key=b"one")
            note(Path(acked), [f"{md.partition}:{md.offset}:{i}\n"])
            i += 1

    asyncio.run(run())


def hold_then_hang(place: Place, topic: str, group: str, ready: str, commits: int) -> None:
    """Join, take every partition, commit ``commits`` records of each, then stop answering."""

    async def run() -> None:
        event_log = place.new_log()
        await event_log.open()
        consumer = event_log.consumer(
            group, [topic], member_id="doomed", session_timeout_ms=SESSION_MS
        )
        await consumer.start()
        while len(consumer.assignment()) < 4:
            await consumer.poll(timeout_s=0.05, max_records=1)
        await consumer.commit({tp: commits for tp in consumer.assignment()})
        await asyncio.to_thread(Path(ready).write_text, "ready")
        await asyncio.sleep(3600)  # killed here, without leaving the group

    asyncio.run(run())
