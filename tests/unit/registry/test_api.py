"""The registry's REST API in-process: Eureka's endpoints, status codes and shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from reelstack import settings
from reelstack.config import Config
from reelstack.registry.app import create_app
from reelstack.registry_credentials import PEER, authorization, cluster_key
from tests.unit.registry.conftest import wire_instance

JSON = {"Accept": "application/json"}
REPLICATION = {"x-netflix-discovery-replication": "true"}
ID = "127.0.0.1:hello:8080"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    config = Config.load(
        settings.REGISTRY,
        environ={
            "REELSTACK_HOME": str(tmp_path),
            "REELSTACK_SERVICE_NAME": "registry",
            "REELSTACK_SERVICE_PORT": "18761",
            "REELSTACK_LOGGING_ACCESS": "false",
        },
    )
    app = create_app(config, poll_properties=False)
    # These tests exercise Eureka's semantics, so they write as a peer
    # registry (which may write any app); test_credentials attacks the door.
    peer = {"Authorization": authorization(cluster_key(config), PEER)}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://registry", headers=peer
        ) as c:
            yield c


async def register(client: httpx.AsyncClient, **overrides: Any) -> httpx.Response:
    wire = wire_instance(**overrides)
    return await client.post(f"/eureka/apps/{wire['app']}", json={"instance": wire})


async def full(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/eureka/apps", headers=JSON)
    assert response.status_code == 200
    apps: dict[str, Any] = response.json()["applications"]
    return apps


async def test_register_fetch_renew_cancel(client: httpx.AsyncClient) -> None:
    assert (await register(client)).status_code == 204
    apps = await full(client)
    assert apps["apps__hashcode"] == "UP_1_"
    (app,) = apps["application"]
    assert app["name"] == "HELLO"
    (instance,) = app["instance"]
    assert instance["instanceId"] == ID and instance["metadata"]["version"] == "v2"
    assert instance["actionType"] == "ADDED"

    renew = await client.put(f"/eureka/apps/HELLO/{ID}?status=UP&lastDirtyTimestamp=1700000000000")
    assert renew.status_code == 200
    assert (await client.delete(f"/eureka/apps/HELLO/{ID}")).status_code == 200
    assert (await client.put(f"/eureka/apps/HELLO/{ID}")).status_code == 404
    assert (await client.delete(f"/eureka/apps/HELLO/{ID}")).status_code == 404
    assert (await full(client))["application"] == []


async def test_heartbeat_with_newer_dirty_timestamp_asks_for_registration(
    client: httpx.AsyncClient,
) -> None:
    await register(client)
    newer = await client.put(f"/eureka/apps/HELLO/{ID}?lastDirtyTimestamp=1800000000000")
    assert newer.status_code == 404
    older = await client.put(f"/eureka/apps/HELLO/{ID}?lastDirtyTimestamp=1", headers=REPLICATION)
    assert older.status_code == 409
    assert older.json()["instanceId"] == ID
    bad = await client.put(f"/eureka/apps/HELLO/{ID}?status=HAPPY")
    assert bad.status_code == 400 and bad.json()["field"] == "status"


async def test_malformed_registration_names_the_field(client: httpx.AsyncClient) -> None:
    response = await register(client, port={"$": "http", "@enabled": "true"})
    assert response.status_code == 400
    assert response.json()["field"] == "instance.port"
    response = await client.post("/eureka/apps/HELLO", content=b"{oops")
    assert response.status_code == 400 and response.json()["field"] == "instance"
    response = await client.post("/eureka/apps/CATALOG", json={"instance": wire_instance()})
    assert response.status_code == 400 and response.json()["field"] == "instance.app"
    assert (await full(client))["application"] == []


async def test_status_override_and_its_removal(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.put(f"/eureka/apps/HELLO/{ID}/status?value=OUT_OF_SERVICE")
    assert response.status_code == 200
    instance = (await client.get(f"/eureka/apps/HELLO/{ID}", headers=JSON)).json()["instance"]
    assert instance["status"] == "OUT_OF_SERVICE"
    # The instance's own heartbeat does not lift an operator's override.
    await client.put(f"/eureka/apps/HELLO/{ID}?status=UP")
    assert (await full(client))["apps__hashcode"] == "OUT_OF_SERVICE_1_"
    assert (await client.delete(f"/eureka/apps/HELLO/{ID}/status")).status_code == 200
    assert (await full(client))["apps__hashcode"] == "UP_1_"
    bad = await client.put(f"/eureka/apps/HELLO/{ID}/status?value=ASLEEP")
    assert bad.status_code == 400 and bad.json()["field"] == "value"
    missing = await client.put("/eureka/apps/HELLO/nobody/status?value=UP")
    assert missing.status_code == 404


async def test_metadata_update(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.put(f"/eureka/apps/HELLO/{ID}/metadata?zone=b&weight=3")
    assert response.status_code == 200
    instance = (await client.get(f"/eureka/instances/{ID}", headers=JSON)).json()["instance"]
    assert instance["metadata"]["zone"] == "b" and instance["metadata"]["weight"] == "3"
    assert (await client.put(f"/eureka/apps/HELLO/{ID}/metadata")).status_code == 400


async def test_delta_reports_changes_with_the_full_hashcode(client: httpx.AsyncClient) -> None:
    await register(client)
    await register(client, instanceId="second")
    await client.delete("/eureka/apps/HELLO/second")
    await client.put(f"/eureka/apps/HELLO/{ID}/status?value=OUT_OF_SERVICE")
    delta = (await client.get("/eureka/apps/delta", headers=JSON)).json()["applications"]
    actions = {i["instanceId"]: i["actionType"] for i in delta["application"][0]["instance"]}
    assert actions == {ID: "MODIFIED", "second": "DELETED"}
    assert delta["apps__hashcode"] == "OUT_OF_SERVICE_1_"


async def test_reads_answer_xml_unless_json_is_asked_for(client: httpx.AsyncClient) -> None:
    await register(client)
    response = await client.get("/eureka/apps/")
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "applications"
    assert root.findtext("application/instance/instanceId") == ID
    app = await client.get("/eureka/apps/hello")
    assert ElementTree.fromstring(app.content).findtext("name") == "HELLO"
    assert (await client.get("/eureka/apps/nothing")).status_code == 404


async def test_vips_and_instance_lookups(client: httpx.AsyncClient) -> None:
    await register(client)
    await register(client, instanceId="c1", app="CATALOG", vipAddress="catalog")
    vip = (await client.get("/eureka/vips/catalog", headers=JSON)).json()["applications"]
    assert [a["name"] for a in vip["application"]] == ["CATALOG"]
    assert (await client.get("/eureka/instances/c1", headers=JSON)).status_code == 200
    assert (await client.get("/eureka/instances/none", headers=JSON)).status_code == 404


async def test_replication_batch_applies_without_replicating(client: httpx.AsyncClient) -> None:
    body = {
        "replicationList": [
            {"appName": "HELLO", "id": ID, "action": "Register", "instanceInfo": wire_instance()},
            {"appName": "HELLO", "id": ID, "action": "Heartbeat", "lastDirtyTimestamp": 1},
            {"appName": "HELLO", "id": "ghost", "action": "Heartbeat"},
            {"appName": "HELLO", "id": ID, "action": "StatusUpdate", "status": "OUT_OF_SERVICE"},
            {"appName": "HELLO", "id": "ghost", "action": "Cancel"},
        ]
    }
    response = await client.post("/eureka/peerreplication/batch/", json=body, headers=REPLICATION)
    assert response.status_code == 200
    answers = response.json()["responseList"]
    assert [a["statusCode"] for a in answers] == [200, 409, 404, 200, 404]
    assert answers[1]["responseEntity"]["instanceId"] == ID
    assert (await full(client))["apps__hashcode"] == "OUT_OF_SERVICE_1_"
    bad = await client.post("/eureka/peerreplication/batch/", json={"replicationList": {}})
    assert bad.status_code == 400 and bad.json()["field"] == "replicationList"


async def test_prometheus_scrapes_an_instances_management_port(
    client: httpx.AsyncClient,
) -> None:
    # The gateway keeps /metrics off its public port (ADR 0017).
    metadata = {"zone": "a", "version": "v2", "management.port": "9181"}
    await register(client, metadata=metadata)
    await register(client, instanceId="odd", metadata={"management.port": "not-a-port"})
    targets = (await client.get("/prometheus/targets")).json()
    assert [t["targets"] for t in targets] == [["127.0.0.1:9181"], ["127.0.0.1:8080"]]


async def test_prometheus_targets_status_and_metrics(client: httpx.AsyncClient) -> None:
    await register(client)
    await register(client, instanceId="down", status="DOWN")
    targets = (await client.get("/prometheus/targets")).json()
    assert targets == [
        {
            "targets": ["127.0.0.1:8080"],
            "labels": {"service": "hello", "instance_id": ID, "zone": "a", "version": "v2"},
        }
    ]
    status = (await client.get("/eureka/status")).json()
    assert status["instances"] == 2 and status["byStatus"] == {"UP": 1, "DOWN": 1}
    assert status["selfPreservation"]["enabled"] is True
    assert status["selfPreservation"]["active"] is False
    metrics = (await client.get("/metrics")).text
    assert 'registry_instances{status="UP"} 1.0' in metrics
    assert "registry_self_preservation 0.0" in metrics
    assert "registry_registrations_total 2.0" in metrics
