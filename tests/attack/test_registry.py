"""Attacks on discovery and token trust (issue 11 point 2), against the running cluster.

Whoever can write to the registry takes a service's traffic; whoever chooses
the gateway's keys signs in as anyone. Each attack runs while the
well-behaved client signs in and browses, which it can only do while the
real identity is the one discovered and its keys the ones trusted.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from reelstack import registry_credentials, settings
from tests.attack.client import WellBehaved, assert_served, sign_in
from tests.attack.conftest import Accounts, Home
from tests.attack.signals import counter, wait_logged

pytestmark = [pytest.mark.attack, pytest.mark.slow]

IMPOSTOR = "identity-impostor-1"


def _registry(home: Home) -> str:
    return f"http://127.0.0.1:{home.cluster.by_id()['registry-a-1']['port']}"


def _basic(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _credential(home: Home, service: str) -> dict[str, str]:
    """The registry credential the cluster gives ``service`` (a compromised service holds it)."""
    config = settings.load(environ={**home.cluster.env, "REELSTACK_HOME": str(home.cluster.home)})
    key = registry_credentials.cluster_key(config)
    return _basic(service, registry_credentials.credential(key, service))


def _impostor(port: int) -> dict[str, Any]:
    return {
        "instance": {
            "instanceId": IMPOSTOR,
            "app": "IDENTITY",
            "hostName": "127.0.0.1",
            "ipAddr": "127.0.0.1",
            "status": "UP",
            "port": {"$": port, "@enabled": "true"},
            "dataCenterInfo": {
                "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                "name": "MyOwn",
            },
        }
    }


def _identity_instances(registry: str) -> dict[str, str]:
    answer = httpx.get(
        f"{registry}/eureka/apps/IDENTITY", headers={"Accept": "application/json"}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    instances = answer.json()["application"]["instance"]
    return {i["instanceId"]: i["status"] for i in instances}


def test_registry_writes_as_another_service_are_refused(home: Home, good: WellBehaved) -> None:
    registry = _registry(home)
    own = f"{registry}/eureka/apps/IDENTITY/identity-a-1"
    forged = _basic(
        "identity", registry_credentials.credential(b"not the cluster secret", "identity")
    )
    before = {
        reason: counter(registry, "registry_write_refusals_total", reason=reason)
        for reason in ("missing", "invalid", "other_service")
    }
    with good.beside() as seen:
        attempts = {
            "register, no credential": httpx.post(
                f"{registry}/eureka/apps/IDENTITY", json=_impostor(9), timeout=60
            ),
            "register, a guessed credential": httpx.post(
                f"{registry}/eureka/apps/IDENTITY", json=_impostor(9), headers=forged, timeout=60
            ),
            "register as identity with media's credential": httpx.post(
                f"{registry}/eureka/apps/IDENTITY",
                json=_impostor(9),
                headers=_credential(home, "media"),
                timeout=60,
            ),
            "override identity's status": httpx.put(
                f"{own}/status",
                params={"value": "OUT_OF_SERVICE"},
                headers=_credential(home, "media"),
                timeout=60,
            ),
            "cancel identity, no credential": httpx.delete(own, timeout=60),
            "cancel identity with media's credential": httpx.delete(
                own, headers=_credential(home, "media"), timeout=60
            ),
        }
    statuses = {what: answer.status_code for what, answer in attempts.items()}
    assert statuses == {
        "register, no credential": 401,
        "register, a guessed credential": 401,
        "register as identity with media's credential": 403,
        "override identity's status": 403,
        "cancel identity, no credential": 401,
        "cancel identity with media's credential": 403,
    }
    assert (
        "media may not write the instances of identity"
        in attempts["register as identity with media's credential"].text
    )
    assert attempts["register, no credential"].headers["www-authenticate"].startswith("Basic")
    # Nothing changed: the real identity alone, still up, and still serving sign-ins.
    assert _identity_instances(registry) == {"identity-a-1": "UP"}
    # The operator sees each refusal, by reason, and the log line naming the write.
    after = {
        reason: counter(registry, "registry_write_refusals_total", reason=reason)
        for reason in before
    }
    assert {reason: after[reason] - before[reason] for reason in before} == {
        "missing": 2,
        "invalid": 1,
        "other_service": 3,
    }
    wait_logged(
        home.cluster.home,
        "registry-a-1",
        "reelstack.registry.guard",
        "registry write refused (other_service): DELETE /eureka/apps/IDENTITY/identity-a-1",
    )
    assert_served(seen)


def test_a_fake_peers_replication_batch_is_refused(home: Home, good: WellBehaved) -> None:
    registry = _registry(home)
    batch = {
        "replicationList": [
            {
                "appName": "IDENTITY",
                "id": IMPOSTOR,
                "action": "Register",
                "lastDirtyTimestamp": int(time.time() * 1000),
                "instanceInfo": _impostor(9)["instance"],
            }
        ]
    }
    url = f"{registry}/eureka/peerreplication/batch"
    before = counter(registry, "registry_write_refusals_total")
    with good.beside() as seen:
        anonymous = httpx.post(url, json=batch, timeout=60)
        as_media = httpx.post(url, json=batch, headers=_credential(home, "media"), timeout=60)
        as_identity = httpx.post(url, json=batch, headers=_credential(home, "identity"), timeout=60)
    assert (anonymous.status_code, as_media.status_code, as_identity.status_code) == (
        401,
        403,
        403,
    )
    assert _identity_instances(registry) == {"identity-a-1": "UP"}
    assert counter(registry, "registry_write_refusals_total") - before == 3
    wait_logged(
        home.cluster.home,
        "registry-a-1",
        "reelstack.registry.guard",
        "POST /eureka/peerreplication/batch",
    )
    assert_served(seen)


# -- tokens ---------------------------------------------------------------------------


def _identity_key(home: Home) -> tuple[str, Ed25519PrivateKey]:
    """Identity's current signing key, read from its store: a leaked key, for the attacks."""
    with sqlite3.connect(home.cluster.home / "data" / "sql.db") as db:
        kid, pem = db.execute(
            "SELECT kid, private_pem FROM identity_signing_keys WHERE retired_at IS NULL"
            " ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    key = load_pem_private_key(pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return kid, key


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def _forge(home: Home, real: str, case: str) -> str:
    """A token like ``real`` (the viewer's), changed as ``case`` says, and signed."""
    kid, key = _identity_key(home)
    claims = _claims(real)
    now = int(time.time())
    claims.update(iat=now, nbf=now, exp=now + 600)
    if case == "impostor's key":
        # An impostor that registered as identity publishes its own keys; it
        # even reuses identity's key id.
        key = Ed25519PrivateKey.generate()
    elif case == "another issuer":
        claims["iss"] = "https://idp.evil.example"
    elif case == "another audience":
        claims["aud"] = "some-other-api"
    elif case == "a 30-day token":
        claims["exp"] = now + 30 * 86_400
    elif case != "control":
        raise ValueError(case)
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("impostor's key", "signature is not valid"),
        ("another issuer", "another issuer"),
        ("another audience", "another audience"),
        ("a 30-day token", "lives longer than"),
    ],
)
def test_tokens_the_gateway_must_not_trust_are_refused(
    home: Home, accounts: Accounts, good: WellBehaved, case: str, reason: str
) -> None:
    with httpx.Client(base_url=home.gateway, timeout=60) as client:
        real = sign_in(client, accounts.viewer)

        def me(token: str) -> httpx.Response:
            return client.get(
                "/api/identity/accounts/me", headers={"Authorization": f"Bearer {token}"}
            )

        # The forging works: the same claims, signed with identity's key, are accepted.
        assert me(_forge(home, real, "control")).status_code == 200
        before = counter(home.gateway, "gateway_auth_failures_total")
        with good.beside() as seen:
            refused = me(_forge(home, real, case))
    assert refused.status_code == 401, refused.text
    assert reason in refused.headers["www-authenticate"].lower(), refused.headers
    assert counter(home.gateway, "gateway_auth_failures_total") - before == 1
    assert_served(seen)
