"""The sample service: greeting, visits in the relational store, count in the cache."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from reelstack.bootstrap import Adapters
from reelstack.config import Config
from reelstack.errors import UnavailableError
from reelstack.hello import repository, service
from reelstack.hello.app import create_app
from tests.unit.chassis.conftest import started

T = TypeVar("T")


class SqliteDatabase:
    """A Database on an aiosqlite file; ``migrate`` creates the table the migration would."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._engine: AsyncEngine | None = None
        self.migrated_branch: str | None = None

    @property
    def engine(self) -> AsyncEngine:
        assert self._engine is not None
        return self._engine

    async def open(self) -> None:
        self._engine = create_async_engine(f"sqlite+aiosqlite:///{self.path}")
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()

    async def ping(self) -> None:
        return None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with self._sessions() as session, session.begin():
            return await work(session)

    async def migrate(self, branch: str | None = None) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(repository.visits.create)
        self.migrated_branch = branch


class DictCache:
    def __init__(self) -> None:
        self.values: dict[str, bytes] = {}
        self.down = False

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        if self.down:
            raise UnavailableError("cache down")

    async def get(self, key: str) -> bytes | None:
        if self.down:
            raise UnavailableError("cache down")
        return self.values.get(key)

    async def set(self, key: str, value: bytes, *, ttl_s: float | None = None) -> None:
        if self.down:
            raise UnavailableError("cache down")
        self.values[key] = value

    async def delete(self, key: str) -> None:
        if self.down:
            raise UnavailableError("cache down")
        self.values.pop(key, None)

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        return {k: self.values[k] for k in keys if k in self.values}


def make(config: Config, tmp_path: Path) -> tuple[Any, SqliteDatabase, DictCache]:
    db, cache = SqliteDatabase(tmp_path / "sql.db"), DictCache()
    app = create_app(config, adapters=Adapters(config, _built={"sql": db, "cache": cache}))
    return app, db, cache


async def test_greeting_names_the_instance(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    app, _, _ = make(make_config(**{"hello.greeting": "hi"}), tmp_path)
    async for client in started(app):
        response = await client.get("/hello", params={"name": "ann"})
    assert response.json() == {"greeting": "hi ann", "instance": "hello-b-18199", "zone": "b"}


async def test_visits_are_recorded_listed_and_counted_through_the_cache(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    app, db, cache = make(make_config(), tmp_path)
    async for client in started(app):
        assert db.migrated_branch == "hello", "its own branch is migrated when sql opens"
        first = await client.post("/hello/visits", json={"name": "ann"})
        await client.post("/hello/visits", json={"name": "bob"})
        listed = await client.get("/hello/visits")
        assert cache.values[service.COUNT_KEY] == b"2"
        await client.post("/hello/visits", json={"name": "cy"})
        assert service.COUNT_KEY not in cache.values, "a new visit drops the cached count"
        relisted = await client.get("/hello/visits", params={"limit": 2})
        invalid = await client.post("/hello/visits", json={"name": ""})
    assert first.status_code == 201
    assert first.json()["name"] == "ann" and first.json()["id"] == 1
    assert listed.json()["count"] == 2
    assert [v["name"] for v in listed.json()["visits"]] == ["bob", "ann"]
    assert relisted.json()["count"] == 3
    assert [v["name"] for v in relisted.json()["visits"]] == ["cy", "bob"]
    assert invalid.status_code == 422


async def test_visits_survive_a_cache_outage(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    app, _, cache = make(make_config(), tmp_path)
    async for client in started(app):
        cache.down = True
        recorded = await client.post("/hello/visits", json={"name": "ann"})
        listed = await client.get("/hello/visits")
        ready = await client.get("/ready")
    assert recorded.status_code == 201
    assert listed.json()["count"] == 1
    assert ready.status_code == 503
    assert ready.json()["failing"] == ["cache"]
