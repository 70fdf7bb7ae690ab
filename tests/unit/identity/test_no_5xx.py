"""Every identity route, fed malformed input with and without a caller, answers below 500."""

from __future__ import annotations

import httpx
from fastapi.routing import APIRoute

from tests.unit.identity.conftest import sign_up_and_in

BODIES: list[object] = [
    None,
    {},
    [],
    "text",
    0,
    {"email": 1, "password": None},
    {"email": "a@b.co", "password": ["x"]},
    {"refresh_token": "", "profile_id": "", "pin": ""},
    {"refresh_token": "x", "profile_id": "\u0000", "pin": "0000"},
    {"name": {"nested": [1, 2, 3]}, "kids": "maybe", "maturity": None},
    {"plan": None},
    {"a": "b" * 100_000},
]
IDS = ["0", "\u00e9" * 10, "..%2F..", "f" * 64]


async def test_malformed_requests_never_get_a_5xx(client: httpx.AsyncClient) -> None:
    ann = await sign_up_and_in(client, "ann@example.com")
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    routes = [r for r in transport.app.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    assert any(r.path == "/identity/profiles/{profile_id}" for r in routes)
    failures: list[str] = []
    for route in routes:
        for method in route.methods:
            for raw_id in IDS if "{profile_id}" in route.path else [""]:
                path = route.path.replace("{profile_id}", raw_id)
                for headers in ({}, {"x-account-id": ann["account"]}, {"x-account-id": "nobody"}):
                    for body in BODIES:
                        response = await client.request(method, path, json=body, headers=headers)
                        if response.status_code >= 500:
                            failures.append(f"{method} {path} {headers} {body!r:.60}")
    assert failures == []
