"""The local cluster end to end: up, chaos, runtime config, control API, discovery, down."""

from __future__ import annotations

import os
import re
import signal
import uuid
from typing import Any

import httpx
import psutil
import pytest

from reelstack import services
from reelstack.cluster.model import spec_for
from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow


def test_up_runs_every_instance_in_both_zones(cluster: Cluster) -> None:
    # `up` returns once every instance is up (how long it takes: bench/bench_cluster.py).
    views = cluster.status()
    assert all(view["state"] == "up" for view in views), views
    expected = sorted(
        spec_for(name, "v1", slot, ("a", "b"), "v1").instance_id
        for name, service in services.specs().items()
        for slot in range(service.instances or 2)
    )
    assert sorted(view["instance"] for view in views) == expected
    for name in services.specs():
        assert {v["zone"] for v in views if v["service"] == name} == {"a", "b"}
    assert len({view["port"] for view in views}) == len(views)
    for view in views:
        for key in ("service", "instance", "zone", "port", "pid", "state", "version"):
            assert key in view
        health = httpx.get(f"http://127.0.0.1:{view['port']}/health", timeout=5).json()
        assert (health["instance"], health["pid"], health["zone"]) == (
            view["instance"],
            view["pid"],
            view["zone"],
        )
    # Asked again, `up` says it runs and changes nothing.
    again = cluster.cli("up")
    assert again.returncode == 0 and "already running" in again.stdout
    assert [v["pid"] for v in cluster.status()] == [v["pid"] for v in views]


def test_kill_9_is_replaced_with_the_same_id(cluster: Cluster) -> None:
    before = cluster.wait_all_up()
    victim = next(view for view in before if view["instance"] == "hello-a-1")
    os.kill(victim["pid"], signal.SIGKILL)
    after = wait_until(
        lambda: (
            (v := cluster.by_id().get(victim["instance"]))
            and v["state"] == "up"
            and v["pid"] != victim["pid"]
            and v
        ),
        f"{victim['instance']} replaced and up",
    )
    assert (after["zone"], after["version"]) == (victim["zone"], victim["version"])
    assert after["restarts"] == victim["restarts"] + 1
    assert not psutil.pid_exists(victim["pid"]) or (
        psutil.Process(victim["pid"]).status() == psutil.STATUS_ZOMBIE
    )


def test_config_set_reaches_running_instances(cluster: Cluster) -> None:
    views = [view for view in cluster.wait_all_up() if view["service"] == "hello"]
    greeting = f"hey-{uuid.uuid4().hex[:8]}"
    cluster.ok("config", "set", "hello.greeting", greeting)

    def everyone_greets() -> bool:
        for view in views:
            answer = httpx.get(f"http://127.0.0.1:{view['port']}/hello?name=ann", timeout=5)
            if answer.json()["greeting"] != f"{greeting} ann":
                return False
        return True

    wait_until(everyone_greets, "the new greeting on every instance")
    got = cluster.ok("config", "get", "hello.greeting", "--json")
    assert '"source": "runtime"' in got and greeting in got

    bad = cluster.cli("config", "set", "logging.level", "LOUD")
    assert bad.returncode == 2
    assert "logging.level" in bad.stderr and "LOUD" in bad.stderr
    assert "Traceback" not in bad.stderr
    cluster.ok("config", "unset", "hello.greeting")


def hello_ids(views: list[dict[str, Any]]) -> list[str]:
    return [view["instance"] for view in views if view["service"] == "hello"]


def test_control_commands(cluster: Cluster) -> None:
    before = {v["instance"]: v for v in cluster.wait_all_up()}

    out = cluster.ok("instances", "kill", "hello-b-1")
    assert "killed hello-b-1" in out
    cluster.ok("instances", "restart", "hello-a-1")
    after = cluster.wait_all_up()
    pids = {v["instance"]: v["pid"] for v in after}
    assert pids["hello-a-1"] != before["hello-a-1"]["pid"]
    assert pids["hello-b-1"] != before["hello-b-1"]["pid"]

    cluster.ok("scale", "hello", "3")
    assert hello_ids(cluster.wait_all_up()) == ["hello-a-1", "hello-b-1", "hello-a-2"]

    cluster.ok("deploy", "start-version", "hello", "v2")
    views = cluster.wait_all_up()
    canary = next(v for v in views if v["version"] == "v2")
    assert canary["instance"] == "hello-a-v2-1"
    health = httpx.get(f"http://127.0.0.1:{canary['port']}/health", timeout=5).json()
    assert health["version"] == "v2"

    cluster.ok("deploy", "remove-version", "hello", "v2")
    cluster.ok("scale", "hello", "2")
    assert hello_ids(cluster.wait_all_up()) == ["hello-a-1", "hello-b-1"]

    cluster.ok("instances", "stop", "hello-b-1")
    assert cluster.by_id()["hello-b-1"]["state"] == "down"
    cluster.ok("instances", "start", "hello-b-1")
    cluster.wait_all_up()

    unknown = cluster.cli("instances", "kill", "hello-z-9")
    assert unknown.returncode == 1 and "hello-z-9" in unknown.stderr


