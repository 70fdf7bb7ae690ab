"""The registry as real processes: Eureka clients, leases, self-preservation, overrides.

Peers and restarts are in ``test_registry_peers.py``; the chassis' own client
in ``test_registry_chassis.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelstack import settings
from reelstack.chassis.properties import PropertyStore
from tests.integration.registry_processes import (
    JSON,
    Process,
    Processes,
    call,
    credentials_for,
    eureka_url_as,
    instances,
    registration,
    registry_status,
)
from tests.support.ports import free_port
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Processes]:
    processes = Processes(tmp_path)
    yield processes
    processes.close()


PY_EUREKA_CLIENT = """
import asyncio, json, sys, threading
from py_eureka_client import eureka_client

async def main(url, port):
    client = eureka_client.EurekaClient(
        eureka_server=url, app_name="pyclient", instance_id=f"pyclient-{port}",
        instance_host="127.0.0.1", instance_ip="127.0.0.1", instance_port=port,
        renewal_interval_in_secs=1, duration_in_secs=10,
        metadata={"zone": "b", "version": "v5"},
    )
    await client.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    def wait_stdin():
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)
    threading.Thread(target=wait_stdin, daemon=True).start()
    while not stop.is_set():
        try:
            apps = client.applications.applications
            seen = {a.name: sorted(i.instanceId for i in a.up_instances) for a in apps}
            print(json.dumps(seen), flush=True)
        except Exception as exc:
            print(json.dumps({"error": repr(exc)}), flush=True)
        try:
            await asyncio.wait_for(stop.wait(), 0.2)
        except asyncio.TimeoutError:
            pass
    await client.stop()
    print(json.dumps({"stopped": True}), flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


class Lines:
    """The JSON lines a child prints, collected by a thread."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: list[Any] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                continue

    def last(self) -> Any:
        return self.lines[-1] if self.lines else None


def test_py_eureka_client_registers_renews_and_discovers(spawn: Processes, tmp_path: Path) -> None:
    registry = spawn()
    assert call("POST", registry.eureka + "/apps/HELLO", registration("hello-1"))[0] == 204
    port = free_port()
    with (tmp_path / "pyclient.log").open("wb") as errors:
        client = subprocess.Popen(
            [
                sys.executable,
                "-c",
                PY_EUREKA_CLIENT,
                eureka_url_as(registry.eureka, "pyclient"),
                str(port),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
    lines = Lines(client)
    try:
        mine = wait_until(
            lambda: instances(registry.eureka).get(f"pyclient-{port}"), "registration"
        )
        assert mine["app"] == "PYCLIENT" and mine["status"] == "UP"
        assert mine["port"] == {"$": port, "@enabled": "true"}
        assert mine["metadata"]["zone"] == "b" and mine["metadata"]["version"] == "v5"
        registered_ms = mine["leaseInfo"]["registrationTimestamp"]
        wait_until(
            lambda: (
                instances(registry.eureka)[f"pyclient-{port}"]["leaseInfo"]["lastRenewalTimestamp"]
                > registered_ms
            ),
            "a renewal",
        )
        # Discovery through the full registry (XML, as py-eureka-client reads it).
        wait_until(lambda: (lines.last() or {}).get("HELLO") == ["hello-1"], "discovering HELLO")
        # A later registration reaches it through a delta.
        assert call("POST", registry.eureka + "/apps/HELLO", registration("hello-2"))[0] == 204
        wait_until(
            lambda: (lines.last() or {}).get("HELLO") == ["hello-1", "hello-2"],
            "discovering hello-2",
        )
        assert (lines.last() or {}).get("PYCLIENT") == [f"pyclient-{port}"]
        assert client.stdin is not None
        client.stdin.close()  # the script stops the client: it cancels its registration
        wait_until(lambda: {"stopped": True} in lines.lines, "the client to stop")
        assert f"pyclient-{port}" not in instances(registry.eureka)
    finally:
        client.kill()
        client.wait(timeout=10)


def heartbeats(registry: Process, ids: list[str], stop: threading.Event) -> threading.Thread:
    """Renew ``ids`` every 0.1 s until ``stop`` is set (faster than they declared)."""

    def run() -> None:
        while not stop.wait(0.1):
            for instance_id in ids:
                call("PUT", f"{registry.eureka}/apps/HELLO/{instance_id}")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_expired_lease_is_evicted_and_self_preservation_stops_evictions(
    spawn: Processes, tmp_path: Path
) -> None:
    registry = spawn(
        REELSTACK_REGISTRY_EVICTION_INTERVAL_S="0.2",
        REELSTACK_REGISTRY_RENEWAL_WINDOW_S="1",
    )
    # As with Eureka's defaults (a 60 s window, 90 s leases), the window is
    # shorter than a lease, so missing renewals show before leases expire.
    lease = {"renewalIntervalInSecs": 1, "durationInSecs": 3}
    alive = ["alive-1", "alive-2", "alive-3"]
    for instance_id in [*alive, "dead"]:
        body = registration(instance_id, leaseInfo=lease)
        assert call("POST", registry.eureka + "/apps/HELLO", body)[0] == 204
    stop = threading.Event()
    thread = heartbeats(registry, alive, stop)
    try:
        # The dead instance's lease expires while the others renew: it goes.
        wait_until(lambda: "dead" not in instances(registry.eureka), "the eviction")
        assert sorted(instances(registry.eureka)) == alive
        assert registry_status(registry)["evictions"] == 1
    finally:
        stop.set()
        thread.join()
    # Every renewal stops at once: the registry blames the network and keeps them.
    stopped = time.monotonic()
    wait_until(lambda: registry_status(registry)["selfPreservation"]["active"], "self-preservation")
    wait_until(lambda: time.monotonic() > stopped + 3.5, "the leases to expire")
    runs = registry_status(registry)["evictionRuns"]
    wait_until(lambda: registry_status(registry)["evictionRuns"] >= runs + 3, "eviction runs")
    assert sorted(instances(registry.eureka)) == alive
    status = registry_status(registry)
    assert status["selfPreservation"]["renewalsInWindow"] == 0
    assert status["evictions"] == 1
    metrics = call("GET", registry.url + "/metrics")[1].decode()
    assert "registry_self_preservation 1.0" in metrics
    # Turning self-preservation off at runtime lets the expired leases go.
    PropertyStore(tmp_path / "home" / "data" / "properties.db", settings.registry()).set(
        "registry.self_preservation", "false", service="registry"
    )
    wait_until(lambda: not instances(registry.eureka), "the evictions")
    assert registry_status(registry)["evictions"] == 4


def test_status_override_delta_and_malformed_payloads(spawn: Processes) -> None:
    registry = spawn()
    url = registry.eureka
    assert call("POST", url + "/apps/HELLO", registration("h1"))[0] == 204
    assert call("POST", url + "/apps/HELLO", registration("h2"))[0] == 204
    assert call("PUT", url + "/apps/HELLO/h1/status?value=OUT_OF_SERVICE")[0] == 200
    assert call("DELETE", url + "/apps/HELLO/h2")[0] == 200
    status, body = call("GET", url + "/apps/delta", headers=JSON)
    delta = json.loads(body)["applications"]
    assert status == 200 and delta["apps__hashcode"] == "OUT_OF_SERVICE_1_"
    actions = {i["instanceId"]: i["actionType"] for i in delta["application"][0]["instance"]}
    assert actions == {"h1": "MODIFIED", "h2": "DELETED"}

    bad = registration("h3")
    bad["instance"]["port"] = {"$": "not-a-port", "@enabled": "true"}
    status, body = call("POST", url + "/apps/HELLO", bad)
    assert status == 400 and json.loads(body)["field"] == "instance.port"
    status, body = call("POST", url + "/apps/HELLO", {"instance": {"app": "HELLO"}})
    assert status == 400 and json.loads(body)["field"] == "instance.hostName"
    assert "h3" not in instances(url)
    assert call("PUT", url + "/apps/HELLO/unknown")[0] == 404

    targets = json.loads(call("GET", registry.url + "/prometheus/targets")[1])
    assert targets == [], "h1 is out of service and h2 cancelled: no UP target"
    assert call("DELETE", url + "/apps/HELLO/h1/status")[0] == 200
    targets = json.loads(call("GET", registry.url + "/prometheus/targets")[1])
    assert [t["labels"]["instance_id"] for t in targets] == ["h1"]


def test_a_real_registry_refuses_writes_without_a_credential(spawn: Processes) -> None:
    registry = spawn()
    anonymous = call(
        "POST", registry.eureka + "/apps/IDENTITY", registration("evil", "IDENTITY"), {}
    )
    assert anonymous[0] == 401
    as_hello = credentials_for(registry.eureka + "/apps/HELLO")
    other = call(
        "POST", registry.eureka + "/apps/IDENTITY", registration("evil", "IDENTITY"), as_hello
    )
    assert other[0] == 403 and b"hello may not write the instances of identity" in other[1]
    assert "evil" not in instances(registry.eureka)
    log = registry.log.read_text()
    assert "registry write refused (missing)" in log
    assert "registry write refused (other_service)" in log
    metrics = call("GET", registry.url + "/metrics")[1].decode()
    assert 'registry_write_refusals_total{reason="other_service"} 1.0' in metrics
