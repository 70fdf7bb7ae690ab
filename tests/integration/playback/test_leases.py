"""Two playback instances on one store never grant more streams than the plan allows.

Each instance has its own engine and connection pool, as two processes do;
plays for one account start on both at once. Embedded SQLite always runs;
PostgreSQL (SERIALIZABLE, conflicts retried by the port) where it is reachable.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from reelstack import migrations, services
from reelstack.adapters.blob.local import LocalBlobStore
from reelstack.adapters.sql.sqlalchemy import SqlAlchemyDatabase
from reelstack.playback import service
from reelstack.playback.context import Lifetimes, PlaybackContext
from reelstack.playback.models import Caller, Device, StreamLimitError
from reelstack.signed_urls import UrlSigner
from tests.support.engines import require
from tests.unit.playback.conftest import FakeUpstreams

LOCATIONS = migrations.version_locations(services.specs(("reelstack.playback",)).values())


@pytest.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/plays.db"
        return
    server = make_url(require("REELSTACK_TEST_POSTGRES"))
    name = f"playback_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.mark.parametrize("plan", ["basic", "standard", "premium"])
async def test_concurrent_starts_on_two_instances_take_exactly_the_plans_slots(
    store_url: str, plan: str, tmp_path: Path
) -> None:
    upstreams = FakeUpstreams(plans={"acc": plan})
    instances = []
    for _ in range(2):
        db = SqlAlchemyDatabase(store_url, version_locations=LOCATIONS)
        await db.open()
        await db.migrate("playback")
        instances.append(
            PlaybackContext(
                db=db,
                blob=LocalBlobStore(tmp_path / "blobs"),
                signer=UrlSigner(b"k" * 32),
                upstreams=upstreams,
                times=Lifetimes(lease_s=90, heartbeat_s=30, url_ttl_s=600, keep_s=3600),
                key_prefix="private/keys",
            )
        )
    caller = Caller("acc", "p1", {})
    try:
        results = await asyncio.gather(
            *(
                service.start_play(
                    ctx=instances[n % 2],
                    caller=caller,
                    title_id="film1",
                    device=Device(f"device-{n}", f"Device {n}"),
                )
                for n in range(12)
            ),
            return_exceptions=True,
        )
    finally:
        for ctx in instances:
            await ctx.db.close()
    granted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, StreamLimitError)]
    limit = (await upstreams.plan(caller)).max_streams
    assert len(granted) == limit and len(refused) == 12 - limit, results
