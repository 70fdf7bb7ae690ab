"""Kafka append throughput: KafkaEventLog against a raw confluent-kafka producer.

Both write 200-byte keyed records to a fresh 4-partition topic (three
replicas, two in sync) of the same three-broker cluster, in the same run,
with the same producer settings (``acks=all``, idempotence, ``linger.ms=5``,
librdkafka's batch defaults). The anchor is the fastest way to use
confluent-kafka from Python: ``produce`` every record with a delivery
callback, serve reports with ``poll`` when the queue fills, ``flush`` at the
end, so librdkafka holds every record at once and sends the largest batches.
The adapter's headline figure is ``append_many`` of ``BATCH`` records with
``IN_FLIGHT`` appends awaited at once (a service's concurrent requests);
also reported: one ``append_many`` of every record (the anchor's pipelining)
and one ``BATCH`` at a time (latency-bound). The adapter does more per
record than the anchor: it checks each record, places it, and returns its
metadata (partition, offset, timestamp) in input order. Each figure is the
best of ``ROUNDS``; records/s counts acknowledged records.

The cluster is the one ``python -m tools.engines up kafka`` starts; if none
runs, this starts it and stops it afterwards.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

# Run as `python bench/bench_kafka.py`, the repository root is not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from confluent_kafka import KafkaError, Message, Producer

from bench.common import Result, header, report
from reelstack.adapters.log.kafka import KafkaEventLog
from reelstack.ports.log import TopicSpec
from tools.engines import down, load_state, up
from tools.engines.core import alive

RECORDS = 200_000
BATCH = 1_000
IN_FLIGHT = 64
SIZE = 200
PARTITIONS = 4
KEYS = [b"profile-%06d" % i for i in range(10 * BATCH)]
ROUNDS = 3
TARGET = ">= 0.8"


def servers() -> str:
    return load_state()["kafka"].env["REELSTACK_TEST_KAFKA"]


def raw_producer(bootstrap: str, topic: str, values: list[bytes]) -> float:
    """Return acknowledged records/s of a plain confluent-kafka producer."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "partitioner": "murmur2_random",
            "linger.ms": 5,
            "message.max.bytes": 1_048_716,
        }
    )
    errors: list[KafkaError] = []

    def delivered(err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            errors.append(err)

    producer.list_topics(topic, timeout=10)
    started = time.perf_counter()
    keys = KEYS
    for i, value in enumerate(values):
        key = keys[i % len(keys)]
        while True:
            try:
                producer.produce(topic, value, key, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.001)
    left = producer.flush(60)
    elapsed = time.perf_counter() - started
    if left or errors:
        raise RuntimeError(f"raw producer: {left} not delivered, {len(errors)} failed")
    return len(values) / elapsed


async def through_adapter(
    bootstrap: str, topic: str, values: list[bytes], batch: int, in_flight: int
) -> float:
    """Return acknowledged records/s of KafkaEventLog.append_many."""
    event_log = KafkaEventLog(bootstrap.split(","))
    await event_log.open()
    try:
        await event_log.append(topic, b"warm-up", key=b"warm-up")
        batches: asyncio.Queue[int] = asyncio.Queue()
        for start in range(0, len(values), batch):
            batches.put_nowait(start)

        async def worker() -> None:
            while not batches.empty():
                start = batches.get_nowait()
                chunk = values[start : start + batch]
                records: list[tuple[bytes | None, bytes]] = [
                    (KEYS[i % len(KEYS)], value) for i, value in enumerate(chunk, start)
                ]
                await event_log.append_many(topic, records)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        elapsed = time.perf_counter() - started
    finally:
        await event_log.close()
    return len(values) / elapsed


async def new_topic(bootstrap: str) -> str:
    name = f"bench-{uuid.uuid4().hex[:10]}"
    event_log = KafkaEventLog(bootstrap.split(","))
    await event_log.open()
    try:
        await event_log.create_topic(TopicSpec(name, PARTITIONS, replication_factor=3))
    finally:
        await event_log.close()
    return name


# name -> (records per append_many, appends in flight)
SHAPES = {
    "concurrent": (BATCH, IN_FLIGHT),
    "one append": (RECORDS, 1),
    "serial": (BATCH, 1),
}


def measure(bootstrap: str) -> dict[str, float]:
    values = [os.urandom(SIZE) for _ in range(RECORDS)]
    best = dict.fromkeys(["raw", *SHAPES], 0.0)
    for _ in range(ROUNDS):
        rate = raw_producer(bootstrap, asyncio.run(new_topic(bootstrap)), values)
        best["raw"] = max(best["raw"], rate)
        for name, (batch, in_flight) in SHAPES.items():
            topic = asyncio.run(new_topic(bootstrap))
            rate = asyncio.run(through_adapter(bootstrap, topic, values, batch, in_flight))
            best[name] = max(best[name], rate)
    return best


def main() -> None:
    header()
    started_here = not _running()
    if started_here:
        up(["kafka"])
    try:
        best = measure(servers())
    finally:
        if started_here:
            down(["kafka"])
    anchor = f"raw confluent-kafka Producer, same settings, {RECORDS:,} records"
    label = f"KafkaEventLog {SIZE} B keyed records, {PARTITIONS} partitions x3 replicas, acks=all"
    shapes = {
        "concurrent": f"append_many({BATCH}), {IN_FLIGHT} in flight",
        "one append": f"one append_many({RECORDS:,})",
        "serial": f"append_many({BATCH}), one at a time",
    }
    for name, shape in shapes.items():
        target = TARGET if name == "concurrent" else ""
        report(Result(f"{label}: {shape}", best[name], "records/s", anchor, best["raw"], target))


def _running() -> bool:
    state = load_state().get("kafka")
    return state is not None and all(alive(p) for p in state.processes.values())


if __name__ == "__main__":
    main()
