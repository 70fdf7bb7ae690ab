"""A real instance process: health, metrics, live properties, exit codes, draining."""

from __future__ import annotations

import json
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelstack import settings
from reelstack.chassis.properties import PropertyStore
from tests.support.ports import free_port, taken_port
from tests.support.processes import Child, Children

pytestmark = pytest.mark.slow


def get(url: str, timeout: float = 5.0) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


class Instance:
    def __init__(self, child: Child, port: int) -> None:
        self.child = child
        self.port = port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.child.output()

    def wait_healthy(self) -> dict[str, Any]:
        def health() -> dict[str, Any] | None:
            status, body, _ = get(self.url + "/health", timeout=1)
            return json.loads(body) if status == 200 else None

        found: dict[str, Any] = self.child.wait_until(health, "the instance to be healthy")
        return found


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Instance]]:
    children = Children(tmp_path)

    def start(port: int | None = None, **env: str) -> Instance:
        port = free_port() if port is None else port
        environ = {
            "REELSTACK_HOME": str(tmp_path / "home"),
            "REELSTACK_SERVICE_NAME": "hello",
            "REELSTACK_SERVICE_PORT": str(port),
            "REELSTACK_SERVICE_ZONE": "b",
            "REELSTACK_SERVICE_VERSION": "v7",
            "REELSTACK_INSTANCE_ID": "hello-test-1",
            "REELSTACK_PROPERTIES_POLL_S": "0.1",
            **env,
        }
        argv = [sys.executable, "-m", "reelstack.chassis.run"]
        child = children.start(f"instance-{len(children.started)}", argv, env=environ)
        return Instance(child, port)

    yield start
    children.close()


def test_serves_health_metrics_and_picks_up_a_property_live(
    spawn: Callable[..., Instance], tmp_path: Path
) -> None:
    instance = spawn()
    health = instance.wait_healthy()
    assert health == {
        "status": "up",
        "service": "hello",
        "instance": "hello-test-1",
        "zone": "b",
        "version": "v7",
        "pid": instance.child.pid,
    }
    status, body, headers = get(instance.url + "/hello?name=ann")
    assert status == 200
    assert json.loads(body) == {"greeting": "hello ann", "instance": "hello-test-1", "zone": "b"}
    assert headers["x-request-id"]

    status, metrics, _ = get(instance.url + "/metrics")
    text = metrics.decode()
    assert status == 200
    assert 'http_requests_total{method="GET",route="/hello",status="200"} 1.0' in text
    assert 'instance="hello-test-1"' in text and 'version="v7"' in text

    # The full registry: hello's settings live with hello, declared once its
    # settings module is imported.
    PropertyStore(tmp_path / "home" / "data" / "properties.db", settings.registry()).set(
        "hello.greeting", "howdy", service="hello"
    )
    instance.child.wait_until(
        lambda: json.loads(get(instance.url + "/hello?name=ann")[1])["greeting"] == "howdy ann",
        "the property to reach the instance",
    )
    assert instance.wait_healthy()["pid"] == instance.child.pid, "no restart happened"

    lines = [json.loads(line) for line in instance.output().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "reelstack.access"]
    assert access and all(line["instance"] == "hello-test-1" for line in access)


def test_port_in_use_exits_3_naming_port_and_service(spawn: Callable[..., Instance]) -> None:
    with taken_port() as port:
        instance = spawn(port=port)
        assert instance.child.wait_exit() == 3
    errors = [json.loads(line) for line in instance.output().splitlines() if '"ERROR"' in line]
    assert errors[-1]["error"] == "PortInUseError"
    assert errors[-1]["port"] == port
    assert errors[-1]["service"] == "hello"
    assert str(port) in errors[-1]["message"] and "hello" in errors[-1]["message"]


def test_invalid_setting_exits_2_naming_key_value_and_source(
    spawn: Callable[..., Instance],
) -> None:
    instance = spawn(REELSTACK_SERVICE_SHUTDOWN_GRACE_S="soon")
    assert instance.child.wait_exit() == 2
    output = instance.output()
    assert "service.shutdown_grace_s" in output
    assert "soon" in output
    assert "env:REELSTACK_SERVICE_SHUTDOWN_GRACE_S" in output


