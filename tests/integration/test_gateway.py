"""A real gateway process in front of real upstream processes."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.gateway_processes import Answer, Process, Processes, request
from tests.support.wait import wait_until
from tests.unit.gateway.keys import SigningKey, jwks, make_key

pytestmark = pytest.mark.slow

KEY = make_key("RS256", kid="main")
HASHED_ASSET = "assets/app-Zx81kq9W.js"


class Setup:
    def __init__(self, processes: Processes, gateway: Process, victims: list[Process]) -> None:
        self.processes = processes
        self.gateway = gateway
        self.victims = victims

    def get(self, path: str, token: str | None = None, **headers: str) -> Answer:
        sent = {k.replace("_", "-"): v for k, v in headers.items()}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return request(self.gateway.port, path, headers=sent)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("gateway")
    web = folder / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>reelstack</title>")
    (web / HASHED_ASSET).write_text("console.log('app')")
    processes = Processes(folder)
    try:
        echo_a = processes.echo("echo-a")
        echo_b = processes.echo("echo-b")
        victims = [processes.echo("victim-1"), processes.echo("victim-2")]
        instances = ",".join(
            [
                f"echo@a=127.0.0.1:{echo_a.port}",
                f"echo@b=127.0.0.1:{echo_b.port}",
                *(f"victim@a=127.0.0.1:{v.port}" for v in victims),
            ]
        )
        gateway = processes.gateway(
            "main",
            GATEWAY_ROUTES=(
                "/api/echo=echo,/api/public=echo;public,/api/victim=victim;public,"
                "/api/upload=echo;public;max_body=4000000"
            ),
            GATEWAY_INSTANCES=instances,
            GATEWAY_AUTH_JWKS=jwks(KEY),
            GATEWAY_RATELIMIT_ACCOUNT_RPS="1",
            GATEWAY_RATELIMIT_ACCOUNT_BURST="3",
            GATEWAY_MAX_HEADER_BYTES="4096",
            GATEWAY_MAX_BODY_BYTES="65536",
            GATEWAY_DEBUG_HEADER="true",
            GATEWAY_STATIC_DIR=str(web),
        )
        yield Setup(processes, gateway, victims)
    finally:
        processes.close()


def upstream_headers(answer: Answer) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for name, value in answer.json()["headers"]:
        seen.setdefault(name, []).append(value)
    return seen


def passport(answer: Answer) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(answer.headers["x-reelstack-passport"])
    return document


def test_proxies_to_the_route_service_with_forwarding_headers(setup: Setup) -> None:
    answer = setup.get("/api/public/titles/7?page=2", X_Forwarded_For="6.6.6.6")
    assert answer.status == 200
    echoed = answer.json()
    assert (echoed["path"], echoed["query"]) == ("/titles/7", "page=2")
    headers = upstream_headers(answer)
    assert headers["x-forwarded-for"] == ["127.0.0.1"]
    assert headers["x-forwarded-proto"] == ["http"]
    assert headers["x-request-id"] == [answer.headers["x-request-id"]]


def test_unknown_route_is_404_json(setup: Setup) -> None:
    answer = setup.get("/api/nowhere")
    assert answer.status == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] == "NotFound"


def test_missing_expired_and_forged_tokens_are_401(setup: Setup) -> None:
    forger = make_key("RS256", kid="main")  # the right key id, the wrong key
    cases: dict[str, str | None] = {
        "missing": None,
        "expired": KEY.token("acct-401", ttl_s=-120),
        "forged": forger.token("acct-401"),
    }
    for name, token in cases.items():
        answer = setup.get("/api/echo/x", token)
        assert answer.status == 401, name
        assert answer.headers["www-authenticate"].startswith('Bearer realm="reelstack"'), name
    assert "invalid_token" in setup.get("/api/echo/x", cases["forged"]).headers["www-authenticate"]


def test_a_token_for_account_a_never_reaches_b(setup: Setup) -> None:
    token = KEY.token("account-a", profile="profile-a1", maturity="adults")
    answer = setup.get(
        "/api/echo/history", token, X_Account_Id="account-b", X_Profile_Id="profile-b1"
    )
    assert answer.status == 200
    headers = upstream_headers(answer)
    assert headers["x-account-id"] == ["account-a"]
    assert headers["x-profile-id"] == ["profile-a1"]
    assert "authorization" not in headers
    assert "account-b" not in answer.body.decode()


def test_forged_identity_headers_are_stripped_on_public_routes(setup: Setup) -> None:
    answer = setup.get("/api/public/x", X_Account_Id="account-b", X_Profile_Id="p")
    headers = upstream_headers(answer)
    assert "x-account-id" not in headers and "x-profile-id" not in headers


def test_rate_limit_per_account_is_429_with_retry_after(setup: Setup) -> None:
    token = KEY.token("account-busy")
    statuses = [setup.get("/api/echo/x", token).status for _ in range(3)]
    assert statuses == [200, 200, 200]  # the burst
    limited = setup.get("/api/echo/x", token)
    assert limited.status == 429
    assert limited.headers["retry-after"] == "1"
    assert setup.get("/api/echo/x", KEY.token("account-calm")).status == 200


def test_oversized_headers_are_431(setup: Setup) -> None:
    assert setup.get("/api/public/x", X_Big="b" * 5000).status == 431


def test_oversized_bodies_are_413_declared_or_streamed(setup: Setup) -> None:
    port = setup.gateway.port
    declared = request(port, "/api/public/x", method="POST", body=b"x" * 70_000)
    assert declared.status == 413
    chunks = (b"y" * 10_000 for _ in range(10))
    streamed = request(port, "/api/public/x", method="POST", body=chunks, chunked=True)
    assert streamed.status == 413


def test_large_bodies_stream_both_ways(setup: Setup) -> None:
    port = setup.gateway.port
    upload = os.urandom(3_000_000)
    answer = request(port, "/api/upload/x", method="PUT", body=upload)
    assert answer.status == 200
    assert answer.json()["body_bytes"] == len(upload)
    assert answer.json()["body_sha256"] == hashlib.sha256(upload).hexdigest()
    download = request(port, "/api/public/segment?bytes=5000000")
    assert download.status == 200 and len(download.body) == 5_000_000


def test_a_killed_instance_gets_no_traffic_after_its_first_failed_connection(
    setup: Setup,
) -> None:
    victim = setup.victims[0]
    for _ in range(4):  # both instances answer (and leave pooled connections)
        assert setup.get("/api/victim/x").status == 200
    victim.kill()
    victim_id = f"victim-a-{victim.port}"
    attempts_at_victim: list[str] = []
    for _ in range(10):
        answer = setup.get("/api/victim/x", X_Reelstack_Debug="1")
        assert answer.status == 200  # retried on the survivor: the client never sees it
        assert answer.json()["instance"] == "victim-2"
        for attempt in passport(answer)["attempts"]:
            if attempt["instance"] == victim_id:
                assert "connect_error" not in attempts_at_victim  # skipped after one
                attempts_at_victim.append(attempt["outcome"])
    assert "connect_error" in attempts_at_victim
    assert set(attempts_at_victim) <= {"connect_error", "reset"}


def test_static_web_app(setup: Setup) -> None:
    index = setup.get("/")
    assert index.status == 200 and b"<title>reelstack</title>" in index.body
    assert index.headers["cache-control"] == "no-cache"
    route = setup.get("/browse/my-list")
    assert route.body == index.body  # a client-side route gets the app
    asset = setup.get("/" + HASHED_ASSET)
    assert asset.status == 200 and "immutable" in asset.headers["cache-control"]
    assert setup.get("/assets/missing-Aa00000000.js").status == 404


def test_fault_header_is_ignored_when_not_enabled(setup: Setup) -> None:
    answer = setup.get("/api/public/x", X_Reelstack_Fault="abort=503")
    assert answer.status == 200
    assert "x-reelstack-fault" not in upstream_headers(answer)


def test_chassis_endpoints_and_route_metrics(setup: Setup) -> None:
    assert setup.get("/health").json()["service"] == "gateway"
    assert setup.get("/ready").status == 200
    metrics = setup.get("/metrics").body.decode()
    assert 'http_requests_total{method="GET",route="/api/public",status="200"}' in metrics
    assert 'gateway_upstream_attempts_total{outcome="ok",route="/api/echo"}' in metrics
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/echo"}' in (
        metrics
    )


def test_the_passport_is_logged_one_line_per_request(setup: Setup) -> None:
    answer = setup.get("/api/public/logged")
    request_id = answer.headers["x-request-id"]

    def logged() -> dict[str, Any] | None:
        for line in setup.gateway.output().splitlines():
            if request_id in line and '"reelstack.access"' in line:
                found: dict[str, Any] = json.loads(line)
                return found
        return None

    line = wait_until(logged, "the passport line")
    assert line["route"] == "/api/public" and line["status"] == 200
    assert line["passport"][0][0] == "route"
    assert line["attempts"][0]["outcome"] == "ok"


def test_runs_as_a_plain_asgi_app_too(setup: Setup, tmp_path: Path) -> None:
    """Under a plain ASGI server (uvicorn's own protocol): the same gateway, slower."""
    key: SigningKey = KEY
    echo = setup.processes.echo("asgi-echo")
    gateway = setup.processes.gateway(
        "asgi",
        asgi=True,
        GATEWAY_ROUTES="/api/echo=echo",
        GATEWAY_INSTANCES=f"echo=127.0.0.1:{echo.port}",
        GATEWAY_AUTH_JWKS=jwks(key),
    )
    token = key.token("account-asgi")
    ok = request(gateway.port, "/api/echo/x", headers={"Authorization": f"Bearer {token}"})
    assert ok.status == 200
    assert upstream_headers(ok)["x-account-id"] == ["account-asgi"]
    assert request(gateway.port, "/api/echo/x").status == 401
    assert request(gateway.port, "/health").status == 200
