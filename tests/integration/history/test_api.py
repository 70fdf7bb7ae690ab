"""The history API in-process, on every wide-column adapter, as a player and an attacker use it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from reelstack.bootstrap import Adapters
from reelstack.config import Config
from reelstack.history.app import create_app
from reelstack.history.models import Caller, next_in_season
from reelstack.ports import WideColumnStore
from tests.integration.history.conftest import new_caller
from tests.unit.chassis.conftest import started

OWNER = new_caller("kid-1")
ME = {"x-account-id": OWNER.account, "x-profile-id": OWNER.profile}
BASE = f"/history/profiles/{OWNER.profile}"


@pytest.fixture(autouse=True)
def _an_account_of_its_own() -> None:
    # Every test acts for an account no other test uses: on Cassandra the run
    # shares one keyspace, and a title another test watched would show here.
    global OWNER, ME
    OWNER = new_caller(OWNER.profile)
    ME = {"x-account-id": OWNER.account, "x-profile-id": OWNER.profile}


@pytest.fixture
async def client(config: Config, new_store: WideColumnStore) -> AsyncIterator[httpx.AsyncClient]:
    # Numbers only for Next Up here; the catalog-backed lookup has its own test
    # (tests/unit/history/test_catalog_lookup.py).
    app = create_app(
        config, adapters=Adapters(config, _built={"widecolumn": new_store}), lookup=next_in_season
    )
    async for client in started(app):
        yield client


ADULT_ONLY = frozenset({"film-ma", "show-e2"})


async def not_adult_only(title_ids: Sequence[str], caller: Caller) -> set[str]:
    """Catalog's answer for a kids profile: every title but the adult ones."""
    assert caller.maturity == "kids", "asked only for a restricted profile"
    return set(title_ids) - ADULT_ONLY


@pytest.fixture
async def kids_client(
    config: Config, new_store: WideColumnStore
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        config,
        adapters=Adapters(config, _built={"widecolumn": new_store}),
        lookup=next_in_season,
        visible=not_adult_only,
    )
    async for client in started(app):
        yield client


def now() -> datetime:
    return datetime.now(UTC)


def heartbeat(position: float, *, at: datetime | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "position_s": position,
        "duration_s": 1000.0,
        "device": "living-room tv",
        "watched_at": (at or now()).isoformat(),
    }
    return {**body, **extra}


async def test_a_player_resumes_where_the_newest_heartbeat_left_it(
    client: httpx.AsyncClient,
) -> None:
    start = now() - timedelta(minutes=2)
    first = await client.put(f"{BASE}/bookmarks/film-1", json=heartbeat(400, at=start), headers=ME)
    assert first.status_code == 200 and first.json()["applied"] is True
    late = await client.put(
        f"{BASE}/bookmarks/film-1",
        json=heartbeat(100, at=start - timedelta(seconds=30)),
        headers=ME,
    )
    assert late.status_code == 200
    assert late.json()["applied"] is False and late.json()["bookmark"]["position_s"] == 400
    resume = await client.get(f"{BASE}/bookmarks/film-1", headers=ME)
    assert resume.json()["position_s"] == 400 and resume.json()["fraction"] == 0.4
    assert (await client.get(f"{BASE}/bookmarks/never", headers=ME)).status_code == 404


