"""Contract of the WideColumnStore port, run against every adapter.

A real engine joins by adding a factory to ``FACTORIES`` (skipping itself
where the engine is not reachable).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from reelstack import settings
from reelstack.adapters.widecolumn import sqlite
from reelstack.adapters.widecolumn.sqlite import SqliteWideColumnStore
from reelstack.config import Config
from reelstack.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    StoreCorruptError,
)
from reelstack.ports import Column, TableSpec, WideColumnStore
from tests.contract.conftest import barrier, in_processes
from tests.support.engines import require
from tests.support.wait import eventually


def _sqlite(tmp_path: Path) -> WideColumnStore:
    return SqliteWideColumnStore(tmp_path / "data" / "wide.db")


# One keyspace for this run of the suite (creating one per test is slow on
# Cassandra); each test starts with its tables emptied, and the keyspace is
# dropped when the module is done.
CASSANDRA_KEYSPACE = f"contract_{os.getpid()}_{uuid.uuid4().hex[:8]}"
_cassandra_admin: list[Any] = []  # a synchronous driver session, once one is needed


def _cassandra_address() -> tuple[str, int]:
    host, _, port = require("REELSTACK_TEST_CASSANDRA").rpartition(":")
    return host, int(port)


def _cassandra_session() -> Any:
    if not _cassandra_admin:
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import RoundRobinPolicy

        host, port = _cassandra_address()
        profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy())
        cluster = Cluster(
            [(host, port)], protocol_version=5, execution_profiles={EXEC_PROFILE_DEFAULT: profile}
        )
        _cassandra_admin.extend([cluster, cluster.connect()])
    return _cassandra_admin[1]


def _cassandra(tmp_path: Path) -> WideColumnStore:
    from reelstack.adapters.widecolumn.cassandra import CassandraWideColumnStore

    address = _cassandra_address()
    session = _cassandra_session()
    tables = session.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s",
        (CASSANDRA_KEYSPACE,),
    )
    for (name,) in tables:
        session.execute(f'TRUNCATE "{CASSANDRA_KEYSPACE}"."{name}"')
    return CassandraWideColumnStore([address], CASSANDRA_KEYSPACE)


@pytest.fixture(scope="module", autouse=True)
def _drop_cassandra_keyspace() -> Iterator[None]:
    yield
    if _cassandra_admin:
        cluster, session = _cassandra_admin
        _cassandra_admin.clear()
        try:
            session.execute(f'DROP KEYSPACE IF EXISTS "{CASSANDRA_KEYSPACE}"')
        finally:
            cluster.shutdown()


FACTORIES: dict[str, Callable[[Path], WideColumnStore]] = {
    "sqlite": _sqlite,
    "cassandra": _cassandra,
}

HISTORY = TableSpec(
    name="history",
    columns=[
        Column("profile", "text"),
        Column("day", "int"),
        Column("seq", "bigint"),
        Column("title", "text"),
        Column("position_s", "double"),
        Column("finished", "boolean"),
    ],
    partition_key=["profile"],
    clustering=[("day", "desc"), ("seq", "asc")],
)

EVERY_TYPE = TableSpec(
    name="every_type",
    columns=[
        Column("id", "text"),
        Column("n", "int"),
        Column("big", "bigint"),
        Column("ratio", "double"),
        Column("flag", "boolean"),
        Column("data", "blob"),
        Column("at", "timestamp"),
        Column("note", "text"),
    ],
    partition_key=["id"],
)

GRID = TableSpec(
    name="grid",
    columns=[Column("p", "text"), Column("c1", "int"), Column("c2", "text"), Column("v", "int")],
    partition_key=["p"],
    clustering=[("c1", "asc"), ("c2", "asc")],
)


@pytest.fixture(params=sorted(FACTORIES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[WideColumnStore]:
    adapter = FACTORIES[request.param](tmp_path)
    await adapter.open()
    for spec in (HISTORY, EVERY_TYPE, GRID):
        await adapter.create_table(spec)
    try:
        yield adapter
    finally:
        await adapter.close()


def keys(rows: list[dict[str, Any]], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(row[name] for name in names) for row in rows]


async def fill_grid(store: WideColumnStore) -> None:
    for c1 in (1, 2, 3):
        for c2 in ("a", "b", "c"):
            await store.upsert("grid", {"p": "x", "c1": c1, "c2": c2, "v": c1 * 10})


# -- tables ------------------------------------------------------------------------


async def test_create_table_is_idempotent_and_refuses_a_different_definition(
    store: WideColumnStore,
) -> None:
    await store.create_table(HISTORY)
    changed = TableSpec(
        name="history",
        columns=list(HISTORY.columns),
        partition_key=["profile"],
        clustering=[("day", "asc"), ("seq", "asc")],
    )
    with pytest.raises(ConflictError, match="history"):
        await store.create_table(changed)


async def test_an_invalid_table_definition_is_refused(store: WideColumnStore) -> None:
    with pytest.raises(InvalidRequestError, match="nope"):
        await store.create_table(
            TableSpec(name="bad", columns=[Column("a", "text")], partition_key=["nope"])
        )
    with pytest.raises(InvalidRequestError, match="Bad-Name"):
        await store.create_table(
            TableSpec(name="Bad-Name", columns=[Column("a", "text")], partition_key=["a"])
        )


async def test_an_unknown_table_is_not_found(store: WideColumnStore) -> None:
    with pytest.raises(NotFoundError, match="nowhere"):
        await store.get("nowhere", {"id": "1"})


# -- values ------------------------------------------------------------------------


async def test_every_type_round_trips(store: WideColumnStore) -> None:
    paris = timezone(timedelta(hours=2))
    at = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=paris)
    row = {
        "id": "r1",
        "n": -(2**31),
        "big": 2**63 - 1,
        "ratio": 0.25,
        "flag": False,
        "data": b"\x00\xffbytes",
        "at": at,
        "note": "caf\u00e9 \U0001f3ac",
    }
    await store.upsert("every_type", row)
    got = await store.get("every_type", {"id": "r1"})
    assert got == row
    assert got is not None
    assert got["at"].utcoffset() == timedelta(0), "timestamps come back in UTC"
    assert got["at"] == datetime(2024, 5, 6, 5, 8, 9, 123000, tzinfo=UTC)
    assert isinstance(got["flag"], bool)


async def test_a_missing_row_is_none_and_absent_cells_are_none(store: WideColumnStore) -> None:
    assert await store.get("every_type", {"id": "nobody"}) is None
    await store.upsert("every_type", {"id": "sparse", "n": 1})
    got = await store.get("every_type", {"id": "sparse"})
    assert got is not None
    assert got["n"] == 1
    assert got["note"] is None and got["data"] is None


@pytest.mark.parametrize(
    ("row", "named"),
    [
        ({"id": "a", "colour": "red"}, "colour"),
        ({"n": 1}, "id"),
        ({"id": "a", "n": "one"}, "n"),
        ({"id": "a", "n": True}, "n"),
        ({"id": "a", "n": 2**31}, "n"),
        ({"id": "a", "ratio": "0.5"}, "ratio"),
        ({"id": "a", "flag": 1}, "flag"),
        ({"id": "a", "data": "text"}, "data"),
        ({"id": "a", "at": datetime(2024, 1, 1)}, "at"),  # naive: which zone?
        ({"id": 7}, "id"),
    ],
    ids=[
        "unknown",
        "missing-key",
        "str-for-int",
        "bool-for-int",
        "int-overflow",
        "str-for-double",
        "int-for-bool",
        "str-for-blob",
        "naive-datetime",
        "int-for-text-key",
    ],
)
async def test_a_bad_row_is_refused_naming_the_column(
    store: WideColumnStore, row: dict[str, Any], named: str
) -> None:
    with pytest.raises(InvalidRequestError, match=rf"\b{named}\b"):
        await store.upsert("every_type", row)
    assert await store.get("every_type", {"id": "a"}) is None


async def test_a_bad_key_is_refused_naming_the_column(store: WideColumnStore) -> None:
    with pytest.raises(InvalidRequestError, match="seq"):
        await store.get("history", {"profile": "p", "day": 1})
    with pytest.raises(InvalidRequestError, match="title"):
        await store.query("history", {"profile": "p", "title": "x"})
    with pytest.raises(InvalidRequestError, match="profile"):
        await store.query("history", {})
    with pytest.raises(InvalidRequestError, match="seq"):
        await store.delete("history", {"profile": "p", "day": 1})


# -- last write wins, per cell -------------------------------------------------------


async def test_cells_not_named_in_an_upsert_keep_their_values(store: WideColumnStore) -> None:
    key = {"profile": "p", "day": 1, "seq": 1}
    await store.upsert("history", {**key, "title": "t1", "position_s": 10.0})
    await store.upsert("history", {**key, "position_s": 42.5})
    got = await store.get("history", key)
    assert got is not None
    assert (got["title"], got["position_s"], got["finished"]) == ("t1", 42.5, None)


async def test_the_newest_timestamp_wins_whatever_order_writes_arrive_in(
    store: WideColumnStore,
) -> None:
    writes: list[tuple[int, dict[str, Any]]] = [
        (100, {"n": 1, "note": "first"}),
        (300, {"n": 3}),
        (200, {"n": 2, "note": "second"}),
    ]
    for name, order in (("in-order", writes), ("reversed", writes[::-1])):
        for ts, cells in order:
            await store.upsert("every_type", {"id": name, **cells}, timestamp_us=ts)
        got = await store.get("every_type", {"id": name})
        assert got is not None
        assert (got["n"], got["note"]) == (3, "second"), name


async def test_equal_timestamps_settle_the_same_way_in_any_order(store: WideColumnStore) -> None:
    for name, values in (("ab", ["a", "b"]), ("ba", ["b", "a"])):
        for value in values:
            await store.upsert("every_type", {"id": name, "note": value}, timestamp_us=500)
    first = await store.get("every_type", {"id": "ab"})
    second = await store.get("every_type", {"id": "ba"})
    assert first is not None and second is not None
    assert first["note"] == second["note"]


async def test_writing_none_deletes_the_cell_but_not_the_row(store: WideColumnStore) -> None:
    await store.upsert("every_type", {"id": "r", "n": 1, "note": "x"}, timestamp_us=10)
    await store.upsert("every_type", {"id": "r", "note": None}, timestamp_us=20)
    await store.upsert("every_type", {"id": "r", "note": "older"}, timestamp_us=15)
    got = await store.get("every_type", {"id": "r"})
    assert got is not None
    assert (got["n"], got["note"]) == (1, None)


# -- TTL ------------------------------------------------------------------------------


async def test_a_row_written_with_a_ttl_disappears(store: WideColumnStore) -> None:
    key = {"profile": "ttl", "day": 1, "seq": 1}
    # Long enough that a loaded machine still reads the row before it goes.
    await store.upsert("history", {**key, "title": "brief"}, ttl_s=3)
    await store.upsert("history", {"profile": "ttl", "day": 1, "seq": 2, "title": "stays"})
    assert await store.get("history", key) is not None
    await eventually(
        lambda: store.get("history", key), "the row to expire", done=lambda row: row is None
    )
    rows = await store.query("history", {"profile": "ttl"})
    assert keys(rows, "seq", "title") == [(2, "stays")]


async def test_a_ttl_applies_to_the_cells_it_wrote_only(store: WideColumnStore) -> None:
    await store.upsert("every_type", {"id": "r", "note": "brief"}, ttl_s=1)
    await store.upsert("every_type", {"id": "r", "n": 5})

    async def note() -> Any:
        row = await store.get("every_type", {"id": "r"})
        return row and row["note"]

    await eventually(note, "the cell to expire", done=lambda value: value is None)
    assert await store.get("every_type", {"id": "r"}) == {
        "id": "r",
        "n": 5,
        "big": None,
        "ratio": None,
        "flag": None,
        "data": None,
        "at": None,
        "note": None,
    }


async def test_a_table_default_ttl_applies_unless_overridden(store: WideColumnStore) -> None:
    spec = TableSpec(
        name="sessions",
        columns=[Column("id", "text"), Column("v", "int")],
        partition_key=["id"],
        default_ttl_s=1,
    )
    await store.create_table(spec)
    await store.upsert("sessions", {"id": "default", "v": 1})
    await store.upsert("sessions", {"id": "kept", "v": 2}, ttl_s=0)
    await eventually(
        lambda: store.get("sessions", {"id": "default"}),
        "the row to expire by the table's ttl",
        done=lambda row: row is None,
    )
    assert await store.get("sessions", {"id": "kept"}) == {"id": "kept", "v": 2}


@pytest.mark.parametrize("ttl", [-1, 1.5])
async def test_a_bad_ttl_is_refused(store: WideColumnStore, ttl: Any) -> None:
    with pytest.raises(InvalidRequestError, match="ttl"):
        await store.upsert("every_type", {"id": "r", "n": 1}, ttl_s=ttl)


# -- deletes and tombstones -------------------------------------------------------------


async def test_a_deleted_row_stays_deleted_for_older_writes(store: WideColumnStore) -> None:
    key = {"profile": "p", "day": 1, "seq": 1}
    await store.upsert("history", {**key, "title": "a", "finished": True}, timestamp_us=100)
    await store.delete("history", key, timestamp_us=200)
    assert await store.get("history", key) is None
    await store.upsert("history", {**key, "title": "late"}, timestamp_us=150)
    await store.upsert("history", {**key, "title": "tie"}, timestamp_us=200)
    assert await store.get("history", key) is None
    await store.upsert("history", {**key, "title": "newer"}, timestamp_us=300)
    got = await store.get("history", key)
    assert got is not None
    assert (got["title"], got["finished"]) == ("newer", None)


async def test_a_delete_that_arrives_first_still_wins_over_older_writes(
    store: WideColumnStore,
) -> None:
    key = {"id": "early-delete"}
    await store.delete("every_type", key, timestamp_us=1_000)
    await store.upsert("every_type", {**key, "n": 1}, timestamp_us=999)
    assert await store.get("every_type", key) is None


async def test_a_partition_delete_removes_every_row_and_shadows_older_writes(
    store: WideColumnStore,
) -> None:
    for seq in range(3):
        row = {"profile": "gone", "day": 1, "seq": seq, "title": "t"}
        await store.upsert("history", row, timestamp_us=100)
    await store.upsert("history", {"profile": "kept", "day": 1, "seq": 0}, timestamp_us=100)
    await store.delete("history", {"profile": "gone"}, timestamp_us=200)
    assert await store.query("history", {"profile": "gone"}) == []
    assert len(await store.query("history", {"profile": "kept"})) == 1
    await store.upsert("history", {"profile": "gone", "day": 2, "seq": 0}, timestamp_us=150)
    assert await store.query("history", {"profile": "gone"}) == []
    await store.upsert("history", {"profile": "gone", "day": 3, "seq": 0}, timestamp_us=250)
    assert keys(await store.query("history", {"profile": "gone"}), "day") == [(3,)]


async def test_deleting_a_missing_row_is_not_an_error(store: WideColumnStore) -> None:
    await store.upsert("history", {"profile": "kept", "day": 1, "seq": 0}, timestamp_us=100)
    await store.delete("every_type", {"id": "never"})
    await store.delete("history", {"profile": "never"})
    assert await store.query("history", {"profile": "never"}) == []
    # Deleting what was never there touches nothing else.
    assert keys(await store.query("history", {"profile": "kept"}), "day") == [(1,)]


# -- queries --------------------------------------------------------------------------


async def test_a_partition_reads_in_clustering_order_per_column_direction(
    store: WideColumnStore,
) -> None:
    for day, seq in [(1, 2), (3, 1), (1, 1), (2, 5), (3, 0)]:
        await store.upsert("history", {"profile": "p", "day": day, "seq": seq})
    await store.upsert("history", {"profile": "other", "day": 9, "seq": 9})
    rows = await store.query("history", {"profile": "p"})
    assert keys(rows, "day", "seq") == [(3, 0), (3, 1), (2, 5), (1, 1), (1, 2)]
    rows = await store.query("history", {"profile": "p"}, reverse=True)
    assert keys(rows, "day", "seq") == [(1, 2), (1, 1), (2, 5), (3, 1), (3, 0)]
    rows = await store.query("history", {"profile": "p"}, limit=2)
    assert keys(rows, "day", "seq") == [(3, 0), (3, 1)]
    rows = await store.query("history", {"profile": "p"}, limit=2, reverse=True)
    assert keys(rows, "day", "seq") == [(1, 2), (1, 1)]
    assert await store.query("history", {"profile": "empty"}) == []


async def test_bounds_are_multi_column_slices_over_a_clustering_prefix(
    store: WideColumnStore,
) -> None:
    await fill_grid(store)
    part = {"p": "x"}
    rows = await store.query("grid", part, start=(2, "b"))
    assert keys(rows, "c1", "c2") == [(2, "b"), (2, "c"), (3, "a"), (3, "b"), (3, "c")]
    rows = await store.query("grid", part, start=(2,), end=(3,))
    assert keys(rows, "c1", "c2") == [(2, "a"), (2, "b"), (2, "c")]
    rows = await store.query("grid", part, start=(1, "c"), end=(2, "c"))
    assert keys(rows, "c1", "c2") == [(1, "c"), (2, "a"), (2, "b")]
    rows = await store.query("grid", part, start=(1, "c"), end=(3,), reverse=True, limit=3)
    assert keys(rows, "c1", "c2") == [(2, "c"), (2, "b"), (2, "a")]
    assert await store.query("grid", part, start=(3, "d")) == []
    assert await store.query("grid", part, start=(2,), end=(2,)) == []


async def test_bounds_compare_values_whatever_the_clustering_direction(
    store: WideColumnStore,
) -> None:
    for day in range(1, 6):
        await store.upsert("history", {"profile": "p", "day": day, "seq": 0})
    rows = await store.query("history", {"profile": "p"}, start=(2,), end=(4,))
    assert keys(rows, "day") == [(3,), (2,)]
    rows = await store.query("history", {"profile": "p"}, end=(4,), limit=1)
    assert keys(rows, "day") == [(3,)], "paging down a newest-first table"


async def test_bad_bounds_and_limits_are_refused(store: WideColumnStore) -> None:
    with pytest.raises(InvalidRequestError, match="start"):
        await store.query("grid", {"p": "x"}, start=(1, "a", "extra"))
    with pytest.raises(InvalidRequestError, match="c1"):
        await store.query("grid", {"p": "x"}, start=("one",))
    with pytest.raises(InvalidRequestError, match="limit"):
        await store.query("grid", {"p": "x"}, limit=0)


async def test_a_table_of_key_columns_only_keeps_its_rows(store: WideColumnStore) -> None:
    spec = TableSpec(
        name="members",
        columns=[Column("group_id", "text"), Column("member", "text")],
        partition_key=["group_id"],
        clustering=[("member", "asc")],
    )
    await store.create_table(spec)
    for member in ("b", "a"):
        await store.upsert("members", {"group_id": "g", "member": member})
    assert await store.query("members", {"group_id": "g"}) == [
        {"group_id": "g", "member": "a"},
        {"group_id": "g", "member": "b"},
    ]
    await store.delete("members", {"group_id": "g", "member": "a"})
    assert keys(await store.query("members", {"group_id": "g"}), "member") == [("b",)]


# -- several processes, one file; damaged files -----------------------------------------


def _upsert_many(path: str, rendezvous: str, worker: int, count: int) -> int:
    """Upsert ``count`` rows of its own and one shared row, racing the other workers."""

    async def main() -> int:
        store = SqliteWideColumnStore(Path(path))
        await store.open()
        try:
            await store.create_table(HISTORY)
            barrier(Path(rendezvous), "start", 2)
            for seq in range(count):
                row = {"profile": "shared", "day": worker, "seq": seq, "title": f"w{worker}"}
                await store.upsert("history", row)
                hot = {"profile": "hot", "day": 0, "seq": 0, "title": f"w{worker}"}
                await store.upsert("history", {**hot, "position_s": float(seq)})
        finally:
            await store.close()
        return os.getpid()

    return asyncio.run(main())


@pytest.mark.slow
async def test_two_processes_upserting_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "wide.db"
    count = 200
    pids = await in_processes(
        _upsert_many, [(str(path), str(tmp_path / "meet"), w, count) for w in (1, 2)]
    )
    assert len(set(pids)) == 2
    store = SqliteWideColumnStore(path)
    await store.open()
    try:
        rows = await store.query("history", {"profile": "shared"})
        expected = [(w, s, f"w{w}") for w in (2, 1) for s in range(count)]
        assert keys(rows, "day", "seq", "title") == expected
        hot = await store.get("history", {"profile": "hot", "day": 0, "seq": 0})
        assert hot is not None and hot["title"] in ("w1", "w2")
    finally:
        await store.close()


async def test_a_second_instance_sees_tables_the_first_created(tmp_path: Path) -> None:
    first = SqliteWideColumnStore(tmp_path / "w.db")
    second = SqliteWideColumnStore(tmp_path / "w.db")
    await first.open()
    await second.open()
    try:
        await first.create_table(GRID)
        await second.upsert("grid", {"p": "x", "c1": 1, "c2": "a", "v": 7})
        assert await first.get("grid", {"p": "x", "c1": 1, "c2": "a"}) == {
            "p": "x",
            "c1": 1,
            "c2": "a",
            "v": 7,
        }
    finally:
        await first.close()
        await second.close()


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.db"
    path.write_bytes(os.urandom(10_000))
    with pytest.raises(StoreCorruptError) as info:
        await SqliteWideColumnStore(path).open()
    assert str(path) in str(info.value)
    assert path.stat().st_size == 10_000


async def test_a_truncated_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.db"
    store = SqliteWideColumnStore(path)
    await store.open()
    await store.create_table(HISTORY)
    for seq in range(300):
        await store.upsert("history", {"profile": "p", "day": 1, "seq": seq, "title": "x" * 200})
    await store.close()
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 3)
    with pytest.raises(StoreCorruptError) as info:
        await SqliteWideColumnStore(path).open()
    assert str(path) in str(info.value)


def test_from_url_builds_the_store_from_its_setting(tmp_path: Path) -> None:
    config = Config.load(settings.REGISTRY, environ={"REELSTACK_HOME": str(tmp_path)})
    store = sqlite.from_url(config.get(settings.WIDECOLUMN_URL), config)
    assert store.path == tmp_path / "data" / "widecolumn.db"
    assert sqlite.from_url("sqlite:///srv/w.db", config).path == Path("/srv/w.db")
