"""My List and thumbs: per profile, in order, and another profile's or account's ids refused."""

from __future__ import annotations

import httpx

from reelstack.catalog.context import CatalogContext
from tests.unit.catalog.conftest import ADULT, KIDS, fill, viewer

LIST = "/catalog/profiles/prof1/my-list"


async def test_my_list_keeps_the_order_titles_were_added(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    for title_id in ("teenfilm", "ep1", "famfilm"):
        added = await client.put(f"{LIST}/{title_id}", headers=ADULT)
        assert added.status_code == 201, added.text
    again = await client.put(f"{LIST}/teenfilm", headers=ADULT)
    assert again.status_code == 200, "already there: its place is kept"
    listed = (await client.get(LIST, headers=ADULT)).json()["items"]
    assert [t["id"] for t in listed] == ["teenfilm", "ep1", "famfilm"]
    assert (await client.delete(f"{LIST}/ep1", headers=ADULT)).status_code == 204
    assert (await client.delete(f"{LIST}/ep1", headers=ADULT)).status_code == 404
    listed = (await client.get(LIST, headers=ADULT)).json()["items"]
    assert [t["id"] for t in listed] == ["teenfilm", "famfilm"]


async def test_thumbs_are_set_changed_cleared_and_read(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    path = "/catalog/profiles/prof1/thumbs/famfilm"
    assert (await client.get(path, headers=ADULT)).json() == {"title_id": "famfilm", "value": None}
    assert (await client.put(path, json={"value": "up"}, headers=ADULT)).json()["value"] == "up"
    assert (await client.put(path, json={"value": "down"}, headers=ADULT)).status_code == 200
    assert (await client.get(path, headers=ADULT)).json()["value"] == "down"
    assert (await client.delete(path, headers=ADULT)).status_code == 204
    assert (await client.get(path, headers=ADULT)).json()["value"] is None
    bad = await client.put(path, json={"value": "sideways"}, headers=ADULT)
    assert bad.status_code == 422 and "up" in bad.text


async def test_another_profiles_or_accounts_ids_are_404_on_every_route(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    assert (await client.put(f"{LIST}/famfilm", headers=ADULT)).status_code == 201
    thumbs = "/catalog/profiles/prof1/thumbs/famfilm"
    assert (await client.put(thumbs, json={"value": "up"}, headers=ADULT)).status_code == 200
    # Same account, another profile; another account naming this profile id;
    # a token for the account alone (no profile).
    for who in (
        viewer(profile="prof2"),
        viewer(account="acc2", profile="prof2"),
        viewer(profile=None),
    ):
        attempts = [
            await client.get(LIST, headers=who),
            await client.put(f"{LIST}/teenfilm", headers=who),
            await client.delete(f"{LIST}/famfilm", headers=who),
            await client.get(thumbs, headers=who),
            await client.put(thumbs, json={"value": "down"}, headers=who),
            await client.delete(thumbs, headers=who),
        ]
        assert [a.status_code for a in attempts] == [404] * 6, who
    # Another account with the same profile id reaches only its own rows.
    eve = viewer(account="acc2")
    assert (await client.get(LIST, headers=eve)).json()["items"] == []
    assert (await client.get(thumbs, headers=eve)).json()["value"] is None
    assert [t["id"] for t in (await client.get(LIST, headers=ADULT)).json()["items"]] == ["famfilm"]
    assert (await client.get(thumbs, headers=ADULT)).json()["value"] == "up"
    no_account = await client.get(LIST, headers={"x-profile-id": "prof1"})
    assert no_account.status_code == 401


async def test_a_kids_profile_cannot_list_or_rate_a_mature_title(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    kids_list = "/catalog/profiles/kid1/my-list"
    assert (await client.put(f"{kids_list}/adultfilm", headers=KIDS)).status_code == 404
    rate = await client.put(
        "/catalog/profiles/kid1/thumbs/adultfilm", json={"value": "up"}, headers=KIDS
    )
    assert rate.status_code == 404
    assert (await client.put(f"{kids_list}/kidsfilm", headers=KIDS)).status_code == 201
    # A title re-rated above the profile later drops out of its list.
    studio = {"x-roles": "studio"}
    edit = await client.patch(
        "/catalog/studio/titles/kidsfilm", json={"maturity_rating": "R"}, headers=studio
    )
    assert edit.status_code == 200, edit.text
    assert (await client.get(kids_list, headers=KIDS)).json()["items"] == []


async def test_a_missing_title_cannot_be_listed(client: httpx.AsyncClient) -> None:
    assert (await client.put(f"{LIST}/nosuchtitle", headers=ADULT)).status_code == 404
