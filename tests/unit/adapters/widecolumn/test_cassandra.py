"""CassandraWideColumnStore without a server: its URL, settings, and an unreachable node."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import Config
from reelstack.errors import ConfigError, UnavailableError
from tests.support.ports import free_port

cassandra_adapter = pytest.importorskip("reelstack.adapters.widecolumn.cassandra")


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


async def test_an_unreachable_cluster_is_unavailable_naming_the_contact_points() -> None:
    port = free_port()  # nothing listens on it: the connection is refused
    store = cassandra_adapter.CassandraWideColumnStore([("127.0.0.1", port)], "media", timeout_s=2)
    with pytest.raises(UnavailableError, match=f"127.0.0.1:{port}"):
        await store.open()
    with pytest.raises(UnavailableError, match="not open"):
        await store.ping()
    await store.close()
