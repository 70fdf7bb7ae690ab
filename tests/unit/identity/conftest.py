"""The identity service on a real SQLite store in a temporary file, with a clock tests move."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from reelstack import migrations, services
from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.bootstrap import Adapters
from reelstack.config import Config
from reelstack.identity.app import create_app
from reelstack.identity.context import IdentityContext, Limits
from reelstack.identity.passwords import Passwords
from tests.unit.chassis.conftest import started

PACKAGE = "reelstack.identity"
PASSWORD = "correct horse battery"


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        # Starts at the real time: PyJWT, inside the gateway's verifier,
        # checks a token's expiry against the real clock.
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def database(path: Path) -> SqlAlchemyDatabase:
    """Return an unopened store that migrates the identity branch."""
    specs = services.specs((PACKAGE,)).values()
    return SqlAlchemyDatabase(
        f"sqlite+aiosqlite:///{path}", version_locations=migrations.version_locations(specs)
    )


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    # The production floor (m=19 MiB, t=2, p=1): the tests pay its cost.
    return Passwords(memory_kib=19_456, time_cost=2, parallelism=1)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def ctx(
    tmp_path: Path, passwords: Passwords, clock: Clock, make_config: Callable[..., Config]
) -> AsyncIterator[IdentityContext]:
    db = database(tmp_path / "sql.db")
    await db.open()
    await db.migrate("identity")
    try:
        yield IdentityContext(
            db=db,
            passwords=passwords,
            limits=replace(
                Limits.from_config(make_config()), throttle_per_account=3, throttle_per_address=5
            ),
            clock=clock,
        )
    finally:
        await db.close()


@pytest.fixture
async def client(
    make_config: Callable[..., Config], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    config = make_config(**{"identity.throttle_per_account": "2"})
    db = database(tmp_path / "identity.db")
    app = create_app(config, adapters=Adapters(config, _built={"sql": db}))
    async for c in started(app):
        yield c


async def sign_up_and_in(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    """Create an account and sign it in; return its id and tokens."""
    made = await client.post("/identity/accounts", json={"email": email, "password": PASSWORD})
    assert made.status_code == 201, made.text
    signed = await client.post("/identity/sessions", json={"email": email, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    return {"account": made.json()["id"], **signed.json()}


def caller(who: dict[str, str]) -> dict[str, str]:
    """Return the identity header the gateway sets for ``who``'s requests."""
    return {"x-account-id": who["account"]}
