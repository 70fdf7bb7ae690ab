"""Access tokens: what the gateway's verifier makes of them, and key rotation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jwt
import orjson
import pytest

from reelstack.gateway.auth import AuthError, TokenVerifier, parse_jwks
from reelstack.identity import repository, service
from reelstack.identity.context import IdentityContext
from reelstack.identity.keys import Signer
from reelstack.identity.models import Role
from tests.unit.identity.conftest import PASSWORD, Clock


async def _verifier(ctx: IdentityContext, clock: Clock) -> TokenVerifier:
    verifier = TokenVerifier(leeway_s=0, clock=lambda: clock.now.timestamp())
    verifier.set_fetched(parse_jwks(await service.jwks(ctx=ctx), "identity"))
    return verifier


async def test_the_gateway_accepts_issued_tokens_with_the_published_jwks(
    ctx: IdentityContext, clock: Clock
) -> None:
    account = await service.sign_up(
        ctx=ctx, email="ann@example.com", password=PASSWORD, roles=(Role.VIEWER, Role.STUDIO)
    )
    tokens = await service.sign_in(
        ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
    )
    verifier = await _verifier(ctx, clock)
    principal = verifier.verify(tokens.access_token.encode())
    assert (principal.account, principal.profile) == (account.id, None)
    header = jwt.get_unverified_header(tokens.access_token)
    assert header["alg"] == "EdDSA" and header["kid"] in verifier.key_ids()
    claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    assert claims["roles"] == ["viewer", "studio"] and claims["sub"] == account.id
    assert claims["exp"] - claims["nbf"] == ctx.limits.access_ttl_s
    assert (claims["iss"], claims["aud"]) == (ctx.limits.issuer, ctx.limits.audience)


async def test_the_jwks_holds_only_public_keys(ctx: IdentityContext) -> None:
    document = await service.jwks(ctx=ctx)
    assert len(document["keys"]) == 1
    (key,) = document["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and "d" not in key
    assert (await service.jwks(ctx=ctx)) == document, "one key, not one per request"


async def test_rotation_signs_nobody_out(ctx: IdentityContext, clock: Clock) -> None:
    await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)
    before = await service.sign_in(
        ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
    )
    old_kid = jwt.get_unverified_header(before.access_token)["kid"]
    new_kid = await service.rotate_signing_key(ctx=ctx)
    after = await service.refresh(ctx=ctx, refresh_token=before.refresh_token)
    assert jwt.get_unverified_header(after.access_token)["kid"] == new_kid != old_kid
    verifier = await _verifier(ctx, clock)
    assert set(verifier.key_ids()) == {old_kid, new_kid}
    for token in (before.access_token, after.access_token):
        verifier.verify(token.encode())
    # Once the old key's last token has expired, the old key leaves the set.
    clock.advance(ctx.limits.access_ttl_s + service.PUBLISH_MARGIN_S + 1)
    assert [k["kid"] for k in (await service.jwks(ctx=ctx))["keys"]] == [new_kid]


async def test_a_token_signed_by_another_key_is_refused(ctx: IdentityContext, clock: Clock) -> None:
    await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)
    tokens = await service.sign_in(
        ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
    )
    claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    claims["roles"] = ["admin"]
    header = jwt.get_unverified_header(tokens.access_token)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = jwt.encode(
        claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": header["kid"]}
    )
    with pytest.raises(AuthError, match="signature"):
        (await _verifier(ctx, clock)).verify(forged.encode())


async def test_keys_are_encrypted_at_rest_with_a_passphrase(
    ctx: IdentityContext, clock: Clock
) -> None:
    ctx.signer = Signer(b"a long operator passphrase")
    await service.sign_up(ctx=ctx, email="ann@example.com", password=PASSWORD)
    tokens = await service.sign_in(
        ctx=ctx, email="ann@example.com", password=PASSWORD, address=None
    )
    async with ctx.db.session() as session:
        stored = await repository.current_key(session)
    assert stored is not None and b"ENCRYPTED PRIVATE KEY" in stored.private_pem
    (await _verifier(ctx, clock)).verify(tokens.access_token.encode())
    # Another instance with the same passphrase signs with the stored key.
    ctx.signer = Signer(b"a long operator passphrase")
    again = await service.refresh(ctx=ctx, refresh_token=tokens.refresh_token)
    (await _verifier(ctx, clock)).verify(again.access_token.encode())


async def test_a_profiles_token_carries_its_maturity_for_the_gateway(
    ctx: IdentityContext, clock: Clock
) -> None:
    # Catalog and playback filter titles by X-Maturity, which the gateway
    # takes from the token: a kids profile's token must say "kids".
    from reelstack.identity import profiles
    from reelstack.identity.models import Maturity

    account = await service.sign_up(ctx=ctx, email="kim@example.com", password=PASSWORD)
    kid = await profiles.create(
        ctx=ctx,
        account_id=account.id,
        name="Kid",
        avatar="owl",
        language="en",
        maturity=Maturity.KIDS,
        kids=True,
        pin=None,
    )
    tokens = await service.sign_in(
        ctx=ctx, email="kim@example.com", password=PASSWORD, address=None
    )
    entered = await service.refresh(ctx=ctx, refresh_token=tokens.refresh_token, profile_id=kid.id)
    verifier = await _verifier(ctx, clock)
    principal = verifier.verify(entered.access_token.encode())
    assert (principal.profile, principal.maturity) == (kid.id, b"kids")
    # Leaving no profile behind: the account's own token names no maturity.
    assert verifier.verify(tokens.access_token.encode()).maturity == b""


def test_identitys_maturity_levels_are_the_ones_the_gateway_accepts() -> None:
    from reelstack.gateway.auth import MATURITY_LEVELS
    from reelstack.identity.models import Maturity

    assert tuple(level.value for level in Maturity) == MATURITY_LEVELS


async def test_the_published_key_file_follows_rotation(
    ctx: IdentityContext, tmp_path: Path
) -> None:
    path = tmp_path / "keys" / "jwks.json"
    ctx = dataclasses.replace(ctx, jwks_file=str(path))
    await service.publish_jwks(ctx=ctx)
    first = {key["kid"] for key in orjson.loads(path.read_bytes())["keys"]}
    assert len(first) == 1
    fresh = await service.rotate_signing_key(ctx=ctx)
    published = {key["kid"] for key in orjson.loads(path.read_bytes())["keys"]}
    assert published == first | {fresh}
    assert all("d" not in key for key in orjson.loads(path.read_bytes())["keys"])
