"""Signing keys and tokens for the gateway's tests (RS256, ES256, EdDSA)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from reelstack.settings.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER


@dataclass
class SigningKey:
    """A private key, its id and algorithm, and its public JWK."""

    kid: str
    algorithm: str
    private: Any
    public_jwk: dict[str, Any]

    def token(self, sub: str = "account-a", *, ttl_s: float = 600, **claims: Any) -> str:
        """Return a token for ``sub`` expiring in ``ttl_s`` seconds (negative: expired).

        It carries the cluster's default issuer and audience and ``iat`` as
        identity's do; a claim given as None is left out.
        """
        now = int(time.time())
        defaults = {"iss": DEFAULT_ISSUER, "aud": DEFAULT_AUDIENCE, "iat": now}
        if ttl_s < 0:
            defaults["iat"] = now + int(ttl_s) - 60  # an expired token was issued before it expired
        payload = {"sub": sub, "exp": int(now + ttl_s), **defaults, **claims}
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(
            payload, self.private, algorithm=self.algorithm, headers={"kid": self.kid}
        )


def make_key(algorithm: str = "RS256", kid: str | None = None) -> SigningKey:
    """Return a fresh key for ``algorithm``."""
    kid = kid or f"{algorithm.lower()}-key"
    private: Any
    if algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    elif algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    elif algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
        jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
    else:
        raise ValueError(algorithm)
    jwk.update({"kid": kid, "alg": algorithm, "use": "sig"})
    return SigningKey(kid, algorithm, private, jwk)


def jwks(*keys: SigningKey) -> str:
    """Return the JWKS document publishing ``keys``' public halves."""
    return json.dumps({"keys": [key.public_jwk for key in keys]})
