"""The mesh in a running cluster: every request enters through the gateway, which
finds services through the registry and keeps serving while parts of it die."""

from __future__ import annotations

import os
import signal
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Cluster
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow


def _gateway(cluster: Cluster) -> str:
    gateway = cluster.by_id()["gateway-a-1"]
    return f"http://127.0.0.1:{gateway['port']}"


def _greet(base: str, client: httpx.Client) -> httpx.Response:
    return client.get(f"{base}/api/hello", params={"name": "mesh"}, timeout=5)


def _served_by(base: str) -> set[str]:
    with httpx.Client() as client:
        answers = [_greet(base, client) for _ in range(20)]
    return {a.json().get("instance") for a in answers if a.status_code == 200}


def _reaches_hello(base: str, instance: str | None = None) -> bool:
    # One request per poll: twenty per poll outran the gateway's per-address
    # rate limit (100/s) while discovery settled, and the requests the test
    # then counts met 429s.
    with httpx.Client() as client:
        answer = _greet(base, client)
    return answer.status_code == 200 and instance in (None, answer.json().get("instance"))


def test_the_gateway_routes_to_every_instance_found_through_the_registry(
    cluster: Cluster,
) -> None:
    cluster.wait_all_up()
    base = _gateway(cluster)
    # `up` returns once every instance answers /health; the gateway learns of
    # them from the registry a little later, its own zone's too.
    wait_until(lambda: _reaches_hello(base, "hello-a-1"), "the gateway reaching hello-a-1")
    # Zone affinity: the zone-a gateway calls the zone-a instance while it is up.
    assert _served_by(base) == {"hello-a-1"}
    with httpx.Client() as client:
        assert client.get(f"{base}/api/nowhere", timeout=5).status_code == 404
        # Anyone may read titles; uploads, jobs and changes need a token. An
        # instance is up for the supervisor a moment before the gateway's copy
        # of the registry lists it: wait for media as for hello.
        wait_until(
            lambda: client.get(f"{base}/api/media/titles", timeout=5).status_code,
            "the gateway reaching media",
            done=lambda status: status == 200,
        )
        assert client.post(f"{base}/api/media/uploads", timeout=5).status_code == 401
        assert client.get(f"{base}/api/media/jobs/x", timeout=5).status_code == 401
        assert client.delete(f"{base}/api/media/titles/x", timeout=5).status_code == 401


def test_the_gateway_keeps_serving_while_a_registry_instance_is_down(cluster: Cluster) -> None:
    cluster.wait_all_up()
    base = _gateway(cluster)
    wait_until(lambda: _reaches_hello(base), "the gateway reaching hello")
    status, _ = cluster.api("POST", "/instances/registry-a-1/stop")
    assert status == 200
    try:
        with httpx.Client() as client:
            answers = [_greet(base, client).status_code for _ in range(50)]
        assert answers == [200] * 50
    finally:
        cluster.api("POST", "/instances/registry-a-1/start")
        cluster.wait_all_up()


def test_an_instance_killed_with_kill_9_costs_callers_nothing(cluster: Cluster) -> None:
    cluster.wait_all_up()
    base = _gateway(cluster)
    wait_until(lambda: _reaches_hello(base), "the gateway reaching hello")
    # The instance this gateway calls (its own zone's) dies without a word.
    victim: dict[str, Any] = cluster.by_id()["hello-a-1"]
    # The supervisor is paused meanwhile: its warm spare can take the dead
    # instance's port within a few hundred milliseconds, and on a slow machine
    # that beats the first request, which then never meets the dead instance.
    supervisor = cluster.supervisor()["pid"]
    os.kill(supervisor, signal.SIGSTOP)
    try:
        os.kill(victim["pid"], signal.SIGKILL)
        with httpx.Client() as client:
            answers = [_greet(base, client) for _ in range(50)]
    finally:
        os.kill(supervisor, signal.SIGCONT)
    assert [a.status_code for a in answers] == [200] * 50
    assert {a.json()["instance"] for a in answers} == {"hello-b-1"}
    cluster.wait_all_up()
