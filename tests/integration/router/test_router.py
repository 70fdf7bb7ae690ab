"""The router with real processes: a registry, toy subgraphs on TCP, Hive Gateway as its child.

One flow, so Hive Gateway starts once: the router finds two subgraphs in the
registry, composes them and answers a query crossing both; a third subgraph
that breaks composition is named (status, log, metric) while the last good
supergraph keeps answering; subgraphs that leave are dropped.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from reelstack import settings
from reelstack.chassis.app import chassis_of
from reelstack.config import Config
from reelstack.router.app import create_app
from reelstack.router.context import RouterContext
from reelstack.router.hive import HiveGateway
from tests.integration.registry_processes import SECRET, Process, Processes, instances
from tests.integration.router import toys
from tests.support.ports import free_port
from tests.support.wait import eventually
from tests.unit.chassis.conftest import served, started

pytestmark = pytest.mark.slow

CROSSING = "{ titles { id name rating } }"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Process]:
    processes = Processes(tmp_path)
    yield processes()
    processes.close()


def router_app(home: Path, eureka: str, **more: str) -> FastAPI:
    config = Config.load(
        settings.REGISTRY,
        environ={
            "REELSTACK_HOME": str(home / "router"),
            "REELSTACK_SERVICE_PORT": str(free_port()),
            "REELSTACK_SERVICE_HOST": "127.0.0.1",
            "REELSTACK_CLUSTER_SECRET": SECRET,
            "REELSTACK_EUREKA_URLS": eureka,
            "REELSTACK_EUREKA_RENEWAL_INTERVAL_S": "0.5",
            "REELSTACK_EUREKA_FETCH_INTERVAL_S": "0.2",
            "REELSTACK_LOGGING_ACCESS": "false",
            "REELSTACK_ROUTER_POLL_S": "0.2",
            # Leavers dropped at once (keeping them a while has its unit test).
            "REELSTACK_ROUTER_KEEP_ABSENT_S": "0",
            "REELSTACK_ROUTER_MAX_BODY_BYTES": "4096",
            **more,
        },
    )
    return create_app(config)


class Subgraphs:
    """Toy subgraphs served on TCP, each stopped on its own (its registration cancelled)."""

    def __init__(self, home: Path, eureka: str) -> None:
        self.home = home
        self.eureka = eureka
        self.running: dict[str, AsyncExitStack] = {}

    async def start(self, name: str) -> None:
        schema = {
            "titles": toys.titles_schema,
            "ratings": toys.ratings_schema,
            "recommendations": toys.home_schema,
        }.get(name, toys.clash_schema)()
        port = free_port()
        app = toys.subgraph_app(name, schema, home=self.home, port=port, eureka=self.eureka)
        stack = AsyncExitStack()
        await stack.enter_async_context(served(app, name, port))
        self.running[name] = stack

    async def stop(self, name: str) -> None:
        await self.running.pop(name).aclose()

    async def close(self) -> None:
        for name in list(self.running):
            await self.stop(name)


@pytest.fixture
async def subgraphs(tmp_path: Path, registry: Process) -> AsyncIterator[Subgraphs]:
    running = Subgraphs(tmp_path, registry.eureka)
    yield running
    await running.close()


async def status(client: httpx.AsyncClient) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get("/router/status")).json()
    return answer


async def query(client: httpx.AsyncClient, text: str, **headers: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": text}, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_router_composes_the_registry_and_keeps_the_last_good_supergraph(
    tmp_path: Path,
    registry: Process,
    subgraphs: Subgraphs,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="reelstack.router")
    app = router_app(tmp_path, registry.eureka)
    async with asynccontextmanager(started)(app) as client:
        # Registered like every service; not ready until Hive serves a supergraph.
        await eventually(
            lambda: any(i["app"] == "ROUTER" for i in instances(registry.eureka).values()),
            "the router's registration",
        )
        not_ready = await client.get("/ready")
        assert not_ready.status_code == 503
        assert "hive-gateway" in not_ready.json()["failing"]
        refused = await client.post("/graphql", json={"query": "{ titles { id } }"})
        assert refused.status_code == 503 and "no supergraph" in refused.json()["detail"]

        await subgraphs.start("titles")
        await subgraphs.start("ratings")

        async def both_served() -> bool:
            return set((await status(client))["served"]) == {"titles", "ratings"}

        await eventually(both_served, "titles and ratings composed")

        async def ready() -> bool:
            return (await client.get("/ready")).status_code == 200

        await eventually(ready, "/ready once Hive Gateway serves the supergraph")

        # One query crossing both subgraphs: names from titles, ratings by entity key.
        answer = await query(client, CROSSING)
        assert answer == {
            "data": {
                "titles": [
                    {"id": "1", "name": "Stranger Tides", "rating": 5},
                    {"id": "2", "name": "The Long Night", "rating": 3},
                ]
            }
        }

        # The identity headers and the request id reach the subgraph; a
        # client's cookie and made-up headers do not.
        seen = await query(
            client,
            "{ headers { name value } }",
            **{
                "X-Account-Id": "acc-1",
                "X-Profile-Id": "prof-1",
                "X-Roles": "viewer",
                "X-Request-Id": "req-42",
                "Cookie": "session=stolen",
                "X-Evil": "1",
            },
        )
        received = {h["name"]: h["value"] for h in seen["data"]["headers"]}
        assert received == {
            "x-account-id": "acc-1",
            "x-profile-id": "prof-1",
            "x-roles": "viewer",
            "x-request-id": "req-42",
        }

        # A body over router.max_body_bytes is refused with the reason, before Hive.
        big = await client.post(
            "/graphql",
            content=b'{"query": "' + b" " * 5000 + b'"}',
            headers={"Content-Type": "application/json"},
        )
        assert big.status_code == 413
        assert "router.max_body_bytes" in big.json()["detail"]

        # Only JSON bodies: a cross-site form or text/plain POST is refused (415).
        for kind in ("text/plain", "application/x-www-form-urlencoded", None):
            sent = {"Content-Type": kind} if kind else {}
            refused = await client.post(
                "/graphql", content=b'{"query": "{ titles { id } }"}', headers=sent
            )
            assert refused.status_code == 415, (kind, refused.text)
            assert "application/json" in refused.json()["detail"]

        # Malformed bodies and queries get GraphQL errors, never a 5xx.
        for bad in (b"not json", b'{"query": "{ titles { "}', b'{"query": "{ nope }"}'):
            answer = await client.post(
                "/graphql", content=bad, headers={"Content-Type": "application/json"}
            )
            assert 400 <= answer.status_code < 500 or answer.json()["errors"], answer.text
            assert answer.status_code < 500, answer.text

        # A subgraph that breaks composition is named; the last good supergraph serves on.
        await subgraphs.start("clash")

        async def clash_refused() -> dict[str, Any] | None:
            found = await status(client)
            return found if "clash" in found["broken"] else None

        refusal = await eventually(clash_refused, "the clash subgraph to be refused by name")
        assert list(refusal["broken"]) == ["clash"]
        assert "Title.name" in refusal["broken"]["clash"][0]
        assert set(refusal["served"]) == {"titles", "ratings"}
        assert any("subgraph clash breaks composition" in r.getMessage() for r in caplog.records)
        metrics = (await client.get("/metrics")).text
        assert 'router_subgraph_refused_total{subgraph="clash"} 1.0' in metrics
        assert (await query(client, CROSSING))["data"]["titles"][0]["rating"] == 5

        # Once it leaves, the good set composes again and nothing is broken.
        await subgraphs.stop("clash")

        async def healed() -> bool:
            found = await status(client)
            return not found["broken"] and found["compositions"] > refusal["compositions"]

        await eventually(healed, "composition without clash")

        # Hive Gateway killed: the router starts it again on the same supergraph.
        gateway = chassis_of(app).context_as(RouterContext).gateway
        assert isinstance(gateway, HiveGateway) and gateway.pid is not None
        os.kill(gateway.pid, signal.SIGKILL)

        async def restarted() -> dict[str, Any] | None:
            found = await status(client)
            return found if found["gateway"]["restarts"] == 1 and found["gateway"]["url"] else None

        await eventually(restarted, "Hive Gateway started again")
        await eventually(ready, "/ready after the restart")
        assert (await query(client, CROSSING))["data"]["titles"][1]["rating"] == 3

        # A subgraph that goes away is dropped at the next composition.
        await subgraphs.stop("ratings")

        async def ratings_dropped() -> bool:
            return set((await status(client))["served"]) == {"titles"}

        await eventually(ratings_dropped, "ratings dropped from the supergraph")

        async def rating_gone() -> dict[str, Any] | None:
            answer = await query(client, CROSSING)
            return answer if answer.get("errors") else None

        without = await eventually(rating_gone, "Hive Gateway serving the smaller supergraph")
        assert "rating" in without["errors"][0]["message"]
        assert (await query(client, "{ titles { name } }"))["data"]["titles"][1] == {
            "name": "The Long Night"
        }


async def test_queries_past_a_limit_are_refused_naming_the_limit(
    tmp_path: Path, registry: Process, subgraphs: Subgraphs
) -> None:
    # Small limits, so a toy schema can cross each one on its own.
    app = router_app(
        tmp_path,
        registry.eureka,
        REELSTACK_ROUTER_MAX_DEPTH="1",
        REELSTACK_ROUTER_MAX_ALIASES="2",
        REELSTACK_ROUTER_MAX_TOKENS="60",
        REELSTACK_ROUTER_MAX_COST="20",
    )
    async with asynccontextmanager(started)(app) as client:
        await subgraphs.start("titles")
        await subgraphs.start("ratings")

        async def both_served() -> bool:
            ready = (await client.get("/ready")).status_code == 200
            return ready and set((await status(client))["served"]) == {"titles", "ratings"}

        await eventually(both_served, "titles and ratings served through Hive Gateway")
        within = await query(client, "{ a: topRating b: topRating }")
        assert within == {"data": {"a": 5, "b": 5}}, within
        cases = {
            "depth": "{ titles { id } }",
            # (__typename may be aliased freely: a scalar root field of ratings.)
            "aliases": "{ a: topRating b: topRating c: topRating }",
            "token": "{ " + "__typename " * 70 + "}",
            "cost": "{ " + "__typename " * 25 + "}",
            "introspection": "{ __schema { queryType { name } } }",
        }
        for limit, text in cases.items():
            answer = await query(client, text)
            messages = " | ".join(e["message"] for e in answer.get("errors", []))
            assert answer.get("data") is None and limit in messages.lower(), (limit, answer)
        # No field suggestions: a typo does not hand out the schema's names.
        typo = await query(client, "{ titlez }")
        assert "did you mean" not in typo["errors"][0]["message"].lower(), typo
