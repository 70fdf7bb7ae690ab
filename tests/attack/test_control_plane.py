"""Attacks on the supervisor's control API (issue 11 point 4) of the running cluster.

A web page the operator opens, DNS rebinding, and other local users all reach
127.0.0.1. Each attack aims at the most damaging call (kill the gateway); the
gateway must keep its process and the operator's CLI must keep working.
"""

from __future__ import annotations

import http.client
import json

import pytest

from tests.attack.client import WellBehaved, assert_served
from tests.attack.conftest import Home
from tests.attack.signals import counter, wait_logged

pytestmark = [pytest.mark.attack, pytest.mark.slow]

KILL = "/instances/gateway-a-1/kill"


def _raw(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str]]:
    """Send exactly these headers (no client adds its own Host or content type)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        answer = connection.getresponse()
        payload: dict[str, str] = json.loads(answer.read() or b"{}")
        return answer.status, payload
    finally:
        connection.close()


def test_the_control_api_refuses_browsers_foreign_hosts_and_strangers(
    home: Home, good: WellBehaved
) -> None:
    cluster = home.cluster
    port = int(cluster.supervisor()["control_port"])
    token = (cluster.home / "cluster" / "control.token").read_text().strip()
    host = f"127.0.0.1:{port}"
    bearer = f"Bearer {token}"
    gateway_pid = cluster.by_id()["gateway-a-1"]["pid"]
    attacks = {
        # A page's form post (text/plain needs no preflight), even holding the token.
        "browser": (
            "POST",
            {
                "Host": host,
                "Origin": "https://evil.example",
                "Content-Type": "text/plain",
                "Authorization": bearer,
            },
        ),
        # DNS rebinding: the page's own name, now resolving to 127.0.0.1.
        "host": (
            "POST",
            {
                "Host": f"evil.example:{port}",
                "Authorization": bearer,
                "Content-Type": "application/json",
            },
        ),
        # Another local user, without the token file.
        "token_missing": ("POST", {"Host": host, "Content-Type": "application/json"}),
        "token_wrong": (
            "POST",
            {
                "Host": host,
                "Authorization": "Bearer " + "0" * 43,
                "Content-Type": "application/json",
            },
        ),
        # JSON in a body declared as something else.
        "content_type": (
            "POST",
            {"Host": host, "Authorization": bearer, "Content-Type": "text/plain"},
        ),
    }
    base = f"http://{host}"

    def refusals() -> dict[str, float]:
        return {
            reason: counter(
                base, "reelstack_control_refused_total", {"Authorization": bearer}, reason=reason
            )
            for reason in attacks
        }

    before = refusals()
    with good.beside() as seen:
        answers = {
            reason: _raw(port, method, KILL, headers, b'{"signal": "KILL"}')
            for reason, (method, headers) in attacks.items()
        }
    refused = {reason: (status, body.get("refused")) for reason, (status, body) in answers.items()}
    assert refused == {
        "browser": (403, "browser"),
        "host": (403, "host"),
        "token_missing": (401, "token_missing"),
        "token_wrong": (401, "token_wrong"),
        "content_type": (415, "content_type"),
    }
    after = refusals()
    assert {reason: after[reason] - before[reason] for reason in attacks} == dict.fromkeys(
        attacks, 1
    )
    wait_logged(
        cluster.home, "supervisor", "reelstack.cluster.guard", f"control API refused POST {KILL}"
    )
    # Nothing was killed, and the operator's CLI still drives the supervisor.
    assert cluster.by_id()["gateway-a-1"]["pid"] == gateway_pid
    status = {row["instance"]: row["state"] for row in cluster.status()}
    assert status["gateway-a-1"] == "up", status
    assert_served(seen)
