"""Bearer tokens: JWTs signed with RS256, ES256 or EdDSA, checked with PyJWT.

The keys come from a JSON Web Key Set: the one configured
(``gateway.auth.jwks``: the JSON itself, or ``@path`` to a file) and the one
the identity service publishes (``gateway.auth.jwks_url``, by default the
file identity writes under the home; never found through discovery unless
``gateway.auth.jwks_discovery`` allows it), which is read in the background,
refreshed every ``gateway.auth.jwks_refresh_s`` and read again, at most every
few seconds, when a token names a key id the set does not hold (a rotation).

A token must name the configured issuer and audience (``auth.issuer``,
``auth.audience``) and live no longer than ``auth.max_token_lifetime_s``
(``exp - iat``, or ``exp - nbf``): a key that leaks cannot mint a token that
outlives the leak's discovery by days.

A verified token is cached until it expires, keyed by the token itself:
checking an RS256 signature costs tens of microseconds, as much as the rest
of the gateway's work on a request, and a client sends the same token with
every request. A cached token is still checked for expiry on every use, and
the cache is emptied whenever the key set changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jwt
import orjson
from jwt import PyJWK

from reelstack.chassis.routing import ROLES
from reelstack.gateway.models import Principal

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = frozenset({"RS256", "ES256", "EdDSA"})
# Cached verified tokens; past this the cache starts over (a crude but cheap bound).
CACHE_SIZE = 20_000
MAX_ID_LENGTH = 128


class AuthError(Exception):
    """A request's token is missing or not acceptable; answered with 401.

    ``code`` is RFC 6750's error code (``invalid_token``), or None when the
    request carried no token at all (then the challenge names no error).
    """

    def __init__(self, description: str, code: str | None = "invalid_token") -> None:
        self.description = description
        self.code = code
        super().__init__(description)

    def challenge(self, realm: str = "reelstack") -> bytes:
        """Return the ``WWW-Authenticate`` value for this failure."""
        if self.code is None:
            return f'Bearer realm="{realm}"'.encode("ascii")
        text = self.description.replace("\\", "").replace('"', "'")
        return f'Bearer realm="{realm}", error="{self.code}", error_description="{text}"'.encode(
            "ascii", "replace"
        )


def parse_jwks(document: Any, source: str) -> dict[str, PyJWK]:
    """Return the usable public keys of a JWKS document, by key id.

    Raises ValueError for a document that is not a key set, a private or
    symmetric key, or a key for an algorithm the gateway does not accept.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError(f"{source}: not a JWKS document (no 'keys' list)")
    keys: dict[str, PyJWK] = {}
    for index, entry in enumerate(document["keys"]):
        if not isinstance(entry, Mapping):
            raise ValueError(f"{source}: key {index} is not an object")
        if entry.get("kty") == "oct" or "d" in entry:
            raise ValueError(f"{source}: key {index} is not a public key")
        if entry.get("use", "sig") != "sig":
            continue  # an encryption key is not for us
        try:
            key = PyJWK.from_dict(dict(entry))
        except jwt.PyJWTError as exc:
            raise ValueError(f"{source}: key {index}: {exc}") from None
        if key.algorithm_name not in ALLOWED_ALGORITHMS:
            raise ValueError(
                f"{source}: key {index} is for {key.algorithm_name}; "
                f"accepted: {', '.join(sorted(ALLOWED_ALGORITHMS))}"
            )
        keys[key.key_id or f"#{index}"] = key
    return keys


def load_configured_jwks(raw: str) -> dict[str, PyJWK]:
    """Return the keys of the ``gateway.auth.jwks`` setting: JSON, ``@path`` or empty."""
    raw = raw.strip()
    if not raw:
        return {}
    if raw.startswith("@"):
        path = Path(raw[1:]).expanduser()
        try:
            text = path.read_text()
        except OSError as exc:
            raise ValueError(f"cannot read JWKS file {path}: {exc}") from None
        source = str(path)
    else:
        text, source = raw, "inline JWKS"
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{source}: not JSON: {exc}") from None
    return parse_jwks(document, source)


