"""ClientDep: any service calls another by name through the resilient client."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request

from reelstack import settings
from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.chassis.eureka import EurekaClient
from reelstack.chassis.resilience import ResilientClient
from reelstack.chassis.route_deps import ClientDep
from reelstack.config import Config
from tests.unit.chassis.conftest import served, started

catalog = APIRouter()


@catalog.get("/titles/{title_id}")
async def title(title_id: str, request: Request) -> dict[str, str | None]:
    return {"title": title_id, "request_id": request.headers.get("x-request-id")}


caller = APIRouter()
used: list[ResilientClient] = []


@caller.get("/shelf/{title_id}")
async def shelf(title_id: str, client: ClientDep) -> dict[str, object]:
    used.append(client)
    response = await client.request("catalog", "GET", f"/titles/{title_id}")
    return {"status": response.status, "catalog": response.json()}


async def test_a_route_calls_another_service_by_name(make_config: Callable[..., Config]) -> None:
    used.clear()
    downstream = create_service_app(
        make_config(), routers=[catalog], service="catalog", poll_properties=False
    )
    app = create_service_app(make_config(), routers=[caller], poll_properties=False)
    chassis = chassis_of(app)
    async with served(downstream, "catalog") as port:
        chassis.discovery = StaticDiscovery(
            [InstanceInfo("catalog", "catalog-a-1", "127.0.0.1", port)]
        )
        async for client in started(app):
            first = await client.get("/shelf/7", headers={"X-Request-Id": "trace-7"})
            second = await client.get("/shelf/8")
            metrics = (await client.get("/metrics")).text
            assert used[0].session_open
    assert first.json() == {"status": 200, "catalog": {"title": "7", "request_id": "trace-7"}}
    assert second.json()["catalog"]["title"] == "8"
    # One client per instance, its calls on the instance's /metrics, closed at shutdown.
    assert used[0] is used[1] is chassis.resilient
    assert 'service="catalog"' in metrics
    assert not used[0].session_open


async def test_without_discovery_the_route_answers_503(make_config: Callable[..., Config]) -> None:
    app = create_service_app(make_config(), routers=[caller], poll_properties=False)
    async for client in started(app):
        response = await client.get("/shelf/7")
    assert response.status_code == 503
    assert "no discovery" in response.json()["detail"]


def test_the_client_finds_services_through_the_registry_client(
    make_config: Callable[..., Config],
) -> None:
    config = make_config(**{settings.EUREKA_URLS.key: "http://127.0.0.1:1/eureka"})
    chassis = chassis_of(create_service_app(config, poll_properties=False))
    assert isinstance(chassis.discovery, EurekaClient)
    client = chassis.client()
    assert client.discovery is chassis.discovery
    assert client.zone == "b"
    assert chassis.client() is client