async def test_history_continue_watching_next_up_and_removal(client: httpx.AsyncClient) -> None:
    t0 = now() - timedelta(hours=1)
    episode = {"series_id": "show", "season": 1, "episode": 3}
    await client.put(f"{BASE}/bookmarks/film-1", json=heartbeat(500, at=t0), headers=ME)
    await client.put(
        f"{BASE}/bookmarks/show-e3",
        json=heartbeat(950, at=t0 + timedelta(minutes=1), **episode),
        headers=ME,
    )
    page = (await client.get(f"{BASE}/history", params={"limit": 1}, headers=ME)).json()
    assert [item["title_id"] for item in page["items"]] == ["show-e3"]
    rest = await client.get(f"{BASE}/history", params={"cursor": page["cursor"]}, headers=ME)
    assert [item["title_id"] for item in rest.json()["items"]] == ["film-1"]
    watching = (await client.get(f"{BASE}/continue-watching", headers=ME)).json()
    assert [item["title_id"] for item in watching["items"]] == ["film-1"]
    # The home page's one request: the same list and the newest of the history.
    both = (await client.get(f"{BASE}/watching", headers=ME)).json()
    assert [item["title_id"] for item in both["continue_watching"]] == ["film-1"]
    assert both["last_watched"]["title_id"] == "show-e3"
    assert both["last_watched"]["series_id"] == "show"
    up = (await client.get(f"{BASE}/next-up", headers=ME)).json()["items"]
    assert [(i["series_id"], i["season"], i["episode"], i["title_id"]) for i in up] == [
        ("show", 1, 4, None)
    ], "a numbers-only lookup; catalog's resolves the title"
    assert up[0]["after"]["title_id"] == "show-e3"
    removed = await client.delete(f"{BASE}/titles/show-e3", headers=ME)
    assert removed.status_code == 204
    assert (await client.delete(f"{BASE}/titles/show-e3", headers=ME)).status_code == 204
    assert (await client.get(f"{BASE}/next-up", headers=ME)).json()["items"] == []
    page = (await client.get(f"{BASE}/history", headers=ME)).json()
    assert [item["title_id"] for item in page["items"]] == ["film-1"]


async def test_a_kids_profile_is_never_listed_an_adult_title(
    kids_client: httpx.AsyncClient,
) -> None:
    # A heartbeat names whatever the player says it plays: a crafted one (or one
    # recorded before the profile's maturity was lowered) is kept, never listed.
    kid = ME | {"x-maturity": "kids"}
    t0 = now() - timedelta(hours=1)
    beats = [
        ("film-g", heartbeat(300, at=t0)),
        ("film-ma", heartbeat(300, at=t0 + timedelta(minutes=1))),
        (
            "show-e1",
            heartbeat(990, at=t0 + timedelta(minutes=2), series_id="show", season=1, episode=1),
        ),
        (
            "show-e2",
            heartbeat(990, at=t0 + timedelta(minutes=3), series_id="show", season=1, episode=2),
        ),
    ]
    for title, body in beats:
        answer = await kids_client.put(f"{BASE}/bookmarks/{title}", json=body, headers=kid)
        assert answer.status_code == 200, answer.text

    def ids(answer: httpx.Response) -> list[str]:
        assert answer.status_code == 200, answer.text
        return [item["title_id"] for item in answer.json()["items"]]

    history = await kids_client.get(f"{BASE}/history", headers=kid)
    assert ids(history) == ["show-e1", "film-g"]
    assert ids(await kids_client.get(f"{BASE}/continue-watching", headers=kid)) == ["film-g"]
    both = (await kids_client.get(f"{BASE}/watching", headers=kid)).json()
    assert [item["title_id"] for item in both["continue_watching"]] == ["film-g"]
    assert both["last_watched"]["title_id"] == "show-e1", "the newest the kid may see"
    up = (await kids_client.get(f"{BASE}/next-up", headers=kid)).json()["items"]
    assert [(i["episode"], i["after"]["title_id"]) for i in up] == [(2, "show-e1")]
    # An adult profile of the same service sees all it watched; catalog is not asked.
    adult = ME | {"x-maturity": "adults"}
    assert set(ids(await kids_client.get(f"{BASE}/history", headers=adult))) == {
        "film-g",
        "film-ma",
        "show-e1",
        "show-e2",
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"position_s": -1}, "greater than or equal to 0"),
        ({"position_s": 1001}, "past the end"),
        ({"duration_s": 0}, "greater than 0"),
        ({"duration_s": 10**9}, "less than or equal to"),
        ({"device": "x" * 65}, "at most 64 characters"),
        ({"device": ""}, "at least 1 character"),
        ({"device": "tv\r\nx-account-id: b"}, "pattern"),
        ({"watched_at": "2026-12-06T20:00:00"}, "timezone"),
        ({"watched_at": "not a time"}, "datetime"),
        ({"series_id": "show"}, "go together"),
        ({"series_id": "show", "season": 1, "episode": -1}, "greater than or equal to 0"),
        ({"series_id": "../x", "season": 1, "episode": 1}, "pattern"),
        ({"account": "someone-else"}, "Extra inputs"),
    ],
)
async def test_bad_heartbeats_are_refused_with_the_reason(
    client: httpx.AsyncClient, change: dict[str, Any], reason: str
) -> None:
    response = await client.put(f"{BASE}/bookmarks/t", json=heartbeat(10) | change, headers=ME)
    assert response.status_code == 422
    assert reason in response.text
    assert (await client.get(f"{BASE}/bookmarks/t", headers=ME)).status_code == 404


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        # It would win every last-write-wins comparison for years.
        ((datetime.now(UTC) + timedelta(days=3650)).isoformat(), "ahead of the server's clock"),
        ("9999-12-31T23:59:59-14:00", "ahead of the server's clock"),
        ("0001-01-01T00:00:00+14:00", "days old"),
    ],
    # Fixed ids: the first value is made from the clock, and parallel workers
    # must collect the same test names.
    ids=["ten-years-ahead", "year-9999", "year-1"],
)
async def test_heartbeat_times_far_from_now_are_refused(
    client: httpx.AsyncClient, at: str, reason: str
) -> None:
    response = await client.put(
        f"{BASE}/bookmarks/t", json=heartbeat(10) | {"watched_at": at}, headers=ME
    )
    assert response.status_code == 400 and reason in response.text