def _header_safe(value: Any, claim: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise AuthError(f"claim {claim} is not a string")
    text = str(value)
    if not text or len(text) > MAX_ID_LENGTH or not all(0x21 <= ord(c) <= 0x7E for c in text):
        raise AuthError(f"claim {claim} is not a usable id")
    return text


class TokenVerifier:
    """Checks bearer tokens against the current key set; caches verified ones."""

    def __init__(
        self,
        *,
        configured: Mapping[str, PyJWK] | None = None,
        issuer: str = "",
        audience: str = "",
        leeway_s: float = 30.0,
        max_lifetime_s: float | None = None,
        clock: Any = time.time,
    ) -> None:
        self.configured: dict[str, PyJWK] = dict(configured or {})
        self.fetched: dict[str, PyJWK] = {}
        self.keys: dict[str, PyJWK] = dict(self.configured)
        self.issuer = issuer or None
        self.audience = audience or None
        self.leeway_s = leeway_s
        self.max_lifetime_s = max_lifetime_s
        self.clock = clock
        self.cache: dict[bytes, Principal] = {}

    def set_fetched(self, keys: Mapping[str, PyJWK]) -> None:
        """Replace the fetched keys (the caller knows they changed)."""
        self.fetched = dict(keys)
        # Configured keys win a key-id clash: they are the operator's word.
        self.keys = {**self.fetched, **self.configured}
        # A token signed by a key that left the set must not stay accepted.
        self.cache.clear()

    def key_ids(self) -> Iterable[str]:
        """Return the ids of the keys tokens may be signed with."""
        return self.keys.keys()

    def verify(self, token: bytes) -> Principal:
        """Return the caller a token names; raise AuthError if it is not acceptable."""
        now = self.clock()
        cached = self.cache.get(token)
        if cached is not None:
            if now <= cached.claims_exp + self.leeway_s:
                return cached
            del self.cache[token]
            raise AuthError("the token has expired")
        principal, cacheable = self._decode(token, now)
        if cacheable:
            if len(self.cache) >= CACHE_SIZE:
                self.cache.clear()
            self.cache[token] = principal
        return principal

    def needs_key(self, token: bytes) -> str | None:
        """Return the key id a token names if the key set lacks it (a fetch may help)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        kid = header.get("kid")
        if isinstance(kid, str) and kid not in self.keys:
            return kid
        return None

    @property
    def _required(self) -> list[str]:
        required = ["exp", "sub"]
        if self.issuer is not None:
            required.append("iss")
        if self.audience is not None:
            required.append("aud")
        if self.max_lifetime_s is not None:
            required.append("iat")  # a lifetime needs a start
        return required

    @staticmethod
    def _check_lifetime(limit: float, exp: float, iat: object, nbf: object) -> None:
        for name, start in (("iat", iat), ("nbf", nbf)):
            if start is None:
                continue
            if not isinstance(start, int | float) or isinstance(start, bool):
                raise AuthError(f"claim {name} is not a number")
            if exp - start > limit:
                raise AuthError(f"the token lives longer than {limit:.0f} s (exp - {name})")

    def _decode(self, token: bytes, now: float) -> tuple[Principal, bool]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("the token is malformed") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise AuthError(f"algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if isinstance(kid, str):
            key = self.keys.get(kid)
        elif len(self.keys) == 1:
            key = next(iter(self.keys.values()))
        else:
            key = None
        if key is None:
            raise AuthError("the token is signed with an unknown key")
        if key.algorithm_name != algorithm:
            raise AuthError("the token's algorithm does not match its key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": self._required, "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the token is not valid yet") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the token lacks claim {exc.claim}") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise AuthError("the token is from another issuer") from None
        except jwt.InvalidSignatureError:
            raise AuthError("the token's signature is not valid") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"the token is not valid: {type(exc).__name__}") from None
        account = _header_safe(claims.get("account", claims["sub"]), "account")
        profile_claim = claims.get("profile")
        profile = None if profile_claim is None else _header_safe(profile_claim, "profile")
        exp = claims["exp"]
        if not isinstance(exp, int | float):
            raise AuthError("claim exp is not a number")
        nbf = claims.get("nbf")
        if self.max_lifetime_s is not None:
            self._check_lifetime(self.max_lifetime_s, exp, claims.get("iat"), nbf)
        # A token not valid yet (within the leeway) is not cached: the cache
        # only checks expiry.
        cacheable = nbf is None or (isinstance(nbf, int | float) and nbf <= now)
        roles = _roles(claims.get("roles"))
        roles_header = ",".join(sorted(roles)).encode("ascii")
        maturity = _maturity(claims.get("maturity"), profile)
        principal = Principal(account, profile, float(exp), roles, roles_header, maturity)
        return principal, cacheable


# The maturity levels of identity's profiles, lowest first (a test ties the two).
MATURITY_LEVELS = ("kids", "older-kids", "teens", "adults")


def _maturity(claim: object, profile: str | None) -> bytes:
    """Return the profile's maturity level as sent to services (b"" for no profile)."""
    if claim is None:
        if profile is not None:
            # A profile's token always says what it may see; one that does not
            # is not from our identity service. Failing closed keeps a kids
            # profile from browsing as an adult.
            raise AuthError("a token naming a profile must carry its maturity claim")
        return b""
    if profile is None:
        raise AuthError("claim maturity needs a profile claim")
    if claim not in MATURITY_LEVELS:
        raise AuthError(f"claim maturity is not one of {', '.join(MATURITY_LEVELS)}")
    return str(claim).encode("ascii")


def _roles(claim: object) -> frozenset[str]:
    """Return the token's roles: a list of known role names (none: no roles)."""
    if claim is None:
        return frozenset()
    if not isinstance(claim, list) or not all(isinstance(r, str) for r in claim):
        raise AuthError("claim roles is not a list of role names")
    unknown = sorted(set(claim) - ROLES)  # the roles routes may ask for
    if unknown:
        raise AuthError(f"claim roles names unknown roles: {', '.join(unknown)}")
    return frozenset(claim)
