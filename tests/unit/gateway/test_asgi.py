"""The same gateway as a plain ASGI app (what any ASGI server runs)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.unit.gateway.fakes import FakeUpstreams, response
from tests.unit.gateway.harness import gateway_config, make_app
from tests.unit.gateway.keys import jwks, make_key

KEY = make_key()


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> FakeUpstreams:
    return FakeUpstreams(monkeypatch)


def client(tmp_path: Path, **values: str) -> httpx.AsyncClient:
    config = gateway_config(
        tmp_path,
        gateway__routes="/api/open=svc;public,/api/svc=svc",
        gateway__auth__jwks=jwks(KEY),
        **values,
    )
    app, _ = make_app(config, 9001)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw.test")


async def test_proxies_and_names_the_caller(tmp_path: Path, fakes: FakeUpstreams) -> None:
    fakes.replies[9001] = [response(201, b'{"ok":true}', (b"content-type", b"application/json"))]
    async with client(tmp_path) as http:
        answer = await http.post(
            "/api/svc/things?x=1",
            content=b"payload",
            headers={"authorization": f"Bearer {KEY.token('acct-9')}", "x-account-id": "other"},
        )
    assert answer.status_code == 201 and answer.json() == {"ok": True}
    assert len(answer.headers["x-request-id"]) == 32
    ((_, sent),) = fakes.requests
    assert sent.startswith(b"POST /things?x=1 HTTP/1.1\r\n")
    assert b"x-account-id: acct-9" in sent and b"other" not in sent
    assert sent.endswith(b"\r\n\r\npayload")


async def test_refusals(tmp_path: Path, fakes: FakeUpstreams) -> None:
    async with client(
        tmp_path, gateway__max_header_bytes="300", gateway__max_body_bytes="4"
    ) as http:
        assert (await http.get("/api/svc/x")).status_code == 401
        assert (await http.get("/api/nope")).status_code == 404
        assert (await http.get("/api/open/x", headers={"x-big": "b" * 400})).status_code == 431
        assert (await http.post("/api/open/x", content=b"12345")).status_code == 413
    assert not fakes.requests


async def test_chassis_endpoints_go_to_the_chassis_app(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    async with client(tmp_path) as http:
        health = await http.get("/health")
    assert health.status_code == 200 and health.json()["service"] == "gateway"


async def test_chassis_endpoints_are_refused_from_outside_under_any_asgi_server(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    app, _ = make_app(gateway_config(tmp_path, gateway__routes="/api/open=svc;public"), 9001)
    outside = httpx.ASGITransport(app=app, client=("203.0.113.5", 4000))
    async with httpx.AsyncClient(transport=outside, base_url="http://gw.test") as http:
        metrics = await http.get("/metrics")
    assert metrics.status_code == 404
    assert metrics.json()["detail"] == "/metrics is served to gateway.internal_networks only"
    local = httpx.ASGITransport(app=app)  # 127.0.0.1, but sent on by a proxy
    async with httpx.AsyncClient(transport=local, base_url="http://gw.test") as http:
        proxied = await http.get("/health", headers={"x-forwarded-for": "203.0.113.5"})
    assert proxied.status_code == 404
