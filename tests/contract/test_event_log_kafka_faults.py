"""KafkaEventLog when brokers fail: acknowledged records survive, once each, in order.

The cluster of ``make test`` has three brokers; the topic here has three
replicas and needs two in sync, so with one broker down appends go on. One
broker is stopped (SIGTERM), another killed (SIGKILL), each restarted, while
a producer appends keyed, numbered records all along.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from reelstack.adapters.log.kafka import KafkaEventLog, KafkaOptions
from reelstack.errors import UnavailableError
from reelstack.ports.log import TopicSpec
from tests.contract.event_log_support import read_all, unique
from tests.support.engines import require
from tests.support.ports import free_port
from tests.support.wait import eventually
from tools.engines import restart_process, stop_one

KEYS = [b"profile-%d" % i for i in range(12)]
PARTITIONS = 3


@dataclass
class Produced:
    """What the producer was told: acknowledged records, failures, and when."""

    acked: dict[tuple[bytes, int], tuple[int, int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    during_outage: int = 0
    outage: bool = False


async def produce(event_log: KafkaEventLog, topic: str, out: Produced, done: asyncio.Event) -> None:
    """Append numbered records for every key (batches and singles) until ``done``."""
    sequence = 0
    while not done.is_set():
        batch = [(key, b"%s:%d" % (key, sequence)) for key in KEYS]
        try:
            if sequence % 2:
                written = await event_log.append_many(topic, batch)
            else:
                written = [await event_log.append(topic, value, key=key) for key, value in batch]
        except UnavailableError as exc:
            # Not acknowledged: it may or may not be stored, but never twice.
            out.failures.append(str(exc))
        else:
            for (key, _), md in zip(batch, written, strict=True):
                out.acked[key, sequence] = (md.partition, md.offset)
            if out.outage:
                out.during_outage += len(batch)
        sequence += 1


@pytest.fixture
async def event_log() -> AsyncIterator[KafkaEventLog]:
    adapter = KafkaEventLog(
        require("REELSTACK_TEST_KAFKA").split(","), KafkaOptions(request_timeout_s=60)
    )
    await adapter.open()
    try:
        yield adapter
    finally:
        await adapter.close()


async def acknowledged(out: Produced, more: int) -> None:
    """Let the producer get ``more`` records acknowledged (it must make progress)."""
    target = len(out.acked) + more
    await eventually(
        lambda: len(out.acked) >= target,
        f"{more} more acknowledged appends",
        log=lambda: f"appends stalled at {len(out.acked)} records",
    )


@pytest.mark.slow
@pytest.mark.parametrize("hard", [False, True], ids=["stopped", "killed"])
async def test_acknowledged_records_survive_a_broker_failing_and_coming_back(
    event_log: KafkaEventLog, hard: bool
) -> None:
    topic = unique("faults")
    await event_log.create_topic(TopicSpec(topic, partitions=PARTITIONS, replication_factor=3))
    listed = {t.name: t for t in await event_log.list_topics()}
    assert listed[topic].replication_factor == 3
    out = Produced()
    done = asyncio.Event()
    producer = asyncio.create_task(produce(event_log, topic, out, done))
    broker = "kafka-3" if hard else "kafka-2"
    try:
        await acknowledged(out, 200)
        await asyncio.to_thread(stop_one, "kafka", broker, hard=hard)
        out.outage = True
        await acknowledged(out, 300)
        out.outage = False
        await asyncio.to_thread(restart_process, "kafka", broker)
        await acknowledged(out, 200)
    finally:
        done.set()
        with contextlib.suppress(Exception):
            await producer
        await asyncio.to_thread(restart_process, "kafka", broker)
    await producer
    assert out.during_outage >= 300, "appends must go on with one broker of three down"

    stored = await read_all(event_log, topic, PARTITIONS)
    seen: dict[tuple[bytes, int], list[tuple[int, int]]] = {}
    for partition, records in stored.items():
        last: dict[bytes, int] = {}
        for record in records:
            assert record.key is not None
            key, _, number = record.value.rpartition(b":")
            sequence = int(number)
            assert key == record.key
            # Per key, in the order appended (and no record twice, acknowledged or not).
            assert sequence > last.get(key, -1), f"{key!r}: {sequence} after {last.get(key)}"
            last[key] = sequence
            seen.setdefault((key, sequence), []).append((partition, record.offset))
    for (key, sequence), where in out.acked.items():
        assert seen.get((key, sequence)) == [where], f"acknowledged {key!r}:{sequence} lost"
    unacked = len(seen) - len(out.acked)
    assert unacked <= len(out.failures) * len(KEYS)


async def test_open_names_the_brokers_it_cannot_reach() -> None:
    port = free_port()
    servers = [f"127.0.0.1:{port}"]
    event_log = KafkaEventLog(servers, KafkaOptions(connect_timeout_s=1))
    with pytest.raises(UnavailableError) as info:
        await event_log.open()
    assert f"127.0.0.1:{port}" in str(info.value)
    await event_log.close()
