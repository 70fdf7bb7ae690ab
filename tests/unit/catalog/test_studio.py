"""Studio edits: metadata, availability, cast, genres, artwork; a viewer is refused."""

from __future__ import annotations

import httpx

from reelstack.catalog.context import CatalogContext
from tests.unit.catalog.conftest import ADULT, STUDIO, event, fill, publish, viewer

TITLE = "/catalog/studio/titles/famfilm"


async def test_the_studio_edits_what_viewers_see(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    edited = await client.patch(
        TITLE,
        json={"name": "Family Road Trip", "synopsis": "Off they go.", "genres": ["Comedy", "Road"]},
        headers=STUDIO,
    )
    assert edited.status_code == 200, edited.text
    cast = await client.put(
        f"{TITLE}/cast",
        json={
            "cast": [
                {"name": "Ann Actor", "role": "actor", "character": "Mum"},
                {"name": "Dee Rector", "role": "director"},
            ]
        },
        headers=STUDIO,
    )
    assert cast.status_code == 200, cast.text
    art = await client.put(
        f"{TITLE}/artwork", json={"poster_key": "media/famfilm/artwork/new.jpg"}, headers=STUDIO
    )
    assert art.status_code == 200, art.text
    seen = (await client.get("/catalog/titles/famfilm", headers=ADULT)).json()
    assert (seen["name"], seen["synopsis"], seen["genres"]) == (
        "Family Road Trip",
        "Off they go.",
        ["Comedy", "Road"],
    )
    assert [(c["name"], c["role"], c["character"]) for c in seen["cast"]] == [
        ("Ann Actor", "actor", "Mum"),
        ("Dee Rector", "director", None),
    ]
    assert seen["artwork"]["poster"] == "/media/famfilm/artwork/new.jpg"
    found = (await client.get("/catalog/search?q=road trp", headers=ADULT)).json()["items"]
    assert [t["id"] for t in found] == ["famfilm"]


async def test_media_changes_do_not_undo_a_studio_edit(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    await client.patch(TITLE, json={"name": "Studio Name"}, headers=STUDIO)
    assert await publish(ctx, event("famfilm", 2, name="Uploader Name", poster_key="media/p.jpg"))
    seen = (await client.get("/catalog/titles/famfilm", headers=ADULT)).json()
    assert seen["name"] == "Studio Name" and seen["artwork"]["poster"] == "/media/p.jpg"


async def test_a_viewer_is_refused_every_studio_route(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    for headers in (ADULT, {**viewer(), "x-roles": "viewer"}):
        attempts = [
            await client.get(TITLE, headers=headers),
            await client.patch(TITLE, json={"name": "Mine"}, headers=headers),
            await client.put(f"{TITLE}/regions", json={"regions": []}, headers=headers),
            await client.put(f"{TITLE}/cast", json={"cast": []}, headers=headers),
            await client.put(f"{TITLE}/artwork", json={}, headers=headers),
        ]
        assert [a.status_code for a in attempts] == [403] * 5
    admin = await client.get(TITLE, headers={"x-roles": "viewer,admin"})
    assert admin.status_code == 200


async def test_studio_input_is_bounded_and_checked(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    attempts = {
        "rating": await client.patch(TITLE, json={"maturity_rating": "X"}, headers=STUDIO),
        "name": await client.patch(TITLE, json={"name": "n" * 301}, headers=STUDIO),
        "nul": await client.patch(TITLE, json={"name": "bad\u0000name"}, headers=STUDIO),
        "genres": await client.patch(TITLE, json={"genres": ["g"] * 11}, headers=STUDIO),
        "region": await client.put(f"{TITLE}/regions", json={"regions": ["usa"]}, headers=STUDIO),
        "role": await client.put(
            f"{TITLE}/cast", json={"cast": [{"name": "A", "role": "juggler"}]}, headers=STUDIO
        ),
        "artwork": await client.put(
            f"{TITLE}/artwork", json={"poster_key": "private/sources/x"}, headers=STUDIO
        ),
        "traversal": await client.put(
            f"{TITLE}/artwork", json={"poster_key": "media/../private/x"}, headers=STUDIO
        ),
    }
    for what, got in attempts.items():
        assert got.status_code in (400, 422), (what, got.text)
    missing = await client.patch(
        "/catalog/studio/titles/nosuch", json={"name": "x"}, headers=STUDIO
    )
    assert missing.status_code == 404


async def test_the_studio_sees_unpublished_and_removed_titles(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    assert await publish(ctx, event("famfilm", 9, type="title.removed"))
    assert (await client.get("/catalog/titles/famfilm", headers=ADULT)).status_code == 404
    got = (await client.get(TITLE, headers=STUDIO)).json()
    assert (got["published"], got["version"]) == (False, 9)


async def test_the_studio_unpublishes_and_publishes_a_title(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    held = await client.post(f"{TITLE}/unpublish", headers=STUDIO)
    assert held.status_code == 200, held.text
    assert (held.json()["published"], held.json()["withheld"], held.json()["visible"]) == (
        True,
        True,
        False,
    )
    assert (await client.get("/catalog/titles/famfilm", headers=ADULT)).status_code == 404
    found = (await client.get("/catalog/search?q=family", headers=ADULT)).json()["items"]
    assert found == []
    # Media announcing a change (new artwork, a re-encode) does not bring it back.
    assert await publish(ctx, event("famfilm", 2, name="Family Trip", poster_key="media/p.jpg"))
    assert (await client.get("/catalog/titles/famfilm", headers=ADULT)).status_code == 404
    shown = await client.post(f"{TITLE}/publish", headers=STUDIO)
    assert shown.status_code == 200 and shown.json()["visible"] is True
    assert (await client.get("/catalog/titles/famfilm", headers=ADULT)).status_code == 200


async def test_a_title_without_files_cannot_be_published_and_viewers_cannot_toggle(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    assert await publish(ctx, event("famfilm", 3, type="title.removed"))
    refused = await client.post(f"{TITLE}/publish", headers=STUDIO)
    assert refused.status_code == 409
    assert "no published files" in refused.text
    missing = await client.post("/catalog/studio/titles/nosuch/unpublish", headers=STUDIO)
    assert missing.status_code == 404
    for headers in (ADULT, {**viewer(), "x-roles": "viewer"}):
        for action in ("publish", "unpublish"):
            answer = await client.post(f"/catalog/studio/titles/teenfilm/{action}", headers=headers)
            assert answer.status_code == 403
    assert (await client.get("/catalog/titles/teenfilm", headers=ADULT)).status_code == 200
