from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest

from reelstack.gateway.auth import AuthError, TokenVerifier, load_configured_jwks, parse_jwks
from tests.unit.gateway.keys import jwks, make_key


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
def test_accepts_a_token_signed_by_a_known_key(algorithm: str) -> None:
    key = make_key(algorithm)
    verifier = TokenVerifier(configured=load_configured_jwks(jwks(key)))
    token = key.token("acct-1", profile="prof-9", maturity="kids")
    principal = verifier.verify(token.encode())
    assert (principal.account, principal.profile) == ("acct-1", "prof-9")
    assert principal.maturity == b"kids"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"profile": "prof-9"}, "must carry its maturity claim"),
        ({"profile": "prof-9", "maturity": "everything"}, "claim maturity is not one of"),
        ({"profile": "prof-9", "maturity": ["adults"]}, "claim maturity is not one of"),
        ({"maturity": "adults"}, "claim maturity needs a profile claim"),
    ],
)
def test_a_profile_token_must_say_its_maturity(claims: dict[str, object], reason: str) -> None:
    # Failing closed: a kids profile's token without the claim would browse as an adult.
    key = make_key()
    verifier = TokenVerifier(configured=load_configured_jwks(jwks(key)))
    with pytest.raises(AuthError, match=reason):
        verifier.verify(key.token("acct-1", **claims).encode())


def test_the_account_claim_wins_over_sub() -> None:
    key = make_key()
    verifier = TokenVerifier(configured=load_configured_jwks(jwks(key)))
    principal = verifier.verify(key.token("user-1", account="acct-7").encode())
    assert principal.account == "acct-7"
    assert principal.profile is None


def test_refuses_expired_forged_and_unknown_tokens() -> None:
    key = make_key(kid="k1")
    other = make_key(kid="k1")  # same key id, different key: a forgery
    stranger = make_key(kid="k2")
    verifier = TokenVerifier(configured=load_configured_jwks(jwks(key)), leeway_s=0)
    cases = {
        "expired": key.token(ttl_s=-5),
        "forged": other.token(),
        "unknown key": stranger.token(),
        "malformed": "not.a.token",
        "unsigned": jwt.encode({"sub": "a", "exp": time.time() + 60}, None, algorithm="none"),
    }
    for name, token in cases.items():
        with pytest.raises(AuthError) as caught:
            verifier.verify(token.encode())
        assert caught.value.code == "invalid_token", name
        assert b'error="invalid_token"' in caught.value.challenge(), name


def test_refuses_hmac_made_with_the_public_key() -> None:
    # The classic confusion attack: HS256 with the RSA public key as the secret.
    key = make_key()
    verifier = TokenVerifier(configured=load_configured_jwks(jwks(key)))
    # PyJWT refuses to sign this way, so the token is put together by hand.
    secret = json.dumps(key.public_jwk).encode()

    def part(data: dict[str, object]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signing_input = (
        part({"alg": "HS256", "kid": key.kid}) + b"." + part({"sub": "a", "exp": time.time() + 60})
    )
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    token = (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()
    with pytest.raises(AuthError, match="not accepted"):
        verifier.verify(token.encode())


def test_requires_sub_and_exp_and_checks_issuer_and_audience() -> None:
    key = make_key()
    verifier = TokenVerifier(
        configured=load_configured_jwks(jwks(key)), issuer="identity", audience="reelstack"
    )
    good = key.token(iss="identity", aud="reelstack")
    assert verifier.verify(good.encode()).account == "account-a"
    for token in (key.token(iss="evil", aud="reelstack"), key.token(iss="identity", aud="x")):
        with pytest.raises(AuthError):
            verifier.verify(token.encode())
    no_exp = jwt.encode({"sub": "a"}, key.private, algorithm="RS256", headers={"kid": key.kid})
    with pytest.raises(AuthError, match="exp"):
        verifier.verify(no_exp.encode())


def test_refuses_ids_that_cannot_go_in_a_header() -> None:
    key = make_key()
    verifier = TokenVerifier(configured=load_configured_jwks(jwks(key)))
    with pytest.raises(AuthError):
        verifier.verify(key.token("evil\r\nx-account-id: b").encode())


def test_a_cached_token_still_expires() -> None:
    key = make_key()
    now = [time.time()]
    verifier = TokenVerifier(
        configured=load_configured_jwks(jwks(key)), leeway_s=0, clock=lambda: now[0]
    )
    token = key.token(ttl_s=30).encode()
    verifier.verify(token)
    assert token in verifier.cache
    now[0] += 60
    with pytest.raises(AuthError, match="expired"):
        verifier.verify(token)


def test_a_key_set_change_empties_the_cache() -> None:
    key = make_key(kid="old")
    verifier = TokenVerifier()
    verifier.set_fetched(parse_jwks(json.loads(jwks(key)), "test"))
    token = key.token().encode()
    verifier.verify(token)
    verifier.set_fetched(parse_jwks(json.loads(jwks(make_key(kid="new"))), "test"))
    with pytest.raises(AuthError, match="unknown key"):
        verifier.verify(token)  # the old key left the set: its tokens go with it


@pytest.mark.parametrize(
    "document",
    [
        {"nokeys": []},
        {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]},
        {"keys": ["x"]},
    ],
)
def test_refuses_bad_key_sets(document: object) -> None:
    with pytest.raises(ValueError):
        parse_jwks(document, "test")


def test_refuses_private_keys_in_a_key_set() -> None:
    key = make_key("EdDSA")
    private = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.private))
    with pytest.raises(ValueError, match="not a public key"):
        parse_jwks({"keys": [private]}, "test")


def test_reads_a_key_set_from_a_file(tmp_path: Path) -> None:
    key = make_key()
    path = tmp_path / "jwks.json"
    path.write_text(jwks(key))
    assert set(load_configured_jwks(f"@{path}")) == {key.kid}
    assert load_configured_jwks("  ") == {}
    with pytest.raises(ValueError):
        load_configured_jwks("{not json")


def test_the_roles_claim_names_the_callers_roles() -> None:
    key = make_key()
    verifier = TokenVerifier(configured=load_configured_jwks(jwks(key)))
    assert verifier.verify(key.token("a", roles=["studio", "viewer"]).encode()).roles == {
        "studio",
        "viewer",
    }
    assert verifier.verify(key.token("b").encode()).roles == frozenset()
    for bad in ("studio", ["owner"], [1]):
        with pytest.raises(AuthError, match="claim roles"):
            verifier.verify(key.token("c", roles=bad).encode())
