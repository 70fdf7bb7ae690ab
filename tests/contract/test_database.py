"""Contract of the Database port, run against every adapter.

A real engine joins by adding a factory to ``FACTORIES`` (skipping itself
where the engine is not reachable). A factory yields an adapter that is not
open yet, on a store of its own: a fresh file, or a fresh database that is
dropped afterwards.
"""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from reelstack import db as db_module
from reelstack import migrations, services, settings
from reelstack.adapters.sql import sqlalchemy as sql_adapter
from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.config import Config
from reelstack.errors import ConfigError, ConflictError, StoreCorruptError, UnavailableError
from reelstack.hello import repository
from reelstack.ports import Database
from tests.contract.conftest import barrier, in_processes
from tests.support.engines import require
from tests.support.ports import free_port


def _sqlite(tmp_path: Path) -> SqlAlchemyDatabase:
    return SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path}/data/sql.db")


@asynccontextmanager
async def _sqlite_file(tmp_path: Path) -> AsyncIterator[SqlAlchemyDatabase]:
    yield _sqlite(tmp_path)


@asynccontextmanager
async def _postgres(tmp_path: Path) -> AsyncIterator[SqlAlchemyDatabase]:
    """A database of its own on the PostgreSQL server, dropped afterwards."""
    server = make_url(require("REELSTACK_TEST_POSTGRES"))
    name = f"contract_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield SqlAlchemyDatabase(
                server.set(database=name).render_as_string(hide_password=False)
            )
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


FACTORIES: dict[str, Callable[[Path], AbstractAsyncContextManager[SqlAlchemyDatabase]]] = {
    "sqlite": _sqlite_file,
    "postgres": _postgres,
}
# The engines behind a server, where transactions really run concurrently.
SERVERS = ["postgres"]

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
async def fresh(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SqlAlchemyDatabase]:
    """An adapter on an empty store of its own, not opened yet."""
    async with FACTORIES[request.param](tmp_path) as adapter:
        try:
            yield adapter
        finally:
            await adapter.close()


@pytest.fixture
async def db(fresh: SqlAlchemyDatabase) -> AsyncIterator[Database]:
    await fresh.open()
    await fresh.migrate()
    async with fresh.engine.begin() as conn:
        await conn.run_sync(scratch.create_all)
    yield fresh


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
        assert await _stamped(session) == _heads()
        assert await repository.count(session) == 0


async def test_a_service_migrates_its_own_branch_and_moves_no_other(
    fresh: SqlAlchemyDatabase,
) -> None:
    await fresh.open()
    await fresh.migrate("hello")
    async with fresh.session() as session:
        assert await _stamped(session) == {_heads_by_branch()["hello"]}
        tables = await session.run_sync(lambda s: set(inspect(s.connection()).get_table_names()))
    assert "hello_visits" in tables
    assert not {t for t in tables if t.startswith("media_")}

    await fresh.migrate("media")
    async with fresh.session() as session:
        branches = _heads_by_branch()
        assert await _stamped(session) == {branches["hello"], branches["media"]}
        assert await repository.count(session) == 0


async def test_a_store_migrated_before_the_branches_keeps_its_tables(
    fresh: SqlAlchemyDatabase,
) -> None:
    # What a store looked like when every revision stood on one line: hello's
    # table made, the version table naming only the newest (media) revision.
    await fresh.open()
    await fresh.migrate("hello")
    await fresh.migrate("media")
    async with fresh.engine.begin() as conn:
        # The line ended at 0004: what media's later revisions made is undone.
        await conn.execute(text("DROP TABLE media_removed_titles"))
        await conn.execute(text("ALTER TABLE media_titles DROP COLUMN announced_at"))
        await conn.execute(text("DROP INDEX ix_media_titles_account"))
        await conn.execute(text("ALTER TABLE media_titles DROP COLUMN account_id"))
        await conn.execute(text("ALTER TABLE media_titles DROP COLUMN source_bytes"))
        await conn.execute(text("DELETE FROM alembic_version"))
        await conn.execute(text("INSERT INTO alembic_version VALUES ('0004_media_extras')"))
    await fresh.migrate("hello")
    await fresh.migrate()
    async with fresh.session() as session:
        assert await _stamped(session) == _heads()


