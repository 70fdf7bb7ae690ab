"""The chassis' registry client against a fake registry it reaches over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from reelstack import settings
from reelstack.chassis.eureka import EurekaClient, LocalRegistry, reconcile_hashcode
from reelstack.chassis.instance import InstanceIdentity
from reelstack.config import Config
from tests.support.ports import free_port
from tests.support.wait import eventually


def wire(
    instance_id: str, app: str = "CATALOG", status: str = "UP", **extra: Any
) -> dict[str, Any]:
    return {
        "instanceId": instance_id,
        "hostName": "localhost",
        "app": app,
        "ipAddr": "127.0.0.1",
        "status": status,
        "port": {"$": 9000, "@enabled": "true"},
        "metadata": {"zone": "b", "version": "v3"},
        **extra,
    }


def document(instances: list[dict[str, Any]], hashcode: str | None = None) -> dict[str, Any]:
    apps: dict[str, list[dict[str, Any]]] = {}
    for instance in instances:
        apps.setdefault(instance["app"], []).append(instance)
    if hashcode is None:
        hashcode = reconcile_hashcode([i["status"] for i in instances])
    return {
        "applications": {
            "versions__delta": "1",
            "apps__hashcode": hashcode,
            "application": [{"name": name, "instance": found} for name, found in apps.items()],
        }
    }


class FakeRegistry:
    """A registry whose answers the test scripts; it records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.registered: dict[str, dict[str, Any]] = {}
        self.full: dict[str, Any] = document([])
        self.delta: dict[str, Any] = document([])
        self.forget_on_heartbeat = False

    async def handle(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read()) if request.can_read_body else None
        path = request.path.removeprefix("/eureka")
        self.calls.append((request.method, path, dict(request.query), body))
        if request.method == "POST":
            self.registered[body["instance"]["instanceId"]] = body["instance"]
            return web.Response(status=204)
        if request.method == "PUT" and path.endswith("/metadata"):
            instance_id = path.rsplit("/", 2)[1]
            if instance_id not in self.registered:
                return web.Response(status=404)
            self.registered[instance_id]["metadata"].update(request.query)
            return web.Response(status=200)
        if request.method == "PUT":
            instance_id = path.rsplit("/", 1)[1]
            if self.forget_on_heartbeat:
                self.forget_on_heartbeat = False
                self.registered.pop(instance_id, None)
            return web.Response(status=200 if instance_id in self.registered else 404)
        if request.method == "DELETE":
            self.registered.pop(path.rsplit("/", 1)[1], None)
            return web.Response(status=200)
        payload = self.delta if path == "/apps/delta" else self.full
        return web.json_response(payload)

    def count(self, method: str, prefix: str = "") -> int:
        return sum(1 for m, p, _, _ in self.calls if m == method and p.startswith(prefix))


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeRegistry, str]]:
    registry = FakeRegistry()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", registry.handle)
    server = TestServer(app, host="127.0.0.1", port=free_port())
    await server.start_server()
    yield registry, f"http://127.0.0.1:{server.port}/eureka"
    await server.close()


@pytest.fixture
def make_client(tmp_path: Path) -> Callable[..., EurekaClient]:
    def make(urls: str, *, zone: str = "a", **values: str) -> EurekaClient:
        environ = {
            "REELSTACK_HOME": str(tmp_path),
            "REELSTACK_SERVICE_NAME": "hello",
            "REELSTACK_SERVICE_PORT": "18080",
            "REELSTACK_SERVICE_ZONE": zone,
            "REELSTACK_SERVICE_VERSION": "v9",
            "REELSTACK_EUREKA_URLS": urls,
            "REELSTACK_EUREKA_RENEWAL_INTERVAL_S": "0.05",
            "REELSTACK_EUREKA_FETCH_INTERVAL_S": "0.05",
            "REELSTACK_EUREKA_TIMEOUT_S": "1",
            **{settings.REGISTRY[k].env: v for k, v in values.items()},
        }
        config = Config.load(settings.REGISTRY, environ=environ)
        return EurekaClient(config, InstanceIdentity.from_config(config))

    return make


