"""Contract of the EventLog port, run against every adapter.

A real engine joins by adding a factory to ``FACTORIES`` (skipping itself
where the engine is not reachable). Factories are module-level functions of a
folder, so worker processes can build the same adapter from a
:class:`Place`. Topic and group names are unique per test, so the suite can
share one real cluster.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.adapters.log import sqlite
from reelstack.adapters.log.sqlite import SqliteEventLog
from reelstack.config import Config
from reelstack.errors import (
    ConfigError,
    ConflictError,
    InvalidRequestError,
    NotAssignedError,
    NotFoundError,
    RecordTooLargeError,
    StoreCorruptError,
)
from reelstack.ports.log import EventLog, Record, TopicPartition, TopicSpec
from tests.contract.conftest import in_processes
from tests.contract.event_log_support import (
    SESSION_MS,
    Place,
    append_until_killed,
    consume_and_count,
    drain,
    hold_then_hang,
    lines,
    poll_until,
    produce,
    read_all,
    spawned,
    unique,
)
from tests.support.engines import require
from tests.support.wait import eventually


def _sqlite(folder: Path) -> EventLog:
    return SqliteEventLog(folder / "data" / "log.db")


def _kafka(folder: Path) -> EventLog:
    """The three-broker cluster of ``make test`` (every topic and group name is unique)."""
    from reelstack.adapters.log.kafka import KafkaEventLog

    return KafkaEventLog(require("REELSTACK_TEST_KAFKA").split(","))


FACTORIES: dict[str, Callable[[Path], EventLog]] = {
    "kafka": _kafka,
    "sqlite": _sqlite,
}

# Kafka's default message.max.bytes; every adapter refuses records over it.
MAX_RECORD_BYTES = 1048588
HOUR_MS = 3600 * 1000


@pytest.fixture(params=sorted(FACTORIES))
async def event_log(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EventLog]:
    adapter = FACTORIES[request.param](tmp_path)
    await adapter.open()
    try:
        yield adapter
    finally:
        await adapter.close()


@pytest.fixture
def place(request: pytest.FixtureRequest, tmp_path: Path, event_log: EventLog) -> Place:
    return Place(FACTORIES[request.node.callspec.params["event_log"]], tmp_path)


@pytest.fixture
async def other_log(place: Place) -> AsyncIterator[EventLog]:
    """A second instance on the same log, as another process of the service would have."""
    adapter = place.new_log()
    await adapter.open()
    try:
        yield adapter
    finally:
        await adapter.close()


@pytest.fixture
async def topic(event_log: EventLog) -> str:
    """A new four-partition topic."""
    name = unique("plays")
    await event_log.create_topic(TopicSpec(name, partitions=4))
    return name


# -- topics ---------------------------------------------------------------------------


async def test_create_topic_is_idempotent_and_lists_the_topic(event_log: EventLog) -> None:
    name = unique("titles")
    spec = TopicSpec(name, partitions=3, retention_ms=HOUR_MS)
    await event_log.create_topic(spec)
    await event_log.create_topic(spec)
    listed = {t.name: t for t in await event_log.list_topics()}
    assert listed[name].partitions == 3
    assert listed[name].retention_ms == HOUR_MS


async def test_creating_a_topic_again_with_other_partitions_conflicts(
    event_log: EventLog, topic: str
) -> None:
    with pytest.raises(ConflictError):
        await event_log.create_topic(TopicSpec(topic, partitions=8))
    assert {t.name: t.partitions for t in await event_log.list_topics()}[topic] == 4


@pytest.mark.parametrize(
    "name", ["", "x" * 250, "has space", "slash/name", "colon:name", "ünicode", ".", ".."]
)
async def test_invalid_topic_names_are_refused(event_log: EventLog, name: str) -> None:
    with pytest.raises(InvalidRequestError):
        await event_log.create_topic(TopicSpec(name))


async def test_kafka_legal_names_are_accepted_and_partition_counts_checked(
    event_log: EventLog,
) -> None:
    longest = "n" * 240 + uuid.uuid4().hex[:9]
    await event_log.create_topic(TopicSpec(longest))
    await event_log.create_topic(TopicSpec(unique("Views.v1_raw")))
    with pytest.raises(InvalidRequestError):
        await event_log.create_topic(TopicSpec(unique("empty"), partitions=0))


async def test_unknown_topics_and_partitions_are_not_found(event_log: EventLog, topic: str) -> None:
    missing = unique("missing")
    with pytest.raises(NotFoundError):
        await event_log.append(missing, b"v")
    with pytest.raises(NotFoundError):
        await event_log.append_many(missing, [(None, b"v")])
    with pytest.raises(NotFoundError):
        await event_log.read(TopicPartition(missing, 0), 0)
    with pytest.raises(NotFoundError):
        await event_log.offsets(TopicPartition(missing, 0))
    with pytest.raises(NotFoundError):
        await event_log.offsets(TopicPartition(topic, 4))
    with pytest.raises(NotFoundError):
        await event_log.consumer(unique("g"), [missing]).start()


# -- appending ------------------------------------------------------------------------


async def test_offsets_start_at_zero_and_grow_by_one_in_each_partition(
    event_log: EventLog, topic: str
) -> None:
    written = await event_log.append_many(
        topic, [(b"k%d" % (i % 7), b"v%d" % i) for i in range(40)]
    )
    written.append(await event_log.append(topic, b"last", key=b"k1"))
    by_partition: dict[int, list[int]] = {}
    for md in written:
        assert md.topic == topic
        by_partition.setdefault(md.partition, []).append(md.offset)
    for partition, offsets in by_partition.items():
        assert offsets == list(range(len(offsets)))
        assert await event_log.offsets(TopicPartition(topic, partition)) == (0, len(offsets))


async def test_a_key_always_lands_in_one_partition_in_order(
    event_log: EventLog, topic: str
) -> None:
    for round_ in range(3):
        await event_log.append_many(
            topic,
            [
                (b"profile-%d" % p, b"%d:%d" % (p, round_ * 10 + i))
                for i in range(10)
                for p in range(5)
            ],
        )
        await event_log.append(topic, b"%d:single" % round_, key=b"profile-0")
    records = [r for rs in (await read_all(event_log, topic, 4)).values() for r in rs]
    for p in range(5):
        mine = [r for r in records if r.key == b"profile-%d" % p]
        assert len({r.partition for r in mine}) == 1
        in_order = sorted(mine, key=lambda r: r.offset)
        expected = [b"%d:%d" % (p, n) for n in range(30)]
        got = [r.value for r in in_order if not r.value.endswith(b"single")]
        assert got == expected


async def test_keys_land_where_kafkas_default_partitioner_puts_them(event_log: EventLog) -> None:
    # Java's Utils.murmur2 of each key (Kafka's own test values); partition = toPositive % n.
    hashes = {b"21": -973932308, b"foobar": -790332482, b"abc": 479470107}
    name = unique("keys")
    await event_log.create_topic(TopicSpec(name, partitions=7))
    for key, murmur in hashes.items():
        md = await event_log.append(name, b"v", key=key)
        assert md.partition == (murmur & 0x7FFFFFFF) % 7


async def test_keyless_records_spread_over_the_partitions(event_log: EventLog, topic: str) -> None:
    written = await event_log.append_many(topic, [(None, os.urandom(200)) for _ in range(1000)])
    assert {md.partition for md in written} == {0, 1, 2, 3}


async def test_append_many_returns_metadata_in_input_order(event_log: EventLog, topic: str) -> None:
    batch = [(b"k%d" % (i % 3), b"value-%d" % i) for i in range(12)] + [(None, b"keyless")]
    written = await event_log.append_many(topic, batch)
    assert len(written) == len(batch)
    for (key, value), md in zip(batch, written, strict=True):
        [record] = await event_log.read(
            TopicPartition(topic, md.partition), md.offset, max_records=1
        )
        assert (record.key, record.value, record.offset) == (key, value, md.offset)
        assert record.timestamp_ms == md.timestamp_ms > 0
    assert await event_log.append_many(topic, []) == []


async def test_explicit_timestamps_are_kept(event_log: EventLog, topic: str) -> None:
    md = await event_log.append(topic, b"v", key=b"k", timestamp_ms=1_600_000_000_000)
    assert md.timestamp_ms == 1_600_000_000_000
    [record] = await event_log.read(TopicPartition(topic, md.partition), md.offset)
    assert record.timestamp_ms == 1_600_000_000_000


async def test_a_record_over_the_limit_writes_nothing_of_its_batch(
    event_log: EventLog, topic: str
) -> None:
    before = [await event_log.offsets(TopicPartition(topic, p)) for p in range(4)]
    with pytest.raises(RecordTooLargeError):
        await event_log.append(topic, b"x" * (MAX_RECORD_BYTES + 1))
    with pytest.raises(RecordTooLargeError):
        await event_log.append_many(
            topic,
            [(b"k%d" % i, b"small") for i in range(20)] + [(b"k", b"x" * (MAX_RECORD_BYTES + 1))],
        )
    assert [await event_log.offsets(TopicPartition(topic, p)) for p in range(4)] == before
    big = await event_log.append(topic, b"y" * 512 * 1024, key=b"big")
    [record] = await event_log.read(TopicPartition(topic, big.partition), big.offset)
    assert record.value == b"y" * 512 * 1024


async def test_records_that_are_not_bytes_are_refused_and_nothing_written(
    event_log: EventLog, topic: str
) -> None:
    with pytest.raises(InvalidRequestError):
        await event_log.append_many(topic, [(None, b"ok"), (None, "text")])  # type: ignore[list-item]
    with pytest.raises(InvalidRequestError):
        await event_log.append(topic, b"ok", key="text")  # type: ignore[arg-type]
    assert [await event_log.offsets(TopicPartition(topic, p)) for p in range(4)] == [(0, 0)] * 4


# -- reading --------------------------------------------------------------------------


async def test_read_replays_a_partition_from_any_offset(event_log: EventLog, topic: str) -> None:
    written = []
    for start in (0, 10, 20):
        written += await event_log.append_many(
            topic, [(b"one-key", b"%d" % (start + i)) for i in range(10)]
        )
    tp = TopicPartition(topic, written[0].partition)
    assert [r.value for r in await event_log.read(tp, 0)] == [b"%d" % i for i in range(30)]
    middle = await event_log.read(tp, 7, max_records=5)
    assert [(r.offset, r.value) for r in middle] == [(i, b"%d" % i) for i in range(7, 12)]
    assert [r.offset for r in await event_log.read(tp, 25)] == [25, 26, 27, 28, 29]
    assert await event_log.read(tp, 30) == []
    assert await event_log.read(tp, 1000) == []
    with pytest.raises(InvalidRequestError):
        await event_log.read(tp, -1)


async def test_an_append_is_readable_by_another_instance_and_after_reopening(
    place: Place, event_log: EventLog, other_log: EventLog, topic: str
) -> None:
    md = await event_log.append(topic, b"durable", key=b"k")
    tp = TopicPartition(topic, md.partition)
    assert [r.value for r in await other_log.read(tp, md.offset)] == [b"durable"]
    reopened = place.new_log()
    await reopened.open()
    try:
        assert [r.value for r in await reopened.read(tp, md.offset)] == [b"durable"]
    finally:
        await reopened.close()


# -- retention ------------------------------------------------------------------------


async def test_retention_deletes_old_records_and_moves_the_earliest_offset(
    event_log: EventLog,
) -> None:
    name = unique("short-lived")
    await event_log.create_topic(TopicSpec(name, partitions=1, retention_ms=HOUR_MS))
    tp = TopicPartition(name, 0)
    old = int(time.time() * 1000) - 2 * HOUR_MS
    for i in range(3):
        await event_log.append(name, b"old-%d" % i, timestamp_ms=old)
    await event_log.append_many(name, [(None, b"new-%d" % i) for i in range(4)])
    assert await event_log.enforce_retention() >= 3
    assert await event_log.offsets(tp) == (3, 7)
    replay = await event_log.read(tp, 0)
    assert [(r.offset, r.value) for r in replay] == [(3 + i, b"new-%d" % i) for i in range(4)]
    assert await event_log.enforce_retention() == 0
    assert await event_log.offsets(tp) == (3, 7)


async def test_topics_without_retention_keep_the_default_of_seven_days(
    event_log: EventLog,
) -> None:
    name = unique("default-retention")
    await event_log.create_topic(TopicSpec(name, partitions=1))
    now = int(time.time() * 1000)
    await event_log.append(name, b"eight days old", timestamp_ms=now - 8 * 24 * HOUR_MS)
    await event_log.append(name, b"six days old", timestamp_ms=now - 6 * 24 * HOUR_MS)
    await event_log.enforce_retention()
    assert [r.value for r in await event_log.read(TopicPartition(name, 0), 0)] == [b"six days old"]


# -- consumer groups ------------------------------------------------------------------


async def test_a_member_reads_everything_and_the_group_resumes_after_its_commit(
    event_log: EventLog, topic: str
) -> None:
    group = unique("g")
    await event_log.append_many(topic, [(b"k%d" % i, b"%d" % i) for i in range(50)])
    first = event_log.consumer(group, [topic])
    await first.start()
    got = await drain(first, 50)
    assert sorted(int(r.value) for r in got) == list(range(50))
    await first.stop()
    await event_log.append_many(topic, [(b"k%d" % i, b"%d" % i) for i in range(50, 60)])
    second = event_log.consumer(group, [topic])
    await second.start()
    later = await drain(second, 10)
    assert sorted(int(r.value) for r in later) == list(range(50, 60))
    assert await second.poll(timeout_s=0.1) == []
    await second.stop()


async def test_uncommitted_records_go_to_the_next_member(event_log: EventLog, topic: str) -> None:
    group = unique("g")
    await event_log.append_many(topic, [(b"k", b"%d" % i) for i in range(5)])
    first = event_log.consumer(group, [topic])
    await first.start()
    seen = await first.poll(timeout_s=2)
    assert [int(r.value) for r in seen] == [0, 1, 2, 3, 4]
    await first.commit({TopicPartition(topic, seen[0].partition): 2})
    await first.stop()
    second = event_log.consumer(group, [topic])
    await second.start()
    again = await second.poll(timeout_s=2)
    assert [int(r.value) for r in again] == [2, 3, 4]
    await second.stop()


async def test_latest_reset_skips_history_and_groups_are_independent(
    event_log: EventLog, topic: str
) -> None:
    await event_log.append_many(topic, [(None, b"history")] * 5)
    latest = event_log.consumer(unique("live"), [topic], auto_offset_reset="latest")
    earliest = event_log.consumer(unique("replay"), [topic])
    await latest.start()
    await earliest.start()
    await poll_until(latest, lambda: len(latest.assignment()) == 4)
    await event_log.append_many(topic, [(None, b"fresh")] * 3)
    assert [r.value for r in await drain(latest, 3)] == [b"fresh"] * 3
    assert sorted(r.value for r in await drain(earliest, 8)) == [b"fresh"] * 3 + [b"history"] * 5
    await latest.stop()
    await earliest.stop()


async def test_seek_rereads_a_partition_from_an_offset(event_log: EventLog, topic: str) -> None:
    await event_log.append_many(topic, [(b"k", b"%d" % i) for i in range(6)])
    consumer = event_log.consumer(unique("g"), [topic])
    await consumer.start()
    got = await drain(consumer, 6)
    tp = TopicPartition(topic, got[0].partition)
    await consumer.seek(tp, 4)
    assert [int(r.value) for r in await consumer.poll(timeout_s=2)] == [4, 5]
    with pytest.raises(NotAssignedError):
        await consumer.seek(TopicPartition(unique("other"), 0), 0)
    await consumer.stop()


async def test_poll_waits_for_a_record_appended_by_another_instance(
    event_log: EventLog, other_log: EventLog, topic: str
) -> None:
    consumer = event_log.consumer(unique("g"), [topic])
    await consumer.start()
    assert await consumer.poll(timeout_s=0.05) == []
    waiting = asyncio.create_task(consumer.poll(timeout_s=10))
    await asyncio.sleep(0)  # the poll is (most likely) waiting already; either way it must see it
    await other_log.append(topic, b"hello", key=b"k")
    assert [r.value for r in await waiting] == [b"hello"]
    await consumer.stop()


async def test_members_share_partitions_fairly_and_never_both_hold_one(
    event_log: EventLog, other_log: EventLog, topic: str
) -> None:
    group = unique("g")
    a = event_log.consumer(group, [topic], member_id="a", session_timeout_ms=SESSION_MS)
    b = other_log.consumer(group, [topic], member_id="b", session_timeout_ms=SESSION_MS)
    c = other_log.consumer(group, [topic], member_id="c", session_timeout_ms=SESSION_MS)
    members = [a, b]
    await a.start()
    await b.start()

    def settled() -> bool:
        held = [m.assignment() for m in members]
        union = frozenset().union(*held)
        return len(union) == 4 and sum(len(h) for h in held) == 4

    async def round_() -> list[frozenset[TopicPartition]]:
        for member in members:
            await member.poll(timeout_s=0.02)
            # Whatever the moment, no partition has two holders.
            held = [m.assignment() for m in members]
            assert sum(len(h) for h in held) == len(frozenset().union(*held))
        return [m.assignment() for m in members]

    await eventually(round_, "a settled group of two", done=lambda _: settled())
    assert sorted(len(m.assignment()) for m in members) == [2, 2]
    await c.start()
    members.append(c)
    await eventually(
        round_,
        "a settled group of three",
        done=lambda _: settled() and len(c.assignment()) == 1,
    )
    assert sorted(len(m.assignment()) for m in members) == [1, 1, 2]
    for member in members:
        await member.stop()


async def test_a_stopped_members_partitions_move_and_resume_at_the_commit(
    event_log: EventLog, other_log: EventLog
) -> None:
    name = unique("handover")
    await event_log.create_topic(TopicSpec(name, partitions=2))
    written = await event_log.append_many(name, [(b"k%d" % i, b"%d" % i) for i in range(40)])
    group = unique("g")
    a = event_log.consumer(group, [name], member_id="a", session_timeout_ms=SESSION_MS)
    b = other_log.consumer(group, [name], member_id="b", session_timeout_ms=SESSION_MS)
    await a.start()
    await b.start()

    async def both_hold_one() -> bool:
        await a.poll(timeout_s=0, max_records=1)
        await b.poll(timeout_s=0, max_records=1)
        return len(a.assignment()) == len(b.assignment()) == 1

    await eventually(both_hold_one, "each member holding one partition")
    [tp] = a.assignment()
    count = sum(1 for md in written if md.partition == tp.partition)
    await a.commit({tp: 3})
    await a.stop()
    assert a.assignment() == frozenset()
    got: list[Record] = []

    async def taken_over() -> list[int]:
        got.extend(await b.poll(timeout_s=0.05))
        return sorted(r.offset for r in got if r.partition == tp.partition)

    offsets = await eventually(
        taken_over, "b reading from the commit", done=lambda offsets: len(offsets) >= count - 3
    )
    assert offsets == list(range(3, count))
    await b.stop()


async def test_a_member_silent_past_its_session_is_fenced_off(
    event_log: EventLog, other_log: EventLog
) -> None:
    name = unique("fenced")
    await event_log.create_topic(TopicSpec(name, partitions=1))
    await event_log.append_many(name, [(b"k", b"%d" % i) for i in range(10)])
    group = unique("g")
    tp = TopicPartition(name, 0)
    slow = event_log.consumer(group, [name], member_id="slow", session_timeout_ms=300)
    await slow.start()
    held = await slow.poll(timeout_s=2, max_records=4)
    assert [int(r.value) for r in held] == [0, 1, 2, 3]
    # "slow" processes for longer than its session; the other member takes over.
    fast = other_log.consumer(group, [name], member_id="fast", session_timeout_ms=SESSION_MS)
    await fast.start()
    got = await poll_until(fast, lambda: tp in fast.assignment())
    got += await drain(fast, 10 - len(got))
    await fast.commit()
    assert sorted(int(r.value) for r in got) == list(range(10))
    with pytest.raises(NotAssignedError):
        await slow.commit()
    with pytest.raises(NotAssignedError):
        await slow.commit({tp: 4})
    assert tp not in slow.assignment()
    await fast.stop()
    # The fenced commits changed nothing: a new member starts after fast's commit.
    late = event_log.consumer(group, [name])
    await late.start()
    assert await late.poll(timeout_s=0.2) == []
    await late.stop()
    await slow.stop()


async def test_committing_a_partition_never_held_is_refused(
    event_log: EventLog, topic: str
) -> None:
    consumer = event_log.consumer(unique("g"), [topic])
    await consumer.start()
    with pytest.raises(NotAssignedError):
        await consumer.commit({TopicPartition(unique("elsewhere"), 0): 1})
    await consumer.stop()


# -- several processes ------------------------------------------------------------------


async def test_two_processes_appending_at_once_lose_and_duplicate_nothing(
    place: Place, event_log: EventLog, topic: str
) -> None:
    count = 400
    pids = await in_processes(
        produce, [(place, topic, str(place.folder / "meet"), w, count) for w in (1, 2)]
    )
    assert len(set(pids)) == 2
    by_partition = await read_all(event_log, topic, 4)
    values = [r.value for rs in by_partition.values() for r in rs]
    assert sorted(values) == sorted(b"%d:%d" % (w, i) for w in (1, 2) for i in range(count))
    for records in by_partition.values():
        assert [r.offset for r in records] == list(range(len(records)))
    # Each key's records kept the order its producer appended them in.
    by_key: dict[bytes | None, list[int]] = {}
    for records in by_partition.values():
        for record in records:
            by_key.setdefault(record.key, []).append(int(record.value.split(b":")[1]))
    assert len(by_key) == 10
    assert all(seq == sorted(seq) for seq in by_key.values())


async def test_two_processes_in_one_group_process_each_record_exactly_once(
    place: Place, event_log: EventLog, topic: str
) -> None:
    total = 3000
    group = unique("g")
    folder = place.folder / "group"
    folder.mkdir()
    await event_log.append_many(topic, [(b"k%d" % (i % 50), b"%d" % i) for i in range(total // 2)])
    workers = asyncio.create_task(
        in_processes(consume_and_count, [(place, topic, group, str(folder), total)] * 2)
    )
    # More records arrive while the group consumes.
    for start in range(total // 2, total, 100):
        await event_log.append_many(
            topic, [(b"k%d" % (i % 50), b"%d" % i) for i in range(start, start + 100)]
        )
    processed = await workers
    done = [line for path in folder.glob("done-*.txt") for line in lines(path)]
    assert len(done) == total, "a record was counted twice" if len(done) > total else "lost"
    assert sorted(int(line.split(":")[2]) for line in done) == list(range(total))
    assert sum(processed) == total
    assert all(n > 0 for n in processed), f"one member did all the work: {processed}"


async def test_an_acknowledged_append_survives_the_kill_of_its_process(
    place: Place, event_log: EventLog, topic: str
) -> None:
    acked = place.folder / "acked.txt"
    with spawned(append_until_killed, place, topic, str(acked)) as process:
        await eventually(
            lambda: asyncio.to_thread(lines, acked),
            "100 acknowledged appends",
            done=lambda got: len(got) >= 100,
        )
        process.kill()
        process.join(10)
    noted = [tuple(int(x) for x in line.split(":")) for line in lines(acked)]
    partition = noted[0][0]
    records = (await read_all(event_log, topic, 4))[partition]
    stored = {r.offset: int(r.value) for r in records}
    for _, offset, i in noted:
        assert stored[offset] == i
    # Offsets without gaps, and no record twice (an append in flight at the kill may be there).
    assert [r.offset for r in records] == list(range(len(records)))
    assert [int(r.value) for r in records] == list(range(len(records)))


async def test_a_killed_member_loses_its_partitions_after_the_session_timeout(
    place: Place, event_log: EventLog, topic: str
) -> None:
    group = unique("g")
    await event_log.append_many(topic, [(b"k%d" % i, b"%d" % i) for i in range(80)])
    ready = place.folder / "ready"
    with spawned(hold_then_hang, place, topic, group, str(ready), 2) as process:
        await eventually(
            lambda: asyncio.to_thread(ready.exists), "the member holding every partition"
        )
        process.kill()
        process.join(10)
    survivor = event_log.consumer(
        group, [topic], member_id="survivor", session_timeout_ms=SESSION_MS
    )
    await survivor.start()
    got = await poll_until(survivor, lambda: len(survivor.assignment()) == 4)
    got += await drain(survivor, 80 - 4 * 2 - len(got))
    for partition in range(4):
        offsets = sorted(r.offset for r in got if r.partition == partition)
        end = (await event_log.offsets(TopicPartition(topic, partition)))[1]
        assert offsets == list(range(2, end)), "the survivor resumes at the dead member's commit"
    await survivor.stop()


# -- the embedded adapter's own file ---------------------------------------------------------


async def test_sqlite_log_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "log.db"
    event_log = SqliteEventLog(path)
    await event_log.open()
    try:
        await event_log.create_topic(TopicSpec("t"))
        await event_log.ping()
    finally:
        await event_log.close()
    assert path.exists()


async def test_sqlite_log_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    junk = os.urandom(8192)
    path.write_bytes(junk)
    with pytest.raises(StoreCorruptError) as info:
        await SqliteEventLog(path).open()
    assert str(path) in str(info.value)
    assert path.read_bytes() == junk, "the damaged file is left for inspection"


async def test_sqlite_log_refuses_a_truncated_database(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    event_log = SqliteEventLog(path)
    await event_log.open()
    await event_log.create_topic(TopicSpec("t", partitions=2))
    for _ in range(20):
        await event_log.append_many("t", [(None, os.urandom(500)) for _ in range(50)])
    await event_log.close()
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    size = path.stat().st_size
    with pytest.raises(StoreCorruptError) as info:
        await SqliteEventLog(path).open()
    assert str(path) in str(info.value)
    assert path.stat().st_size == size


async def test_sqlite_log_from_url_takes_the_path_and_the_default_retention(tmp_path: Path) -> None:
    config = Config.load(
        settings.REGISTRY,
        environ={"REELSTACK_HOME": str(tmp_path), "REELSTACK_LOG_RETENTION_MS": "60000"},
    )
    event_log = sqlite.from_url(config.get(settings.LOG_URL), config)
    assert isinstance(event_log, SqliteEventLog)
    assert event_log.path == tmp_path / "data" / "log.db"
    await event_log.open()
    try:
        name = unique("t")
        await event_log.create_topic(TopicSpec(name))
        await event_log.append(
            name, b"two minutes old", timestamp_ms=int(time.time() * 1000) - 120_000
        )
        assert await event_log.enforce_retention() == 1
    finally:
        await event_log.close()
    with pytest.raises(ConfigError):
        sqlite.from_url("sqlite://relative/log.db", config)
