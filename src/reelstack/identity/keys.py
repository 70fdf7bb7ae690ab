"""Ed25519 signing keys: made, serialized for the store, published as JWKs, used to sign.

EdDSA is one of the algorithms the gateway accepts
(:data:`reelstack.gateway.auth.ALLOWED_ALGORITHMS`); its keys are small and
signing and verifying are cheap. The private half is stored PKCS#8 PEM in
the service's own table and never leaves the service.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from reelstack.identity.repository import StoredKey

ALGORITHM = "EdDSA"


def new_key(*, at: datetime, passphrase: bytes = b"") -> StoredKey:
    """Return a fresh Ed25519 key with a random key id, ready to store.

    With a ``passphrase`` the private half is encrypted (PKCS#8, the best
    scheme ``cryptography`` offers), so a copy of the store alone signs nothing.
    """
    private = Ed25519PrivateKey.generate()
    kid = secrets.token_hex(8)
    jwk: dict[str, Any] = orjson.loads(OKPAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption(),
    )
    return StoredKey(kid, pem, orjson.dumps(jwk).decode(), at, None)


def public_jwk(key: StoredKey) -> dict[str, Any]:
    """Return the key's public JWK (``kty``, ``crv``, ``x``, ``kid``, ``alg``, ``use``)."""
    jwk: dict[str, Any] = orjson.loads(key.public_jwk)
    return jwk


class Signer:
    """Signs claims with stored keys, keeping each parsed private key in memory."""

    def __init__(self, passphrase: bytes = b"") -> None:
        self.passphrase = passphrase
        self._parsed: dict[str, Ed25519PrivateKey] = {}

    def new_key(self, *, at: datetime) -> StoredKey:
        """Return a fresh key, encrypted with this signer's passphrase if it has one."""
        return new_key(at=at, passphrase=self.passphrase)

    def sign(self, key: StoredKey, claims: dict[str, Any]) -> str:
        """Return a compact JWT of ``claims`` signed by ``key``, its ``kid`` in the header."""
        private = self._parsed.get(key.kid)
        if private is None:
            encrypted = b"ENCRYPTED" in key.private_pem.split(b"\n", 1)[0]
            loaded = serialization.load_pem_private_key(
                key.private_pem, password=self.passphrase if encrypted else None
            )
            if not isinstance(loaded, Ed25519PrivateKey):
                raise TypeError(f"signing key {key.kid} is not an Ed25519 key")
            private = self._parsed[key.kid] = loaded
        return jwt.encode(claims, private, algorithm=ALGORITHM, headers={"kid": key.kid})


def write_jwks(path: str, document: dict[str, Any]) -> None:
    """Write ``document`` to ``path`` whole (a reader never sees half a key set).

    The folder is private to the cluster's user: whoever can write this file
    chooses the keys the gateway trusts.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
    temp.write_bytes(orjson.dumps(document))
    os.replace(temp, target)
