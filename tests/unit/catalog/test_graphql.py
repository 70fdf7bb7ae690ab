"""The catalog's subgraph answers as its REST routes do: same caller, same visibility, batched."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reelstack.catalog import service
from reelstack.catalog.context import CatalogContext
from tests.unit.catalog.conftest import ADULT, KIDS, fill


async def gql(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    answer = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_the_sdl_declares_titles_and_series_as_entities(client: httpx.AsyncClient) -> None:
    sdl = (await gql(client, "{ _service { sdl } }", ADULT))["data"]["_service"]["sdl"]
    assert 'type Title @key(fields: "id")' in sdl
    assert 'type Series @key(fields: "id")' in sdl


async def test_a_kids_profile_gets_null_for_a_mature_title_everywhere(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    query = """
      query($ids: [ID!]!) {
        titles(ids: $ids) { id }
        mature: title(id: "adultfilm") { id }
        browse(limit: 100) { total items { id } }
        search(query: "dark") { id }
        _entities(representations: [
          {__typename: "Title", id: "adultfilm"}, {__typename: "Title", id: "kidsfilm"}
        ]) { ... on Title { id name } }
      }"""
    kids = (await gql(client, query, KIDS, ids=["ep3", "adultfilm", "kidsfilm"]))["data"]
    assert [t["id"] for t in kids["titles"]] == ["ep3", "kidsfilm"]
    assert kids["mature"] is None
    assert sorted(t["id"] for t in kids["browse"]["items"]) == ["ep1", "ep3", "kidsfilm"]
    assert kids["search"] == []
    assert kids["_entities"] == [None, {"id": "kidsfilm", "name": "Bluey Day"}]
    adult = (await gql(client, query, ADULT, ids=["adultfilm"]))["data"]
    assert adult["mature"] == {"id": "adultfilm"}
    assert adult["_entities"][0] == {"id": "adultfilm", "name": "Dark Matter"}


async def test_entities_resolve_in_one_batch_whatever_their_number(
    client: httpx.AsyncClient, ctx: CatalogContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fill(ctx)
    calls: list[int] = []
    real = service.titles_by_ids

    async def counted(**kwargs: Any) -> Any:
        calls.append(len(kwargs["ids"]))
        return await real(**kwargs)

    monkeypatch.setattr(service, "titles_by_ids", counted)
    ids = ["kidsfilm", "famfilm", "teenfilm", "ep1", "ep3"] * 10
    representations = ", ".join(f'{{__typename: "Title", id: "{i}"}}' for i in ids)
    body = await gql(
        client,
        f"{{ _entities(representations: [{representations}]) {{ ... on Title {{ id }} }} }}",
        ADULT,
    )
    assert [e["id"] for e in body["data"]["_entities"]] == ids
    assert calls == [5]  # one query for the five distinct ids


async def test_series_seasons_and_the_next_episode(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    query = """{ title(id: "ep1") {
        nextEpisode { id }
        series { id name seasons { number episodes { id } } }
    } }"""
    kids = (await gql(client, query, KIDS))["data"]["title"]
    assert kids["nextEpisode"] == {"id": "ep3"}  # ep2 is above the profile's level
    assert kids["series"]["name"] == "Stranger Things"
    assert kids["series"]["seasons"] == [{"number": 1, "episodes": [{"id": "ep1"}, {"id": "ep3"}]}]


async def test_a_series_reference_reads_the_series_once_for_all_its_fields(
    client: httpx.AsyncClient, ctx: CatalogContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The web app's home page asks each series' name, synopsis and seasons.
    await fill(ctx)
    of_episode = await gql(client, '{ title(id: "ep1") { series { id } } }', KIDS)
    series_id = of_episode["data"]["title"]["series"]["id"]
    reads: list[str] = []
    real = service.get_series

    async def counted(**kwargs: Any) -> Any:
        reads.append(kwargs["series_id"])
        return await real(**kwargs)

    monkeypatch.setattr(service, "get_series", counted)
    query = """query($representations: [_Any!]!) { _entities(representations: $representations)
        { ... on Series { id name synopsis seasons { number episodes { id } } } } }"""
    body = await gql(
        client, query, KIDS, representations=[{"__typename": "Series", "id": series_id}]
    )
    series = body["data"]["_entities"][0]
    assert series["name"] == "Stranger Things"
    assert series["seasons"] == [{"number": 1, "episodes": [{"id": "ep1"}, {"id": "ep3"}]}]
    assert reads == [series_id]


async def test_my_list_and_thumbs_for_the_tokens_profile(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    added = await gql(client, 'mutation { addToMyList(titleId: "famfilm") }', ADULT)
    assert added["data"] == {"addToMyList": True}
    rated = await gql(client, 'mutation { rateTitle(titleId: "famfilm", thumb: UP) }', ADULT)
    assert rated["data"] == {"rateTitle": "UP"}
    mine = await gql(
        client, '{ myList { id inMyList thumb } title(id: "kidsfilm") { inMyList } }', ADULT
    )
    assert mine["data"] == {
        "myList": [{"id": "famfilm", "inMyList": True, "thumb": "UP"}],
        "title": {"inMyList": False},
    }
    # Another profile of the same account has its own list.
    other = {**ADULT, "x-profile-id": "prof2"}
    assert (await gql(client, "{ myList { id } }", other))["data"] == {"myList": []}
    # A kids profile cannot list what it may not see.
    refused = await gql(client, 'mutation { addToMyList(titleId: "adultfilm") }', KIDS)
    assert refused["data"] is None and "adultfilm" in refused["errors"][0]["message"]


TOO_MANY = ",".join(f'"t{i}"' for i in range(101))


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("{ titles(ids: [" + TOO_MANY + "]) { id } }", "at most 100"),
        ('{ title(id: "../etc") { id } }', "not a title id"),
        ("{ browse(limit: 1000) { total } }", "limit"),
        ('{ search(query: "") { id } }', "query"),
        ('{ browse(kind: "opera") { total } }', "kind"),
    ],
)
async def test_bad_arguments_are_graphql_errors_that_say_why(
    client: httpx.AsyncClient, query: str, reason: str
) -> None:
    body = await gql(client, query, ADULT)
    assert reason in body["errors"][0]["message"]


@pytest.mark.parametrize("body", [b"{", b'{"query": 5}', b'{"query": "{ nope }"}', b"[]"])
async def test_malformed_requests_are_never_a_5xx(client: httpx.AsyncClient, body: bytes) -> None:
    answer = await client.post(
        "/graphql", content=body, headers={**ADULT, "content-type": "application/json"}
    )
    assert 400 <= answer.status_code < 500 or "errors" in answer.json()