async def test_registers_starting_then_up_renews_and_cancels(
    fake: tuple[FakeRegistry, str], make_client: Callable[..., EurekaClient]
) -> None:
    registry, url = fake
    client = make_client(url)
    await client.start()
    try:
        await eventually(lambda: registry.count("POST") == 1, "the first registration")
        first = next(c for c in registry.calls if c[0] == "POST")[3]["instance"]
        assert first["status"] == "STARTING"
        assert first["app"] == "HELLO" and first["instanceId"] == "hello-a-18080"
        assert first["port"] == {"$": 18080, "@enabled": "true"}
        assert first["metadata"]["zone"] == "a" and first["metadata"]["version"] == "v9"
        assert first["leaseInfo"] == {"renewalIntervalInSecs": 1, "durationInSecs": 90}
        client.mark_started()
        await eventually(lambda: registry.registered["hello-a-18080"]["status"] == "UP", "UP")
        await eventually(lambda: registry.count("PUT") >= 3, "heartbeats")
        _, path, query, _ = next(c for c in registry.calls if c[0] == "PUT")
        assert path == "/apps/HELLO/hello-a-18080"
        assert query["status"] == "UP"
        assert int(query["lastDirtyTimestamp"]) == client.dirty_ms
    finally:
        await client.stop()
    assert registry.calls[-1][:2] == ("DELETE", "/apps/HELLO/hello-a-18080")
    assert "hello-a-18080" not in registry.registered


async def test_registers_again_when_the_registry_forgot_it(
    fake: tuple[FakeRegistry, str], make_client: Callable[..., EurekaClient]
) -> None:
    registry, url = fake
    client = make_client(url)
    await client.start()
    client.mark_started()
    try:
        await eventually(lambda: registry.count("PUT") >= 1, "a heartbeat")
        posts = registry.count("POST")
        registry.forget_on_heartbeat = True  # as after a registry restart
        await eventually(lambda: registry.count("POST") > posts, "the registration after a 404")
        assert registry.registered["hello-a-18080"]["status"] == "UP"
    finally:
        await client.stop()


async def test_metadata_updates_reach_the_registry_and_later_registrations(
    fake: tuple[FakeRegistry, str], make_client: Callable[..., EurekaClient]
) -> None:
    registry, url = fake
    client = make_client(url)
    # Before the first registration: kept for it, nothing sent.
    assert await client.update_metadata({"edge.url": "http://e1"}) is False
    await client.start()
    client.mark_started()
    try:
        await eventually(lambda: registry.count("POST") >= 1, "the registration")
        assert registry.registered["hello-a-18080"]["metadata"]["edge.url"] == "http://e1"
        await eventually(lambda: client.registered_status is not None, "registered")
        assert await client.update_metadata({"edge.bytes_s": "42"}) is True
        metadata = registry.registered["hello-a-18080"]["metadata"]
        assert metadata["edge.bytes_s"] == "42" and metadata["zone"] == "a"
        assert ("PUT", "/apps/HELLO/hello-a-18080/metadata") in [c[:2] for c in registry.calls]
        registry.registered.clear()  # a registry that forgot the instance: not an error
        assert await client.update_metadata({"edge.bytes_s": "7"}) is False
    finally:
        await client.stop()


async def test_discovers_from_a_full_fetch_then_deltas(
    fake: tuple[FakeRegistry, str], make_client: Callable[..., EurekaClient]
) -> None:
    registry, url = fake
    registry.full = document([wire("c1"), wire("c2"), wire("c3", status="OUT_OF_SERVICE")])
    client = make_client(url, **{"eureka.register": "false"})
    await client.start()
    try:
        await eventually(lambda: len(client.instances("catalog")) == 2, "the full fetch")
        (c1, _) = sorted(client.instances("catalog"), key=lambda i: i.instance_id)
        assert (c1.host, c1.port, c1.zone, c1.version) == ("127.0.0.1", 9000, "b", "v3")
        assert client.instances("nothing") == ()
        # c2 leaves, c3 comes back in service: the delta carries both.
        registry.delta = document(
            [wire("c2", actionType="DELETED"), wire("c3", actionType="MODIFIED")],
            hashcode="UP_2_",
        )
        await eventually(
            lambda: sorted(i.instance_id for i in client.instances("catalog")) == ["c1", "c3"],
            "the delta",
        )
        assert registry.count("POST") == 0, "eureka.register=false registers nothing"
    finally:
        await client.stop()


