"""Contract of the Database port, run against every adapter.

A real engine joins by adding a factory to ``FACTORIES`` (skipping itself
where the engine is not reachable).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack import settings
from reelstack.adapters.sql import sqlalchemy as sql_adapter
from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.config import Config
from reelstack.errors import ConfigError, ConflictError, StoreCorruptError, UnavailableError
from reelstack.hello import repository
from reelstack.ports import Database
from tests.contract.conftest import barrier, in_processes


def _sqlite(tmp_path: Path) -> Database:
    return SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path}/data/sql.db")


FACTORIES: dict[str, Callable[[Path], Database]] = {
    "sqlite": _sqlite,
}

scratch = MetaData()
counters = Table(
    "contract_counters",
    scratch,
    Column("name", String(50), primary_key=True),
    Column("value", Integer, nullable=False),
)
parents = Table("contract_parents", scratch, Column("id", Integer, primary_key=True))
children = Table(
    "contract_children",
    scratch,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("contract_parents.id"), nullable=False),
)


@pytest.fixture(params=sorted(FACTORIES))
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    adapter = FACTORIES[request.param](tmp_path)
    await adapter.open()
    try:
        await adapter.migrate()
        async with adapter.engine.begin() as conn:
            await conn.run_sync(scratch.create_all)
        yield adapter
    finally:
        await adapter.close()


class Conflict(Exception):
    """What a driver raises for SQLSTATE 40001 (asyncpg and psycopg name it ``sqlstate``)."""

    sqlstate = "40001"


async def count_visits(db: Database) -> int:
    async with db.session() as session:
        return await repository.count(session)


# -- migrations ---------------------------------------------------------------------


async def test_migrate_creates_the_schema_and_is_idempotent(db: Database) -> None:
    await db.migrate()
    async with db.session() as session:
        version = (await session.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert version == [("0001_hello_visits",)]
        assert await repository.count(session) == 0


# -- transactions ---------------------------------------------------------------------


async def test_a_transaction_commits_and_returns_the_result(db: Database) -> None:
    at = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)

    async def work(session: AsyncSession) -> int:
        visit = await repository.add(session, name="ada", at=at)
        return visit.id

    visit_id = await db.transaction(work)
    async with db.session() as session:
        [visit] = await repository.newest(session, limit=5)
    assert (visit.id, visit.name) == (visit_id, "ada")


async def test_a_transaction_whose_work_fails_rolls_back(db: Database) -> None:
    async def work(session: AsyncSession) -> None:
        await repository.add(session, name="lost", at=datetime.now(UTC))
        raise ValueError("the use case changed its mind")

    with pytest.raises(ValueError, match="changed its mind"):
        await db.transaction(work)
    assert await count_visits(db) == 0


async def test_a_serialization_failure_reruns_the_whole_transaction(db: Database) -> None:
    runs = 0

    async def work(session: AsyncSession) -> str:
        nonlocal runs
        runs += 1
        await repository.add(session, name=f"run{runs}", at=datetime.now(UTC))
        if runs < 3:
            raise OperationalError("COMMIT", None, Conflict("restart transaction"))
        return "done"

    assert await db.transaction(work) == "done"
    assert runs == 3
    async with db.session() as session:
        names = [v.name for v in await repository.newest(session, limit=10)]
    assert names == ["run3"], "the aborted runs left nothing behind"


async def test_a_constraint_violation_is_a_conflict_and_not_retried(db: Database) -> None:
    runs = 0

    async def work(session: AsyncSession) -> None:
        nonlocal runs
        runs += 1
        await session.execute(insert(counters).values(name="dup", value=1))
        await session.execute(insert(counters).values(name="dup", value=2))

    with pytest.raises(ConflictError):
        await db.transaction(work)
    assert runs == 1


async def test_foreign_keys_are_enforced(db: Database) -> None:
    async def orphan(session: AsyncSession) -> None:
        await session.execute(insert(children).values(id=1, parent_id=42))

    with pytest.raises(ConflictError):
        await db.transaction(orphan)


async def test_ping_answers_while_open_and_refuses_once_closed(tmp_path: Path) -> None:
    adapter = _sqlite(tmp_path)
    await adapter.open()
    await adapter.ping()
    await adapter.close()
    await adapter.close()
    with pytest.raises(UnavailableError):
        await adapter.ping()


# -- adapter specifics ---------------------------------------------------------------------


async def test_retries_are_bounded(tmp_path: Path) -> None:
    adapter = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path}/sql.db", max_attempts=3)
    await adapter.open()
    runs = 0

    async def work(session: AsyncSession) -> None:
        nonlocal runs
        runs += 1
        raise OperationalError("COMMIT", None, Conflict("restart transaction"))

    try:
        with pytest.raises(ConflictError, match="3 times"):
            await adapter.transaction(work)
        assert runs == 3
    finally:
        await adapter.close()


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    adapter = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path}/sql.db")
    await adapter.open()
    try:
        async with adapter.session() as session:
            mode = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
        assert mode == "wal"
    finally:
        await adapter.close()


def _migrate_and_write(url: str, rendezvous: str, worker: int, count: int) -> int:
    """Migrate, then insert rows and bump a shared counter, racing the other workers."""

    async def main() -> int:
        adapter = SqlAlchemyDatabase(url)
        await adapter.open()
        try:
            barrier(Path(rendezvous), "migrate", 2)
            await adapter.migrate()
            async with adapter.engine.begin() as conn:
                await conn.run_sync(scratch.create_all)
            barrier(Path(rendezvous), "write", 2)
            for i in range(count):

                async def work(session: AsyncSession, i: int = i) -> None:
                    await repository.add(session, name=f"w{worker}-{i}", at=datetime.now(UTC))
                    found = await session.execute(
                        select(counters.c.value).where(counters.c.name == "hits")
                    )
                    value = found.scalar_one_or_none()
                    if value is None:
                        await session.execute(insert(counters).values(name="hits", value=1))
                    else:
                        await session.execute(
                            update(counters)
                            .where(counters.c.name == "hits")
                            .values(value=value + 1)
                        )

                await adapter.transaction(work)
        finally:
            await adapter.close()
        return os.getpid()

    return asyncio.run(main())


@pytest.mark.slow
async def test_two_processes_writing_through_transactions_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/data/sql.db"
    count = 100
    pids = await in_processes(
        _migrate_and_write, [(url, str(tmp_path / "meet"), w, count) for w in (1, 2)]
    )
    assert len(set(pids)) == 2
    adapter = SqlAlchemyDatabase(url)
    await adapter.open()
    try:
        async with adapter.session() as session:
            assert await repository.count(session) == 2 * count
            hits = await session.execute(select(counters.c.value))
            assert hits.scalar_one() == 2 * count, "a read-modify-write lost an update"
            names = select(func.count(func.distinct(repository.visits.c.name)))
            assert (await session.execute(names)).scalar_one() == 2 * count
    finally:
        await adapter.close()


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sql.db"
    path.write_bytes(os.urandom(6000))
    with pytest.raises(StoreCorruptError) as info:
        await SqlAlchemyDatabase(f"sqlite+aiosqlite:///{path}").open()
    assert str(path) in str(info.value)


async def test_a_truncated_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sql.db"
    adapter = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{path}")
    await adapter.open()
    await adapter.migrate()

    async def fill(session: AsyncSession) -> None:
        for i in range(400):
            await repository.add(session, name="x" * 150 + str(i), at=datetime.now(UTC))

    await adapter.transaction(fill)
    await adapter.close()
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    with pytest.raises(StoreCorruptError) as info:
        await SqlAlchemyDatabase(f"sqlite+aiosqlite:///{path}").open()
    assert str(path) in str(info.value)


def test_from_url_builds_the_database_from_its_setting(tmp_path: Path) -> None:
    config = Config.load(settings.REGISTRY, environ={"REELSTACK_HOME": str(tmp_path)})
    adapter = sql_adapter.from_url(config.get(settings.SQL_URL), config)
    assert adapter.path == tmp_path / "data" / "sql.db"
    with pytest.raises(ConfigError, match=r"sql\.url"):
        sql_adapter.from_url("sqlite+aiosqlite:///relative.db", config)
