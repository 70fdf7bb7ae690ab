"""Adapters opened by the lifespan, checked by /ready, retried when unreachable."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import APIRouter

from reelstack.bootstrap import Adapters
from reelstack.chassis import adapter_lifecycle as dependencies
from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.route_deps import CacheDep
from reelstack.config import Config
from reelstack.errors import StoreCorruptError, UnavailableError
from tests.support.wait import eventually
from tests.unit.chassis.conftest import started


class FakeAdapter:
    """Implements Lifecycle; its engine can be made unreachable or corrupt."""

    def __init__(self, *, reachable: bool = True, corrupt: bool = False) -> None:
        self.reachable = reachable
        self.corrupt = corrupt
        self.opened = False
        self.closed = False
        self.open_attempts = 0

    async def open(self) -> None:
        self.open_attempts += 1
        if self.corrupt:
            raise StoreCorruptError("/data/cache.db", "file is not a database")
        if not self.reachable:
            raise UnavailableError("connection refused by 127.0.0.1:11211")
        self.opened = True

    async def close(self) -> None:
        self.closed = True

    async def ping(self) -> None:
        if not self.reachable:
            raise UnavailableError("connection refused by 127.0.0.1:11211")

    async def get(self, key: str) -> bytes | None:
        return b"cached"


router = APIRouter()


@router.get("/cached")
async def cached(cache: CacheDep) -> dict[str, str]:
    value = await cache.get("k")
    return {"value": (value or b"").decode()}


def make_app(config: Config, **fakes: Any):  # type: ignore[no-untyped-def]
    adapters = Adapters(config, _built=dict(fakes))
    return create_service_app(
        config, routers=[router], ports=list(fakes), adapters=adapters, poll_properties=False
    )


async def test_ready_when_every_dependency_answers(make_config: Callable[..., Config]) -> None:
    sql, cache = FakeAdapter(), FakeAdapter()
    app = make_app(make_config(), sql=sql, cache=cache)
    async for client in started(app):
        response = await client.get("/ready")
        assert (await client.get("/cached")).json() == {"value": "cached"}
    assert response.status_code == 200
    assert response.json()["dependencies"] == {"sql": {"status": "up"}, "cache": {"status": "up"}}
    assert sql.closed and cache.closed


async def test_ready_names_the_failing_dependency_and_why(
    make_config: Callable[..., Config],
) -> None:
    sql, cache = FakeAdapter(), FakeAdapter()
    app = make_app(make_config(), sql=sql, cache=cache)
    async for client in started(app):
        cache.reachable = False
        response = await client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache"]
    assert body["dependencies"]["sql"] == {"status": "up"}
    assert "connection refused by 127.0.0.1:11211" in body["dependencies"]["cache"]["reason"]


async def test_unreachable_at_start_serves_then_opens_in_background(
    make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dependencies, "RETRY_FIRST_S", 0.01)
    cache = FakeAdapter(reachable=False)
    app = make_app(make_config(), cache=cache)
    async for client in started(app):
        assert (await client.get("/health")).status_code == 200
        not_ready = await client.get("/ready")
        unavailable = await client.get("/cached")
        cache.reachable = True
        await eventually(
            functools.partial(client.get, "/ready"),
            "the cache to be reopened",
            done=lambda ready: ready.status_code == 200,
        )
        assert (await client.get("/cached")).status_code == 200
    assert not_ready.status_code == 503
    assert "connection refused" in not_ready.json()["dependencies"]["cache"]["reason"]
    assert unavailable.status_code == 503
    assert unavailable.json()["error"] == "UnavailableError"
    assert cache.open_attempts >= 2


async def test_corrupt_store_fails_start_up(make_config: Callable[..., Config]) -> None:
    sql, cache = FakeAdapter(), FakeAdapter(corrupt=True)
    app = make_app(make_config(), sql=sql, cache=cache)
    with pytest.raises(StoreCorruptError):
        async with app.router.lifespan_context(app):
            pass
    assert sql.closed, "adapters opened before the failure are closed"


async def test_corrupt_store_found_by_a_retry_stops_the_instance(
    make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dependencies, "RETRY_FIRST_S", 0.01)
    cache = FakeAdapter(reachable=False)
    app = make_app(make_config(), cache=cache)
    chassis = chassis_of(app)
    stopped = asyncio.Event()
    chassis.stop_server = stopped.set
    async for _client in started(app):
        cache.corrupt = True
        await asyncio.wait_for(stopped.wait(), 10)
    assert isinstance(chassis.fatal, StoreCorruptError)


def test_unknown_role_is_refused(make_config: Callable[..., Config]) -> None:
    with pytest.raises(ValueError, match="unknown adapter role"):
        create_service_app(make_config(), ports=["mainframe"], poll_properties=False)
