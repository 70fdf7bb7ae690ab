"""CassandraWideColumnStore without a server: its URL, settings, CQL, and an unreachable node."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack import settings
from reelstack.adapters.widecolumn import cql
from reelstack.config import Config
from reelstack.errors import ConfigError, InvalidRequestError, UnavailableError
from reelstack.ports import Column, TableSpec
from tests.support.ports import free_port

cassandra_adapter = pytest.importorskip("reelstack.adapters.widecolumn.cassandra")

HISTORY = TableSpec(
    name="history",
    columns=[
        Column("profile", "text"),
        Column("day", "int"),
        Column("seq", "bigint"),
        Column("token", "text"),
    ],
    partition_key=["profile"],
    clustering=[("day", "desc"), ("seq", "asc")],
    default_ttl_s=60,
)


def load(tmp_path: Path, **env: str) -> Config:
    return settings.load(environ={"REELSTACK_HOME": str(tmp_path), **env})


def test_the_url_names_contact_points_and_keyspace() -> None:
    parse = cassandra_adapter.parse_url
    assert parse("cassandra://db1:9142,db2/media") == ([("db1", 9142), ("db2", 9042)], "media")
    assert parse("cassandra://127.0.0.1:9042/ks/") == ([("127.0.0.1", 9042)], "ks")
    for bad in (
        "cassandra://db1:9042",
        "cassandra://db1:x/ks",
        "cassandra:///ks",
        "cassandra://h/Bad",
    ):
        with pytest.raises(ValueError):
            parse(bad)


def test_from_url_takes_replication_consistency_and_timeout_from_settings(
    tmp_path: Path,
) -> None:
    config = load(
        tmp_path,
        REELSTACK_WIDECOLUMN_REPLICATION="NetworkTopologyStrategy:dc1=3, dc2=2",
        REELSTACK_WIDECOLUMN_CONSISTENCY="QUORUM",
        REELSTACK_WIDECOLUMN_LOCAL_DC="dc1",
        REELSTACK_WIDECOLUMN_TIMEOUT_S="2.5",
    )
    store = cassandra_adapter.from_url("cassandra://a:1,b:2/media", config)
    assert store.contact_points == [("a", 1), ("b", 2)]
    assert store.keyspace == "media"
    assert store.replication == {"class": "NetworkTopologyStrategy", "dc1": "3", "dc2": "2"}
    assert (store.consistency, store.local_dc, store.timeout_s) == ("QUORUM", "dc1", 2.5)
    default = cassandra_adapter.from_url("cassandra://a/media", load(tmp_path))
    assert default.replication == {"class": "SimpleStrategy", "replication_factor": "1"}
    assert (default.consistency, default.local_dc) == ("LOCAL_QUORUM", None)


def test_bad_settings_are_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"widecolumn\.url"):
        cassandra_adapter.from_url("cassandra://db1", load(tmp_path))
    for value in ("SimpleStrategy:0", "NetworkTopologyStrategy:dc1", "Everywhere:3"):
        with pytest.raises(ConfigError, match=r"widecolumn\.replication"):
            load(tmp_path, REELSTACK_WIDECOLUMN_REPLICATION=value)
    with pytest.raises(ConfigError, match=r"widecolumn\.consistency"):
        load(tmp_path, REELSTACK_WIDECOLUMN_CONSISTENCY="SOME")


def test_the_table_spec_becomes_cql_and_comes_back_from_the_schema() -> None:
    assert cql.create_table("media", HISTORY) == (
        'CREATE TABLE IF NOT EXISTS "media"."history" ("profile" text, "day" int, '
        '"seq" bigint, "token" text, PRIMARY KEY (("profile"), "day", "seq")) '
        'WITH CLUSTERING ORDER BY ("day" DESC, "seq" ASC) AND default_time_to_live = 60'
    )
    rows = [
        ("token", "regular", -1, "none", "text"),
        ("seq", "clustering", 1, "asc", "bigint"),
        ("profile", "partition_key", 0, "none", "text"),
        ("day", "clustering", 0, "desc", "int"),
    ]
    back = cql.spec_from_schema("history", 60, rows)
    assert cql.same_definition(back, HISTORY)
    flipped = [r if r[0] != "day" else ("day", "clustering", 0, "asc", "int") for r in rows]
    assert not cql.same_definition(cql.spec_from_schema("history", 60, flipped), HISTORY)
    assert not cql.same_definition(cql.spec_from_schema("history", 0, rows), HISTORY)


def test_a_replication_map_never_carries_cql() -> None:
    assert cql.create_keyspace("media", {"class": "NetworkTopologyStrategy", "us-east": "3"}) == (
        'CREATE KEYSPACE IF NOT EXISTS "media" WITH replication = '
        "{'class': 'NetworkTopologyStrategy', 'us-east': '3'}"
    )
    with pytest.raises(InvalidRequestError, match="replication"):
        cql.create_keyspace("media", {"class": "SimpleStrategy", "x": "1'}; DROP KEYSPACE a; --"})


def test_slices_and_reverse_order_in_cql() -> None:
    statements = cql.Statements("media", HISTORY)
    assert statements.query(2, 1, reverse=True, limit=True) == (
        'SELECT "profile", "day", "seq", "token" FROM "media"."history" '
        'WHERE "profile" = ? AND ("day", "seq") >= (?, ?) AND ("day") < (?) '
        'ORDER BY "day" ASC, "seq" DESC LIMIT ?'
    )


async def test_an_unreachable_cluster_is_unavailable_naming_the_contact_points() -> None:
    port = free_port()  # nothing listens on it: the connection is refused
    store = cassandra_adapter.CassandraWideColumnStore([("127.0.0.1", port)], "media", timeout_s=2)
    with pytest.raises(UnavailableError, match=f"127.0.0.1:{port}"):
        await store.open()
    with pytest.raises(UnavailableError, match="not open"):
        await store.ping()
    await store.close()
