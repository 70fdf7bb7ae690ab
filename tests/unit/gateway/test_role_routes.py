"""A viewer's token is refused on every studio and admin route every service declares.

The routes come from the services' specs (what the cluster really serves), so
a service added later with ``role=studio`` is walked here without a change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack import services
from tests.unit.gateway.fakes import FakeUpstreams
from tests.unit.gateway.harness import Connection, gateway_config, make_app
from tests.unit.gateway.keys import jwks, make_key

KEY = make_key()
CHANGES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> FakeUpstreams:
    return FakeUpstreams(monkeypatch)


async def test_a_viewer_token_is_refused_on_every_studio_and_admin_route(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    config = gateway_config(tmp_path, gateway__auth__jwks=jwks(KEY))
    guarded = [route for route in services.routes(config) if route.roles]
    assert {route.service for route in guarded} >= {"media"}
    app, _ = make_app(config, 9001)
    conn = Connection(app)
    tokens = {
        "viewer": KEY.token("acct-v", roles=["viewer"]),
        "no roles": KEY.token("acct-n"),
        "kids profile": KEY.token("acct-k", roles=["viewer"], profile="p", maturity="kids"),
    }
    walked = 0
    for route in guarded:
        for method in CHANGES:
            if method in route.public_methods:
                continue
            for who, token in tokens.items():
                answer = await conn.get(
                    f"{route.prefix}/some-id",
                    (b"authorization", b"Bearer " + token.encode()),
                    method=method.encode(),
                )
                assert answer.status == 403, f"{who}: {method} {route.prefix} -> {answer.status}"
                walked += 1
    assert walked >= len(guarded) * len(tokens)
    assert fakes.requests == []  # nothing reached a service
