"""The gateway's own key-set fetcher and verifier against the identity service over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest

from reelstack.bootstrap import Adapters
from reelstack.chassis.app import chassis_of
from reelstack.config import Config
from reelstack.gateway.auth import AuthError, TokenVerifier
from reelstack.gateway.jwks import JwksFetcher
from reelstack.identity import service
from reelstack.identity.app import create_app
from reelstack.identity.context import IdentityContext
from tests.unit.chassis.conftest import served
from tests.unit.identity.conftest import PASSWORD, database


async def test_the_gateway_verifies_tokens_across_a_key_rotation(
    make_config: Callable[..., Config], tmp_path: Path
) -> None:
    config = make_config()
    app = create_app(config, adapters=Adapters(config, _built={"sql": database(tmp_path / "i.db")}))
    async with served(app, "identity") as port:
        base = f"http://127.0.0.1:{port}"
        verifier = TokenVerifier()
        fetcher = JwksFetcher(
            verifier, f"{base}/.well-known/jwks.json", discovery=None, zone="b", refresh_s=60
        )
        try:
            async with httpx.AsyncClient(base_url=base) as client:
                credentials = {"email": "ann@example.com", "password": PASSWORD}
                made = await client.post("/identity/accounts", json=credentials)
                first = (await client.post("/identity/sessions", json=credentials)).json()
                assert await fetcher.fetch_once()
                principal = verifier.verify(first["access_token"].encode())
                assert principal.account == made.json()["id"]

                ctx = chassis_of(app).context_as(IdentityContext)
                await service.rotate_signing_key(ctx=ctx)
                refresh = {"refresh_token": first["refresh_token"]}
                second = (await client.post("/identity/sessions/refresh", json=refresh)).json()
                token = second["access_token"].encode()
                assert verifier.needs_key(token) == jwt.get_unverified_header(token)["kid"]
                with pytest.raises(AuthError, match="unknown key"):
                    verifier.verify(token)
                assert await fetcher.fetch_once()
                # Both the new token and the one signed before the rotation pass.
                assert verifier.verify(token).account == principal.account
                assert verifier.verify(first["access_token"].encode()).account == principal.account
        finally:
            await fetcher.stop()
