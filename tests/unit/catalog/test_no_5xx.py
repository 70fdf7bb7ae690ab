"""Every catalog route, fed malformed input with and without a caller, answers below 500."""

from __future__ import annotations

import re

import httpx
from fastapi.routing import APIRoute

from reelstack.catalog.context import CatalogContext
from tests.unit.catalog.conftest import ADULT, KIDS, STUDIO, fill, viewer

BODIES: list[object] = [
    None,
    {},
    [],
    "text",
    {"value": None},
    {"value": "up"},
    {"name": {"nested": [1]}, "genres": "x", "maturity_rating": 7},
    {"regions": ["US", None]},
    {"cast": [{"name": "", "role": None}]},
    {"poster_key": "/" * 2000},
    {"a": "b" * 100_000},
]
IDS = ["ep1", "adultfilm", "0", "\u00e9" * 10, "..%2F..", "f" * 64, "prof1"]
HEADERS = [
    {},
    ADULT,
    KIDS,
    STUDIO,
    {**viewer(), "x-maturity": "\u0000"},
    {**viewer(), "x-region": "ZZZZZZZ"},
    {**STUDIO, **viewer(profile="kid1")},
]
_PARAM = re.compile(r"\{[a-z_]+\}")


async def test_malformed_requests_never_get_a_5xx(
    client: httpx.AsyncClient, ctx: CatalogContext
) -> None:
    await fill(ctx)
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    routes = [r for r in transport.app.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    assert any(r.path == "/catalog/profiles/{profile_id}/my-list/{title_id}" for r in routes)
    failures: list[str] = []
    for route in routes:
        if not route.path.startswith("/catalog"):
            continue
        for method in route.methods:
            for raw_id in IDS if _PARAM.search(route.path) else [""]:
                path = _PARAM.sub(raw_id, route.path)
                for headers in HEADERS:
                    for body in BODIES if method != "GET" else [None]:
                        response = await client.request(method, path, json=body, headers=headers)
                        if response.status_code >= 500:
                            failures.append(f"{method} {path} {headers} {body!r:.60}")
    for query in ("q=%00", "q=" + "\u00e9" * 100, "limit=-1", "offset=x", "genre=%00"):
        for path in ("/catalog/search", "/catalog/titles"):
            response = await client.get(f"{path}?{query}", headers=ADULT)
            if response.status_code >= 500:
                failures.append(f"GET {path}?{query}")
    assert failures == []
