"""CQL built from table specs, keyspaces and slices, and specs read back from the schema."""

from __future__ import annotations

import pytest

from reelstack.adapters.widecolumn import cql
from reelstack.errors import InvalidRequestError
from reelstack.ports import Column, TableSpec

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
