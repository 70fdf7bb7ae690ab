"""Memcached servers and zones: key placement, zones from the URL, expiry times."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("aiomcache")

from reelstack.adapters.cache.memcached_servers import (
    RELATIVE_LIMIT_S,
    Server,
    Zone,
    memcached_expiry,
    parse_zones,
)


def test_ttls_become_whole_seconds_never_shorter_and_unix_times_past_30_days() -> None:
    assert memcached_expiry(None, None) == 0
    assert memcached_expiry(float("inf"), None) == 0
    assert memcached_expiry(0.3, None) == 2
    assert memcached_expiry(2, None) == 3
    assert memcached_expiry(None, 10) == 11
    assert memcached_expiry(RELATIVE_LIMIT_S - 1, None) == RELATIVE_LIMIT_S
    month = 31 * 24 * 3600
    assert abs(memcached_expiry(month, None) - (time.time() + month)) < 5
    assert memcached_expiry(100 * 365 * 24 * 3600, None) == 0, "past 2038: never expires"


def test_keys_spread_over_a_zone_and_stay_put_when_a_server_joins() -> None:
    servers = [Server("127.0.0.1", port, 1) for port in (1, 2, 3)]
    keys = [f"key-{i}".encode() for i in range(3000)]
    three = Zone("a", servers)
    placed = {k: three.server_for(k) for k in keys}
    counts = [sum(1 for s in placed.values() if s is server) for server in servers]
    assert all(800 < count < 1200 for count in counts), counts
    four = Zone("a", [*servers, Server("127.0.0.1", 4, 1)])
    moved = [k for k in keys if four.server_for(k) is not placed[k]]
    assert 500 < len(moved) < 1000, "about a quarter move, all to the new server"
    assert all(four.server_for(k).port == 4 for k in moved)


def test_zones_are_read_from_the_url() -> None:
    assert parse_zones("memcached://a=h:1,h:2;b=[::1]:3", "a") == {
        "a": [("h", 1), ("h", 2)],
        "b": [("::1", 3)],
    }
    assert parse_zones("memcached://h:1", "z") == {"z": [("h", 1)]}
    for url in (
        "memcached://a=h",
        "memcached://a=h:0",
        "memcached://=h:1",
        "memcached://a=h:1;a=h:2",
    ):
        with pytest.raises(ValueError):
            parse_zones(url, "a")
