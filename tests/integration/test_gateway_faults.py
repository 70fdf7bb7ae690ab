"""A real gateway: runtime fault injection, load shedding, and keys fetched from a URL."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.chassis.properties import PropertyStore
from tests.integration.gateway_processes import Answer, Process, Processes, request
from tests.support.ports import free_port
from tests.support.wait import wait_until
from tests.unit.gateway.keys import jwks, make_key

pytestmark = pytest.mark.slow

KEY = make_key("EdDSA", kid="fetched")


class Setup:
    def __init__(self, gateway: Process, home: Path) -> None:
        self.gateway = gateway
        self.home = home

    def get(self, path: str, **headers: str) -> Answer:
        return request(
            self.gateway.port, path, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("gateway-faults")
    keys = folder / "keys"
    (keys / ".well-known").mkdir(parents=True)
    (keys / ".well-known" / "jwks.json").write_text(jwks(KEY))
    key_port = free_port()
    processes = Processes(folder)
    try:
        key_server = processes.children.start(
            "keys",
            [sys.executable, "-m", "http.server", str(key_port), "--bind", "127.0.0.1"],
            cwd=keys,
        )
        key_server.wait_until(
            lambda: request(key_port, "/.well-known/jwks.json").status == 200, "key server"
        )
        echo = processes.echo("echo")
        gateway = processes.gateway(
            "faults",
            GATEWAY_ROUTES="/api/echo=echo;public,/api/private=echo",
            GATEWAY_INSTANCES=f"echo=127.0.0.1:{echo.port}",
            GATEWAY_MAX_CONCURRENT="1",
            GATEWAY_AUTH_JWKS_URL=f"http://127.0.0.1:{key_port}/.well-known/jwks.json",
        )
        yield Setup(gateway, folder / "home-faults")
    finally:
        processes.close()


def set_property(setup: Setup, key: str, value: str) -> None:
    store = PropertyStore.for_config(settings.load(environ={"REELSTACK_HOME": str(setup.home)}))
    store.set(key, value, service="gateway")


def test_fault_header_works_only_once_enabled_at_runtime(setup: Setup) -> None:
    assert setup.get("/api/echo/x", X_Reelstack_Fault="abort=503").status == 200
    set_property(setup, "gateway.faults.header", "true")
    aborted = wait_until(
        lambda: (a := setup.get("/api/echo/x", X_Reelstack_Fault="abort=503")).status == 503 and a,
        "the property to reach the gateway",
    )
    assert aborted.json()["error"] == "InjectedFault"
    set_property(setup, "gateway.debug_header", "true")
    delayed = wait_until(
        lambda: (
            "x-reelstack-passport"
            in (
                a := setup.get(
                    "/api/echo/x", X_Reelstack_Fault="delay=300ms", X_Reelstack_Debug="1"
                )
            ).headers
            and a
        ),
        "the debug property",
    )
    assert delayed.status == 200
    marks = dict(json.loads(delayed.headers["x-reelstack-passport"])["timeline"])
    # Microseconds: the delay came before the proxy (uvloop's timers are whole
    # milliseconds, so a sleep may end a little before perf_counter says).
    assert marks["fault"] >= 295_000
    set_property(setup, "gateway.faults.header", "false")
    wait_until(
        lambda: setup.get("/api/echo/x", X_Reelstack_Fault="abort=503").status == 200,
        "faults to be turned off",
    )


def test_load_is_shed_with_503_and_retry_after_when_the_bulkhead_is_full(setup: Setup) -> None:
    slow: list[Answer] = []
    holder = threading.Thread(
        target=lambda: slow.append(setup.get("/api/echo/slow?sleep_ms=5000")), daemon=True
    )
    holder.start()
    try:
        wait_until(
            lambda: (
                'client_bulkhead_in_use{service="echo"} 1.0' in setup.get("/metrics").body.decode()
            ),
            "the slow request to hold the bulkhead's only slot",
        )
        shed = setup.get("/api/echo/x")
        assert shed.status == 503
        assert shed.headers["retry-after"] == "1"
        assert shed.json()["error"] == "ServiceOverloaded"
    finally:
        holder.join(timeout=30)
    assert slow and slow[0].status == 200
    assert setup.get("/api/echo/x").status == 200  # the slot is free again


def test_tokens_are_checked_with_keys_fetched_from_the_url(setup: Setup) -> None:
    token = KEY.token("account-fetched")
    answer = wait_until(
        lambda: (
            (a := setup.get("/api/private/x", Authorization=f"Bearer {token}")).status == 200 and a
        ),
        "the key set to be fetched",
    )
    seen = {name: value for name, value in answer.json()["headers"]}
    assert seen["x-account-id"] == "account-fetched"
    stranger = make_key("EdDSA", kid="other").token("account-x")
    assert setup.get("/api/private/x", Authorization=f"Bearer {stranger}").status == 401
