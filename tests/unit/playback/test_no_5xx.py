"""Every playback route, fed malformed input with and without a caller, answers below 500."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from tests.unit.playback.conftest import Stack, device, viewer

BODIES: list[object] = [
    None,
    {},
    [],
    "text",
    0,
    {"title_id": None, "device": "tv"},
    {"title_id": "film1", "device": {"id": "\u0000", "name": ["x"]}},
    {"title_id": "film1", "device": device(codecs="avc1", max_height="tall")},
    {"title_id": "f" * 65, "device": device()},
    {"a": "b" * 100_000},
]
VALUES = ["0", "\u00e9" * 10, "..%2F..", "f" * 32, "1.1.AAAA", "9" * 40]
PARAM = re.compile(r"\{[a-z_]+(:path)?\}")


async def test_malformed_requests_never_get_a_5xx(stack: Stack) -> None:
    play = await stack.client.post(
        "/playback/plays", json={"title_id": "film1", "device": device()}, headers=viewer("a")
    )
    assert play.status_code == 201
    routes = [r for r in stack.app.routes if isinstance(r, APIRoute)]
    assert any(r.path.startswith("/playback/manifests/") for r in routes)
    callers = ({}, viewer("a"), viewer("nobody"), {"x-account-id": "a"}, {"x-account-id": "a b;c"})
    failures: list[str] = []
    for route in routes:
        if not route.path.startswith("/playback"):
            continue
        for method in route.methods:
            for value in VALUES:
                path = PARAM.sub(value, route.path)
                for headers in callers:
                    for body in BODIES:
                        response = await stack.client.request(
                            method, path, json=body, headers=headers
                        )
                        if response.status_code >= 500:
                            failures.append(f"{method} {path} {headers} {body!r:.60}")
    assert failures == []
