"""A region's popular titles, what edges fill: from play counts, for the mesh and operators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from reelstack import services
from reelstack.adapters.widecolumn.sqlite import SqliteWideColumnStore
from reelstack.bootstrap import Adapters
from reelstack.chassis.app import chassis_of
from reelstack.config import Config
from reelstack.recommendations import counting
from reelstack.recommendations.app import create_app
from reelstack.recommendations.context import RecommendationsContext
from tests.unit.chassis.conftest import started
from tests.unit.gateway.fakes import FakeUpstreams as GatewayUpstreams
from tests.unit.gateway.harness import Connection, gateway_config, make_app
from tests.unit.gateway.keys import jwks, make_key
from tests.unit.recommendations.conftest import FakeUpstreams, play_record

NOW = 1_800_000_000.0
KEY = make_key()
WEEK = 7 * 86400


@pytest.fixture
async def client(
    make_config: Callable[..., Config], store: SqliteWideColumnStore
) -> AsyncIterator[httpx.AsyncClient]:
    config = make_config(**{"recommendations.build_s": "3600"})
    app = create_app(
        config,
        adapters=Adapters(config, _built={"widecolumn": store}),
        upstreams=FakeUpstreams(),
        background=False,
    )
    plays = (
        [play_record(i, "space") for i in range(3)]
        + [play_record(3 + i, "war") for i in range(3)]
        + [play_record(6, "robots", at=NOW - 3600)]
        + [play_record(7 + i, "gb-only", region="GB") for i in range(5)]
        # Older than a week: no longer popular.
        + [play_record(20 + i, "old", at=NOW - WEEK - 7200) for i in range(9)]
    )
    await counting.count(store, plays, default_region="US")
    async for http in started(app):
        chassis_of(app).context_as(RecommendationsContext).clock = lambda: NOW
        yield http


async def test_the_regions_most_played_titles_of_the_week_most_played_first(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/recommendations/popular", params={"region": "US"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "region": "US",
        "titles": [
            {"id": "space", "plays": 3},
            {"id": "war", "plays": 3},  # ties by id: every edge of a region fills the same
            {"id": "robots", "plays": 1},
        ],
    }
    top = await client.get("/recommendations/popular", params={"region": "US", "limit": 1})
    assert [t["id"] for t in top.json()["titles"]] == ["space"]
    gb = await client.get("/recommendations/popular", params={"region": "GB"})
    assert gb.json()["titles"] == [{"id": "gb-only", "plays": 5}]
    nowhere = await client.get("/recommendations/popular", params={"region": "FR"})
    assert nowhere.json() == {"region": "FR", "titles": []}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"region": "us"},
        {"region": "USA"},
        {"region": "U1"},
        {"region": "US", "limit": "0"},
        {"region": "US", "limit": "101"},
        {"region": "US", "limit": "x"},
    ],
)
async def test_bad_regions_and_limits_are_refused(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    assert (await client.get("/recommendations/popular", params=params)).status_code == 422


async def test_a_viewer_may_not_read_it_an_operator_may(client: httpx.AsyncClient) -> None:
    url, params = "/recommendations/popular", {"region": "US"}
    viewer = {"x-account-id": "acc1", "x-profile-id": "p1", "x-roles": "viewer"}
    assert (await client.get(url, params=params, headers=viewer)).status_code == 403
    admin = {"x-account-id": "ops1", "x-roles": "admin"}
    assert (await client.get(url, params=params, headers=admin)).status_code == 200


def test_through_the_gateway_the_route_needs_role_admin() -> None:
    spec = services.specs(("reelstack.recommendations",))["recommendations"]
    popular = [r for r in spec.routes if r.startswith("/api/recommendations/popular;")]
    assert len(popular) == 1 and "role=admin" in popular[0].split(";")


async def test_the_gateway_refuses_a_viewer_and_forwards_an_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes = GatewayUpstreams(monkeypatch)
    config = gateway_config(tmp_path, gateway__auth__jwks=jwks(KEY))
    app, _ = make_app(config, 9002, service="recommendations")
    conn = Connection(app)
    path = "/api/recommendations/popular?region=US"
    viewer = KEY.token("acct-v", roles=["viewer"], profile="p1", maturity="adults")
    answer = await conn.get(path, (b"authorization", b"Bearer " + viewer.encode()))
    assert answer.status == 403 and fakes.requests == []
    admin = KEY.token("acct-a", roles=["admin"])
    answer = await conn.get(path, (b"authorization", b"Bearer " + admin.encode()))
    assert answer.status == 200
    assert fakes.paths(9002) == [b"GET /recommendations/popular?region=US HTTP/1.1"]