async def test_autogenerate_against_a_migrated_store_proposes_nothing(db: Database) -> None:
    # Every table a revision makes is declared on the metadata the code uses,
    # with the same columns, types, constraints and indexes.
    migrations.declare_tables(services.specs().values())

    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        own = MetaData(naming_convention=db_module.metadata.naming_convention)
        for table in db_module.metadata.tables.values():
            if not table.name.startswith("contract_"):
                table.to_metadata(own)
        diff: list[object] = compare_metadata(context, own)
        # The scratch tables of this suite are no service's; undeclared tables
        # (an engine's own kinds, such as FTS5) are made by their revision alone.
        undeclared = ("contract_", *db_module.UNDECLARED_TABLES)
        return [d for d in diff if not any(p in repr(d) for p in undeclared)]

    async with db.engine.connect() as conn:
        assert await conn.run_sync(compare) == []


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


async def test_ping_answers_while_open_and_refuses_once_closed(fresh: Database) -> None:
    adapter = fresh
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


def _migrate_and_write(url: str, rendezvous: str, worker: int, count: int, attempts: int) -> int:
    """Migrate, then insert rows and bump a shared counter, racing the other workers."""

    async def main() -> int:
        adapter = SqlAlchemyDatabase(url, max_attempts=attempts)
        await adapter.open()
        try:
            barrier(Path(rendezvous), "migrate", 2)
            await adapter.migrate()
            if worker == 1:
                # Test tables, not the adapter's migrations: one worker makes them.
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
async def test_two_processes_writing_through_transactions_lose_nothing(
    fresh: SqlAlchemyDatabase, tmp_path: Path
) -> None:
    url = fresh.url.render_as_string(hide_password=False)
    count = 100
    # SQLite queues writers on its lock; a server aborts one of two conflicting
    # read-modify-writes nearly every time both run, so give it room to retry.
    attempts = sql_adapter.MAX_ATTEMPTS if fresh.is_sqlite else 100
    pids = await in_processes(
        _migrate_and_write, [(url, str(tmp_path / "meet"), w, count, attempts) for w in (1, 2)]
    )
    assert len(set(pids)) == 2
    adapter = fresh
    await adapter.open()
    async with adapter.session() as session:
        assert await repository.count(session) == 2 * count
        hits = await session.execute(select(counters.c.value))
        assert hits.scalar_one() == 2 * count, "a read-modify-write lost an update"
        names = select(func.count(func.distinct(repository.visits.c.name)))
        assert (await session.execute(names)).scalar_one() == 2 * count


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


def test_from_url_takes_the_server_settings(tmp_path: Path) -> None:
    environ = {
        "REELSTACK_HOME": str(tmp_path),
        "REELSTACK_SQL_POOL_SIZE": "3",
        "REELSTACK_SQL_CONNECT_TIMEOUT_S": "2.5",
        "REELSTACK_SQL_MAX_ATTEMPTS": "4",
    }
    config = Config.load(settings.REGISTRY, environ=environ)
    adapter = sql_adapter.from_url("postgresql+asyncpg://app@db.example:6543/app", config)
    assert (adapter.pool_size, adapter.connect_timeout_s, adapter.max_attempts) == (3, 2.5, 4)
    assert adapter.where == "postgresql at db.example:6543/app"


# -- servers: PostgreSQL, CockroachDB ---------------------------------------------------


@pytest.mark.parametrize("fresh", SERVERS, indirect=True)
async def test_conflicting_serializable_transactions_both_commit_once_through_a_retry(
    db: Database,
) -> None:
    """Two transactions read the same row, then both write it: the server aborts one (40001)."""

    async def seed(session: AsyncSession) -> None:
        await session.execute(insert(counters).values(name="hits", value=0))

    await db.transaction(seed)
    runs = {"a": 0, "b": 0}
    both_read = asyncio.Event()

    async def bump(who: str, session: AsyncSession) -> None:
        runs[who] += 1
        found = await session.execute(select(counters.c.value).where(counters.c.name == "hits"))
        value = found.scalar_one()
        if runs[who] == 1:
            # The first runs meet here, so both have read before either writes.
            if all(runs.values()):
                both_read.set()
            await asyncio.wait_for(both_read.wait(), 10)
        await session.execute(
            update(counters).where(counters.c.name == "hits").values(value=value + 1)
        )
        await repository.add(session, name=who, at=datetime.now(UTC))

    await asyncio.gather(db.transaction(partial(bump, "a")), db.transaction(partial(bump, "b")))
    assert sorted(runs.values()) == [1, 2], "exactly one of the two ran again"
    async with db.session() as session:
        hits = await session.execute(select(counters.c.value))
        assert hits.scalar_one() == 2, "an update was lost"
        names = sorted(v.name for v in await repository.newest(session, limit=10))
    assert names == ["a", "b"], "each transaction committed exactly once"


