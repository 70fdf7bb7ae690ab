"""A real gateway finding a real service through the registry (Eureka's role)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration import registry_processes
from tests.integration.gateway_processes import Processes, request
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

FAST = {
    "EUREKA_RENEWAL_INTERVAL_S": "0.5",
    "EUREKA_FETCH_INTERVAL_S": "0.2",
}


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[tuple[registry_processes.Processes, Processes]]:
    services = registry_processes.Processes(tmp_path)
    gateways = Processes(tmp_path)
    yield services, gateways
    gateways.close()
    services.close()


def test_routes_to_a_service_found_in_the_registry(
    processes: tuple[registry_processes.Processes, Processes],
) -> None:
    services, gateways = processes
    registry = services()
    eureka = {f"REELSTACK_{key}": value for key, value in FAST.items()}
    services("hello", REELSTACK_EUREKA_URLS=registry.eureka, **eureka)
    gateway = gateways.gateway(
        "registry",
        EUREKA_URLS=registry.eureka,
        GATEWAY_ROUTES="/api/hello=hello;public;rewrite=/hello",
        **FAST,
    )
    answer = wait_until(
        lambda: (a := request(gateway.port, "/api/hello?name=ann")).status == 200 and a,
        "the gateway to find hello in the registry",
    )
    assert answer.json()["greeting"] == "hello ann"

    def gateway_registered() -> bool:
        found = registry_processes.instances(registry.eureka)
        return any(i["app"] == "GATEWAY" and i["status"] == "UP" for i in found.values())

    wait_until(gateway_registered, "the gateway to register itself")
