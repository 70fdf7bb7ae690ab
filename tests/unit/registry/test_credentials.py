"""Attacks on the registry's writes: each is refused with 401/403, a log line and a metric."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelstack import settings
from reelstack.config import Config
from reelstack.registry.app import create_app
from reelstack.registry_credentials import (
    PEER,
    CredentialChecker,
    CredentialError,
    authorization,
    cluster_key,
    credential,
    own_authorization,
)
from tests.unit.registry.conftest import wire_instance

JSON = {"Accept": "application/json"}
ID = "127.0.0.1:identity:8080"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config.load(
        settings.REGISTRY,
        environ={
            "REELSTACK_HOME": str(tmp_path),
            "REELSTACK_SERVICE_NAME": "registry",
            "REELSTACK_SERVICE_PORT": "18761",
            "REELSTACK_LOGGING_ACCESS": "false",
        },
    )


@pytest.fixture
async def client(config: Config) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(config, poll_properties=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as c:
            yield c


def as_service(config: Config, service: str) -> dict[str, str]:
    return {"Authorization": authorization(cluster_key(config), service)}


def identity_body() -> dict[str, Any]:
    return {
        "instance": wire_instance(
            instanceId=ID, app="IDENTITY", vipAddress="identity", secureVipAddress="identity"
        )
    }


async def identity_instances(client: httpx.AsyncClient) -> list[Any]:
    response = await client.get("/eureka/apps", headers=JSON)
    apps = response.json()["applications"]["application"]
    return [i for app in apps if app["name"] == "IDENTITY" for i in app["instance"]]


async def refusals(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    found = {}
    for line in text.splitlines():
        if line.startswith("registry_write_refusals_total{"):
            reason = line.split('reason="')[1].split('"')[0]
            found[reason] = float(line.rsplit(" ", 1)[1])
    return found


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ({}, 401, "missing"),
        ({"Authorization": "Bearer x"}, 401, "malformed"),
        ({"Authorization": "Basic " + base64.b64encode(b"identity:00").decode()}, 401, "invalid"),
    ],
)
async def test_registering_as_identity_without_its_credential_is_refused(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    status: int,
    reason: str,
) -> None:
    with caplog.at_level(logging.WARNING, "reelstack.registry.guard"):
        response = await client.post("/eureka/apps/IDENTITY", json=identity_body(), headers=headers)
    assert response.status_code == status
    assert response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Basic")
    assert await identity_instances(client) == []
    assert f"registry write refused ({reason})" in caplog.text
    assert (await refusals(client))[reason] == 1


async def test_another_services_credential_cannot_register_as_identity(
    client: httpx.AsyncClient, config: Config
) -> None:
    response = await client.post(
        "/eureka/apps/IDENTITY", json=identity_body(), headers=as_service(config, "media")
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "media may not write the instances of identity"
    assert await identity_instances(client) == []
    assert (await refusals(client))["other_service"] == 1


async def test_a_credential_made_with_another_secret_is_refused(client: httpx.AsyncClient) -> None:
    forged = {"Authorization": authorization(b"not-the-cluster-secret!", "identity")}
    response = await client.post("/eureka/apps/IDENTITY", json=identity_body(), headers=forged)
    assert response.status_code == 401
    assert response.json()["detail"] == "the credential is not identity's"


async def test_a_service_registers_renews_and_cancels_itself(
    client: httpx.AsyncClient, config: Config
) -> None:
    own = as_service(config, "identity")
    assert (
        await client.post("/eureka/apps/IDENTITY", json=identity_body(), headers=own)
    ).status_code == 204
    assert (await client.put(f"/eureka/apps/IDENTITY/{ID}", headers=own)).status_code == 200
    assert len(await identity_instances(client)) == 1
    assert (await client.delete(f"/eureka/apps/IDENTITY/{ID}", headers=own)).status_code == 200
    assert await identity_instances(client) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", f"/eureka/apps/IDENTITY/{ID}"),
        ("DELETE", f"/eureka/apps/IDENTITY/{ID}"),
        ("PUT", f"/eureka/apps/IDENTITY/{ID}/status?value=OUT_OF_SERVICE"),
        ("DELETE", f"/eureka/apps/IDENTITY/{ID}/status"),
        ("PUT", f"/eureka/apps/IDENTITY/{ID}/metadata?zone=evil"),
    ],
)
async def test_another_service_cannot_touch_identitys_instance(
    client: httpx.AsyncClient, config: Config, method: str, path: str
) -> None:
    own = as_service(config, "identity")
    await client.post("/eureka/apps/IDENTITY", json=identity_body(), headers=own)
    for headers, status in ((as_service(config, "media"), 403), ({}, 401)):
        response = await client.request(method, path, headers=headers)
        assert response.status_code == status, response.text
    (instance,) = await identity_instances(client)
    assert instance["status"] == "UP"
    assert instance["metadata"]["zone"] == "a"


async def test_a_fake_peer_cannot_replicate(client: httpx.AsyncClient, config: Config) -> None:
    batch = {
        "replicationList": [
            {
                "appName": "IDENTITY",
                "id": ID,
                "action": "Register",
                "instanceInfo": identity_body()["instance"],
            }
        ]
    }
    for headers, status in (({}, 401), (as_service(config, "identity"), 403)):
        response = await client.post("/eureka/peerreplication/batch/", json=batch, headers=headers)
        assert response.status_code == status
    assert await identity_instances(client) == []
    assert (await refusals(client))["not_peer"] == 1
    peer = as_service(config, PEER)
    answer = await client.post("/eureka/peerreplication/batch/", json=batch, headers=peer)
    assert answer.json()["responseList"][0]["statusCode"] in (200, 204)
    assert len(await identity_instances(client)) == 1


async def test_a_service_cannot_claim_its_write_is_a_peers_replication(
    client: httpx.AsyncClient, config: Config
) -> None:
    own = as_service(config, "identity") | {"x-netflix-discovery-replication": "true"}
    # A stale heartbeat with the replication flag answers 409 to a peer only;
    # from the service itself it is an ordinary heartbeat.
    await client.post("/eureka/apps/IDENTITY", json=identity_body(), headers=own)
    stale = await client.put(f"/eureka/apps/IDENTITY/{ID}?lastDirtyTimestamp=1", headers=own)
    assert stale.status_code == 200


async def test_reads_stay_open(client: httpx.AsyncClient) -> None:
    assert (await client.get("/eureka/apps", headers=JSON)).status_code == 200
    assert (await client.get("/eureka/apps/delta", headers=JSON)).status_code == 200


def test_credentials_are_bound_to_a_name() -> None:
    checker = CredentialChecker(b"k" * 32)
    assert checker.check_app(authorization(b"k" * 32, "media"), "MEDIA") == "media"
    with pytest.raises(CredentialError) as refused:
        checker.check_app(authorization(b"k" * 32, "media"), "identity")
    assert refused.value.status == 403


def test_the_cluster_secret_is_made_once_private_and_never_printed(config: Config) -> None:
    key = cluster_key(config)
    path = Path(config.get(settings.HOME)) / "secrets" / "cluster_secret"
    assert path.read_bytes().strip() == key
    assert path.stat().st_mode & 0o777 == 0o600
    assert cluster_key(config) == key
    configured = Config.load(
        settings.REGISTRY, environ={"REELSTACK_CLUSTER_SECRET": "s" * 20, "REELSTACK_HOME": "/x"}
    )
    assert "s" * 20 not in repr(configured.get(settings.CLUSTER_SECRET))
    assert cluster_key(configured) == b"s" * 20


def test_a_service_given_only_its_credential_needs_no_secret(tmp_path: Path) -> None:
    key = b"c" * 32
    given = Config.load(
        settings.REGISTRY,
        environ={
            "REELSTACK_HOME": str(tmp_path),
            "REELSTACK_EUREKA_CREDENTIAL": credential(key, "media"),
        },
    )
    header = own_authorization(given, "media")
    assert CredentialChecker(key).check_app(header, "media") == "media"
    assert not (tmp_path / "secrets").exists()  # no secret was made or read