async def test_oversized_ids_limits_and_cursors_are_refused(client: httpx.AsyncClient) -> None:
    long_id = "t" * 65
    assert (
        await client.put(f"{BASE}/bookmarks/{long_id}", json=heartbeat(1), headers=ME)
    ).status_code == 422
    assert (
        await client.get(f"{BASE}/history", params={"limit": 101}, headers=ME)
    ).status_code == 422
    assert (
        await client.get(f"{BASE}/history", params={"cursor": "c" * 201}, headers=ME)
    ).status_code == 422
    bad = await client.get(f"{BASE}/history", params={"cursor": "bm90IG91cnM"}, headers=ME)
    assert bad.status_code == 400 and "cursor" in bad.text


def profile_routes(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    app = client._transport.app  # type: ignore[attr-defined]
    out = []
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/history/profiles/"):
            for method in route.methods:
                out.append((method, route.path))
    return out


async def test_every_route_answers_404_for_a_profile_the_token_does_not_name(
    client: httpx.AsyncClient,
) -> None:
    await client.put(f"{BASE}/bookmarks/secret", json=heartbeat(500), headers=ME)
    routes = profile_routes(client)
    assert len(routes) == 7, routes
    sibling = {"x-account-id": OWNER.account, "x-profile-id": "adult-1"}
    stranger = {"x-account-id": "acct-attacker", "x-profile-id": "p-attacker"}
    account_only = {"x-account-id": OWNER.account}
    for method, path in routes:
        url = path.format(profile_id=OWNER.profile, title_id="secret")
        body = heartbeat(1) if method == "PUT" else None
        for headers in (sibling, stranger, account_only):
            response = await client.request(method, url, json=body, headers=headers)
            assert response.status_code == 404, (method, url, headers, response.text)
            assert "secret" not in response.text
        anonymous = await client.request(method, url, json=body)
        assert anonymous.status_code == 401, (method, url)
    mark = (await client.get(f"{BASE}/bookmarks/secret", headers=ME)).json()
    assert mark["position_s"] == 500, "no refused request changed the owner's rows"


async def test_the_same_profile_id_under_another_account_sees_nothing(
    client: httpx.AsyncClient,
) -> None:
    # Profile ids are only unique within an account as far as history knows:
    # the rows are keyed by both.
    await client.put(f"{BASE}/bookmarks/secret", json=heartbeat(500), headers=ME)
    twin = {"x-account-id": "acct-twin", "x-profile-id": OWNER.profile}
    assert (await client.get(f"{BASE}/bookmarks/secret", headers=twin)).status_code == 404
    assert (await client.get(f"{BASE}/history", headers=twin)).json()["items"] == []
    assert (await client.delete(f"{BASE}/titles/secret", headers=twin)).status_code == 204
    assert (await client.get(f"{BASE}/bookmarks/secret", headers=ME)).status_code == 200
