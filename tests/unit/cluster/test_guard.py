"""Attacks on the control API: what a web page, a rebound name or a tokenless caller gets."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.unit.cluster.conftest import TOKEN, Api


def _port(api: Api) -> int:
    port = api.client.server.port
    assert port is not None
    return port


async def _refused(api: Api, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    response = await api.client.request(method, path, **kwargs)
    return response.status, await response.json()


def _refusals(text: str) -> dict[str, float]:
    counts = {}
    for line in text.splitlines():
        if line.startswith("reelstack_control_refused_total{"):
            labels, value = line.rsplit(" ", 1)
            counts[labels.split('"')[1]] = float(value)
    return counts


async def test_a_web_pages_text_plain_post_is_refused_and_kills_nothing(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    # What <form enctype="text/plain"> or fetch(..., {mode: "no-cors"}) sends: no preflight.
    pid = api.supervisor.get("hello-a-1").view()["pid"]
    with caplog.at_level(logging.WARNING, "reelstack.cluster.guard"):
        status, body = await _refused(
            api,
            "POST",
            "/instances/hello-a-1/kill",
            data=b'{"x": 1}',
            headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
        )
    assert (status, body["refused"]) == (403, "browser")
    assert "Origin" in body["detail"]
    assert api.supervisor.get("hello-a-1").view()["pid"] == pid
    assert any("refused POST /instances/hello-a-1/kill" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1:7070"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-origin"},
    ],
)
async def test_any_browser_request_is_refused_even_with_the_token(
    api: Api, headers: dict[str, str]
) -> None:
    status, body = await _refused(api, "POST", "/shutdown", headers={**api.auth, **headers})
    assert (status, body["refused"], api.shutdowns) == (403, "browser", 0)


@pytest.mark.parametrize(
    "host",
    ["attacker.example:{port}", "127.0.0.1.nip.io:{port}", "127.0.0.1:1", "localhost", ""],
)
async def test_a_foreign_host_is_refused(api: Api, host: str) -> None:
    # DNS rebinding: the page's own name now resolves to 127.0.0.1, so the
    # browser connects here but still names the attacker's host.
    headers = {**api.auth, "Host": host.format(port=_port(api))}
    status, body = await _refused(api, "GET", "/instances", headers=headers)
    assert (status, body["refused"]) == (403, "host")
    assert f"127.0.0.1:{_port(api)}" in body["detail"]


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LOCALHOST"])
async def test_both_local_names_with_the_port_are_accepted(api: Api, name: str) -> None:
    headers = {**api.auth, "Host": f"{name}:{_port(api)}"}
    response = await api.client.get("/instances", headers=headers)
    assert response.status == 200


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "token_missing"),
        ("Bearer", "token_missing"),
        (f"Basic {TOKEN}", "token_missing"),
        ("Bearer wrong", "token_wrong"),
        (f"Bearer {TOKEN}x", "token_wrong"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/instances"),
        ("POST", "/instances/hello-a-1/kill"),
        ("POST", "/shutdown"),
        ("GET", "/prometheus/targets"),
        ("GET", "/metrics"),
        ("GET", "/nothing-here"),
    ],
)
async def test_no_token_or_a_wrong_one_is_refused(
    api: Api, authorization: str | None, reason: str, method: str, path: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await api.client.request(method, path, headers=headers)
    body = await response.json()
    assert (response.status, body["refused"], api.shutdowns) == (401, reason, 0)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "control.token" in body["detail"]


@pytest.mark.parametrize(
    "headers",
    [{"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"}, {}],
)
async def test_a_body_that_is_not_declared_json_is_415(api: Api, headers: dict[str, str]) -> None:
    status, body = await _refused(
        api,
        "POST",
        "/services/hello/scale",
        data=b'{"count": 5}',
        headers={**api.auth, **headers},
    )
    assert (status, body["refused"]) == (415, "content_type")
    assert len(api.supervisor.views()) == 2


async def test_an_oversized_body_is_413_naming_the_limit(api: Api) -> None:
    status, body = await _refused(
        api,
        "POST",
        "/services/hello/scale",
        data=b'{"count": 1, "pad": "' + b"x" * 70_000 + b'"}',
        headers={**api.auth, "Content-Type": "application/json"},
    )
    assert (status, body["refused"]) == (413, "body_too_large")
    assert "65536" in body["detail"]


async def test_every_refusal_is_counted_by_reason(api: Api) -> None:
    await api.client.get("/instances")
    await api.client.get("/instances", headers={"Origin": "https://evil.example"})
    await api.client.get("/instances", headers={"Authorization": "Bearer wrong"})
    response = await api.client.get("/metrics", headers=api.auth)
    assert response.status == 200
    counts = _refusals(await response.text())
    assert counts["token_missing"] == 1
    assert counts["browser"] == 1
    assert counts["token_wrong"] == 1
    assert counts["host"] == counts["content_type"] == 0
