"""Relational store: the role CockroachDB plays, through SQLAlchemy 2 (async).

The port is small because SQLAlchemy is the abstraction: it hands out
sessions, runs the Alembic migrations, and retries a transaction that the
engine aborted for a serialization conflict (SQLSTATE 40001).
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
        """Return a session; commit is the caller's (``async with s.begin()``)."""
        ...

    async def transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in a transaction, retrying it on serialization failures."""
        ...

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        ...