def test_control_api_refuses_bad_input(cluster: Cluster) -> None:
    status, body = cluster.api("POST", "/services/hello/scale", {"count": "many"})
    assert (status, body["field"]) == (400, "count")
    status, body = cluster.api("POST", "/services/hello/versions", {"count": 1})
    assert (status, body["field"]) == (400, "version")
    status, body = cluster.api("POST", "/services/nope/scale", {"count": 1})
    assert status == 404 and "nope" in body["detail"]
    status, body = cluster.api("POST", "/instances/hello-z-9/restart")
    assert status == 404 and "hello-z-9" in body["detail"]


def test_control_api_refuses_callers_without_the_homes_token(cluster: Cluster) -> None:
    token = cluster.home / "cluster" / "control.token"
    assert token.stat().st_mode & 0o777 == 0o600
    # A web page's CSRF: no token, an Origin, a text/plain body.
    response = httpx.post(
        cluster.control_url + "/shutdown",
        content=b"{}",
        headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
        timeout=10,
    )
    assert response.status_code == 403
    response = httpx.get(cluster.control_url + "/instances", timeout=10)
    assert response.status_code == 401
    assert cluster.instances()


def test_prometheus_finds_every_instance_that_is_up(cluster: Cluster) -> None:
    views = cluster.wait_all_up()
    status, groups = cluster.api("GET", "/prometheus/targets")
    assert status == 200
    assert sorted(groups, key=lambda g: g["labels"]["instance_id"]) == [
        {
            "targets": [f"127.0.0.1:{view['port']}"],
            "labels": {
                "service": view["service"],
                "instance_id": view["instance"],
                "zone": view["zone"],
                "version": view["version"],
            },
        }
        for view in views
    ]
    for group in groups:
        metrics = httpx.get(f"http://{group['targets'][0]}/metrics", timeout=5)
        assert metrics.status_code == 200
        assert f'instance="{group["labels"]["instance_id"]}"' in metrics.text


def test_down_leaves_no_process_behind(new_cluster: Cluster) -> None:
    new_cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
    supervisor_pid = new_cluster.supervisor()["pid"]
    views = new_cluster.status()
    pids = {supervisor_pid} | {v["pid"] for v in views}
    assert "hello-a-1" in {v["instance"] for v in views}
    # Spares too: everything started for this home.
    wait_until(lambda: len(new_cluster.processes()) > len(pids), "a warm spare")
    pids |= {proc.pid for proc in new_cluster.processes()}

    out = new_cluster.ok("down")
    assert f"pid {supervisor_pid}" in out and "hello-a-1" in out
    for pid in pids:
        assert not psutil.pid_exists(pid) or (
            psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        ), f"pid {pid} still runs"
    assert new_cluster.processes() == []
    assert new_cluster.status() == []
    assert "not running" in new_cluster.ok("down")


def test_a_killed_supervisor_leaves_nothing_running_for_long(new_cluster: Cluster) -> None:
    new_cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
    supervisor_pid = new_cluster.supervisor()["pid"]
    instance_pids = [v["pid"] for v in new_cluster.status()]
    os.kill(supervisor_pid, signal.SIGKILL)
    # Instances get SIGTERM when their parent dies, and drain.
    wait_until(
        lambda: (
            not any(
                psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                for pid in instance_pids
            )
        ),
        "the instances of a killed supervisor stopped",
    )
    # The stale state file does not stop a new cluster from starting, or stopping.
    new_cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
    # Every instance up (a health probe that a loaded machine answers late
    # shows an instance as "starting" for a moment: wait, do not sample once).
    new_cluster.wait_all_up()
    new_cluster.ok("down")
    assert new_cluster.processes() == []


def test_up_names_the_instance_that_does_not_start_and_stops_the_rest(
    new_cluster: Cluster,
) -> None:
    # The relational store is not a SQLite file: the services on it (hello,
    # media) cannot start.
    data = new_cluster.home / "data"
    data.mkdir(parents=True)
    (data / "sql.db").write_bytes(b"this is not a database" * 100)
    result = new_cluster.cli("up", "--timeout", str(UP_TIMEOUT_S))
    assert result.returncode == 1
    first_line = result.stderr.splitlines()[0]
    named = re.search(r"instance (\S+) is not up", first_line)
    assert named is not None, first_line
    failed = named.group(1)
    assert failed.split("-")[0] in ("hello", "media") and f"{failed}.log" in first_line
    assert "corrupt" in result.stderr
    assert "Traceback (most recent call last)" not in result.stderr
    assert new_cluster.processes() == []
    assert new_cluster.status() == []
