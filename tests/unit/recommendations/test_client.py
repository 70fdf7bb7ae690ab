"""A caller of recommendations gets the cached rows when the service cannot answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest

from reelstack.adapters.cache.memory import MemoryCache
from reelstack.chassis.caller import Caller
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.chassis.resilience.client import ResilientClient
from reelstack.recommendations import client as rec_client
from reelstack.recommendations.builder import cache_key
from tests.support.ports import free_port

KID = Caller(account="acc1", profile="p1", maturity="kids", region="GB")


@pytest.fixture
async def nobody_home() -> AsyncIterator[ResilientClient]:
    # An instance nobody listens on: every call fails to connect.
    dead = InstanceInfo("recommendations", "rec-1", "127.0.0.1", free_port(), zone="a")
    client = ResilientClient(StaticDiscovery([dead]), zone="a")
    yield client
    await client.close()


async def test_the_cached_rows_of_the_callers_level_and_region_answer(
    nobody_home: ResilientClient,
) -> None:
    cache = MemoryCache()
    rows = [{"id": "trending", "name": "Trending now", "items": [{"id": "t", "kind": "title"}]}]
    await cache.set(cache_key("GB", "kids"), orjson.dumps({"rows": rows, "built_at": 1}))
    await cache.set(cache_key("GB", "adults"), orjson.dumps({"rows": [], "built_at": 1}))
    answer = await rec_client.home_rows(nobody_home, cache, KID, default_region="US")
    assert answer["fallback"] is True and answer["rows"] == rows
    assert (answer["region"], answer["maturity"]) == ("GB", "kids")
    assert [e["part"] for e in answer["errors"]] == ["recommendations"]


async def test_nothing_cached_is_an_empty_page_that_says_why(
    nobody_home: ResilientClient,
) -> None:
    answer = await rec_client.home_rows(nobody_home, MemoryCache(), KID, default_region="US")
    assert answer["rows"] == [] and answer["fallback"] is True
    assert [e["part"] for e in answer["errors"]] == ["recommendations", "fallback"]
