"""Relational store: the role CockroachDB plays, through SQLAlchemy 2 (async).

The port is small because SQLAlchemy is the abstraction: it hands out
sessions, runs the Alembic migrations, and retries a transaction that the
engine aborted for a serialization conflict (SQLSTATE 40001).

Semantics every adapter keeps:

- Writes go through ``transaction``: it runs the unit of work, commits it, and
  on a serialization conflict (40001) or deadlock (40P01) rolls back and runs
  the whole unit again, a bounded number of times, then raises ConflictError.
  The work must therefore be safe to run again (no side effects outside the
  session). A constraint violation is a ConflictError at once, not retried.
- ``session`` is for reading. A write made in it is neither retried nor, on an
  engine that queues writers (SQLite), guaranteed to get the write lock.
- Transactions are SERIALIZABLE on every engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from reelstack.ports.lifecycle import Lifecycle

T = TypeVar("T")


class Database(Lifecycle, Protocol):
    @property
    def engine(self) -> AsyncEngine: ...

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """Return a session for reading; write through ``transaction``."""
        ...

    async def transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in a transaction and commit, rerunning it on serialization failures."""
        ...

    async def migrate(self, branch: str | None = None) -> None:
        """Bring ``branch`` (a service's Alembic branch; None: every one) to its newest revision."""
        ...
