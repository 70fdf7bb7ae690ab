"""Media's announcements: applied by version, so a replay or a late event changes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelstack.adapters.log.sqlite import SqliteEventLog
from reelstack.bootstrap import Adapters
from reelstack.catalog import announcements, consumer
from reelstack.catalog.app import create_app
from reelstack.catalog.context import CatalogContext
from reelstack.config import Config
from reelstack.errors import InvalidRequestError, UnavailableError
from reelstack.ports.log import TopicSpec
from tests.support.wait import eventually
from tests.unit.catalog.conftest import ADULT, STUDIO, database, event, publish
from tests.unit.chassis.conftest import started


async def test_a_replayed_or_older_announcement_changes_nothing(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    assert await publish(ctx, event("t1", 10, name="First"))
    assert await publish(ctx, event("t1", 20, name="Second", genres=("Comedy",)))
    before = (await client.get("/catalog/studio/titles/t1", headers=STUDIO)).json()
    assert not await publish(ctx, event("t1", 20, name="Second again"))
    assert not await publish(ctx, event("t1", 10, name="First"))
    after = (await client.get("/catalog/studio/titles/t1", headers=STUDIO)).json()
    assert after == before and after["name"] == "Second" and after["version"] == 20


async def test_a_removal_is_not_undone_by_the_publication_it_overtook(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    assert await publish(ctx, event("gone", 5, type="title.removed"))
    assert not await publish(ctx, event("gone", 4, name="Late"))
    assert (await client.get("/catalog/titles/gone", headers=ADULT)).status_code == 404
    assert await publish(ctx, event("gone", 6, name="Back"))
    assert (await client.get("/catalog/titles/gone", headers=ADULT)).json()["name"] == "Back"


def test_an_announcement_that_is_not_v1_is_refused_whole() -> None:
    good = event("t1", 1)
    assert announcements.decode(good).title_id == "t1"
    for bad in (
        b"not json",
        good.replace(b'"v":1', b'"v":2'),
        good.replace(b"title.published", b"title.exploded"),
        good.replace(b'"title_id":"t1"', b'"title_id":"../x"'),
        good.replace(b'"version":1', b'"version":"soon"'),
    ):
        with pytest.raises(InvalidRequestError):
            announcements.decode(bad)
    dirty = announcements.decode(event("t1", 1, name="Bad\u0000 Name\u0007", genres=("\u0000",)))
    assert dirty.meta is not None and (dirty.meta.name, dirty.meta.genres) == ("Bad Name", ())
    with pytest.raises(InvalidRequestError, match="needs its meta"):
        announcements.decode(good.replace(b'"meta":{', b'"meta":null,"x":{'))


async def test_the_consumer_applies_the_topic_and_a_replay_of_it_changes_nothing(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    topic = "media.titles"
    await consumer.ensure_topic(ctx, topic)
    records: list[tuple[bytes | None, bytes]] = [
        (b"c1", event("c1", 1, name="Cosmos")),
        (b"junk", b"{not an announcement"),
        (b"c1", event("c1", 2, name="Cosmos Again")),
        (b"c2", event("c2", 1, name="Comet")),
        (b"c2", event("c2", 2, type="title.removed")),
    ]
    await ctx.log.append_many(topic, records)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(ctx, stop=stop))

    async def state() -> dict[str, Any]:
        return {
            t: (await client.get(f"/catalog/studio/titles/{t}", headers=STUDIO)).json()
            for t in ("c1", "c2")
        }

    async def applied() -> bool:
        now = await state()
        return now["c1"].get("version") == 2 and now["c2"].get("version") == 2

    try:
        await eventually(applied, "the announcements to be applied")
        before = await state()
        assert before["c1"]["name"] == "Cosmos Again" and before["c2"]["published"] is False
        # The whole topic again, as after a lost commit: nothing moves.
        await ctx.log.append_many(topic, records)
        marker = (b"c3", event("c3", 1, name="Marker"))
        await ctx.log.append_many(topic, [marker])

        async def marker_seen() -> bool:
            got = await client.get("/catalog/titles/c3", headers=ADULT)
            return got.status_code == 200

        await eventually(marker_seen, "the replay to be read")
        assert await state() == before
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


class FlakyDatabase:
    """The catalog's store, refusing its first ``failures`` transactions as if down."""

    def __init__(self, real: Any, failures: int) -> None:
        self.real, self.failures, self.refused = real, failures, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def transaction(self, work: Any) -> Any:
        if self.refused < self.failures:
            self.refused += 1
            raise UnavailableError("relational store down")
        return await self.real.transaction(work)


async def test_an_announcement_the_store_could_not_take_is_applied_once_it_is_back(
    client: httpx.AsyncClient, ctx: CatalogContext, make_config: Any
) -> None:
    flaky = FlakyDatabase(ctx.db, failures=3)
    quick = replace(ctx, db=flaky, config=make_config(**{"catalog.retry_s": "0.05"}))
    await consumer.ensure_topic(quick, "media.titles")
    # Titles on every partition, polled together: the one that fails must
    # not make the consumer skip the others the same poll returned.
    names = [f"late{i}" for i in range(12)]
    await ctx.log.append_many("media.titles", [(n.encode(), event(n, 1)) for n in names])
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(quick, stop=stop))
    try:

        async def shown() -> list[int]:
            return [
                (await client.get(f"/catalog/titles/{n}", headers=ADULT)).status_code for n in names
            ]

        await eventually(
            shown, "the announcements to be applied", done=lambda s: s == [200] * len(names)
        )
        assert flaky.refused == 3
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def test_the_running_service_applies_announcements_in_its_background_task(
    config: Config, tmp_path: Path
) -> None:
    log = SqliteEventLog(tmp_path / "log.db")
    adapters = Adapters(config, _built={"sql": database(tmp_path / "sql.db"), "log": log})
    async for client in started(create_app(config, adapters=adapters)):
        await log.create_topic(TopicSpec("media.titles", consumer.TITLES_PARTITIONS))
        await log.append("media.titles", event("bg1", 1, name="Background"), key=b"bg1")

        async def shown(client: httpx.AsyncClient = client) -> int:
            return (await client.get("/catalog/titles/bg1", headers=ADULT)).status_code

        await eventually(shown, "the service to apply it", done=lambda status: status == 200)
        applied = (await client.get("/catalog/titles/bg1", headers=ADULT)).json()
        assert applied["name"] == "Background"
