"""The relational engines the catalog's integration tests run on: a store of its own on each.

SQLite always; PostgreSQL where an engine runs (a fresh database, dropped
afterwards), skipped or, with REELSTACK_REQUIRE_ENGINES=1, failed otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from tests.support.engines import require
from tests.unit.catalog.conftest import database


@asynccontextmanager
async def _sqlite(tmp_path: Path) -> AsyncIterator[SqlAlchemyDatabase]:
    yield database(tmp_path / "sql.db")


@asynccontextmanager
async def _postgres(tmp_path: Path) -> AsyncIterator[SqlAlchemyDatabase]:
    server = make_url(require("REELSTACK_TEST_POSTGRES"))
    name = f"catalog_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield database(server.set(database=name).render_as_string(hide_password=False))
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


ENGINES: dict[str, Callable[[Path], AbstractAsyncContextManager[SqlAlchemyDatabase]]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}