# The engine and process behind each server factory, to stop and restart it.
PROCESSES = {"postgres": ("postgres", "postgres")}


@pytest.mark.slow
@pytest.mark.parametrize("fresh", SERVERS, indirect=True)
async def test_a_stopped_server_is_unavailable_and_the_store_recovers(
    request: pytest.FixtureRequest, db: Database
) -> None:
    from tools.engines import restart_process, stop_one

    name, process = PROCESSES[request.node.callspec.params["fresh"]]
    at = datetime.now(UTC)

    async def add(session: AsyncSession) -> None:
        await repository.add(session, name="kept", at=at)

    await db.transaction(add)
    await asyncio.to_thread(stop_one, name, process)
    try:
        with pytest.raises(UnavailableError):
            await db.transaction(add)
        with pytest.raises(UnavailableError):
            await count_visits(db)
        with pytest.raises(UnavailableError):
            await db.ping()
    finally:
        await asyncio.to_thread(restart_process, name, process)
    await db.transaction(add)
    assert await count_visits(db) == 2


@pytest.mark.parametrize("scheme", ["postgresql+asyncpg", "cockroachdb+asyncpg"])
async def test_an_unreachable_server_is_unavailable_naming_host_and_port(scheme: str) -> None:
    port = free_port()
    adapter = SqlAlchemyDatabase(f"{scheme}://reelstack@127.0.0.1:{port}/reelstack")
    with pytest.raises(UnavailableError, match=f"127.0.0.1:{port}"):
        await adapter.open()
    with pytest.raises(UnavailableError):
        await adapter.ping()


async def test_a_cockroachdb_url_builds_an_engine_with_its_dialect() -> None:
    # No CockroachDB server here: this checks what can be checked without one.
    adapter = SqlAlchemyDatabase("cockroachdb+asyncpg://root@127.0.0.1:26257/reelstack")
    engine = adapter._create_engine()
    try:
        assert (engine.dialect.name, engine.dialect.driver) == ("cockroachdb", "asyncpg")
        # The level every connection is set to on connect; CockroachDB offers it.
        assert "SERIALIZABLE" in engine.dialect.get_isolation_level_values(None)
    finally:
        await engine.dispose()


def _script() -> ScriptDirectory:
    locations = migrations.version_locations(services.specs().values())
    return ScriptDirectory.from_config(migrations.alembic_config(locations))


def _heads() -> set[str]:
    """The newest revision of every branch: what every store ends on after ``migrate``."""
    return set(_script().get_heads())


def _heads_by_branch() -> dict[str, str]:
    script = _script()
    out: dict[str, str] = {}
    for head in script.get_heads():
        revision = script.get_revision(head)
        assert revision is not None
        for label in revision.branch_labels:
            out[label] = head
    return out


async def _stamped(session: AsyncSession) -> set[str]:
    rows = await session.execute(text("SELECT version_num FROM alembic_version"))
    return {row[0] for row in rows}


def _render_migrations(url: str) -> str:
    out = io.StringIO()
    config = migrations.alembic_config(migrations.version_locations(services.specs().values()))
    config.output_buffer = out
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "heads", sql=True)
    return out.getvalue()


def test_the_migrations_render_for_cockroachdb_as_for_postgresql() -> None:
    cockroach = _render_migrations("cockroachdb+asyncpg://root@127.0.0.1:26257/reelstack")
    assert "CREATE TABLE hello_visits" in cockroach
    assert "INSERT INTO alembic_version (version_num) VALUES ('0001_hello_visits')" in cockroach
    for head in _heads():
        assert f"'{head}'" in cockroach
    postgres = _render_migrations("postgresql+asyncpg://reelstack@127.0.0.1:5432/reelstack")

    # Alembic's CockroachDB support does not wrap DDL in BEGIN/COMMIT itself
    # (``migrate`` runs it in its own transaction), and CockroachDB has
    # trigram indexes built in (PostgreSQL needs the pg_trgm extension); the
    # other statements are the same.
    skipped = ("", "BEGIN;", "COMMIT;", "CREATE EXTENSION IF NOT EXISTS pg_trgm;")

    def statements(script: str) -> list[str]:
        return [ln for ln in script.splitlines() if ln.strip() not in skipped]

    assert statements(cockroach) == statements(postgres)
