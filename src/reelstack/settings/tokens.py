"""Access tokens: the issuer and audience identity stamps and the gateway requires.

One place for the defaults both sides share, so an unconfigured cluster
agrees with itself and a token minted elsewhere (another issuer, another
audience) is refused.
"""

from __future__ import annotations

from reelstack.config import Setting, parse_float
from reelstack.settings.base import add, under_home

DEFAULT_ISSUER = "reelstack"
DEFAULT_AUDIENCE = "reelstack-gateway"


def parse_name(raw: str) -> str:
    """A required, non-empty name (an empty issuer or audience would accept any)."""
    value = raw.strip()
    if not value:
        raise ValueError("must not be empty: a token of any issuer or audience is not ours")
    return value


TOKEN_ISSUER = add(
    Setting(
        "auth.issuer",
        parse_name,
        DEFAULT_ISSUER,
        "The iss claim identity puts in access tokens and the gateway requires.",
    )
)
TOKEN_AUDIENCE = add(
    Setting(
        "auth.audience",
        parse_name,
        DEFAULT_AUDIENCE,
        "The aud claim identity puts in access tokens and the gateway requires.",
    )
)
TOKEN_MAX_LIFETIME_S = add(
    Setting(
        "auth.max_token_lifetime_s",
        parse_float(30, 86_400),
        "3600",
        "The gateway refuses a token whose exp - iat (or exp - nbf) is longer, in seconds.",
    )
)
JWKS_FILE = add(
    Setting(
        "auth.jwks_file",
        lambda raw: raw.strip(),
        under_home("{home}/keys/jwks.json"),
        "File identity publishes its public keys to and the local gateway reads them from "
        "(file:// in gateway.auth.jwks_url); empty: identity writes none.",
    )
)
