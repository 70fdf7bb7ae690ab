"""Browsing: the contract's title shape, lists, series, genres; maturity and region everywhere."""

from __future__ import annotations

import httpx
import pytest

from reelstack.catalog import service
from reelstack.catalog.context import CatalogContext
from tests.unit.catalog.conftest import ADULT, KIDS, STUDIO, event, fill, publish, viewer


async def test_a_title_has_the_contract_shape(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    await publish(ctx, event("film2", 3, name="Poster", poster_key="media/film2/artwork/p.jpg"))
    got = await client.get("/catalog/titles/ep1", headers=ADULT)
    assert got.status_code == 200, got.text
    body = got.json()
    assert set(body) >= {
        "id", "kind", "name", "synopsis", "genres", "maturity_rating", "regions", "series_id",
        "series_name", "season", "episode", "next_episode_id", "duration_s", "artwork",
    }  # fmt: skip
    assert (body["kind"], body["series_name"], body["season"], body["episode"]) == (
        "episode",
        "Stranger Things",
        1,
        1,
    )
    assert body["next_episode_id"] == "ep2" and body["regions"] == [] and body["genres"] == ["Kids"]
    poster = (await client.get("/catalog/titles/film2", headers=ADULT)).json()["artwork"]
    assert poster == {"poster": "/media/film2/artwork/p.jpg", "backdrop": None}


async def test_a_kids_profile_never_sees_a_mature_title(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    mature = await client.get("/catalog/titles/adultfilm", headers=KIDS)
    missing = await client.get("/catalog/titles/nosuchtitle", headers=KIDS)
    assert mature.status_code == missing.status_code == 404
    assert mature.json()["detail"].split(":")[0] == missing.json()["detail"].split(":")[0]
    listed = (await client.get("/catalog/titles?limit=100", headers=KIDS)).json()
    assert sorted(t["id"] for t in listed["items"]) == ["ep1", "ep3", "kidsfilm"]
    assert listed["total"] == 3
    series_id = (await client.get("/catalog/titles/ep1", headers=KIDS)).json()["series_id"]
    # The series lists, and the next episode skips, the episode rated above the profile.
    assert (await client.get("/catalog/titles/ep1", headers=KIDS)).json()[
        "next_episode_id"
    ] == "ep3"
    seasons = (await client.get(f"/catalog/series/{series_id}", headers=KIDS)).json()["seasons"]
    assert [[e["id"] for e in s["episodes"]] for s in seasons] == [["ep1", "ep3"]]
    genres = (await client.get("/catalog/genres", headers=KIDS)).json()["items"]
    assert genres == [{"name": "Kids", "count": 3}]
    found = (await client.get("/catalog/search?q=dark", headers=KIDS)).json()["items"]
    assert found == []
    assert [
        t["id"] for t in (await client.get("/catalog/search?q=dark", headers=ADULT)).json()["items"]
    ] == ["adultfilm"]


async def test_no_maturity_header_is_the_account_holder_adults(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    holder = viewer(profile=None)
    assert (await client.get("/catalog/titles/adultfilm", headers=holder)).status_code == 200
    teens = viewer("teens")
    assert (await client.get("/catalog/titles/teenfilm", headers=teens)).status_code == 200
    assert (await client.get("/catalog/titles/adultfilm", headers=teens)).status_code == 404


async def test_a_title_available_in_some_regions_is_hidden_elsewhere(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    put = await client.put(
        "/catalog/studio/titles/famfilm/regions", json={"regions": ["GB", "IE"]}, headers=STUDIO
    )
    assert put.status_code == 200, put.text
    assert put.json()["regions"] == ["GB", "IE"]
    gb, us = viewer(region="GB"), viewer(region="US")
    assert (await client.get("/catalog/titles/famfilm", headers=gb)).status_code == 200
    assert (await client.get("/catalog/titles/famfilm", headers=us)).status_code == 404
    # Without a region header: catalog.default_region (US).
    assert (await client.get("/catalog/titles/famfilm", headers=viewer())).status_code == 404
    assert (await client.get("/catalog/search?q=family", headers=us)).json()["items"] == []
    bad = await client.get("/catalog/titles/famfilm", headers=viewer(region="gb"))
    assert bad.status_code == 400 and "ISO 3166" in bad.text


async def test_browse_filters_by_genre_and_kind_and_pages(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)

    async def ids(query: str) -> list[str]:
        got = await client.get(f"/catalog/titles?{query}", headers=ADULT)
        assert got.status_code == 200, got.text
        return [t["id"] for t in got.json()["items"]]

    assert await ids("genre=Kids&kind=film") == ["kidsfilm"]
    assert await ids("kind=episode") == ["ep1", "ep2", "ep3"]
    everything = await ids("limit=100")
    assert len(everything) == 7
    assert (
        await ids("limit=3") + await ids("limit=3&offset=3") + await ids("offset=6") == everything
    )


async def test_bad_input_is_refused_with_the_reason(client: httpx.AsyncClient) -> None:
    for path in (
        "/catalog/titles?limit=1000",
        "/catalog/titles?kind=documentary",
        "/catalog/titles?genre=" + "x" * 41,
        "/catalog/search?q=" + "a" * 101,
        "/catalog/search?q=",
        "/catalog/titles/" + "x" * 65,
        "/catalog/titles/bad%20id",
    ):
        got = await client.get(path, headers=ADULT)
        assert got.status_code in (400, 422), (path, got.status_code)
        assert got.json()["detail"], path
    bad_level = await client.get("/catalog/titles", headers=viewer("toddlers"))
    assert bad_level.status_code == 400 and "x-maturity" in bad_level.text
    punctuation = await client.get("/catalog/search?q=%25%25", headers=ADULT)
    assert punctuation.status_code == 400 and "letter" in punctuation.text


async def test_the_next_episode_is_looked_up_by_numbers_for_next_up(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    series_id = (await client.get("/catalog/titles/ep1", headers=ADULT)).json()["series_id"]
    path = f"/catalog/series/{series_id}/next"
    adult = await client.get(f"{path}?season=1&episode=1", headers=ADULT)
    assert (adult.json()["id"], adult.json()["episode"]) == ("ep2", 2)
    kids = await client.get(f"{path}?season=1&episode=1", headers=KIDS)
    assert kids.json()["id"] == "ep3", "the mature episode is skipped"
    end = await client.get(f"{path}?season=1&episode=3", headers=ADULT)
    assert end.status_code == 404
    bad = await client.get(f"{path}?season=-1&episode=1", headers=ADULT)
    assert bad.status_code == 422


async def test_the_next_episode_skips_one_not_available_in_the_viewers_region(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    series_id = (await client.get("/catalog/titles/ep1", headers=ADULT)).json()["series_id"]
    await service.set_regions(ctx=ctx, title_id="ep2", codes=["GB"])
    gb, us = viewer("adults", region="GB"), viewer("adults", region="US")
    assert (await client.get("/catalog/titles/ep1", headers=gb)).json()["next_episode_id"] == "ep2"
    assert (await client.get("/catalog/titles/ep1", headers=us)).json()["next_episode_id"] == "ep3"
    assert (await client.get("/catalog/titles/ep2", headers=us)).status_code == 404
    found = (await client.get("/catalog/titles/ep2", headers=gb)).json()
    assert found["series_id"] == series_id and found["regions"] == ["GB"]
    assert found["next_episode_id"] == "ep3"


async def test_many_titles_at_once_in_the_order_asked_only_those_the_profile_may_see(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    asked = "ep3,adultfilm,kidsfilm,nosuchtitle,ep3"
    kids = (await client.get(f"/catalog/titles?ids={asked}", headers=KIDS)).json()
    assert [t["id"] for t in kids["items"]] == ["ep3", "kidsfilm"]
    assert kids["total"] == 2
    adult = (await client.get(f"/catalog/titles?ids={asked}", headers=ADULT)).json()
    assert [t["id"] for t in adult["items"]] == ["ep3", "adultfilm", "kidsfilm"]


@pytest.mark.parametrize(
    "ids", ["", ",", ",".join(f"t{i}" for i in range(101)), "ok,../etc", "a" * 65]
)
async def test_a_bad_list_of_ids_is_refused_with_the_reason(
    client: httpx.AsyncClient, ids: str
) -> None:
    answer = await client.get("/catalog/titles", params={"ids": ids}, headers=ADULT)
    assert answer.status_code in (400, 422), answer.text
    assert "ids" in answer.text
