"""SQLite writers take turns (in a process, then across processes), not at the file lock."""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase, writer_lock_path


async def test_concurrent_writers_of_one_process_all_commit_without_waiting_on_sqlite(
    tmp_path: Path,
) -> None:
    # No busy wait and no retry: two writers meeting at SQLite's lock would fail.
    db = SqlAlchemyDatabase(
        f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
        busy_timeout_s=0.0,
        max_attempts=1,
        version_locations=[],
    )
    await db.open()
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            await conn.execute(text("INSERT INTO counter VALUES (0)"))

        async def bump(session: AsyncSession) -> None:
            n = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
            await asyncio.sleep(0)  # let the other writers run up against this one
            await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

        await asyncio.gather(*(db.transaction(bump) for _ in range(12)))
        async with db.session() as session:
            assert (await session.execute(text("SELECT n FROM counter"))).scalar_one() == 12
    finally:
        await db.close()


async def test_a_write_transaction_inside_another_fails_instead_of_waiting_forever(
    tmp_path: Path,
) -> None:
    db = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path / 'nested.db'}")
    await db.open()
    try:

        async def inner(session: AsyncSession) -> None:
            return None

        async def outer(session: AsyncSession) -> None:
            await db.transaction(inner)

        with pytest.raises(RuntimeError, match="inside another"):
            await db.transaction(outer)
        # The turn was given back: the next writer goes on.
        await db.transaction(inner)
    finally:
        await db.close()


async def test_a_burst_of_readers_reuses_the_files_connections(tmp_path: Path) -> None:
    # A connection opened for a burst and closed after it is a thread, a file
    # open and the pragmas again on the next burst: the pool keeps them all.
    db = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", pool_size=3)
    await db.open()
    opened: list[object] = []
    event.listen(db.engine.sync_engine, "connect", lambda conn, _record: opened.append(conn))
    try:

        async def read() -> None:
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
                await asyncio.sleep(0.01)  # all of the burst at once

        for _ in range(3):
            await asyncio.gather(*(read() for _ in range(20)))
        # One burst opens what the pool holds; the next bursts open nothing.
        assert 0 < len(opened) <= 6
    finally:
        await db.close()


async def test_writers_of_two_processes_queue_on_the_files_flock_not_sqlites_busy_handler(
    tmp_path: Path,
) -> None:
    # Two databases on one file stand for two processes (a flock belongs to an
    # open file, not to a process). No busy wait, no retry: without the flock
    # the writers would meet at SQLite's lock and fail.
    url = f"sqlite+aiosqlite:///{tmp_path / 'two.db'}"
    first, second = (
        SqlAlchemyDatabase(url, busy_timeout_s=0.0, max_attempts=1, version_locations=[])
        for _ in range(2)
    )
    await first.open()
    await second.open()
    try:
        async with first.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
            await conn.execute(text("INSERT INTO counter VALUES (0)"))

        async def bump(session: AsyncSession) -> None:
            n = (await session.execute(text("SELECT n FROM counter"))).scalar_one()
            await asyncio.sleep(0.01)  # hold the lock while the other side asks for it
            await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

        await asyncio.gather(*(db.transaction(bump) for _ in range(6) for db in (first, second)))
        async with first.session() as session:
            assert (await session.execute(text("SELECT n FROM counter"))).scalar_one() == 12
    finally:
        await first.close()
        await second.close()


async def test_a_writer_cancelled_while_queued_for_the_flock_leaves_it_free(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cancel.db"
    db = SqlAlchemyDatabase(f"sqlite+aiosqlite:///{path}", version_locations=[])
    await db.open()
    ran: list[str] = []

    async def work(session: AsyncSession) -> None:
        ran.append("work")

    holder = os.open(writer_lock_path(path), os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)  # another process is writing
        queued = asyncio.create_task(db.transaction(work))
        await asyncio.sleep(0.2)
        assert ran == []  # it waits for the other process's turn to end
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        fcntl.flock(holder, fcntl.LOCK_UN)
        # The cancelled waiter's thread took the flock and gave it back.
        await asyncio.wait_for(db.transaction(work), timeout=60)
        assert ran == ["work"]
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    finally:
        os.close(holder)
        await db.close()
