"""A slow recommendations subgraph: the gateway's fault rules reach it, the router stands in.

Real processes as in test_router: a registry, toy subgraphs (``titles`` owns
``Title``; a small ``recommendations`` whose rows reference titles), the
router and its Hive Gateway child. With 1.5 s of delay on recommendations'
route (``gateway.faults.routes``, the gateway's own rule syntax), the home
page is answered from the rows last cached for the caller's region and
level, marked ``fallback``, the failure named, and the cached rows' titles
still resolved by the titles subgraph. The rule lifted (a runtime property
change), the live rows come back.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from reelstack.chassis.app import chassis_of
from reelstack.chassis.caller import Caller
from reelstack.recommendations.builder import cache_key
from reelstack.recommendations.service import rows_key
from reelstack.router.context import RouterContext
from tests.integration.registry_processes import Process
from tests.integration.router.test_router import Subgraphs, router_app
from tests.support.wait import eventually
from tests.unit.chassis.conftest import served, started

pytestmark = pytest.mark.slow

HOME = "{ home { fallback rows { id items { title { id name } } } errors { part detail } } }"
HEADERS = {"x-account-id": "a" * 32, "x-profile-id": "p" * 32, "x-region": "US"}
CACHED = {"rows": [{"id": "trending", "name": "Trending Now", "items": [{"id": "2"}]}]}


def rows(answer: dict[str, Any]) -> dict[str, list[str]]:
    home = (answer.get("data") or {}).get("home") or {}
    return {r["id"]: [i["title"]["name"] for i in r["items"]] for r in home.get("rows", [])}


async def test_a_slow_recommendations_is_answered_from_its_cached_rows(
    tmp_path: Path, registry: Process, subgraphs: Subgraphs
) -> None:
    app = router_app(
        tmp_path,
        registry.eureka,
        REELSTACK_GATEWAY_FAULTS_ROUTES="/api/recommendations:delay=1500ms",
        REELSTACK_ROUTER_FALLBACK_TIMEOUT_S="0.5",
    )
    # Served on TCP: Hive Gateway asks this instance's port for the stand-in.
    port = chassis_of(app).identity.port
    async with (
        served(app, "router", port),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
    ):
        context = chassis_of(app).context_as(RouterContext)
        assert context.cache is not None
        region, maturity = rows_key(Caller.from_headers(HEADERS), "US")
        await context.cache.set(cache_key(region, maturity), orjson.dumps(CACHED), ttl_s=600)
        await subgraphs.start("titles")
        await subgraphs.start("recommendations")

        async def home() -> dict[str, Any]:
            answer = await client.post("/graphql", json={"query": HOME}, headers=HEADERS)
            if answer.status_code == 503:
                return {}  # no supergraph composed yet
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        slow = await eventually(home, "the home page from the cached rows", done=rows)
        assert "errors" not in slow, slow
        assert slow["data"]["home"]["fallback"] is True
        assert rows(slow) == {"trending": ["The Long Night"]}
        (failure,) = [e for e in slow["data"]["home"]["errors"] if e["part"] == "recommendations"]
        assert "500 ms" in failure["detail"]

        # The rule lifted at run time: recommendations answers itself again.
        chassis_of(app).config.apply_runtime({"gateway.faults.routes": ""})
        live = await eventually(
            home,
            "the live rows once the fault is lifted",
            done=lambda a: rows(a) == {"live": ["Stranger Tides"]},
        )
        assert live["data"]["home"]["fallback"] is False


async def test_only_the_routers_own_child_may_ask_for_a_stand_in(
    tmp_path: Path, registry: Process
) -> None:
    app = router_app(tmp_path, registry.eureka)

    def client_from(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://router")

    async with asynccontextmanager(started)(app):
        async with client_from("10.1.2.3") as outside:
            # Not the loopback: refused as if the route did not exist.
            answer = await outside.post(
                "/router/fallbacks/recommendations", json={}, headers=HEADERS
            )
            assert answer.status_code == 404
        async with client_from("127.0.0.1") as local:
            unknown = await local.post("/router/fallbacks/catalog", json={}, headers=HEADERS)
            assert unknown.status_code == 404 and "catalog" in unknown.text
            bad = await local.post(
                "/router/fallbacks/recommendations", content=b"[1]", headers=HEADERS
            )
            assert bad.status_code == 400, bad.text
            empty = await local.post(
                "/router/fallbacks/recommendations", json={"failure": "slow"}, headers=HEADERS
            )
            assert empty.status_code == 200, empty.text
            home = empty.json()["home"]
            assert home["fallback"] is True and home["rows"] == []
            assert [e["part"] for e in home["errors"]] == ["recommendations", "fallback"]
