"""History's subgraph: the token's profile's progress, lists and removal; nobody else's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from reelstack.bootstrap import Adapters
from reelstack.config import Config
from reelstack.history.app import create_app
from reelstack.history.models import Caller, Episode, NextEpisode
from reelstack.ports import WideColumnStore
from tests.unit.chassis.conftest import started


async def named_next(episode: Episode, caller: Caller) -> NextEpisode | None:
    """Catalog's answer, as its lookup gives it: the next episode's numbers and id."""
    number = episode.episode + 1
    return NextEpisode(episode.series_id, episode.season, number, f"ep-{number}")


@pytest.fixture
async def client(config: Config, new_store: WideColumnStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        config, adapters=Adapters(config, _built={"widecolumn": new_store}), lookup=named_next
    )
    async for client in started(app):
        yield client


def who(profile: str = "p1", account: str | None = None) -> dict[str, str]:
    return {"x-account-id": account or f"acct-{uuid.uuid4().hex[:12]}", "x-profile-id": profile}


async def beat(
    client: httpx.AsyncClient, me: dict[str, str], title: str, position: float, **more: Any
) -> None:
    answer = await client.put(
        f"/history/profiles/{me['x-profile-id']}/bookmarks/{title}",
        json={
            "position_s": position,
            "duration_s": 1000.0,
            "device": "tv",
            "watched_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            **more,
        },
        headers=me,
    )
    assert answer.status_code == 200, answer.text


async def gql(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = await client.post("/graphql", json={"query": query}, headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_progress_on_titles_the_router_asks_about_in_one_request(
    client: httpx.AsyncClient,
) -> None:
    me = who()
    await beat(client, me, "film-1", 400)
    await beat(client, me, "film-2", 950)
    query = """{ _entities(representations: [
        {__typename: "Title", id: "film-1"}, {__typename: "Title", id: "film-2"},
        {__typename: "Title", id: "never"}
    ]) { ... on Title { id progress { positionS fraction device } } } }"""
    body = await gql(client, query, me)
    assert body["data"]["_entities"] == [
        {"id": "film-1", "progress": {"positionS": 400.0, "fraction": 0.4, "device": "tv"}},
        {"id": "film-2", "progress": {"positionS": 950.0, "fraction": 0.95, "device": "tv"}},
        {"id": "never", "progress": None},
    ]
    # Another account's profile of the same name sees none of it.
    stranger = await gql(client, query, who("p1"))
    assert [e["progress"] for e in stranger["data"]["_entities"]] == [None, None, None]
    # No profile: each title's progress is an error naming why, never anyone's bookmark.
    nobody = await gql(client, query, {"x-account-id": me["x-account-id"]})
    assert [e["progress"] for e in nobody["data"]["_entities"]] == [None, None, None]
    assert {e["message"] for e in nobody["errors"]} == {
        "no profile: history is a profile's (sign in and pick one)"
    }


async def test_continue_watching_next_up_history_and_removal(client: httpx.AsyncClient) -> None:
    me = who()
    await beat(client, me, "film-1", 400)
    await beat(client, me, "ep-3", 980, series_id="show", season=1, episode=3)
    lists = """{
        continueWatching { title { id progress { fraction } } progress { fraction } }
        nextUp { title { id progress { fraction } } after { title { id } } }
        viewingHistory(limit: 10) { items { title { id } } cursor }
    }"""
    body = (await gql(client, lists, me))["data"]
    assert body["continueWatching"] == [
        {"title": {"id": "film-1", "progress": {"fraction": 0.4}}, "progress": {"fraction": 0.4}}
    ]
    # The next episode's progress is read on its own (never played: null).
    assert body["nextUp"] == [
        {"title": {"id": "ep-4", "progress": None}, "after": {"title": {"id": "ep-3"}}}
    ]
    assert sorted(i["title"]["id"] for i in body["viewingHistory"]["items"]) == ["ep-3", "film-1"]
    removed = await gql(client, 'mutation { removeFromHistory(titleId: "film-1") }', me)
    assert removed["data"] == {"removeFromHistory": True}
    after = (await gql(client, "{ continueWatching { title { id } } }", me))["data"]
    assert after["continueWatching"] == []


async def test_a_kids_profile_is_listed_only_what_catalog_lets_it_see(
    config: Config, new_store: WideColumnStore
) -> None:
    async def no_adult_titles(title_ids: Sequence[str], caller: Caller) -> set[str]:
        return {title_id for title_id in title_ids if not title_id.startswith("adult-")}

    app = create_app(
        config,
        adapters=Adapters(config, _built={"widecolumn": new_store}),
        lookup=named_next,
        visible=no_adult_titles,
    )
    async for client in started(app):
        kid = who() | {"x-maturity": "kids"}
        await beat(client, kid, "film-1", 400)
        await beat(client, kid, "adult-1", 400)
        await beat(client, kid, "adult-ep-1", 980, series_id="vice", season=1, episode=1)
        lists = """{ continueWatching { title { id } } nextUp { title { id } }
            viewingHistory(limit: 10) { items { title { id } } } }"""
        body = (await gql(client, lists, kid))["data"]
        assert body == {
            "continueWatching": [{"title": {"id": "film-1"}}],
            "nextUp": [],
            "viewingHistory": {"items": [{"title": {"id": "film-1"}}]},
        }


@pytest.mark.parametrize(
    "headers", [{}, {"x-account-id": "acct-1"}, {"x-profile-id": "p1"}], ids=str
)
async def test_no_profile_is_an_error_not_someone_elses_rows(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    body = await gql(client, "{ continueWatching { title { id } } }", headers)
    assert body["data"] == {"continueWatching": None}
    assert "no profile" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("{ continueWatching(limit: 0) { title { id } } }", "limit"),
        ('mutation { removeFromHistory(titleId: "../x") }', "not a title id"),
        ('{ viewingHistory(cursor: "' + "x" * 300 + '") { cursor } }', "cursor"),
    ],
)
async def test_bad_arguments_say_why(client: httpx.AsyncClient, query: str, reason: str) -> None:
    body = await gql(client, query, who())
    assert reason in body["errors"][0]["message"]


PROGRESS = (
    '{ _entities(representations: [{__typename: "Title", id: "film-1"}])'
    " { ... on Title { progress { positionS } } } }"
)
SAVE = """mutation($t: ID!, $p: Float!, $d: Float!, $at: DateTime!) {
  saveBookmark(titleId: $t, bookmark: {positionS: $p, durationS: $d, device: "tv", watchedAt: $at})
}"""


async def save(
    client: httpx.AsyncClient, me: dict[str, str], title: str, position: float, **more: Any
) -> dict[str, Any]:
    variables = {
        "t": title,
        "p": position,
        "d": 1000.0,
        "at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        **more,
    }
    answer = await client.post("/graphql", json={"query": SAVE, "variables": variables}, headers=me)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_bookmark_saved_through_the_graph_is_the_profiles_progress(
    client: httpx.AsyncClient,
) -> None:
    me = who()
    assert (await save(client, me, "film-1", 300))["data"] == {"saveBookmark": True}
    progress = await gql(
        client,
        PROGRESS,
        me,
    )
    assert progress["data"]["_entities"] == [{"progress": {"positionS": 300.0}}]
    # An older bookmark (by the client's clock) does not overwrite it.
    older = await save(
        client, me, "film-1", 10, at=(datetime.now(UTC) - timedelta(hours=1)).isoformat()
    )
    assert older["data"] == {"saveBookmark": False}
    # Another account's profile with the same id saved nothing of this one's.
    other = who(profile=me["x-profile-id"])
    theirs = await gql(
        client,
        PROGRESS,
        other,
    )
    assert theirs["data"]["_entities"] == [{"progress": None}]


@pytest.mark.parametrize(
    ("title", "more", "named"),
    [
        ("film-1", {"p": 2000.0}, "past the end"),
        ("film-1", {"p": -1.0}, "position_s"),
        ("film-1", {"d": 0.0}, "duration_s"),
        (
            "film-1",
            {"at": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
            "ahead of the server's clock",
        ),
        ("../x", {}, "not a title id"),
    ],
)
async def test_a_bad_bookmark_is_refused_with_the_reason(
    client: httpx.AsyncClient, title: str, more: dict[str, Any], named: str
) -> None:
    body = await save(client, who(), title, 100, **more)
    assert body["data"] is None
    assert named in body["errors"][0]["message"], body


async def test_a_bookmark_needs_a_profile(client: httpx.AsyncClient) -> None:
    account_only = {"x-account-id": f"acct-{uuid.uuid4().hex[:12]}"}
    body = await save(client, account_only, "film-1", 100)
    assert body["data"] is None and "no profile" in body["errors"][0]["message"]