async def test_a_hashcode_mismatch_fetches_the_full_registry(
    fake: tuple[FakeRegistry, str], make_client: Callable[..., EurekaClient]
) -> None:
    registry, url = fake
    registry.full = document([wire("c1")])
    registry.delta = document([], hashcode="UP_1_")
    client = make_client(url, **{"eureka.register": "false"})
    await client.start()
    try:
        await eventually(lambda: registry.count("GET", "/apps/delta") >= 2, "deltas")
        assert registry.count("GET", "/apps") - registry.count("GET", "/apps/delta") == 1
        # An instance the client never saw in a delta: the hashcodes differ.
        registry.full = document([wire("c1"), wire("c9")])
        registry.delta = document([], hashcode="UP_2_")
        await eventually(lambda: len(client.instances("catalog")) == 2, "the refetch")
    finally:
        await client.stop()


async def test_keeps_the_copy_while_every_registry_is_down(
    fake: tuple[FakeRegistry, str], make_client: Callable[..., EurekaClient]
) -> None:
    registry, url = fake
    registry.full = document([wire("c1")])
    registry.delta = document([], hashcode="UP_1_")
    dead = f"http://127.0.0.1:{free_port()}/eureka"
    client = make_client(f"{dead},{url}", **{"eureka.register": "false"})
    await client.start()
    try:
        await eventually(lambda: len(client.instances("catalog")) == 1, "a fetch past the dead URL")
        assert client.current_url == url
        client.urls = [dead]  # now no registry answers at all
        fetched = client.last_fetch_s
        await eventually(lambda: client.fetch_failures >= 3, "failing fetches")
        assert client.last_fetch_s == fetched
        assert [i.instance_id for i in client.instances("catalog")] == ["c1"]
    finally:
        await client.stop()


def test_own_zone_registry_comes_first(make_client: Callable[..., EurekaClient]) -> None:
    client = make_client(
        "a=http://127.0.0.1:1/eureka,b=http://127.0.0.1:2/eureka,http://127.0.0.1:3/eureka",
        zone="b",
    )
    assert client.urls == [
        "http://127.0.0.1:2/eureka",
        "http://127.0.0.1:1/eureka",
        "http://127.0.0.1:3/eureka",
    ]


def test_local_copy_ignores_disabled_ports_and_reads_old_shapes() -> None:
    local = LocalRegistry()
    single = {
        "applications": {
            "apps__hashcode": "UP_2_",
            "application": {
                "name": "CATALOG",
                "instance": wire("one", port={"$": "8080", "@enabled": "false"}),
            },
        }
    }
    local.replace(single)
    assert local.instances("catalog") == ()
    assert local.hashcode() == "UP_1_", "kept, so the hashcode matches the registry's"
    with pytest.raises((KeyError, TypeError, ValueError)):
        local.replace({"applications": {"application": [{"name": "X", "instance": [{}]}]}})
    assert [i.instance_id for i in local.all()] == ["one"], "a bad document changes nothing"
    local.replace(document([wire("two", metadata={"@class": "java.util.Collections$EmptyMap"})]))
    (two,) = local.instances("CATALOG")
    assert two.metadata == {} and two.zone == "" and two.service == "catalog"
    assert local.hashcode() == "UP_1_"


def test_a_management_port_is_registered_for_health_and_metrics(
    make_client: Callable[..., EurekaClient],
) -> None:
    client = make_client("http://127.0.0.1:1/eureka")
    plain = client.instance_payload("UP")["instance"]
    assert plain["healthCheckUrl"].endswith(":18080/health")
    assert plain["metadata"]["management.port"] == "18080"
    client.management_port = 18081  # the gateway's internal port
    instance = client.instance_payload("UP")["instance"]
    assert instance["port"]["$"] == 18080  # traffic still goes to the service port
    assert instance["healthCheckUrl"].endswith(":18081/health")
    assert instance["metadata"]["management.port"] == "18081"
