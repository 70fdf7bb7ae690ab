"""Attacks on token trust: keys through discovery, foreign issuers and audiences, long lives."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from reelstack import settings
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.errors import ConfigError
from reelstack.gateway.app import create_app
from reelstack.gateway.auth import AuthError, TokenVerifier, load_configured_jwks
from reelstack.identity.keys import write_jwks
from reelstack.settings.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER
from tests.support.ports import free_port
from tests.unit.gateway.fakes import FakeUpstreams, response
from tests.unit.gateway.harness import gateway_config
from tests.unit.gateway.keys import jwks, make_key

IDENTITY = make_key("EdDSA", kid="identity-key")
IMPOSTOR = make_key("EdDSA", kid="impostor-key")
DAY_S = 86_400


def verifier() -> TokenVerifier:
    """A verifier set up as the gateway sets it up by default."""
    return TokenVerifier(
        configured=load_configured_jwks(jwks(IDENTITY)),
        issuer=DEFAULT_ISSUER,
        audience=DEFAULT_AUDIENCE,
        max_lifetime_s=3600,
    )


def test_a_token_of_the_cluster_is_accepted() -> None:
    assert verifier().verify(IDENTITY.token().encode()).account == "account-a"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": None}, "lacks claim iss"),
        ({"iss": "https://evil.example"}, "another issuer"),
        ({"aud": None}, "lacks claim aud"),
        ({"aud": "another-app"}, "another audience"),
        ({"iat": None}, "lacks claim iat"),
    ],
)
def test_a_token_without_our_issuer_and_audience_is_refused(
    claims: dict[str, object], reason: str
) -> None:
    with pytest.raises(AuthError, match=reason):
        verifier().verify(IDENTITY.token(**claims).encode())


def test_a_thirty_day_token_is_refused() -> None:
    now = int(time.time())
    with pytest.raises(AuthError, match=r"longer than 3600 s \(exp - iat\)"):
        verifier().verify(IDENTITY.token(ttl_s=30 * DAY_S, iat=now).encode())
    # An iat in the future (to shorten exp - iat) is refused as not valid yet.
    lying = IDENTITY.token(ttl_s=30 * DAY_S, iat=now + 30 * DAY_S - 600)
    with pytest.raises(AuthError, match="not valid yet"):
        verifier().verify(lying.encode())
    # A recent iat does not hide a long life that nbf shows.
    backdated = IDENTITY.token(ttl_s=600, iat=now, nbf=now - 30 * DAY_S)
    with pytest.raises(AuthError, match=r"exp - nbf"):
        verifier().verify(backdated.encode())


def test_keys_through_discovery_need_an_explicit_choice(tmp_path: Path) -> None:
    config = gateway_config(
        tmp_path, gateway__auth__jwks_url="service://identity/.well-known/jwks.json"
    )
    with pytest.raises(ConfigError, match="jwks_discovery"):
        create_app(config, discovery=StaticDiscovery())


@pytest.fixture
async def impostor() -> AsyncIterator[int]:
    """An HTTP server publishing the impostor's key set, as a fake identity would."""
    app = web.Application()

    async def keys(request: web.Request) -> web.Response:
        return web.Response(text=jwks(IMPOSTOR), content_type="application/json")

    app.router.add_get("/.well-known/jwks.json", keys)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    yield port
    await runner.cleanup()


async def test_a_key_registered_through_discovery_by_an_impostor_is_refused(
    tmp_path: Path,
    impostor: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fakes = FakeUpstreams(monkeypatch)
    fakes.replies[9001] = [response(200, b"ok")]
    environ = {
        "REELSTACK_HOME": str(tmp_path),
        "REELSTACK_SERVICE_NAME": "gateway",
        "REELSTACK_SERVICE_PORT": "18080",
        "REELSTACK_GATEWAY_STATIC_DIR": str(tmp_path / "no-web-app"),
        "REELSTACK_GATEWAY_ROUTES": "/api/svc=svc",
    }
    config = settings.load(environ=environ)  # the default key set: identity's file
    write_jwks(config.get(settings.JWKS_FILE), {"keys": [IDENTITY.public_jwk]})
    # The impostor registered as identity: discovery offers it.
    discovery = StaticDiscovery(
        [
            InstanceInfo("identity", "identity-evil", "127.0.0.1", impostor, "a"),
            InstanceInfo("svc", "svc-1", "127.0.0.1", 9001, "a"),
        ]
    )
    app = create_app(config, discovery=discovery)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw.test") as http:
        forged = await http.get(
            "/api/svc/x", headers={"authorization": f"Bearer {IMPOSTOR.token()}"}
        )
        genuine = await http.get(
            "/api/svc/x", headers={"authorization": f"Bearer {IDENTITY.token()}"}
        )
    assert forged.status_code == 401
    assert "unknown key" in forged.headers["www-authenticate"]
    assert genuine.status_code == 200
    assert len(fakes.requests) == 1
    assert "token refused (invalid): the token is signed with an unknown key" in caplog.text
