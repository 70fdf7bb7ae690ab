"""A viewer and a studio through the gateway of a running cluster: sign up, sign in,
a studio account uploads while a viewer's token is refused, sign out everywhere."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Cluster
from tests.support.wait import wait_until

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"


def _gateway(cluster: Cluster) -> str:
    gateway = cluster.by_id()["gateway-a-1"]
    return f"http://127.0.0.1:{gateway['port']}"


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def _sign_in(client: httpx.Client, email: str) -> dict[str, Any]:
    answer = client.post("/api/identity/sessions", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


def _create_upload(client: httpx.Client, token: str) -> httpx.Response:
    return client.post(
        "/api/media/uploads",
        headers={
            "Authorization": f"Bearer {token}",
            "Tus-Resumable": "1.0.0",
            "Upload-Length": "1000",
            "Upload-Metadata": "filename " + base64.b64encode(b"clip.mp4").decode(),
        },
    )


def test_a_studio_account_uploads_while_a_viewer_cannot(new_cluster: Cluster) -> None:
    cluster = new_cluster
    cluster.ok("up", "--timeout", "180")
    cluster.wait_all_up(within_s=180)
    with httpx.Client(base_url=_gateway(cluster), timeout=30) as client:

        def signed_up(email: str) -> bool:
            answer = client.post(
                "/api/identity/accounts", json={"email": email, "password": PASSWORD}
            )
            assert answer.status_code in (201, 503), answer.text  # 503: not routed yet
            return answer.status_code == 201

        wait_until(lambda: signed_up("viewer@example.com"), "sign-up through the gateway")
        assert signed_up("studio@example.com")
        # The operator makes one account a studio, from the CLI.
        cluster.ok("users", "set-role", "studio@example.com", "studio")

        viewer = _sign_in(client, "viewer@example.com")
        studio = _sign_in(client, "studio@example.com")
        assert _claims(viewer["access_token"])["roles"] == ["viewer"]
        assert "studio" in _claims(studio["access_token"])["roles"]

        # The gateway verifies tokens with the keys identity publishes, found
        # through the registry; until it has fetched them, a token is 401.
        me = wait_until(
            lambda: client.get(
                "/api/identity/accounts/me",
                headers={"Authorization": f"Bearer {viewer['access_token']}"},
            ),
            "the gateway accepting identity's tokens",
            done=lambda answer: answer.status_code == 200,
        )
        assert me.json()["email"] == "viewer@example.com"

        refused = _create_upload(client, viewer["access_token"])
        assert refused.status_code == 403, refused.text
        assert "studio" in refused.json()["detail"]
        allowed = _create_upload(client, studio["access_token"])
        assert allowed.status_code == 201, allowed.text
        assert allowed.headers["Location"]

        # Signing out everywhere ends every session of the account: its
        # refresh tokens are spent.
        out = client.delete(
            "/api/identity/sessions", headers={"Authorization": f"Bearer {viewer['access_token']}"}
        )
        assert out.status_code == 204, out.text
        again = client.post(
            "/api/identity/sessions/refresh", json={"refresh_token": viewer["refresh_token"]}
        )
        assert again.status_code == 401
