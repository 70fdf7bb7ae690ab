"""The chassis' registry client with real processes: registration, restarts, a dead registry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from reelstack import settings
from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.eureka import EurekaClient
from reelstack.chassis.route_deps import ClientDep
from reelstack.config import Config
from tests.integration.registry_processes import Processes, instances
from tests.support.ports import free_port
from tests.support.wait import eventually

pytestmark = pytest.mark.slow


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Processes]:
    processes = Processes(tmp_path)
    yield processes
    processes.close()


calls_hello = APIRouter()


@calls_hello.get("/relay")
async def relay(client: ClientDep) -> dict[str, object]:
    response = await client.request("hello", "GET", "/hello?name=probe")
    return {"status": response.status, "instance": response.json()["instance"]}


def registered(registry: str, instance_id: str) -> dict[str, Any] | None:
    try:
        return instances(registry).get(instance_id)
    except OSError:
        return None


async def test_hello_registers_and_discovery_outlives_the_registry(
    spawn: Processes, tmp_path: Path
) -> None:
    registry = spawn()
    client_settings = {
        "REELSTACK_EUREKA_URLS": registry.eureka,
        "REELSTACK_EUREKA_RENEWAL_INTERVAL_S": "0.5",
        "REELSTACK_EUREKA_FETCH_INTERVAL_S": "0.2",
    }
    hello = spawn(
        "hello",
        REELSTACK_INSTANCE_ID="hello-1",
        REELSTACK_SERVICE_ZONE="b",
        REELSTACK_SERVICE_VERSION="v7",
        **client_settings,
    )
    mine = await eventually(
        lambda: (
            (registered(registry.eureka, "hello-1") or {}).get("status") == "UP"
            and registered(registry.eureka, "hello-1")
        ),
        "hello to register UP",
    )
    assert mine["app"] == "HELLO" and mine["port"]["$"] == hello.port
    assert mine["metadata"]["zone"] == "b" and mine["metadata"]["version"] == "v7"

    # Another app in this process discovers hello through its local copy.
    config = Config.load(
        settings.REGISTRY,
        environ={
            "REELSTACK_HOME": str(tmp_path / "probe"),
            "REELSTACK_SERVICE_PORT": str(free_port()),
            "REELSTACK_EUREKA_REGISTER": "false",
            **client_settings,
        },
    )
    app = create_service_app(config, routers=[calls_hello], service="probe", poll_properties=False)
    async with app.router.lifespan_context(app):
        discovery = chassis_of(app).discovery
        assert isinstance(discovery, EurekaClient)
        await eventually(lambda: discovery.instances("hello"), "discovering hello")
        (found,) = discovery.instances("hello")
        assert (found.instance_id, found.port, found.zone) == ("hello-1", hello.port, "b")
        # A route of the probe calls hello by name through the resilient client.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            relayed = (await client.get("/relay")).json()
        assert relayed == {"status": 200, "instance": "hello-1"}

        registry.kill()
        failures = discovery.fetch_failures
        await eventually(lambda: discovery.fetch_failures >= failures + 3, "failed fetches")
        assert [i.instance_id for i in discovery.instances("hello")] == ["hello-1"]

        # The restarted registry is empty; hello's next heartbeat gets 404
        # and it registers again.
        restarted = time.time()
        await asyncio.to_thread(registry.restart)
        await asyncio.to_thread(registry.wait_healthy)
        await eventually(
            lambda: registered(registry.eureka, "hello-1"), "hello's registration after a restart"
        )
        assert "registering again" in hello.log.read_text(), "re-registered after a 404"
        # The local copy follows the restarted registry again.
        await eventually(lambda: discovery.last_fetch_s > restarted, "a fetch after the restart")
        await eventually(lambda: discovery.instances("hello"), "hello in the refreshed copy")

    # A graceful stop cancels the registration.
    assert await asyncio.to_thread(hello.terminate) == 0
    assert registered(registry.eureka, "hello-1") is None
