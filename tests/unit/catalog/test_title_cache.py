"""The title cache: what viewers read in batches stays right after every kind of change."""

from __future__ import annotations

import httpx

from reelstack.catalog import repository, service
from reelstack.catalog.context import CatalogContext
from reelstack.catalog.models import Maturity, Title, TitleKind, Viewer
from reelstack.catalog.title_cache import TitleCache
from tests.unit.catalog.conftest import ADULT, KIDS, STUDIO, event, fill, publish, viewer

BATCH = "/catalog/titles?ids=kidsfilm,famfilm,teenfilm,adultfilm,ep1,ep2,ep3,newfilm"


async def names(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    answer = await client.get(BATCH, headers=headers)
    assert answer.status_code == 200, answer.text
    return {t["id"]: t["name"] for t in answer.json()["items"]}


async def test_every_change_is_visible_to_the_next_batch_read(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    assert (await names(client, ADULT))["famfilm"] == "Family Trip"
    assert len(ctx.titles) == 7  # read once, kept

    # A studio edit, a media announcement, a new title, a removal, regions.
    assert (await client.patch("/catalog/studio/titles/famfilm", json={"name": "Road Trip"},
                               headers=STUDIO)).status_code == 200  # fmt: skip
    assert (await names(client, ADULT))["famfilm"] == "Road Trip"
    assert await publish(ctx, event("teenfilm", 2, name="Teen Spirit II", rating="PG-13"))
    assert (await names(client, ADULT))["teenfilm"] == "Teen Spirit II"
    assert await publish(ctx, event("newfilm", 1, name="Brand New"))
    assert (await names(client, ADULT))["newfilm"] == "Brand New"
    assert await publish(ctx, event("kidsfilm", 2, type="title.removed"))
    assert "kidsfilm" not in await names(client, ADULT)
    regions = await client.put(
        "/catalog/studio/titles/famfilm/regions", json={"regions": ["GB"]}, headers=STUDIO
    )
    assert regions.status_code == 200, regions.text
    assert "famfilm" not in await names(client, viewer("adults", region="US"))
    assert "famfilm" in await names(client, viewer("adults", region="GB"))
    # The studio withholds a title, then lets viewers see it again.
    held = await client.post("/catalog/studio/titles/teenfilm/unpublish", headers=STUDIO)
    assert held.status_code == 200, held.text
    assert "teenfilm" not in await names(client, ADULT)
    back = await client.post("/catalog/studio/titles/teenfilm/publish", headers=STUDIO)
    assert back.status_code == 200, back.text
    assert "teenfilm" in await names(client, ADULT)


async def test_a_cached_title_is_checked_for_each_viewer(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    withheld = await client.post("/catalog/studio/titles/famfilm/unpublish", headers=STUDIO)
    assert withheld.status_code == 200, withheld.text
    everything = await names(client, ADULT)
    assert {"adultfilm", "ep2"} <= set(everything)
    # The same cached titles, a kids profile: nothing above its level, in SQL's order.
    kids = await client.get(BATCH, headers=KIDS)
    assert [t["id"] for t in kids.json()["items"]] == ["kidsfilm", "ep1", "ep3"]
    for level in Maturity:
        for region in ("US", "GB"):
            who = Viewer(maturity=level, region=region, account=None, profile=None)
            wanted = ["kidsfilm", "famfilm", "teenfilm", "adultfilm", "ep1", "ep2", "ep3"]
            cached = await service.titles_by_ids(ctx=ctx, viewer=who, ids=wanted)
            async with ctx.db.session() as session:
                direct = await repository.many(session, wanted, viewer=who)
            assert [t.id for t in cached] == [t.id for t in direct], (level, region)


def film(title_id: str) -> Title:
    return Title(
        id=title_id, kind=TitleKind.FILM, name=title_id, synopsis="", maturity_rating="PG",
        published=True, version=1,
    )  # fmt: skip


def test_entries_expire_and_a_read_older_than_a_write_is_not_kept() -> None:
    now = [100.0]
    cache = TitleCache(ttl_s=2.0, max_entries=2, clock=lambda: now[0])
    cache.put([film("a")], generation=cache.generation)
    assert list(cache.get_many(["a", "b"])[0]) == ["a"]
    now[0] += 2.5
    assert cache.get_many(["a"]) == ({}, ["a"])

    started = cache.generation  # a read begins, then a write empties the cache
    cache.invalidate()
    cache.put([film("a")], generation=started)
    assert len(cache) == 0

    cache.put([film("a"), film("b"), film("c")], generation=cache.generation)
    assert len(cache) == 2 and cache.get_many(["a"])[1] == ["a"]  # oldest dropped
    off = TitleCache(ttl_s=0)
    off.put([film("a")], generation=off.generation)
    assert len(off) == 0
