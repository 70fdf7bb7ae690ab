"""The federated graph on a running cluster: one /graphql at the gateway, composed by the router.

A viewer's home page in one query: rows from recommendations, their titles'
names from catalog and the profile's progress from history, in a bounded
number of subgraph calls whatever the number of rows and titles; playing
through a mutation; and, with history's instances stopped, the page still
answers, the missing part named; with 1.5 s of latency injected into
recommendations, the rows come from its cached fallback set.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelstack.media.models import TitleMeta
from reelstack.router.persisted import document_id
from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.support.published import publish_ready
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
FILMS = {"owl": "Owl Friends", "harbor": "Midnight Harbor", "comet": "Comet Run"}
MORE = {"dune": "Dune Sea", "ember": "Ember Falls", "frost": "Frost Line"}
SUBGRAPHS = ("catalog", "history", "identity", "playback", "recommendations")
WEB = Path(__file__).resolve().parents[2] / "web" / "src" / "graphql"

HOME = """query Home {
  home {
    fallback
    errors { part detail }
    rows { id name items { progress title { id name progress { fraction } } series { id name } } }
  }
  continueWatching { title { id name } progress { fraction } }
  myList { id }
  me { email plan { name } }
}"""


async def _publish(cluster: Cluster, films: dict[str, str]) -> None:
    """Ready films, each a PG drama (no encode is run)."""
    await publish_ready(
        {**cluster.env, "REELSTACK_HOME": str(cluster.home)},
        {
            title_id: TitleMeta(name=name, genres=["Drama"], maturity_rating="PG")
            for title_id, name in films.items()
        },
    )


def _backend_calls(cluster: Cluster, request_id: str) -> dict[str, int]:
    """Requests each service (not the gateway or router) handled for one request id."""
    counted: dict[str, int] = {}
    for log in sorted((cluster.home / "logs").glob("*-a-*.log")):
        service = log.name.rsplit("-a-", 1)[0]
        if service in ("gateway", "router"):
            continue
        for line in log.read_text().splitlines():
            if f'"request_id":"{request_id}"' in line and '"logger":"reelstack.access"' in line:
                counted[service] = counted.get(service, 0) + 1
    return counted


def test_a_home_page_in_one_query_and_a_part_down(new_cluster: Cluster) -> None:
    cluster = new_cluster
    cluster.env.update(
        REELSTACK_MEDIA_ANNOUNCE_S="1",
        REELSTACK_RECOMMENDATIONS_BUILD_S="1",
        REELSTACK_ROUTER_POLL_S="1",
    )
    cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
    cluster.wait_all_up(within_s=UP_TIMEOUT_S)
    asyncio.run(_publish(cluster, FILMS))
    gateway = f"http://127.0.0.1:{cluster.by_id()['gateway-a-1']['port']}"
    with httpx.Client(base_url=gateway, timeout=30) as client:
        made = wait_until(
            lambda: client.post(
                "/api/identity/accounts", json={"email": "ann@example.com", "password": PASSWORD}
            ),
            "sign-up through the gateway",
            done=lambda r: r.status_code != 503,
        )
        assert made.status_code == 201, made.text
        tokens = client.post(
            "/api/identity/sessions", json={"email": "ann@example.com", "password": PASSWORD}
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}

        def graph(query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
            answer = client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            if answer.status_code == 503:
                return {}  # the router composes (or the gateway finds it) still
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        # Every subgraph composed: a profile made through identity's part.
        created = wait_until(
            lambda: graph('mutation { createProfile(profile: {name: "Ann"}) { id } }', auth),
            "the router serving identity's part",
            done=lambda body: (body.get("data") or {}).get("createProfile"),
        )
        profile = created["data"]["createProfile"]["id"]
        entered = client.post(
            "/api/identity/sessions/refresh",
            json={"refresh_token": tokens["refresh_token"], "profile_id": profile},
        ).json()
        me = {"Authorization": f"Bearer {entered['access_token']}"}

        # Plays through the graph; progress through history's REST route.
        start = """mutation($t: ID!) { startPlay(titleId: $t, device: {id: "tv", name: "TV"}) {
            id title { id name } manifestUrl } }"""
        played = wait_until(
            lambda: graph(start, me, t="harbor"),
            "a play of a title the catalog heard of",
            done=lambda body: (body.get("data") or {}).get("startPlay"),
        )["data"]["startPlay"]
        assert played["title"] == {"id": "harbor", "name": "Midnight Harbor"}
        assert client.get(played["manifestUrl"]).status_code == 200
        graph(start, me, t="owl")
        beat = client.put(
            f"/api/history/profiles/{profile}/bookmarks/harbor",
            json={
                "position_s": 180.0,
                "duration_s": 600.0,
                "device": "tv",
                "watched_at": "2026-12-07T00:00:00Z",
            },
            headers=me,
        )
        assert beat.status_code == 200, beat.text
        graph('mutation { addToMyList(titleId: "comet") }', me)

        def trending(body: dict[str, Any]) -> list[str]:
            rows = ((body.get("data") or {}).get("home") or {}).get("rows") or []
            return [i["title"]["id"] for r in rows if r["id"] == "trending" for i in r["items"]]

        home = wait_until(
            lambda: graph(HOME, me),
            "the plays in the home page's trending row",
            done=lambda body: {"harbor", "owl"} <= set(trending(body)),
        )
        assert "errors" not in home, home
        data = home["data"]
        rows = {row["id"]: row for row in data["home"]["rows"]}
        assert rows["continue_watching"]["items"][0]["title"] == {
            "id": "harbor",
            "name": "Midnight Harbor",
            "progress": {"fraction": 0.3},
        }
        assert [i["title"]["name"] for i in rows["my_list"]["items"]] == ["Comet Run"]
        assert data["continueWatching"] == [
            {"title": {"id": "harbor", "name": "Midnight Harbor"}, "progress": {"fraction": 0.3}}
        ]
        assert data["me"] == {"email": "ann@example.com", "plan": {"name": "basic"}}

        # The web app's own operations (persisted; the router keeps Home's
        # answer a few seconds per caller): a title added to My List through
        # the graph is on the very next page, on whichever router instance.
        def persisted(name: str, **variables: Any) -> dict[str, Any]:
            text = (WEB / name).read_text()
            body = {"documentId": f"sha256:{document_id(text)}", "variables": variables}
            answer = client.post("/graphql", json=body, headers=me)
            assert answer.status_code == 200, answer.text
            result: dict[str, Any] = answer.json()
            assert "errors" not in result, result
            return result

        def listed(page: dict[str, Any]) -> list[str]:
            rows = {row["id"]: row for row in page["data"]["home"]["rows"]}
            return [i["title"]["id"] for i in rows["my_list"]["items"]]

        assert listed(persisted("home.graphql")) == ["comet"]
        assert listed(persisted("home.graphql")) == ["comet"]
        persisted("add-to-my-list.graphql", titleId="owl")
        for _ in range(4):
            assert sorted(listed(persisted("home.graphql"))) == ["comet", "owl"]
        persisted("remove-from-my-list.graphql", titleId="owl")
        for _ in range(4):
            assert listed(persisted("home.graphql")) == ["comet"]

        # A bounded number of calls behind the page, whatever its rows and titles.
        def counted(request_id: str) -> dict[str, int]:
            assert "errors" not in graph(HOME, me | {"X-Request-Id": request_id})
            return wait_until(
                lambda: _backend_calls(cluster, request_id),
                "the page's calls in the services' access logs",
                done=lambda calls: calls.get("identity"),
            )

        few = counted("home-page-count-1")
        asyncio.run(_publish(cluster, MORE))
        for title_id in MORE:
            wait_until(
                lambda title_id=title_id: graph(start, me, t=title_id),
                f"a play of {title_id}",
                done=lambda body: (body.get("data") or {}).get("startPlay"),
            )
        wait_until(
            lambda: graph(HOME, me),
            "more titles in the trending row",
            done=lambda body: set(FILMS) - {"comet"} | set(MORE) <= set(trending(body)),
        )
        more = counted("home-page-count-2")
        assert sum(few.values()) <= 12, few
        assert more == few, (few, more)

        # History stopped: the page answers, its part null and named.
        status, _ = cluster.api("POST", "/instances/history-a-1/stop")
        assert status in (200, 202)
        down = wait_until(
            lambda: graph(HOME, me),
            "the home page without history",
            done=lambda body: body.get("errors") and (body.get("data") or {}).get("home"),
        )
        assert down["data"]["continueWatching"] is None
        assert any("history" in str(e).lower() for e in down["errors"]), down["errors"]
        parts = {e["part"] for e in down["data"]["home"]["errors"]}
        assert "continue_watching" in parts
        assert {"harbor", "owl"} <= set(trending(down))
        assert down["data"]["me"]["email"] == "ann@example.com"

        # 1.5 s of latency on recommendations' route (the gateway's fault rule):
        # the page answers within its timeout, its rows from the cached set.
        cluster.ok("config", "set", "gateway.faults.routes", "/api/recommendations:delay=1500ms")
        slow = wait_until(
            lambda: graph(HOME, me),
            "the home page from recommendations' cached rows",
            done=lambda body: ((body.get("data") or {}).get("home") or {}).get("fallback"),
        )
        assert {"harbor", "owl"} <= set(trending(slow))
        failures = {e["part"]: e["detail"] for e in slow["data"]["home"]["errors"]}
        assert "no answer within" in failures["recommendations"], failures
        assert slow["data"]["me"]["email"] == "ann@example.com"
