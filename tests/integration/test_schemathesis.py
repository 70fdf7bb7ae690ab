"""Schemathesis over every service's OpenAPI: no generated request gets a ``5xx``.

Every service in :func:`reelstack.services.specs` is built from its spec's
app factory on the embedded stack (SQLite, local files, under a fresh
``REELSTACK_HOME``), served by uvicorn on a free 127.0.0.1 port in a thread
of its own (so its lifespan opens the ports as in production), and every
operation of its ``/openapi.json`` gets ``EXAMPLES`` requests generated from
the schema, each carrying the identity headers the gateway sets. A service
added later is picked up by iterating the specs; one without an OpenAPI (the
gateway is not a FastAPI app) is skipped, saying so.

The check is the one schemathesis calls ``not_a_server_error``: a ``4xx``
is a fine answer to a generated request, a ``5xx`` is a bug. Examples are
derandomized so a failure repeats; ``REELSTACK_SCHEMATHESIS_EXAMPLES`` raises
the count for a longer hunt.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from reelstack import services
from reelstack import settings as reelstack_settings
from reelstack.chassis import server
from reelstack.chassis.app import chassis_of
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.chassis.run import load_factory
from reelstack.config import Config
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("REELSTACK_SCHEMATHESIS_EXAMPLES", "25"))
IDENTITY = {
    "x-account-id": "acct-schemathesis",
    "x-profile-id": "prof-schemathesis",
    "x-roles": "viewer,studio,admin",
    "x-maturity": "adults",
    "x-region": "US",
}
# Operations whose answer time is their purpose: hello's /slow sleeps up to a
# minute on request (it exists to observe draining on shutdown), which is no 5xx to find.
SLOW_BY_DESIGN = {("GET", "/hello/slow")}


class Served:
    """A service app served by uvicorn in a thread with its own event loop."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sock = server.bind("127.0.0.1", 0, "schemathesis")
        self.port: int = self.sock.getsockname()[1]
        self.uvicorn = server.make_server(app, grace_s=1)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self.uvicorn.serve(sockets=[self.sock]))
        except Exception as exc:  # noqa: BLE001 - kept for start() to report in the test
            self.failure = exc

    def start(self) -> None:
        self.thread.start()

        def serving() -> bool:
            assert self.thread.is_alive(), f"the app stopped during start-up: {self.failure!r}"
            return bool(self.uvicorn.started)

        wait_until(serving, "the app to serve")

    def stop(self) -> None:
        self.uvicorn.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()
        if self.failure is not None:
            raise RuntimeError(f"the app failed while serving: {self.failure!r}")


def service_config(name: str, home: Path) -> Config:
    return Config.load(
        reelstack_settings.REGISTRY,
        environ={
            "REELSTACK_HOME": str(home),
            "REELSTACK_SERVICE_NAME": name,
            "REELSTACK_SERVICE_PORT": "0",
            "REELSTACK_SERVICE_ZONE": "a",
        },
    )


@pytest.fixture(scope="module")
def served_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every FastAPI service, served at once on one home, each finding the others.

    A service that calls others (playback asks catalog, identity, media and
    history) answers from real ones, found through a static discovery of the
    served instances, as a cluster's registry would give them: a 503 from an
    unreachable dependency would be no bug of the service under test.
    """
    home = tmp_path_factory.mktemp("schemathesis")
    apps: dict[str, FastAPI] = {}
    for name in sorted(services.specs()):
        config = service_config(name, home)
        app = load_factory(config)(config)
        if isinstance(app, FastAPI) and app.openapi_url:
            apps[name] = app
    running: dict[str, Served] = {}
    try:
        for name, app in apps.items():
            running[name] = Served(app)
            running[name].start()
        instances = [
            InstanceInfo(name, f"{name}-schemathesis", "127.0.0.1", served.port, "a")
            for name, served in running.items()
        ]
        for app in apps.values():
            chassis_of(app).discovery = StaticDiscovery(instances)
        yield {name: f"http://127.0.0.1:{served.port}" for name, served in running.items()}
    finally:
        for served in running.values():
            served.stop()


@pytest.fixture(params=sorted(services.specs()))
def base_url(request: pytest.FixtureRequest, served_services: dict[str, str]) -> str:
    name: str = request.param
    if name not in served_services:
        pytest.skip(f"{name} publishes no OpenAPI")
    return served_services[name]


def test_every_service_answers_generated_requests_without_5xx(base_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SLOW_BY_DESIGN:
            continue
        operations += 1

        # Valid requests and requests breaking the schema (wrong types, missing
        # fields, out-of-range values): both must get a considered answer.
        cases = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @given(case=cases)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, headers=IDENTITY, timeout=30)
            if response.status_code >= 500:
                failures.append(
                    f"{response.status_code} from {case.as_curl_command(headers=IDENTITY)}: "
                    f"{response.text[:300]}"
                )

        run()
    assert operations, "the OpenAPI names no operation"
    # One line per failing request, deduplicated, so the report names each bug once.
    assert not failures, "\n".join(sorted(set(failures))[:20])
