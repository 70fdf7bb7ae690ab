"""The control API over HTTP, on a supervisor of fake instances."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.wait import eventually
from tests.unit.cluster.conftest import Api, all_up


async def test_lists_instances_and_prometheus_targets(api: Api) -> None:
    status, body = await api.call("GET", "/instances")
    assert status == 200
    ids = [view["instance"] for view in body["instances"]]
    assert ids == ["hello-a-1", "hello-b-1"]
    status, targets = await api.call("GET", "/prometheus/targets")
    assert status == 200
    ports = {view["port"] for view in body["instances"]}
    assert {t["targets"][0] for t in targets} == {f"127.0.0.1:{port}" for port in ports}
    assert {t["labels"]["instance_id"] for t in targets} == set(ids)
    status, one = await api.call("GET", "/instances/hello-b-1")
    assert (status, one["zone"]) == (200, "b")


async def test_kill_restarts_the_instance(api: Api) -> None:
    status, body = await api.call("POST", "/instances/hello-a-1/kill")
    assert status == 200
    old = body["killed_pid"]
    instance = api.supervisor.get("hello-a-1")
    await eventually(
        lambda: instance.view()["state"] == "up" and instance.view()["pid"] != old, "replaced"
    )


async def test_stop_then_kill_is_a_conflict_and_start_brings_it_back(api: Api) -> None:
    status, body = await api.call("POST", "/instances/hello-b-1/stop")
    assert (status, body["state"], body["desired"]) == (200, "down", "stopped")
    status, body = await api.call("POST", "/instances/hello-b-1/kill")
    assert status == 409 and body["error"] == "ConflictError"
    status, body = await api.call("POST", "/instances/hello-b-1/start")
    assert status == 200
    await eventually(lambda: all_up(api.supervisor), "up again")
    status, body = await api.call("POST", "/instances/hello-b-1/restart")
    assert (status, body["restarts"]) == (200, 1)


async def test_scale_and_versions(api: Api) -> None:
    status, body = await api.call("POST", "/services/hello/scale", {"count": 3})
    assert status == 200
    assert [v["instance"] for v in body["instances"]] == ["hello-a-1", "hello-b-1", "hello-a-2"]
    status, body = await api.call("POST", "/services/hello/versions", {"version": "v2"})
    assert status == 201
    assert [v["instance"] for v in body["instances"]] == ["hello-a-v2-1"]
    await eventually(lambda: all_up(api.supervisor), "all four up")
    status, body = await api.call("DELETE", "/services/hello/versions/v2")
    assert (status, body["removed"]) == (200, ["hello-a-v2-1"])


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("POST", "/services/hello/scale", {"count": "two"}, 400, "count"),
        ("POST", "/services/hello/scale", {}, 400, "count"),
        ("POST", "/services/hello/scale", [1], 400, "body"),
        ("POST", "/services/hello/versions", {"version": "v 2"}, 400, "version"),
        ("POST", "/services/hello/versions", {"version": "v2", "count": 0}, 400, "count"),
        ("DELETE", "/services/hello/versions/v%202", None, 400, "version"),
        ("POST", "/services/nope/scale", {"count": 1}, 404, None),
        ("POST", "/services/nope/versions", {"version": "v2"}, 404, None),
        ("DELETE", "/services/hello/versions/v9", None, 404, None),
        ("POST", "/instances/hello-z-9/kill", None, 404, None),
        ("GET", "/instances/hello-z-9", None, 404, None),
        ("GET", "/nothing-here", None, 404, None),
    ],
)
async def test_bad_requests(
    api: Api, method: str, path: str, body: Any, status: int, field: str | None
) -> None:
    got, answer = await api.call(method, path, body)
    assert got == status, answer
    assert answer["detail"]
    assert answer.get("field") == field


async def test_invalid_json_is_a_400_naming_the_body(api: Api) -> None:
    response = await api.client.post(
        "/services/hello/scale",
        data=b"{nope",
        headers={**api.auth, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await response.json())["field"] == "body"


async def test_shutdown_is_accepted_and_refuses_later_changes(api: Api) -> None:
    status, body = await api.call("POST", "/shutdown")
    assert (status, body["stopping"], api.shutdowns) == (202, ["hello-a-1", "hello-b-1"], 1)
    api.supervisor.shutting_down = True
    status, body = await api.call("POST", "/services/hello/scale", {"count": 5})
    assert status == 503
    status, body = await api.call("GET", "/health")
    assert (status, body["status"]) == (200, "stopping")
