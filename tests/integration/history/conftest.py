"""History on each wide-column adapter: embedded SQLite always, Cassandra where it runs.

Each test acts for a fresh account, so tests share a Cassandra keyspace
(created once per run, dropped at the end) without truncating anything.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from reelstack import settings
from reelstack.adapters.widecolumn.sqlite import SqliteWideColumnStore
from reelstack.config import Config
from reelstack.history import repository
from reelstack.history.models import Caller
from reelstack.ports import WideColumnStore
from tests.support.engines import require

KEYSPACE = f"history_{os.getpid()}_{uuid.uuid4().hex[:8]}"
_used_cassandra: list[tuple[str, int]] = []


def _address() -> tuple[str, int]:
    host, _, port = require("REELSTACK_TEST_CASSANDRA").rpartition(":")
    return host, int(port)


def _sqlite(tmp_path: Path) -> WideColumnStore:
    return SqliteWideColumnStore(tmp_path / "data" / "wide.db")


def _cassandra(tmp_path: Path) -> WideColumnStore:
    from reelstack.adapters.widecolumn.cassandra import CassandraWideColumnStore

    address = _address()
    if not _used_cassandra:
        _used_cassandra.append(address)
    return CassandraWideColumnStore([address], KEYSPACE)


FACTORIES: dict[str, Callable[[Path], WideColumnStore]] = {
    "sqlite": _sqlite,
    "cassandra": _cassandra,
}


@pytest.fixture(scope="session", autouse=True)
def _drop_keyspace() -> Iterator[None]:
    yield
    if _used_cassandra:
        from cassandra.cluster import Cluster

        cluster = Cluster([_used_cassandra[0]], protocol_version=5)
        try:
            cluster.connect().execute(f'DROP KEYSPACE IF EXISTS "{KEYSPACE}"')
        finally:
            cluster.shutdown()


@pytest.fixture(params=sorted(FACTORIES))
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> WideColumnStore:
    """An adapter not opened yet (an app opens it itself)."""
    factory: Callable[[Path], WideColumnStore] = FACTORIES[request.param]
    return factory(tmp_path)


@pytest.fixture
async def store(new_store: WideColumnStore) -> AsyncIterator[WideColumnStore]:
    """An opened adapter with history's tables."""
    await new_store.open()
    try:
        await repository.create_tables(new_store)
        yield new_store
    finally:
        await new_store.close()


def new_caller(profile: str = "p1") -> Caller:
    """A caller under an account no other test uses."""
    return Caller(account=f"acct-{uuid.uuid4().hex[:12]}", profile=profile)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    environ: dict[str, Any] = {
        "REELSTACK_HOME": str(tmp_path),
        "REELSTACK_SERVICE_NAME": "history",
        "REELSTACK_SERVICE_PORT": "18299",
    }
    return Config.load(settings.REGISTRY, environ=environ)


async def every_title(title_ids: Sequence[str], caller: Caller) -> set[str]:
    """A title filter keeping everything: the tests whose callers are not restricted."""
    return set(title_ids)