def test_sigterm_lets_the_in_flight_request_finish(spawn: Callable[..., Instance]) -> None:
    instance = spawn()
    instance.wait_healthy()
    result: dict[str, Any] = {}

    def slow_request() -> None:
        try:
            result["status"], result["body"], _ = get(instance.url + "/hello/slow?ms=1500", 20)
        except OSError as exc:
            result["error"] = exc

    client = threading.Thread(target=slow_request)
    client.start()
    try:
        # In flight: the slow request plus this scrape itself.
        instance.child.wait_until(
            lambda: "http_requests_in_flight 2.0" in get(instance.url + "/metrics")[1].decode(),
            "the slow request to start",
        )
        assert instance.child.terminate() == 0
    finally:
        client.join(timeout=20)
    assert result.get("status") == 200, result
    assert json.loads(result["body"]) == {"slept_ms": 1500}
    assert "hello-test-1 stopped" in instance.output()


def test_corrupt_store_file_exits_4_naming_the_file_and_keeps_it(
    spawn: Callable[..., Instance], tmp_path: Path
) -> None:
    data = tmp_path / "home" / "data"
    data.mkdir(parents=True)
    garbage = b"this is not a database\x00" * 200
    (data / "cache.db").write_bytes(garbage)
    instance = spawn()
    assert instance.child.wait_exit() == 4
    output = instance.output()
    assert "cache.db" in output
    assert (data / "cache.db").read_bytes() == garbage  # not silently recreated


# A throwaway service in its own package, run by the runner like any other:
# a worker shape (a context, a background task, no routes of its own) whose
# app asks uvicorn for an option of its own.
PROBE_SPEC = """
from reelstack.chassis.spec import ServiceSpec

SPEC = ServiceSpec(name="probe", app="probe.app:create_app", background=("probe.app:work",))
"""
PROBE_APP = """
import asyncio
import os
from dataclasses import dataclass

from reelstack.chassis.app import create_service_app
from probe.spec import SPEC


@dataclass
class Probe:
    crash: bool


async def build(chassis):
    return Probe(crash=os.environ.get("PROBE_CRASH") == "1")


async def work(probe: Probe):
    if probe.crash:
        raise RuntimeError("the probe's work failed")
    await asyncio.Event().wait()


def create_app(config):
    app = create_service_app(config, spec=SPEC, context=build, poll_properties=False)
    # The chassis turns uvicorn's Server header off; this app asks for it.
    app.server_options = {"server_header": True}
    return app
"""


@pytest.fixture
def probe_env(tmp_path: Path) -> dict[str, str]:
    package = tmp_path / "packages" / "probe"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "spec.py").write_text(PROBE_SPEC)
    (package / "app.py").write_text(PROBE_APP)
    return {
        "PYTHONPATH": str(tmp_path / "packages"),
        "REELSTACK_SERVICES_EXTRA": "probe",
        "REELSTACK_SERVICE_NAME": "probe",
        "REELSTACK_INSTANCE_ID": "probe-1",
    }


def test_the_runner_serves_an_app_with_its_own_server_options(
    spawn: Callable[..., Instance], probe_env: dict[str, str]
) -> None:
    instance = spawn(**probe_env)
    assert instance.wait_healthy()["service"] == "probe"
    _, _, headers = get(instance.url + "/health")
    assert headers.get("server") == "uvicorn"
    assert instance.child.terminate() == 0


def test_a_background_task_that_raises_exits_4_naming_the_task(
    spawn: Callable[..., Instance], probe_env: dict[str, str]
) -> None:
    instance = spawn(PROBE_CRASH="1", **probe_env)
    assert instance.child.wait_exit() == 4
    lines = [json.loads(line) for line in instance.output().splitlines() if line.startswith("{")]
    (failed,) = [line for line in lines if line.get("task") == "probe.app:work"]
    assert failed["level"] == "ERROR" and "the probe's work failed" in failed["message"]
