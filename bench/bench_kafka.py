"""Kafka append throughput: KafkaEventLog against a raw confluent-kafka producer.

Both write 200-byte keyed records to a fresh 4-partition topic (three
replicas, two in sync) of the same three-broker cluster, in the same run,
with the same producer settings (``acks=all``, idempotence, ``linger.ms=5``,
librdkafka's batch defaults). The anchor is the fastest way to use
confluent-kafka from Python: ``produce`` every record with a delivery
callback, serve reports with ``poll`` when the queue fills, ``flush`` at the
end. The adapter's figure is ``append_many`` of ``BATCH`` records with
``IN_FLIGHT`` batches awaited at once (as concurrent requests of a service
would), and also with one batch at a time. Each figure is the best of
``ROUNDS``; records/s counts acknowledged records.

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
IN_FLIGHT = 8
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


async def through_adapter(bootstrap: str, topic: str, values: list[bytes], in_flight: int) -> float:
    """Return acknowledged records/s of KafkaEventLog.append_many."""
    event_log = KafkaEventLog(bootstrap.split(","))
    await event_log.open()
    try:
        await event_log.append(topic, b"warm-up", key=b"warm-up")
        batches: asyncio.Queue[int] = asyncio.Queue()
        for start in range(0, len(values), BATCH):
            batches.put_nowait(start)

        async def worker() -> None:
            while not batches.empty():
                start = batches.get_nowait()
                chunk = values[start : start + BATCH]
                first = start % len(KEYS)
                records: list[tuple[bytes | None, bytes]] = list(
                    zip(KEYS[first : first + len(chunk)], chunk, strict=True)
                )
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


def measure(bootstrap: str) -> dict[str, float]:
    values = [os.urandom(SIZE) for _ in range(RECORDS)]
    best: dict[str, float] = {"raw": 0.0, "adapter": 0.0, "adapter-serial": 0.0}
    for _ in range(ROUNDS):
        best["raw"] = max(
            best["raw"], raw_producer(bootstrap, asyncio.run(new_topic(bootstrap)), values)
        )
        for name, in_flight in (("adapter", IN_FLIGHT), ("adapter-serial", 1)):
            topic = asyncio.run(new_topic(bootstrap))
            rate = asyncio.run(through_adapter(bootstrap, topic, values, in_flight))
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
    report(
        Result(
            f"{label}: append_many({BATCH}), {IN_FLIGHT} in flight",
            best["adapter"],
            "records/s",
            anchor,
            best["raw"],
            TARGET,
        )
    )
    report(
        Result(
            f"{label}: append_many({BATCH}), one at a time",
            best["adapter-serial"],
            "records/s",
            anchor,
            best["raw"],
        )
    )


def _running() -> bool:
    state = load_state().get("kafka")
    return state is not None and all(alive(p) for p in state.processes.values())


if __name__ == "__main__":
    main()
